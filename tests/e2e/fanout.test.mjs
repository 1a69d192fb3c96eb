// 8 simultaneous clients (players and spectators) all receive the stream:
// hello with the session's parameters, a keyframe first, well-formed video
// headers with increasing frame numbers, and at least MIN_FRAMES frames each.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, metric, sleep } from './lib/harness.mjs';
import { Client, VIDEO_MAGIC } from './lib/client.mjs';

const FPS = 30;
const MIN_FRAMES = 60;

let h;
after(async () => { if (h) await h.stop(); });

test('8 clients all receive the stream', { timeout: 60000 }, async () => {
  h = await startHarness(['--fps', String(FPS), '--size', '320x240']);
  const clients = [];
  for (let i = 0; i < 8; i++) {
    const c = new Client(h.wsUrl, { name: `client${i}` });
    c.keepHeaders = 1000;
    await c.open();
    clients.push(c);
  }
  // 4 players on fixed slots, 2 on "auto", 2 spectators
  const joins = ['0', '1', '2', '3', 'auto', 'auto', 'spectate', 'spectate'];
  const hellos = await Promise.all(clients.map((c, i) =>
    c.join(joins[i] === 'auto' || joins[i] === 'spectate' ? joins[i] : Number(joins[i]))));
  const players = new Set();
  for (const [i, hello] of hellos.entries()) {
    assert.equal(hello.type, 'hello', `client${i}: ${JSON.stringify(hello)}`);
    assert.equal(hello.protocol, 'shadowcast.v1');
    assert.equal(hello.width, 320);
    assert.equal(hello.height, 240);
    assert.equal(hello.fps, FPS);
    assert.equal(hello.video_header_bytes, 40);
    assert.equal(typeof hello.encoder, 'string');
    assert.ok(hello.encoder.length > 0);
    if (joins[i] === 'spectate') assert.equal(hello.player, -1);
    else players.add(hello.player);
  }
  assert.equal(players.size, 6, 'six distinct player slots');

  const t0 = performance.now();
  await Promise.all(clients.map((c) => c.waitFrames(MIN_FRAMES, 20000)));
  const secs = (performance.now() - t0) / 1000;
  for (const c of clients) {
    const hs = c.headers;
    assert.ok(hs[0].keyframe, `${c.name}: first frame is a keyframe`);
    for (let k = 0; k < hs.length; k++) {
      assert.equal(hs[k].magic, VIDEO_MAGIC);
      assert.equal(hs[k].version, 1);
      assert.equal(hs[k].headerBytes, 40);
      assert.ok(hs[k].encodeDoneNs >= hs[k].captureNs, 'encode done after capture');
      // Annex-B start code
      assert.ok(hs[k].au[0] === 0 && hs[k].au[1] === 0 && (hs[k].au[2] === 1 || (hs[k].au[2] === 0 && hs[k].au[3] === 1)),
        `${c.name}: AU ${k} starts with an Annex-B start code`);
      if (k > 0) {
        assert.ok(hs[k].frameNumber > hs[k - 1].frameNumber, 'frame numbers increase');
        assert.ok(hs[k].tick >= hs[k - 1].tick, 'ticks do not go back');
      }
    }
  }
  const fps = clients.map((c) => c.frames / secs);
  console.log(`fanout: 8 clients, ${secs.toFixed(1)} s, fps per client: ${fps.map((f) => f.toFixed(1)).join(' ')}`);

  const m = await h.metrics();
  assert.equal(metric(m, 'shadowcast_ws_clients'), 8);
  assert.equal(metric(m, 'shadowcast_ws_players'), 6);
  assert.ok(metric(m, 'shadowcast_ws_frames_sent_total') >= 8 * MIN_FRAMES);
  for (const c of clients) c.ws.close(1000);
  await Promise.all(clients.map((c) => c.waitClose()));
  await sleep(100);
  const m2 = await h.metrics();
  assert.equal(metric(m2, 'shadowcast_ws_clients'), 0, 'server forgot closed clients');
  const leaves = h.events.filter((e) => e.event === 'LEAVE').length;
  assert.equal(leaves, 8, 'on_leave for every client');
});
