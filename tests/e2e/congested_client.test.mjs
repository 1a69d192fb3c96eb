// Per-client dispatch with priorities on the REAL server (docs/protocol.md
// §6, "Send queue classes"; seed US8935329): control > events, chat, notices
// and haptics > audio > video deltas; keyframes and control are never
// flushed. A spectator that joined with "audio": true stops reading (its
// socket is paused). While it is congested:
//  - the server drops its video (its per-client counter
//    shadowcast_ws_client_frames_dropped_total rises) and holds its audio
//    (shadowcast_ws_client_queue_depth{class="audio"} > 0);
//  - the reading player sends chat lines and a third client joins and leaves
//    as player 1 (notices): event-class messages made during the congestion.
// When it reads again it gets every audio packet (packet numbers and sample
// positions without a gap, covering the congested window), every event-class
// message the reading client got in the same stretch, in the same order
// (the chat lines and notices included), and after every video frame it
// missed, the next frame it gets is a keyframe. The reading client beside it
// misses no frame (its drop counter stays 0, no frame published while it
// read is missing from its stream). Nothing here is timed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const VIDEO_MAGIC = 0x31564353, AUDIO_MAGIC = 0x31414353;
const EVENT_TYPES = new Set(['event', 'chat', 'notice']);
const CHATS = ['while you were away 1', 'while you were away 2', 'while you were away 3'];

let srv;
const sockets = [];
after(async () => {
  for (const ws of sockets) ws.terminate();
  if (srv) await srv.stop();
});

function client(name, join) {
  const c = { name, frames: [], audio: [], events: [], messages: [], hello: null, closed: null, ws: null };
  c.ws = new WebSocket(srv.wsUrl, 'shadowcast.v1', { perMessageDeflate: false });
  sockets.push(c.ws);
  c.ws.on('open', () => c.ws.send(JSON.stringify(join)));
  c.ws.on('close', (code, reason) => { c.closed = { code, reason: reason.toString() }; });
  c.ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const m = JSON.parse(data.toString());
      c.messages.push(m);
      if (m.type === 'hello') c.hello = m;
      if (EVENT_TYPES.has(m.type)) c.events.push(JSON.stringify(m));
      return;
    }
    const magic = data.readUInt32LE(0);
    if (magic === VIDEO_MAGIC) {
      c.frames.push({ number: Number(data.readBigUInt64LE(16)), keyframe: (data.readUInt32LE(8) & 1) !== 0 });
    } else if (magic === AUDIO_MAGIC) {
      c.audio.push({ number: Number(data.readBigUInt64LE(32)), pos: Number(data.readBigUInt64LE(16)),
        samples: data.readUInt16LE(46) });
    } else {
      throw new Error(`${name}: binary message with unknown magic ${magic.toString(16)}`);
    }
  });
  return c;
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(25);
  }
  throw new Error(`${what} within ${ms} ms; server stderr:\n${srv.stderr.slice(-3000)}`);
}

