"""scripts/gpu-bundle.sh and scripts/gpu-device-run.sh, the way a lent GPU
machine with no package registry runs the hardware check (docs/benchmarks.md
"On a lent device"): the bundle holds the binaries and every library they
load but glibc's (LD_LIBRARY_PATH=bundle/lib resolves each one inside it),
and the runner's quick check passes on this machine with the committed
golden log as the only reference (--reference golden, the path taken where
the bundle carries no lavapipe): determinism against the golden states and
frames, the run decoded, the fault held and replayed on the target."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import sctest  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GLIBC = re.compile(r"^(linux-vdso|libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|ld-linux-x86-64)\.so")


def main():
    sctest.init(sys.argv)
    d = tempfile.mkdtemp(prefix="sc-gpu-bundle-")
    try:
        bundle = os.path.join(d, "bundle")
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "gpu-bundle.sh"), "--no-archive", "--build",
                            os.path.dirname(sctest.BIN), bundle], capture_output=True, text=True, timeout=300)
        sctest.check(p.returncode == 0, "gpu-bundle.sh: exit %d: %s" % (p.returncode, p.stderr[-2000:]))
        lib = os.path.join(bundle, "lib")
        for b in ("shadowcast", "h264_decode_stream"):
            path = os.path.join(bundle, "bin", b)
            out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=60,
                                 env=dict(os.environ, LD_LIBRARY_PATH=lib)).stdout
            outside = [line.strip() for line in out.splitlines()
                       if "=>" in line and not GLIBC.match(line.strip()) and lib + "/" not in line]
            sctest.check(not outside, "%s: every library but glibc's from the bundle: %s" % (b, outside))
            sctest.check(lib + "/" in out, "%s loads bundled libraries at all:\n%s" % (b, out))
        p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "gpu-device-run.sh"), "--quick", "--reference",
                            "golden", "--out", os.path.join(d, "report")],
                           capture_output=True, text=True, timeout=900, env=dict(os.environ, SC_BUNDLE=bundle))
        lines = p.stdout.strip().splitlines()
        sctest.check(lines, "a report on stdout; stderr:\n%s" % p.stderr[-3000:])
        r = json.loads(lines[-1])
        failed = {k: v for k, v in r["steps"].items() if not v.get("ok")}
        sctest.check(p.returncode == 0 and r["ok"] and not failed,
                     "every step passed (exit %d): %s\nstderr:\n%s" % (p.returncode, json.dumps(failed)[:3000],
                                                                       p.stderr[-2000:]))
        sctest.check(r["reference"] is None, "no lavapipe reference with --reference golden: %s" % r["reference"])
        det = r["steps"]["determinism"]
        sctest.check(det["target_vs_golden"] == "identical" and det["frames_identical"]
                     and det["frames_compared"] >= 1, "determinism against the golden log and frames: %s" % det)
        fault = r["steps"]["fault"]
        rep = fault.get("replay_on_target")
        sctest.check(rep and rep["exit"] == 0 and "reproduced" in rep["verdict"],
                     "fault: replay on the target reproduces: %s" % fault)
        run = r["steps"]["run"]
        sctest.check(run["frames_received"] > 0 and run["decode"]["decoded"] == run["frames_received"],
                     "run: every frame decoded with the bundled libavcodec: %s" % run)
        print("bundle: %d libraries; quick check with the golden reference passed in %.1f s"
              % (len(os.listdir(lib)), r["seconds"]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
