"""The game's profiling metadata (sc_sample_meta_set, docs/profiling.md
"Metadata") on a live server.

The primary sets `score`, `phase` (kickoff / play) and `last_event` as the
match goes; they travel in the primary's sample ring and show with every
sample from the tick they were set at on. With the scripted goal
(tests/gpu/data/goal.txt) the known tick is the one whose own game state
first has the new score (the sample's `score` field, from the same tick's
state): every sample of the primary on GET /api/v1/samples and on the
sample feed carries `meta.score` equal to its own `score` field, "0:0" up
to the tick before the goal and the new score from the goal's tick on, with `last_event` "goal for team N at tick T" from
T on and "match start at tick 0" before; `phase` is "kickoff" on the first
ticks and "play" later, switching once."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

TOKEN = "sample-meta-developer-token"
GOAL = os.path.join(os.path.dirname(__file__), "..", "gpu", "data", "goal.txt")


def check_meta(samples, what):
    goal = next((x["tick"] for x in samples if x["score"] != [0, 0]), None)
    sctest.check(goal is not None, "%s: the scripted goal is in the samples" % what)
    team = 0 if samples[-1]["score"][0] else 1
    phases = []
    for x in samples:
        m = x["meta"]
        score = "%d:%d" % tuple(x["score"])
        sctest.check(m.get("score") == score, "%s: tick %d: meta score %r, sample score %s" %
                     (what, x["tick"], m.get("score"), score))
        want = "goal for team %d at tick %d" % (team, goal) if x["tick"] >= goal else "match start at tick 0"
        sctest.check(m.get("last_event") == want, "%s: tick %d: last_event %r, expected %r" %
                     (what, x["tick"], m.get("last_event"), want))
        sctest.check(m.get("phase") in ("kickoff", "play"), "%s: phase %r" % (what, m.get("phase")))
        if not phases or phases[-1] != m["phase"]:
            phases.append(m["phase"])
    sctest.check(phases[:2] == ["kickoff", "play"], "%s: kickoff, then play: %r" % (what, phases))
    return goal


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "60t", "--hang-timeout", "5000", "--sample-every", "1",
            "--inputs", GOAL]
    s = Session(d, "meta", args, token=TOKEN)
    try:
        s.wait_url()
        port = int(s.url.rstrip("/").rsplit(":", 1)[1])
        s.wait_for("the primary past tick 200", lambda: s.api("status")[1]["primary"]["next_tick"] > 200, timeout=90)
        st, body = s.api("samples?role=primary&from=0&limit=200")
        sctest.check(st == 200 and body["samples"][0]["tick"] == 0 and len(body["samples"]) == 200,
                     "the first 200 samples: %s" % st)
        goal = check_meta(body["samples"], "api")
        sctest.check(goal > 60, "the goal after the kickoff: tick %d" % goal)

        c = WsClient(port, "feed")
        c.send({"type": "subscribe", "token": TOKEN, "from": 1})
        c.wait_for(lambda m: m.get("type") == "sample" and m["seq"] == 200, what="sample 200")
        with c.lock:
            feed = [m["sample"] for m in c.messages if m.get("type") == "sample" and m["seq"] <= 200]
        c.close()
        sctest.check([x["tick"] for x in feed] == list(range(200)), "the feed's first 200 samples")
        sctest.check(check_meta(feed, "feed") == goal, "the feed shows the same")
    finally:
        s.close()
    print("sample meta: ok (goal at tick %d)" % goal)


if __name__ == "__main__":
    main()
