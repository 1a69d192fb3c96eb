"""`shadowcast bench pipeline --json` (the README's benchmark of the whole
session, issue 10's figures) runs from the build and prints one well-formed
object with every row and figure; no timing is asserted (figures go in
docs/benchmarks.md). Short windows (--seconds 1), no busier stream.

The fan-out windows measure our server with exactly its N clients and the
Node relay: a stray client of the server (one more socket the measured thread
writes to, whose bytes no figure counts), there when a window starts or
accepted during it, makes the bench fail, with a message that says so,
instead of printing a figure that means something else.

argv: shadowcast NODE"""
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "..", "e2e", "bench", "pipeline_clients.mjs")
ARGS = ["bench", "pipeline", "--json", "--seconds", "1", "--busy-idr", "0", "--rounds", "2"]


def number(row, key):
    v = row.get(key)
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def main():
    sctest.init(sys.argv)
    node = sys.argv[2]
    args = ARGS + ["--node", node]

    p = sctest.run(args, timeout=240)
    out = json.loads(p.stdout)  # the whole stdout is one JSON object
    sctest.check(out.get("bench") == "pipeline", "bench name: %r" % out.get("bench"))
    rows = {r.get("name"): r for r in out.get("rows", [])}
    want = ["latency", "latency_audio_events", "cpu_copy"] + \
        ["%s_%d" % (k, n) for n in (1, 8, 32) for k in ("fanout", "node_ws")]
    sctest.check(sorted(rows) == sorted(want), "rows: %s" % sorted(rows))
    for name in ("latency", "latency_audio_events"):
        for key in ("p50_ms", "p99_ms", "samples", "tick_to_encoded_p50_ms"):
            sctest.check(number(rows[name], key), "%s has %s > 0: %r" % (name, key, rows[name]))
    sctest.check(number(rows["latency_audio_events"], "audio_packets"),
                 "audio on in latency_audio_events: %r" % rows["latency_audio_events"])
    for n in (1, 8, 32):
        ours, node_row = rows["fanout_%d" % n], rows["node_ws_%d" % n]
        for key in ("fps", "cpu_ms_per_mb", "mb_per_s", "kb_per_frame", "vs_node"):
            sctest.check(number(ours, key), "fanout_%d has %s > 0: %r" % (n, key, ours))
        for key in ("fps", "cpu_ms_per_mb", "mb_per_s"):
            sctest.check(number(node_row, key), "node_ws_%d has %s > 0: %r" % (n, key, node_row))
        # the ratio is the two rows' figures, not something else
        ratio = ours["cpu_ms_per_mb"] / node_row["cpu_ms_per_mb"]
        sctest.check(abs(ours["vs_node"] - ratio) <= 1e-3 * ratio,
                     "fanout_%d vs_node %r is cpu_ms_per_mb over Node's (%r)" % (n, ours["vs_node"], ratio))
        # the windows measured the batched writes (the server's default)
        sctest.check(ours.get("io_uring") == 1, "fanout_%d measured io_uring writes: %r" % (n, ours))
    f32 = rows["fanout_32"]
    sctest.check(f32.get("rounds") == 2 and number(f32, "vs_node_min") and number(f32, "vs_node_max") and
                 f32["vs_node_min"] <= f32["vs_node_max"], "fanout_32 took 2 rounds: %r" % f32)
    windows = re.findall(r"fanout_32 window (\d)/2: ours [0-9.e+]+ ms/MB, Node [0-9.e+]+ ms/MB", p.stderr)
    sctest.check(windows == ["1", "2"], "one line per 32-client window pair: %r\n%s" % (windows, p.stderr))
    sctest.check("fanout_1 window" not in p.stderr.replace("fanout_1 window 1/1", ""),
                 "one window pair at 1 client:\n%s" % p.stderr)

    # a stray client of the server, there when the first window starts (a
    # spectator that reads every frame: it stays), or arriving during it (a
    # bare WebSocket upgrade just after the bench's mark): the bench refuses
    stray_spectator(node, args)
    stray_during_window(args)
    print("bench pipeline ok")


def run_with_stray(args, on_line):
    """Runs the bench in its own process group; calls on_line(line) for each
    line of its stderr until it returns something true, then waits for the
    bench. Returns (exit status, stderr, stdout). Bounded: 200 s in all."""
    out = tempfile.TemporaryFile(mode="w+")
    bench = subprocess.Popen([sctest.BIN] + args, stdout=out, stderr=subprocess.PIPE, start_new_session=True)
    fd = bench.stderr.fileno()
    err = []
    buf = b""
    done = False
    deadline = time.monotonic() + 200
    try:
        # unbuffered reads: a line must reach on_line as soon as it is written
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.decode(errors="replace") + "\n"
                err.append(line)
                if not done:
                    done = bool(on_line(line))
        err.append(buf.decode(errors="replace"))
        bench.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)  # the server and the Node processes too
            bench.wait()
        bench.stderr.close()
    out.seek(0)
    return bench.returncode, "".join(err), out.read()


def stray_spectator(node, args):
    stray = []

    def on_line(line):
        m = re.search(r"server on port (\d+)", line)
        if m:  # long before the first fan-out window (the latency rows come first)
            stray.append(subprocess.Popen([node, CLIENTS, "fanout", "ws://127.0.0.1:%s/stream" % m.group(1),
                                           "1", "120"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return m

    try:
        rc, log, out = run_with_stray(args, on_line)
    finally:
        for p in stray:
            p.kill()
            p.wait()
    sctest.check(stray, "the bench printed its server's port")
    sctest.check(rc == 1, "a stray spectator: the bench failed (exit %d):\n%s" % (rc, log))
    sctest.check("the server had 3 clients when the window started and accepted 0 during it: "
                 "the window measures 1 and the relay, no other" in log,
                 "it said why (a stray client at the start of fanout_1's window):\n%s" % log)
    sctest.check(out.strip() == "", "no report printed: %r" % out)


def stray_during_window(args):
    port = []
    socks = []

    def on_line(line):
        m = re.search(r"server on port (\d+)", line)
        if m:
            port.append(int(m.group(1)))
        if port and "measuring our server with 1 clients" in line:
            # a WebSocket upgrade, no join: the server accepts it (its join
            # timeout is 10 s, the window 1 s)
            s = socket.create_connection(("127.0.0.1", port[0]), timeout=5)
            s.sendall(("GET /stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: shadowcast.v1\r\n\r\n"
                       % port[0]).encode())
            reply = s.recv(4096)
            sctest.check(reply.startswith(b"HTTP/1.1 101"), "the stray's upgrade was accepted: %r" % reply)
            socks.append(s)
            return True
        return False

    try:
        rc, log, out = run_with_stray(args, on_line)
    finally:
        for s in socks:
            s.close()
    sctest.check(socks, "the bench printed its mark at the start of a window:\n%s" % log)
    sctest.check(rc == 1, "a stray during the window: the bench failed (exit %d):\n%s" % (rc, log))
    sctest.check("the server had 2 clients when the window started and accepted 1 during it" in log,
                 "it said why (a client accepted during fanout_1's window):\n%s" % log)
    sctest.check(out.strip() == "", "no report printed: %r" % out)


main()
