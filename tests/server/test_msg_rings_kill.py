"""kill -9 of the encoder process while the typed message rings hold messages
it has not read (session/shm/msg_ring.h): the rings are the supervisor's
blocks, so nothing is allocated per message and nothing leaks (the arena's
free bytes stay exactly where they were), the restarted encoder discards
what its predecessor left unread (counted), and messages flow again: the
primary writes on and the new encoder reads on.

The game plays goal.txt over and over (--inputs): a hit, a goal and a
kickoff every cycle, with their haptics, then a quiet stretch with no
scripted input. Before each kill the encoder is stopped (SIGSTOP) right after
a cycle's shot (the encoder feeds the script, but the shot is in the input
log by then), so the goal, its haptics and the kickoff after it are written
while nobody reads; /metrics is the encoder's, so the counters are read
around it. The stop is sized from the tick rate measured just before it to
end in the cycle's quiet stretch: the restarted encoder resumes the script
where the dead one left it (server_script_resume), and a restart in the
middle of a cycle's moves would apply some of them late, the shot would
miss, and no later cycle would start from the kickoff positions again."""
import os
import re
import signal
import sys
import json
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

KILLS = 2  # 20 restarts with payload blocks in flight: server_msg_blocks_kill
CYCLE = 320  # ticks: goal.txt scores at tick 110 of each cycle; no scripted input after its tick 70
SHOT = 72  # ticks into a cycle: the shoot input (tick 70) is in the input log
RESUME = 200  # ticks into a cycle: where the restarted encoder should start feeding (quiet: 71..319)


def tick(s):
    st = json.loads(s.get("api/v1/state")[1])
    return st["tick"] if st["valid"] else 0


def ring_metric(s, name, ring):
    _, body = s.get("metrics")
    m = re.search(r'^%s\{ring="%s"\} (\d+)$' % (re.escape(name), ring), body, re.M)
    if not m:
        s.fail("/metrics has no %s{ring=\"%s\"}" % (name, ring))
    return int(m.group(1))


def rings(s, name):
    return {r: ring_metric(s, name, r) for r in ("event", "haptic", "notice")}


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    data = os.path.join(os.path.dirname(__file__), "..", "gpu", "data", "goal.txt")
    lines = [l.split() for l in open(data) if l.strip() and not l.startswith("#")]
    script = os.path.join(d, "repeat.txt")
    with open(script, "w") as f:
        for k in range(200):
            for l in lines:
                f.write("%d %s\n" % (int(l[0]) + k * CYCLE, " ".join(l[1:])))
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--no-shadow", "--inputs", script, "--hang-timeout", "5000"]
    s = Session(d, "msg-rings-kill", args)
    try:
        s.wait_url()
        kids = s.wait_children(roles=("primary", "encoder"))
        s.wait_for("the first hit and goal events read",
                   lambda: ring_metric(s, "shadowcast_msgs_read_total", "event") >= 3, 60)
        free0 = s.metrics()["shadowcast_arena_free_bytes"]
        discarded_total = 0
        for i in range(KILLS):
            enc = s.wait_children(roles=("encoder",))["encoder"]
            # between a cycle's shot (tick 70) and its goal (tick 110)
            t0, k0 = time.monotonic(), tick(s)
            s.wait_for("a cycle's shot", lambda: SHOT <= tick(s) % CYCLE <= SHOT + 10, 60)
            k1 = tick(s)
            rate = (k1 - k0) / max(time.monotonic() - t0, 1e-3)
            written = rings(s, "shadowcast_msgs_written_total")
            os.kill(enc, signal.SIGSTOP)
            # the goal and the kickoff: written, not read. Nothing can watch the primary while its
            # encoder (the API) is stopped, so the stop is sized from the rate measured while
            # waiting (a primary under ASan on a loaded machine runs at a third of 30 ticks/s):
            # past the goal (tick 110), and ending (with the restart) in the quiet stretch
            if (k1 - k0) < 60 or rate <= 0:
                rate = 30.0  # too short a sample (the window came at once): the nominal rate
            stop_s = min((RESUME - k1 % CYCLE) / rate, 30.0)
            time.sleep(stop_s)
            os.kill(enc, signal.SIGKILL)
            s.wait_children(roles=("encoder",), not_pids=(enc,), timeout=20)
            s.wait_for("/healthz after encoder restart %d" % (i + 1), lambda: s.get("healthz")[0] == 200, 20)
            after = rings(s, "shadowcast_msgs_written_total")
            sctest.check(after["event"] > written["event"] and after["haptic"] > written["haptic"],
                         "the primary wrote on while the encoder was stopped: %s -> %s" % (written, after))
            # messages resume: the new encoder reads what the primary writes from now on
            read0 = ring_metric(s, "shadowcast_msgs_read_total", "event")
            s.wait_for("events read again after restart %d" % (i + 1),
                       lambda: ring_metric(s, "shadowcast_msgs_read_total", "event") >= read0 + 2, 30)
            free = s.metrics()["shadowcast_arena_free_bytes"]
            sctest.check(free == free0, "arena usage flat: %d free bytes after kill %d, %d before" % (free, i + 1, free0))
            discarded = sum(rings(s, "shadowcast_msgs_discarded_total").values())
            sctest.check(discarded > discarded_total,
                         "restart %d discarded the messages its predecessor left unread (%d -> %d)"
                         % (i + 1, discarded_total, discarded))
            discarded_total = discarded
        rejected = rings(s, "shadowcast_msgs_rejected_total")
        dropped = rings(s, "shadowcast_msgs_dropped_total")
        sctest.check(sum(rejected.values()) == 0, "no record rejected: %s" % rejected)
        sctest.check(sum(dropped.values()) == 0, "no ring ran full: %s" % dropped)
        sctest.check(s.children().get("primary") == kids["primary"], "the primary ran through all %d kills" % KILLS)
        sctest.check(s.metrics().get("shadowcast_incidents_total") == 0, "no incident")
        print("%d encoder kills with unread messages: %d discarded by the restarted encoders, arena free bytes "
              "flat at %d, messages read again after each restart; written %s"
              % (KILLS, discarded_total, free0, rings(s, "shadowcast_msgs_written_total")))
    finally:
        s.close()


if __name__ == "__main__":
    main()
