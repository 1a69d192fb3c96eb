#!/usr/bin/env python3
"""The shadow's sound is the primary's, and a capture holds it.

`shadowcast run` plays tests/gpu/data/goal.txt (--inputs, OFFSET ticks late)
with a shadow 30 ticks behind. Once the shadow is past the goal the test
pauses it and asks for a capture. Then, from outside:
- audio_ticks.txt: every tick's shadow audio hash equals the primary's, and
  equals the audio_hash of the primary's tick record (GET /api/v1/ticks);
- audio.wav (48 kHz mono s16) holds exactly those ticks' samples: each tick's
  samples hash (the documented audio hash, docs/captures.md) to its hash;
- the window holds the goal's tick (`shadowcast sim --trace` names it), and
  that tick is far louder than the window's typical tick.
Usage: test_shadow_audio.py SHADOWCAST"""
import json
import os
import re
import shutil
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import scserver  # noqa: E402
import sctest  # noqa: E402

OFFSET = 90
FPS = 30
GOAL_FILE = os.path.join(os.path.dirname(__file__), "..", "gpu", "data", "goal.txt")


def mix32(h):
    h ^= h >> 16
    h = (h * 0x85ebca6b) & 0xffffffff
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & 0xffffffff
    h ^= h >> 16
    return h


def mix32b(h):
    h ^= h >> 15
    h = (h * 0x2c1b3c6d) & 0xffffffff
    h ^= h >> 12
    h = (h * 0x297a2d39) & 0xffffffff
    h ^= h >> 15
    return h


def audio_hash(samples, tick, pos):
    """docs/captures.md: FNV-1a-like over the tick's samples packed two a 32-bit word."""
    n = len(samples)
    h = 0x811c9dc5 ^ n
    for i in range(0, n, 2):
        lo = samples[i] & 0xffff
        hi = (samples[i + 1] & 0xffff) if i + 1 < n else 0
        h = ((h ^ (lo | hi << 16)) * 0x01000193) & 0xffffffff
    return mix32(h ^ (pos & 0xffffffff)) ^ mix32b(tick)


