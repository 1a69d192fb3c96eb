// The encoder process's two threads (lws service + encode) under load, for
// the TSan build (label tsan; scripts/test.sh runs it there): the REAL server
// streams to a player and a spectator while they send inputs, pings and
// keyframe requests and the HTTP side (/metrics, /api/v1/state) is polled;
// then a clean stop. stop() fails on any sanitizer report on stderr.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';
import { startServer } from './lib/server.mjs';

let srv;
const clients = [];
after(async () => {
  for (const c of clients) c.terminate();
  if (srv) await srv.stop();
});

test('encoder process threads: stream, inputs, keyframes, HTTP, clean stop', { timeout: 240000 }, async () => {
  srv = await startServer(['--no-shadow'], { timeoutMs: 120000 });
  const player = new Client(srv.wsUrl, { name: 'player' });
  const watcher = new Client(srv.wsUrl, { name: 'watcher' });
  clients.push(player, watcher);
  await player.open();
  await watcher.open();
  assert.equal((await player.join(0)).type, 'hello');
  assert.equal((await watcher.join('spectate')).type, 'hello');
  await player.waitFrames(5, 60000);
  await watcher.waitFrames(5, 60000);
  const end = Date.now() + 4000;
  let i = 0;
  while (Date.now() < end) {
    player.input({ move: [(i * 7) % 100 - 50, (i * 13) % 100 - 50], t: i });
    player.send({ type: 'ping', t: i });
    if (i % 10 === 0) { player.send({ type: 'keyframe' }); watcher.send({ type: 'keyframe' }); }
    if (i % 5 === 0) {
      await srv.metrics();
      await srv.state();
    }
    i++;
    await sleep(50);
  }
  const f0 = watcher.frames;
  await watcher.waitFrames(f0 + 3, 30000);
  assert.ok(player.acks.length > 0, 'inputs acked');
  assert.equal(player.close, null, `player still connected (${JSON.stringify(player.close)})`);
  for (const c of clients) c.terminate();
  await sleep(200);
  await srv.stop();
  srv = null;
});
