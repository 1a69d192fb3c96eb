// A client written from docs/protocol.md alone: only the `ws` package and the
// message formats in that document (no code shared with web/ or tests/e2e/lib
// besides starting the server). It joins as player 0, plays a scripted match
// against the real server — a second connection, the scripted opponent
// (player 1), steps off the centre line; player 0 gets behind the puck, lines
// up with the right-hand goal and shoots — and checks through
// GET /api/v1/state (§7) and the video headers (§5) that the score changes.
// Along the way it measures input→frame latency as §4 `ack` describes it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from './lib/server.mjs';

const UNIT = 256;            // state coordinates: 256 per logical pixel (world 1280x720)
const PLAYER_R = 28, PUCK_R = 14, GOAL_X = 1264, GOAL_Y = 360;
const MATCH_MS = 90000;

let srv;
const sockets = [];
after(async () => {
  for (const ws of sockets) ws.terminate();
  if (srv) await srv.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// §1-§5: connect with the subprotocol, join, parse acks and video headers.
function connect(url, player) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'shadowcast.v1');
    sockets.push(ws);
    const c = { ws, seq: 0, hello: null, acks: new Map(), pendingLatency: [], latencies: [],
      frames: 0, keyframes: 0, lastTick: 0, events: [], errors: [], closed: null };
    const timer = setTimeout(() => reject(new Error(`player ${player}: no hello within 10 s`)), 10000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', player })));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        // §5: 40-byte little-endian header, then the Annex-B AU
        assert.equal(data.readUInt32LE(0), 0x31564353, 'video magic "SCV1"');
        assert.equal(data.readUInt16LE(4), 1, 'video header version');
        const headerBytes = data.readUInt16LE(6);
        const flags = data.readUInt32LE(8);
        const tick = data.readUInt32LE(12);
        if (c.frames === 0) assert.equal(flags & 1, 1, 'the first frame is a keyframe');
        assert.ok(data.length > headerBytes, 'an access unit follows the header');
        const au = data.subarray(headerBytes);
        assert.ok(au[0] === 0 && au[1] === 0 && (au[2] === 1 || (au[2] === 0 && au[3] === 1)), 'Annex-B start code');
        c.frames++;
        c.keyframes += flags & 1;
        c.lastTick = tick;
        // §4 ack: input-to-display = first frame whose tick >= ack.tick, minus send time
        const now = performance.now();
        c.pendingLatency = c.pendingLatency.filter((p) => {
          if (tick >= p.tick) { c.latencies.push(now - p.sentAt); return false; }
          return true;
        });
        return;
      }
      const m = JSON.parse(data.toString());
      if (m.type === 'hello') { c.hello = m; clearTimeout(timer); resolve(c); }
      else if (m.type === 'ack') {
        c.acks.set(m.seq, m);
        if (typeof m.t === 'number') c.pendingLatency.push({ tick: m.tick, sentAt: m.t });
      } else if (m.type === 'event') c.events.push(m.event);
      else if (m.type === 'error') { c.errors.push(m); if (!c.hello) { clearTimeout(timer); reject(new Error(`join: ${m.code}: ${m.message}`)); } }
    });
    ws.on('close', (code, reason) => { c.closed = { code, reason: String(reason) }; });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// §3 input: seq strictly increasing; t echoed in the ack
function input(c, fields) {
  c.ws.send(JSON.stringify({ type: 'input', seq: ++c.seq, t: performance.now(), ...fields }));
  return c.seq;
}

async function state() {
  const r = await fetch(`${srv.httpUrl}/api/v1/state`, { signal: AbortSignal.timeout(3000) });
  assert.equal(r.status, 200);
  return r.json();
}

const clamp = (v) => Math.max(-127, Math.min(127, Math.round(v)));

test('a client from docs/protocol.md plays a scripted match and scores', { timeout: MATCH_MS + 60000 }, async () => {
  srv = await startServer(['--players', '2']);
  await srv.waitTicks(5);
  const me = await connect(srv.wsUrl, 0);
  assert.equal(me.hello.protocol, 'shadowcast.v1');
  assert.equal(me.hello.player, 0);
  assert.equal(me.hello.video_header_bytes, 40);
  const opponent = await connect(srv.wsUrl, 1);
  assert.equal(opponent.hello.player, 1);

  // the scripted opponent steps off the centre line: up to the wall
  input(opponent, { move: [0, -127] });
  const start = await state();
  assert.equal(start.players.length, 2);
  const score0 = start.score[0];
  let shots = 0;
  let lastShotAt = 0;
  let s = start;
  const deadline = Date.now() + MATCH_MS;
  while (Date.now() < deadline) {
    s = await state();
    if (s.score[0] > score0) break;
    const p = s.players[0];
    const px = p.x / UNIT, py = p.y / UNIT, bx = s.puck.x / UNIT, by = s.puck.y / UNIT;
    // the point behind the puck on the line goal -> puck
    let dx = GOAL_X - bx, dy = GOAL_Y - by;
    const dl = Math.hypot(dx, dy) || 1;
    dx /= dl; dy /= dl;
    const behind = PLAYER_R + PUCK_R + 10;
    let tx = bx - dx * behind, ty = by - dy * behind;
    // coming from the goal side would push the puck the wrong way: go around
    const along = (px - bx) * dx + (py - by) * dy;
    if (along > -PLAYER_R) {
      const side = (py - by) * dx - (px - bx) * dy >= 0 ? 1 : -1;
      tx = bx - dx * (behind + 30) - dy * side * 90;
      ty = by - dy * (behind + 30) + dx * side * 90;
    }
    const ex = tx - px, ey = ty - py, dist = Math.hypot(ex, ey);
    const speed = Math.hypot(s.puck.vx, s.puck.vy) / UNIT;
    if (dist < 8 && along <= -PLAYER_R && speed < 1 && Date.now() - lastShotAt > 1000) {
      input(me, { move: [clamp(dx * 60), clamp(dy * 60)], shoot: true });
      shots++;
      lastShotAt = Date.now();
    } else {
      const gain = dist > 40 ? 127 / dist : 2.5;
      input(me, { move: [clamp(ex * gain), clamp(ey * gain)] });
    }
    await sleep(60);
  }
  input(me, { move: [0, 0] });
  console.log(`match: ${shots} shot(s), score ${JSON.stringify(start.score)} -> ${JSON.stringify(s.score)} at tick ${s.tick}`);
  assert.ok(s.score[0] > score0, `player 0 scored within ${MATCH_MS / 1000} s (score ${JSON.stringify(s.score)}, ${shots} shots)`);

  // every input was acknowledged with a tick at or after the one it was sent in
  await sleep(500);
  assert.equal(me.acks.size, me.seq, `acks ${me.acks.size} for ${me.seq} inputs`);
  assert.ok(me.errors.length === 0, `errors: ${JSON.stringify(me.errors)}`);
  assert.ok(me.frames > 100 && opponent.frames > 100, `frames: ${me.frames} / ${opponent.frames}`);
  const lat = [...me.latencies].sort((a, b) => a - b);
  assert.ok(lat.length > 20, `input→frame latency samples: ${lat.length}`);
  const q = (f) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))];
  console.log(`ack→frame (input sent → first frame at the acked tick): n=${lat.length} p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms`);
  assert.ok(q(0.5) < 500, `input→frame p50 ${q(0.5).toFixed(1)} ms`);
});
