// Soak against the REAL server (`shadowcast run`, shadow tracking, --on-fault
// restore): for SC_SOAK_SECONDS (default 120) players join and leave (slot
// "auto", each stays 2..8 s), each sending inputs at the message rate limit
// (docs/protocol.md §3: 120 per second), spectators join and leave, and the
// debug API injects a fault every 20 s (assert, oob, corrupt, crash,
// device-lost in turn: each an incident and a restore). Seeded (SC_SOAK_SEED,
// printed). Afterwards:
//  - every injected fault was one incident, each restored (no new match), no
//    process crashed but the primary an injected `crash` killed, the server
//    stops cleanly (exit 0, no sanitizer report on its stderr);
//  - the checker: the input log equals exactly what the clients were acked.
//    Every event of every ack (log_seq .. log_seq + n_events - 1) is applied
//    in exactly one tick record (GET /api/v1/ticks, the newest record of each
//    tick) with the content sent, at or after ack.tick, or its client got an
//    input_dropped naming it (and the record lists it dropped); every applied
//    event was acked to a client; every dropped event is a client's told one or
//    an injected fault input; no tick missing;
//  - one log line per client join and one per leave, each with its role.
// Tick records are read while the soak runs (the last 600 ticks again each
// second: a restored primary re-runs ticks), so a longer soak needs no bigger
// logs than --log-capacity 65536 gives (about a minute of inputs at this rate).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep, metric } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';
import { Client } from './lib/client.mjs';

const SECONDS = Number(process.env.SC_SOAK_SECONDS || 120);
const SEED = Number(process.env.SC_SOAK_SEED || Math.floor(Math.random() * 2 ** 31));
// messages per second per client: the default limit
const RATE = Number(process.env.SC_SOAK_RATE || 120);
const CATCH_UP = 30; // at most this many at once after a stall of this process
const PLAYERS = 4; // --players
const PLAYER_WORKERS = 3; // players at once (a free slot is left for joins racing leaves)
const SPECTATOR_WORKERS = 2;
const FAULT_EVERY_MS = 20000; // at most 3 per 60 s: below --crash-loop 5
const FAULTS = ['assert', 'oob', 'corrupt', 'crash', 'device-lost'];
const TOKEN = 'soak-test-token-0123456789';
// the encoder's and supervisor's resident memory may grow by less than this;
// 0: not checked (the ASan build: its quarantine holds freed memory, up to 256 MiB)
const RSS_BOUND_MIB = Number(process.env.SC_SOAK_RSS_BOUND_MIB ?? 64);
const REFETCH = 600; // ticks read again each poll (a restore re-runs the last few)

// mulberry32: a small seeded generator
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let srv = null;
let captures = null;
after(async () => {
  if (srv && !srv.exited) { try { await srv.stop(); } catch { /* reported by the test */ } }
  if (captures) rmSync(captures, { recursive: true, force: true });
});

