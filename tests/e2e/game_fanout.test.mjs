// The REAL server (`shadowcast run`: Vulkan primary on lavapipe or a GPU,
// encoder process, libwebsockets) to several Node clients at once:
//  - 8 simultaneous clients all receive the game stream (keyframe first,
//    increasing ticks, ~fps);
//  - a client that stops reading does not lower the others' frame rate
//    (same-run comparison, before vs while it stalls);
//  - malformed, oversized and binary-garbage messages get the documented close
//    codes while the others keep streaming.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { metric, sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';
import { startServer } from './lib/server.mjs';

const FPS = 30;
const WINDOW_MS = 4000;

let srv;
const clients = [];
after(async () => {
  for (const c of clients) c.terminate();
  if (srv) await srv.stop();
});

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

async function connect(name, join) {
  const c = new Client(srv.wsUrl, { name });
  c.keepHeaders = 100000;
  await c.open();
  clients.push(c);
  const hello = await c.join(join);
  assert.equal(hello.type, 'hello', `${name}: ${JSON.stringify(hello)}`);
  return c;
}

test('8 clients receive the real stream; a stalled one does not slow them', { timeout: 150000 }, async () => {
  // every frame an IDR: ~10x the bytes, and socket buffers of 64 KiB, so a
  // client that stops reading fills its socket buffers early in the window
  // and the server starts dropping for it (writes fill a socket's buffer to
  // the last byte: with the default 256 KiB that took most of the window)
  srv = await startServer(['--fps', String(FPS), '--max-clients', '16', '--idr-interval', '1', '--bitrate', '8000',
    '--client-sndbuf-kib', '64']);
  await srv.waitTicks(10);
  const readers = [];
  for (let i = 0; i < 8; i++)
    readers.push(await connect(`reader${i}`, i < 2 ? i : 'spectate'));
  await Promise.all(readers.map((c) => c.waitFrames(60, 30000)));
  for (const c of readers) {
    assert.ok(c.headers[0].keyframe, `${c.name}: first frame is a keyframe`);
    const ticks = c.headers.map((h) => h.tick);
    for (let k = 1; k < ticks.length; k++)
      assert.ok(ticks[k] > ticks[k - 1], `${c.name}: ticks increase (${ticks[k - 1]} then ${ticks[k]})`);
    assert.ok(c.headers.every((h) => h.au.length > 0 && h.encodeDoneNs >= h.captureNs), `${c.name}: AU and timestamps`);
  }
  const hello = readers[0].hello;
  assert.equal(hello.width, 320);
  assert.equal(hello.height, 176);
  assert.match(hello.encoder, /libx264|h264_vaapi/);

  // phase A: all 8 read
  const a0 = performance.now();
  await sleep(WINDOW_MS);
  const a1 = performance.now();
  const fpsA = readers.map((c) => c.framesBetween(a0, a1) / ((a1 - a0) / 1000));

  // a 9th client joins, takes a few frames and stops reading
  const stalled = await connect('stalled', 'spectate');
  await stalled.waitFrames(5);
  stalled.ws._socket.pause();
  const b0 = performance.now();
  await sleep(WINDOW_MS);
  const b1 = performance.now();
  const fpsB = readers.map((c) => c.framesBetween(b0, b1) / ((b1 - b0) / 1000));
  const mStall = await srv.metrics();
  const stalledDropped = metric(mStall, `shadowcast_ws_client_frames_dropped_total{client="${stalled.hello.client_id}"}`);
  const stallCut = metric(mStall, 'shadowcast_ws_stall_disconnects_total');
  console.log(`stalled client: ${stalledDropped} frames dropped for it, ${stallCut} stall disconnects, ${(readers[0].bytes / readers[0].frames / 1024).toFixed(1)} KiB/frame`);
  assert.ok(stalledDropped > 0 || stallCut > 0, 'the stalled client backed up (frames dropped or cut off) during the window');
  console.log(`fps per reader, 8 readers: ${fpsA.map((f) => f.toFixed(1)).join(' ')} (mean ${mean(fpsA).toFixed(1)})`);
  console.log(`fps per reader while a 9th client stalls: ${fpsB.map((f) => f.toFixed(1)).join(' ')} (mean ${mean(fpsB).toFixed(1)})`);
  for (let i = 0; i < readers.length; i++) {
    assert.ok(fpsA[i] >= 0.6 * FPS, `${readers[i].name}: ${fpsA[i].toFixed(1)} fps is far below ${FPS}`);
    assert.ok(fpsB[i] >= 0.85 * fpsA[i], `${readers[i].name}: ${fpsB[i].toFixed(1)} fps with a stalled client vs ${fpsA[i].toFixed(1)} before`);
  }
  const m = await srv.metrics();
  assert.ok(metric(m, 'shadowcast_frames_encoded_total') > 60, 'frames encoded');
  assert.ok(metric(m, 'shadowcast_ws_frames_sent_total') >= 8 * 60, 'frames sent to the clients');
  assert.equal(metric(m, 'shadowcast_zero_copy'), 1, 'frames read in place');
  assert.equal(metric(m, 'shadowcast_frames_bad_seal_total'), 0, 'every seal matched');
  stalled.terminate();
});

test('bad messages get the documented close codes; the others keep streaming', { timeout: 60000 }, async () => {
  const watcher = clients.find((c) => c.name === 'reader2');
  const cases = [
    ['malformed', (c) => c.send('{"type":"join",'), 4400, /^bad message: /],
    ['unknown-key', (c) => c.send({ type: 'ping', extra: 1 }), 4400, /unknown key/],
    ['oversized', (c) => c.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(4000) })), 4413, /too big/],
    ['binary-garbage', (c) => c.ws.send(randomBytes(300)), 4400, /binary/],
  ];
  for (const [name, send, code, reason] of cases) {
    const c = new Client(srv.wsUrl, { name });
    await c.open();
    clients.push(c);
    await c.join('spectate');
    send(c);
    const close = await c.waitClose(5000);
    assert.equal(close.code, code, `${name}: close ${close.code} "${close.reason}", expected ${code}`);
    assert.match(close.reason, reason, `${name}: close reason`);
  }
  const before = watcher.frames;
  await watcher.waitFrames(before + 30, 10000);
  const t0 = performance.now();
  await sleep(2000);
  const fps = watcher.framesBetween(t0, performance.now()) / 2;
  assert.ok(fps >= 0.6 * FPS, `watcher still streams after the bad clients (${fps.toFixed(1)} fps)`);
  const m = await srv.metrics();
  assert.ok(metric(m, 'shadowcast_ws_closes_total{code="4400"}') >= 3);
  assert.ok(metric(m, 'shadowcast_ws_closes_total{code="4413"}') >= 1);
});
