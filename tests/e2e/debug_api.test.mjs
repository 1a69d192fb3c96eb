// The debug API (/api/v1) and `shadowcast ctl` against the REAL server
// (supervisor, Vulkan primary and shadow, encoder process): the token is
// required (401 + WWW-Authenticate), an injected assert becomes an incident
// at the tick inject returned, the shadow pauses holding error_tick - 1,
// step-input reproduces the fault, the capture downloads as a valid ustar
// with manifest.json; ctl prints status and fails cleanly on a wrong token
// and on an unreachable server. Bounded waits, loopback only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from './lib/harness.mjs';
import { startServer, shadowcastPath } from './lib/server.mjs';

const captures = mkdtempSync(path.join(tmpdir(), 'sc-debug-api-'));
let srv;
after(async () => {
  if (srv) await srv.stop();
  rmSync(captures, { recursive: true, force: true });
});

async function waitToken(s, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = s.stdout.match(/debug API token: ([0-9a-f]{32})/);
    if (m) return m[1];
    await sleep(50);
  }
  throw new Error(`no token line on stdout: ${s.stdout}`);
}

async function call(method, p, { token, body, raw } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${srv.httpUrl}/api/v1${p}`, {
    method, headers, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    signal: AbortSignal.timeout(15000),
  });
  const data = raw ? Buffer.from(await r.arrayBuffer()) : await r.json();
  return { status: r.status, headers: r.headers, data };
}

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`${what} within ${ms} ms; stderr:\n${srv.stderr.slice(-3000)}`);
}

// ustar: 512-byte headers (name, octal size, checksum), data padded to 512.
function untar(buf) {
  const files = new Map();
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    assert.equal(h.subarray(257, 262).toString('latin1'), 'ustar', `ustar magic of ${name}`);
    const size = parseInt(h.subarray(124, 136).toString('latin1'), 8);
    const sum = parseInt(h.subarray(148, 156).toString('latin1'), 8);
    let s = 0;
    for (let i = 0; i < 512; i++) s += i >= 148 && i < 156 ? 32 : h[i];
    assert.equal(s, sum, `checksum of ${name}`);
    files.set(name, buf.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function ctl(args, env = {}) {
  return spawnSync(shadowcastPath(), ['ctl', ...args], {
    encoding: 'utf8', timeout: 30000, env: { ...process.env, SHADOWCAST_TOKEN: '', SHADOWCAST_API_TOKEN: '', ...env },
  });
}

test('debug API: token, inject, pause before the error tick, step, capture download; ctl', { timeout: 240000 }, async () => {
  srv = await startServer(['--delay', '60t', '--hang-timeout', '5000', '--captures', captures]);
  const token = await waitToken(srv);
  await srv.waitTicks(5);

  // open status; everything else needs the token
  const st0 = await call('GET', '/status');
  assert.equal(st0.status, 200);
  assert.ok(st0.data.primary.next_tick > 0);
  assert.equal(st0.data.shadows.length, 2);
  const none = await call('GET', '/incidents');
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal((await call('POST', '/inject', { token: 'f'.repeat(32), body: { kind: 'assert' } })).status, 401);
  // bad bodies
  assert.equal((await call('POST', '/inject', { token, body: { kind: 'nope' } })).status, 400);
  assert.equal((await call('POST', '/inject', { token, body: 'not json' })).status, 400);
  assert.equal((await call('POST', '/delay', { token, body: { weeks: 2 } })).status, 400);
  assert.equal((await call('POST', '/inject', { token, body: { kind: 'x'.repeat(5000) } })).status, 413);
  assert.equal((await call('GET', '/nope', { token })).status, 404);
  // nothing paused yet: a step is refused, with or without a body
  assert.equal((await call('POST', '/shadow/step-input', { token, body: {} })).status, 409);
  const refused = await call('POST', '/shadow/step-input', { token });
  assert.equal(refused.status, 409, JSON.stringify(refused.data));
  assert.match(refused.data.error, /no shadow is paused/);

  // the shadow follows the primary 60 ticks behind
  await until(async () => {
    const s = (await call('GET', '/status')).data;
    return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 55 ? s : null;
  }, 60000, 'shadow 0 running 60 ticks behind');

  const inj = await call('POST', '/inject', { token, body: { kind: 'assert' } });
  assert.equal(inj.status, 200, JSON.stringify(inj.data));
  const T = inj.data.tick;
  assert.ok(T > 0);

  const st = await until(async () => {
    const s = (await call('GET', '/status')).data;
    const paused = s.shadows.find((x) => x.state === 'paused');
    return paused && s.last_incident ? { s, paused } : null;
  }, 30000, 'an incident and a paused shadow');
  assert.equal(st.s.last_incident.error_tick, T, 'incident at the injected tick');
  assert.equal(st.s.last_incident.detected, 'assert');
  assert.equal(st.s.last_incident.injected, 'assert');
  assert.equal(st.s.last_incident.path, 724);
  assert.equal(st.paused.held_tick, T - 1, 'the shadow holds error_tick - 1');
  assert.equal(st.paused.next_tick, T);
  assert.ok(st.s.incidents_total >= 1);
  const cap = st.paused.capture;
  assert.match(cap, /^incident-1-tick-\d+$/);

  const inc = await call('GET', '/incidents', { token });
  assert.equal(inc.status, 200);
  const listed = inc.data.captures.find((c) => c.name === cap);
  assert.ok(listed, `capture ${cap} listed`);
  assert.equal(listed.manifest.primary_error_tick, T);

  // the state inspector's source
  const state = await call('GET', `/captures/${cap}/state.json`, { token });
  assert.equal(state.status, 200);
  assert.equal(state.data.held_tick, T - 1);
  assert.ok(state.data.pending_inputs.some((l) => /fault assert/.test(l)), 'offending input pending');

  // step one input: the FAULT input is the only input of tick T. No body
  // (fetch sends Content-Length: 0): one answer, and the shadow steps once.
  const step = await call('POST', '/shadow/step-input', { token });
  assert.equal(step.status, 200, JSON.stringify(step.data));
  assert.equal(step.data.shadow.inputs_applied_in_held_tick, 1);
  await sleep(300);
  const after1 = (await call('GET', '/status')).data.shadows[step.data.slot];
  assert.equal(after1.busy, false, 'no second command queued');
  assert.equal(after1.inputs_applied_in_held_tick, 1, 'stepped exactly once');
  // nothing left to step: 409, as documented
  const more = await call('POST', '/shadow/step-input', { token, body: {} });
  assert.equal(more.status, 409, JSON.stringify(more.data));
  assert.match(more.data.error, /all 1 inputs of tick \d+ are applied/);
  assert.equal(step.data.reproduced, true, step.data.message);
  assert.match(step.data.message, /reproduced: assert at tick/);
  assert.match(step.data.step_dir, /^step-1$/);
  const stepState = await call('GET', `/captures/${cap}/${step.data.step_dir}/state.json`, { token });
  assert.equal(stepState.status, 200);
  assert.ok(stepState.data.fault_record, 'the step state has the fault record');
  const png = await call('GET', `/captures/${cap}/${step.data.step_dir}/frame.png`, { token, raw: true });
  assert.equal(png.status, 200);
  assert.equal(png.data.subarray(1, 4).toString('latin1'), 'PNG');

  // path traversal is refused
  for (const bad of ['..%2F..%2Fetc%2Fpasswd', `${cap}/..%2F..%2Fx`, `${cap}/%2Fetc`]) {
    const r = await call('GET', `/captures/${bad}`, { token });
    assert.ok(r.status === 400 || r.status === 404, `${bad}: ${r.status}`);
  }

  // the capture as a tar
  const tar = await call('GET', `/captures/${cap}.tar`, { token, raw: true });
  assert.equal(tar.status, 200);
  assert.equal(tar.headers.get('content-type'), 'application/x-tar');
  const files = untar(tar.data);
  const manifest = JSON.parse(files.get(`${cap}/manifest.json`).toString('utf8'));
  assert.equal(manifest.primary_error_tick, T);
  assert.ok(files.has(`${cap}/state.bin`));
  assert.ok(files.has(`${cap}/step-1/result.json`));

  // ctl
  const ok = ctl([srv.httpUrl, 'status']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /"primary": \{/);
  const tokenDir = mkdtempSync(path.join(tmpdir(), 'sc-ctl-token-'));
  const tokenFile = path.join(tokenDir, 'token');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const inc2 = ctl([srv.httpUrl, '--token-file', tokenFile, 'incidents']);
  assert.equal(inc2.status, 0, inc2.stderr);
  assert.match(inc2.stdout, new RegExp(cap));
  rmSync(tokenDir, { recursive: true, force: true });
  const wrong = ctl([srv.httpUrl, 'step-tick'], { SHADOWCAST_TOKEN: 'bad' });
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /HTTP 401: wrong token/);
  const dl = ctl([srv.httpUrl, 'download', cap, '-o', path.join(captures, 'dl.tar')], { SHADOWCAST_TOKEN: token });
  assert.equal(dl.status, 0, dl.stderr);
  const stepTick = ctl([srv.httpUrl, 'step-tick'], { SHADOWCAST_TOKEN: token });
  assert.equal(stepTick.status, 0, stepTick.stderr);
  assert.match(stepTick.stdout, /"reproduced": true/);
  const dead = ctl(['http://127.0.0.1:1', 'status']);
  assert.equal(dead.status, 1);
  assert.match(dead.stderr, /cannot connect to 127\.0\.0\.1 port 1/);
  const usage = ctl([srv.httpUrl, 'frobnicate']);
  assert.equal(usage.status, 2);
});

// A host-side fault (the primary aborts on a crash input before the tick's GPU
// work) is not executed in the shadow; step-tick still answers once and writes
// its tick-T/ with the outcome, like step-input writes step-K/.
test('debug API: step-tick over an injected crash writes tick-T/ with the outcome', { timeout: 180000 }, async () => {
  if (srv) await srv.stop();
  srv = await startServer(['--delay', '60t', '--hang-timeout', '5000', '--captures', captures]);
  const token = await waitToken(srv);
  await until(async () => {
    const s = (await call('GET', '/status')).data;
    return s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 55 ? s : null;
  }, 60000, 'shadow 0 running 60 ticks behind');
  const inj = await call('POST', '/inject', { token, body: { kind: 'crash' } });
  assert.equal(inj.status, 200, JSON.stringify(inj.data));
  const T = inj.data.tick;
  const paused = await until(async () => {
    const s = (await call('GET', '/status')).data;
    return s.shadows.find((x) => x.state === 'paused' && x.capture_incident?.error_tick === T) ?? null;
  }, 30000, 'a paused shadow holding the crash incident');
  assert.equal(paused.held_tick, T - 1);

  const st = await call('POST', `/shadow/step-tick?slot=${paused.slot}`, { token });
  assert.equal(st.status, 200, JSON.stringify(st.data));
  assert.equal(st.data.reproduced, true, st.data.message);
  assert.match(st.data.message, /crash at tick/);
  assert.equal(st.data.step_dir, `tick-${T}`);
  assert.equal(st.data.shadow.held_tick, T - 1, 'a tick that did not run is not held past');
  const res = await call('GET', `/captures/${paused.capture}/tick-${T}/result.json`, { token });
  assert.equal(res.status, 200, JSON.stringify(res.data));
  assert.equal(res.data.tick, T);
  assert.equal(res.data.outcome, 'crash');
  assert.equal(res.data.executed, false);
  assert.equal(res.data.reproduced, true);
  await sleep(300);
  assert.equal((await call('GET', '/status')).data.shadows[paused.slot].busy, false, 'answered and ran once');
});
