"""Small helpers shared by the Python tests: run the shadowcast binary, read its logs."""
import os
import subprocess
import sys
import tempfile

BIN = None


def init(argv):
    """argv[1] is the shadowcast binary (ctest passes $<TARGET_FILE:shadowcast>)."""
    global BIN
    if len(argv) < 2:
        sys.exit("usage: %s PATH/TO/shadowcast" % argv[0])
    BIN = os.path.abspath(argv[1])


def run(args, timeout=600, check=True):
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("shadowcast %s exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def tmpdir():
    return tempfile.mkdtemp(prefix="sc-test-")


def read_hash_log(path):
    rows = []
    with open(path) as f:
        for line in f:
            tick, h = line.split()
            rows.append((int(tick), h))
    return rows


def read_trace(path):
    """Per tick: dict(tick, score=(a, b), puck=(x, y, vx, vy), players=[(x, y)...], bounces, touches)."""
    out = []
    with open(path) as f:
        for line in f:
            t = line.split()
            i_players = t.index("players")
            i_bounces = t.index("bounces")
            coords = [int(v) for v in t[i_players + 1:i_bounces]]
            out.append({
                "tick": int(t[0]),
                "score": (int(t[2]), int(t[3])),
                "puck": tuple(int(v) for v in t[5:9]),
                "players": list(zip(coords[0::2], coords[1::2])),
                "bounces": int(t[i_bounces + 1]),
                "touches": int(t[i_bounces + 3]),
            })
    return out


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
