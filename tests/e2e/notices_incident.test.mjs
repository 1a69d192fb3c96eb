// Notices from the game through the notice ring, across a fault and a
// restore (`run --on-fault restore`): an injected assert makes the primary
// find a fault at tick T; a developer's connection (joined with the
// developer token) gets {"kind":"incident","tick":T,"incident":1,
// "report":{...}} (the full fault report, through an arena payload block),
// every other joined client the same notice without the report (the game's
// inputs and the shaders' words are for developers), each exactly one; then,
// from the restored primary, {"kind":"match_start","tick":T,"restored":true}
// (it re-runs the match from the state before T). Video resumes after them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const TOKEN = 'notices-e2e-token';
const captures = mkdtempSync(path.join(tmpdir(), 'sc-notices-'));
let srv;
let ws;
let devWs;
after(async () => {
  if (ws) ws.terminate();
  if (devWs) devWs.terminate();
  if (srv) await srv.stop();
  rmSync(captures, { recursive: true, force: true });
});

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-3000)}`);
}

async function api(p, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${srv.httpUrl}/api/v1${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000),
  });
  return { status: r.status, data: await r.json() };
}

test('incident and restored match_start notices reach the clients', { timeout: 240000 }, async () => {
  srv = await startServer(['--on-fault', 'restore', '--delay', '45t', '--hang-timeout', '5000',
    '--captures', captures], { token: TOKEN });
  await until(async () => {
    const s = (await api('/status')).data;
    return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 40;
  }, 60000, 'the shadow 45 ticks behind');

  const join = (token) => {
    const c = { frames: [], notices: [], hello: null };
    const w = new WebSocket(srv.wsUrl, 'shadowcast.v1');
    w.on('open', () => w.send(JSON.stringify({ type: 'join', spectate: true, ...(token ? { token } : {}) })));
    w.on('message', (data, isBinary) => {
      if (isBinary) { c.frames.push(data.readUInt32LE(12)); return; }
      const m = JSON.parse(data.toString());
      if (m.type === 'hello') c.hello = m;
      else if (m.type === 'notice') c.notices.push({ ...m.notice, afterFrames: c.frames.length });
    });
    return [w, c];
  };
  const [w1, c] = join(null);
  const [w2, dev] = join(TOKEN);
  ws = w1;
  devWs = w2;
  await until(() => c.hello && c.frames.length > 5 && dev.hello && dev.frames.length > 5, 20000, 'joined, video');

  const inj = await api('/inject', { method: 'POST', body: { kind: 'assert' } });
  assert.equal(inj.status, 200, JSON.stringify(inj.data));
  const T = inj.data.tick;
  await until(() => c.notices.some((n) => n.kind === 'match_start') && dev.notices.some((n) => n.kind === 'match_start'),
    60000, 'the restored match_start notice');
  const st = (await api('/status')).data;
  console.log(`injected at tick ${T}; notices ${JSON.stringify(c.notices)}; last incident ${JSON.stringify(st.last_incident)}`);
  // (the client's own join made a `spectators` notice before: not this test's)
  const got = dev.notices.filter((x) => x.kind !== 'spectators').map(({ afterFrames, ...n }) => n);
  const brief = c.notices.filter((x) => x.kind !== 'spectators').map(({ afterFrames, ...n }) => n);
  // the incident notice carries the primary's full fault report (docs/protocol.md `notice`),
  // which came through an arena payload block: the fault's message and the fault record are
  // the shaders' words, checked for their kind; the rest exactly
  const report = got[0] && got[0].report;
  assert.ok(report && typeof report.detail === 'string' && report.detail.length > 0, JSON.stringify(got[0]));
  assert.ok(report.fault_record && report.fault_record.kind > 0 && report.fault_record.tick === T,
    JSON.stringify(report));
  const { detail, fault_record, inputs, ...rest } = report;
  assert.deepEqual(rest, { detected: 'assert', path: 724, injected: 'assert', error_tick: T, detected_tick: T },
    'the report: how it was found and the ticks');
  // the offending tick's inputs: the injected fault among them (nobody plays in this test)
  assert.ok(Array.isArray(inputs) && inputs.includes(`${T} - fault assert`), JSON.stringify(inputs));
  got[0] = { ...got[0] };
  delete got[0].report;
  const want = [
    { kind: 'incident', tick: T, incident: st.last_incident.incident },
    { kind: 'match_start', tick: T, restored: true },
  ];
  assert.deepEqual(got, want, 'the developer: the incident at the fault\'s tick, then the restored match from it');
  assert.deepEqual(brief, want, 'any other client: the same notices, the incident without its report, once');
  const n = c.frames.length;
  await until(() => c.frames.length > n + 10, 30000, 'video after the restore');
});
