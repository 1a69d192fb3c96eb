// Malformed, oversized, binary-garbage, schema-violating and flooding clients
// get the documented close code and a reason, while a watching client keeps
// receiving video and new clients are still served.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startHarness, metric, sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';

let h;
after(async () => { if (h) await h.stop(); });

async function expectClose(name, send, code, reasonRe, { join = true } = {}) {
  const c = new Client(h.wsUrl, { name });
  await c.open();
  if (join) await c.join('spectate');
  await send(c);
  const close = await c.waitClose(5000);
  assert.equal(close.code, code, `${name}: close ${close.code} "${close.reason}", expected ${code}`);
  assert.match(close.reason, reasonRe, `${name}: close reason`);
  return close;
}

test('bad messages are closed with the documented code; others keep receiving', { timeout: 60000 }, async () => {
  h = await startHarness(['--fps', '30', '--rate', '120']);
  const watcher = new Client(h.wsUrl, { name: 'watcher' });
  await watcher.open();
  await watcher.join(0);
  await watcher.waitFrames(10);
  const w0 = watcher.frames;
  const t0 = performance.now();

  await expectClose('malformed', (c) => c.send('{"type":"join",'), 4400, /^bad message: /);
  await expectClose('not-json', (c) => c.send('hello there'), 4400, /^bad message: /);
  await expectClose('not-object', (c) => c.send('[1,2,3]'), 4400, /^bad message: /);
  await expectClose('unknown-type', (c) => c.send({ type: 'teleport' }), 4400, /unknown message type/);
  await expectClose('unknown-key', (c) => c.send({ type: 'ping', extra: 1 }), 4400, /unknown key/);
  await expectClose('fault-input', (c) => c.send({ type: 'input', seq: 1, fault: 'crash' }), 4400, /unknown key/);
  await expectClose('move-range', (c) => c.send({ type: 'input', seq: 1, move: [500, 0] }), 4400, /out of range/);
  await expectClose('move-float', (c) => c.send({ type: 'input', seq: 1, move: [0.5, 0] }), 4400, /integer/);
  await expectClose('seq-missing', (c) => c.send({ type: 'input', shoot: true }), 4400, /seq/);
  await expectClose('duplicate-key', (c) => c.send('{"type":"ping","type":"ping"}'), 4400, /duplicate key/);
  await expectClose('trailing', (c) => c.send('{"type":"ping"} x'), 4400, /trailing data/);
  await expectClose('oversized', (c) => c.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(4000) })), 4413, /too big/);
  await expectClose('oversized-fragmented', async (c) => {
    for (let i = 0; i < 4; i++) c.ws.send('y'.repeat(500), { fin: i === 3 });
  }, 4413, /too big/);
  await expectClose('binary-garbage', (c) => c.ws.send(randomBytes(300)), 4400, /binary/);
  await expectClose('binary-before-join', (c) => c.ws.send(randomBytes(64)), 4400, /binary/, { join: false });
  // 400 pings in bursts of 20 every 5 ms (~4000/s). The client keeps reading
  // while it floods, as a browser would; a peer that writes without ever
  // reading can miss the close frame (TCP reset) and see 1006 instead.
  await expectClose('flood', async (c) => {
    let i = 0;
    await new Promise((resolve) => {
      const burst = () => {
        for (let k = 0; k < 20 && i < 400 && c.ws.readyState === 1; k++, i++) c.send({ type: 'ping', t: i });
        if (i < 400 && c.ws.readyState === 1) setTimeout(burst, 5); else resolve();
      };
      burst();
    });
  }, 4429, /rate limited/);

  await sleep(Math.max(0, 3000 - (performance.now() - t0))); // measure over >= 3 s
  const secs = (performance.now() - t0) / 1000;
  const fps = (watcher.frames - w0) / secs;
  console.log(`watcher kept ${fps.toFixed(1)} fps over ${secs.toFixed(1)} s of bad clients`);
  assert.equal(watcher.close, null, 'watcher still connected');
  assert.ok(fps >= 20, `watcher fps ${fps.toFixed(1)}`);

  // a new client is served normally afterwards
  const late = new Client(h.wsUrl, { name: 'late' });
  await late.open();
  assert.equal((await late.join('spectate')).type, 'hello');
  await late.waitFrames(10);

  const m = await h.metrics();
  assert.ok(metric(m, 'shadowcast_ws_closes_total{code="4400"}') >= 13);
  assert.equal(metric(m, 'shadowcast_ws_closes_total{code="4413"}'), 2);
  assert.equal(metric(m, 'shadowcast_ws_closes_total{code="4429"}'), 1);
  watcher.ws.close(1000);
  late.ws.close(1000);
});

test('join timeout and server full', { timeout: 30000 }, async () => {
  if (h) await h.stop();
  h = await startHarness(['--fps', '30', '--max-clients', '2', '--join-timeout-ms', '500']);
  const idle = new Client(h.wsUrl, { name: 'idle' });
  await idle.open();
  const close = await idle.waitClose(5000);
  assert.equal(close.code, 4408);
  assert.match(close.reason, /join/);

  const a = new Client(h.wsUrl, { name: 'a' });
  const b = new Client(h.wsUrl, { name: 'b' });
  await a.open();
  await b.open();
  await a.join(0);
  await b.join(1);
  const c = new Client(h.wsUrl, { name: 'c' });
  await c.open();
  const full = await c.waitClose(5000);
  assert.equal(full.code, 4503);
  assert.match(full.reason, /server full/);
  await a.waitFrames(5);
  a.ws.close(1000);
  b.ws.close(1000);
});
