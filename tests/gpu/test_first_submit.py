"""Drivers that compile shaders at first use (Mesa 25's lavapipe with a cold
shader cache): that cost is paid by the game's start-up warm-up, under its own
logged bound, never by a tick judged by the hang timeout. Emulated with
--test-slow-first-submit MS (a submission using a pipeline for the first time
finishes MS ms later): with MS well over the hang timeout the match runs and
its hash log equals one without the switch (the warm-up changes nothing in the
game); a real hang later is still called, at its own tick. No timing
assertions: only which tick is called hung, if any."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

HANG_MS = 200
SLOW_MS = 1000  # five hang timeouts
TICKS = 30
HANG_TICK = 20


def sim(d, name, extra, check=True):
    log = os.path.join(d, name + ".log")
    p = sctest.run(["sim", "--ticks", str(TICKS), "--size", "128x72", "--particles", "500", "--players", "4",
                    "--hang-timeout", str(HANG_MS), "--hash-log", log] + extra, timeout=300, check=check)
    return p, sctest.read_hash_log(log)


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    moves = os.path.join(d, "moves.txt")
    with open(moves, "w") as f:
        for t in range(0, TICKS, 3):
            f.write("%d %d move %d %d\n" % (t, t % 4, 90 - t, t * 3 - 40))
    hang = os.path.join(d, "hang.txt")
    with open(hang, "w") as f:
        f.write("%d - fault hang\n" % HANG_TICK)

    _, plain = sim(d, "plain", ["--inputs", moves])
    p, slow = sim(d, "slow", ["--inputs", moves, "--test-slow-first-submit", str(SLOW_MS)], check=False)
    sctest.check(p.returncode == 0 and "hung" not in p.stderr,
                 "a first use %d ms slow must not be called a hang (hang timeout %d ms): exit %d\n%s"
                 % (SLOW_MS, HANG_MS, p.returncode, p.stderr))
    sctest.check("warmed in" in p.stderr, "the warm-up is logged with its duration:\n" + p.stderr)
    sctest.check(slow == plain, "the warm-up has no effect on the game: hash logs differ (first at tick %s)"
                 % next((a[0] for a, b in zip(plain, slow) if a != b), len(slow)))

    # a real hang after the warm-up is still called, at its tick
    p, logged = sim(d, "hang", ["--inputs", hang, "--test-slow-first-submit", str(SLOW_MS)], check=False)
    want = "tick %d: GPU fence not signalled after %d ms: the GPU is hung" % (HANG_TICK, HANG_MS)
    sctest.check(p.returncode != 0 and want in p.stderr, "the injected hang is called at tick %d:\n%s"
                 % (HANG_TICK, p.stderr))
    sctest.check([t for t, _ in logged] == list(range(HANG_TICK)), "ticks 0..%d ran before the hang, got %d"
                 % (HANG_TICK - 1, len(logged)))
    print("first use %d ms slow, hang timeout %d ms: no false hang; the real one called at tick %d"
          % (SLOW_MS, HANG_MS, HANG_TICK))


main()
