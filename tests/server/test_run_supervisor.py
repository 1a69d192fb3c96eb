"""`shadowcast run` as an operator sees it: it prints the URL, serves /healthz,
restarts a killed encoder (same URL) and a killed primary (frames flow again),
backs off, and on SIGTERM (or its own death) leaves no process behind. Every
wait is bounded."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, frames_grow, gone  # noqa: E402
# plain crash restarts (back-off); the shadow-tracking incident path has its own tests

ARGS = ["run", "--no-shadow", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
        "--encoder", "x264", "--hang-timeout", "5000"]


def test_restart_and_stop(d):
    s = Session(d, "restart", ARGS)
    try:
        s.wait_url()
        kids = s.wait_children()
        status, body = s.get("healthz")
        sctest.check(status == 200, "/healthz answers 200, got %d" % status)
        frames_grow(s, "shadowcast_frames_rendered_total")
        frames_grow(s, "shadowcast_frames_encoded_total")
        sctest.check(s.metric("shadowcast_arena_procs") == 3, "supervisor, primary and encoder registered")
        # zero-copy is measured per frame: lavapipe's host memfd, libx264, no copy
        sctest.check(s.metric("shadowcast_zero_copy") == 1 and s.metric("shadowcast_frames_in_place_total") >= 10,
                     "frames encoded in place, counted")
        sctest.check("encoded in place from the primary's frame memory (0 bytes copied)" in s.stderr(),
                     "the first frame's measurement is logged")

        # the encoder: restarted on the same URL, serving again
        url = s.url
        os.kill(kids["encoder"], signal.SIGKILL)
        kids2 = s.wait_children(not_pids=(kids["encoder"],), timeout=10)
        encoder_up = time.monotonic()
        sctest.check(kids2["primary"] == kids["primary"], "the primary lives on while the encoder restarts")
        s.wait_for("/healthz answers after the encoder restart", lambda: s.get("healthz")[0] == 200, 20)
        frames_grow(s, "shadowcast_frames_encoded_total")
        log = s.stderr()
        sctest.check("encoder exited (signal 9); restarting in 200 ms" in log, "encoder crash logged")

        # the primary: restarted, frames rendered and encoded again
        os.kill(kids2["primary"], signal.SIGKILL)
        kids3 = s.wait_children(not_pids=(kids2["primary"],), timeout=15)
        sctest.check(kids3["encoder"] == kids2["encoder"], "the encoder lives on while the primary restarts")
        frames_grow(s, "shadowcast_frames_rendered_total", timeout=60)
        frames_grow(s, "shadowcast_frames_encoded_total", timeout=30)
        log = s.stderr()
        sctest.check("primary exited (signal 9); restarting in 200 ms" in log, "primary crash logged")
        sctest.check("primary: detached 1 log reader(s)" in log, "the dead primary's input-log reader detached")
        sctest.check(s.metric("shadowcast_arena_procs") == 3, "dead processes reaped from the arena registry")
        sctest.check(s.metric("shadowcast_arena_procs_reaped_total") >= 2, "arena counts the reaped processes")

        # a crash soon after a restart: the back-off doubles (whether or not the
        # slow path above let kids3 run past the 10 s reset)
        os.kill(kids3["primary"], signal.SIGKILL)
        early = s.wait_children(not_pids=(kids3["primary"],), timeout=15)
        os.kill(early["primary"], signal.SIGKILL)
        kids4 = s.wait_children(not_pids=(kids3["primary"], early["primary"]), timeout=15)
        s.wait_for("back-off doubled", lambda: "primary exited (signal 9); restarting in 400 ms" in s.stderr(), 5)

        # a child that ran 10 s starts over at the shortest delay
        time.sleep(max(0, encoder_up + 10.5 - time.monotonic()))
        os.kill(kids2["encoder"], signal.SIGKILL)
        kids4 = s.wait_children(not_pids=(kids2["encoder"],), timeout=10)
        s.wait_for("/healthz answers after the second encoder restart", lambda: s.get("healthz")[0] == 200, 20)
        log = s.stderr()
        sctest.check(log.count("encoder exited (signal 9); restarting in 200 ms") == 2 and "restarting in 400 ms"
                     not in log.replace("primary exited (signal 9); restarting in 400 ms", ""),
                     "back-off reset after 10 s of running")

        # SIGTERM: exit 0 within 5 s, nothing left behind
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        try:
            rc = s.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            s.fail("supervisor still running 5 s after SIGTERM")
        sctest.check(rc == 0, "supervisor exits 0 on SIGTERM, got %d" % rc)
        s.out += s.proc.stdout.read()
        # the URL line once (then the generated debug API token line)
        sctest.check(s.out.startswith("shadowcast: open %s\n" % url) and s.out.count("shadowcast: open") == 1,
                     "one URL line: restarted encoders keep the port clients know; stdout: %r" % s.out)
        left = [p for k in (kids, kids2, kids3, early, kids4) for p in k.values() if not gone(p)]
        sctest.check(not left, "no child left after SIGTERM: %s" % left)
        print("SIGTERM to exit: %.2f s" % (time.monotonic() - t0))
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))  # the same failure, with the server's log
        raise
    finally:
        s.close()


def test_supervisor_killed(d):
    """The children die with the supervisor (PR_SET_PDEATHSIG), even on SIGKILL."""
    s = Session(d, "orphans", ARGS)
    try:
        s.wait_url()
        kids = s.wait_children()
        s.proc.kill()
        s.proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(gone(p) for p in kids.values()):
            time.sleep(0.1)
        left = [p for p in kids.values() if not gone(p)]
        if left:
            for p in left:
                os.kill(p, signal.SIGKILL)
            s.fail("children outlived a killed supervisor: %s" % left)
    finally:
        s.close()


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    test_restart_and_stop(d)
    test_supervisor_killed(d)
    print("ok")


if __name__ == "__main__":
    main()
