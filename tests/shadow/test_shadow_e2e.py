#!/usr/bin/env python3
"""Shadow tracking end to end on `shadowcast run` (lavapipe is enough): for a
fault kind, scripted play (--inputs) with the FAULT input at a random tick;
asserts a capture appears, the shadow holds error tick - 1 with the primary's
hash for it, the offending input is in the capture and not applied, replay
reproduces the error offline at the same tick, and for the deterministic kinds
stepping input by input faults exactly at the FAULT input. Every kind must be
detected (oob too: its write lands in the guard band after the particles,
whose canaries are checked every tick), with the detection path the primary's
own detection (724) or the supervisor's outside view (734) gives, and the
injected kind recorded.
usage: test_shadow_e2e.py SHADOWCAST KIND [SEED]"""
import glob
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

SHADOWCAST, KIND = sys.argv[1], sys.argv[2]
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else random.randrange(1 << 30)
FPS, DELAY = 30, 90  # 3 s: more than the 2 s hang timeout (a loaded machine is slow)
EXPECT = {"assert": "assert", "corrupt": "invalid state", "hang": "hang", "crash": "crash",
          "device-lost": "simulated device-lost", "oob": "oob"}
DETECTED = {"assert": "assert", "corrupt": "invalid-state", "hang": "hang", "crash": "process-death",
            "device-lost": "simulated-device-lost", "oob": "oob"}
# 724: the primary found it itself (fault record, its own validation, its own
# fence timeout, device loss); 734: the supervisor saw it from outside (death)
PATH = {"assert": 724, "corrupt": 724, "hang": 724, "oob": 724, "crash": 734, "device-lost": 724}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def script(path, rnd):
    error_tick = rnd.randrange(60, 120)
    lines = []
    for t in range(5, error_tick, rnd.randrange(2, 5)):
        lines.append(f"{t} {rnd.randrange(2)} move {rnd.randrange(-127, 128)} {rnd.randrange(-127, 128)}")
    before = rnd.randrange(1, 3)
    for _ in range(before):
        lines.append(f"{error_tick} {rnd.randrange(2)} move {rnd.randrange(-127, 128)} {rnd.randrange(-127, 128)}")
    lines.append(f"{error_tick} - fault {KIND}")
    lines.append(f"{error_tick} 1 shoot")
    lines.append(f"{error_tick + 4} 0 move 0 0")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return error_tick, before + 1


def api_status(log):
    """The debug API's status, while the server runs (the URL line is in the log)."""
    log.flush()
    with open(log.name) as f:
        m = re.search(r"open (http://127\.0\.0\.1:\d+)/", f.read())
    if not m:
        return None
    try:
        with urllib.request.urlopen(m.group(1) + "/api/v1/status", timeout=5) as r:
            return json.loads(r.read().decode())
    except OSError as e:
        print("status API:", e)
        return None


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            check(False, "the server stops within 20 s of SIGINT")


