"""`shadowcast bench messages --json` (issue 10) runs and prints one well-formed
object: {"bench":"messages","rows":[...]}, a row per message type (event,
haptic, chat, notice, audio) through the real path and one per type through
the socketpair baseline, each with name, p50_us, p99_us, samples, lost and
dropped; every message arrives or is one the product counted as an overload
drop (lost == dropped: nothing vanishes unaccounted; how many are dropped
depends on the machine's load, so it is not asserted). No timing is asserted (figures go in
docs/benchmarks.md). It starts no Vulkan: the typed message rings, the
WebSocket server and a loopback client, in one process."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

TYPES = ("event", "haptic", "chat", "notice", "audio")


def main():
    sctest.init(sys.argv)
    listing = sctest.run(["bench", "--help"]).stdout
    sctest.check("\n  messages " in listing, "bench --help lists messages")
    p = sctest.run(["bench", "messages", "--json", "--count", "50", "--interval-us", "200"], timeout=120)
    out = json.loads(p.stdout)  # the whole stdout is one JSON object
    sctest.check(isinstance(out, dict) and out.get("bench") == "messages", "bench name: %r" % out.get("bench"))
    rows = out.get("rows")
    sctest.check(isinstance(rows, list) and rows, "rows: %r" % rows)
    names = [r.get("name") for r in rows]
    want = list(TYPES) + [t + "_socketpair" for t in TYPES]
    sctest.check(sorted(names) == sorted(want), "one row per type and per baseline: %s" % names)
    for r in rows:
        for key in ("p50_us", "p99_us", "samples", "lost", "dropped"):
            sctest.check(isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool),
                         "row %s has a number %s: %r" % (r.get("name"), key, r.get(key)))
        # every message arrived, or the product dropped it where it counts an overload drop (a full
        # ring, the hand-off to a service thread that is behind): none vanished unaccounted
        sctest.check(r.get("samples") + r.get("lost") == 50 and r.get("lost") == r.get("dropped"),
                     "row %s: every message arrived or was counted as dropped: %r" % (r.get("name"), r))
        sctest.check(r.get("p50_us", -1) >= 0 and r.get("p99_us", -1) >= r.get("p50_us", 0),
                     "row %s: p50 <= p99: %r" % (r.get("name"), r))
    p = sctest.run(["bench", "messages", "--count", "0"], check=False)
    sctest.check(p.returncode == 2, "a bad --count is refused (exit %d)" % p.returncode)
    print("bench messages ok")


main()
