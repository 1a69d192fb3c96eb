// The REAL server's game audio, from outside: a client joins with
// "audio": true and receives the Opus stream (binary SCA1 messages,
// docs/protocol.md §5a) of a scripted match (tests/gpu/data/goal.txt via
// --inputs, OFFSET ticks late so that the client is there first). The
// packets are decoded with libopus (tests/net/encoder/opus_decode_packets.c)
// and placed on the game's sample timeline by their headers; the goal's sound
// must begin within 20 ms (960 samples) of the first sample of the goal's
// tick, which `shadowcast sim --trace` names independently. Also: the packets
// are contiguous, and each one arrives before any video frame of the tick its
// last sample belongs to (in step with the video). A client that does not
// ask gets no audio; --no-audio sends none and writes no audio ring.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { root, sleep } from './lib/harness.mjs';
import { SMALL, startServer, shadowcastPath } from './lib/server.mjs';

const OFFSET = 150;
const FPS = Number(SMALL[SMALL.indexOf('--fps') + 1]);
const RATE = 48000;
const VIDEO_MAGIC = 0x31564353, AUDIO_MAGIC = 0x31414353;

const dir = mkdtempSync(path.join(tmpdir(), 'sc-audio-'));
let srv;
let ws;
after(async () => {
  if (ws) ws.terminate();
  if (srv) await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

function script() {
  const lines = readFileSync(path.join(root, 'tests/gpu/data/goal.txt'), 'utf8').split('\n');
  return lines.map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => { const [t, ...rest] = l.split(/\s+/); return [Number(t) + OFFSET, rest.join(' ')]; });
}
const write = (file, events) => {
  const p = path.join(dir, file);
  writeFileSync(p, events.map(([t, rest]) => `${t} ${rest}\n`).join(''));
  return p;
};

function simGoalTick(events, ticks) {
  const trace = path.join(dir, 'sim.trace');
  const size = SMALL[SMALL.indexOf('--size') + 1], particles = SMALL[SMALL.indexOf('--particles') + 1];
  const r = spawnSync(shadowcastPath(), ['sim', '--ticks', String(ticks), '--players', '2', '--size', size,
    '--particles', particles, '--fps', String(FPS), '--inputs', write('applied.txt', events), '--trace', trace],
  { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `sim failed: ${r.stderr}`);
  const line = readFileSync(trace, 'utf8').split('\n').find((l) => / score (\d+) (\d+) /.test(l) && !/ score 0 0 /.test(l));
  assert.ok(line, 'the simulator scores a goal with these inputs');
  return Number(line.match(/^(\d+) /)[1]);
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-3000)}`);
}

const rms = (pcm, from, n) => {
  let s = 0;
  for (let i = from; i < from + n; i++) s += pcm[i] * pcm[i];
  return Math.sqrt(s / n);
};

test('a client decodes the Opus stream and hears the goal within 20 ms of its tick', { timeout: 240000 }, async () => {
  const decoder = process.env.SC_OPUS_DECODE;
  assert.ok(decoder && existsSync(decoder), `SC_OPUS_DECODE must name the opus_decode_packets helper (got ${decoder})`);
  const events = script();
  srv = await startServer(['--inputs', write('goal.txt', events), '--no-shadow', '--hang-timeout', '5000']);

  const c = { frames: [], audio: [], hello: null };
  ws = new WebSocket(srv.wsUrl, 'shadowcast.v1');
  ws.on('open', () => ws.send(JSON.stringify({ type: 'join', spectate: true, audio: true })));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const m = JSON.parse(data.toString());
      if (m.type === 'hello') c.hello = m;
      return;
    }
    const magic = data.readUInt32LE(0);
    if (magic === VIDEO_MAGIC) {
      c.frames.push({ tick: data.readUInt32LE(12) });
    } else if (magic === AUDIO_MAGIC) {
      const hlen = data.readUInt16LE(6);
      c.audio.push({
        version: data.readUInt16LE(4), hlen, tick: data.readUInt32LE(12),
        pos: Number(data.readBigUInt64LE(16)), capture: data.readBigUInt64LE(24),
        number: Number(data.readBigUInt64LE(32)), rate: data.readUInt32LE(40), channels: data.readUInt16LE(44),
        samples: data.readUInt16LE(46), packet: Buffer.from(data.subarray(hlen)), framesBefore: c.frames.length,
        lastFrameTick: c.frames.length ? c.frames[c.frames.length - 1].tick : -1,
      });
    } else {
      assert.fail(`binary message with unknown magic ${magic.toString(16)}`);
    }
  });
  await until(() => c.hello, 15000, 'hello');
  assert.deepEqual(c.hello.audio, { codec: 'opus', sample_rate: RATE, channels: 1, frame_samples: 960,
    lookahead_samples: c.hello.audio?.lookahead_samples, header_bytes: 48 }, 'hello announces the audio');
  const lookahead = c.hello.audio.lookahead_samples;
  assert.ok(lookahead >= 0 && lookahead < 960, `lookahead ${lookahead}`);

  // the server scores (its state says by when), then a second more of sound
  const scored = await until(async () => {
    try { const st = await srv.state(); return st.valid && st.score[0] + st.score[1] > 0 ? st : null; } catch { return null; }
  }, 150000, 'the scripted goal');
  await until(() => c.frames.length && c.frames[c.frames.length - 1].tick > scored.tick + FPS, 60000,
    'a second of play after the goal');
  const late = new Map([...srv.stderr.matchAll(/scripted event for tick (\d+) applied at tick (\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])]));
  const G = simGoalTick(events.map(([t, rest]) => [late.get(t) ?? t, rest]), scored.tick + 1);
  assert.ok(G <= scored.tick, `the simulator's goal tick ${G} is not after the server's state showed it (${scored.tick})`);
  const goalPos = Math.floor(G * RATE / FPS);

  // every header field as documented; packets contiguous from the first one on
  assert.ok(c.audio.length > 100, `${c.audio.length} audio packets`);
  for (const [i, a] of c.audio.entries()) {
    assert.equal(a.version, 1);
    assert.equal(a.hlen, 48);
    assert.equal(a.rate, RATE);
    assert.equal(a.channels, 1);
    assert.equal(a.samples, 960);
    assert.equal(a.tick, Math.floor(a.pos * FPS / RATE), `packet ${a.number}: tick of its first sample`);
    if (i > 0) {
      assert.equal(a.number, c.audio[i - 1].number + 1, 'packet numbers without a gap');
      assert.equal(a.pos, c.audio[i - 1].pos + 960, 'sample positions without a gap');
    }
    // in step with the video: no frame of the tick of its last sample (or later) before it
    const lastTick = Math.floor((a.pos + 959) * FPS / RATE);
    assert.ok(a.lastFrameTick < lastTick,
      `packet at sample ${a.pos} (ticks ${a.tick}..${lastTick}) came after the frame of tick ${a.lastFrameTick}`);
  }
  const pos0 = c.audio[0].pos;
  assert.ok(pos0 < goalPos - RATE, 'the stream started a second before the goal');

  // decode (libopus) and find the goal's onset on the game's sample timeline
  const packets = path.join(dir, 'audio.packets');
  writeFileSync(packets, Buffer.concat(c.audio.flatMap((a) => {
    const l = Buffer.alloc(4);
    l.writeUInt32LE(a.packet.length);
    return [l, a.packet];
  })));
  const pcmPath = path.join(dir, 'audio.pcm');
  const r = spawnSync(decoder, [packets, pcmPath, '1', '960'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `decode failed: ${r.stderr}`);
  const raw = readFileSync(pcmPath);
  const pcm = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
  assert.equal(pcm.length, c.audio.length * 960, 'every packet decodes to 960 samples');
  // decoded sample i is the game's sample pos0 + i - lookahead
  const idx = (gamePos) => gamePos - pos0 + lookahead;
  const W = 120; // 2.5 ms windows
  const from = idx(goalPos - RATE), to = Math.min(idx(goalPos + RATE), pcm.length - W);
  let peak = 0;
  for (let i = from; i < to; i += W) peak = Math.max(peak, rms(pcm, i, W));
  let onset = -1;
  for (let i = from; i < to && onset < 0; i += 8) if (rms(pcm, i, W) > peak / 2) onset = i;
  const quiet = rms(pcm, idx(goalPos - RATE), RATE / 2);
  const onsetPos = onset + pos0 - lookahead;
  const offsetMs = (onsetPos - goalPos) * 1000 / RATE;
  console.log(`goal at tick ${G} (sample ${goalPos}); decoded onset at sample ${onsetPos}: ${offsetMs.toFixed(2)} ms; ` +
    `goal RMS ${peak.toFixed(0)}, the half second a second before it ${quiet.toFixed(0)}; ` +
    `${c.audio.length} packets, ${c.audio.reduce((s, a) => s + a.packet.length, 0)} bytes`);
  assert.ok(peak > 6 * quiet, `the goal is loud against the play before it (RMS ${peak.toFixed(0)} vs ${quiet.toFixed(0)})`);
  assert.ok(onset >= 0 && Math.abs(onsetPos - goalPos) <= 960,
    `the goal's sound begins ${offsetMs.toFixed(2)} ms from its tick's first sample (limit 20 ms)`);

  const received = c.audio.length; // before the request: packets keep arriving meanwhile
  const metrics = await srv.metrics();
  const metric = (name) => Number(metrics.match(new RegExp(`^${name} (\\d+)$`, 'm'))?.[1]);
  const counted = { sent: metric('shadowcast_ws_audio_packets_sent_total'),
    encoded: metric('shadowcast_audio_packets_encoded_total'), received };
  assert.ok(counted.sent >= counted.received && counted.encoded >= counted.received,
    `audio packets counted: ${JSON.stringify(counted)}`);
  assert.equal(metric('shadowcast_ws_clients_audio'), 1, 'one client listens');
  assert.ok(metric('shadowcast_ws_audio_packets_handed_off_total') >= counted.received,
    'the packets it got were handed to the service thread');
});

test('a client that does not ask for audio gets no audio message', { timeout: 60000 }, async () => {
  assert.ok(srv, 'the server of the first test');
  const got = { hello: null, audio: 0, video: 0 };
  const w = new WebSocket(srv.wsUrl, 'shadowcast.v1');
  w.on('open', () => w.send(JSON.stringify({ type: 'join', spectate: true })));
  w.on('message', (data, isBinary) => {
    if (!isBinary) { const m = JSON.parse(data.toString()); if (m.type === 'hello') got.hello = m; return; }
    if (data.readUInt32LE(0) === AUDIO_MAGIC) got.audio++; else got.video++;
  });
  // with the listener of the first test gone, nobody listens: the packets
  // the game goes on making are no longer copied to the service thread
  const metric = async (name) => Number((await srv.metrics()).match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'm'))?.[1]);
  try {
    if (ws) ws.terminate();
    ws = null;
    await until(async () => await metric('shadowcast_ws_clients_audio') === 0, 15000, 'the listener gone');
    const handed = await metric('shadowcast_ws_audio_packets_handed_off_total');
    const published = await metric('shadowcast_ws_audio_packets_published_total');
    await until(() => got.video >= 30, 30000, '30 video frames');
    assert.equal(got.hello.audio, null, 'hello says no audio');
    assert.equal(got.audio, 0, 'no audio message');
    assert.ok(await metric('shadowcast_ws_audio_packets_published_total') > published, 'the game still makes sound');
    assert.equal(await metric('shadowcast_ws_audio_packets_handed_off_total'), handed,
      'no packet handed off while only a video-only client is joined');
  } finally {
    w.terminate();
  }
});

test('--no-audio: hello.audio is null, no audio message, nothing written to the ring', { timeout: 120000 }, async () => {
  const quiet = await startServer(['--no-audio', '--no-shadow', '--hang-timeout', '5000']);
  const w = new WebSocket(quiet.wsUrl, 'shadowcast.v1');
  const got = { hello: null, audio: 0, video: 0 };
  try {
    w.on('open', () => w.send(JSON.stringify({ type: 'join', spectate: true, audio: true })));
    w.on('message', (data, isBinary) => {
      if (!isBinary) { const m = JSON.parse(data.toString()); if (m.type === 'hello') got.hello = m; return; }
      if (data.readUInt32LE(0) === AUDIO_MAGIC) got.audio++; else got.video++;
    });
    const end = Date.now() + 60000;
    while (got.video < 30 && Date.now() < end) await sleep(50);
    assert.ok(got.video >= 30, `30 video frames (got ${got.video})`);
    assert.equal(got.hello.audio, null, 'hello says no audio');
    assert.equal(got.audio, 0, 'no audio message');
    const metrics = await quiet.metrics();
    assert.match(metrics, /^shadowcast_audio_ticks_written_total 0$/m, 'the primary wrote nothing to the audio ring');
  } finally {
    w.terminate();
    await quiet.stop();
  }
});
