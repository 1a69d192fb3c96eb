"""The developer's live sample feed over /stream (docs/protocol.md §11).

On a live server (30 ticks/s, every tick sampled, a 60-tick shadow):
1. `subscribe` without a token is closed with 4401 "subscribing needs the
   developer token", with a wrong token 4401 "wrong token", with the player
   token (not the developer's) 4401 "wrong token".
2. A subscriber of the primary gets `subscribed`, then samples with seq
   1, 2, ... each once, in order, tick rising by one per seq (every tick is
   sampled and nothing restores), no gap that a `dropped` message does not
   account for exactly; a player's join and leave come as `track_event`s
   with consecutive ids.
3. After it closes, a second subscriber with `from` = its last seq + 1 and
   `events_from` = its last event id + 1 gets exactly the next sample (the
   ones taken meanwhile, replayed from the store), then the live ones, no
   duplicate of what the first saw, and the events recorded meanwhile (a
   second player's join) from the next id on.
4. `from: 1` with `queue: 16` while over 100 samples are held: the oldest
   are dropped, reported as one `dropped` message naming seqs 1..K, then
   sample K+1 and on without a gap; shadowcast_feed_samples_dropped_total
   {reason="queue"} is the sum of what every subscriber was told.
5. `instance: 1` gets the shadow's samples (role shadow), in order."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

TOKEN = "sample-feed-developer-token"
PLAYER_TOKEN = "sample-feed-player-token"


def feed(c, start=0):
    with c.lock:
        return list(c.messages[start:])


def check_stream(msgs, what, first_seq=None, instance=0):
    """The samples of a feed in order: each seq once, gaps only where a
    `dropped` message says so. Returns (samples, dropped reported)."""
    samples, reported, expect = [], 0, first_seq
    for m in msgs:
        if m.get("type") == "dropped" and m.get("what") == "samples":
            sctest.check(m["last"] - m["first"] + 1 == m["count"] and m["count"] >= 1,
                         "%s: a well-formed dropped message: %r" % (what, m))
            sctest.check(expect is None or m["first"] == expect,
                         "%s: dropped starts at the next seq %s: %r" % (what, expect, m))
            reported += m["count"]
            expect = m["last"] + 1
        elif m.get("type") == "sample":
            sctest.check(expect is None or m["seq"] == expect,
                         "%s: sample seq %d, expected %s (no gap, no duplicate)" % (what, m["seq"], expect))
            sctest.check(m["sample"]["instance"] == instance, "%s: instance %d" % (what, instance))
            if samples and instance == 0:
                prev = samples[-1]
                sctest.check(m["sample"]["tick"] - prev["sample"]["tick"] == m["seq"] - prev["seq"],
                             "%s: ticks in order: seq %d tick %d after seq %d tick %d" %
                             (what, m["seq"], m["sample"]["tick"], prev["seq"], prev["sample"]["tick"]))
            elif samples:
                sctest.check(m["sample"]["tick"] > samples[-1]["sample"]["tick"], "%s: shadow ticks rise" % what)
            samples.append(m)
            expect = m["seq"] + 1
    return samples, reported


def events_in(msgs):
    ev = [m["event"] for m in msgs if m.get("type") == "track_event"]
    for a, b in zip(ev, ev[1:]):
        sctest.check(b["id"] == a["id"] + 1, "events in id order, each once: %d then %d" % (a["id"], b["id"]))
    return ev


def refused(port, msg, reason):
    c = WsClient(port, "refused")
    try:
        c.send(msg)
        deadline = time.monotonic() + 10
        while c.closed is None and time.monotonic() < deadline:
            time.sleep(0.02)
        sctest.check(c.closed == 4401 and c.close_reason == reason,
                     "%r: closed %s %r, expected 4401 %r" % (msg, c.closed, c.close_reason, reason))
        sctest.check(not any(m.get("type") in ("subscribed", "sample") for m in feed(c)), "nothing sent before")
    finally:
        c.close()


def join_player(port, slot, name):
    c = WsClient(port, name)
    c.send({"type": "join", "player": slot, "token": PLAYER_TOKEN})
    hello = c.wait_for(lambda m: m.get("type") in ("hello", "error"), what="hello")
    sctest.check(hello.get("type") == "hello" and hello["player"] == slot, "%s joined: %r" % (name, hello))
    return c


def wait_samples(c, n, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for m in feed(c) if m.get("type") == "sample") >= n:
            return
        if c.closed is not None:
            raise AssertionError("%s: closed %s" % (what, c.closed))
        time.sleep(0.05)
    raise AssertionError("%s: fewer than %d samples in %d s" % (what, n, timeout))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    env = dict(os.environ, SHADOWCAST_PLAYER_TOKEN=PLAYER_TOKEN)
    args = ["run", "--listen", "127.0.0.1:0", "--size", "256x144", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "60t", "--hang-timeout", "5000", "--sample-every", "1"]
    s = Session(d, "feed", args, env=env, token=TOKEN)
    try:
        s.wait_url()
        port = int(s.url.rstrip("/").rsplit(":", 1)[1])

        # 1. the token, as a join's, in the message
        refused(port, {"type": "subscribe"}, "subscribing needs the developer token")
        refused(port, {"type": "subscribe", "token": "not-the-token-at-all"}, "wrong token")
        refused(port, {"type": "subscribe", "token": PLAYER_TOKEN}, "wrong token")

        # 2. live, from now
        a = WsClient(port, "a")
        a.send({"type": "subscribe", "token": TOKEN, "instance": 0})
        sub = a.wait_for(lambda m: m.get("type") == "subscribed", what="subscribed")
        sctest.check(sub["instance"] == 0 and sub["role"] == "primary" and sub["slot"] is None and
                     sub["from"] == sub["taken"] + 1 and sub["queue"] == 4096,
                     "subscribed: %r" % sub)
        sctest.check(feed(a)[0].get("type") == "subscribed", "subscribed comes first")
        p1 = join_player(port, 0, "player1")
        p1.close()
        wait_samples(a, 60, "a")
        a.wait_for(lambda m: m.get("type") == "track_event" and m["event"]["tag"] == "leave", what="leave event")
        msgs_a = feed(a)
        samples_a, dropped_a = check_stream(msgs_a, "a", first_seq=sub["from"])
        sctest.check(dropped_a == 0, "a reader that keeps up loses nothing (%d dropped)" % dropped_a)
        ev_a = events_in(msgs_a)
        tags = [e["tag"] for e in ev_a]
        sctest.check("join" in tags and "leave" in tags, "join and leave on the feed: %r" % tags)
        last_seq, last_event = samples_a[-1]["seq"], ev_a[-1]["id"]
        a.close()

        # 3. resume after a reconnect: the next sample and event, none twice
        p2 = join_player(port, 1, "player2")
        time.sleep(1.0)
        b = WsClient(port, "b")
        b.send({"type": "subscribe", "token": TOKEN, "from": last_seq + 1, "events_from": last_event + 1})
        sub_b = b.wait_for(lambda m: m.get("type") == "subscribed", what="subscribed b")
        sctest.check(sub_b["from"] == last_seq + 1 and sub_b["events_from"] == last_event + 1,
                     "b starts where a stopped: %r" % sub_b)
        sctest.check(sub_b["taken"] > last_seq + 10, "samples were taken between the two (%r)" % sub_b)
        wait_samples(b, sub_b["taken"] - last_seq + 30, "b")
        b.wait_for(lambda m: m.get("type") == "track_event" and m["event"]["tag"] == "join", what="join event")
        msgs_b = feed(b)
        samples_b, dropped_b = check_stream(msgs_b, "b", first_seq=last_seq + 1)
        sctest.check(samples_b[0]["seq"] == last_seq + 1 and dropped_b == 0,
                     "b's first sample is a's last + 1: %d" % samples_b[0]["seq"])
        sctest.check(samples_b[0]["sample"]["tick"] == samples_a[-1]["sample"]["tick"] + 1,
                     "and its tick the next one")
        ev_b = events_in(msgs_b)
        sctest.check(ev_b and ev_b[0]["id"] == last_event + 1 and ev_b[0]["tag"] == "join" and
                     ev_b[0]["player"] == 1, "b's first event is the join a did not see: %r" % ev_b[:1])
        b.close()
        p2.close()

        # 4. a bound of 16 against a replay of everything held: the oldest dropped, said once
        c = WsClient(port, "c")
        c.send({"type": "subscribe", "token": TOKEN, "from": 1, "queue": 16})
        sub_c = c.wait_for(lambda m: m.get("type") == "subscribed", what="subscribed c")
        sctest.check(sub_c["from"] == 1 and sub_c["queue"] == 16 and sub_c["taken"] > 100, "c: %r" % sub_c)
        wait_samples(c, 40, "c")
        msgs_c = feed(c)
        samples_c, dropped_c = check_stream(msgs_c, "c", first_seq=1)
        first_drop = next(m for m in msgs_c if m.get("type") == "dropped")
        sctest.check(first_drop["first"] == 1 and first_drop["count"] >= sub_c["taken"] - 16,
                     "the replay's oldest dropped: %r (taken %d)" % (first_drop, sub_c["taken"]))
        c.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if s.metric('shadowcast_feed_subscribers') == 0:
                break
            time.sleep(0.1)
        sctest.check(s.metric('shadowcast_feed_subscribers') == 0, "no subscriber left")
        queue_drops = s.metric('shadowcast_feed_samples_dropped_total{reason="queue"}')
        sctest.check(queue_drops == dropped_a + dropped_b + dropped_c,
                     "the counter (%s) is what the subscribers were told (%d)" %
                     (queue_drops, dropped_a + dropped_b + dropped_c))

        # 5. the shadow's samples
        sh = WsClient(port, "shadow")
        sh.send({"type": "subscribe", "token": TOKEN, "instance": 1, "from": 1})
        sub_s = sh.wait_for(lambda m: m.get("type") == "subscribed", what="subscribed shadow")
        sctest.check(sub_s["role"] == "shadow" and sub_s["slot"] == 0, "shadow: %r" % sub_s)
        wait_samples(sh, 30, "shadow")
        check_stream(feed(sh), "shadow", first_seq=1, instance=1)
        sh.close()
    finally:
        s.close()
    print("sample feed: ok")


if __name__ == "__main__":
    main()
