// The protocol as docs/protocol.md describes it: join rules, inputs reaching
// the game with the right fields (checked on the server's side), acks with
// the tick and the events' log_seq / n_events, errors that do not close,
// ping/pong, keyframe requests, the handshake rules (subprotocol and path),
// and an input message taken whole or refused whole when the game (its input
// log) has room for only part of it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHarness, metric } from './lib/harness.mjs';
import { Client } from './lib/client.mjs';

let h;
after(async () => { if (h) await h.stop(); });

test('join, input, ack, errors, ping, keyframe', { timeout: 60000 }, async () => {
  h = await startHarness(['--fps', '30', '--max-players', '4']);
  const p = new Client(h.wsUrl, { name: 'player' });
  p.keepHeaders = 100000;
  await p.open();

  // input before join: error, connection stays
  p.send({ type: 'input', seq: 1, shoot: true });
  const e0 = await p.waitFor((m) => m.type === 'error');
  assert.equal(e0.code, 'not_joined');

  const hello = await p.join(2);
  assert.equal(hello.type, 'hello');
  assert.equal(hello.player, 2);
  assert.equal(hello.max_players, 4);
  assert.deepEqual(hello.players_taken, [2]);
  assert.equal(typeof hello.server_us, 'number');
  const join = await h.waitFor((e) => e.event === 'JOIN' && Number(e.client) === hello.client_id);
  assert.equal(join.player, '2');

  // move with a client timestamp
  const s1 = p.input({ move: [10, -20], t: 1234.5 });
  const a1 = await p.waitAck(s1);
  assert.equal(a1.t, 1234.5);
  assert.ok(a1.tick > 0);
  assert.equal(typeof a1.arrival_us, 'number');
  const in1 = await h.waitFor((e) => e.event === 'INPUT' && e.seq === String(s1));
  assert.deepEqual([in1.client, in1.player, in1.action, in1.a, in1.b, in1.tick],
    [String(hello.client_id), '2', 'MOVE', '10', '-20', String(a1.tick)]);
  assert.equal(a1.n_events, 1);
  assert.equal(a1.log_seq, Number(in1.log_seq));

  // block + shoot in one message: two events, one ack
  const s2 = p.input({ block: true, shoot: true });
  const a2 = await p.waitAck(s2);
  const ev2 = h.events.filter((e) => e.event === 'INPUT' && e.seq === String(s2));
  await h.waitFor((e) => e.event === 'INPUT' && e.seq === String(s2) && e.action === 'SHOOT');
  const actions = h.events.filter((e) => e.event === 'INPUT' && e.seq === String(s2)).map((e) => `${e.action}:${e.a}`);
  assert.deepEqual(actions.sort(), ['BLOCK:1', 'SHOOT:0']);
  assert.ok(ev2.length <= 2);
  assert.ok(a2.tick >= a1.tick);
  assert.equal(a2.n_events, 2);
  const logSeqs2 = h.events.filter((e) => e.event === 'INPUT' && e.seq === String(s2)).map((e) => Number(e.log_seq));
  assert.deepEqual(logSeqs2, [a2.log_seq, a2.log_seq + 1], 'the ack names the first event, the rest follow it');

  // a frame showing the acked tick arrives (input-to-display is measurable)
  await p.waitFor(() => p.headers.some((hd) => hd.tick >= a2.tick), 5000, 'frame at the acked tick');

  // stale seq: error, no ack, still connected
  p.send({ type: 'input', seq: s2, move: [0, 0] });
  const e1 = await p.waitFor((m) => m.type === 'error' && m.code === 'stale_seq');
  assert.match(e1.message, /seq/);

  // join twice, taken slot, out-of-range slot
  p.send({ type: 'join', player: 1 });
  assert.equal((await p.waitFor((m) => m.type === 'error' && m.code === 'already_joined')).type, 'error');
  const q = new Client(h.wsUrl, { name: 'other' });
  await q.open();
  assert.equal((await q.join(2)).code, 'player_taken');
  assert.equal((await q.join(3)).player, 3);
  const r = new Client(h.wsUrl, { name: 'range' });
  await r.open();
  assert.equal((await r.join(7)).code, 'bad_player');
  assert.equal((await r.join('auto')).player, 0);

  // spectators cannot send input
  const s = new Client(h.wsUrl, { name: 'spectator' });
  await s.open();
  assert.equal((await s.join('spectate')).player, -1);
  s.send({ type: 'input', seq: 1, move: [1, 1] });
  assert.equal((await s.waitFor((m) => m.type === 'error')).code, 'spectator');

  // ping / pong
  p.send({ type: 'ping', t: 99.25 });
  const pong = await p.waitFor((m) => m.type === 'pong');
  assert.equal(pong.t, 99.25);
  assert.ok(pong.server_us >= hello.server_us);

  // keyframe request -> the game is asked for an IDR, and one arrives
  await p.waitFrames(p.frames + 5);
  const kf0 = p.keyframes;
  const reqs0 = h.events.filter((e) => e.event === 'KEYFRAME_REQUEST').length;
  p.send({ type: 'keyframe' });
  await h.waitFor(() => h.events.filter((e) => e.event === 'KEYFRAME_REQUEST').length > reqs0, 5000, 'KEYFRAME_REQUEST');
  await p.waitFor(() => p.keyframes > kf0, 5000, 'a keyframe');

  for (const c of [p, q, r, s]) assert.equal(c.close, null, `${c.name} still connected after errors`);
  const m = await h.metrics();
  assert.equal(metric(m, 'shadowcast_ws_inputs_total'), 2);
  assert.ok(metric(m, 'shadowcast_ws_inputs_rejected_total') >= 3);
  assert.equal(metric(m, 'shadowcast_test_inputs_total'), 3);
  for (const c of [p, q, r, s]) c.ws.close(1000);
  await Promise.all([p, q, r, s].map((c) => c.waitClose()));
  await h.waitFor((e) => e.event === 'LEAVE' && e.player === '2');
});

