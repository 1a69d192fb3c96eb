"""Checkpoint files (the primary's state for a new shadow, written as
CAPTURES/.checkpoint-primary-PID.bin) never outlive what they are for:

1. a primary killed (kill -9) after it wrote a checkpoint and before the new
   shadow loaded it: the file goes when the next primary starts, and nothing
   is left after a clean stop;
2. files left by an earlier server killed with kill -9 (checkpoint or its .tmp
   of a process that no longer exists) go when the next server starts; a
   live process's checkpoint (another server on the same captures directory)
   is kept."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402


def dead_pid():
    """The pid of a process that has exited and been reaped."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def following(s, not_pid=None):
    _, st = s.api("status")
    return next((b["pid"] for b in st["shadows"]
                 if b["state"] == "running" and b["alive"] and b["pid"] != not_pid), None)


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    captures = os.path.join(d, "captures")
    os.makedirs(captures)
    # left by an earlier server killed with kill -9, and one of a live process
    gone = dead_pid()
    stale = [".checkpoint-primary-%d.bin" % gone, ".checkpoint-primary-%d.bin.tmp" % gone]
    live = ".checkpoint-primary-%d.bin" % os.getpid()
    for name in stale + [live]:
        with open(os.path.join(captures, name), "wb") as f:
            f.write(b"x" * 64)
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "500",
            "--encoder", "x264", "--delay", "30t", "--hang-timeout", "5000", "--captures", captures]
    s = Session(d, "checkpoint-files", args, token="checkpoint-files-test-token")
    try:
        s.wait_url()
        left = sorted(os.listdir(captures))
        sctest.check(not [n for n in stale if n in left], "a dead process's checkpoint files removed at start: %s"
                     % left)
        sctest.check(live in left, "a live process's checkpoint kept: %s" % left)
        os.unlink(os.path.join(captures, live))

        s.wait_for("the shadow follows", lambda: following(s) is not None, 60)
        old_shadow = following(s)
        primary = s.children()["primary"]
        os.kill(old_shadow, signal.SIGKILL)
        # the new shadow asks for a checkpoint; stop it before it can load one
        deadline = time.monotonic() + 30
        new_shadow = None
        while new_shadow is None and time.monotonic() < deadline:
            pid = s.children().get("shadow")
            if pid and pid != old_shadow:
                os.kill(pid, signal.SIGSTOP)
                new_shadow = pid
            else:
                time.sleep(0.005)
        sctest.check(new_shadow is not None, "a new shadow started after the kill")
        ckpt = os.path.join(captures, ".checkpoint-primary-%d.bin" % primary)
        try:
            s.wait_for("the primary writes its checkpoint", lambda: os.path.exists(ckpt), 30)
            log = s.stderr()
            sctest.check("joining the running primary from its checkpoint" not in log, "the checkpoint is not loaded yet")
            os.kill(primary, signal.SIGKILL)
        finally:
            os.kill(new_shadow, signal.SIGCONT)
        s.wait_children(roles=("primary",), not_pids=(primary,), timeout=60)
        s.wait_for("the new primary on the status", lambda: s.api("status")[1]["primary"]["pid"] != primary, 30)
        left = sorted(os.listdir(captures))
        sctest.check(os.path.basename(ckpt) not in left and os.path.basename(ckpt) + ".tmp" not in left,
                     "the killed primary's checkpoint is removed once the next primary starts: %s" % left)

        s.proc.send_signal(signal.SIGTERM)
        try:
            rc = s.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            s.fail("supervisor still running 20 s after SIGTERM")
        sctest.check(rc == 0, "the supervisor exits 0 on SIGTERM, got %d" % rc)
        left = sorted(os.listdir(captures))
        sctest.check(not [n for n in left if n.startswith(".")], "no checkpoint file left after the stop: %s" % left)
        print("stale checkpoints removed at start (%d), a killed primary's removed at the next start, none left: %s"
              % (len(stale), left))
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()


if __name__ == "__main__":
    main()
