#!/usr/bin/env python3
"""The hardware check (issue 13, docs/benchmarks.md "GPU check"): one command
that checks shadowcast's claims on a real GPU and prints one JSON report as
its last line. Run it on lavapipe first: every step runs there, and what only
a GPU can show is reported "not available" with the reason.

Steps, each bounded in time:
  devices      every Vulkan driver (ICD) found, `shadowcast devices --json`
               under each; the target is the first non-CPU device, the
               reference Mesa's lavapipe
  determinism  the golden match (tests/gpu/data/golden_match.txt) through
               `sim` on the target and on lavapipe: the state logs must be
               identical line for line (and equal the committed golden log);
               else the first differing tick and fields
  bench        `bench sim` and `bench shadow` on the target
  run          `shadowcast run` with a scripted client: the frame memory kind
               (DMA-BUF or the reason not), the copies, frames decoded
  fault        a device fault in the primary with the shadow on: the
               incident, the capture (its device_fault.json or missing.txt),
               the shadow paused before the input, `replay` on lavapipe

Without lavapipe (a lent GPU machine with the bundle of scripts/gpu-bundle.sh,
which carries no Mesa) the committed golden state log and frame checksums are
the reference (they were made on lavapipe), and `replay` runs on the target.

usage: gpu_check.py [--bin build/shadowcast] [--lib DIR] [--reference lavapipe|golden]
                    [--quick] [--out DIR]
  --lib DIR  the bundle's libraries: LD_LIBRARY_PATH for the binaries only
             (never for this Python)
  --reference golden  compare with the committed golden log and frames only,
             even where lavapipe is found (lavapipe: the default where found)
  --quick    short runs (the test suite's smoke run on lavapipe)
Exit status: 0 when every step that ran passed, 1 otherwise, 2 usage."""
import argparse
import glob
import gzip
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "gpu"))
import sctest  # noqa: E402
from scserver import Session  # noqa: E402
from scws import WsClient  # noqa: E402
import test_golden  # noqa: E402

ICD_DIRS = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d",
            "/usr/local/nvidia/share/vulkan/icd.d"]
TOKEN = "gpu-check-token-0123456789"


def log(msg):
    print("gpu-check: %s" % msg, file=sys.stderr, flush=True)


BIN_LIB = None  # --lib: the bundle's libraries, for the binaries this script starts


def bin_env(**extra):
    env = dict(os.environ, **extra)
    if BIN_LIB:
        env["LD_LIBRARY_PATH"] = BIN_LIB
    return env


