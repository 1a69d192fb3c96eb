"""scripts/gpu_check.py --quick end to end on whatever this machine has
(lavapipe in CI): every step runs and passes, the report is one JSON object
on the last line, and what only a GPU can show is reported as not available
with its reason rather than passed over."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def main():
    sctest.init(sys.argv)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gpu_check.py"), "--quick", "--bin",
                        sctest.BIN], capture_output=True, text=True, timeout=900)
    lines = p.stdout.strip().splitlines()
    sctest.check(lines, "a report on stdout; stderr:\n%s" % p.stderr[-3000:])
    r = json.loads(lines[-1])
    failed = {k: v for k, v in r["steps"].items() if not v.get("ok")}
    sctest.check(p.returncode == 0 and r["ok"] and not failed,
                 "every step passed (exit %d): %s\nstderr:\n%s" % (p.returncode, json.dumps(failed)[:3000],
                                                                   p.stderr[-2000:]))
    sctest.check(set(r["steps"]) == {"devices", "determinism", "bench", "run", "fault"}, "all five steps ran")
    det = r["steps"]["determinism"]
    sctest.check(det["target_vs_lavapipe"] == "identical" and det["target_vs_golden"] == "identical"
                 and det["frames_identical"] and det["ticks"] == 600, "determinism: %s" % det)
    run = r["steps"]["run"]
    dec = run["decode"]
    sctest.check(run["frames_received"] > 0 and dec["decoded"] == run["frames_received"] and dec["keyframes"] >= 1
                 and dec["width"] == 320 and dec["height"] == 176, "run: every frame decoded: %s" % run)
    fault = r["steps"]["fault"]
    inc = fault["incident"]
    sctest.check(inc["held_tick"] == inc["error_tick"] - 1 and inc["hashes_match"], "fault: held before: %s" % inc)
    sctest.check(fault["replay_on_lavapipe"]["exit"] == 0 and "reproduced" in fault["replay_on_lavapipe"]["verdict"],
                 "fault: replay on lavapipe reproduces: %s" % fault["replay_on_lavapipe"])
    na = " | ".join(r["not_available"])
    if not r["target_is_gpu"]:
        # lavapipe only: every GPU-only claim is named as not checked, with its reason
        sctest.check(inc["detected"] == "simulated-device-lost", "a simulated loss is called that: %s" % inc)
        for what in ("a GPU:", "DMA-BUF frame export:", "a real device fault:"):
            sctest.check(what in na, "not available names %r: %s" % (what, na))
        sctest.check("cross_device" in det and "gpu_timings" in r["steps"]["bench"],
                     "the lavapipe-only comparisons say so")
    print("gpu check --quick: %d s, target %s, not available: %d items" % (r["seconds"], r["steps"]["devices"]["target"],
                                                                         len(r["not_available"])))


if __name__ == "__main__":
    main()
