"""Session profiles end to end (issue 11): `shadowcast run --profile FILE` with a
condition, a player client and an injected fault, stopped with SIGTERM; then
`shadowcast profile FILE --json`:

1. The exact structure of the summary (its keys, and each metric's keys).
2. Plausible content: the primary's samples are ticks first_tick..last_tick,
   their count within a known bound of the ticks the server ran (the primary's
   next_tick read just before SIGTERM: from 15 below to one second above);
   the shadow's samples are there; every GPU pass of the primary is listed and
   the hottest passes are those passes, sorted; encode times; the condition
   hit exactly once at tick 45; the incident at the injected fault's tick; the
   client: its frames and bytes, server-measured RTTs, and the
   input-to-display latencies it reported (12.5, 30, 47.5 ms: p50 30, p99 47.5
   exactly).
3. /metrics while it ran: the per-client series (`client="ID"`) and the
   histograms of RTT and input-to-display latency without a client label.
4. The table (without --json) names the metrics and passes.
5. Bad files: empty, not a profile, a copy cut mid-record: exit 1 with the
   reason on stderr, nothing on stdout.
6. An encoder process killed (-9) mid-session: the restarted one continues
   the file (two META records), which still reads whole after SIGTERM; the
   samples the killed process had not written yet (its last 250 ms) are
   the only ones missing."""
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

TOKEN = "profile-file-test-token-0123"
FPS = 30
PASSES = ["tick_logic", "spin", "particles", "audio", "finalize", "bin", "render", "seal"]
METRIC_KEYS = {"count", "p50", "p99", "max", "mean"}


