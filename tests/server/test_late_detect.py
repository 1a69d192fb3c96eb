"""Late detection: the delay is what lets the shadow hold the pre-error state
when a fault is found after the primary has already published later ticks.

With --test-detect-late K the primary finds an assert fault after its error
tick T but reports it only after tick T + K, publishing the K ticks between
(their records, their hashes) as if nothing had been found.

1. K < D (K = 12, D = 30 ticks): the shadow, D behind the newest published
   tick, has not run tick T: it pauses before it, holding T - 1 with the
   primary's hash, the FAULT input pending, and the capture says the fault was
   detected 12 ticks late at tick T + 12, within the delay.
2. K > D (K = 25, D = 8 ticks): the shadow had already run tick T: the capture
   says plainly that it is late, that it does not hold the pre-error state, and
   which tick it holds (past T - 1); `inspect` says LATE too, and the
   supervisor does not restore from it."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

FAULT_TICK = 120


def run_case(d, name, delay, late, on_fault):
    captures = os.path.join(d, "captures-" + name)
    script = os.path.join(d, name + ".txt")
    with open(script, "w") as f:
        for t in range(21, FAULT_TICK + 60, 3):  # 120 among them
            f.write("%d 0 move %d 1\n" % (t, (t % 5) - 2))
            if t == FAULT_TICK:
                f.write("%d - fault assert\n" % FAULT_TICK)
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "%dt" % delay, "--test-detect-late", str(late),
            "--hang-timeout", "5000",  # no false hang on a busy CI machine (a real one is not tested here)
            "--on-fault", on_fault, "--captures", captures, "--inputs", script]
    s = Session(d, name, args, token="late-test-api-token")
    s.wait_url()
    s.wait_for("the incident's capture", lambda: os.path.isdir(captures) and any(
        x.startswith("incident-1-") and os.path.exists(os.path.join(captures, x, "missing.txt"))
        for x in os.listdir(captures)), 90)
    cap = os.path.join(captures, "incident-1-tick-%d" % FAULT_TICK)
    sctest.check(os.path.isdir(cap), "capture named after the error tick %d: %s" % (FAULT_TICK, os.listdir(captures)))
    with open(os.path.join(cap, "manifest.json")) as f:
        man = json.load(f)
    with open(os.path.join(cap, "missing.txt")) as f:
        missing = f.read()
    with open(os.path.join(cap, "error.json")) as f:
        err = json.load(f)
    return s, cap, man, missing, err


def within_delay(d):
    s, cap, man, missing, err = run_case(d, "within", delay=30, late=12, on_fault="stop")
    try:
        sctest.check(man["primary_error_tick"] == FAULT_TICK, "error tick %d: %s" % (FAULT_TICK, man))
        sctest.check(man["detected_tick"] == FAULT_TICK + 12 and man["detection_lag_ticks"] == 12,
                     "detected 12 ticks late at tick %d: %s %s" % (FAULT_TICK + 12, man["detected_tick"],
                                                                   man["detection_lag_ticks"]))
        sctest.check(err["detected_tick"] == FAULT_TICK + 12, "error.json detected_tick: %s" % err)
        sctest.check(man["held_tick"] == FAULT_TICK - 1 and man["holds_pre_error_state"] is True,
                     "holds the pre-error state %d: %s" % (FAULT_TICK - 1, man))
        sctest.check(man["hashes_match"] is True, "the primary's hash of tick %d: %s" % (FAULT_TICK - 1, man))
        sctest.check("LATE" not in missing, "nothing late in missing.txt: %s" % missing)
        with open(os.path.join(cap, "inputs.txt")) as f:
            inputs = f.read()
        sctest.check("%d - fault assert" % FAULT_TICK in inputs and "offending, not applied" in inputs,
                     "the FAULT input is pending, not applied")
        log = s.stderr()
        sctest.check("detected 12 ticks late at tick %d" % (FAULT_TICK + 12) in log, "the incident line says late")
        out = subprocess.run([sctest.BIN, "inspect", "--json", cap], capture_output=True, text=True,
                             timeout=120)
        j = json.loads(out.stdout)
        sctest.check(j["holds_pre_error_state"] is True and j["detection_lag_ticks"] == 12,
                     "inspect --json: %s" % out.stdout[:300])
        print("K=12 < D=30: holds tick %d, hashes match, detected at %d" % (man["held_tick"], man["detected_tick"]))
    finally:
        s.close()


def past_delay(d):
    s, cap, man, missing, err = run_case(d, "past", delay=8, late=25, on_fault="restore")
    try:
        sctest.check(man["detected_tick"] == FAULT_TICK + 25 and man["detection_lag_ticks"] == 25,
                     "detected 25 ticks late: %s" % man)
        sctest.check(man["holds_pre_error_state"] is False, "says it does not hold the pre-error state: %s" % man)
        sctest.check(man["held_tick"] >= FAULT_TICK, "held tick %s is past the error tick %d"
                     % (man["held_tick"], FAULT_TICK))
        want = "LATE: the shadow holds tick %d, not the error tick %d - 1" % (man["held_tick"], FAULT_TICK)
        sctest.check(want in missing, "missing.txt says '%s': %s" % (want, missing))
        out = subprocess.run([sctest.BIN, "inspect", cap], capture_output=True, text=True, timeout=120)
        sctest.check("LATE       detected 25 ticks after the error tick (at tick %d): more than the delay"
                     % (FAULT_TICK + 25) in out.stdout, "inspect says LATE: %s" % out.stdout[:600])
        s.wait_for("recovery", lambda: "starting a new match instead" in s.stderr() or "restoring the primary from" in s.stderr(),
                   30)
        log = s.stderr()
        sctest.check("restoring the primary from" not in log and
                     "no capture of incident 1 before its error tick" in log,
                     "no restore from a state after the fault, and the log says why")
        print("K=25 > D=8: holds tick %d, says LATE, not restored" % man["held_tick"])
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    within_delay(d)
    past_delay(d)


if __name__ == "__main__":
    main()
