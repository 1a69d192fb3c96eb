"""A developer pause far longer than the shared logs hold, with inputs flowing
(--log-capacity 64 shrinks the logs so that 64 ticks stand in for the default's
2+ minutes): the primary never waits, the input log never refuses an input, no
record is dropped, and after resume the shadow catches up and follows with no
divergence. Then the shadow process itself is stalled (SIGSTOP) past the tick
log: it finds the gap, stops with an error instead of running a tick with the
wrong inputs, and a new shadow joins the primary from a checkpoint and follows
it without divergence; meanwhile no player input is refused (a shadow's log
readers never hold back the writers). Last, a replacement shadow that takes
longer to start than the logs hold still joins at its first try."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

FPS = 30
DELAY = 20
CAPACITY = 64


def running_shadow(s):
    _, st = s.api("status")
    for b in st["shadows"]:
        if b["state"] in ("running", "resumed") and b["alive"]:
            return st, b
    return st, None


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    script = os.path.join(d, "inputs.txt")
    with open(script, "w") as f:
        # two inputs every tick for 60 s: the input log (64 records) fills in 32 ticks if anyone holds it
        for t in range(40, 40 + 60 * FPS):
            f.write("%d 0 move %d %d\n%d 1 move %d 0\n" % (t, (t % 7) - 3, (t % 5) - 2, t, (t % 3) - 1))
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", str(FPS), "--particles", "2000",
            "--encoder", "x264", "--delay", "%dt" % DELAY, "--hang-timeout", "5000", "--log-capacity",
            str(CAPACITY), "--captures", os.path.join(d, "captures"), "--inputs", script]
    s = Session(d, "long-pause", args, token="long-pause-test-token")
    try:
        s.wait_url()
        s.wait_for("the shadow follows", lambda: running_shadow(s)[1] is not None, 60)
        code, r = s.api("shadow/pause", "POST", {})
        sctest.check(code == 200, "pause: %d %s" % (code, r))
        _, st = s.api("status")
        t0 = st["primary"]["next_tick"]
        # ten times the log capacity in ticks
        s.wait_for("the primary runs %d ticks past the pause" % (10 * CAPACITY),
                   lambda: s.api("status")[1]["primary"]["next_tick"] >= t0 + 10 * CAPACITY, 120)
        m = s.metrics()
        sctest.check(m["shadowcast_input_log_full_total"] == 0,
                     "no input refused during the pause: %d" % m["shadowcast_input_log_full_total"])
        code, r = s.api("shadow/resume", "POST", {})
        sctest.check(code == 200, "resume: %d %s" % (code, r))

        def caught_up():
            st, b = running_shadow(s)
            return b is not None and st["primary"]["next_tick"] - b["next_tick"] <= DELAY + 5
        s.wait_for("the shadow catches up after the resume", caught_up, 60)
        st, b = running_shadow(s)
        sctest.check(b["divergences"] == 0, "no divergence after the long pause: %s" % b)
        log = s.stderr()
        for bad in ("tick log full", "tick log gap", "runs tick", "divergence at tick"):
            sctest.check(bad not in log, "no '%s' in the log" % bad)
        print("paused %d ticks with a %d-record log: 0 inputs refused, 0 divergences"
              % (st["primary"]["next_tick"] - t0, CAPACITY))

        # a stalled shadow process: the gap is found, a new shadow takes over
        old = b["pid"]
        refused0 = s.metrics()["shadowcast_input_log_full_total"]
        os.kill(old, signal.SIGSTOP)
        time.sleep(3 * CAPACITY / FPS)
        refused = s.metrics()["shadowcast_input_log_full_total"] - refused0
        os.kill(old, signal.SIGCONT)
        # its log readers never hold back the writers: players are not refused
        sctest.check(refused == 0, "no input refused while the shadow process was stopped: %d" % refused)

        def replaced():
            st, nb = running_shadow(s)
            return nb is not None and nb["pid"] != old and st["primary"]["next_tick"] - nb["next_tick"] <= DELAY + 5
        s.wait_for("a new shadow follows from a checkpoint", replaced, 60)
        log = s.stderr()
        # "tick log gap:" or "input log gap:": SIGSTOP between reading a tick record and
        # its inputs makes the input log the first to show the gap
        sctest.check("log gap:" in log, "the stalled shadow found the gap")
        sctest.check("joining the running primary from its checkpoint" in log, "the new shadow used a checkpoint")
        sctest.check("runs tick" not in log and "divergence at tick" not in log,
                     "no tick run with another tick's inputs, no divergence")
        time.sleep(2)
        st, nb = running_shadow(s)
        sctest.check(nb is not None and nb["divergences"] == 0, "the new shadow follows exactly: %s" % nb)
        print("stalled shadow replaced from a checkpoint; 0 divergences")

        # a replacement whose start takes longer than the logs hold (a slow
        # driver; here: stopped for that long before it is ready) still joins
        # at the first try: the primary's checkpoint, which holds the logs
        # for it, is taken when the new shadow is ready, not when it starts
        old = nb["pid"]
        before = len(s.stderr())
        os.kill(old, signal.SIGKILL)
        new = s.wait_children(roles=("shadow",), not_pids=(old,), timeout=15)["shadow"]
        os.kill(new, signal.SIGSTOP)
        time.sleep(3 * CAPACITY / FPS)
        os.kill(new, signal.SIGCONT)

        def joined():
            st, nb = running_shadow(s)
            return nb is not None and st["primary"]["next_tick"] - nb["next_tick"] <= DELAY + 5
        s.wait_for("the slow-starting shadow follows", joined, 60)
        log = s.stderr()[before:]
        st, nb = running_shadow(s)
        sctest.check(nb["pid"] == new and log.count("a new shadow joins the primary from a checkpoint") == 1,
                     "the first replacement joined (pid %d, following %d):\n%s" % (new, nb["pid"], log))
        for bad in ("log gap", "tick log full", "runs tick", "divergence at tick"):
            sctest.check(bad not in log, "no '%s' in the log after the slow start:\n%s" % (bad, log))
        sctest.check(s.metrics()["shadowcast_input_log_full_total"] == 0, "no input refused")
        print("a shadow that took %.1f s to start joined at the first try" % (3 * CAPACITY / FPS))
    finally:
        s.close()


if __name__ == "__main__":
    main()
