"""Target conditions end to end (issue 11).

1. The config file: `condition = NAME: METRIC OP THRESHOLD` lines are read,
   printed back by --print-config (and that round-trips); bad ones are
   refused with FILE:LINE and the reason (unknown metric, bad operator, no
   number, a repeated name), every bad line at once, exit 2.
2. A live server with `condition = late: tick >= 90`: the condition fires
   exactly once, at tick 90 (the tick it is crossed), with the log line, the
   counter shadowcast_condition_hits_total{condition="late"} == 1, and an
   event on GET /api/v1/events; `?around=90&before=5&after=5` returns the
   primary's samples of ticks 85..95, in order. A condition that never holds
   is never hit. The events endpoint needs the token.
3. `capture` on that condition: the shadow (60 ticks behind) writes an
   anomaly capture holding tick 90 (manifest held_tick 90, its condition
   named: capture_kind "anomaly", condition {name, condition, tick}) and keeps
   tracking: still running, its tick going on past 90 + 60.
4. `shadow.tick >= 40`: evaluated on the shadow's samples, it fires once, at
   the shadow's tick 40, with role "shadow"."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

TOKEN = "profile-conditions-token"


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_config(d):
    good = write(d, "good.conf", "condition = late: tick >= 90\ncondition = slow: frame_time_ms > 20\n")
    p = sctest.run(["run", "--config", good, "--print-config"])
    sctest.check("condition = late: tick >= 90\n" in p.stdout and "condition = slow: frame_time_ms > 20\n" in p.stdout,
                 "conditions printed: " + p.stdout)
    again = sctest.run(["run", "--config", write(d, "again.conf", p.stdout), "--print-config"]).stdout
    sctest.check(again == p.stdout, "--print-config round-trips")
    bad = write(d, "bad.conf", "condition = ok: tick > 1\n"
                               "condition = a: fps > 1\n"
                               "condition = b: tick = 1\n"
                               "condition = c: tick > soon\n"
                               "condition = ok: tick > 2\n"
                               "condition = frame_time_ms > 20\n")
    p = sctest.run(["run", "--config", bad, "--print-config"], check=False)
    sctest.check(p.returncode == 2, "bad conditions exit 2; got %d" % p.returncode)
    for line, why in ((2, "unknown metric"), (3, "operator must be"), (4, "threshold must be a number"),
                      (5, "already set"), (6, "NAME: METRIC OP THRESHOLD")):
        sctest.check("%s:%d: bad value" % (bad, line) in p.stderr and why in p.stderr,
                     "line %d refused with '%s': %s" % (line, why, p.stderr))
    sctest.check("%s:1:" % bad not in p.stderr, "the good line is not reported")


def test_live(d):
    conf = write(d, "live.conf", "condition = late: tick >= 90 capture\ncondition = never: gpu_ms < 0\n"
                                 "condition = shadow_at: shadow.tick >= 40\n")
    captures = os.path.join(d, "captures")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "60t", "--hang-timeout", "5000", "--config", conf,
            "--captures", captures]
    s = Session(d, "live", args, token=TOKEN)
    try:
        s.wait_url()
        try:
            urllib.request.urlopen(s.url + "api/v1/events", timeout=3)
            s.fail("GET /api/v1/events without the token answered")
        except urllib.error.HTTPError as e:
            sctest.check(e.code == 401, "no token: 401, got %d" % e.code)
        box = {}

        def window():
            st, body = s.api("events?around=90&before=5&after=5")
            box["b"] = body
            return st == 200 and body.get("complete") is True

        s.wait_for("the window around tick 90 complete", window, timeout=60)
        body = box["b"]
        ticks = [x["tick"] for x in body["samples"]]
        sctest.check(ticks == list(range(85, 96)), "samples of ticks 85..95: %s" % ticks)
        hits = [e for e in body["events"] if e["tag"] == "condition"]
        late = [e for e in hits if e["condition"] == "late"]
        sctest.check(len(late) == 1 and late[0]["tick"] == 90 and late[0]["value"] == 90,
                     "one hit of 'late', at tick 90: %s" % json.dumps(body["events"]))
        sctest.check(not [e for e in hits if e["condition"] == "never"], "'never' is never hit")
        sctest.check(all("particles" in x["passes_ms"] for x in body["samples"]), "samples carry pass times")
        _, text = s.get("metrics")
        sctest.check('shadowcast_condition_hits_total{condition="late"} 1\n' in text, "counter 1 for late")
        sctest.check('shadowcast_condition_hits_total{condition="never"} 0\n' in text, "counter 0 for never")
        st, _ = s.api("events?around=abc")
        sctest.check(st == 400, "a bad query is 400: %d" % st)
        log = s.stderr()
        sctest.check("condition late (tick >= 90) hit at tick 90" in log, "the log line")
        # the anomaly capture: the shadow reaches tick 90 some 60 ticks later
        found = {}

        def captured():
            for root, _, files in os.walk(captures):
                if "manifest.json" in files:
                    with open(os.path.join(root, "manifest.json")) as f:
                        found["m"] = json.load(f)
                    return True
            return False
        s.wait_for("an anomaly capture under %s" % captures, captured, timeout=60)
        sctest.check(found["m"]["held_tick"] == 90, "the capture holds tick 90: %s" % found["m"].get("held_tick"))
        sctest.check(found["m"]["capture_kind"] == "anomaly" and found["m"]["condition"] ==
                     {"name": "late", "condition": "tick >= 90", "tick": 90},
                     "the manifest names the condition: %s" % found["m"].get("condition"))

        def tracking():
            st, status = s.api("status")
            sh = status["shadows"][0] if "shadows" in status else status["shadow"]
            found["sh"] = sh
            return st == 200 and sh["state"] == "running" and sh["next_tick"] > 90 + 60 + 30
        s.wait_for("the shadow tracking on after the capture", tracking, timeout=60)
        sctest.check("anomaly capture of tick 90" in s.stderr(), "the shadow's log line")
        # a shadow. condition: on the shadow's samples, once, at the shadow's tick 40
        st, body = s.api("events?tag=condition")
        shadow_hits = [e for e in body["events"] if e["condition"] == "shadow_at"]
        sctest.check(st == 200 and len(shadow_hits) == 1 and shadow_hits[0]["tick"] == 40 and
                     shadow_hits[0]["role"] == "shadow" and shadow_hits[0]["instance"] == 1,  # slot 0: the first shadow
                     "one hit of shadow_at, at the shadow's tick 40: %s" % json.dumps(body["events"]))
        late = [e for e in body["events"] if e["condition"] == "late"]
        sctest.check(len(late) == 1 and late[0]["role"] == "primary", "late is the primary's: %s" % late)
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_config(d)
    test_live(d)
    print("profile conditions: ok")


if __name__ == "__main__":
    main()
