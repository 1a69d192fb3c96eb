"""The session's event track outlives the encoder process (issue 11; docs/
protocol.md "The event track"): it lives in the supervisor's event-track
block, and a restarted encoder takes it over.

A player joins and leaves; then, while the encoder is stopped (SIGSTOP), the
primary is killed (an incident) and the supervisor brings a new one (a
restore from the shadow, or a restart); then the encoder is killed (SIGKILL). Afterwards GET
/api/v1/events holds every event recorded before, with the same ids and
content; the new encoder recorded one `encoder` event naming its pid and how
many events it took over (all, none lost); the incident and the new
primary, which came while no encoder ran, are on the track (the successor goes on with what its
predecessor had seen in the session block: before, a restarted encoder
took the session as it found it, and the incident was never recorded); ids
go on from there; and nothing before is recorded twice."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402

TOKEN = "event-track-restart-token-0123456789"


def events(s):
    st, body = s.api("events?limit=1000")
    sctest.check(st == 200, "events: %d %s" % (st, body))
    return body


def tags(evs, *names):
    return [e for e in evs if e["tag"] in names]


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "500",
            "--encoder", "x264", "--delay", "30t", "--hang-timeout", "5000", "--captures", os.path.join(d, "cap")]
    s = Session(d, "event-track-restart", args, token=TOKEN)
    try:
        s.wait_url()
        port = int(s.url.rstrip("/").rsplit(":", 1)[1])
        s.wait_for("tick 40", lambda: s.api("status")[1]["primary"]["next_tick"] > 40)
        c = WsClient(port, "player")
        sctest.check(c.join(0).get("type") == "hello", "joined")
        c.close()
        s.wait_for("the join and the leave", lambda: tags(events(s)["events"], "leave"))
        before = events(s)
        kids = s.wait_children(roles=("primary", "encoder"))
        enc, prim = kids["encoder"], kids["primary"]
        os.kill(enc, signal.SIGSTOP)  # nothing is recorded from here until the successor runs
        os.kill(prim, signal.SIGKILL)
        new_prim = s.wait_children(roles=("primary",), not_pids=(prim,), timeout=60)["primary"]
        os.kill(enc, signal.SIGKILL)
        new = s.wait_children(roles=("encoder",), not_pids=(enc,), timeout=20)["encoder"]
        s.wait_for("/healthz after the encoder restart", lambda: s.get("healthz")[0] == 200, 20)
        s.wait_for("the new primary (pid %d) on the track" % new_prim,
                   lambda: any(e["pid"] == new_prim for e in tags(events(s)["events"], "restore", "restart")), 30)
        after = events(s)
        held = {e["id"]: e for e in after["events"]}
        for e in before["events"]:
            sctest.check(held.get(e["id"]) == e, "event %d kept as it was: %s -> %s"
                         % (e["id"], json.dumps(e), json.dumps(held.get(e["id"]))))
        enc_ev = tags(after["events"], "encoder")
        sctest.check(len(enc_ev) == 1, "one encoder event: %s" % enc_ev)
        e = enc_ev[0]
        sctest.check(e["pid"] == new and e["lost"] == 0 and e["adopted"] == e["id"] - 1
                     and e["id"] > before["newest_id"],
                     "the new encoder (pid %d) took over every earlier event: %s (before: newest %d)"
                     % (new, e, before["newest_id"]))
        for t in ("join", "leave"):
            sctest.check(len(tags(after["events"], t)) == len(tags(before["events"], t)),
                         "no %s recorded twice: %d before, %d after" % (t, len(tags(before["events"], t)),
                                                                         len(tags(after["events"], t))))
        inc = tags(after["events"], "incident")
        sctest.check(len(inc) == 1 and inc[0]["id"] > e["id"] and inc[0]["detected"] != "none",
                     "the incident the primary's death raised while no encoder ran, recorded once by the "
                     "successor: %s" % [(x["id"], x["tag"]) for x in after["events"]])
        prim_ev = tags(after["events"], "restore", "restart")
        sctest.check(len(prim_ev) == 1 and prim_ev[0]["id"] > e["id"],
                     "the new primary recorded once, by the successor: %s" % prim_ev)
        c = WsClient(port, "player")
        sctest.check(c.join(1).get("type") == "hello", "joined again")
        c.close()
        s.wait_for("the new join", lambda: len(tags(events(s)["events"], "join")) == 2)
        j = tags(events(s)["events"], "join")[1]
        sctest.check(j["id"] > e["id"], "ids go on after the takeover: join %d after encoder %d" % (j["id"], e["id"]))
        print("%d events before the kill kept with their ids; encoder event %s; the primary that came while no "
              "encoder ran: %s; the new join is id %d" % (len(before["events"]), e, prim_ev[0], j["id"]))
    finally:
        s.close()


if __name__ == "__main__":
    main()
