"""The event track, the samples API, retention and /metrics for scrapers on a
live server (issue 11; issue 12 "sample and event retention").

1. Config: --event-retention, --sample-retention and --session-name are
   printed back by --print-config (and that round-trips); bad values are
   refused with FILE:LINE and the reason.
2. One server, --event-retention 64 --sample-retention 200 --session-name
   lab-1, `condition = late: tick >= 90 capture`, the shadow 60 ticks behind.
   Every kind of event shows on GET /api/v1/events, and
   /api/v1/events/ID?before=N&after=M returns N samples before and M after
   it: scripted inputs (--inputs), a player's join, its inputs (one event
   per tick, at the ticks the acks gave, the count of inputs exact), its
   leave; the condition hit at
   tick 90 (samples 85..95) and the anomaly capture it took (whose manifest
   names the condition); a delay change (60 -> 90 ticks); a developer's
   pause and resume of the shadow; an injected fault, the incident it
   caused (its error tick) and the restore. ?tag= filters.
3. Retention: 100 more ticks with inputs push the track past 64 events: it
   holds exactly 64, the oldest dropped first (oldest_id moves on, the first
   ids answer 404), the drops counted on /metrics, and the stores' memory
   (shadowcast_profile_store_bytes) is the same before and after; the
   samples API holds exactly 200 samples of the primary.
4. GET /api/v1/samples?role=primary|shadow&from=T&limit=N.
5. /metrics: every sample carries session="lab-1"; asked with Prometheus's
   Accept header the answer is application/openmetrics-text and parses with
   prometheus_client's strict OpenMetrics parser (Debian package
   python3-prometheus-client, installed by scripts/install-deps.sh), and the
   frame-time and latency histograms have exemplars naming a tick the
   primary ran; without it, 0.0.4 text that its text parser reads, with no
   exemplar."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

try:
    import prometheus_client  # noqa: F401
except ImportError:  # Debian's package, for a python3 that is not Debian's (pyenv)
    sys.path.append("/usr/lib/python3/dist-packages")
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families as text_parse  # noqa: E402

TOKEN = "event-track-token-123"
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
               "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_config(d):
    good = write(d, "good.conf", "event-retention = 64\nsample-retention = 200\nsession-name = lab-1\n")
    p = sctest.run(["run", "--config", good, "--print-config"])
    for line in ("event-retention = 64\n", "sample-retention = 200\n", "session-name = lab-1\n"):
        sctest.check(line in p.stdout, "%r printed: %s" % (line, p.stdout))
    again = sctest.run(["run", "--config", write(d, "again.conf", p.stdout), "--print-config"]).stdout
    sctest.check(again == p.stdout, "--print-config round-trips")
    p = sctest.run(["run", "--print-config"])
    sctest.check("event-retention = 4096\n" in p.stdout and "sample-retention = 3600\n" in p.stdout,
                 "the defaults: %s" % p.stdout)
    bad = write(d, "bad.conf", "event-retention = 5\nsample-retention = 0\nsession-name = a b\n"
                               "event-retention = 2000000\n")
    p = sctest.run(["run", "--config", bad, "--print-config"], check=False)
    sctest.check(p.returncode == 2, "bad values exit 2; got %d" % p.returncode)
    for line, why in ((1, "16..1048576"), (2, "64..1048576"), (3, "1..63 of"), (4, "16..1048576")):
        sctest.check("%s:%d: bad value" % (bad, line) in p.stderr and why in p.stderr,
                     "line %d refused with '%s': %s" % (line, why, p.stderr))


def events(s, query=""):
    st, body = s.api("events" + ("?" + query if query else ""))
    sctest.check(st == 200, "events %s: %d %s" % (query, st, body))
    return body


def wait_event(s, what, pred, timeout=60):
    box = {}

    def found():
        box["all"] = events(s)["events"]
        for e in box["all"]:
            if pred(e):
                box["e"] = e
                return True
        return False
    try:
        s.wait_for(what, found, timeout=timeout)
    except AssertionError:
        print("events held: %s" % json.dumps([e for e in box.get("all", []) if e["tag"] != "input"]))
        raise
    return box["e"]


def window(s, ev, before, after, role=None):
    """The samples around event ev once they are all there."""
    box = {}
    q = "before=%d&after=%d" % (before, after) + ("&role=" + role if role else "")

    def complete():
        st, body = s.api("events/%d?%s" % (ev["id"], q))
        sctest.check(st == 200, "events/%d: %d %s" % (ev["id"], st, body))
        box["b"] = body
        return body["complete"] is True
    s.wait_for("the %d+%d samples around event %d (%s): %s" % (before, after, ev["id"], ev["tag"], box),
               complete, timeout=60)
    b = box["b"]
    sctest.check(b["event"]["id"] == ev["id"] and b["event"]["tag"] == ev["tag"], "the event itself: %s" % b["event"])
    ticks = [x["tick"] for x in b["samples"]]
    sctest.check(len(ticks) == before + after + 1, "%d samples: %s" % (before + after + 1, ticks))
    return b, ticks


def post(s, path, body):
    code, r = s.api(path, "POST", body)
    sctest.check(code == 200, "POST %s: %d %s" % (path, code, r))
    return r


def check_metrics(s):
    # 0.0.4: every sample labelled, read by the text parser, no exemplar
    st, text = s.get("metrics", raw=True)
    samples = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    sctest.check(len(samples) > 100, "samples on /metrics: %d" % len(samples))
    unlabelled = [ln for ln in samples if '{session="lab-1"' not in ln.split(" ")[0]]
    sctest.check(not unlabelled, "every sample has session=\"lab-1\": %s" % unlabelled[:5])
    sctest.check(" # {" not in text, "no exemplar in the 0.0.4 text")
    fams = {f.name: f for f in text_parse(text)}
    sctest.check("shadowcast_frame_time_seconds" in fams, "the text parser reads it: %s" % sorted(fams)[:10])
    # OpenMetrics, as Prometheus asks for it
    import urllib.request
    req = urllib.request.Request(s.url + "metrics", headers={"Accept": PROM_ACCEPT})
    with urllib.request.urlopen(req, timeout=5) as r:
        ctype = r.headers.get("Content-Type")
        om = r.read().decode()
    sctest.check(ctype.startswith("application/openmetrics-text; version=1.0.0"), "content type: %s" % ctype)
    sctest.check(om.endswith("# EOF\n"), "ends with # EOF")
    fams = {f.name: f for f in om_parse(om)}  # strict: raises on anything out of the format
    for name in ("shadowcast_frames_rendered", "shadowcast_events_dropped", "shadowcast_ws_frames_sent"):
        sctest.check(name in fams and fams[name].type == "counter", "%s is a counter family" % name)
    st, state = s.api("status")
    now = state["primary"]["next_tick"]
    for fam in ("shadowcast_frame_time_seconds", "shadowcast_frame_latency_seconds"):
        f = fams.get(fam)
        sctest.check(f is not None and f.type == "histogram", "%s is a histogram" % fam)
        ex = [smp.exemplar for smp in f.samples if smp.exemplar is not None]
        sctest.check(ex, "%s has exemplars" % fam)
        for e in ex:
            sctest.check(set(e.labels) == {"tick"} and 0 < int(e.labels["tick"]) <= now,
                         "%s: the exemplar names a tick the primary ran (<= %d): %s" % (fam, now, e))
        for smp in f.samples:
            sctest.check(smp.labels.get("session") == "lab-1", "session label on %s" % (smp,))
    print("metrics: %d families in OpenMetrics, exemplars naming ticks, e.g. %s" %
          (len(fams), [s_.exemplar.labels for s_ in fams["shadowcast_frame_time_seconds"].samples if s_.exemplar][:2]))


def test_live(d):
    captures = os.path.join(d, "captures")
    conf = write(d, "live.conf", "condition = late: tick >= 90 capture\n")
    script = write(d, "inputs.txt", "20 1 move 10 0\n20 1 shoot\n22 1 block on\n")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "60t", "--hang-timeout", "5000", "--config", conf, "--captures", captures,
            "--event-retention", "64", "--sample-retention", "200", "--session-name", "lab-1", "--inputs", script]
    s = Session(d, "live", args, token=TOKEN)
    try:
        s.wait_url()
        port = int(s.url.rstrip("/").rsplit(":", 1)[1])
        # a player joins (past tick 30: there are samples before it), sends three inputs, leaves
        s.wait_for("tick 30", lambda: s.api("status")[1]["primary"]["next_tick"] > 30)
        c = WsClient(port, "player")
        hello = c.join(0)
        sctest.check(hello.get("type") == "hello", "joined: %s" % hello)
        seqs = [c.input({"move": [50, 0]}), c.input({"move": [0, 50]}), c.input({"move": [-50, 0]})]
        acks = [c.wait_for(lambda m, q=q: m.get("type") == "ack" and m.get("seq") == q, what="ack %d" % q)
                for q in seqs]
        ack_ticks = sorted({a["tick"] for a in acks})
        c.close()
        join = wait_event(s, "the join", lambda e: e["tag"] == "join")
        sctest.check(join["player"] == 0 and join["role"] == "player", "the join: %s" % join)
        leave = wait_event(s, "the leave", lambda e: e["tag"] == "leave")
        sctest.check(leave["player"] == 0 and leave["disconnected"] is False and leave["client"] == join["client"],
                     "the leave: %s" % leave)
        # the script's inputs (player 1, ticks 20 and 22), then the client's (player 0)
        scripted = [e for e in events(s, "tag=input")["events"] if e["players"] == [1]]
        sctest.check([(e["tick"], e["inputs"], e["actions"]) for e in scripted] ==
                     [(20, 2, ["move", "shoot"]), (22, 1, ["block"])], "the scripted inputs: %s" % scripted)
        s.wait_for("the inputs' events", lambda: sum(e["inputs"] for e in events(s, "tag=input")["events"]
                                                     if e["players"] == [0]) == 3)
        inputs = [e for e in events(s, "tag=input")["events"] if e["players"] == [0]]
        sctest.check(sorted(e["tick"] for e in inputs) == ack_ticks and all(e["players"] == [0] and
                                                                           e["actions"] == ["move"] for e in inputs),
                     "one input event per acked tick %s: %s" % (ack_ticks, inputs))
        sctest.check(all(e["tag"] == "input" for e in inputs), "?tag=input lists only inputs")
        _, ticks = window(s, join, 3, 3)
        sctest.check(ticks == list(range(ticks[3] - 3, ticks[3] + 4)), "consecutive ticks around the join: %s" % ticks)
        _, ticks = window(s, inputs[0], 2, 2)
        sctest.check(ticks[2] == inputs[0]["tick"], "the input's tick in the middle: %s" % ticks)

        # the condition hit and its anomaly capture
        hit = wait_event(s, "the condition hit", lambda e: e["tag"] == "condition")
        sctest.check(hit["condition"] == "late" and hit["tick"] == 90, "the hit: %s" % hit)
        _, ticks = window(s, hit, 5, 5)
        sctest.check(ticks == list(range(85, 96)), "samples 85..95 around the hit: %s" % ticks)
        _, sticks = window(s, hit, 2, 2, role="shadow")
        sctest.check(sticks == list(range(88, 93)), "the shadow's samples 88..92: %s" % sticks)
        cap = wait_event(s, "the anomaly capture's event", lambda e: e["tag"] == "capture")
        sctest.check(cap["condition"] == "late" and cap["tick"] == 90, "the capture event: %s" % cap)
        found = {}
        for root, _, files in os.walk(captures):
            if "manifest.json" in files:
                with open(os.path.join(root, "manifest.json")) as f:
                    found = json.load(f)
        sctest.check(found.get("capture_kind") == "anomaly" and found.get("condition") ==
                     {"name": "late", "condition": "tick >= 90", "tick": 90} and found.get("held_tick") == 90,
                     "the manifest names the condition: %s" % {k: found.get(k) for k in
                                                               ("capture_kind", "condition", "held_tick")})

        # a delay change, a developer's pause and resume
        post(s, "delay", {"ticks": 90})
        delay = wait_event(s, "the delay change", lambda e: e["tag"] == "delay")
        sctest.check(delay["ticks"] == 90 and delay["previous"] == 60 and delay["slot"] == 0, "delay: %s" % delay)
        window(s, delay, 3, 3)
        post(s, "shadow/pause", {})
        pause = wait_event(s, "the pause", lambda e: e["tag"] == "pause")
        sctest.check(pause["slot"] == 0 and pause["incident"] is None, "pause: %s" % pause)
        post(s, "shadow/resume", {})
        resume = wait_event(s, "the resume", lambda e: e["tag"] == "resume")
        sctest.check(resume["slot"] == 0 and resume["id"] > pause["id"], "resume: %s" % resume)
        window(s, pause, 3, 3)
        window(s, resume, 3, 3)
        body = events(s, "tag=pause,resume")
        sctest.check([e["tag"] for e in body["events"]] == ["pause", "resume"], "?tag=pause,resume: %s" % body["events"])

        # an injected fault: the injection, the incident, the restore
        inj = post(s, "inject", {"kind": "assert"})
        ev = wait_event(s, "the injection", lambda e: e["tag"] == "inject")
        sctest.check(ev["kind"] == "assert" and ev["tick"] == inj["tick"] and ev["seq"] == inj["seq"], "inject: %s" % ev)
        inc = wait_event(s, "the incident", lambda e: e["tag"] == "incident")
        sctest.check(inc["injected"] == "assert" and inc["error_tick"] == inc["tick"] == inj["tick"],
                     "the incident at the injection's tick: %s" % inc)
        rest = wait_event(s, "the restore", lambda e: e["tag"] == "restore")
        sctest.check(rest["base_tick"] == inc["error_tick"], "restored at the error tick: %s" % rest)
        ip = wait_event(s, "the incident's pause", lambda e: e["tag"] == "pause" and e["incident"] == inc["incident"])
        sctest.check(ip["held_tick"] == inc["error_tick"] - 1, "the shadow holds the tick before: %s" % ip)
        b, ticks = window(s, inc, 2, 2)
        sctest.check(ticks[2] == inc["error_tick"], "the incident's error tick in the middle: %s" % ticks)
        b, ticks = window(s, rest, 2, 2)
        sctest.check(ticks[2] == inc["error_tick"], "the restore's first tick in the middle: %s" % ticks)

        # retention: 100 more ticks with inputs
        _, m0 = s.get("metrics")
        bytes0 = [ln for ln in m0.splitlines() if ln.startswith("shadowcast_profile_store_bytes ")]
        c = WsClient(port, "player2")
        c.join(1)
        last = None
        for i in range(100):
            q = c.input({"move": [i % 100, 0]})
            last = c.wait_for(lambda m, q=q: m.get("type") == "ack" and m.get("seq") == q, what="ack %d" % q)["tick"]
            s.wait_for("the tick after %d" % last, lambda: s.api("status")[1]["primary"]["next_tick"] > last + 1,
                       timeout=10)
        c.close()
        s.wait_for("the last input's event", lambda: any(e["tick"] == last for e in events(s, "tag=input")["events"]))
        body = events(s)
        sctest.check(len(body["events"]) == 64 and body["retention"] == 64, "64 events held: %d" % len(body["events"]))
        sctest.check(body["oldest_id"] == body["newest_id"] - 63 and body["dropped"] == body["oldest_id"] - 1 > 0 and
                     body["events"][0]["id"] == body["oldest_id"], "the oldest dropped first: %s" %
                     {k: body[k] for k in ("recorded", "dropped", "oldest_id", "newest_id")})
        st, _ = s.api("events/%d" % join["id"])
        sctest.check(st == 404, "the first event is gone: %d" % st)
        _, m1 = s.get("metrics")
        dropped = [ln for ln in m1.splitlines() if ln.startswith("shadowcast_events_dropped_total ")]
        sctest.check(dropped and int(dropped[0].split()[1]) >= body["dropped"], "drops counted: %s" % dropped)
        bytes1 = [ln for ln in m1.splitlines() if ln.startswith("shadowcast_profile_store_bytes ")]
        sctest.check(bytes0 and bytes0 == bytes1, "the stores' memory is what it was: %s %s" % (bytes0, bytes1))
        sctest.check("shadowcast_event_retention 64\n" in m1 and "shadowcast_sample_retention 200\n" in m1,
                     "the retentions on /metrics")

        # the samples API (once the 200 held are all the restored primary's: one run of each tick)
        s.wait_for("200 samples after the restore",
                   lambda: s.api("samples?role=primary")[1]["oldest_tick"] > rest["base_tick"], timeout=30)
        st, smp = s.api("samples?role=primary")
        sctest.check(st == 200 and smp["held"] == 200 and smp["retention"] == 200 and smp["taken"] > 200,
                     "200 of the primary's samples held: %s" % {k: smp.get(k) for k in ("held", "taken", "retention")})
        t0 = smp["oldest_tick"]
        st, smp = s.api("samples?role=primary&from=%d&limit=5" % (t0 + 10))
        ticks = [x["tick"] for x in smp["samples"]]
        sctest.check(ticks == list(range(t0 + 10, t0 + 15)) and smp["next_from"] == t0 + 15, "from, limit: %s" % ticks)
        x = smp["samples"][0]
        for k in ("tick", "instance", "role", "start_ns", "frame_ms", "tick_ms", "cpu_ms", "gpu_ms", "passes_ms",
                  "input_depth", "shadow_lag", "score", "players", "particles", "inputs", "sample_every", "rendered",
                  "gpu_calibrated", "gpu_start_host_ns"):
            sctest.check(k in x, "a sample has %s: %s" % (k, x))
        sctest.check(x["role"] == "primary" and x["rendered"] is True and x["particles"] == 2000, "primary: %s" % x)
        st, smp = s.api("samples?role=shadow&limit=3")
        sctest.check(st == 200 and smp["role"] == "shadow" and len(smp["samples"]) == 3 and
                     all(y["role"] == "shadow" and y["rendered"] is False for y in smp["samples"]),
                     "the shadow's samples: %s" % smp)
        st, _ = s.api("samples?role=both")
        sctest.check(st == 400, "a bad role is 400: %d" % st)

        check_metrics(s)
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_config(d)
    test_live(d)
    print("event track: ok")


if __name__ == "__main__":
    main()
