// System notices and chat are part of the session's record (issue 10,
// inbound), through the REAL server (supervisor, Vulkan primary and shadow,
// encoder process):
//  1. players joining, leaving and disconnecting, and the spectator count,
//     enter the input log like inputs: the primary applies them at a tick and
//     sends the notice with that tick ({"kind":"player_disconnected",
//     "player":0,"tick":T}) before any frame of a later tick; the tick record
//     of T lists the `leave` input; the disconnected player's paddle stops
//     (the game's rule: axis and velocity 0, shield down) at T in the primary
//     and in the shadow, which follows with 0 divergences. A developer's
//     pause and resume of the shadow are notices too.
//  2. chat relayed by the primary enters the shared chat log; after an
//     injected fault the incident capture holds chat.txt with the lines sent
//     before the fault, each with the tick the game took it at.
//  3. kill -9 of the encoder process: its successor writes `leave
//     disconnected` for the players its predecessor's clients held, so a
//     paddle that was moving stops (primary and shadow alike).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const TOKEN = 'notices-record-e2e-token';
const captures = mkdtempSync(path.join(tmpdir(), 'sc-notices-record-'));
let srv;
const socks = [];
after(async () => {
  for (const s of socks) s.terminate();
  if (srv) await srv.stop();
  rmSync(captures, { recursive: true, force: true });
});

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(50);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-3000)}`);
}

async function api(p, { method = 'GET', body, text = false } = {}) {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${srv.httpUrl}/api/v1${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000),
  });
  return { status: r.status, data: text ? await r.text() : await r.json() };
}

function join(msg) {
  const c = { frames: [], notices: [], chats: [], acks: [], hello: null, closed: null, ws: null };
  const ws = new WebSocket(srv.wsUrl, 'shadowcast.v1');
  c.ws = ws;
  socks.push(ws);
  ws.on('open', () => ws.send(JSON.stringify(msg)));
  ws.on('close', (code) => { c.closed = code; });
  ws.on('message', (data, isBinary) => {
    if (isBinary) { c.frames.push(data.readUInt32LE(12)); return; }
    const m = JSON.parse(data.toString());
    if (m.type === 'hello') c.hello = m;
    else if (m.type === 'notice') c.notices.push({ ...m.notice, afterFrames: c.frames.length });
    else if (m.type === 'chat') c.chats.push(m);
    else if (m.type === 'ack') c.acks.push(m);
  });
  return c;
}

const strip = ({ afterFrames, ...n }) => n;

// every notice with a tick arrives before any frame of a later tick
function inStep(c, n) {
  const before = c.frames.slice(0, n.afterFrames);
  assert.ok(before.every((t) => t < n.tick),
    `${n.kind} at tick ${n.tick} arrived after a frame of tick ${Math.max(...before)}`);
}

test('joins, a disconnect and the spectator count enter the record; the paddle stops in primary and shadow',
  { timeout: 240000 }, async () => {
    srv = await startServer(['--delay', '20t', '--hang-timeout', '5000', '--players', '2', '--captures', captures],
      { token: TOKEN });
    await until(async () => {
      const s = (await api('/status')).data;
      return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 15;
    }, 60000, 'the shadow 20 ticks behind');

    const sp = join({ type: 'join', spectate: true });
    await until(() => sp.hello && sp.frames.length > 3, 20000, 'the spectator joined, video');
    // the spectator count, from the game at a tick
    const count1 = await until(() => sp.notices.find((n) => n.kind === 'spectators'), 10000, 'a spectators notice');
    assert.equal(count1.count, 1, JSON.stringify(count1));
    assert.ok(Number.isInteger(count1.tick));
    const p0 = join({ type: 'join', player: 0 });
    const p1 = join({ type: 'join', player: 1 });
    await until(() => p0.hello && p1.hello, 20000, 'two players joined');
    const joined = await until(() => {
      const j = sp.notices.filter((n) => n.kind === 'player_joined');
      return j.length >= 2 ? j : null;
    }, 10000, 'two player_joined notices');
    assert.deepEqual(joined.map((n) => n.player).sort(), [0, 1]);
    for (const n of [count1, ...joined]) inStep(sp, n);

    // player 0 holds its stick right; its paddle moves
    p0.ws.send(JSON.stringify({ type: 'input', seq: 1, move: [0, -127] }));
    await until(() => p0.acks.length >= 1, 10000, 'the move acked');
    await until(async () => (await srv.state()).players[0].vy < 0, 10000, 'player 0 moving');

    // its connection breaks while it holds the move: disconnected
    p0.ws.terminate();
    const gone = await until(() => sp.notices.find((n) => n.kind === 'player_disconnected'), 10000,
      'player_disconnected notice');
    assert.equal(gone.player, 0);
    const T = gone.tick;
    assert.ok(Number.isInteger(T) && T > p0.acks[0].tick, `the disconnect's tick ${T}`);
    inStep(sp, gone);
    assert.ok(p1.notices.some((n) => n.kind === 'player_disconnected' && n.tick === T), 'player 1 told too');

    // the tick record of T lists it as an input-log record the primary applied
    const rec = await until(async () => {
      const r = await api(`/ticks?from=${T}&count=1`);
      return r.status === 200 && r.data.records && r.data.records[0] ? r.data.records[0] : null;
    }, 10000, `the tick record of ${T}`);
    const leave = rec.inputs.find((i) => i.action === 'leave');
    assert.ok(leave, `a leave input in tick ${T}: ${JSON.stringify(rec)}`);
    assert.deepEqual([leave.player, leave.a], [0, 1], 'player 0, disconnected (a = 1)');

    // the primary: the paddle stopped and stays
    const s1 = await srv.waitTicks(T + 2);
    assert.deepEqual([s1.players[0].vx, s1.players[0].vy, s1.players[0].shield], [0, 0, false],
      `player 0 after tick ${s1.tick}: ${JSON.stringify(s1.players[0])}`);
    await sleep(300);
    const s2 = await srv.state();
    assert.equal(s2.players[0].x, s1.players[0].x, 'it does not move on');

    // the shadow ran tick T with the same notice: no divergence, and the
    // state it holds after T has the paddle stopped
    await until(async () => (await api('/status')).data.shadows[0].next_tick > T + 2, 20000, 'the shadow past T');
    const paused = await api('/shadow/pause', { method: 'POST' });
    assert.equal(paused.status, 200, JSON.stringify(paused.data));
    const pn = await until(() => sp.notices.find((n) => n.kind === 'pause' && n.paused === true), 10000,
      'a pause notice');
    assert.equal(pn.slot, paused.data.slot);
    const st = (await api('/status')).data.shadows[paused.data.slot];
    assert.equal(st.divergences, 0, `the shadow follows exactly: ${JSON.stringify(st)}`);
    const cap = await api('/shadow/capture', { method: 'POST' });
    assert.equal(cap.status, 200, JSON.stringify(cap.data));
    const name = (await api('/status')).data.shadows[paused.data.slot].capture;
    const state = await api(`/captures/${name}/state.json`);
    assert.equal(state.status, 200, JSON.stringify(state.data));
    assert.ok(state.data.held_tick >= T, `the shadow holds tick ${state.data.held_tick} >= ${T}`);
    const sp0 = state.data.players[0];
    assert.deepEqual([sp0.axis, sp0.vx_px, sp0.vy_px, sp0.shield], [[0, 0], 0, 0, false],
      `the shadow's player 0: ${JSON.stringify(sp0)}`);
    assert.equal(sp0.x_px, s1.players[0].x / 256, 'the same place as in the primary');
    const inputs = await api(`/captures/${name}/inputs.txt`, { text: true });
    assert.match(inputs.data, new RegExp(`^${T} 0 leave disconnected `, 'm'), 'the leave in the input window');
    const resumed = await api('/shadow/resume', { method: 'POST' });
    assert.equal(resumed.status, 200, JSON.stringify(resumed.data));
    await until(() => sp.notices.find((n) => n.kind === 'pause' && n.paused === false), 10000, 'a resume notice');

    // player 1 closes its WebSocket: left
    p1.ws.close(1000);
    const left = await until(() => sp.notices.find((n) => n.kind === 'player_left'), 10000, 'player_left notice');
    assert.equal(left.player, 1);
    assert.ok(left.tick >= T);
    // a second spectator, then it goes: the count follows
    const sp2 = join({ type: 'join', spectate: true });
    await until(() => sp.notices.some((n) => n.kind === 'spectators' && n.count === 2), 10000, 'spectators 2');
    sp2.ws.close(1000);
    await until(() => sp.notices.filter((n) => n.kind === 'spectators').at(-1).count === 1, 10000, 'spectators 1');
    console.log(`notices: ${JSON.stringify(sp.notices.map(strip))}`);
    // one notice each, never also sent by the encoder on its own
    for (const kind of ['player_disconnected', 'player_left'])
      assert.equal(sp.notices.filter((n) => n.kind === kind).length, 1, `one ${kind}`);
    assert.ok(sp.notices.every((n) => n.kind === 'pause' || Number.isInteger(n.tick)), 'every game notice has a tick');
    const status = (await api('/status')).data;
    assert.ok(status.shadows.every((b) => b.divergences === 0), `no divergence: ${JSON.stringify(status.shadows)}`);
    await srv.stop();
    srv = null;
  });

