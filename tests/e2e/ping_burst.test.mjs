// The documented burst (docs/protocol.md §3: 120 messages, token bucket): a
// joined player that sends 120 pings at once gets 120 pongs, in order, and
// stays connected with its video; the 121st message of a burst is over the
// limit (close 4429). The pings go out in one TCP write (the worst case).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startHarness, sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';

let h;
after(async () => { if (h) await h.stop(); });

async function joinedPlayer(name, slot) {
  const c = new Client(h.wsUrl, { name });
  await c.open();
  const hello = await c.join(slot);
  assert.equal(hello.type, 'hello', JSON.stringify(hello));
  await c.waitFrames(5);
  await sleep(1100); // the bucket refills the join's token: 120 again
  return c;
}

// n pings as masked client text frames in ONE socket write: the server reads
// them in one go and queues every pong before it can write any (a send per
// message lets the server answer in between, which hides a small queue).
function maskedText(str) {
  const payload = Buffer.from(str);
  assert.ok(payload.length < 126);
  const mask = randomBytes(4);
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x81; // FIN, text
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i & 3];
  return out;
}

async function burst(c, n) {
  const from = c.messages.length;
  const frames = [];
  for (let i = 0; i < n; i++) frames.push(maskedText(JSON.stringify({ type: 'ping', t: i })));
  c.ws._socket.write(Buffer.concat(frames));
  return from;
}

test('a burst of 120 pings: 120 pongs, still connected', { timeout: 60000 }, async () => {
  h = await startHarness(['--fps', '30']);
  const c = await joinedPlayer('burst', 0);
  const from = await burst(c, 120);
  await c.waitFor(() => c.messages.slice(from).filter((m) => m.type === 'pong').length >= 120, 10000,
    '120 pongs').catch((e) => {
    throw new Error(`${e.message}: got ${c.messages.slice(from).filter((m) => m.type === 'pong').length}, ` +
      `close ${JSON.stringify(c.close)}`);
  });
  const pongs = c.messages.slice(from).filter((m) => m.type === 'pong');
  assert.deepEqual(pongs.map((m) => m.t), [...Array(120).keys()], 'every ping answered once, in order');
  await sleep(500);
  assert.equal(c.close, null, `still connected (close ${JSON.stringify(c.close)})`);
  assert.equal(c.messages.slice(from).filter((m) => m.type === 'pong').length, 120, 'exactly 120 pongs');
  const f0 = c.frames;
  await c.waitFrames(f0 + 5, 5000);
  // once more after the bucket refilled
  await sleep(1100);
  const from2 = await burst(c, 120);
  await c.waitFor(() => c.messages.slice(from2).filter((m) => m.type === 'pong').length >= 120, 10000, '120 more pongs');
  assert.equal(c.close, null);
  c.terminate();

  // the 121st message of a burst is over the documented limit
  const over = await joinedPlayer('over', 1);
  await burst(over, 121);
  const close = await over.waitClose(5000);
  assert.equal(close.code, 4429, `close ${close.code} "${close.reason}"`);
});
