"""The samples kept for the debug API and the feed outlive the encoder
process (issue 11; session/shm/sample_store.h, docs/protocol.md §10, §11):
they live in the supervisor's sample-store block, and a restarted encoder
takes them over.

The encoder is killed (SIGKILL) while the primary and a shadow run, sampled
every tick. Afterwards GET /api/v1/samples holds every sample it held before,
byte for byte (the game's metadata included), for the primary and the
shadow; `taken` goes on from there; across the kill the primary's ticks go
on one by one, none missing and none twice (a record the dead encoder had
read but not stored is read again; one it had stored but not freed is
skipped); the feed subscribed `from` 1 replays them under the same seq; the
`encoder` event on the track says how many samples were taken over. Before,
a restarted encoder started with no samples and seq 1."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

TOKEN = "sample-store-restart-token-0123456789"


def samples(s, query):
    st, body = s.api("samples?" + query)
    sctest.check(st == 200, "samples?%s: %d %s" % (query, st, body))
    return body


def one_by_one(ss, what):
    ticks = [x["tick"] for x in ss]
    bad = [(a, b) for a, b in zip(ticks, ticks[1:]) if b != a + 1]
    sctest.check(not bad, "%s: ticks one by one, none missing or twice: %s" % (what, bad[:5]))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "500",
            "--encoder", "x264", "--delay", "30t", "--hang-timeout", "5000", "--sample-every", "1",
            "--sample-retention", "4096"]
    s = Session(d, "sample-store-restart", args, token=TOKEN)
    try:
        s.wait_url()
        port = int(s.url.rstrip("/").rsplit(":", 1)[1])
        s.wait_for("90 primary samples and 30 of the shadow",
                   lambda: samples(s, "limit=1")["taken"] > 90 and
                   samples(s, "role=shadow&slot=0&limit=1")["taken"] > 30, 60)
        before = samples(s, "limit=1000")
        before_sh = samples(s, "role=shadow&slot=0&limit=1000")
        sctest.check(any(x["meta"] and x["meta"].get("phase") for x in before["samples"]),
                     "the game's metadata on the samples: %s" % before["samples"][-1]["meta"])
        enc = s.wait_children(roles=("encoder",))["encoder"]
        os.kill(enc, signal.SIGKILL)
        new = s.wait_children(roles=("encoder",), not_pids=(enc,), timeout=20)["encoder"]
        s.wait_for("/healthz after the encoder restart", lambda: s.get("healthz")[0] == 200, 20)
        s.wait_for("60 samples more", lambda: samples(s, "limit=1")["taken"] > before["taken"] + 60, 30)
        after = samples(s, "limit=1000")
        after_sh = samples(s, "role=shadow&slot=0&limit=1000")
        for b, a, what in ((before, after, "primary"), (before_sh, after_sh, "shadow slot 0")):
            n = len(b["samples"])
            sctest.check(n == b["taken"] and n > 0, "%s: every sample held before (%d of %d)" % (what, n, b["taken"]))
            sctest.check(a["samples"][:n] == b["samples"],
                         "%s: the %d samples held before are held as they were: first differing %s"
                         % (what, n, next((json.dumps(x) + " -> " + json.dumps(y)
                                           for x, y in zip(b["samples"], a["samples"]) if x != y), "none")))
            sctest.check(a["taken"] > b["taken"] and a["held"] == a["taken"] and len(a["samples"]) == a["taken"],
                         "%s: taken goes on from %d: %d, all held" % (what, b["taken"], a["taken"]))
        one_by_one(after["samples"], "primary")
        one_by_one(after_sh["samples"], "shadow slot 0")
        st, evs = s.api("events?tag=encoder")
        sctest.check(st == 200 and len(evs["events"]) == 1, "one encoder event: %s" % evs)
        e = evs["events"][0]
        sctest.check(e["pid"] == new and e["samples"] >= before["taken"] + before_sh["taken"],
                     "the encoder event counts the samples taken over (at least %d): %s"
                     % (before["taken"] + before_sh["taken"], e))
        c = WsClient(port, "developer")
        c.send({"type": "subscribe", "token": TOKEN, "instance": 0, "from": 1})
        c.wait_for(lambda m: m.get("type") == "sample" and m["seq"] >= len(before["samples"]),
                   what="the feed's replay from seq 1")
        with c.lock:
            got = [m for m in c.messages if m.get("type") == "sample"]
        c.close()
        sctest.check([m["seq"] for m in got[:len(before["samples"])]] == list(range(1, len(before["samples"]) + 1))
                     and [m["sample"] for m in got[:len(before["samples"])]] == before["samples"],
                     "the feed from 1 replays the samples of the dead encoder under their seq")
        print("%d primary and %d shadow samples kept across the encoder kill; taken %d -> %d; encoder event %s"
              % (len(before["samples"]), len(before_sh["samples"]), before["taken"], after["taken"], e))
    finally:
        s.close()


if __name__ == "__main__":
    main()
