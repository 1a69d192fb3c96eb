"""After an incident the supervisor waits for the shadow's pause as long as the
shadow makes progress, and gives up only after a bounded time without any
(server/pause_wait.h: 2 s with --hang-timeout 500), saying why.

1. A slow catch-up: the shadow runs 600 ticks (20 s) behind; after an
   injected assert it is SIGSTOPped for 1 s at a time and let run only until
   it has advanced, again and again for over 6 s, so it needs longer than the
   old fixed 5 s to reach the error tick, but never stalls as long as the
   bound (--hang-timeout 5000 here: a stopped shadow's own fence wait must
   not time out, and the bound is then the hang timeout + 2 ticks, 5.07 s).
   The supervisor waits: the restore comes from the paused shadow's verified
   state, more than 6 s after the fault, and no give-up line is logged.
2. A stalled shadow: SIGSTOPped for good just before the fault. The
   supervisor gives up after 2 s without progress (not 5), logs one line
   saying so, kills the stalled shadow and starts a new match with a new
   shadow that follows it."""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, gone  # noqa: E402

FPS = 30


def start(d, name, delay, hang_ms):
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", str(FPS), "--particles", "2000",
            "--encoder", "x264", "--delay", "%dt" % delay, "--hang-timeout", str(hang_ms), "--captures",
            os.path.join(d, "captures-" + name)]
    s = Session(d, name, args, token="pause-wait-test-token")
    s.wait_url()
    return s


def following(s, lag, min_tick=0):
    _, st = s.api("status")
    b = st["shadows"][0]
    return b if (b["state"] == "running" and b["alive"] and b["lag_ticks"] >= lag and
                 b["next_tick"] >= min_tick) else None


def shadow_tick(s, slot=0):
    return s.api("status")[1]["shadows"][slot]["next_tick"]


def signal_shadow(s, pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        s.fail("the shadow (pid %d) is gone: the supervisor did not wait for it" % pid)


def inject(s):
    code, r = s.api("inject", "POST", {"kind": "assert"})
    sctest.check(code == 200, "inject: %d %s" % (code, r))
    return r["tick"], time.monotonic()


def wait_line(s, pattern, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, s.stderr())
        if m:
            return m, time.monotonic()
        time.sleep(0.02)
    s.fail("no log line /%s/ within %d s" % (pattern, timeout))


def test_slow_catch_up(d):
    s = start(d, "slow-catch-up", 600, 5000)
    try:
        s.wait_for("the shadow 600 ticks behind", lambda: following(s, 590), 90)
        pid = s.children()["shadow"]
        os.kill(pid, signal.SIGSTOP)
        tick, t0 = inject(s)
        # stopped 1 s at a time (half the no-progress bound), let run only
        # until it has advanced, for over 6 s: longer than the old fixed 5 s
        cycles = 0
        at = shadow_tick(s)
        while time.monotonic() - t0 < 6.2:
            time.sleep(1.0)
            signal_shadow(s, pid, signal.SIGCONT)
            deadline = time.monotonic() + 1.0
            while shadow_tick(s) == at and time.monotonic() < deadline:
                time.sleep(0.002)
            signal_shadow(s, pid, signal.SIGSTOP)
            now_at = shadow_tick(s)
            sctest.check(now_at > at, "the shadow advanced while running (%d -> %d)" % (at, now_at))
            sctest.check(now_at < tick, "still short of the error tick %d (at %d) after %.1f s"
                         % (tick, now_at, time.monotonic() - t0))
            at = now_at
            cycles += 1
        signal_shadow(s, pid, signal.SIGCONT)
        _, t1 = wait_line(s, r"restoring the primary from \S+/incident-1-tick-%d/state\.bin" % tick, 60)
        log = s.stderr()
        sctest.check("recovering without a paused shadow" not in log, "the supervisor did not give up")
        sctest.check("starting a new match instead" not in log, "restored, not a new match")
        sctest.check(t1 - t0 > 6.2, "restored %.1f s after the fault, past the old 5 s" % (t1 - t0))
        print("slow catch-up: %d stop/run cycles, restored from the paused shadow %.1f s after the fault"
              % (cycles, t1 - t0))
    finally:
        s.close()


def test_stalled_shadow(d):
    s = start(d, "stalled-shadow", 45, 500)
    try:
        s.wait_for("the shadow 45 ticks behind, past tick 10", lambda: following(s, 40, 10), 60)
        pid = s.children()["shadow"]
        at = shadow_tick(s)
        os.kill(pid, signal.SIGSTOP)
        tick, t0 = inject(s)
        m, t1 = wait_line(s, r"incident 1: recovering without a paused shadow: the shadow made no progress toward "
                             r"tick (\d+) for (\d+\.\d) s \(it is at tick (\d+)\)", 30)
        waited = float(m.group(2))
        sctest.check(int(m.group(1)) == tick, "the line names the error tick %d: %s" % (tick, m.group(0)))
        sctest.check(at <= int(m.group(3)) < tick, "the line names the tick the shadow is at: %s" % m.group(0))
        sctest.check(2.0 <= waited < 3.0, "gave up after the 2 s bound, not the old 5 s: %s" % m.group(0))
        sctest.check(t1 - t0 >= 2.0, "not before 2 s (%.2f s)" % (t1 - t0))
        s.wait_for("the stalled shadow killed", lambda: gone(pid), 10)
        wait_line(s, r"on-fault restore: the shadow did not pause; starting a new match instead", 10)
        s.wait_for("a new shadow follows the new match", lambda: following(s, 0) is not None and
                   s.children().get("shadow") not in (None, pid), 60)
        sctest.check(s.stderr().count("recovering without a paused shadow") == 1, "one line says why")
        print("stalled shadow: gave up after %.1f s without progress (the line: %s)" % (waited, m.group(0)))
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_stalled_shadow(d)
    test_slow_catch_up(d)


if __name__ == "__main__":
    main()
