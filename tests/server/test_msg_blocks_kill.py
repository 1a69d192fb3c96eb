"""kill -9 of the encoder process, 20 times, some while payload blocks are in
flight (session/shm/msg_ring.h, "Payload blocks"), the others quick ones in
the quiet stretch of a cycle that follows (restarts with nothing in flight,
so that 20 restarts take about a minute, not seven): with --test-payload-blocks
1 the primary sends every event, haptic and notice through an arena payload
block, so the goal, its haptics and the kickoff the primary writes while the
encoder is stopped (SIGSTOP right after a cycle's shot, as in
server_msg_rings_kill) are blocks the encoder never took: the primary gave
them to the stopped encoder (they go with it when it dies: the supervisor
reaps them), and the ones it published while no encoder was alive stay the
primary's until the restarted encoder's discard takes and frees them. The
primary lives on through every kill. After each restart the arena's free
bytes come back exactly to where they were before the first kill (a bounded
wait for equality at an instant with no block in flight: a leaked block
never comes back), the discard counted records, and messages flow again
through new blocks. Descriptors whose blocks went with the dead encoder are
refused by its successor's discard (counted in `blocks_refused`); the reader
rejects nothing. Without the supervisor's reclamation of a dead process's
blocks the free bytes never come back (checked: fails at the first kill)."""
import os
import re
import signal
import sys
import json
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402

KILLS = 20
CYCLE = 480  # ticks: goal.txt scores at tick 110 of each cycle; no scripted input after its tick 70
QUIET_END = CYCLE - 80  # a quick kill starts only before this: its restart is done before the next cycle
SHOT = 72  # ticks into a cycle: the shoot input (tick 70) is in the input log
PER_CYCLE = 0  # the script's events a cycle (goal.txt), set in main
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


