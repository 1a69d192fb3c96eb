"""--on-fault restore, end to end: a scripted match scores a goal, then a fault
is injected; the shadow pauses before it, a new primary continues the match from
the shadow's pre-error state (the score is kept, the offending input is gone),
a new shadow follows it, and the stream goes on."""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "gpu", "data")
FAULT_TICK = 300


def scripted_inputs(d):
    """goal.txt 40 ticks later (the primary is running by then), then an assert."""
    path = os.path.join(d, "match.txt")
    with open(os.path.join(DATA, "goal.txt")) as f, open(path, "w") as out:
        for line in f:
            t = line.split()
            if t and not t[0].startswith("#"):
                out.write(" ".join([str(int(t[0]) + 40)] + t[1:]) + "\n")
        out.write("%d - fault assert\n" % FAULT_TICK)
    return path


def get_json(url, path, timeout=3):
    with urllib.request.urlopen(url + path, timeout=timeout) as r:
        return json.loads(r.read().decode())


def wait_for(what, cond, timeout, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("%s: not within %d s\n--- log:\n%s" % (what, timeout, log()))


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    log_path = os.path.join(d, "run.log")
    log = open(log_path, "w")

    def read_log():
        with open(log_path) as f:
            return f.read()

    args = [sctest.BIN, "run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "60",
            "--particles", "2000", "--encoder", "x264", "--delay", "40t", "--hang-timeout", "5000",
            "--captures", os.path.join(d, "captures"), "--inputs", scripted_inputs(d)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, cwd=d)
    try:
        out = ""
        deadline = time.monotonic() + 60
        # stop at the URL line: select() cannot see lines already in Python's buffer
        while "shadowcast: open" not in out and time.monotonic() < deadline and proc.poll() is None:
            r, _, _ = select.select([proc.stdout], [], [], 0.5)
            if r:
                out += proc.stdout.readline()
        m = re.search(r"open (http://127\.0\.0\.1:\d+)/", out)
        sctest.check(m is not None, "URL printed: %r" % out)
        url = m.group(1)

        # the goal, before the fault
        st = wait_for("the scripted goal", lambda: (lambda s: s if s["score"] == [1, 0] else None)(
            get_json(url, "/api/v1/state")), 30, read_log)
        sctest.check(st["tick"] < FAULT_TICK, "the goal comes before the fault (tick %d)" % st["tick"])

        # the incident: the shadow pauses before the fault tick, a new primary starts from there
        def restored():
            s = get_json(url, "/api/v1/status")
            held = [sh for sh in s["shadows"] if sh["state"] == "paused"]
            return s if held and s["primary"]["base_tick"] == FAULT_TICK else None
        status = wait_for("restore after the fault", restored, 30, read_log)
        held = [sh for sh in status["shadows"] if sh["state"] == "paused"][0]
        sctest.check(held["held_tick"] == FAULT_TICK - 1, "the paused shadow holds tick %d: %s" % (FAULT_TICK - 1, held))
        inc = held["capture_incident"]
        sctest.check(inc["detected"] == "assert" and inc["error_tick"] == FAULT_TICK and inc["hashes_match"],
                     "the capture records the assert at tick %d with matching hashes: %s" % (FAULT_TICK, inc))
        sctest.check(status["primary"]["base_tick"] == FAULT_TICK,
                     "the new primary continues at the error tick: %s" % status["primary"])

        # the match goes on from the pre-error state: score kept, ticks past the fault, no new fault
        st = wait_for("ticks after the restore", lambda: (lambda s: s if s["tick"] > FAULT_TICK + 60 else None)(
            get_json(url, "/api/v1/state")), 30, read_log)
        sctest.check(st["score"] == [1, 0], "the restored match keeps its score: %s" % st["score"])
        frames = get_json(url, "/api/v1/status")["primary"]["frames_encoded"]
        wait_for("the stream resumes", lambda: get_json(url, "/api/v1/status")["primary"]["frames_encoded"] > frames + 30,
                 20, read_log)
        s = get_json(url, "/api/v1/status")
        following = [sh for sh in s["shadows"] if sh["state"] == "running"]
        sctest.check(following and following[0]["divergences"] == 0,
                     "a new shadow follows the restored primary without divergence: %s" % s["shadows"])
        sctest.check(s["incidents_total"] == 1, "exactly one incident: the offending input was not replayed")
        print("restore: goal kept across the fault at tick %d; %s" % (FAULT_TICK, st["score"]))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


main()