def read_wav(path):
    with open(path, "rb") as f:
        d = f.read()
    sctest.check(d[:4] == b"RIFF" and d[8:16] == b"WAVEfmt ", "audio.wav is a RIFF/WAVE file")
    fmt, ch, rate, _, _, bits = struct.unpack_from("<HHIIHH", d, 20)
    sctest.check((fmt, ch, rate, bits) == (1, 1, 48000, 16), "audio.wav: PCM, mono, 48 kHz, 16 bits: %s"
                 % ((fmt, ch, rate, bits),))
    sctest.check(d[36:40] == b"data", "audio.wav: data chunk")
    (size,) = struct.unpack_from("<I", d, 40)
    sctest.check(size == len(d) - 44, "audio.wav: data size %d of %d bytes" % (size, len(d) - 44))
    return struct.unpack_from("<%dh" % (size // 2), d, 44)


def main():
    sctest.init(sys.argv)
    d = sctest.tmpdir()
    with open(GOAL_FILE) as f:
        events = [l.split("#")[0].split() for l in f]
    events = [[int(e[0]) + OFFSET] + e[1:] for e in events if e]
    script = os.path.join(d, "goal.txt")
    with open(script, "w") as f:
        f.writelines(" ".join(map(str, e)) + "\n" for e in events)
    caps = os.path.join(d, "captures")
    s = scserver.Session(d, "run", ["run", "--listen", "127.0.0.1:0", "--size", "320x176", "--fps", str(FPS),
                                    "--particles", "2000", "--bitrate", "800", "--inputs", script,
                                    "--delay", "30t", "--hang-timeout", "5000", "--captures", caps],
                         token="shadow-audio-test-token")
    try:
        s.wait_url()
        # the server scores (its state says by when); then the shadow, 30 ticks behind, must pass it
        scored = {}

        def goal_scored():
            _, body = s.get("api/v1/state")
            st = json.loads(body)
            if st.get("valid") and sum(st["score"]) > 0:
                scored["tick"] = st["tick"]
                return True
            return False
        s.wait_for("the scripted goal", goal_scored, timeout=150)
        want = scored["tick"] + 40

        def shadow_tick():
            _, st = s.api("status")
            sh = [x for x in st["shadows"] if x["state"] in ("running", "resumed")]
            return sh[0]["next_tick"] if sh else 0
        s.wait_for("the shadow past tick %d" % want, lambda: shadow_tick() > want, timeout=120)
        code, _ = s.api("shadow/pause", "POST", timeout=30)
        sctest.check(code == 200, "pause: %d" % code)
        code, ans = s.api("shadow/capture", "POST", timeout=60)
        sctest.check(code == 200, "capture: %d %s" % (code, ans))
        s.wait_for("a manual capture", lambda: any(n.startswith("manual-") for n in os.listdir(caps)), timeout=30)
        cap = os.path.join(caps, [n for n in os.listdir(caps) if n.startswith("manual-")][0])

        rows = []
        with open(os.path.join(cap, "audio_ticks.txt")) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                t, pos, n, h, ph = line.split()
                rows.append((int(t), int(pos), int(n), int(h, 16), int(ph, 16)))
        sctest.check(len(rows) >= 100, "audio_ticks.txt: %d ticks" % len(rows))
        for i, (t, pos, n, h, ph) in enumerate(rows):
            sctest.check(h == ph, "tick %d: shadow audio hash %08x, primary %08x" % (t, h, ph))
            sctest.check(n == 48000 // FPS and pos == t * 48000 // FPS, "tick %d: %d samples at %d" % (t, n, pos))
            if i:
                sctest.check(t == rows[i - 1][0] + 1, "ticks contiguous")

        # the primary's own tick records, from the tick log
        first, last = rows[0][0], rows[-1][0]
        prim = {}
        t = first
        while t <= last:
            code, body = s.api("ticks?from=%d&count=%d" % (t, min(1024, last - t + 1)))
            sctest.check(code == 200, "GET ticks: %d %s" % (code, body))
            for r in body["records"]:
                prim[r["tick"]] = int(r["audio_hash"], 16)
            t += 1024
        for (t, _, _, h, _) in rows:
            sctest.check(prim.get(t) == h, "tick %d: the tick record's audio_hash %s, the shadow's %08x"
                         % (t, "%08x" % prim[t] if t in prim else None, h))

        # audio.wav: exactly those ticks' samples
        pcm = read_wav(os.path.join(cap, "audio.wav"))
        sctest.check(len(pcm) == sum(r[2] for r in rows), "audio.wav holds the %d ticks' samples" % len(rows))
        energy = {}
        o = 0
        for (t, pos, n, h, _) in rows:
            tick_pcm = pcm[o:o + n]
            sctest.check(audio_hash(tick_pcm, t, pos) == h, "tick %d: audio.wav's samples hash to %08x" % (t, h))
            energy[t] = sum(x * x for x in tick_pcm)
            o += n

        # the goal's tick, from the simulator with the inputs as applied
        late = {int(a): int(b) for a, b in re.findall(r"scripted event for tick (\d+) applied at tick (\d+)",
                                                      s.stderr())}
        applied = os.path.join(d, "applied.txt")
        with open(applied, "w") as f:
            f.writelines(" ".join(map(str, [late.get(e[0], e[0])] + e[1:])) + "\n" for e in events)
        trace = os.path.join(d, "sim.trace")
        sctest.run(["sim", "--ticks", str(want), "--size", "320x176", "--particles", "2000", "--fps", str(FPS),
                    "--inputs", applied, "--trace", trace], timeout=300)
        goal = next(r["tick"] for r in sctest.read_trace(trace) if r["score"] != (0, 0))
        sctest.check(goal in energy, "the goal's tick %d is in the capture's window %d..%d" % (goal, first, last))
        typical = sorted(energy.values())[len(energy) // 2]
        print("goal at tick %d: energy %d, the window's median tick %d (x%.0f); %d ticks, %d samples"
              % (goal, energy[goal], typical, energy[goal] / max(typical, 1), len(rows), len(pcm)))
        sctest.check(energy[goal] > 20 * typical, "the goal's tick is loud in audio.wav")
        print("shadow audio ok")
    finally:
        s.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