def run(args, env_icd=None, timeout=600, cwd=None):
    """(returncode, stdout, stderr, seconds) of the binary; a timeout is rc 124."""
    env = bin_env()
    if env_icd:
        env["VK_DRIVER_FILES"] = env_icd
        env["VK_ICD_FILENAMES"] = env_icd  # loaders older than 1.3.207
    t0 = time.monotonic()
    try:
        p = subprocess.run([sctest.BIN] + args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return 124, out, err + "\n(timed out after %d s)" % timeout, time.monotonic() - t0


def tail(text, n=600):
    return text[-n:] if text else ""


# --- devices -----------------------------------------------------------------

def icd_files():
    files = []
    for var in ("VK_DRIVER_FILES", "VK_ICD_FILENAMES"):
        files += [f for f in os.environ.get(var, "").split(":") if f]
    for d in ICD_DIRS:
        files += sorted(glob.glob(os.path.join(d, "*.json")))
    seen, out = set(), []
    for f in files:
        r = os.path.realpath(f)
        if r not in seen and os.path.isfile(r):
            seen.add(r)
            out.append(f)
    return out


def step_devices(report, reference_kind="lavapipe"):
    found = []
    for icd in icd_files():
        rc, out, err, _ = run(["devices", "--json"], env_icd=icd, timeout=60)
        if rc != 0:
            found.append({"icd": icd, "error": tail(err.strip(), 300)})
            continue
        try:
            devs = json.loads(out)["devices"]
        except (ValueError, KeyError):
            found.append({"icd": icd, "error": "devices --json printed no JSON: " + tail(out, 200)})
            continue
        for d in devs:
            found.append({"icd": icd, "device": d})
    gpus = [f for f in found if "device" in f and f["device"].get("type") != "cpu"]
    lvp = [f for f in found if "device" in f and f["device"].get("driver") == "llvmpipe"]
    nvidia = [f for f in gpus if "nvidia" in (f["device"].get("name", "") + f["device"].get("driver", "")).lower()]
    target = (nvidia or gpus or lvp or [None])[0]
    reference = (lvp or [None])[0] if reference_kind == "lavapipe" else None
    report["devices"] = found
    report["reference"] = reference
    report["target"] = target
    report["target_is_gpu"] = bool(target and target in gpus)
    if not gpus:
        report["not_available"].append(
            "a GPU: no Vulkan driver here offers a non-CPU device (ICDs: %s); every step runs on lavapipe, and "
            "what only a GPU shows (cross-device determinism, DMA-BUF export, a real device fault, GPU timings) "
            "is not available" % (", ".join(os.path.basename(f["icd"]) for f in found) or "none"))
    elif not nvidia:
        report["not_available"].append("an NVIDIA device: the GPU here is %s" % target["device"].get("name"))
    ok = target is not None
    if reference is None and reference_kind == "golden":
        report["not_available"].append("lavapipe as the reference: --reference golden (the target is compared "
                                        "with the committed golden state log and frame checksums; replay runs on "
                                        "the target)")
    elif reference is None:
        report["not_available"].append("lavapipe: no llvmpipe ICD here (mesa-vulkan-drivers; the device bundle "
                                        "carries none): the target is compared with the committed golden state "
                                        "log and frame checksums only, and replay runs on the target")
    return {"ok": ok, "icds": len(icd_files()), "devices": len([f for f in found if "device" in f]),
            "target": target and target["device"].get("name"),
            "target_driver": target and target["device"].get("driver_info"),
            "device_fault_extension": bool(target and target["device"].get("VK_EXT_device_fault")),
            "dma_buf_extension": bool(target and target["device"].get("VK_EXT_external_memory_dma_buf"))}


# --- determinism ---------------------------------------------------------------

def sim_state_log(icd, ticks, out_dir):
    state = os.path.join(out_dir, "state.log")
    frames = os.path.join(out_dir, "frames")
    os.makedirs(frames, exist_ok=True)
    args = list(test_golden.SIM)
    args[args.index("--ticks") + 1] = str(ticks)
    rc, _, err, secs = run(args + ["--state-log", state, "--dump-frames", frames], env_icd=icd, timeout=900)
    if rc != 0:
        return None, None, "sim exited %d: %s" % (rc, tail(err, 400)), secs
    with open(state) as f:
        lines = f.read().splitlines()
    return lines, test_golden.frame_sums(frames), None, secs


def step_determinism(report, quick, work):
    ticks = 600 if quick else test_golden.TICKS
    target, reference = report["target"], report["reference"]
    res = {"ok": False, "ticks": ticks}
    with gzip.open(test_golden.GOLDEN_STATE, "rt") as f:
        golden = f.read().splitlines()[:ticks + 1]
    t_lines, t_frames, err, secs = sim_state_log(target["icd"], ticks, os.path.join(work, "det-target"))
    res["target_seconds"] = round(secs, 1)
    if err:
        res["error"] = "target: " + err
        return res
    if reference is not None:
        r_lines, r_frames, err, secs = sim_state_log(reference["icd"], ticks, os.path.join(work, "det-reference"))
        res["reference_seconds"] = round(secs, 1)
        if err:
            res["error"] = "reference: " + err
            return res
        diff = test_golden.first_difference(r_lines, t_lines)
        res["target_vs_lavapipe"] = diff or "identical"
    else:
        # the committed checksums of the full match's frames (ticks 0, 1000, 2000, 2999): those of
        # the target's frames at the same ticks (only tick 0 in a --quick run)
        golden_frames = {}
        with open(test_golden.GOLDEN_FRAMES) as f:
            for line in f:
                if line.strip() and not line.startswith("#"):
                    t, size, sha = line.split()
                    golden_frames[int(t)] = "%s %s" % (size, sha)
        t_frames = {t: v for t, v in t_frames.items() if t in golden_frames}
        r_frames = {t: golden_frames[t] for t in t_frames}
        diff = None
        res["target_vs_lavapipe"] = "not available: no lavapipe here; compared with the committed golden log"
    gdiff = test_golden.first_difference(golden, t_lines)
    res["target_vs_golden"] = gdiff or "identical"
    res["frames_identical"] = bool(t_frames) and t_frames == r_frames
    res["frames_compared"] = len(t_frames)
    if not report["target_is_gpu"]:
        res["cross_device"] = "not available: the target is lavapipe itself (two runs on one driver compared)"
    res["ok"] = diff is None and gdiff is None and res["frames_identical"]
    return res


# --- bench -------------------------------------------------------------------------

def bench_json(args, icd, timeout):
    rc, out, err, secs = run(["bench"] + args + ["--json"], env_icd=icd, timeout=timeout)
    if rc != 0:
        return {"error": "bench %s exited %d: %s" % (" ".join(args), rc, tail(err, 400)), "seconds": round(secs, 1)}
    try:
        obj = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "bench %s printed no JSON object" % " ".join(args)}
    obj["seconds"] = round(secs, 1)
    return obj


