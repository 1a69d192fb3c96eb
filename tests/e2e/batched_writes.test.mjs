// Batched fan-out writes (net/ws/ws_batch.c, docs/architecture.md):
//  - with io_uring (the default) the frames go out through batched writes,
//    and every client's stream stays whole (also frames over 64 KiB, whose
//    WebSocket header has the 64-bit length): a lagging client's socket takes
//    frames only in part (the rest goes through libwebsockets' buffer), and
//    every client still gets only whole, well-formed messages, frame numbers
//    increasing, a keyframe after every gap, no protocol close, and pongs to
//    its pings in between;
//  - --no-io-uring and an io_uring that the kernel refuses (a seccomp filter,
//    as a container profile would) both fall back to one send per client,
//    with one log line, and the stream still flows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, metric, sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';

const FPS = 30;
// 640x360 at 8000 kbit/s: 14-27 KB frames; a 4 KiB SO_SNDBUF (8 KiB once
// Linux doubles it) makes a lagging client's socket take frames in part
const ARGS = ['--fps', String(FPS), '--size', '640x360', '--bitrate', '8000', '--sndbuf', '4096',
  '--stall-ms', '5000', '--queue-frames', '8'];
const BATCH_METRICS = ['shadowcast_ws_io_uring', 'shadowcast_ws_write_batches_total',
  'shadowcast_ws_batched_writes_total', 'shadowcast_ws_batched_remainders_total'];

let h;
let clients = [];
after(async () => {
  for (const c of clients) c.ws.terminate();
  if (h) await h.stop();
});

async function connect(name) {
  const c = new Client(h.wsUrl, { name });
  c.keepHeaders = 100000;
  await c.open();
  assert.equal((await c.join('spectate')).type, 'hello', `${name} joins`);
  clients.push(c);
  return c;
}

// Whole, well-formed frames in order: numbers increase, a gap (frames dropped
// for a slow client) is followed by a keyframe, every access unit is Annex B.
function checkStream(c) {
  assert.equal(c.close, null, `${c.name}: no close (a broken WebSocket stream closes with 1002)`);
  assert.ok(c.headers.length === c.frames, `${c.name}: every header kept`);
  assert.ok(c.headers[0].keyframe, `${c.name}: the first frame is a keyframe`);
  for (let k = 0; k < c.headers.length; k++) {
    const hd = c.headers[k];
    const au = hd.au;
    assert.ok(au.length > 4 && au[0] === 0 && au[1] === 0 && (au[2] === 1 || (au[2] === 0 && au[3] === 1)),
      `${c.name}: frame ${hd.frameNumber}: the access unit starts with an Annex B start code`);
    if (k === 0) continue;
    const prev = c.headers[k - 1].frameNumber;
    assert.ok(hd.frameNumber > prev, `${c.name}: frame numbers increase (${prev} then ${hd.frameNumber})`);
    if (hd.frameNumber !== prev + 1n)
      assert.ok(hd.keyframe, `${c.name}: after the gap ${prev} -> ${hd.frameNumber} comes a keyframe`);
  }
}

// The server's log line (stderr is read apart from the LISTEN line on stdout).
async function waitLog(re, what) {
  for (let i = 0; i < 40 && !re.test(h.stderr); i++) await sleep(50);
  assert.match(h.stderr, re, what);
}

async function batchMetrics() {
  const m = await h.metrics();
  return Object.fromEntries(BATCH_METRICS.map((k) => [k, metric(m, k)]));
}