def settled_free(s):
    """The arena's free bytes at an instant no payload block was in flight (every block written was
    freed or refused, the same before and after the read), else None."""
    def counts():
        return tuple(sum(rings(s, n).values()) for n in ("shadowcast_msgs_blocks_written_total",
                                                          "shadowcast_msgs_blocks_freed_total",
                                                          "shadowcast_msgs_blocks_refused_total"))
    a = counts()
    free = s.metrics()["shadowcast_arena_free_bytes"]
    b = counts()
    return free if a == b and a[0] == a[1] + a[2] else None


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    data = os.path.join(os.path.dirname(__file__), "..", "gpu", "data", "goal.txt")
    lines = [l.split() for l in open(data) if l.strip() and not l.startswith("#")]
    global PER_CYCLE
    PER_CYCLE = len(lines)  # the script's events a cycle, the shot (tick 70) the last
    assert int(lines[-1][0]) == SHOT - 2 and lines[-1][-1] == "shoot", lines[-1]
    script = os.path.join(d, "repeat.txt")
    with open(script, "w") as f:
        for k in range(200):
            for l in lines:
                f.write("%d %s\n" % (int(l[0]) + k * CYCLE, " ".join(l[1:])))
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--no-shadow", "--inputs", script, "--hang-timeout", "5000",
            "--test-payload-blocks", "1"]
    s = Session(d, "msg-blocks-kill", args)
    try:
        s.wait_url()
        kids = s.wait_children(roles=("primary", "encoder"))
        s.wait_for("the first hit and goal events read",
                   lambda: ring_metric(s, "shadowcast_msgs_read_total", "event") >= 3, 60)
        s.wait_for("the first payload blocks freed",
                   lambda: sum(rings(s, "shadowcast_msgs_blocks_freed_total").values()) >= 3, 60)
        # the start, with no block in flight
        box = {}

        def settled():
            box["free"] = settled_free(s)  # the value seen at that instant (the next may be mid-block)
            return box["free"] is not None
        s.wait_for("an instant with no payload block in flight", settled, 30)
        free0 = box["free"]
        s.wait_for("arena free bytes steady at %d at the start" % free0, lambda: settled_free(s) == free0, 30)
        blocks_written = sum(rings(s, "shadowcast_msgs_blocks_written_total").values())
        discarded_total = 0
        refused_total = sum(rings(s, "shadowcast_msgs_blocks_refused_total").values())
        kills = quick = 0
        while kills < KILLS:
            i = kills
            enc = s.wait_children(roles=("encoder",))["encoder"]
            # between a cycle's shot (tick 70) and its goal (tick 110)
            t0, k0 = time.monotonic(), tick(s)
            # and the shot in the input log: the encoder process feeds the script, and under load
            # its feed can come a few ticks late; stopped before it, the cycle has no shot, no
            # goal, no event (a CI run: 21 -> 21). The script's events through this cycle's shot
            # (PER_CYCLE a cycle), applied or dropped: a dropped shot fails the check below.
            def shot_logged():
                k = tick(s)
                if not SHOT <= k % CYCLE <= SHOT + 10:
                    return False
                m = s.metrics()
                done = m.get("shadowcast_inputs_applied_total", 0) + m.get("shadowcast_inputs_dropped_total", 0)
                return done >= (k // CYCLE + 1) * PER_CYCLE
            s.wait_for("a cycle's shot, in the input log", shot_logged, 120)
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
            sctest.check(sum(rings(s, "shadowcast_msgs_blocks_written_total").values()) > blocks_written,
                         "the primary wrote payload blocks while the encoder was stopped (kill %d)" % (i + 1))
            blocks_written = sum(rings(s, "shadowcast_msgs_blocks_written_total").values())
            # blocks published after the restart are read at once; the ones the dead encoder left
            # were freed by its successor's discard, or it never comes back to free0
            s.wait_for("arena free bytes back to %d after kill %d" % (free0, i + 1),
                       lambda: settled_free(s) == free0, 15)
            # what the primary gave the stopped encoder went with it (the supervisor reaped it):
            # its successor's discard refused those descriptors
            now_refused = sum(rings(s, "shadowcast_msgs_blocks_refused_total").values())
            sctest.check(now_refused > refused_total,
                         "restart %d refused the descriptors whose blocks went with the dead encoder (%d -> %d)"
                         % (i + 1, refused_total, now_refused))
            refused_total = now_refused
            discarded = sum(rings(s, "shadowcast_msgs_discarded_total").values())
            sctest.check(discarded > discarded_total,
                         "restart %d discarded the messages its predecessor left unread (%d -> %d)"
                         % (i + 1, discarded_total, discarded))
            discarded_total = discarded
            kills += 1
            # then quick kills in the cycle's quiet stretch (no message in flight, no scripted input
            # due): restarts too, each must leave the arena exactly as it was
            while kills < KILLS and tick(s) % CYCLE < QUIET_END:
                enc = s.wait_children(roles=("encoder",))["encoder"]
                os.kill(enc, signal.SIGKILL)
                s.wait_children(roles=("encoder",), not_pids=(enc,), timeout=20)
                s.wait_for("/healthz after encoder restart %d" % (kills + 1), lambda: s.get("healthz")[0] == 200, 20)
                s.wait_for("arena free bytes back to %d after kill %d" % (free0, kills + 1),
                           lambda: settled_free(s) == free0, 15)
                kills += 1
                quick += 1
        rejected = rings(s, "shadowcast_msgs_rejected_total")
        refused = rings(s, "shadowcast_msgs_blocks_refused_total")
        dropped = rings(s, "shadowcast_msgs_dropped_total")
        sctest.check(sum(rejected.values()) == 0, "no record rejected by the reader: %s" % rejected)
        sctest.check(sum(dropped.values()) == 0, "no ring ran full: %s" % dropped)
        sctest.check(s.children().get("primary") == kids["primary"], "the primary ran through all %d kills" % KILLS)
        sctest.check(quick < KILLS, "some kills had payload blocks in flight: %d of %d quick" % (quick, KILLS))
        sctest.check(s.metrics().get("shadowcast_incidents_total") == 0, "no incident")
        print("%d encoder kills (%d with payload blocks in flight, %d quick ones in the quiet stretches): %d "
              "records discarded by the restarted encoders, arena free bytes back to %d after each; blocks "
              "written %s, freed %s, refused %s"
              % (KILLS, KILLS - quick, quick, discarded_total, free0, rings(s, "shadowcast_msgs_blocks_written_total"),
                 rings(s, "shadowcast_msgs_blocks_freed_total"), refused))
    finally:
        s.close()


if __name__ == "__main__":
    main()
