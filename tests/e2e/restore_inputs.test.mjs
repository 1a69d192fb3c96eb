// Acked inputs across a fault and a restore, end to end against the REAL
// server (`shadowcast run --on-fault restore`): a WebSocket player sends
// inputs every 15 ms (moves, blocks, shots; bounded count and time) before,
// during and after the incident. A checker then reads the primary's tick
// records (GET /api/v1/ticks) and asserts, exactly:
//  - every event of every acked message (ack.log_seq .. + n_events - 1) is
//    applied in exactly one tick record, with the message's content, at or
//    after its ack.tick, unless the client got `input_dropped` for it;
//  - no `input_dropped` names an event a tick record applied; each one is in
//    its tick record's `dropped` list with the same tick and reason;
//  - the records' dropped events are exactly the client's input_dropped ones
//    plus the debug API's injected ones, and shadowcast_inputs_dropped_total
//    (and its told / untold split) moved by exactly those counts;
//  - no tick in the range is missing.
// Two incidents (a third case, below, restarts instead of restoring):
//  1. an injected `assert` (POST /api/v1/inject): only the FAULT input is
//     dropped (it has no client), every client input is applied once;
//  2. the primary SIGSTOPped between two ticks while the player sends, then
//     SIGKILLed (a death with no injected fault): every input of the dying
//     tick is dropped, and the client is told about each one, including every
//     input it sent while the primary was stopped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep, metric } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';
import { Client } from './lib/client.mjs';

const TOKEN = 'restore-inputs-e2e-token';
const dirs = [];
const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(name, onFault = 'restore') {
  const captures = mkdtempSync(path.join(tmpdir(), `sc-${name}-`));
  dirs.push(captures);
  const srv = await startServer(['--on-fault', onFault, '--delay', '45t', '--hang-timeout', '5000',
    '--captures', captures], { token: TOKEN });
  servers.push(srv);
  await srv.waitTicks(5);
  return srv;
}

async function api(srv, p, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${srv.httpUrl}/api/v1${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000),
  });
  return { status: r.status, data: await r.json() };
}

