"""Small helpers shared by the Python tests: run the shadowcast binary, read its logs."""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

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


def read_png(path):
    """Minimal PNG reader (8-bit RGBA, no interlace): returns (w, h, rows of bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype == 6 and interlace == 0, "8-bit RGBA")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev, stride = zlib.decompress(idat), [], bytearray(w * 4), w * 4
    for y in range(h):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b, c = prev[i], (prev[i - 4] if i >= 4 else 0)
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows
