// The REAL server's game `event` and `haptic` messages and /api/v1/state
// against an independent oracle. The server plays tests/gpu/data/goal.txt
// (--inputs, shifted OFFSET ticks later so that the clients have joined by
// then); the same inputs, at the ticks the server says it applied them, go
// through `shadowcast sim --trace`, which names the tick of the goal and the
// ticks the puck was touched and bounced off a wall. The spectator must get
// exactly {"kind":"goal","tick":G,"team":0,"score":[1,0]} and then
// {"kind":"kickoff","tick":G+60} (docs/protocol.md §4), a `hit` (or `block`)
// by player 0 at each tick the simulator's touch count rises and a
// `wall_bounce` at each tick its bounce count rises, each before any video
// frame of a later tick. The client playing player 0 (the scripted player)
// gets a `haptic` for each of its hits and a goal pulse; the client playing
// player 1 (the other team) and the spectator get none. Then the primary is
// stopped (SIGSTOP): once the last frame has arrived, GET /api/v1/state must
// report that frame's tick (§8).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { root, sleep } from './lib/harness.mjs';
import { SMALL, startServer, shadowcastPath } from './lib/server.mjs';

const OFFSET = 150;       // ticks: 5 s at 30 fps before the scripted play starts
const KICKOFF_TICKS = 60; // docs/inputs.md: 60 ticks before the puck is released

const dir = mkdtempSync(path.join(tmpdir(), 'sc-events-'));
let srv;
let ws;
let stopped = null;
after(async () => {
  if (stopped) process.kill(stopped, 'SIGCONT');
  if (ws) ws.terminate();
  if (srv) await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

// a script's events as [tick, rest of the line], OFFSET ticks later
function script(file = 'tests/gpu/data/goal.txt') {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  return lines.map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => { const [t, ...rest] = l.split(/\s+/); return [Number(t) + OFFSET, rest.join(' ')]; });
}

const write = (file, events) => {
  const p = path.join(dir, file);
  writeFileSync(p, events.map(([t, rest]) => `${t} ${rest}\n`).join(''));
  return p;
};

// The simulator's goal tick, and the ticks of touches and wall bounces, for
// the inputs as the server applied them.
function simulate(events, ticks) {
  const trace = path.join(dir, 'sim.trace');
  const size = SMALL[SMALL.indexOf('--size') + 1], particles = SMALL[SMALL.indexOf('--particles') + 1];
  const r = spawnSync(shadowcastPath(), ['sim', '--ticks', String(ticks), '--players', '2', '--size', size,
    '--particles', particles, '--inputs', write('applied.txt', events), '--trace', trace,
    '--hang-timeout', '20000'], // no false hang in a sanitizer build on a busy machine
  { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `sim failed: ${r.stderr}`);
  const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const line = lines.find((l) => / score (\d+) (\d+) /.test(l) && !/ score 0 0 /.test(l));
  let tick = null;
  if (line) {
    const [, t, s0, s1] = line.match(/^(\d+) score (\d+) (\d+) /).map(Number);
    assert.deepEqual([s0, s1], [1, 0], 'the simulator: the left team scores first');
    tick = t;
  }
  const touches = [], bounces = [];
  let prev = null;
  for (const l of lines) {
    const [, t, b, h] = l.match(/^(\d+) .* bounces (\d+) touches (\d+)$/).map(Number);
    if (prev && h > prev.h) touches.push(t);
    if (prev && b > prev.b) bounces.push(t);
    prev = { b, h };
  }
  return { goal: tick, touches, bounces };
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-3000)}`);
}

const players = [];
function join(msg) {
  const c = { frames: [], events: [], haptics: [], notices: [], hello: null };
  const sock = new WebSocket(srv.wsUrl, 'shadowcast.v1');
  sock.on('open', () => sock.send(JSON.stringify(msg)));
  sock.on('message', (data, isBinary) => {
    if (isBinary) {
      c.frames.push({ tick: data.readUInt32LE(12), at: Date.now() });
      return;
    }
    const m = JSON.parse(data.toString());
    if (m.type === 'hello') c.hello = m;
    // where the event arrived among the frames
    else if (m.type === 'event') c.events.push({ event: m.event, afterFrames: c.frames.length });
    else if (m.type === 'haptic') c.haptics.push(m);
    else if (m.type === 'notice') c.notices.push(m.notice);
  });
  if (msg.player !== undefined) players.push(sock);
  return { c, ws: sock };
}
after(() => { for (const p of players) p.terminate(); });

test('goal, kickoff, hit and wall events at the simulator\'s ticks; haptics for the right player only; /api/v1/state shares the last frame\'s tick', { timeout: 240000 }, async () => {
  const events = script();
  srv = await startServer(['--inputs', write('goal.txt', events), '--no-shadow', '--hang-timeout', '10000']);

  // the players join first (they send no inputs: the script plays player 0)
  const p0 = join({ type: 'join', player: 0 });
  const p1 = join({ type: 'join', player: 1 });
  await until(() => p0.c.hello && p1.c.hello, 15000, 'hello for both players');
  const { c, ws: spectator } = join({ type: 'join', spectate: true });
  ws = spectator;
  await until(() => c.hello, 15000, 'hello');
  const joinedAt = c.frames.length ? c.frames[c.frames.length - 1].tick : 0;
  assert.ok(joinedAt < OFFSET, `joined at tick ${joinedAt}, before the scripted play at ${OFFSET}`);

  // the kickoff after the goal ends the play
  await until(() => c.events.some((e) => e.event.kind === 'kickoff' && e.event.tick > OFFSET), 120000,
    'goal and kickoff events');

  // the ticks the server applied the scripted events at (it says when it was late)
  const late = new Map([...srv.stderr.matchAll(/scripted event for tick (\d+) applied at tick (\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])]));
  const sim = simulate(events.map(([t, rest]) => [late.get(t) ?? t, rest]), OFFSET + 200);
  assert.ok(sim.goal !== null, 'the simulator scores a goal with these inputs');
  const G = sim.goal, K = G + KICKOFF_TICKS;

  console.log(`simulator: goal at tick ${G}, touches at ${sim.touches}, wall bounces at ${sim.bounces}; ` +
    `events received: ${JSON.stringify(c.events.map((e) => e.event))}`);
  const inPlay = (t) => t >= OFFSET && t <= K;
  const played = c.events.filter((e) => ['goal', 'kickoff'].includes(e.event.kind) &&
    (e.event.tick === null || e.event.tick >= OFFSET));
  // every message of a tick up to the kickoff's came before it (one ring, in tick order)
  const hits = c.events.filter((e) => ['hit', 'block'].includes(e.event.kind) && inPlay(e.event.tick));
  const walls = c.events.filter((e) => e.event.kind === 'wall_bounce' && inPlay(e.event.tick));
  assert.ok(sim.touches.some(inPlay), 'the simulator: the puck is hit during the play');
  assert.deepEqual(hits.map((e) => e.event.tick), sim.touches.filter(inPlay), 'a hit event at each touch tick');
  for (const e of hits) {
    assert.equal(e.event.player, 0, 'the scripted player hits the puck');
    assert.ok(Number.isInteger(e.event.speed) && e.event.speed >= 0, `speed ${e.event.speed}`);
  }
  assert.deepEqual(walls.map((e) => e.event.tick), sim.bounces.filter(inPlay), 'a wall_bounce at each bounce tick');
  assert.deepEqual(played.map((e) => e.event), [
    { kind: 'goal', tick: G, team: 0, score: [1, 0] },
    { kind: 'kickoff', tick: G + KICKOFF_TICKS },
  ], 'exactly the goal and the kickoff after it, at the simulator\'s ticks');
  // before the play only the match's own kickoff can have been seen (if joined by then)
  for (const e of c.events.filter((x) => ['goal', 'kickoff'].includes(x.event.kind) && !played.includes(x)))
    assert.deepEqual(e.event, { kind: 'kickoff', tick: KICKOFF_TICKS - 1 }, 'the match start\'s kickoff');
  // each event before any frame of a later tick: sent with the video of its tick
  for (const e of [...played, ...hits, ...walls]) {
    const before = c.frames.slice(0, e.afterFrames);
    assert.ok(before.every((f) => f.tick < e.event.tick),
      `${e.event.kind} at tick ${e.event.tick} arrived after a frame of tick ${Math.max(...before.map((f) => f.tick))}`);
  }

  // haptics: player 0's client gets one per hit (at the hit's tick) and the goal
  // pulse; the other team's player and the spectator get none
  await until(() => p0.c.haptics.some((h) => h.reason === 'goal'), 10000, 'the goal haptic for player 0');
  const h0 = p0.c.haptics.filter((h) => inPlay(h.tick));
  console.log(`haptics for player 0: ${JSON.stringify(h0)}`);
  assert.deepEqual(h0.filter((h) => h.reason !== 'goal').map((h) => [h.tick, h.reason]),
    hits.map((e) => [e.event.tick, e.event.kind]), 'a haptic for each of player 0\'s hits');
  assert.deepEqual(h0.filter((h) => h.reason === 'goal').map((h) => h.tick), [G], 'one goal pulse at the goal\'s tick');
  for (const h of p0.c.haptics) {
    assert.equal(h.player, 0);
    assert.ok(h.duration_ms > 0 && h.strong >= 0 && h.strong <= 1 && h.weak >= 0 && h.weak <= 1, JSON.stringify(h));
  }
  assert.deepEqual(p1.c.haptics, [], 'player 1 (the other team, no hits) gets no haptic');
  assert.deepEqual(c.haptics, [], 'the spectator gets no haptic');

  // notices: the spectator saw both players join; player 1 closes its
  // WebSocket (left), player 0's connection just drops (disconnected)
  // (the game applies a join at a tick, like an input, and tells whoever has
  // joined by then: the spectator too when the game applied it after the
  // spectator joined)
  assert.ok(c.notices.filter((n) => n.kind === 'player_joined').every((n) => Number.isInteger(n.tick) &&
    n.tick < OFFSET), `joins the spectator was told about: before the play (${JSON.stringify(c.notices)})`);
  assert.ok(p0.c.notices.some((n) => n.kind === 'player_joined' && n.player === 1 && Number.isInteger(n.tick)),
    'player 0 saw player 1 join');
  p1.ws.close(1000);
  await until(() => c.notices.some((n) => n.kind === 'player_left'), 10000, 'player_left notice');
  p0.ws.terminate();
  await until(() => c.notices.some((n) => n.kind === 'player_disconnected'), 10000, 'player_disconnected notice');
  const gone = c.notices.filter((n) => n.kind === 'player_left' || n.kind === 'player_disconnected');
  assert.deepEqual(gone.map(({ tick, ...n }) => n),
    [{ kind: 'player_left', player: 1 }, { kind: 'player_disconnected', player: 0 }], 'left, then disconnected');
  assert.ok(gone[0].tick > OFFSET && gone[1].tick >= gone[0].tick, `at the ticks the game applied them: ${JSON.stringify(gone)}`);

  // /api/v1/state shows the state of the last video frame sent
  const status = await (await fetch(`${srv.httpUrl}/api/v1/status`)).json();
  const pid = status.primary.pid;
  assert.ok(pid > 0, 'primary pid');
  process.kill(pid, 'SIGSTOP');
  stopped = pid;
  // the encoder sends what is left; then nothing arrives for a while
  await until(() => c.frames.length && Date.now() - c.frames[c.frames.length - 1].at > 1000, 10000,
    'the stream going quiet with the primary stopped');
  const last = c.frames[c.frames.length - 1].tick;
  const st = await srv.state();
  process.kill(pid, 'SIGCONT');
  stopped = null;
  console.log(`primary stopped: last frame tick ${last}, /api/v1/state tick ${st.tick} next_tick ${st.next_tick}`);
  assert.equal(st.valid, true);
  assert.equal(st.tick, last, `/api/v1/state tick ${st.tick}, the last frame sent shows tick ${last}`);
  assert.deepEqual(st.score, [1, 0], 'the state after the goal');
  assert.ok(st.next_tick > last, `next_tick ${st.next_tick} after the frame's tick ${last}`);

  const metrics = await srv.metrics();
  const metric = (name) => Number(metrics.match(new RegExp(`^${name} (\\d+)$`, 'm'))?.[1]);
  assert.equal(metric('shadowcast_frames_bad_seal_total'), 0, 'every seal matched');
});

// A second play: a shot into the top wall, a block with the shield up, a
// bounce off the bottom wall: `hit`, `wall_bounce`, `block`, `wall_bounce`
// at the simulator's ticks, and haptics `hit` then `block` for player 0 only.
test('hit, wall_bounce and block events at the simulator\'s ticks; hit and block haptics', { timeout: 240000 }, async () => {
  const events = script('tests/e2e/data/bounce_block.txt');
  const SHIELD = OFFSET + 75; // the script raises player 0's shield at its tick 75
  const END = OFFSET + 240;
  await srv.stop();
  srv = await startServer(['--inputs', write('bounce_block.txt', events), '--no-shadow', '--hang-timeout', '10000']);
  const p0 = join({ type: 'join', player: 0 });
  await until(() => p0.c.hello, 15000, 'hello for player 0');
  const { c, ws: spectator } = join({ type: 'join', spectate: true });
  await until(() => c.hello, 15000, 'hello');
  const joinedAt = c.frames.length ? c.frames[c.frames.length - 1].tick : 0;
  assert.ok(joinedAt < OFFSET, `joined at tick ${joinedAt}, before the scripted play at ${OFFSET}`);
  await until(() => c.frames.some((f) => f.tick >= END), 120000, `frames up to tick ${END}`);
  spectator.terminate();

  const late = new Map([...srv.stderr.matchAll(/scripted event for tick (\d+) applied at tick (\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])]));
  assert.equal(late.size, 0, 'every scripted event applied at its tick (the shield tick matters)');
  const sim = simulate(events, END + 1);
  const inPlay = (t) => t >= OFFSET && t <= END;
  const touches = sim.touches.filter(inPlay), bounces = sim.bounces.filter(inPlay);
  console.log(`simulator: touches at ${touches}, wall bounces at ${bounces}; events ${JSON.stringify(c.events.map((e) => e.event))}`);
  assert.ok(touches.some((t) => t < SHIELD) && touches.some((t) => t >= SHIELD) && bounces.length >= 2,
    'the simulator: a hit, a block and two wall bounces in the play');
  const got = c.events.filter((e) => inPlay(e.event.tick) && e.event.kind !== 'kickoff');
  const want = [...touches.map((t) => ({ tick: t, kind: t < SHIELD ? 'hit' : 'block', player: 0 })),
    ...bounces.map((t) => ({ tick: t, kind: 'wall_bounce' }))]
    .sort((x, y) => x.tick - y.tick || (x.kind === 'wall_bounce' ? -1 : 1));
  assert.deepEqual(got.map((e) => { const { speed, ...rest } = e.event; return rest; }), want,
    'exactly the hits, blocks and bounces, in tick order');
  for (const e of got) {
    const before = c.frames.slice(0, e.afterFrames);
    assert.ok(before.every((f) => f.tick < e.event.tick), `${e.event.kind} at ${e.event.tick} after a later frame`);
  }
  const h = p0.c.haptics.filter((x) => inPlay(x.tick)).map((x) => [x.tick, x.reason]);
  assert.deepEqual(h, want.filter((w) => w.kind !== 'wall_bounce').map((w) => [w.tick, w.kind]),
    'player 0: a hit haptic, then a block haptic');
  assert.deepEqual(c.haptics, [], 'the spectator gets no haptic');
});