test('handshake: subprotocol and path are required', { timeout: 20000 }, async () => {
  const attempt = (url, proto) => new Promise((resolve) => {
    const ws = proto ? new WebSocket(url, proto) : new WebSocket(url);
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('error', () => resolve('refused'));
  });
  assert.equal(await attempt(h.wsUrl, 'shadowcast.v1'), 'open');
  assert.equal(await attempt(h.wsUrl), 'refused');
  assert.equal(await attempt(h.wsUrl, 'chat'), 'refused');
  // the housekeeping timer's lws protocol (a raw file) is no WebSocket one
  assert.equal(await attempt(h.wsUrl, 'sc-housekeeping'), 'refused');
  assert.equal(await attempt(`ws://127.0.0.1:${h.port}/other`, 'shadowcast.v1'), 'refused');
});

test('http: /healthz, /metrics, static player page', { timeout: 20000 }, async () => {
  let r = await fetch(`${h.httpUrl}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'ok\n');
  r = await fetch(`${h.httpUrl}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const m = await r.text();
  for (const name of ['shadowcast_ws_clients', 'shadowcast_ws_frames_sent_total', 'shadowcast_ws_frames_dropped_total',
    'shadowcast_ws_bytes_sent_total', 'shadowcast_ws_queue_overruns_total', 'shadowcast_test_frames_encoded_total'])
    assert.notEqual(metric(m, name), undefined, `/metrics has ${name}`);
  assert.match(m, /^# TYPE shadowcast_ws_frames_sent_total counter$/m);
  assert.match(m, /^shadowcast_encoder_info\{name="libx264",fallback_reason=""\} 1$/m);
  r = await fetch(`${h.httpUrl}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(await r.text(), /player\.js/);
  r = await fetch(`${h.httpUrl}/player.js`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /javascript/);
  r = await fetch(`${h.httpUrl}/style.css`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/css/);
  r = await fetch(`${h.httpUrl}/no-such-file.txt`);
  assert.equal(r.status, 404);
  r = await fetch(`${h.httpUrl}/../../etc/passwd`);
  assert.notEqual(r.status, 200);
});

test('input: a message is taken whole or refused whole', { timeout: 30000 }, async () => {
  // room for 4 events in all, like an input log with 4 free records
  const h2 = await startHarness(['--fps', '30', '--input-room', '4']);
  try {
    const p = new Client(h2.wsUrl, { name: 'room' });
    await p.open();
    assert.equal((await p.join(0)).player, 0);
    const sa = p.input({ move: [5, 5], block: true });
    const aa = await p.waitAck(sa);
    assert.deepEqual([aa.log_seq, aa.n_events], [0, 2]);
    // three events, two records free: refused, and none of the three taken
    const sb = p.input({ move: [1, 1], block: false, shoot: true });
    const eb = await p.waitFor((m) => m.type === 'error' && m.code === 'input_rejected');
    assert.match(eb.message, new RegExp(`input seq ${sb} was rejected`));
    await h2.waitFor((e) => e.event === 'INPUT_REJECTED' && e.seq === String(sb));
    // two events fit exactly
    const sc = p.input({ block: true, shoot: true });
    const ac = await p.waitAck(sc);
    assert.deepEqual([ac.log_seq, ac.n_events], [2, 2]);
    // no event: acked, nothing logged
    const sd = p.input({ shoot: false });
    const ad = await p.waitAck(sd);
    assert.deepEqual([ad.log_seq, ad.n_events], [null, 0]);
    assert.equal(p.messages.some((m) => m.type === 'ack' && m.seq === sb), false, 'no ack for the refused message');
    const inputs = h2.events.filter((e) => e.event === 'INPUT');
    assert.deepEqual(inputs.map((e) => `${e.seq}:${e.action}:${e.log_seq}`),
      [`${sa}:MOVE:0`, `${sa}:BLOCK:1`, `${sc}:BLOCK:2`, `${sc}:SHOOT:3`]);
    const m = await h2.metrics();
    assert.equal(metric(m, 'shadowcast_test_inputs_total'), 4);
    assert.equal(metric(m, 'shadowcast_ws_inputs_rejected_total'), 1);
    p.ws.close(1000);
    await p.waitClose();
  } finally {
    await h2.stop();
  }
});
