"""--on-fault restore loses no acked input and restores only a verified state.

1. Two inputs every tick (as a client would send them; the encoder logs and
   acks each), an assert fault in the middle of a tick that has two moves too:
   after the restore every logged input was applied exactly once except the
   FAULT input, which was dropped (inputs_logged = inputs_applied + dropped,
   dropped = 1), and the new shadow follows the restored primary without
   divergence.
2. The same with a shadow that diverged before the fault (--desync-shadow):
   its capture is not the primary's state, so the supervisor refuses to
   restore from it, says why, and starts a new match."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

FPS = 30
FAULT_TICK = 150
END_TICK = 330


def script(d):
    path = os.path.join(d, "inputs.txt")
    n = 0
    with open(path, "w") as f:
        for t in range(40, END_TICK):
            f.write("%d 0 move %d 1\n%d 1 move -1 %d\n" % (t, (t % 5) - 2, t, (t % 3) - 1))
            n += 2
            if t == FAULT_TICK:
                f.write("%d - fault assert\n" % t)
                n += 1
    return path, n


def start(d, name, extra):
    path, n = script(d)
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", str(FPS), "--particles", "2000",
            "--encoder", "x264", "--delay", "20t", "--hang-timeout", "5000", "--captures",
            os.path.join(d, "captures-" + name), "--inputs", path] + extra
    s = Session(d, name, args, token="restore-test-token")
    s.wait_url()
    return s, n


def test_no_input_lost(d):
    s, n = start(d, "restore-inputs", [])
    try:
        s.wait_for("the restore", lambda: "restoring the primary from" in s.stderr(), 60)
        s.wait_for("every scripted input logged and the match past it",
                   lambda: s.api("status")[1]["primary"]["next_tick"] > END_TICK + 30, 90)
        m = s.metrics()
        logged, applied = m["shadowcast_inputs_logged_total"], m["shadowcast_inputs_applied_total"]
        dropped = m["shadowcast_inputs_dropped_total"]
        sctest.check(logged == n, "all %d scripted inputs logged, got %d" % (n, logged))
        sctest.check(dropped == 1 and applied == logged - 1,
                     "every logged input applied once but the FAULT one: logged %d applied %d dropped %d"
                     % (logged, applied, dropped))
        _, st = s.api("status")
        follow = [b for b in st["shadows"] if b["state"] == "running"]
        sctest.check(follow and follow[0]["divergences"] == 0, "the new shadow follows exactly: %s" % st["shadows"])
        print("restore: %d inputs logged, %d applied, 1 dropped (the fault): 0 lost" % (logged, applied))
    finally:
        s.close()


def test_diverged_capture_not_restored(d):
    s, _ = start(d, "restore-diverged", ["--desync-shadow", str(FAULT_TICK - 30)])
    try:
        s.wait_for("the incident handled", lambda: "restarting the primary" in s.stderr()
                   or "restoring the primary" in s.stderr(), 60)
        log = s.stderr()
        sctest.check("restoring the primary" not in log, "no restore from a diverged capture")
        sctest.check("on-fault restore: the shadow's state after tick %d" % (FAULT_TICK - 1) in log
                     and "is not the primary's" in log, "the refusal says why")
        print("diverged capture: restore refused, new match started")
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_no_input_lost(d)
    test_diverged_capture_not_restored(d)


if __name__ == "__main__":
    main()