test('chat before a fault is in the incident capture (chat.txt, with its ticks)', { timeout: 240000 }, async () => {
  srv = await startServer(['--delay', '30t', '--hang-timeout', '5000', '--players', '2', '--captures', captures],
    { token: TOKEN });
  await until(async () => {
    const s = (await api('/status')).data;
    return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 25;
  }, 60000, 'the shadow 30 ticks behind');
  const p0 = join({ type: 'join', player: 0 });
  const p1 = join({ type: 'join', player: 1 });
  await until(() => p0.hello && p1.hello, 20000, 'two players joined');
  const lines = [['hello from 0', p0], ['hi "zero" \u2713 <b>', p1], ['\u{1F600} ok', p0]];
  for (const [text, c] of lines) {
    c.ws.send(JSON.stringify({ type: 'chat', text }));
    await until(() => p0.chats.some((m) => m.text === text), 10000, `the chat "${text}" relayed`);
  }
  const relayed = p0.chats.map((m) => [m.tick, m.player, m.text]);
  assert.deepEqual(relayed.map((r) => r[2]), lines.map((l) => l[0]));

  const inj = await api('/inject', { method: 'POST', body: { kind: 'assert' } });
  assert.equal(inj.status, 200, JSON.stringify(inj.data));
  const T = inj.data.tick;
  assert.ok(relayed.every((r) => r[0] < T), 'chat before the fault');
  const paused = await until(async () => {
    const s = (await api('/status')).data;
    const b = s.shadows.find((x) => x.state === 'paused');
    return b && b.capture && /^incident-/.test(b.capture) ? b : null;
  }, 30000, 'the incident capture');
  const manifest = (await api(`/captures/${paused.capture}/manifest.json`)).data;
  assert.equal(manifest.format, 3);
  assert.equal(manifest.files.chat, 'chat.txt');
  assert.equal(manifest.chat.lines, lines.length);
  const chat = await api(`/captures/${paused.capture}/chat.txt`, { text: true });
  assert.equal(chat.status, 200, chat.data);
  console.log(chat.data);
  // TICK PLAYER "TEXT" (the text a JSON string), '#' lines are comments
  const got = chat.data.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = l.match(/^(\d+) (\d+) (".*")$/);
    assert.ok(m, `a chat.txt line: ${l}`);
    return [Number(m[1]), Number(m[2]), JSON.parse(m[3])];
  });
  assert.deepEqual(got, relayed, 'every line sent before the fault, at the tick the game took it');
  assert.match(chat.data, new RegExp(`state after tick ${T - 1}`), 'the header names the held tick');
  await srv.stop();
  srv = null;
});