def main():
    rnd = random.Random(SEED)
    print("seed", SEED, "kind", KIND, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "inputs.txt")
        caps = os.path.join(tmp, "captures")
        error_tick, fault_k = script(inputs, rnd)
        log = open(os.path.join(tmp, "server.log"), "w+")
        proc = subprocess.Popen([SHADOWCAST, "run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps",
                                 str(FPS), "--particles", "2000", "--delay", f"{DELAY}t", "--encoder", "x264",
                                 "--hang-timeout", "2000", "--inputs", inputs, "--captures", caps,
                                 "--on-fault", "stop"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
        capture = None
        status = None
        # the error tick at 30 fps, the delay, start-up and a hang timeout, generously
        deadline = time.monotonic() + 60 + error_tick / FPS
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                found = glob.glob(os.path.join(caps, "incident-*", "missing.txt"))
                if found:
                    capture = os.path.dirname(found[0])
                    time.sleep(0.3)
                    status = api_status(log)
                    break
                time.sleep(0.1)
        finally:
            stop(proc)
        log.seek(0)
        server_log = log.read()
        check(capture is not None, f"a capture appears for {KIND}")
        if not capture:
            if failures:
                print(server_log[-4000:])
                sys.exit(1)
            print("ok")
            return
        with open(os.path.join(capture, "manifest.json")) as f:
            m = json.load(f)
        E = m["primary_error_tick"]
        print(f"capture {capture}: error tick {E} (scripted {error_tick}), held {m['held_tick']}")
        check(E in (error_tick, error_tick + 1), f"error tick {E} is the scripted fault's tick {error_tick}")
        check(m["held_tick"] == E - 1 and m["next_tick"] == E, "the shadow holds error tick - 1")
        check(m["hashes_match"] is True and m["shadow_hash"] == m["primary_hash"],
              f"shadow hash {m['shadow_hash']} == primary hash {m['primary_hash']} for the held tick")
        fa = m["fault"]
        print("detected:", fa["detected"], fa["detection_path"], "injected", fa["injected"], "-", fa["detail"])
        check(fa["detected"] == DETECTED[KIND], f"detected {fa['detected']}, expected {DETECTED[KIND]}")
        check(fa["detection_path"] == PATH[KIND], f"detection path {fa['detection_path']}, expected {PATH[KIND]}")
        check(fa["detection_path_name"] == ("self-reported" if PATH[KIND] == 724 else "external-monitor"),
              f"detection path name {fa['detection_path_name']}")
        check(fa["injected"] == KIND, f"injected {fa['injected']}, expected {KIND}")
        with open(os.path.join(capture, "error.json")) as ef:
            err = json.load(ef)
        check(err["detected"] == DETECTED[KIND] and err["detection_path"] == PATH[KIND] and err["injected"] == KIND,
              f"error.json: {err['detected']} {err['detection_path']} {err['injected']}")
        # the shader fault record's numbers and the device-fault report's status, as the
        # primary published them in the session (not parsed out of the detail)
        rec = err["fault_record"]
        if KIND in ("assert", "oob"):
            check(rec is not None and rec["kind"] == (4 if KIND == "oob" else 1) and rec["tick"] == E,
                  f"error.json fault_record {rec}: kind {4 if KIND == 'oob' else 1} at tick {E}")
        else:
            check(rec is None, f"error.json fault_record {rec}: none for {KIND}")
        if KIND == "device-lost":
            check(err["device_fault_status"] in ("saved", "not-offered", "failed") and
                  err["device_fault_report"] == (err["device_fault_status"] == "saved"),
                  f"error.json device fault report: {err['device_fault_status']} {err['device_fault_report']}")
        else:
            check(err["device_fault_status"] == "none" and err["device_fault_report"] is False,
                  f"error.json: no device fault report for {KIND}: {err['device_fault_status']}")
        check(re.search(rf"incident \d+: {DETECTED[KIND]} at tick {E} \(signal {PATH[KIND]}\)", server_log) is not None,
              f"the server log names the incident: {DETECTED[KIND]} at tick {E} (signal {PATH[KIND]})")
        last = (status or {}).get("last_incident") or {}
        check(last.get("detected") == DETECTED[KIND] and last.get("path") == PATH[KIND] and
              last.get("injected") == KIND, f"the debug API's status: last incident {last}")
        inc = (status or {}).get("incident") or {}  # the live incident (--on-fault stop keeps it)
        check(inc.get("detected") == DETECTED[KIND] and inc.get("path") == PATH[KIND] and
              inc.get("injected") == KIND, f"the debug API's status: incident {inc}")
        if KIND == "device-lost":
            check("simulated" in fa["detail"], f"the detail says simulated: {fa['detail']}")
            check("simulated" in inc.get("detail", ""), "the debug API's detail says simulated")
            with open(os.path.join(capture, "missing.txt")) as mf:
                check("simulated" in mf.read(), "missing.txt says the device loss was simulated")
            check(not re.search(r"incident \d+: device-lost", server_log), "the log never calls it a real device loss")
        check(m["delay_ticks"] == DELAY, "delay recorded")
        with open(os.path.join(capture, "inputs.txt")) as f:
            text = f.read()
        check(re.search(rf"^{E} - fault {KIND} +# seq \d+, offending, not applied$", text, re.M) is not None,
              "the offending input is in the capture, not applied")
        check(os.path.isfile(os.path.join(capture, "frame.png")), "frame.png")
        check(os.path.isfile(os.path.join(capture, "state.bin")), "state.bin")
        r = subprocess.run([SHADOWCAST, "inspect", capture, "--json"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and json.loads(r.stdout)["held_tick"] == E - 1, "inspect")
        check(json.loads(r.stdout)["detected"] == DETECTED[KIND], "inspect --json: detected")
        r = subprocess.run([SHADOWCAST, "inspect", capture], capture_output=True, text=True, timeout=60)
        check(re.search(rf"^incident +\d+: {DETECTED[KIND]} \(injected {KIND}\), signal {PATH[KIND]}", r.stdout,
                        re.M) is not None, f"inspect names the incident: {r.stdout[:400]}")
        r = subprocess.run([SHADOWCAST, "replay", capture], capture_output=True, text=True, timeout=120)
        print(r.stdout.strip())
        check(r.returncode == 0 and re.search(rf"^reproduced: {EXPECT[KIND]} at tick {E}\b", r.stdout, re.M),
              f"replay reproduces {KIND} at tick {E} offline (exit {r.returncode})")
        if KIND in ("assert", "corrupt", "oob"):
            r = subprocess.run([SHADOWCAST, "replay", capture, "--step", "input"], capture_output=True, text=True,
                               timeout=120)
            steps = [l for l in r.stdout.splitlines() if l.startswith(f"tick {E} input ")]
            check(r.returncode == 0 and steps and steps[-1].endswith("-> fault") and f"fault {KIND}" in steps[-1],
                  f"stepping by input faults exactly at the fault input: {steps}")
            check(len(steps) == fault_k, f"... which is input {fault_k} of the tick (stopped at {len(steps)})")
        if failures:
            print(server_log[-4000:])
    if failures:
        print(f"{len(failures)} failures (seed {SEED})")
        sys.exit(1)
    print("ok")


main()