async function api(p, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${srv.httpUrl}/api/v1${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000),
  });
  return { status: r.status, data: await r.json() };
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch { /* the server is busy restoring */ }
    await sleep(100);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-4000)}`);
}

function eventsOf(f) {
  const ev = [];
  if (f.move) ev.push({ action: 'move', a: f.move[0], b: f.move[1] });
  if (f.block !== undefined) ev.push({ action: 'block', a: f.block ? 1 : 0, b: 0 });
  if (f.shoot) ev.push({ action: 'shoot', a: 0, b: 0 });
  return ev;
}

function pattern(r) {
  const x = Math.floor(r() * 255) - 127;
  const y = Math.floor(r() * 255) - 127;
  switch (Math.floor(r() * 5)) {
    case 0: return { move: [x, y] };
    case 1: return { block: r() < 0.5 };
    case 2: return { move: [x, y], block: false };
    case 3: return { move: [x, y], block: true, shoot: true };
    default: return { shoot: true };
  }
}

const stats = { players: 0, spectators: 0, refusedJoins: 0, sent: 0, errors: {}, frames: 0, maxLagMs: 0, skipped: 0 };
const sessions = []; // every player session: { client, sent: Map seq -> fields, player, closedAt }

// One player session: join "auto", send at RATE for 2..8 s, wait for every
// answer, leave. Paced by elapsed time; after a stall of this event loop it
// sends at most CATCH_UP at once and lets the rest go, so it never bursts
// beyond the average rate: only a stall of the server could trip the limit.
async function playerSession(r, endAt) {
  const c = new Client(srv.wsUrl, { name: `player-${stats.players}` });
  await c.open();
  const hello = await c.join('auto');
  if (hello.type !== 'hello') {
    assert.equal(hello.code, 'no_free_slot', `join refused: ${JSON.stringify(hello)}`);
    stats.refusedJoins++;
    c.ws.close(1000);
    await c.waitClose();
    return;
  }
  stats.players++;
  const s = { client: c, sent: new Map(), player: hello.player };
  sessions.push(s);
  const stay = Math.min(2000 + r() * 6000, endAt - Date.now());
  const t0 = performance.now();
  let n = 0;
  let last = t0;
  while (performance.now() - t0 < stay && !c.close) {
    const now = performance.now();
    stats.maxLagMs = Math.max(stats.maxLagMs, now - last);
    last = now;
    const due = Math.floor(((now - t0) / 1000) * RATE);
    if (due - n > CATCH_UP) { stats.skipped += due - n - CATCH_UP; n = due - CATCH_UP; }
    for (; n < due && !c.close; n++) {
      const f = pattern(r);
      s.sent.set(c.input(f), f);
      stats.sent++;
    }
    await sleep(10);
  }
  assert.equal(c.close, null, `${c.name} closed by the server: ${JSON.stringify(c.close)} ` +
    `(this process's longest pause between sends: ${stats.maxLagMs.toFixed(0)} ms)`);
  // every message answered: an ack or an error (which names its seq)
  await until(() => {
    const answered = c.acks.length + c.errors.length; // after hello, errors answer inputs
    return answered >= s.sent.size;
  }, 20000, `${c.name}: an answer for each of ${s.sent.size} inputs`);
  for (const e of c.errors) stats.errors[e.code] = (stats.errors[e.code] || 0) + 1;
  stats.frames += c.frames;
  c.ws.close(1000);
  await c.waitClose();
  s.closedAt = Date.now();
}

async function spectatorSession(r, endAt) {
  const c = new Client(srv.wsUrl, { name: `spectator-${stats.spectators}` });
  await c.open();
  const hello = await c.join('spectate');
  assert.equal(hello.type, 'hello', `spectator join: ${JSON.stringify(hello)}`);
  stats.spectators++;
  await sleep(Math.min(1000 + r() * 5000, Math.max(0, endAt - Date.now())));
  assert.equal(c.close, null, `${c.name} closed by the server: ${JSON.stringify(c.close)}`);
  stats.frames += c.frames;
  c.ws.close(1000);
  await c.waitClose();
}

async function worker(kind, r, endAt) {
  while (Date.now() < endAt - 500) {
    await (kind === 'player' ? playerSession(r, endAt) : spectatorSession(r, endAt));
    await sleep(r() * 500);
  }
}

// {role: {pid, rssKiB}} of the supervisor's __child processes, and the supervisor's
function processes() {
  const out = { supervisor: { pid: srv.proc.pid, rssKiB: rssKiB(srv.proc.pid) } };
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (ppid === srv.proc.pid && argv[1] === '__child' && argv[2] !== 'shadow') out[argv[2]] = { pid: Number(p), rssKiB: rssKiB(p) };
    } catch { /* gone */ }
  }
  return out;
}
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// Tick records by tick (the newest of each), read as the soak runs.
const records = new Map();
let polled = -1;
async function pollTicks() {
  const st = (await api('/status')).data;
  const newest = st.primary.next_tick - 1;
  if (newest < 0) return;
  const from = Math.max(0, polled - REFETCH);
  for (let t = from; t <= newest; t += 1024) {
    const r = await api(`/ticks?from=${t}&count=${Math.min(1024, newest - t + 1)}`);
    if (r.status === 404) break; // not published yet (a restore in progress)
    assert.equal(r.status, 200, `GET /ticks?from=${t}: ${JSON.stringify(r.data)}`);
    for (const rec of r.data.records) {
      assert.notEqual(rec.inputs, null, `tick ${rec.tick}: ${rec.inputs_error} (read too late)`);
      records.set(rec.tick, rec);
    }
  }
  polled = Math.max(polled, newest);
}