def check_metric(m, what, nonzero=True):
    sctest.check(isinstance(m, dict) and set(m) == METRIC_KEYS, "%s has exactly %s: %s" % (what, METRIC_KEYS, m))
    if nonzero:
        sctest.check(m["count"] > 0 and m["p50"] > 0 and m["p99"] >= m["p50"] and m["max"] >= m["p99"],
                     "%s plausible: %s" % (what, m))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    prof = os.path.join(d, "session.scprof")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", str(FPS), "--particles", "2000",
            "--encoder", "x264", "--delay", "20t", "--hang-timeout", "5000", "--captures", os.path.join(d, "cap"),
            "--condition", "late: tick >= 45", "--profile", prof, "--profile-max-mib", "64"]
    s = Session(d, "profile", args, token=TOKEN)
    try:
        s.wait_url()
        s.wait_children(roles=("primary", "encoder", "shadow"))
        port = int(re.search(r":(\d+)/$", s.url).group(1))
        c = WsClient(port, "player")
        hello = c.join(0)
        sctest.check(hello.get("type") == "hello", "joined: %s" % hello)
        cid = hello["client_id"]
        for k in range(5):
            c.input({"move": [50, 0]})
        c.send({"type": "latency", "input_ms": [12.5, 30, 47.5]})

        def metrics_ready():
            body = s.get("metrics")[1]
            return (re.search(r'^shadowcast_ws_client_rtt_seconds\{client="%d"\} [0-9.e-]+$' % cid, body, re.M)
                    and re.search(r"^shadowcast_input_to_display_seconds_count 3$", body, re.M)
                    and s.api("status")[1]["primary"]["next_tick"] > 80)
        s.wait_for("the client's RTT and reported latency on /metrics, tick 80", metrics_ready, timeout=60)
        body = s.get("metrics")[1]
        for name in ("shadowcast_ws_client_bytes_sent_total", "shadowcast_ws_client_bytes_dropped_total",
                     "shadowcast_ws_client_frames_sent_total", "shadowcast_ws_client_frames_dropped_total",
                     "shadowcast_ws_client_input_to_display_seconds"):
            sctest.check(re.search(r'^%s\{client="%d"\} ' % (name, cid), body, re.M), "%s for the client" % name)
        sctest.check(re.search(r"^# TYPE shadowcast_ws_rtt_seconds histogram$", body, re.M), "RTT histogram")
        sctest.check(re.search(r'^shadowcast_input_to_display_seconds_bucket\{le="0.033"\} 2$', body, re.M)
                     and re.search(r'^shadowcast_input_to_display_seconds_bucket\{le="0.066"\} 3$', body, re.M),
                     "the reported 12.5 and 30 ms <= 33 ms, 47.5 <= 66 ms in the histogram")
        sctest.check(not re.search(r'^shadowcast_(ws_rtt|input_to_display)_seconds_bucket\{client=', body, re.M),
                     "no client label on the histograms")
        # a fault: an incident in the profile
        st, inj = s.api("inject", "POST", {"kind": "assert"})
        sctest.check(st == 200, "inject: %s %s" % (st, inj))
        s.wait_for("the incident handled", lambda: s.api("status")[1]["incidents_total"] == 1
                   and s.api("status")[1]["primary"]["next_tick"] > inj["tick"] + 30, timeout=60)
        time.sleep(1.5)  # at least one more per-second client record
        c.close()
        time.sleep(0.3)
        ran = s.api("status")[1]["primary"]["next_tick"]
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=30)
        sctest.check(s.proc.returncode == 0, "run exited %s on SIGTERM" % s.proc.returncode)
    finally:
        s.close()

    p = sctest.run(["profile", prof, "--json"])
    sm = json.loads(p.stdout)
    print(json.dumps({k: sm[k] for k in ("samples", "records", "incidents", "conditions")}, indent=1))
    sctest.check(set(sm) == {"file", "version", "bytes", "complete", "limit_reached", "max_bytes", "encoder_starts",
                             "duration_s", "records", "records_dropped", "meta", "samples", "metrics",
                             "hottest_passes", "incidents", "conditions", "clients", "game_meta"},
                 "top-level keys: %s" % sorted(sm))
    # the game's metadata (format version 2): the primary's keys, their last values
    gm = sm["game_meta"]["primary"]
    sctest.check(set(gm) == {"score", "phase", "last_event"} and gm["phase"] in ("kickoff", "play") and
                 gm["last_event"].startswith("match "), "game metadata: %r" % sm["game_meta"])
    sctest.check(sm["records"]["sample_meta"] >= 3, "metadata records: %s" % sm["records"])
    sctest.check(sm["version"] == 2 and sm["complete"] is True and sm["limit_reached"] is False, "complete file")
    sctest.check(sm["records_dropped"] == 0 and sm["encoder_starts"] == 1, "nothing dropped, one encoder")
    sctest.check(sm["max_bytes"] == 64 << 20 and sm["bytes"] == os.path.getsize(prof), "sizes")
    sctest.check(set(sm["records"]) == {"meta", "sample", "encode", "condition", "incident", "client", "measure",
                                        "end", "sample_meta"}, "record counts: %s" % sm["records"])
    smp = sm["samples"]
    sctest.check(set(smp) == {"primary", "shadow0", "shadow1", "first_tick", "last_tick"}, "samples: %s" % smp)
    # the primary samples every tick; a restore re-runs the held tick's successors (at most the delay)
    sctest.check(smp["first_tick"] == 0, "from tick 0: %s" % smp)
    sctest.check(ran - 15 <= smp["primary"] <= ran + FPS + 25,
                 "primary samples %d vs %d ticks run before SIGTERM" % (smp["primary"], ran))
    sctest.check(smp["last_tick"] >= ran - 15, "last tick %d vs %d" % (smp["last_tick"], ran))
    sctest.check(smp["shadow0"] + smp["shadow1"] > 20, "the shadow's samples: %s" % smp)
    sctest.check(sm["records"]["sample"] == smp["primary"] + smp["shadow0"] + smp["shadow1"], "sample records")
    m = sm["metrics"]
    sctest.check(set(m) == {"primary", "shadow", "encode_ms", "encoded_bytes"}, "metrics: %s" % sorted(m))
    for role in ("primary", "shadow"):
        sctest.check(set(m[role]) == {"frame_ms", "tick_ms", "cpu_ms", "gpu_ms", "gpu_pass_ms"}, "%s keys" % role)
        for k in ("frame_ms", "tick_ms", "cpu_ms", "gpu_ms"):
            check_metric(m[role][k], "%s %s" % (role, k))
    sctest.check(list(m["primary"]["gpu_pass_ms"]) == PASSES, "primary passes: %s" % list(m["primary"]["gpu_pass_ms"]))
    sctest.check(list(m["shadow"]["gpu_pass_ms"]) == PASSES[:5], "shadow passes: %s" % list(m["shadow"]["gpu_pass_ms"]))
    for name, v in m["primary"]["gpu_pass_ms"].items():
        check_metric(v, "pass " + name, nonzero=False)
        sctest.check(v["count"] == smp["primary"], "pass %s observed on every primary sample" % name)
    check_metric(m["encode_ms"], "encode")
    check_metric(m["encoded_bytes"], "encoded bytes")
    hot = sm["hottest_passes"]
    sctest.check([h["pass"] for h in hot] and sorted(h["pass"] for h in hot) == sorted(PASSES), "hottest: %s" % hot)
    sctest.check(all(set(h) == {"pass", "total_ms", "share", "p50_ms", "p99_ms"} for h in hot), "hottest keys")
    sctest.check([h["total_ms"] for h in hot] == sorted((h["total_ms"] for h in hot), reverse=True), "sorted")
    sctest.check(abs(sum(h["share"] for h in hot) - 1) < 1e-6, "shares add up to 1")
    sctest.check(sm["conditions"] == [{"name": "late", "condition": "tick >= 45", "hits": 1, "ticks": [45]}],
                 "one hit at tick 45: %s" % sm["conditions"])
    inc = sm["incidents"]
    sctest.check(len(inc) == 1 and set(inc[0]) == {"incident", "detected", "path", "injected", "error_tick",
                                                   "detected_tick", "time_s"}, "incidents: %s" % inc)
    sctest.check(inc[0]["incident"] == 1 and inc[0]["detected"] == "assert" and inc[0]["injected"] == "assert"
                 and inc[0]["error_tick"] == inj["tick"], "the injected assert at tick %d: %s" % (inj["tick"], inc))
    cls = [x for x in sm["clients"] if x["client"] == cid]
    sctest.check(len(cls) == 1, "our client %d in %s" % (cid, sm["clients"]))
    cl = cls[0]
    sctest.check(set(cl) == {"client", "player", "records", "frames_sent", "frames_dropped", "bytes_sent",
                             "bytes_dropped", "left", "rtt_ms", "input_to_display_ms"}, "client keys: %s" % sorted(cl))
    sctest.check(cl["player"] == 0 and cl["left"] is True and cl["frames_sent"] > 10 and cl["bytes_sent"] > 1000,
                 "client figures: %s" % cl)
    check_metric(cl["rtt_ms"], "rtt")
    sctest.check(cl["input_to_display_ms"] == {"count": 3, "p50": 30.0, "p99": 47.5, "max": 47.5, "mean": 30.0},
                 "reported latencies: %s" % cl["input_to_display_ms"])

    t = sctest.run(["profile", prof]).stdout
    for word in ["p50", "p99", "frame_ms", "encode_ms", "incident 1", "late"] + PASSES:
        sctest.check(word in t, "the table names %s:\n%s" % (word, t))

    with open(prof, "rb") as f:
        data = f.read()
    bad = {"empty": b"", "not a shadowcast profile": b"hello world, this is not a profile at all" * 3,
           "truncated": data[:len(data) - 7]}
    for why, content in bad.items():
        path = os.path.join(d, "bad.scprof")
        with open(path, "wb") as f:
            f.write(content)
        r = sctest.run(["profile", path, "--json"], check=False)
        sctest.check(r.returncode == 1 and why in r.stderr and r.stdout == "",
                     "%s: exit %d, stderr %r" % (why, r.returncode, r.stderr))
    r = sctest.run(["profile", os.path.join(d, "none.scprof")], check=False)
    sctest.check(r.returncode == 1 and "none.scprof" in r.stderr, "missing file: %r" % r.stderr)
    encoder_restart(d)
    print("profile file: ok")


