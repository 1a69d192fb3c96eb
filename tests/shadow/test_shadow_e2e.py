#!/usr/bin/env python3
"""Shadow tracking end to end on `shadowcast run` (lavapipe is enough): for a
fault kind, scripted play (--inputs) with the FAULT input at a random tick;
asserts a capture appears, the shadow holds error tick - 1 with the primary's
hash for it, the offending input is in the capture and not applied, replay
reproduces the error offline at the same tick, and for the deterministic kinds
stepping input by input faults exactly at the FAULT input.
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

SHADOWCAST, KIND = sys.argv[1], sys.argv[2]
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else random.randrange(1 << 30)
FPS, DELAY = 30, 90  # 3 s: more than the 2 s hang timeout (a loaded machine is slow)
EXPECT = {"assert": "assert", "corrupt": "invalid state", "hang": "hang", "crash": "crash",
          "device-lost": "device-lost", "oob": None}
DETECTED = {"assert": "assert", "corrupt": "invalid-state", "hang": "hang", "crash": "process-death",
            "device-lost": "device-lost"}
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
        # the error tick at 30 fps, the delay, start-up and a hang timeout, generously
        deadline = time.monotonic() + 60 + error_tick / FPS
        if EXPECT[KIND] is None:
            deadline = time.monotonic() + 8 + (error_tick + DELAY) / FPS
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                found = glob.glob(os.path.join(caps, "incident-*", "missing.txt"))
                if found:
                    capture = os.path.dirname(found[0])
                    time.sleep(0.3)
                    break
                time.sleep(0.1)
        finally:
            stop(proc)
        log.seek(0)
        server_log = log.read()
        if EXPECT[KIND] is None:
            # oob: with robust buffer access (lavapipe) the write is dropped: no
            # incident, and the shadow passes the tick as the primary did
            # oob: undefined behaviour without robustness. On lavapipe the write
            # lands in host memory: nothing, a hang or a crash, run to run. The
            # test asserts only that whatever was detected was captured sanely.
            print("oob: " + ("captured " + capture if capture else "not detected on this driver (no incident)"))
            if capture:
                with open(os.path.join(capture, "manifest.json")) as f:
                    m = json.load(f)
                check(m["held_tick"] == m["primary_error_tick"] - 1, "oob: the shadow holds error tick - 1")
                check(m["hashes_match"] is True, "oob: the held state matches the primary's")
            if failures:
                print(server_log[-4000:])
                sys.exit(1)
            print("ok")
            return
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
        check(m["fault"]["detected"] == DETECTED.get(KIND, m["fault"]["detected"]), f"detected {m['fault']['detected']}")
        print("detected:", m["fault"]["detected"], "-", m["fault"]["detail"])
        check(m["delay_ticks"] == DELAY, "delay recorded")
        with open(os.path.join(capture, "inputs.txt")) as f:
            text = f.read()
        check(re.search(rf"^{E} - fault {KIND} +# seq \d+, offending, not applied$", text, re.M) is not None,
              "the offending input is in the capture, not applied")
        check(os.path.isfile(os.path.join(capture, "frame.png")), "frame.png")
        check(os.path.isfile(os.path.join(capture, "state.bin")), "state.bin")
        r = subprocess.run([SHADOWCAST, "inspect", capture, "--json"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and json.loads(r.stdout)["held_tick"] == E - 1, "inspect")
        r = subprocess.run([SHADOWCAST, "replay", capture], capture_output=True, text=True, timeout=120)
        print(r.stdout.strip())
        check(r.returncode == 0 and re.search(rf"^reproduced: {EXPECT[KIND]} at tick {E}\b", r.stdout, re.M),
              f"replay reproduces {KIND} at tick {E} offline (exit {r.returncode})")
        if KIND in ("assert", "corrupt"):
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
