"""A crash loop is recognised and throttled: with --crash-loop 3, a scripted
match that faults again and again gets incident captures for the first three
incidents only, one `crash loop:` line in the log, and no restore after that
(a new match starts, after a back-off); the server keeps serving. Each later
incident's log line says why it has no capture, and the shadow paused on the
loop's first incident stays held for inspection.

The incident that starts the loop is still captured even when its shadow takes
longer to pause than the restart back-off (200 ms): the scene is heavy enough
(200,000 particles, 40 ticks of delay to run through) that it does here."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, frames_grow  # noqa: E402


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    captures = os.path.join(d, "captures")
    script = os.path.join(d, "faults.txt")
    with open(script, "w") as f:
        for tick in range(60, 60 + 8 * 45, 45):
            f.write("%d - fault assert\n" % tick)
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "200000",
            "--encoder", "x264", "--delay", "40t", "--hang-timeout", "5000", "--captures", captures,
            "--inputs", script, "--crash-loop", "3"]
    s = Session(d, "crash-loop", args)
    try:
        s.wait_url()
        s.wait_for("four incidents", lambda: s.metric("shadowcast_incidents_total") >= 4, 120)
        s.wait_for("the loop is logged", lambda: "crash loop:" in s.stderr(), 10)
        frames_grow(s, "shadowcast_frames_encoded_total", by=5, timeout=60)
        log = s.stderr()
        incidents = s.metric("shadowcast_incidents_total")
        dirs = sorted(x for x in os.listdir(captures) if x.startswith("incident-"))
        sctest.check(log.count("crash loop:") == 1, "one crash-loop line, got %d" % log.count("crash loop:"))
        sctest.check(dirs == ["incident-1-tick-60", "incident-2-tick-105", "incident-3-tick-150"],
                     "incident captures stop at the loop (the third starts it): %d incidents, captures %s"
                     % (incidents, dirs))
        sctest.check("incident 4: no capture or restore (a crash loop since incident 3)" in log,
                     "the log says why incident 4 has no capture")
        # the shadow paused on the loop's first incident stays for inspection
        _, body = s.get("api/v1/status")
        held = [b for b in json.loads(body)["shadows"] if b["alive"] and b["state"] == "paused"]
        sctest.check(len(held) == 1 and held[0]["capture"] == "incident-3-tick-150" and held[0]["held_tick"] == 149,
                     "the shadow paused on incident 3 is held: %s" % held)
        print("%d incidents, %d captures, one crash-loop line" % (incidents, len(dirs)))
    finally:
        s.close()


if __name__ == "__main__":
    main()
