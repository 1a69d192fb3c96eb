"""--captures-quota through the real server: an incident's capture is written
after the oldest captures are removed to make room, a capture outside the
naming (an operator's file) stays, and the removal is logged. Every wait is
bounded."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402


def old_capture(root, name, mib, t):
    path = os.path.join(root, name)
    os.makedirs(path)
    with open(os.path.join(path, "state.bin"), "wb") as f:
        f.truncate(mib << 20)
    os.utime(path, (t, t))
    return path


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    root = os.path.join(d, "captures")
    os.makedirs(root)
    now = time.time()
    oldest = old_capture(root, "incident-90-tick-100", 10, now - 7200)
    newer = old_capture(root, "incident-91-tick-200", 6, now - 3600)
    mine = os.path.join(root, "notes.txt")
    with open(mine, "w") as f:
        f.write("an operator's file\n")
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "30t", "--hang-timeout", "5000", "--captures", root,
            "--captures-quota", "16", "--on-fault", "stop"]
    s = Session(d, "quota", args, token="capture-quota-test-token")
    try:
        s.wait_url()
        s.wait_for("the shadow 30 ticks behind", lambda: s.api("status")[1]["shadows"][0]["lag_ticks"] >= 25, 90)
        code, r = s.api("inject", "POST", {"kind": "assert"})
        sctest.check(code == 200, "inject: %d %s" % (code, r))
        s.wait_for("the incident's capture", lambda: any(n.startswith("incident-1-") for n in os.listdir(root)),
                   60)
        log = s.stderr()
        sctest.check(not os.path.exists(oldest), "the oldest capture made room (10 + 6 MiB + the new one > 16 MiB)")
        sctest.check(os.path.exists(newer), "only as much as needed went: the newer old capture stays")
        sctest.check(os.path.exists(mine), "a file that is not a capture stays")
        sctest.check(re.search(r"capture quota: removed the 1 oldest capture\(s\) \(10\.0 MiB\)", log),
                     "the removal is logged")
    except AssertionError as e:
        if "--- log:" not in str(e):
            s.fail(str(e))
        raise
    finally:
        s.close()
    print("ok")


if __name__ == "__main__":
    main()