def encoder_restart(d):
    prof = os.path.join(d, "restart.scprof")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", str(FPS), "--particles", "2000",
            "--encoder", "x264", "--delay", "20t", "--hang-timeout", "5000", "--captures", os.path.join(d, "cap2"),
            "--profile", prof]
    s = Session(d, "restart", args, token=TOKEN)
    try:
        s.wait_url()
        enc = s.wait_children(roles=("primary", "encoder", "shadow"))["encoder"]
        s.wait_for("tick 60", lambda: s.api("status")[1]["primary"]["next_tick"] > 60, timeout=60)
        os.kill(enc, signal.SIGKILL)
        s.wait_children(roles=("encoder",), not_pids=(enc,))
        s.wait_for("tick 150 after the restart", lambda: s.api("status")[1]["primary"]["next_tick"] > 150, timeout=60)
        ran = s.api("status")[1]["primary"]["next_tick"]
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=30)
    finally:
        s.close()
    sm = json.loads(sctest.run(["profile", prof, "--json"]).stdout)
    smp = sm["samples"]
    print("after an encoder restart: %s, %d ticks run" % (smp, ran))
    sctest.check(sm["encoder_starts"] == 2 and sm["records"]["meta"] == 2 and sm["complete"] is True,
                 "the restarted encoder continued the file: %s" % {k: sm[k] for k in ("encoder_starts", "complete")})
    sctest.check(smp["first_tick"] == 0 and ran - 15 - FPS // 2 <= smp["primary"] <= ran + FPS,
                 "primary samples %d vs %d ticks run (the killed encoder's last 250 ms lost)" % (smp["primary"], ran))


if __name__ == "__main__":
    main()
