"""Profiling samples end to end (issue 11): the primary and the shadow write a
sample every tick into their sample rings, the encoder process reads them, and
/metrics shows histograms in the Prometheus text format 0.0.4.

1. Format: every histogram family has `# TYPE NAME histogram`, its buckets are
   cumulative (never decreasing) and end with le="+Inf" equal to _count, and
   there is a _sum. Frame time, GPU time per pass (label pass) and encode
   time are there and counting; the primary's and a shadow's samples are read.
2. A metric moves when what it measures moves: two short runs, 2000 and
   200000 particles; the mean GPU time of the particle pass (_sum / _count)
   is greater in the second (no timing threshold, only "greater").
3. --sample-every 0: no samples read, the histograms stay empty."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse(body):
    """{family: type}, [(name, labels dict, value)]"""
    types, samples = {}, []
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ")
            types[name] = t
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        sctest.check(m is not None, "a sample line: %r" % line)
        labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def check_histograms(types, samples):
    hists = [n for n, t in types.items() if t == "histogram"]
    for want in ("shadowcast_frame_time_seconds", "shadowcast_gpu_pass_seconds", "shadowcast_encode_seconds"):
        sctest.check(want in hists, "%s is a histogram: %s" % (want, hists))
    for fam in hists:
        series = {}
        for name, labels, v in samples:
            if not name.startswith(fam + "_"):
                continue
            key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
            s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
            if name == fam + "_bucket":
                s["buckets"].append((labels["le"], v))
            elif name == fam + "_sum":
                s["sum"] = v
            elif name == fam + "_count":
                s["count"] = v
        sctest.check(series, "%s has series" % fam)
        for key, s in series.items():
            b = s["buckets"]
            sctest.check(b and b[-1][0] == "+Inf", "%s%s ends with le=+Inf: %s" % (fam, key, b))
            les = [float(le) for le, _ in b[:-1]]
            sctest.check(les == sorted(les), "%s%s bucket bounds ascending" % (fam, key))
            vals = [v for _, v in b]
            sctest.check(vals == sorted(vals), "%s%s buckets cumulative: %s" % (fam, key, vals))
            sctest.check(s["count"] == vals[-1], "%s%s _count == +Inf bucket" % (fam, key))
            sctest.check(s["sum"] is not None and s["sum"] >= 0, "%s%s has _sum" % (fam, key))


def value(samples, name, **labels):
    for n, l, v in samples:
        if n == name and all(l.get(k) == x for k, x in labels.items()):
            return v
    raise AssertionError("no %s %s" % (name, labels))


def run(d, name, particles, extra=()):
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30", "--particles", str(particles),
            "--encoder", "x264", "--delay", "10t", "--hang-timeout", "5000",
            "--captures", os.path.join(d, "captures-" + name)] + list(extra)
    s = Session(d, name, args)
    try:
        s.wait_url()
        s.wait_children(roles=("primary", "encoder", "shadow"))
        box = {}

        def enough():
            types, samples = parse(s.get("metrics")[1])
            box["m"] = (types, samples)
            if extra:  # sampling off: wait for frames instead
                return value(samples, "shadowcast_encode_seconds_count") >= 20
            return value(samples, "shadowcast_gpu_pass_seconds_count", role="primary", **{"pass": "particles"}) >= 20 \
                and value(samples, "shadowcast_samples_read_total", instance_role="shadow0") >= 5
        s.wait_for("%s: 20 primary samples and 5 of the shadow's on /metrics" % name, enough, timeout=90)
        return box["m"]
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    types, few = run(d, "few", 2000)
    check_histograms(types, few)
    sctest.check(value(few, "shadowcast_frame_time_seconds_count") > 0, "frame time counted")
    sctest.check(value(few, "shadowcast_encode_seconds_count") > 0, "encode time counted")
    sctest.check(value(few, "shadowcast_gpu_pass_seconds_count", role="shadow", **{"pass": "particles"}) > 0,
                 "the shadow's particle pass counted")
    _, many = run(d, "many", 200000)
    mean = {}
    for k, smp in (("few", few), ("many", many)):
        lab = {"role": "primary", "pass": "particles"}
        mean[k] = value(smp, "shadowcast_gpu_pass_seconds_sum", **lab) / \
            value(smp, "shadowcast_gpu_pass_seconds_count", **lab)
    print("particle pass mean: %.6f s (2000 particles), %.6f s (200000)" % (mean["few"], mean["many"]))
    sctest.check(mean["many"] > mean["few"], "more particles, more GPU time in the particle pass: %s" % mean)
    _, off = run(d, "off", 2000, extra=("--sample-every", "0"))
    sctest.check(value(off, "shadowcast_samples_read_total", instance_role="primary") == 0, "no samples when off")
    sctest.check(value(off, "shadowcast_frame_time_seconds_count") == 0, "no frame-time observations when off")
    print("profile metrics: ok")


if __name__ == "__main__":
    main()