test('batched writes keep every stream whole, also when a socket takes a frame in part', { timeout: 60000 }, async () => {
  h = await startHarness(ARGS);
  await waitLog(/fan-out writes batched, one io_uring submission per hand-off/,
    'the server batches its writes (io_uring allowed on this machine)');
  const readers = [await connect('reader0'), await connect('reader1')];
  const lagger = await connect('lagger');
  await Promise.all([...readers, lagger].map((c) => c.waitFrames(10)));

  // the readers ping the server all along: lws answers with pongs, control
  // frames written between (never inside) the batched frames
  let pongs = 0;
  for (const c of readers) c.ws.on('pong', () => pongs++);
  const pinger = setInterval(() => { for (const c of readers) c.ws.ping(); }, 20);
  // the lagger stops reading for 1.5 s (under the 5 s stall bound), then reads on
  lagger.ws._socket.pause();
  const pausedFrames = lagger.frames;
  await sleep(1500);
  lagger.ws._socket.resume();
  await sleep(2000);
  clearInterval(pinger);

  const m = await batchMetrics();
  console.log(`batch metrics: ${JSON.stringify(m)}; frames: ${[...readers, lagger].map((c) => `${c.name} ${c.frames}`).join(', ')}`);
  assert.equal(m.shadowcast_ws_io_uring, 1, 'io_uring in use');
  assert.ok(m.shadowcast_ws_write_batches_total > 0, 'io_uring submissions made');
  assert.ok(pongs >= 50, `the readers' pings were answered (${pongs} pongs)`);
  // the two readers alone took a frame each from most of the ~100 batches
  // (about 4 s at 30 fps); half of that leaves room for a slow machine
  assert.ok(m.shadowcast_ws_batched_writes_total >= 2 * 60,
    `the frames went through batched writes (${m.shadowcast_ws_batched_writes_total})`);
  assert.ok(m.shadowcast_ws_batched_remainders_total > 0,
    'the lagging client\'s socket took a frame in part (the remainder path ran)');
  for (const c of [...readers, lagger]) checkStream(c);
  assert.ok(lagger.frames > pausedFrames + 15, `the lagger reads on after its pause (${pausedFrames} -> ${lagger.frames})`);
  for (const c of readers)
    assert.ok(c.frames >= 2 * FPS, `${c.name}: ${c.frames} frames in about 4 s at ${FPS} fps`);
  for (const c of clients) c.ws.terminate();
  clients = [];
  await h.stop();
  h = null;
});

test('batched writes: frames over 64 KiB (the 64-bit length form) arrive whole', { timeout: 60000 }, async () => {
  // 1280x720, every frame a keyframe at 60 Mbit/s: 120-190 KB frames
  h = await startHarness(['--fps', '15', '--size', '1280x720', '--bitrate', '60000', '--idr', '1']);
  const c = await connect('reader');
  await c.waitFrames(20, 30000);
  const m = await batchMetrics();
  assert.ok(m.shadowcast_ws_batched_writes_total >= 15, `batched writes: ${JSON.stringify(m)}`);
  checkStream(c);
  const big = c.headers.filter((hd) => hd.au.length + 40 > 0xffff).length;
  assert.ok(big >= 15, `${big} of ${c.frames} frames over 64 KiB`);
  for (const x of clients) x.ws.terminate();
  clients = [];
  await h.stop();
  h = null;
});

for (const [flag, line] of [['--no-io-uring', /batched writes off \(--io-uring off\): one send per client per message/],
  ['--deny-io-uring', /io_uring unavailable \(Operation not permitted\): one send per client per message/]]) {
  test(`${flag}: one send per client, one log line, the stream flows`, { timeout: 60000 }, async () => {
    h = await startHarness([...ARGS, flag]);
    await waitLog(line, 'the fallback is logged');
    assert.equal((h.stderr.match(/one send per client per message/g) || []).length, 1, 'once');
    const readers = [await connect('reader0'), await connect('reader1')];
    await Promise.all(readers.map((c) => c.waitFrames(2 * FPS)));
    const m = await batchMetrics();
    assert.deepEqual(m, { shadowcast_ws_io_uring: 0, shadowcast_ws_write_batches_total: 0,
      shadowcast_ws_batched_writes_total: 0, shadowcast_ws_batched_remainders_total: 0 }, 'no batched writes');
    for (const c of readers) checkStream(c);
    for (const c of clients) c.ws.terminate();
    clients = [];
    await h.stop();
    h = null;
  });
}
