"""Determinism across drivers: a rich scripted match (tests/gpu/data/
golden_match.txt: 4 players, 3,000 ticks, inputs every 5 ticks, 2 goals, and the
system notices: spectator counts, a disconnect, a leave, joins) must
give the committed state log (every state word of every tick, with its hash)
and the committed frame checksums on whatever Vulkan driver this machine has
(Mesa 22.3.6's lavapipe on Debian 12, Mesa 25's on Debian 13). A difference
names the first tick and state field that differ.
Regenerate (only for a deliberate change to the game): test_golden.py BIN --update"""
import gzip
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
INPUTS = os.path.join(DATA, "golden_match.txt")
GOLDEN_STATE = os.path.join(DATA, "golden_match.state.gz")
GOLDEN_FRAMES = os.path.join(DATA, "golden_match.frames")
TICKS = 3000
EVERY = 1000  # frames at ticks 0, 1000, 2000 and the last
SIM = ["sim", "--ticks", str(TICKS), "--players", "4", "--seed", "7", "--size", "320x176", "--particles", "4000",
       "--inputs", INPUTS, "--every", str(EVERY)]


def frame_sums(frames):
    """{tick: sha256 of the RGBA pixels} (the pixels, not the PNG bytes: zlib may differ by release)."""
    out = {}
    for name in sorted(os.listdir(frames)):
        w, h, rows = sctest.read_png(os.path.join(frames, name))
        out[int(name[6:12])] = "%dx%d %s" % (w, h, hashlib.sha256(b"".join(rows)).hexdigest())
    return out


def first_difference(golden, got):
    """None, or a sentence naming the first tick and field that differ."""
    names = golden[0].split()
    if got[0] != golden[0]:
        return "the state log's fields differ (the state layout changed?):\n  golden %s\n  here   %s" % (
            golden[0][:200], got[0][:200])
    for g, h in zip(golden[1:], got[1:]):
        if g == h:
            continue
        gv, hv = g.split(), h.split()
        diff = [i for i in range(len(names)) if i >= len(gv) or i >= len(hv) or gv[i] != hv[i]]
        fields = [i for i in diff if i >= 2]
        what = ", ".join("%s is %s, golden %s" % (names[i], hv[i] if i < len(hv) else "-", gv[i] if i < len(gv)
                                                 else "-") for i in fields[:6]) or "every state word equal"
        return "first difference at tick %s: %s (state hash %s, golden %s)" % (gv[0], what, hv[1], gv[1])
    if len(got) != len(golden):
        return "%d ticks logged, golden has %d" % (len(got) - 1, len(golden) - 1)
    return None


def main():
    update = "--update" in sys.argv
    sctest.init([a for a in sys.argv if a != "--update"])
    d = sctest.tmpdir()
    state, frames = os.path.join(d, "state.log"), os.path.join(d, "frames")
    p = sctest.run(SIM + ["--state-log", state, "--dump-frames", frames], timeout=900)
    dev = json.loads(sctest.run(["devices", "--json"]).stdout)["devices"][0]
    driver = "%s, %s" % (dev["name"], dev["driver_info"])
    with open(state) as f:
        got = f.read().splitlines()
    sums = frame_sums(frames)
    if update:
        with gzip.open(GOLDEN_STATE, "wt", compresslevel=9) as f:
            f.write("\n".join(got) + "\n")
        with open(GOLDEN_FRAMES, "w") as f:
            f.write("# tick WxH sha256-of-RGBA-pixels (tests/gpu/test_golden.py)\n")
            for t in sorted(sums):
                f.write("%d %s\n" % (t, sums[t]))
        print("golden files written from: %s\n%s" % (driver, p.stdout))
        return
    with gzip.open(GOLDEN_STATE, "rt") as f:
        golden = f.read().splitlines()
    why = first_difference(golden, got)
    sctest.check(why is None, "golden match on this driver (%s): %s" % (driver, why))
    with open(GOLDEN_FRAMES) as f:
        want = {int(line.split()[0]): line.split(None, 1)[1].strip() for line in f if not line.startswith("#")}
    for t in sorted(want):
        sctest.check(sums.get(t) == want[t], "golden frame at tick %d on this driver (%s): pixels %s, golden %s"
                     % (t, driver, sums.get(t), want[t]))
    sctest.check(sorted(sums) == sorted(want), "frames dumped at %s, golden at %s" % (sorted(sums), sorted(want)))
    print("golden match: %d ticks, every state word and %d frames identical on %s"
          % (TICKS, len(want), driver))


if __name__ == "__main__":  # scripts/gpu_check.py imports it
    main()