// one labelled per-client sample of /metrics
function perClient(text, name, id, cls = null) {
  const labels = cls ? `client="${id}",class="${cls}"` : `client="${id}"`;
  const m = text.match(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm'));
  return m ? Number(m[1]) : null;
}

test('a congested client keeps its audio and events, loses video deltas, then resyncs at a keyframe', { timeout: 240000 }, async () => {
  // small buffers (a 4 KiB SO_SNDBUF, a 64 KiB video budget) and a stream of
  // a few hundred kbit/s (a keyframe every 3 frames: this small scene's deltas
  // are a few hundred bytes): the paused client's socket buffers fill and its
  // queue overruns within seconds, before the 3 s stall bound closes it
  srv = await startServer(['--no-shadow', '--hang-timeout', '5000', '--client-queue-kib', '64',
    '--client-sndbuf-kib', '4', '--bitrate', '8000', '--idr-interval', '3']);
  const reader = client('reader', { type: 'join', player: 0, audio: true });
  await until(() => reader.hello, 15000, 'the reader\'s hello');
  const slow = client('congested', { type: 'join', spectate: true, audio: true });
  await until(() => slow.hello, 15000, 'the congested client\'s hello');
  assert.ok(slow.hello.audio && slow.hello.audio.codec === 'opus', 'the server sends audio');
  await until(() => slow.frames.length >= 3 && slow.audio.length >= 2 && reader.frames.length >= 3, 30000,
    'video and audio for both clients');

  // the congested client stops reading
  slow.ws._socket.pause();
  const framesBeforePause = slow.frames.length;
  const metrics = () => srv.metrics().catch(() => '');
  const drops0 = perClient(await metrics(), 'shadowcast_ws_client_frames_dropped_total', slow.hello.client_id);
  assert.equal(drops0, 0, 'no frame dropped for the congested client before it stopped reading');
  // congested: the server drops its video (counted per client)
  await until(async () => (perClient(await metrics(), 'shadowcast_ws_client_frames_dropped_total',
    slow.hello.client_id) ?? 0) > 0, 30000, 'video dropped for the congested client');
  const readerAudioAtCongestion = reader.audio[reader.audio.length - 1].number;

  // event-class messages while it is congested: chat lines (relayed by the
  // game with their tick) and a player joining and leaving (notices)
  const chatsFrom = reader.events.length;
  for (const text of CHATS) reader.ws.send(JSON.stringify({ type: 'chat', text }));
  const visitor = client('visitor', { type: 'join', player: 1 });
  await until(() => visitor.hello, 5000, 'the visitor\'s hello');
  visitor.ws.close(1000);
  await until(() => reader.events.slice(chatsFrom).some((e) => e.includes('"player_left"')) &&
    CHATS.every((t) => reader.events.some((e) => e.includes(t))), 5000, 'the reader gets the chat lines and notices');
  const m = await metrics();
  const dropsCongested = perClient(m, 'shadowcast_ws_client_frames_dropped_total', slow.hello.client_id);
  const audioQueued = perClient(m, 'shadowcast_ws_client_queue_depth', slow.hello.client_id, 'audio');
  const eventsQueued = perClient(m, 'shadowcast_ws_client_queue_depth', slow.hello.client_id, 'event');
  const videoQueued = perClient(m, 'shadowcast_ws_client_queue_depth', slow.hello.client_id, 'video');
  const readerAudioAtResume = reader.audio[reader.audio.length - 1].number;
  console.log(`congested: ${dropsCongested} frames dropped; queued ${audioQueued} audio, ${eventsQueued} event-class, ` +
    `${videoQueued} video; ${slow.frames.length - framesBeforePause} frames read after the pause`);
  assert.equal(slow.closed, null, `the congested client is still connected (${JSON.stringify(slow.closed)})`);
  assert.ok(audioQueued > 0, `audio held in the congested client's queue (${audioQueued})`);
  assert.ok(eventsQueued > 0, `chat and notices held in the congested client's queue (${eventsQueued})`);

  // it reads again
  slow.ws._socket.resume();
  await until(() => CHATS.every((t) => slow.events.some((e) => e.includes(t))) &&
    slow.events.some((e) => e.includes('"player_left"')), 15000, 'the chat lines and notices reach the congested client');
  await until(() => slow.audio.length && slow.audio[slow.audio.length - 1].number > readerAudioAtResume + 5, 15000,
    'audio after the congestion');
  const lastMissed = () => {
    const got = new Set(slow.frames.map((f) => f.number));
    return reader.frames.filter((f) => f.number >= slow.frames[0].number && !got.has(f.number)).pop();
  };
  await until(() => { const lm = lastMissed(); return lm && slow.frames.some((f) => f.number > lm.number); }, 20000,
    'video after the frames the congested client missed');
  assert.equal(slow.closed, null, 'the congested client was not disconnected');

  // audio: every packet, in order, through the congested window
  for (let i = 1; i < slow.audio.length; i++) {
    assert.equal(slow.audio[i].number, slow.audio[i - 1].number + 1, `audio packet ${i}: packet numbers without a gap`);
    assert.equal(slow.audio[i].pos, slow.audio[i - 1].pos + slow.audio[i - 1].samples, `audio packet ${i}: samples without a gap`);
  }
  assert.ok(slow.audio[0].number <= readerAudioAtCongestion &&
    slow.audio[slow.audio.length - 1].number >= readerAudioAtResume, 'the audio covers the congested window');

  // events, chat and notices: the same messages as the reader, in order
  const start = reader.events.indexOf(slow.events[0]);
  assert.ok(start >= 0, `the congested client's first event-class message ${slow.events[0]} is one the reader got`);
  assert.deepEqual(slow.events, reader.events.slice(start, start + slow.events.length),
    'the congested client got every event-class message the reader got, in order');
  for (const t of CHATS) assert.ok(slow.events.some((e) => e.includes(t)), `chat "${t}" delivered`);

  // video: it missed frames; after each miss, the next frame it got is a keyframe
  const readerNumbers = reader.frames.map((f) => f.number);
  const readerSet = new Set(readerNumbers);
  assert.equal(slow.frames[0].keyframe, true, 'its first frame is a keyframe');
  let misses = 0;
  for (let i = 1; i < slow.frames.length; i++) {
    const a = slow.frames[i - 1].number, b = slow.frames[i].number;
    const missed = readerNumbers.filter((n) => n > a && n < b).length;
    if (missed) {
      misses++;
      assert.ok(slow.frames[i].keyframe, `frame ${b} after ${missed} missed frames (${a}..${b}) is a keyframe`);
    }
  }
  assert.ok(misses >= 1, 'the congested client missed video');

  // the reading client kept every frame: nothing dropped for it, no frame
  // that reached the congested client is missing from its stream
  const end = await metrics();
  assert.equal(perClient(end, 'shadowcast_ws_client_frames_dropped_total', reader.hello.client_id), 0,
    'no frame dropped for the reading client');
  const lastReader = readerNumbers[readerNumbers.length - 1];
  for (const f of slow.frames)
    if (f.number >= readerNumbers[0] && f.number <= lastReader)
      assert.ok(readerSet.has(f.number), `frame ${f.number} reached the congested client but not the reader`);
  for (let i = 1; i < reader.audio.length; i++)
    assert.equal(reader.audio[i].number, reader.audio[i - 1].number + 1, 'the reader\'s audio without a gap');
  console.log(`reader: ${reader.frames.length} frames, ${reader.audio.length} audio packets; congested: ` +
    `${slow.frames.length} frames (${misses} gaps, each resumed at a keyframe), ${slow.audio.length} audio packets, ` +
    `${slow.events.length} event-class messages`);
});
