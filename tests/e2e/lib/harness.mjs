// Starts tests/net/ws/ws_test_server on an ephemeral loopback port and reads
// its stdout event lines (LISTEN, JOIN, LEAVE, INPUT, KEYFRAME_REQUEST).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..', '..');

export function harnessPath() {
  const p = process.env.SC_WS_TEST_SERVER;
  if (!p || !existsSync(p))
    throw new Error(`SC_WS_TEST_SERVER must name the built ws_test_server (got ${p}); run the tests through ctest`);
  return p;
}

export function webRoot() {
  return process.env.SC_WEB_ROOT || path.join(root, 'web');
}

// Parses "KEY k=v k=v" into {event: KEY, k: v, ...}.
export function parseLine(line) {
  const [event, ...rest] = line.trim().split(/\s+/);
  const out = { event };
  for (const kv of rest) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export async function startHarness(extraArgs = [], { timeoutMs = 15000 } = {}) {
  const args = ['--web-root', webRoot(), '--listen', '127.0.0.1', '--port', '0',
    '--exit-on-eof', '--duration', '300', ...extraArgs];
  const proc = spawn(harnessPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const events = [];
  const waiters = [];
  let stderr = '';
  let buf = '';
  let exited = null;
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const ev = parseLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      events.push(ev);
      for (const w of [...waiters]) if (w.pred(ev)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(ev); }
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; if (process.env.SC_TEST_VERBOSE) process.stderr.write(c); });
  const exitPromise = new Promise((resolve) => proc.on('exit', (code, sig) => { exited = { code, sig }; resolve(exited); }));

  function waitFor(pred, ms = 10000, what = 'event') {
    const found = events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      waiters.push(w);
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`harness: no ${what} within ${ms} ms; stderr:\n${stderr.slice(-2000)}`));
      }, ms);
      exitPromise.then(() => { clearTimeout(t); if (waiters.includes(w)) { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`harness exited (${JSON.stringify(exited)}) while waiting for ${what}; stderr:\n${stderr.slice(-2000)}`)); } });
      w.resolve = (ev) => { clearTimeout(t); resolve(ev); };
    });
  }

  const listen = await waitFor((e) => e.event === 'LISTEN', timeoutMs, 'LISTEN line');
  const port = Number(listen.port);

  async function stop() {
    if (exited) {
      if (exited.code !== 0) throw new Error(`ws_test_server exited early with ${JSON.stringify(exited)}; stderr:\n${stderr.slice(-4000)}`);
      return exited;
    }
    proc.stdin.end();
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.kill('SIGTERM');
    const r = await exitPromise;
    clearTimeout(killer);
    // a clean shutdown is part of the contract (and where ASan reports leaks)
    if (r.code !== 0)
      throw new Error(`ws_test_server exited with ${JSON.stringify(r)}; stderr:\n${stderr.slice(-4000)}`);
    return r;
  }

  return {
    proc, port, events, waitFor, stop,
    get stderr() { return stderr; },
    get exited() { return exited; },
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/stream`,
    async metrics() {
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      return r.text();
    },
  };
}

// Value of one Prometheus sample ("name" or "name{labels}") from /metrics text.
export function metric(text, name) {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    if (i > 0 && line.slice(0, i) === name) return Number(line.slice(i + 1));
  }
  return undefined;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
