"""`shadowcast sim` and `devices` as a user runs them: bad input is rejected with its
line number and a non-zero exit, an unknown device lists the devices, dumped
frames are PNGs of the right size with a picture in them."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_malformed_inputs(d):
    cases = [
        ("0 0 move 10 10\n\n# fine\n5 0 jump\n", 4, "unknown action"),
        ("0 0 move 10\n", 1, "move needs two axis values"),
        ("0 0 move 200 0\n", 1, "-127..127"),
        ("0 9 shoot\n", 1, "bad player"),
        ("x 0 shoot\n", 1, "bad tick"),
        ("5 0 shoot\n3 0 shoot\n", 2, "before the previous line"),
        ("0 0 block maybe\n", 1, "'on' or 'off'"),
        ("0 0 shoot \x01\n", 1, "unexpected byte"),
        ("0 1 fault assert\n", 1, "'-' as the player"),
    ]
    for i, (text, line, why) in enumerate(cases):
        path = write(d, "bad%d.txt" % i, text)
        p = sctest.run(["sim", "--ticks", "5", "--size", "64x64", "--inputs", path], check=False)
        sctest.check(p.returncode == 2, "malformed input exits 2, got %d for %r" % (p.returncode, text))
        sctest.check("%s:%d:" % (path, line) in p.stderr and why in p.stderr,
                     "error names %s:%d and says %r; got: %s" % (path, line, why, p.stderr))
    many = "".join("3 %d move 1 1\n" % (i % 8) for i in range(65))
    p = sctest.run(["sim", "--ticks", "5", "--size", "64x64", "--inputs", write(d, "many.txt", many)], check=False)
    sctest.check(p.returncode == 2 and "at most 64 per tick" in p.stderr, "over 64 inputs in one tick: " + p.stderr)
    p = sctest.run(["sim", "--ticks", "5", "--inputs", os.path.join(d, "missing.txt")], check=False)
    sctest.check(p.returncode != 0 and "No such file" in p.stderr, "a missing input file is reported")


def test_bad_options():
    for args, why in ((["sim"], "--ticks N is required"), (["sim", "--ticks", "0"], "--ticks"),
                      (["sim", "--ticks", "5", "--size", "100"], "--size"),
                      (["sim", "--ticks", "5", "--size", "66x64"], "multiple of 4"),
                      (["sim", "--ticks", "5", "--players", "9"], "--players"),
                      (["nonsense"], "unknown command")):
        p = sctest.run(args, check=False)
        sctest.check(p.returncode == 2 and why in p.stderr, "%s -> exit 2 with %r; got %d %s" % (args, why, p.returncode, p.stderr))


def test_devices():
    p = sctest.run(["sim", "--ticks", "2", "--device", "no-such-gpu"], check=False)
    sctest.check(p.returncode != 0, "unknown device fails")
    sctest.check("no Vulkan device matches 'no-such-gpu'" in p.stderr and "VK_EXT_external_memory_host" in p.stderr,
                 "unknown device lists the devices: " + p.stderr)
    p = sctest.run(["devices", "--json"])
    info = json.loads(p.stdout)
    sctest.check(len(info["devices"]) >= 1, "at least one Vulkan device")
    dev = info["devices"][0]
    for key in ("name", "type", "driver", "api_version", "uuid", "queue_families", "VK_KHR_external_memory_fd",
                "VK_EXT_external_memory_dma_buf", "VK_EXT_external_memory_host", "VK_EXT_device_fault",
                "timeline_semaphores"):
        sctest.check(key in dev, "devices --json has %s" % key)
    sctest.check(any(q["compute"] for q in dev["queue_families"]), "a compute queue family")
    sctest.check(info["encoder"]["auto"] in ("libx264", "h264_vaapi"), "encoder choice reported")
    # selecting by index, by name substring and by UUID picks that device
    for spec in ("0", dev["name"].split()[0], dev["uuid"]):
        p = sctest.run(["sim", "--ticks", "1", "--size", "64x64", "--particles", "0", "--device", spec])
        sctest.check(dev["name"] in p.stdout, "--device %s selects %s" % (spec, dev["name"]))
    text = sctest.run(["devices"]).stdout
    sctest.check(dev["name"] in text and "queue family" in text, "devices prints a readable list")


def test_frames(d):
    out = os.path.join(d, "frames")
    sctest.run(["sim", "--ticks", "61", "--size", "320x180", "--dump-frames", out, "--every", "30"])
    names = sorted(os.listdir(out))
    sctest.check(names == ["frame-000000.png", "frame-000030.png", "frame-000060.png"], "dumped frames: %s" % names)
    w, h, rows = sctest.read_png(os.path.join(out, names[-1]))
    sctest.check((w, h) == (320, 180), "PNG is 320x180, got %dx%d" % (w, h))
    colours = set()
    for row in rows[::3]:
        for x in range(0, w * 4, 12):
            colours.add(row[x:x + 3])
    sctest.check(len(colours) >= 6, "the frame has a picture (%d colours)" % len(colours))
    # players: the left one red-ish, the right one blue-ish at their kickoff spots
    left, right = rows[90][80 * 4:80 * 4 + 3], rows[90][240 * 4:240 * 4 + 3]
    sctest.check(left[0] > 200 and left[2] < 120, "red player at its kickoff spot: %s" % list(left))
    sctest.check(right[2] > 200 and right[0] < 120, "blue player at its kickoff spot: %s" % list(right))


def test_bench_cli():
    """The benchmarks are listed, and `bench sim --json` is one object in the documented shape."""
    listing = sctest.run(["bench", "--help"]).stdout
    for name in ("sim", "ring", "shadow", "pipeline", "profile", "messages"):
        sctest.check("\n  %s " % name in listing, "bench --help lists %s" % name)
    p = sctest.run(["bench", "nonsense"], check=False)
    sctest.check(p.returncode == 2 and "unknown benchmark" in p.stderr, "unknown benchmark refused")
    out = json.loads(sctest.run(["bench", "sim", "--json", "--ticks", "10", "--particles", "1000"]).stdout)
    sctest.check(out["bench"] == "sim", "bench name")
    rows = {r["name"]: r for r in out["rows"]}
    for size in ("1280x720", "640x360"):
        sctest.check(size in rows and "fill_" + size in rows, "rows for %s and its baseline" % size)
        r = rows[size]
        sctest.check(r["ticks_per_s"] > 0 and 0 < r["p50_ms"] <= r["p99_ms"], "figures of %s: %s" % (size, r))
    # bench profile (issue 11): the three sampling modes, the sample's own cost and the ring's throughput
    out = json.loads(sctest.run(["bench", "profile", "--json", "--ticks", "10", "--particles", "1000"]).stdout)
    sctest.check(out["bench"] == "profile", "bench profile name")
    rows = {r["name"]: r for r in out["rows"]}
    for name in ("tick_sampling_off", "tick_sampling_every_tick", "tick_sampling_every_10th"):
        sctest.check(name in rows and 0 < rows[name]["p50_ms"] <= rows[name]["p99_ms"] and
                     "overhead_pct" in rows[name], "profile row %s: %s" % (name, rows.get(name)))
    sctest.check(rows["sample_cost"]["p50_us"] > 0 and "pct_of_tick" in rows["sample_cost"], "sample_cost row")
    sctest.check(rows["sample_ring_throughput"]["samples_per_s"] > 0, "ring throughput row")


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_malformed_inputs(d)
    test_bad_options()
    test_devices()
    test_frames(d)
    test_bench_cli()
    print("sim cli ok")


main()