async function until(srv, fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-4000)}`);
}

const DROP_METRICS = ['shadowcast_inputs_dropped_total', 'shadowcast_inputs_dropped_told_total',
  'shadowcast_inputs_dropped_untold_total'];

async function dropMetrics(srv) {
  const m = await srv.metrics();
  return Object.fromEntries(DROP_METRICS.map((n) => [n, metric(m, n)]));
}

// The events a message becomes, in the server's order (docs/protocol.md, input).
function eventsOf(f) {
  const ev = [];
  if (f.move) ev.push({ action: 'move', a: f.move[0], b: f.move[1] });
  if (f.block !== undefined) ev.push({ action: 'block', a: f.block ? 1 : 0, b: 0 });
  if (f.shoot) ev.push({ action: 'shoot', a: 0, b: 0 });
  return ev;
}

function pattern(i) {
  switch (i % 4) {
    case 0: return { move: [(i % 7) - 3, (i % 5) - 2] };
    case 1: return { block: true };
    case 2: return { move: [1, -1], block: false };
    default: return { move: [2, (i % 3) - 1], block: true, shoot: true };
  }
}

// Sends a message every 15 ms until stopped (at most `max` messages).
function startSender(client, max = 1200) {
  const sent = new Map(); // seq -> { fields, events, index }
  const order = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped && i < max; i++) {
      const f = pattern(i);
      const seq = client.input(f);
      sent.set(seq, { fields: f, events: eventsOf(f), index: i });
      order.push(seq);
      await sleep(15);
    }
  })();
  return {
    sent, order,
    get count() { return order.length; },
    async stop() { stopped = true; await done; },
  };
}

// Every message answered: an ack, or an error naming its seq.
async function waitAnswered(srv, client, sender) {
  await until(srv, async () => {
    const acked = new Set(client.acks.map((a) => a.seq));
    const refused = client.errors.map((e) => Number((e.message.match(/input seq (\d+)/) || [])[1]));
    for (const r of refused) acked.add(r);
    return sender.order.every((s) => acked.has(s));
  }, 15000, 'an ack or an error for every message sent');
}

async function restored(srv, oldPid, errorTick) {
  return until(srv, async () => {
    const s = (await api(srv, '/status')).data;
    return s.primary.pid !== oldPid && s.primary.next_tick > errorTick + 15 ? s : null;
  }, 60000, `a restored primary past tick ${errorTick + 15}`);
}

async function fetchTicks(srv, from, through) {
  const records = [];
  const missing = [];
  for (let t = from; t <= through; t += 1024) {
    const count = Math.min(1024, through - t + 1);
    const r = await api(srv, `/ticks?from=${t}&count=${count}`);
    assert.equal(r.status, 200, JSON.stringify(r.data));
    records.push(...r.data.records);
    missing.push(...r.data.missing.filter((x) => x <= through));
  }
  return { records, missing };
}

// The checker: acks, input_dropped messages, tick records and metrics agree.
async function check(srv, client, sender, before, { apiDrops }) {
  const player = client.hello.player;
  const acks = client.acks.filter((a) => a.n_events > 0);
  assert.ok(acks.length > 100, `enough acked messages (${acks.length})`);
  const minTick = Math.min(...acks.map((a) => a.tick));
  const maxTick = Math.max(...acks.map((a) => a.tick));
  // every acked input is applied within a few ticks of its stamp (64 a tick)
  await until(srv, async () => (await api(srv, '/status')).data.primary.next_tick > maxTick + 20, 30000,
    `the primary past tick ${maxTick + 20}`);
  const m = await dropMetrics(srv);
  const delta = Object.fromEntries(DROP_METRICS.map((n) => [n, m[n] - before[n]]));
  // the encoder hands each drop to its client: all of them have arrived
  await until(srv, async () => client.messages.filter((x) => x.type === 'input_dropped').length ===
    delta.shadowcast_inputs_dropped_told_total, 10000, 'every input_dropped the server counted');
  const droppedMsgs = client.messages.filter((x) => x.type === 'input_dropped');

  const { records, missing } = await fetchTicks(srv, minTick, maxTick + 20);
  assert.deepEqual(missing, [], 'a record for every tick');
  const applied = new Map(); // log seq -> { tick, input }
  const dropped = new Map(); // log seq -> { tick, input }
  for (const r of records) {
    assert.notEqual(r.inputs, null, `tick ${r.tick}: ${r.inputs_error}`);
    assert.equal(r.inputs.length, r.n_inputs, `tick ${r.tick}: n_inputs`);
    assert.equal(r.inputs.length + r.dropped.length, r.seq_end - r.seq_begin, `tick ${r.tick}: its range`);
    for (const i of r.inputs) {
      assert.equal(applied.has(i.seq), false, `log seq ${i.seq} applied twice (ticks ${applied.get(i.seq)?.tick}, ${r.tick})`);
      applied.set(i.seq, { tick: r.tick, input: i });
    }
    for (const i of r.dropped) dropped.set(i.seq, { tick: r.tick, input: i });
  }
  for (const s of dropped.keys()) assert.equal(applied.has(s), false, `log seq ${s} both applied and dropped`);

  const toldBySeq = new Map(droppedMsgs.map((d) => [d.log_seq, d]));
  assert.equal(toldBySeq.size, droppedMsgs.length, 'one input_dropped per dropped event');
  const mine = new Set();
  for (const a of acks) {
    const msg = sender.sent.get(a.seq);
    assert.ok(msg, `ack for a message sent (seq ${a.seq})`);
    assert.equal(a.n_events, msg.events.length, `seq ${a.seq}: n_events`);
    msg.events.forEach((ev, k) => {
      const ls = a.log_seq + k;
      mine.add(ls);
      const told = toldBySeq.get(ls);
      if (told) {
        assert.equal(applied.has(ls), false, `log seq ${ls} (seq ${a.seq}) was applied, yet input_dropped names it`);
        const d = dropped.get(ls);
        assert.ok(d, `log seq ${ls}: input_dropped, but no tick record lists it as dropped`);
        assert.deepEqual([told.seq, told.action, told.tick, told.reason],
          [a.seq, ev.action, d.tick, d.input.reason], `input_dropped for log seq ${ls}`);
        return;
      }
      const got = applied.get(ls);
      assert.ok(got, `log seq ${ls} (event ${k} of seq ${a.seq}, ack tick ${a.tick}) is in no tick record and no ` +
        `input_dropped names it${dropped.has(ls) ? ' (dropped without telling the client)' : ''}`);
      assert.deepEqual([got.input.player, got.input.action, got.input.a, got.input.b],
        [player, ev.action, ev.a, ev.b], `log seq ${ls}: the applied event is the one sent`);
      assert.ok(got.tick >= a.tick, `log seq ${ls} applied at tick ${got.tick}, before its ack tick ${a.tick}`);
    });
  }
  for (const d of droppedMsgs) assert.ok(mine.has(d.log_seq), `input_dropped for log seq ${d.log_seq}: not an acked event`);
  // the system notices (the player's join, the spectator count: docs/inputs.md)
  // are input-log records of the encoder process's own, acked to nobody
  const NOTICES = new Set(['join', 'leave', 'spectators']);
  for (const [s, a] of applied) {
    if (!NOTICES.has(a.input.action)) assert.ok(mine.has(s), `log seq ${s} applied but acked to nobody`);
  }
  const droppedMine = [...dropped.keys()].filter((s) => mine.has(s)).sort((x, y) => x - y);
  const droppedOther = [...dropped.keys()].filter((s) => !mine.has(s)).sort((x, y) => x - y);
  assert.deepEqual(droppedMine, [...toldBySeq.keys()].sort((x, y) => x - y), 'the client was told about each drop');
  assert.deepEqual(droppedOther, apiDrops, 'the other drops are the injected inputs');
  assert.deepEqual(delta, {
    shadowcast_inputs_dropped_total: droppedMine.length + droppedOther.length,
    shadowcast_inputs_dropped_told_total: droppedMine.length,
    shadowcast_inputs_dropped_untold_total: droppedOther.length,
  }, 'the metrics count exactly the dropped events');
  return { acks, droppedMsgs, dropped, applied };
}

test('an injected assert: the FAULT input is dropped, every acked client input applied once', { timeout: 240000 }, async () => {
  const srv = await start('restore-assert');
  await until(srv, async () => {
    const s = (await api(srv, '/status')).data;
    return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 40;
  }, 60000, 'the shadow 45 ticks behind');
  const before = await dropMetrics(srv);
  const p = new Client(srv.wsUrl, { name: 'player' });
  await p.open();
  assert.equal((await p.join(0)).player, 0);
  const oldPid = (await api(srv, '/status')).data.primary.pid;
  const sender = startSender(p);
  await sleep(1000);
  const inj = await api(srv, '/inject', { method: 'POST', body: { kind: 'assert' } });
  assert.equal(inj.status, 200, JSON.stringify(inj.data));
  const T = inj.data.tick;
  const st = await restored(srv, oldPid, T);
  assert.equal(st.last_incident.error_tick, T);
  assert.equal(st.last_incident.injected, 'assert');
  await sleep(1500); // the player keeps sending to the restored primary
  await sender.stop();
  await waitAnswered(srv, p, sender);
  assert.match(srv.stderr, /restoring the primary from /);
  assert.doesNotMatch(srv.stderr, /starting a new match instead/);

  const r = await check(srv, p, sender, before, { apiDrops: [inj.data.seq] });
  assert.equal(r.droppedMsgs.length, 0, 'no client input was dropped');
  const fault = r.dropped.get(inj.data.seq);
  assert.deepEqual([fault.tick, fault.input.action, fault.input.reason], [T, 'fault', 'fault_input']);
  assert.ok(p.acks.some((a) => a.tick <= T) && p.acks.some((a) => a.tick > T + 30), 'inputs before and after');
  console.log(`assert at tick ${T}: ${r.acks.length} messages acked, ${r.applied.size} events applied once, ` +
    `0 client events dropped, the FAULT input (log seq ${inj.data.seq}) dropped`);
  p.ws.close(1000);
  await p.waitClose();
});

function stopped(pid) {
  // every thread of the process in group stop
  return readdirSync(`/proc/${pid}/task`).every((t) => {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  });
}

test('a primary killed between two ticks: every input of the dying tick dropped, each client told', { timeout: 240000 }, async () => {
  const srv = await start('restore-kill');
  await until(srv, async () => {
    const s = (await api(srv, '/status')).data;
    return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 40;
  }, 60000, 'the shadow 45 ticks behind');
  const before = await dropMetrics(srv);
  const p = new Client(srv.wsUrl, { name: 'player' });
  await p.open();
  assert.equal((await p.join(0)).player, 0);
  const pid = (await api(srv, '/status')).data.primary.pid;
  const sender = startSender(p);
  await sleep(1000);

  // stop the primary between two ticks: the inputs acked while it is stopped
  // are stamped with its next tick (ack.tick == next_tick); stopped inside a
  // tick they are stamped with the one after: let it run a little, try again
  let E = -1;
  let during = [];
  for (let attempt = 0; attempt < 20 && E < 0; attempt++) {
    process.kill(pid, 'SIGSTOP');
    await until(srv, async () => stopped(pid), 5000, 'the primary stopped');
    const from = sender.count;
    const next = (await api(srv, '/status')).data.primary.next_tick;
    await until(srv, async () => sender.count >= from + 6, 5000, 'six messages sent while stopped');
    const seqs = sender.order.slice(from, from + 6);
    await Promise.all(seqs.map((s) => p.waitAck(s)));
    const ticks = p.acks.filter((a) => seqs.includes(a.seq)).map((a) => a.tick);
    assert.equal((await api(srv, '/status')).data.primary.next_tick, next, 'the stopped primary did not move');
    if (ticks.every((t) => t === next)) {
      E = next;
      during = seqs;
      process.kill(pid, 'SIGKILL');
    } else {
      assert.ok(ticks.every((t) => t === next + 1), `acks of a stopped primary: ${ticks} (next tick ${next})`);
      process.kill(pid, 'SIGCONT');
      await sleep(40 + 17 * attempt);
    }
  }
  assert.ok(E > 0, 'the primary stopped between two ticks within 20 tries');
  const st = await restored(srv, pid, E);
  assert.equal(st.last_incident.error_tick, E);
  assert.equal(st.last_incident.detected, 'process-death');
  assert.equal(st.last_incident.injected, null);
  await sleep(1500);
  await sender.stop();
  await waitAnswered(srv, p, sender);
  assert.match(srv.stderr, /restoring the primary from /);
  assert.doesNotMatch(srv.stderr, /starting a new match instead/);

  const r = await check(srv, p, sender, before, { apiDrops: [] });
  // each event sent while the primary was stopped belongs to the dying tick E
  const told = new Map(r.droppedMsgs.map((d) => [d.log_seq, d]));
  for (const seq of during) {
    const a = p.acks.find((x) => x.seq === seq);
    for (let k = 0; k < a.n_events; k++) {
      const d = told.get(a.log_seq + k);
      assert.ok(d, `event ${k} of seq ${seq} (sent while the primary was stopped) was dropped and the client told`);
      assert.deepEqual([d.tick, d.reason], [E, 'offending_tick']);
    }
  }
  for (const d of r.droppedMsgs) assert.deepEqual([d.tick, d.reason], [E, 'offending_tick'], 'only tick E dropped');
  console.log(`killed before tick ${E}: ${r.acks.length} messages acked, ${r.applied.size} events applied once, ` +
    `${r.droppedMsgs.length} dropped and told (${during.length} messages sent while stopped)`);
  p.ws.close(1000);
  await p.waitClose();
});

// --on-fault restart: a new match reads the input log from its end, so the
// acked inputs the dead primary never applied are discarded with the old
// match. Each one's client is told (input_dropped, reason new_match), and
// exactly those: the events acked with a tick at or past the tick the primary
// was stopped before; none acked earlier.
test('a new match after a kill: every acked input it discards is told, no other', { timeout: 240000 }, async () => {
  const srv = await start('restart-kill', 'restart');
  await until(srv, async () => (await api(srv, '/status')).data.primary.next_tick > 30, 60000, 'the match running');
  const m0 = await srv.metrics();
  const p = new Client(srv.wsUrl, { name: 'player' });
  await p.open();
  assert.equal((await p.join(0)).player, 0);
  const pid = (await api(srv, '/status')).data.primary.pid;
  const sender = startSender(p);
  await sleep(1000);
  let E = -1;
  for (let attempt = 0; attempt < 20 && E < 0; attempt++) {
    process.kill(pid, 'SIGSTOP');
    await until(srv, async () => stopped(pid), 5000, 'the primary stopped');
    const from = sender.count;
    const next = (await api(srv, '/status')).data.primary.next_tick;
    await until(srv, async () => sender.count >= from + 6, 5000, 'six messages sent while stopped');
    const seqs = sender.order.slice(from, from + 6);
    await Promise.all(seqs.map((q) => p.waitAck(q)));
    const ticks = p.acks.filter((a) => seqs.includes(a.seq)).map((a) => a.tick);
    if (ticks.every((t) => t === next)) {
      E = next;
      process.kill(pid, 'SIGKILL');
    } else {
      process.kill(pid, 'SIGCONT');
      await sleep(40 + 17 * attempt);
    }
  }
  assert.ok(E > 0, 'the primary stopped between two ticks within 20 tries');
  await sender.stop(); // before the new match starts: every message since the stop is stamped E
  await waitAnswered(srv, p, sender);
  await until(srv, async () => {
    const st = (await api(srv, '/status')).data;
    return st.primary.pid !== pid && st.primary.next_tick > 10 ? st : null;
  }, 60000, 'a new match running');
  assert.match(srv.stderr, /restarting the primary/);
  const late = p.acks.filter((a) => a.n_events > 0 && a.tick >= E);
  assert.ok(late.length >= 6, `messages acked for tick ${E} or later: ${late.length}`);
  assert.ok(late.every((a) => a.tick === E), `acked while stopped or dead: all stamped ${E}`);
  const want = late.flatMap((a) => Array.from({ length: a.n_events }, (_, k) => a.log_seq + k)).sort((x, y) => x - y);
  await until(srv, async () => p.messages.filter((x) => x.type === 'input_dropped').length >= want.length, 15000,
    `input_dropped for the ${want.length} discarded events`);
  await sleep(500); // and no more than those
  const told = p.messages.filter((x) => x.type === 'input_dropped');
  assert.deepEqual(told.map((d) => d.log_seq).sort((x, y) => x - y), want, 'told exactly the discarded events');
  for (const d of told) {
    const a = late.find((x) => d.log_seq >= x.log_seq && d.log_seq < x.log_seq + x.n_events);
    assert.deepEqual([d.seq, d.tick, d.reason], [a.seq, E, 'new_match'], `input_dropped for log seq ${d.log_seq}`);
  }
  const m1 = await srv.metrics();
  assert.equal(metric(m1, 'shadowcast_inputs_discarded_total') - metric(m0, 'shadowcast_inputs_discarded_total'),
    want.length, 'discarded counted');
  assert.equal(metric(m1, 'shadowcast_inputs_discarded_told_total') -
    metric(m0, 'shadowcast_inputs_discarded_told_total'), want.length, 'discarded and told counted');
  console.log(`new match after a kill before tick ${E}: ${want.length} discarded events, each told (new_match)`);
  p.ws.close(1000);
  await p.waitClose();
});
