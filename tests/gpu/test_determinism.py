"""Determinism: two separate processes with the same inputs (moves, shots, shields,
and the system notices: joins, leaves, spectator counts) produce identical hash
logs over 3,000 ticks; changing one input changes the hash from its tick on, and
not before."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

TICKS = 3000
CHANGED_TICK = 1234


def scripted_match(path, change=False):
    """A busy random match for 4 players, from a fixed Python seed."""
    rng = random.Random(42)
    with open(path, "w") as f:
        f.write("# scripted 4-player match\n")
        for tick in range(0, TICKS, 7):
            for p in range(4):
                r = rng.random()
                if r < 0.5:
                    f.write("%d %d move %d %d\n" % (tick, p, rng.randint(-127, 127), rng.randint(-127, 127)))
                elif r < 0.7:
                    f.write("%d %d shoot\n" % (tick, p))
                elif r < 0.8:
                    f.write("%d %d block %s\n" % (tick, p, rng.choice(["on", "off"])))
                elif r < 0.83:
                    # the system notices (docs/inputs.md): players coming and going
                    f.write("%d %d leave %s\n" % (tick, p, rng.choice(["left", "disconnected"])))
                elif r < 0.85:
                    f.write("%d %d join\n" % (tick, p))
            if tick % 98 == 0:
                f.write("%d - spectators %d\n" % (tick, rng.randint(0, 70000) % 65536))
            if tick <= CHANGED_TICK < tick + 7:
                # the changed event: player 2's move at CHANGED_TICK
                f.write("%d 2 move %d 0\n" % (CHANGED_TICK, 90 if change else -90))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    inputs, changed = os.path.join(d, "match.txt"), os.path.join(d, "changed.txt")
    scripted_match(inputs)
    scripted_match(changed, change=True)
    common = ["sim", "--ticks", str(TICKS), "--players", "4", "--seed", "7", "--size", "128x72"]
    logs = []
    for name, inp in (("a", inputs), ("b", inputs), ("c", changed)):
        log = os.path.join(d, name + ".log")
        sctest.run(common + ["--inputs", inp, "--hash-log", log])
        logs.append(sctest.read_hash_log(log))
    a, b, c = logs
    sctest.check(len(a) == TICKS and len(b) == TICKS and len(c) == TICKS, "every tick is logged")
    sctest.check([t for t, _ in a] == list(range(TICKS)), "ticks are 0..N-1 in order")
    sctest.check(len(set(h for _, h in a)) > TICKS * 0.99, "the hash changes from tick to tick")
    first_diff = next((i for i in range(TICKS) if a[i] != b[i]), None)
    sctest.check(first_diff is None, "same inputs, separate processes: identical logs (first diff at %s)" % first_diff)
    before = [i for i in range(CHANGED_TICK) if a[i] != c[i]]
    sctest.check(not before, "one changed input must not change earlier ticks (differs at %s)" % before[:3])
    sctest.check(a[CHANGED_TICK] != c[CHANGED_TICK], "the changed input changes the hash at its own tick")
    after = sum(1 for i in range(CHANGED_TICK, TICKS) if a[i] == c[i])
    sctest.check(after == 0, "the hash stays different after the change (%d equal ticks)" % after)

    # A different seed is a different game from tick 0.
    log = os.path.join(d, "seed.log")
    sctest.run(["sim", "--ticks", "50", "--players", "4", "--seed", "8", "--size", "128x72",
                "--inputs", inputs, "--hash-log", log])
    s8 = sctest.read_hash_log(log)
    sctest.check(s8[0] != a[0], "the seed is part of the state")
    print("determinism: %d ticks identical across processes; change at %d diverges there" % (TICKS, CHANGED_TICK))


main()
