"""kill -9 of the encoder while it holds a frame slot, ten times over, with
shadow tracking on: the dead reader's slot is taken back (by the supervisor
when it reaps it, or by the primary when it finds the reader gone), so the
primary never runs out of slots, no incident is raised, no capture is written,
and frames are encoded again after every restart.

--test-encode-hold-ms keeps the encoder on each slot for 150 ms, so nearly
every kill lands while it holds one; the test requires that most of them did
(slots reclaimed), else it would not test what it names."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, frames_grow  # noqa: E402

KILLS = 10


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    captures = os.path.join(d, "captures")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "30t", "--captures", captures, "--test-encode-hold-ms", "150",
            "--hang-timeout", "5000"]  # no false hang in a slow (sanitizer) build on a busy machine
    s = Session(d, "encoder-kill", args)
    try:
        s.wait_url()
        kids = s.wait_children(roles=("primary", "encoder", "shadow"))
        frames_grow(s, "shadowcast_frames_encoded_total", by=3)
        primary = kids["primary"]
        for i in range(KILLS):
            enc = s.wait_children(roles=("encoder",))["encoder"]
            # the encoder is in its encode loop (frames grew): it holds a slot ~150 of every ~150 ms
            time.sleep(0.05)
            os.kill(enc, signal.SIGKILL)
            s.wait_children(roles=("encoder",), not_pids=(enc,), timeout=20)
            s.wait_for("/healthz after encoder restart %d" % (i + 1), lambda: s.get("healthz")[0] == 200, 20)
            frames_grow(s, "shadowcast_frames_encoded_total", by=3, timeout=30)
        m = s.metrics()
        sctest.check(m.get("shadowcast_incidents_total") == 0,
                     "no incident after %d encoder kills, got %s" % (KILLS, m.get("shadowcast_incidents_total")))
        reclaimed = m.get("shadowcast_frame_slots_reclaimed_total", 0)
        sctest.check(reclaimed >= KILLS - 1,
                     "the kills landed while a slot was held: %d slots reclaimed of %d kills" % (reclaimed, KILLS))
        sctest.check(s.children().get("primary") == primary, "the primary ran through all %d kills" % KILLS)
        sctest.check(not os.path.isdir(captures) or not os.listdir(captures),
                     "no capture written: %s" % (os.listdir(captures) if os.path.isdir(captures) else []))
        log = s.stderr()
        sctest.check("no free frame slot" not in log, "the primary never ran out of frame slots")
        print("%d encoder kills: %d slots reclaimed, 0 incidents, frames encoded after each restart"
              % (KILLS, reclaimed))
    finally:
        s.close()


if __name__ == "__main__":
    main()