def step_bench(report, quick):
    icd = report["target"]["icd"]
    sizes = ["320x176"] if quick else ["1280x720", "1920x1080"]
    sim_args = ["sim", "--ticks", "30" if quick else "600"]
    for s in sizes:
        sim_args += ["--size", s]
    res = {"sim": bench_json(sim_args, icd, 300 if quick else 900), "shadow": {}}
    for s in (sizes if not quick else []):
        res["shadow"][s] = bench_json(["shadow", "--size", s], icd, 900)
    if quick:
        res["shadow"] = "not run with --quick (a whole `run` per fault kind): the run and fault steps cover it"
    runs = [res["sim"]] + (list(res["shadow"].values()) if isinstance(res["shadow"], dict) else [])
    errors = [v["error"] for v in runs if "error" in v]
    res["ok"] = not errors
    if errors:
        res["errors"] = errors
    if not report["target_is_gpu"]:
        res["gpu_timings"] = "not available: these are lavapipe's (CPU) timings"
    return res


# --- run + scripted client -----------------------------------------------------------

def frame_memory_line(log_text):
    """The encoder's line that says how it reads the primary's frame memory."""
    m = re.search(r"\[encoder\] info: frames: (.*)", log_text)
    p = re.search(r"\[primary\] info: frame memory: (.*)", log_text)
    return (m.group(1) if m else None), (p.group(1) if p else None)


def server_args(quick, captures, extra):
    size = "320x176" if quick else "1280x720"
    return ["run", "--listen", "127.0.0.1:0", "--size", size, "--fps", "30" if quick else "60",
            "--particles", "2000" if quick else "20000", "--delay", "30t", "--hang-timeout", "5000",
            "--captures", captures] + extra


