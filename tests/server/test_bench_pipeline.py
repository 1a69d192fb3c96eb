"""`shadowcast bench pipeline --json` (the README's benchmark of the whole
session, issue 10's figures) runs from the build and prints one well-formed
object with every row and figure; no timing is asserted (figures go in
docs/benchmarks.md). Short windows (--seconds 1), no busier stream.

The fan-out windows measure our server with exactly its N clients and the
Node relay: a stray client of the server (one more socket the measured thread
writes to, whose bytes no figure counts) makes the bench fail, with a message
that says so, instead of printing a figure that means something else.

argv: shadowcast NODE"""
import json
import os
import re
import subprocess
import sys
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
    f32 = rows["fanout_32"]
    sctest.check(f32.get("rounds") == 2 and number(f32, "vs_node_min") and number(f32, "vs_node_max") and
                 f32["vs_node_min"] <= f32["vs_node_max"], "fanout_32 took 2 rounds: %r" % f32)
    windows = re.findall(r"fanout_32 window (\d)/2: ours [0-9.e+]+ ms/MB, Node [0-9.e+]+ ms/MB", p.stderr)
    sctest.check(windows == ["1", "2"], "one line per 32-client window pair: %r\n%s" % (windows, p.stderr))
    sctest.check("fanout_1 window" not in p.stderr.replace("fanout_1 window 1/1", ""),
                 "one window pair at 1 client:\n%s" % p.stderr)

    # a stray client of the server: the first fan-out window refuses to measure
    bench = subprocess.Popen([sctest.BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stray = None
    err = []
    try:
        deadline = time.monotonic() + 60
        port = None
        while port is None and time.monotonic() < deadline:
            line = bench.stderr.readline()
            if not line:
                break
            err.append(line)
            m = re.search(r"server on port (\d+)", line)
            if m:
                port = int(m.group(1))
        sctest.check(port, "the bench printed its server's port:\n%s" % "".join(err))
        # a spectator that reads every frame for 120 s (the bench's own client script)
        stray = subprocess.Popen([node, CLIENTS, "fanout", "ws://127.0.0.1:%d/stream" % port, "1", "120"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rest_out, rest_err = bench.communicate(timeout=180)
        err.append(rest_err)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        if stray:
            stray.kill()
            stray.wait()
    log = "".join(err)
    sctest.check(bench.returncode == 1, "the bench failed (exit %d):\n%s" % (bench.returncode, log))
    sctest.check("the server had 3 clients when the window started" in log and
                 "the window measures 1 and the relay, no other" in log,
                 "it said why (a stray client at fanout_1):\n%s" % log)
    sctest.check(rest_out.strip() == "", "no report printed: %r" % rest_out)
    print("bench pipeline ok")


main()
