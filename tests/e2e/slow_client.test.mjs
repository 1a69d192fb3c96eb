// Slow and stalled readers never slow the others down:
//  - 6 reading clients; their fps is measured alone (phase A) and while a
//    stalled client and a lagging client stop reading (phase B): B >= 0.85 A;
//  - the lagging client (pauses 2 s, under the stall bound) loses stale
//    frames, and after every gap in frame numbers the next frame is a
//    keyframe; it keeps receiving afterwards; its per-client series on
//    /metrics count the frames and video bytes dropped for it;
//  - the stalled client (never reads again) is disconnected by the server
//    within stall_disconnect_ms plus the time to fill the socket buffers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, metric, sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';

const FPS = 30;
const STALL_MS = 3000;
const SNDBUF = 131072;
// Socket buffers (server SO_SNDBUF, doubled by Linux, plus the client's
// receive buffer) fill at the stream's ~0.5 MB/s before the stall clock runs.
const DISCONNECT_BOUND_MS = STALL_MS + 4000;
const WINDOW_MS = 2500;

let h;
after(async () => { if (h) await h.stop(); });

test('a client that stops reading does not lower the others\' frame rate and is disconnected', { timeout: 90000 }, async () => {
  h = await startHarness(['--fps', String(FPS), '--size', '640x360', '--bitrate', '8000',
    '--stall-ms', String(STALL_MS), '--sndbuf', String(SNDBUF), '--queue-frames', '8',
    '--queue-bytes', String(1 << 20)]);
  const readers = [];
  for (let i = 0; i < 6; i++) {
    const c = new Client(h.wsUrl, { name: `reader${i}` });
    await c.open();
    assert.equal((await c.join(i)).type, 'hello');
    readers.push(c);
  }
  await Promise.all(readers.map((c) => c.waitFrames(30)));

  // phase A: the readers alone
  const a0 = performance.now();
  await sleep(WINDOW_MS);
  const a1 = performance.now();
  const fpsA = readers.map((c) => c.framesBetween(a0, a1) / ((a1 - a0) / 1000));

  // the stalled and the lagging client join, take a few frames, stop reading
  const stalled = new Client(h.wsUrl, { name: 'stalled' });
  await stalled.open();
  const stalledHello = await stalled.join('spectate');
  const lagger = new Client(h.wsUrl, { name: 'lagger' });
  lagger.keepHeaders = 100000;
  await lagger.open();
  await lagger.join('spectate');
  await Promise.all([stalled.waitFrames(5), lagger.waitFrames(5)]);
  const pausedAt = performance.now();
  stalled.ws._socket.pause();
  lagger.ws._socket.pause();
  const laggerFramesBefore = lagger.frames;

  // phase B: the same readers while two clients do not read
  const b0 = performance.now();
  await sleep(WINDOW_MS);
  const b1 = performance.now();
  const fpsB = readers.map((c) => c.framesBetween(b0, b1) / ((b1 - b0) / 1000));
  lagger.ws._socket.resume();

  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  console.log(`fps per reader alone: ${fpsA.map((f) => f.toFixed(1)).join(' ')} (mean ${mean(fpsA).toFixed(1)})`);
  console.log(`fps per reader with a stalled and a lagging client: ${fpsB.map((f) => f.toFixed(1)).join(' ')} (mean ${mean(fpsB).toFixed(1)})`);
  for (let i = 0; i < readers.length; i++) {
    assert.ok(fpsB[i] >= 0.85 * fpsA[i], `reader${i}: ${fpsB[i].toFixed(1)} fps with stalled clients vs ${fpsA[i].toFixed(1)} alone`);
    assert.ok(fpsB[i] >= 0.75 * FPS, `reader${i}: ${fpsB[i].toFixed(1)} fps is far below ${FPS}`);
  }

  // the stalled client is disconnected by the server within the bound
  const leave = await h.waitFor((e) => e.event === 'LEAVE' && Number(e.client) === stalledHello.client_id,
    DISCONNECT_BOUND_MS + 5000, 'LEAVE of the stalled client');
  const disconnectMs = performance.now() - pausedAt;
  console.log(`stalled client disconnected ${disconnectMs.toFixed(0)} ms after it stopped reading (bound ${DISCONNECT_BOUND_MS} ms)`);
  assert.ok(leave);
  assert.ok(disconnectMs <= DISCONNECT_BOUND_MS, `disconnected after ${disconnectMs.toFixed(0)} ms`);
  stalled.ws._socket.resume();
  const close = await stalled.waitClose(5000);
  assert.notEqual(close.code, 1000, 'a stalled client is cut off, not closed cleanly');

  // the lagging client caught up: more frames, and every gap ends at a keyframe
  await lagger.waitFrames(laggerFramesBefore + 30, 10000);
  const hs = lagger.headers;
  let gaps = 0;
  for (let k = 1; k < hs.length; k++) {
    if (hs[k].frameNumber !== hs[k - 1].frameNumber + 1n) {
      gaps++;
      assert.ok(hs[k].keyframe, `lagger: frame ${hs[k].frameNumber} after a gap from ${hs[k - 1].frameNumber} is not a keyframe`);
    }
  }
  assert.ok(gaps >= 1, 'the lagging client lost stale frames');
  assert.equal(lagger.close, null, 'the lagging client stayed connected');

  const m = await h.metrics();
  assert.equal(metric(m, 'shadowcast_ws_stall_disconnects_total'), 1);
  assert.ok(metric(m, 'shadowcast_ws_frames_dropped_total') > 0);
  assert.ok(metric(m, 'shadowcast_ws_queue_overruns_total') > 0);
  // the per-client figures name the lagging client: its frames and video bytes dropped
  const id = lagger.hello.client_id;
  assert.ok(metric(m, `shadowcast_ws_client_frames_dropped_total{client="${id}"}`) > 0, 'lagger: frames dropped');
  assert.ok(metric(m, `shadowcast_ws_client_bytes_dropped_total{client="${id}"}`) > 1000, 'lagger: bytes dropped');
  assert.ok(metric(m, `shadowcast_ws_client_bytes_sent_total{client="${id}"}`) > 0, 'lagger: bytes sent');
  for (const c of readers)
    assert.equal(c.close, null, `${c.name} still connected`);
  for (const c of [...readers, lagger]) c.ws.close(1000);
});
