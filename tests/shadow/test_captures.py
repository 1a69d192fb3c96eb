#!/usr/bin/env python3
"""Captures offline: a harness writes a capture of the state before a random
error tick (through the shadow's capture writer); `inspect` prints it (text and
JSON), `replay` reproduces the error at the same tick (assert, corrupt, hang in
a child process, crash as a signal, oob through the guard band, a simulated
device loss), does not when the offending input is removed, and `--step input`
reproduces exactly when the FAULT input is applied. Verdicts: a capture whose
recorded fault kind or error tick is altered is not reproduced, with the exit
status and message of what happened instead (docs/captures.md).
usage: test_captures.py SHADOWCAST MAKE_CAPTURE"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

SHADOWCAST, MAKE = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def make(tmp, kind, seed, drop=False):
    d = os.path.join(tmp, f"{kind}-{seed}{'-dropped' if drop else ''}")
    r = run([MAKE, d, kind, str(seed)] + (["--drop-fault"] if drop else []))
    if r.returncode != 0:
        raise SystemExit(f"make_capture {kind} failed: {r.stderr}")
    return d, json.loads(r.stdout.strip().splitlines()[-1])


def test_layout_and_inspect(tmp, seed):
    d, info = make(tmp, "assert", seed)
    E = info["error_tick"]
    for f in ["manifest.json", "state.bin", "frame.png", "inputs.txt", "error.json", "missing.txt"]:
        check(os.path.isfile(os.path.join(d, f)), f"capture has {f}")
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)  # a strict parser: the escaping must be right
    check(m["primary_error_tick"] == E and m["held_tick"] == E - 1 and m["next_tick"] == E, "manifest ticks")
    check(m["fault"]["detected"] == "assert" and m["fault"]["injected"] == "assert", "manifest fault kind")
    check(m["fault"]["detection_path"] == 724, "manifest detection path")
    check(m["shadow_hash"] == m["primary_hash"] == info["hash"] and m["hashes_match"] is True, "manifest hashes")
    check('"quoted"' in m["fault"]["detail"] and "\\" in m["fault"]["detail"], "detail escaped and read back")
    with open(os.path.join(d, "error.json")) as f:
        err = json.load(f)
    check(err["error_tick"] == E and err["incident"] == 1, "error.json")
    with open(os.path.join(d, "frame.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "frame.png is a PNG")
    with open(os.path.join(d, "missing.txt")) as f:
        check("VK_EXT_device_fault" in f.read(), "missing.txt names the device-fault report")
    with open(os.path.join(d, "inputs.txt")) as f:
        text = f.read()
    check(re.search(rf"^{E} - fault assert +# seq \d+, offending, not applied$", text, re.M) is not None,
          "inputs.txt marks the fault input as offending, not applied")
    check(re.search(rf"^{E - 1} \d .*applied$", text, re.M) is not None or "applied: ticks" in text,
          "inputs.txt lists applied inputs")

    r = run([SHADOWCAST, "inspect", d])
    check(r.returncode == 0, f"inspect exits 0 ({r.stderr})")
    out = r.stdout
    for needle in [f"state after tick {E - 1}", "player 0", "player 1", "puck", "particles", "score",
                   "no fault record", "fault assert", "(match)"]:
        check(needle in out, f"inspect text shows '{needle}'")
    r = run([SHADOWCAST, "inspect", d, "--json"])
    check(r.returncode == 0, "inspect --json exits 0")
    j = json.loads(r.stdout)
    check(j["tick"] == E and j["held_tick"] == E - 1 and j["error_tick"] == E, "inspect json ticks")
    check(len(j["players"]) == 2 and 0 <= j["players"][0]["x_px"] <= 1280, "inspect json players")
    check(j["particles"]["count"] == 3000 and j["particles"]["alive"] == j["particles"]["trail"] + j["particles"]["spark"],
          "inspect json particles")
    check(j["fault_record"] is None, "the held state has no fault record")
    check(any("fault assert" in p for p in j["pending_inputs"]), "inspect json pending inputs")

    r = run([SHADOWCAST, "inspect", os.path.join(tmp, "nope")])
    check(r.returncode == 1 and "manifest.json" in r.stderr, "inspect of a missing capture: clear error")
    return d, info


def test_replay(tmp, kind, seed, expect):
    d, info = make(tmp, kind, seed)
    E = info["error_tick"]
    r = run([SHADOWCAST, "replay", d])
    print(r.stdout.strip())
    check(r.returncode == 0, f"replay {kind}: reproduced, exit 0 (got {r.returncode}: {r.stdout} {r.stderr})")
    check(re.search(rf"^reproduced: {expect} at tick {E}\b", r.stdout, re.M) is not None,
          f"replay {kind}: 'reproduced: {expect} at tick {E}'")
    return d, info


def test_replay_dropped(tmp, kind, seed):
    d, info = make(tmp, kind, seed, drop=True)
    r = run([SHADOWCAST, "replay", d])
    check(r.returncode == 1, f"replay {kind} without the offending input: exit 1 (got {r.returncode})")
    check(re.search(r"^not reproduced: ticks \d+\.\.\d+ ran without a fault", r.stdout, re.M) is not None,
          f"replay {kind} dropped: says no fault ran ({r.stdout})")
    check("not reproduced" in r.stdout and not re.search(r"^reproduced:", r.stdout, re.M), f"replay {kind} dropped: not reproduced")
    r = run([SHADOWCAST, "replay", d, "--until-error"])
    check(r.returncode == 1, f"replay --until-error without the fault: exit 1 (got {r.returncode})")


def altered(d, name, detected=None, error_tick=None):
    """A copy of capture d whose manifest records another fault kind or error tick."""
    out = f"{d}-{name}"
    shutil.copytree(d, out)
    path = os.path.join(out, "manifest.json")
    with open(path) as f:
        text = f.read()
    if detected is not None:
        text, n = re.subn(r'"detected": "[^"]*"', f'"detected": "{detected}"', text)
        assert n == 1, "one fault.detected in the manifest"
    if error_tick is not None:
        text, n = re.subn(r'"primary_error_tick": \d+', f'"primary_error_tick": {error_tick}', text)
        assert n == 1, "one primary_error_tick in the manifest"
    with open(path, "w") as f:
        f.write(text)
    return out


def expect_verdict(d, what, rc, pattern):
    r = run([SHADOWCAST, "replay", d])
    print(f"[{what}] exit {r.returncode}: {r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr}")
    check(r.returncode == rc, f"replay {what}: exit {rc} (got {r.returncode}: {r.stdout} {r.stderr})")
    check(re.search(pattern, r.stdout, re.M) is not None, f"replay {what}: output matches {pattern!r}: {r.stdout}")
    check(not re.search(r"^reproduced:", r.stdout, re.M) or rc == 0, f"replay {what}: does not say reproduced")


def test_verdicts(tmp, seed):
    """reproduced only for the recorded kind at the recorded tick"""
    d, info = make(tmp, "assert", seed)
    E = info["error_tick"]
    expect_verdict(altered(d, "kind", detected="invalid-state"), "assert, capture says invalid-state", 3,
                   rf"^not reproduced: a different fault: assert at tick {E}\b.*; the capture's fault: "
                   rf"invalid-state at tick {E}$")
    expect_verdict(altered(d, "tick", error_tick=E + 1), "assert, capture says tick E+1", 4,
                   rf"^not reproduced: the same kind at another tick: assert at tick {E}\b.*; the capture's "
                   rf"fault: assert at tick {E + 1}$")
    expect_verdict(altered(d, "death", detected="process-death"), "assert, capture says process-death", 3,
                   rf"^not reproduced: a different fault: assert at tick {E}\b")
    d, info = make(tmp, "crash", seed + 1)
    E = info["error_tick"]
    expect_verdict(altered(d, "kind", detected="assert"), "crash, capture says assert", 5,
                   rf"^not reproduced: the replay child crashed with signal 6 \(Aborted\) at tick {E}; the "
                   rf"capture's fault: assert at tick {E}$")
    expect_verdict(altered(d, "tick", error_tick=E + 3), "crash, capture says tick E+3", 4,
                   rf"^not reproduced: the same kind at another tick: crash at tick {E}\b.*; the capture's "
                   rf"fault: process-death at tick {E + 3}$")
    d, info = make(tmp, "device-lost", seed + 2)
    E = info["error_tick"]
    expect_verdict(altered(d, "real", detected="device-lost"), "simulated loss, capture says a real one", 3,
                   rf"^not reproduced: a different fault: simulated device-lost at tick {E}\b.*; the capture's "
                   rf"fault: device-lost at tick {E}$")
    d, info = make(tmp, "oob", seed + 3)
    E = info["error_tick"]
    expect_verdict(altered(d, "kind", detected="assert"), "oob, capture says assert", 3,
                   rf"^not reproduced: a different fault: oob at tick {E}\b.*; the capture's fault: assert at "
                   rf"tick {E}$")
    d, info = make(tmp, "assert", seed + 4, drop=True)
    E = info["error_tick"]
    expect_verdict(d, "no fault", 1, rf"^not reproduced: ticks {E}\.\.{E} ran without a fault; the capture's "
                   rf"fault: assert at tick {E}$")


def test_step_input(tmp, kind, seed):
    d, info = make(tmp, kind, seed)
    E, K, N = info["error_tick"], info["fault_index"], info["inputs_at_error_tick"]
    r = run([SHADOWCAST, "replay", d, "--step", "input"])
    lines = [l for l in r.stdout.splitlines() if l.startswith(f"tick {E} input ")]
    check(r.returncode == 0, f"step input {kind}: exit 0")
    check(len(lines) == K, f"step input {kind}: stops at input {K} (printed {len(lines)} of {N})")
    if lines:
        check(lines[-1].endswith("-> fault") and "fault " in lines[-1], f"the fault shows at input {K}: {lines[-1]}")
        check(all(l.split(" -> ")[1].startswith("ok") for l in lines[:-1]), "inputs before the fault: ok")
    r = run([SHADOWCAST, "replay", d, "--step", "tick"])
    check(r.returncode == 0 and f"reproduced" in r.stdout, "replay --step tick reproduces")


def main():
    seed = int(os.environ.get("SC_TEST_SEED", random.randrange(1 << 30)))
    print("seed", seed)
    with tempfile.TemporaryDirectory() as tmp:
        test_layout_and_inspect(tmp, seed)
        test_replay(tmp, "assert", seed + 1, "assert")
        test_replay(tmp, "corrupt", seed + 2, "invalid state")
        test_replay(tmp, "hang", seed + 3, "hang")
        test_replay(tmp, "crash", seed + 4, "crash")
        test_replay(tmp, "device-lost", seed + 5, "simulated device-lost")
        test_replay(tmp, "oob", seed + 10, "oob")
        test_replay_dropped(tmp, "assert", seed + 6)
        test_replay_dropped(tmp, "corrupt", seed + 7)
        test_step_input(tmp, "assert", seed + 8)
        test_step_input(tmp, "corrupt", seed + 9)
        test_step_input(tmp, "oob", seed + 11)
        test_verdicts(tmp, seed + 12)
        r = run([SHADOWCAST, "replay"])
        check(r.returncode == 2 and "usage" in r.stderr, "replay without a capture: usage, exit 2")
    if failures:
        print(f"{len(failures)} failures (seed {seed})")
        sys.exit(1)
    print("captures ok")


main()