test(`soak: ${SECONDS} s of players joining and leaving at the input rate limit, faults injected`, { timeout: (SECONDS + 240) * 1000 }, async () => {
  console.log(`soak seed ${SEED} (SC_SOAK_SEED=${SEED} reruns it), ${SECONDS} s`);
  const r = rng(SEED);
  captures = mkdtempSync(path.join(tmpdir(), 'sc-soak-'));
  srv = await startServer(['--on-fault', 'restore', '--delay', '30t', '--hang-timeout', '5000', '--players',
    String(PLAYERS), '--log-capacity', '65536', '--captures', captures], { token: TOKEN });
  await srv.waitTicks(5);
  await until(async () => (await api('/status')).data.shadows.some((b) => b.state === 'running' && b.lag_ticks >= 25),
    60000, 'the shadow following');
  const m0 = await srv.metrics();
  const procs0 = processes();

  const endAt = Date.now() + SECONDS * 1000;
  const workers = [];
  for (let i = 0; i < PLAYER_WORKERS; i++) workers.push(worker('player', rng(SEED + 1 + i), endAt));
  for (let i = 0; i < SPECTATOR_WORKERS; i++) workers.push(worker('spectator', rng(SEED + 100 + i), endAt));
  const failed = Promise.all(workers).then(() => null, (e) => e);

  const injected = []; // { kind, tick, seq }
  let nextFault = Date.now() + 10000;
  while (Date.now() < endAt) {
    const e = await Promise.race([failed, sleep(1000).then(() => undefined)]);
    if (e) throw e;
    if (Date.now() >= nextFault && Date.now() < endAt - 10000) {
      const kind = FAULTS[injected.length % FAULTS.length];
      const st0 = (await api('/status')).data;
      const inj = await api('/inject', { method: 'POST', body: { kind } });
      assert.equal(inj.status, 200, `inject ${kind}: ${JSON.stringify(inj.data)}`);
      injected.push({ kind, tick: inj.data.tick, seq: inj.data.seq, pid: st0.primary.pid, at: Date.now() });
      nextFault += FAULT_EVERY_MS;
    }
    // after an incident: tick records again once the restored primary runs
    const last = injected[injected.length - 1];
    if (last && !last.restoredIn) {
      const st = (await api('/status')).data;
      if (st.primary.pid !== last.pid && st.primary.next_tick > last.tick + 5) last.restoredIn = Date.now() - last.at;
    }
    await pollTicks();
  }
  const e = await failed;
  if (e) throw e;
  for (const f of injected) {
    if (!f.restoredIn) {
      await until(async () => {
        const st = (await api('/status')).data;
        return st.primary.pid !== f.pid && st.primary.next_tick > f.tick + 5;
      }, 60000, `the restore after the ${f.kind} at tick ${f.tick}`);
      f.restoredIn = Date.now() - f.at;
    }
  }

  // the checker
  let maxTick = 0;
  for (const s of sessions) for (const a of s.client.acks) if (a.n_events > 0) maxTick = Math.max(maxTick, a.tick);
  await until(async () => (await api('/status')).data.primary.next_tick > maxTick + 20, 30000,
    `the primary past tick ${maxTick + 20}`);
  await pollTicks();
  const ticks = [...records.keys()].sort((x, y) => x - y);
  const missing = [];
  for (let t = ticks[0]; t <= maxTick + 20; t++) if (!records.has(t)) missing.push(t);
  assert.deepEqual(missing.slice(0, 20), [], `a tick record for every tick (${missing.length} missing)`);
  const applied = new Map(); // log seq -> { tick, input }
  const dropped = new Map();
  for (const rec of records.values()) {
    assert.equal(rec.inputs.length + rec.dropped.length, rec.seq_end - rec.seq_begin, `tick ${rec.tick}: its range`);
    for (const i of rec.inputs) {
      assert.equal(applied.has(i.seq), false, `log seq ${i.seq} applied twice (ticks ${applied.get(i.seq)?.tick}, ${rec.tick})`);
      applied.set(i.seq, { tick: rec.tick, input: i });
    }
    for (const i of rec.dropped) dropped.set(i.seq, { tick: rec.tick, input: i });
  }
  const firstSeq = Math.min(...[...records.values()].map((x) => x.seq_begin));
  const acked = new Set();
  let nAcks = 0;
  let nTold = 0;
  for (const s of sessions) {
    const told = new Map(s.client.messages.filter((x) => x.type === 'input_dropped').map((d) => [d.log_seq, d]));
    for (const a of s.client.acks) {
      if (a.n_events === 0) continue;
      nAcks++;
      const f = s.sent.get(a.seq);
      assert.ok(f, `${s.client.name}: ack for a message sent (seq ${a.seq})`);
      const evs = eventsOf(f);
      assert.equal(a.n_events, evs.length, `${s.client.name} seq ${a.seq}: n_events`);
      evs.forEach((ev, k) => {
        const ls = a.log_seq + k;
        assert.ok(ls >= firstSeq, `log seq ${ls} is older than the first tick record read`);
        acked.add(ls);
        const d = told.get(ls);
        if (d) {
          assert.equal(applied.has(ls), false, `log seq ${ls}: applied, yet input_dropped names it`);
          const rd = dropped.get(ls);
          assert.ok(rd, `log seq ${ls}: input_dropped, but no tick record lists it dropped`);
          assert.deepEqual([d.seq, d.action, d.tick, d.reason], [a.seq, ev.action, rd.tick, rd.input.reason]);
          nTold++;
          return;
        }
        const got = applied.get(ls);
        assert.ok(got, `${s.client.name}: log seq ${ls} (event ${k} of seq ${a.seq}, ack tick ${a.tick}) is in no ` +
          `tick record and no input_dropped names it${dropped.has(ls) ? ' (dropped untold)' : ''}`);
        assert.deepEqual([got.input.player, got.input.action, got.input.a, got.input.b], [s.player, ev.action, ev.a, ev.b],
          `log seq ${ls}: applied as sent`);
        assert.ok(got.tick >= a.tick, `log seq ${ls} applied at tick ${got.tick}, before its ack tick ${a.tick}`);
      });
    }
  }
  const faultSeqs = new Set(injected.map((f) => f.seq));
  // the system notices (joins, leaves, the spectator count: docs/inputs.md)
  // are input-log records of the encoder process's own, acked to nobody
  const NOTICES = new Set(['join', 'leave', 'spectators']);
  for (const [ls, a] of applied) {
    if (!NOTICES.has(a.input.action)) assert.ok(acked.has(ls), `log seq ${ls} applied but acked to no client`);
  }
  for (const [ls, d] of dropped) {
    assert.ok(acked.has(ls) || faultSeqs.has(ls), `log seq ${ls} dropped (${d.input.reason}): neither acked nor injected`);
  }
  for (const f of injected) {
    const d = dropped.get(f.seq);
    assert.ok(d && d.input.action === 'fault', `the injected ${f.kind} (log seq ${f.seq}) dropped: ${JSON.stringify(d)}`);
  }

  // processes and incidents. Memory: LeakSanitizer cannot run here (the ASan
  // stage turns it off for Vulkan processes), so the encoder's and the
  // supervisor's resident memory (no Vulkan in either) is compared instead:
  // after the warm-up, minutes of clients and faults must not grow it much
  const procs1 = processes();
  const growth = {};
  for (const role of ['supervisor', 'encoder']) {
    assert.equal(procs1[role].pid, procs0[role].pid, `the ${role} ran throughout`);
    growth[role] = `${(procs0[role].rssKiB / 1024).toFixed(1)} -> ${(procs1[role].rssKiB / 1024).toFixed(1)} MiB`;
    if (RSS_BOUND_MIB > 0) {
      assert.ok(procs1[role].rssKiB - procs0[role].rssKiB < RSS_BOUND_MIB * 1024,
        `the ${role}'s memory grew by ${RSS_BOUND_MIB} MiB or more: ${growth[role]}`);
    }
  }
  const m1 = await srv.metrics();
  const d = (n) => metric(m1, n) - metric(m0, n);
  const log = srv.stderr;
  assert.equal(d('shadowcast_incidents_total'), injected.length, 'one incident per injected fault');
  assert.doesNotMatch(log, /starting a new match instead|restarting the primary|crash loop:/, 'every incident restored');
  // the supervisor SIGKILLs a faulted primary itself ("its state is no longer
  // trusted"), an injected crash ends it: one primary exit per incident, no other
  const exits = log.split('\n').filter((l) => / exited \((signal|status) \d+\)/.test(l));
  const primaryExits = exits.filter((l) => /primary exited .*; shadow tracking handles it/.test(l));
  const other = exits.filter((l) => !primaryExits.includes(l) && !/shadow exited \(status 0\)/.test(l));
  assert.ok(primaryExits.length <= injected.length && other.length === 0,
    `no process crashed but the injected faults' primaries (${injected.length}): ${exits.join('; ')}`);
  // one log line per client join and leave, with its role (net/ws/ws_stream.c);
  // one encoder ran throughout, so the client ids are unique
  const total = stats.players + stats.spectators + stats.refusedJoins;
  await until(() => (srv.stderr.match(/ws: client \d+ \([^)]*\) left after/g) || []).length >= total, 10000,
    `a leave line for each of the ${total} clients`);
  const byId = new Map();
  const entry = (id) => { if (!byId.has(id)) byId.set(id, { connected: 0, joins: [], leaves: [] }); return byId.get(id); };
  for (const l of srv.stderr.split('\n')) {
    let m = /ws: client (\d+) connected from /.exec(l);
    if (m) entry(m[1]).connected++;
    m = /ws: client (\d+) \([^)]*\) joined as (player|spectator) (-?\d+)/.exec(l);
    if (m) entry(m[1]).joins.push(m[2]);
    m = /ws: client (\d+) \(.*, (player|spectator|never joined)\) left after/.exec(l);
    if (m) entry(m[1]).leaves.push(m[2]);
  }
  const roles = { player: 0, spectator: 0, 'never joined': 0 };
  for (const [id, e] of byId) {
    assert.ok(e.connected === 1 && e.joins.length <= 1 && e.leaves.length === 1,
      `client ${id}: one connect, at most one join, one leave line: ${JSON.stringify(e)}`);
    assert.equal(e.leaves[0], e.joins[0] ?? 'never joined', `client ${id}: the leave line says the role it joined as`);
    roles[e.leaves[0]]++;
  }
  assert.deepEqual(roles, { player: stats.players, spectator: stats.spectators, 'never joined': stats.refusedJoins },
    'join and leave lines match the sessions');
  const unexpected = Object.keys(stats.errors).filter((k) => k !== 'input_rejected');
  assert.deepEqual(unexpected, [], `input errors other than input_rejected: ${JSON.stringify(stats.errors)}`);
  assert.ok(stats.players >= 3 * PLAYER_WORKERS && stats.frames > 0, `clients came and went: ${JSON.stringify(stats)}`);
  const exited = await srv.stop(); // exit 0, no sanitizer report from any process
  srv = null;
  console.log(`soak ${SECONDS} s, seed ${SEED}: ${stats.players} player and ${stats.spectators} spectator sessions ` +
    `(${stats.refusedJoins} joins refused: no free slot), ${stats.sent} inputs sent, ${nAcks} acked with events, ` +
    `${applied.size} events applied once, ${nTold} dropped and told, ${records.size} tick records checked, ` +
    `${stats.frames} video frames received, ${RATE} inputs/s per player (longest pause of the sender ` +
    `${stats.maxLagMs.toFixed(0)} ms, ${stats.skipped} sends skipped after pauses); faults ${injected.map((f) => `${f.kind}@${f.tick} (restored in ` +
    `${(f.restoredIn / 1000).toFixed(1)} s)`).join(', ')}; input errors ${JSON.stringify(stats.errors)}; ` +
    `resident memory ${JSON.stringify(growth)}${RSS_BOUND_MIB > 0 ? '' : ' (not checked)'}; exit ${JSON.stringify(exited)}; the test's own RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
});