// The encoder process's pid: the supervisor's `__child encoder` (procfs).
function encoderPid() {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === srv.proc.pid && argv[1] === '__child' && argv[2] === 'encoder') return Number(pid);
    } catch { /* gone */ }
  }
  return null;
}

test('an encoder process killed: its players\' paddles stop (leave disconnected from its successor)',
  { timeout: 240000 }, async () => {
    srv = await startServer(['--delay', '20t', '--hang-timeout', '5000', '--players', '2', '--captures', captures],
      { token: TOKEN });
    await until(async () => (await api('/status')).data.shadows[0].state === 'running', 60000, 'the shadow running');
    const p0 = join({ type: 'join', player: 0 });
    await until(() => p0.hello, 20000, 'player 0 joined');
    // a slow move up: about 5 s to the wall, far longer than the restart takes
    p0.ws.send(JSON.stringify({ type: 'input', seq: 1, move: [0, -40] }));
    await until(() => p0.acks.length >= 1, 10000, 'the move acked');
    await until(async () => (await srv.state()).players[0].vy < 0, 10000, 'player 0 moving');
    const old = encoderPid();
    assert.ok(old, 'the encoder process');
    process.kill(old, 'SIGKILL');
    await until(() => { const p = encoderPid(); return p && p !== old; }, 30000, 'a new encoder process');
    await until(() => /player 0's client left with the previous encoder process/.test(srv.stderr), 30000,
      'the successor releases player 0');
    // the leave is in a tick record after the move
    const from = p0.acks[0].tick;
    const leave = await until(async () => {
      try {
        const st = await api('/status');
        const to = st.data.primary.next_tick;
        const r = await api(`/ticks?from=${from}&count=${Math.min(1024, to - from)}`);
        if (r.status !== 200) return null;
        for (const rec of r.data.records) {
          const i = rec.inputs && rec.inputs.find((x) => x.action === 'leave' && x.player === 0);
          if (i) return { tick: rec.tick, input: i };
        }
      } catch { /* the new encoder process is not listening yet */ }
      return null;
    }, 20000, 'a leave of player 0 in the tick records');
    assert.equal(leave.input.a, 1, 'disconnected');
    const s1 = await srv.waitTicks(leave.tick + 2);
    assert.deepEqual([s1.players[0].vx, s1.players[0].vy], [0, 0], `stopped: ${JSON.stringify(s1.players[0])}`);
    assert.ok(s1.players[0].y > (16 + 28) * 256, 'stopped by the notice, not by the wall');
    await sleep(300);
    assert.equal((await srv.state()).players[0].y, s1.players[0].y, 'and stays');
    await until(async () => (await api('/status')).data.shadows[0].next_tick > leave.tick + 2, 20000,
      'the shadow past the leave');
    assert.equal((await api('/status')).data.shadows[0].divergences, 0, 'the shadow ran the same leave');
  });
