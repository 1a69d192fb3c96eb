"""Checkpoint files (the primary's state for a new shadow, written as
CAPTURES/.checkpoint-primary-PID.bin) never outlive what they are for:

1. a primary killed (kill -9) after it wrote a checkpoint and before the new
   shadow loaded it: the file goes when the next primary starts, and nothing
   is left after a clean stop;
2. with --on-fault stop no next primary starts: the file goes when the
   server stops;
3. files left by an earlier server killed with kill -9 (checkpoint or its .tmp
   of a process that no longer exists) go when the next server starts; a
   live process's checkpoint (another server on the same captures directory)
   is kept."""
import os
import re
import signal
import subprocess
import sys

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


def orphan_checkpoint(s, captures):
    """Leaves a checkpoint no shadow loaded and kills its primary; returns
    (the file's path, the primary's pid). No race: the primary is stopped
    (SIGSTOP) before the new shadow asks for a checkpoint (it does once its
    device is ready, and says so), so the new shadow waits for one (up to
    20 s) and is stopped in turn before the primary, continued, writes it
    (--hang-timeout 20000: a primary stopped that long is not yet called
    hung)."""
    s.wait_for("the shadow follows", lambda: following(s) is not None, 60)
    old_shadow = following(s)
    primary = s.children()["primary"]
    os.kill(primary, signal.SIGSTOP)
    new_shadow = None
    try:
        asked = len(re.findall(r"ready: asking the primary for checkpoint", s.stderr()))
        os.kill(old_shadow, signal.SIGKILL)
        s.wait_for("a new shadow started after the kill",
                   lambda: s.children().get("shadow") not in (None, old_shadow), 15)
        new_shadow = s.children()["shadow"]
        s.wait_for("the new shadow asks for a checkpoint",
                   lambda: len(re.findall(r"ready: asking the primary for checkpoint", s.stderr())) > asked, 30)
        os.kill(new_shadow, signal.SIGSTOP)
    finally:
        os.kill(primary, signal.SIGCONT)
    ckpt = os.path.join(captures, ".checkpoint-primary-%d.bin" % primary)
    try:
        s.wait_for("the primary writes its checkpoint", lambda: os.path.exists(ckpt), 30)
        sctest.check("joining the running primary from its checkpoint" not in s.stderr(),
                     "the checkpoint is not loaded yet")
        os.kill(primary, signal.SIGKILL)
    finally:
        os.kill(new_shadow, signal.SIGCONT)
    return ckpt, primary


def checkpoint_files(captures):
    return sorted(n for n in os.listdir(captures) if n.startswith("."))


def stop(s):
    s.proc.send_signal(signal.SIGTERM)
    try:
        rc = s.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        s.fail("supervisor still running 20 s after SIGTERM")
    sctest.check(rc == 0, "the supervisor exits 0 on SIGTERM, got %d" % rc)


def run_args(captures, on_fault):
    return ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "500",
            "--encoder", "x264", "--delay", "30t", "--hang-timeout", "20000", "--on-fault", on_fault,
            "--captures", captures]


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

    # 3 and 1: removed at start, and when the next primary starts
    s = Session(d, "checkpoint-files", run_args(captures, "restore"), token="checkpoint-files-test-token")
    try:
        s.wait_url()
        left = checkpoint_files(captures)
        sctest.check(not [n for n in stale if n in left], "a dead process's checkpoint files removed at start: %s"
                     % left)
        sctest.check(live in left, "a live process's checkpoint kept: %s" % left)
        os.unlink(os.path.join(captures, live))

        ckpt, primary = orphan_checkpoint(s, captures)
        s.wait_children(roles=("primary",), not_pids=(primary,), timeout=60)
        s.wait_for("the new primary on the status", lambda: s.api("status")[1]["primary"]["pid"] != primary, 30)
        left = checkpoint_files(captures)
        sctest.check(not left, "the killed primary's checkpoint is removed once the next primary starts: %s" % left)
        stop(s)
        left = checkpoint_files(captures)
        sctest.check(not left, "no checkpoint file left after the stop: %s" % left)
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()

    # 2: --on-fault stop starts no next primary: removed when the server stops
    s = Session(d, "checkpoint-files-stop", run_args(captures, "stop"), token="checkpoint-files-test-token")
    try:
        s.wait_url()
        ckpt, primary = orphan_checkpoint(s, captures)
        s.wait_for("the primary's death handled", lambda: "primary exited (signal 9)" in s.stderr(), 30)
        stop(s)
        left = checkpoint_files(captures)
        sctest.check(not left, "a killed primary's checkpoint is removed when the server stops: %s" % left)
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()
    print("stale checkpoints removed at start (%d), a killed primary's removed when the next one starts and "
          "when the server stops" % len(stale))


if __name__ == "__main__":
    main()
