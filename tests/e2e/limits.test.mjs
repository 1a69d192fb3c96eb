// The per-client limits of `shadowcast run`, set from its options (docs/
// configuration.md "Limits"): --max-message-bytes (4413 over it, a message
// just under it served), --client-rate (4429 once a burst is spent) and
// --max-clients (4503 beyond it), through the real server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { Client } from './lib/client.mjs';

let srv;
after(async () => { if (srv) await srv.stop(); });

test('limits from the run options', { timeout: 200000 }, async () => {
  srv = await startServer(['--no-shadow', '--hang-timeout', '5000', '--max-message-bytes', '300',
    '--client-rate', '10', '--max-clients', '2']);
  await srv.waitTicks(3);
  // a ping padded to exactly 300 bytes is served; 301 bytes is too big
  const pad = (n) => `{"type":"ping",${' '.repeat(n - 21)}"t":1}`; // whitespace is allowed
  assert.equal(pad(300).length, 300);
  const a = new Client(srv.wsUrl, { name: 'a' });
  await a.open();
  await a.join('spectate');
  a.send(pad(300));
  await a.waitFor((m) => m.type === 'pong', 5000, 'pong to a 300-byte ping');
  a.send(pad(301));
  const big = await a.waitClose(5000);
  assert.equal(big.code, 4413);
  assert.match(big.reason, /over 300 bytes/);

  // ten messages a second with a burst of ten: the 11th at once is one too many
  const b = new Client(srv.wsUrl, { name: 'b' });
  await b.open();
  await b.join('spectate');
  for (let i = 0; i < 30; i++) b.send({ type: 'ping', t: i });
  const flood = await b.waitClose(5000);
  assert.equal(flood.code, 4429);
  assert.match(flood.reason, /over 10 messages per second/);

  // two clients at most
  const c1 = new Client(srv.wsUrl, { name: 'c1' });
  const c2 = new Client(srv.wsUrl, { name: 'c2' });
  await c1.open();
  await c2.open();
  const c3 = new Client(srv.wsUrl, { name: 'c3' });
  await c3.open();
  const full = await c3.waitClose(5000);
  assert.equal(full.code, 4503);
  c1.ws.close(1000);
  c2.ws.close(1000);
});
