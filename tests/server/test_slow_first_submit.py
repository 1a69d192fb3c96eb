"""`shadowcast run` on a driver that compiles shaders at first use: with
--test-slow-first-submit 3000 (every first use of a pipeline finishes 3 s
later, three hang timeouts) the primary and the shadow pay it in their
start-up warm-up, logged, and no hang incident is reported for it; a real
hang scripted at tick 150 is still one incident, a hang at tick 150."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, frames_grow  # noqa: E402

HANG_MS, SLOW_MS, HANG_TICK = 1000, 3000, 150


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    captures = os.path.join(d, "captures")
    script = os.path.join(d, "inputs.txt")
    with open(script, "w") as f:
        f.write("10 0 move 60 20\n%d - fault hang\n" % HANG_TICK)
    # the delay (3 s) exceeds the hang timeout: the shadow holds tick 149
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "90t", "--hang-timeout", str(HANG_MS), "--on-fault", "stop",
            "--test-slow-first-submit", str(SLOW_MS), "--captures", captures, "--inputs", script]
    s = Session(d, "slow-first", args)
    try:
        s.wait_url(timeout=120)
        frames_grow(s, "shadowcast_frames_encoded_total", by=10, timeout=120)
        s.wait_for("the scripted hang's capture", lambda: os.path.isdir(captures) and any(
            x.startswith("incident-") and os.path.exists(os.path.join(captures, x, "manifest.json"))
            for x in os.listdir(captures)), 180)
        dirs = sorted(x for x in os.listdir(captures) if x.startswith("incident-"))
        sctest.check(dirs == ["incident-1-tick-%d" % HANG_TICK], "one incident, at tick %d: %s" % (HANG_TICK, dirs))
        with open(os.path.join(captures, dirs[0], "manifest.json")) as f:
            man = json.load(f)
        sctest.check(man["fault"]["detected"] == "hang" and man["primary_error_tick"] == HANG_TICK,
                     "a hang at tick %d: %s" % (HANG_TICK, man["fault"]))
        log = s.stderr()
        sctest.check(log.count("warmed in") >= 2, "primary and shadow log their warm-up:\n" + log[-3000:])
        sctest.check("tick 0: GPU fence" not in log, "no hang called at the first tick:\n" + log[-3000:])
        print("first use %d ms slow, hang timeout %d ms: no false incident; the hang at tick %d is incident 1"
              % (SLOW_MS, HANG_MS, HANG_TICK))
    finally:
        s.close()


main()
