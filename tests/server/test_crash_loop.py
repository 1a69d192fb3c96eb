"""A crash loop is recognised and throttled: with --crash-loop 3, a scripted
match that faults again and again gets incident captures for the first three
incidents only, one `crash loop:` line in the log, and no restore after that
(a new match starts, after a back-off); the server keeps serving."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402
from scserver import Session, frames_grow  # noqa: E402


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    captures = os.path.join(d, "captures")
    script = os.path.join(d, "faults.txt")
    with open(script, "w") as f:
        for tick in range(60, 60 + 8 * 45, 45):
            f.write("%d - fault assert\n" % tick)
    args = ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", "30", "--particles", "2000",
            "--encoder", "x264", "--delay", "20t", "--hang-timeout", "5000", "--captures", captures,
            "--inputs", script, "--crash-loop", "3"]
    s = Session(d, "crash-loop", args)
    try:
        s.wait_url()
        s.wait_for("four incidents", lambda: s.metric("shadowcast_incidents_total") >= 4, 120)
        s.wait_for("the loop is logged", lambda: "crash loop:" in s.stderr(), 10)
        frames_grow(s, "shadowcast_frames_encoded_total", by=5, timeout=60)
        log = s.stderr()
        incidents = s.metric("shadowcast_incidents_total")
        dirs = sorted(x for x in os.listdir(captures) if x.startswith("incident-"))
        sctest.check(log.count("crash loop:") == 1, "one crash-loop line, got %d" % log.count("crash loop:"))
        sctest.check(len(dirs) == 3, "incident captures stop at the loop: %d incidents, captures %s"
                     % (incidents, dirs))
        sctest.check("no capture (captures suspended in a crash loop)" in log, "the shadow says why it wrote none")
        print("%d incidents, %d captures, one crash-loop line" % (incidents, len(dirs)))
    finally:
        s.close()


if __name__ == "__main__":
    main()
