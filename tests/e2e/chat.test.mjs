// Chat through the REAL server (docs/protocol.md `chat`): a player's line
// reaches every joined client (players and spectators) as
// {"type":"chat","tick","player","text"}, relayed by the game (the primary
// stamps it with its tick) and sent in step with the video: before any frame
// of a later tick. Spectators cannot chat; a player over the chat rate limit
// gets error chat_rate_limited and stays connected; bad chat (over 200 bytes,
// invalid UTF-8, a control character, a lone surrogate) is closed with 4400
// while the others keep receiving video and chat. A client that never joined
// gets nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

let srv;
const socks = [];
after(async () => {
  for (const s of socks) s.terminate();
  if (srv) await srv.stop();
});

function join(msg) {
  const c = { frames: [], chats: [], errors: [], hello: null, closed: null, ws: null };
  const ws = new WebSocket(srv.wsUrl, 'shadowcast.v1');
  c.ws = ws;
  socks.push(ws);
  ws.on('open', () => ws.send(JSON.stringify(msg)));
  ws.on('close', (code, reason) => { c.closed = { code, reason: reason.toString() }; });
  ws.on('message', (data, isBinary) => {
    if (isBinary) { c.frames.push(data.readUInt32LE(12)); return; }
    const m = JSON.parse(data.toString());
    if (m.type === 'hello') c.hello = m;
    else if (m.type === 'chat') c.chats.push({ ...m, afterFrames: c.frames.length });
    else if (m.type === 'error') c.errors.push(m);
  });
  return c;
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return;
    await sleep(50);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-2000)}`);
}

test('chat reaches everyone in step with the video; limits and bad chat', { timeout: 180000 }, async () => {
  srv = await startServer(['--no-shadow', '--hang-timeout', '5000', '--players', '2']);
  const p0 = join({ type: 'join', player: 0 });
  const p1 = join({ type: 'join', player: 1 });
  const sp = join({ type: 'join', spectate: true });
  await until(() => p0.hello && p1.hello && sp.hello && sp.frames.length > 5, 20000, 'three clients joined, video');
  // connected but never joined: nothing is sent to it (docs/protocol.md §2), chat included
  const idleMsgs = [];
  const idle = new WebSocket(srv.wsUrl, 'shadowcast.v1');
  socks.push(idle);
  idle.on('message', (d) => idleMsgs.push(d));
  await new Promise((resolve) => idle.on('open', resolve));

  const written = async (ring) =>
    Number((await srv.metrics()).match(new RegExp(`^shadowcast_msgs_written_total\\{ring="${ring}"\\} (\\d+)$`, 'm'))[1]);
  const chatIn0 = await written('chat_in'), chat0 = await written('chat');
  const text = 'hello <b>&amp;</b> \u2713 "quoted" \u00e9\u{1F600}';
  const before = p0.frames[p0.frames.length - 1];
  p0.ws.send(JSON.stringify({ type: 'chat', text }));
  await until(() => [p0, p1, sp].every((c) => c.chats.length >= 1), 10000, 'the chat at every client');
  for (const c of [p0, p1, sp]) {
    const m = c.chats[0];
    assert.equal(m.player, 0);
    assert.equal(m.text, text, 'the text exactly as sent (escaped JSON, UTF-8)');
    assert.ok(Number.isInteger(m.tick) && m.tick > before, `tick ${m.tick} after the sender's last frame ${before}`);
    assert.ok(c.frames.slice(0, m.afterFrames).every((t) => t < m.tick), 'before any frame of a later tick');
  }
  assert.equal(await written('chat_in') - chatIn0, 1, 'the encoder wrote it to the inbound ring');
  assert.equal(await written('chat') - chat0, 1, 'relayed by the primary');

  // a spectator cannot chat
  sp.ws.send(JSON.stringify({ type: 'chat', text: 'hi' }));
  await until(() => sp.errors.some((e) => e.code === 'spectator'), 5000, 'error spectator');

  // the chat rate limit: 5 at once, the 6th refused; the connection stays
  for (let i = 0; i < 6; i++) p1.ws.send(JSON.stringify({ type: 'chat', text: `flood ${i}` }));
  await until(() => p1.errors.some((e) => e.code === 'chat_rate_limited'), 5000, 'error chat_rate_limited');
  await until(() => sp.chats.filter((m) => m.player === 1).length >= 5, 10000, 'five of them relayed');
  await sleep(500);
  assert.deepEqual(sp.chats.filter((m) => m.player === 1).map((m) => m.text),
    ['flood 0', 'flood 1', 'flood 2', 'flood 3', 'flood 4'], 'the first five, in order');
  assert.equal(p1.closed, null, 'rate limited, not closed');

  // bad chat: closed with 4400, one client each (player 1's slot, freed each time)
  const bad = [
    ['over 200 bytes', JSON.stringify({ type: 'chat', text: 'x'.repeat(201) }), /over 200 bytes/],
    ['a control character', JSON.stringify({ type: 'chat', text: 'a\nb' }), /control character/],
    ['a lone surrogate', '{"type":"chat","text":"\\ud83d"}', /lone surrogate/],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"type":"chat","text":"'), Buffer.from([0xc3, 0x28]),
      Buffer.from('"}')]), /not valid UTF-8/],
  ];
  let victim = p1;
  for (const [what, payload, reason] of bad) {
    victim.ws.terminate();
    await until(() => victim.closed, 5000, 'the previous client gone');
    await sleep(200);
    victim = join({ type: 'join', player: 1 });
    await until(() => victim.hello, 10000, `player 1 joined again (${what})`);
    victim.ws.send(payload, { binary: false });
    await until(() => victim.closed, 10000, `closed for ${what}`);
    console.log(`${what}: close ${victim.closed.code} "${victim.closed.reason}"`);
    assert.equal(victim.closed.code, 4400, what);
    assert.match(victim.closed.reason, reason, what);
  }
  // the others are untouched: video and chat go on
  const f0 = sp.frames.length;
  p0.ws.send(JSON.stringify({ type: 'chat', text: 'still here' }));
  await until(() => sp.chats.some((m) => m.text === 'still here') && sp.frames.length > f0 + 10, 10000,
    'chat and video after the bad clients');
  assert.equal(p0.closed, null);
  assert.equal(sp.closed, null);
  assert.equal(idleMsgs.length, 0, 'the client that never joined got nothing');
  const m2 = await srv.metrics();
  assert.match(m2, /^shadowcast_ws_chats_limited_total 1$/m);
  assert.match(m2, /^shadowcast_msgs_rejected_total\{ring="chat"\} 0$/m);
});
