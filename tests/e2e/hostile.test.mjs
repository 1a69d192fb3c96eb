// Hostile traffic at the transport level, from raw sockets: a frame that
// claims a 1 GiB payload, invalid UTF-8 text, reserved and bad opcodes,
// fragments that never end, a ping with an over-long payload, slowloris
// (request headers a byte at a time, never finished), half-open connections,
// and 200 connections at once. The server stays up, a watching client keeps
// its frame rate, a new client is served afterwards, and the harness's memory
// (RSS) stays bounded. Loopback only; every wait bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startHarness, sleep } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';

let h;
const sockets = [];
after(async () => {
  for (const s of sockets) s.destroy();
  if (h) await h.stop();
});

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// An upgraded raw socket (the 101 read), or the status line it got instead.
async function upgraded(port) {
  const s = await connect(port);
  s.write(`GET /stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    'Sec-WebSocket-Protocol: shadowcast.v1\r\n\r\n');
  const head = await new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => resolve(buf), 5000);
    s.on('data', function onData(d) {
      buf = Buffer.concat([buf, d]);
      if (buf.includes('\r\n\r\n')) { clearTimeout(t); s.off('data', onData); resolve(buf); }
    });
  });
  assert.match(head.toString('latin1'), /^HTTP\/1\.1 101/, `upgrade answered: ${head.toString('latin1').slice(0, 80)}`);
  return s;
}

// A masked client frame: fin, opcode, payload; len overrides the length field.
// (A frame may claim more than it carries: the 1 GiB case sends 8 KiB of it.)
function frame(opcode, payload, { fin = true, len = null } = {}) {
  const n = len ?? payload.length;
  const mask = randomBytes(4);
  let hdr;
  if (n < 126) hdr = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | n]);
  else if (n < 65536) { hdr = Buffer.alloc(4); hdr[0] = (fin ? 0x80 : 0) | opcode; hdr[1] = 0x80 | 126; hdr.writeUInt16BE(n, 2); }
  else { hdr = Buffer.alloc(10); hdr[0] = (fin ? 0x80 : 0) | opcode; hdr[1] = 0x80 | 127; hdr.writeBigUInt64BE(BigInt(n), 2); }
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([hdr, mask, body]);
}

// Resolves true when the server closed: a close frame (opcode 8; before a
// join the server sends nothing else) or the end of the TCP connection.
function closedWithin(s, ms) {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) { resolve(true); return; }
    const t = setTimeout(() => resolve(false), ms);
    const done = () => { clearTimeout(t); resolve(true); };
    s.once('close', done);
    s.once('end', done);
    s.on('data', (d) => { if ((d[0] & 0x0f) === 0x8) done(); });
    s.on('error', () => {});
    s.resume();
  });
}

test('hostile traffic: the server stays up, others keep their frame rate, memory stays bounded',
  { timeout: 120000 }, async () => {
    h = await startHarness(['--fps', '30']);
    const watcher = new Client(h.wsUrl, { name: 'watcher' });
    await watcher.open();
    await watcher.join(0);
    await watcher.waitFrames(10);
    const rss0 = rssKiB(h.proc.pid);
    const w0 = watcher.frames;
    const t0 = performance.now();

    // frames that must get the connection closed
    const cases = [
      ['1 GiB payload claimed (8 KiB of it sent)', frame(0x1, Buffer.alloc(8192, 0x20), { len: 1 << 30 })],
      ['invalid UTF-8 text', frame(0x1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))],
      ['reserved opcode 0x3', frame(0x3, Buffer.from('x'))],
      ['reserved opcode 0xB', frame(0xb, Buffer.from('x'))],
      ['ping with 200 bytes', frame(0x9, Buffer.alloc(200))],
      ['continuation without a start', frame(0x0, Buffer.from('x'))],
      ['RSV bits set', Buffer.concat([Buffer.from([0xf1, 0x81]), randomBytes(5)])],
      ['unmasked client frame', Buffer.from([0x81, 0x01, 0x78])],
    ];
    for (const [what, bytes] of cases) {
      const s = await upgraded(h.port);
      s.write(bytes);
      assert.ok(await closedWithin(s, 5000), `${what}: the server closed the connection`);
    }
    // fragments that never end: closed once over the message size limit
    {
      const s = await upgraded(h.port);
      s.write(frame(0x1, Buffer.from('{"type":'), { fin: false }));
      for (let i = 0; i < 64 && !s.destroyed; i++) s.write(frame(0x0, Buffer.alloc(256, 0x20), { fin: false }));
      assert.ok(await closedWithin(s, 5000), 'endless fragments: closed');
    }
    // slowloris: request headers a byte every 100 ms, never finished
    const slow = [];
    for (let i = 0; i < 20; i++) slow.push(await connect(h.port));
    const req = `GET /stream HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Slow: `;
    for (let k = 0; k < req.length; k++) {
      for (const s of slow) if (!s.destroyed) s.write(req[k]);
      await sleep(20);
    }
    // half-open: connected, nothing sent; and 200 connections at once
    const idle = [];
    for (let i = 0; i < 200; i++) idle.push(connect(h.port).catch(() => null));
    await Promise.all(idle);

    // measured over >= 3 s while all of that is open
    await sleep(Math.max(0, 3000 - (performance.now() - t0)));
    const secs = (performance.now() - t0) / 1000;
    const fps = (watcher.frames - w0) / secs;
    console.log(`watcher: ${fps.toFixed(1)} fps over ${secs.toFixed(1)} s of hostile traffic`);
    assert.equal(watcher.close, null, 'the watcher is still connected');
    assert.ok(fps >= 20, `the watcher kept its frame rate: ${fps.toFixed(1)} fps (30 sent)`);

    // a new client is served while the slow and idle sockets are still open
    const late = new Client(h.wsUrl, { name: 'late' });
    await late.open();
    assert.equal((await late.join('spectate')).type, 'hello');
    await late.waitFrames(5);

    const rss1 = rssKiB(h.proc.pid);
    console.log(`harness RSS: ${rss0} KiB before, ${rss1} KiB with 220 hostile sockets open`);
    assert.ok(rss1 - rss0 < 64 * 1024, `memory bounded: RSS grew ${rss1 - rss0} KiB`);
    assert.equal(h.exited, null, 'the server is up');
    for (const s of sockets) s.destroy();
    watcher.ws.close(1000);
    late.ws.close(1000);
  });