def step_run(report, quick, work):
    icd = report["target"]["icd"]
    seconds = 6 if quick else 20
    d = os.path.join(work, "run")
    os.makedirs(d, exist_ok=True)
    env = bin_env(VK_DRIVER_FILES=icd, VK_ICD_FILENAMES=icd)
    s = Session(d, "run", server_args(quick, os.path.join(d, "captures"), []), env=env, token=TOKEN)
    res = {"ok": False, "seconds": seconds}
    try:
        s.wait_url(120)
        port = int(s.url.rsplit(":", 1)[1].strip("/"))
        c = WsClient(port, "gpu-check", keep_video=True)
        hello = c.join("spectate")
        res["hello"] = {k: hello.get(k) for k in ("type", "width", "height", "fps")}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.25)
        c.sock.close()
        time.sleep(0.3)
        video = os.path.join(d, "video.bin")
        with open(video, "wb") as f:
            for m in list(c.video):
                f.write(struct.pack("<I", len(m)) + m)
        res["frames_received"] = len(c.video)
        dec = os.path.join(os.path.dirname(sctest.BIN), "h264_decode_stream")
        p = subprocess.run([dec, video], capture_output=True, text=True, timeout=120, env=bin_env())
        try:
            res["decode"] = json.loads(p.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            res["decode"] = {"error": "h264_decode_stream: " + tail(p.stderr, 300)}
        text = s.stderr()
        enc, prim = frame_memory_line(text)
        res["encoder_frames"] = enc
        res["primary_frame_memory"] = prim
        res["dma_buf"] = bool(prim and "exported as DMA-BUF" in prim)
        m = re.search(r"encoded in place from the primary's frame memory \((\d+) bytes copied\)", text)
        res["cpu_copy_bytes_first_frame"] = int(m.group(1)) if m else None
        if not res["dma_buf"]:
            report["not_available"].append("DMA-BUF frame export: %s" % (prim or "no frame-memory line in the log"))
        dec_ok = res["decode"].get("decoded", 0) > 0 and res["decode"].get("decoded") == res["frames_received"] \
            and not res["decode"].get("decode_errors") and not res["decode"].get("bad_headers")
        res["ok"] = bool(dec_ok and res["cpu_copy_bytes_first_frame"] == 0)
    except (AssertionError, OSError) as e:
        res["error"] = tail(str(e), 800)
    finally:
        s.close()
    return res


# --- a device fault ------------------------------------------------------------------

def step_fault(report, quick, work):
    icd = report["target"]["icd"]
    d = os.path.join(work, "fault")
    captures = os.path.join(d, "captures")
    os.makedirs(d, exist_ok=True)
    env = bin_env(VK_DRIVER_FILES=icd, VK_ICD_FILENAMES=icd)
    # a real device fault needs a GPU: lavapipe runs in this process, so a
    # wild access would crash it; there the primary simulates the loss
    kind = "device-lost"
    res = {"ok": False, "kind": kind}
    if not report["target_is_gpu"]:
        res["real_fault"] = "not available: lavapipe (a CPU driver) cannot lose a device; the simulated device " \
                            "loss is checked instead, called simulated-device-lost"
    else:
        res["real_fault"] = "not available: shadowcast has no fault kind that makes a real GPU page fault yet; " \
                            "the simulated device loss is checked instead"
    report["not_available"].append("a real device fault: " + res["real_fault"].split(": ", 1)[1])
    s = Session(d, "fault", server_args(quick, captures, ["--on-fault", "stop"]), env=env, token=TOKEN)
    try:
        s.wait_url(120)
        s.wait_for("the shadow follows", lambda: any(b["state"] == "running" and b["alive"]
                                                     for b in s.api("status")[1]["shadows"]), 120)
        code, r = s.api("inject", "POST", {"kind": kind})
        res["inject"] = code
        if code != 200:
            res["error"] = "inject answered %d: %s" % (code, r)
            return res

        def held():
            st = s.api("status")[1]
            return st.get("last_incident") and any(b["state"] == "paused" and b["captures"] > 0
                                                   for b in st["shadows"])
        s.wait_for("the shadow holds the state before the fault", held, 120)
        st = s.api("status")[1]
        inc = st["last_incident"]
        b = [b for b in st["shadows"] if b["state"] == "paused"][0]
        res["incident"] = {k: inc.get(k) for k in ("detected", "injected", "path", "error_tick", "held_tick",
                                                   "detect_to_pause_ms", "hashes_match")}
        cap = b["capture_dir"]
        with open(os.path.join(cap, "manifest.json")) as f:
            manifest = json.load(f)
        res["device_fault_report"] = manifest.get("devices", {}).get("device_fault_report")
        res["detected"] = manifest.get("fault", {}).get("detected")
        res["capture_files"] = sorted(os.listdir(cap))
        if os.path.exists(os.path.join(cap, "missing.txt")):
            with open(os.path.join(cap, "missing.txt")) as f:
                res["capture_missing"] = f.read().strip()[:600]
        # replay on lavapipe (on the target where there is none)
        where = report["reference"] or report["target"]
        rc, out, err, secs = run(["replay", cap], env_icd=where["icd"], timeout=300)
        res["replay_on_lavapipe" if report["reference"] else "replay_on_target"] = {
            "exit": rc, "verdict": (out.strip().splitlines() or [""])[-1][:300], "seconds": round(secs, 1)}
        paused_before = inc.get("held_tick") == inc.get("error_tick", 0) - 1
        res["ok"] = bool(inc.get("hashes_match") and paused_before and rc == 0)
    except (AssertionError, OSError, KeyError, IndexError, ValueError) as e:
        res["error"] = tail(str(e), 800)
    finally:
        s.close()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "shadowcast"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--lib", default=None)
    ap.add_argument("--reference", choices=("lavapipe", "golden"), default="lavapipe")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        print("gpu-check: %s is not an executable (build first: scripts/build.sh build)" % a.bin, file=sys.stderr)
        return 2
    global BIN_LIB
    BIN_LIB = a.lib and os.path.abspath(a.lib)
    sctest.init([sys.argv[0], a.bin])
    work = a.out or tempfile.mkdtemp(prefix="sc-gpu-check-")
    os.makedirs(work, exist_ok=True)
    report = {"gpu_check": 1, "quick": a.quick, "host": platform.node(), "kernel": platform.release(),
              "cpus": os.cpu_count(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "not_available": [], "steps": {}}
    t0 = time.monotonic()
    steps = [("devices", lambda: step_devices(report, a.reference)),
             ("determinism", lambda: step_determinism(report, a.quick, work)),
             ("bench", lambda: step_bench(report, a.quick)),
             ("run", lambda: step_run(report, a.quick, work)),
             ("fault", lambda: step_fault(report, a.quick, work))]
    for name, fn in steps:
        if name != "devices" and report.get("target") is None:
            report["steps"][name] = {"ok": False, "error": "not run: no Vulkan device"}
            continue
        log("%s ..." % name)
        s0 = time.monotonic()
        try:
            report["steps"][name] = fn()
        except Exception as e:  # a step's failure is reported, the others still run
            report["steps"][name] = {"ok": False, "error": "%s: %s" % (type(e).__name__, tail(str(e), 600))}
        report["steps"][name]["step_seconds"] = round(time.monotonic() - s0, 1)
        log("%s: %s" % (name, "ok" if report["steps"][name].get("ok") else "FAILED"))
    report["seconds"] = round(time.monotonic() - t0, 1)
    report["ok"] = all(v.get("ok") for v in report["steps"].values())
    report["work_dir"] = work
    if not a.out:
        shutil.rmtree(work, ignore_errors=True)
        report["work_dir"] = None
    print(json.dumps(report, sort_keys=True))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
