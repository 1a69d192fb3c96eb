"""Sampling around conditions (--sample-window BEFORE:AFTER, docs/profiling.md).

A live server (30 ticks/s, every tick sampled, a 60-tick shadow) with
`condition = late: tick >= 90` and `--sample-window 5:10` retains exactly
the samples of ticks 85..100 and none outside them, for the primary and for
the shadow, everywhere samples go: GET /api/v1/samples, the sample feed
(seq 1..16 and nothing after), the profile file (`shadowcast profile
--json`: 16 primary samples, ticks 85..100); the others are read and
counted as discarded on /metrics. --print-config prints the option back and
a bad value is refused."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

TOKEN = "sample-window-developer-token"
WINDOW = list(range(85, 101))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    p = sctest.run(["run", "--sample-window", "5:10", "--print-config"])
    sctest.check("sample-window = 5:10\n" in p.stdout, "printed back: " + p.stdout)
    sctest.check("sample-window = off\n" in sctest.run(["run", "--print-config"]).stdout, "off by default")
    p = sctest.run(["run", "--sample-window", "5", "--print-config"], check=False)
    sctest.check(p.returncode == 2 and "bad value '5' for --sample-window" in p.stderr, "refused: " + p.stderr)

    conf = os.path.join(d, "window.conf")
    with open(conf, "w") as f:
        f.write("condition = late: tick >= 90\nsample-window = 5:10\n")
    prof = os.path.join(d, "window.prof")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "60t", "--hang-timeout", "5000", "--sample-every", "1",
            "--config", conf, "--profile", prof]
    s = Session(d, "window", args, token=TOKEN)
    try:
        s.wait_url()
        port = int(s.url.rstrip("/").rsplit(":", 1)[1])
        # the shadow past the window's end and 30 ticks more: every window sample read
        s.wait_for("the shadow past tick 130", lambda: s.api("status")[1]["shadows"][0]["next_tick"] > 130, timeout=90)
        for role, q in (("primary", "role=primary"), ("shadow", "role=shadow&slot=0")):
            st, body = s.api("samples?%s&limit=1000" % q)
            sctest.check(st == 200, "samples %s: %s" % (role, st))
            ticks = [x["tick"] for x in body["samples"]]
            sctest.check(ticks == WINDOW and body["taken"] == len(WINDOW),
                         "%s: exactly ticks 85..100 retained, got %r (taken %s)" % (role, ticks, body["taken"]))
        st, ev = s.api("events?tag=condition")
        sctest.check([e["tick"] for e in ev["events"]] == [90], "one hit, at tick 90: %r" % ev["events"])

        c = WsClient(port, "feed")
        c.send({"type": "subscribe", "token": TOKEN, "from": 1})
        c.wait_for(lambda m: m.get("type") == "sample" and m["seq"] == len(WINDOW), what="the 16th sample")
        time.sleep(1.0)  # the primary goes on: nothing more may come
        with c.lock:
            got = [m for m in c.messages if m.get("type") in ("sample", "dropped")]
        sctest.check([m.get("seq") for m in got] == list(range(1, len(WINDOW) + 1)) and
                     [m["sample"]["tick"] for m in got] == WINDOW, "feed: seq 1..16, ticks 85..100: %r" %
                     [(m.get("seq"), m.get("sample", {}).get("tick")) for m in got])
        c.close()

        _, body = s.get("metrics")
        inside = [l for l in body.splitlines() if l.startswith("shadowcast_samples_in_window_total{")]
        outside = [l for l in body.splitlines() if l.startswith("shadowcast_samples_outside_window_total{")]
        sctest.check('shadowcast_samples_in_window_total{role="primary"} 16' in inside and
                     'shadowcast_samples_in_window_total{role="shadow"} 16' in inside, "retained: %r" % inside)
        out_primary = int(next(l for l in outside if 'role="primary"' in l).split()[-1])
        ran = s.api("status")[1]["primary"]["next_tick"]
        sctest.check(out_primary >= 130 - len(WINDOW) and out_primary <= ran, "discarded counted: %d" % out_primary)
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=30)
        sctest.check(s.proc.returncode == 0, "run exited %s on SIGTERM" % s.proc.returncode)
    finally:
        s.close()
    summary = json.loads(sctest.run(["profile", prof, "--json"]).stdout)
    smp = summary["samples"]
    sctest.check(smp["primary"] == len(WINDOW) and smp["first_tick"] == 85 and smp["last_tick"] == 100,
                 "the profile file holds the window only: %r" % smp)
    sctest.check(smp["shadow0"] == len(WINDOW), "and the shadow's window: %r" % smp)
    sctest.check(summary["meta"].get("sample_window") == {"before": 5, "after": 10},
                 "META names the window: %r" % summary["meta"].get("sample_window"))
    print("sample window: ok")


if __name__ == "__main__":
    main()
