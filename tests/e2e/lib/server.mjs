// Starts the REAL server (`shadowcast run`: supervisor, primary instance on
// Vulkan, encoder process) on an ephemeral loopback port and reads the URL it
// prints. Bounded waits everywhere; stop() asks for a clean shutdown.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { webRoot, sleep } from './harness.mjs';

export function shadowcastPath() {
  const p = process.env.SC_SHADOWCAST;
  if (!p || !existsSync(p))
    throw new Error(`SC_SHADOWCAST must name the built shadowcast binary (got ${p}); run the tests through ctest`);
  return p;
}

// Small and cheap by default so that lavapipe + x264 keep up on a CI machine.
export const SMALL = ['--size', '320x176', '--fps', '30', '--particles', '2000', '--bitrate', '800'];

// token: the debug API token, handed over in $SHADOWCAST_API_TOKEN (a token
// never goes on a command line); without it the server generates one.
export async function startServer(extraArgs = [], { timeoutMs = 60000, small = true, token = null, env: extraEnv = {} } = {}) {
  // captures go to a temporary directory unless the test names one (never
  // into the source tree, the tests' working directory)
  const ownCaptures = extraArgs.includes('--captures') ? null : mkdtempSync(path.join(tmpdir(), 'sc-e2e-captures-'));
  // a 5 s hang timeout unless the test sets one: the default (500 ms) is for
  // a real device; on a CI machine running several tests per core (and under
  // ASan) a lavapipe tick can take longer than that, a false hang that no
  // test here is about
  const hang = extraArgs.includes('--hang-timeout') ? [] : ['--hang-timeout', '5000'];
  const args = ['run', '--listen', '127.0.0.1:0', '--web-root', webRoot(),
    ...(small ? SMALL : []), ...(ownCaptures ? ['--captures', ownCaptures] : []), ...hang, ...extraArgs];
  const env = { ...process.env };
  delete env.SHADOWCAST_API_TOKEN;
  if (token !== null) env.SHADOWCAST_API_TOKEN = token;
  Object.assign(env, extraEnv);
  const proc = spawn(shadowcastPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  let exited = null;
  const exitPromise = new Promise((resolve) => proc.on('exit', (code, sig) => { exited = { code, sig }; resolve(exited); }));
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { stderr += c; if (process.env.SC_TEST_VERBOSE) process.stderr.write(c); });
  proc.stdout.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`shadowcast run printed no URL within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`)), timeoutMs);
    proc.stdout.on('data', (c) => {
      stdout += c;
      if (process.env.SC_TEST_VERBOSE) process.stdout.write(c);
      const m = stdout.match(/https?:\/\/[^\s/]+:(\d+)/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    exitPromise.then((e) => { clearTimeout(t); reject(new Error(`shadowcast run exited (${JSON.stringify(e)}) before printing a URL; stderr:\n${stderr.slice(-3000)}`)); });
  });
  const httpUrl = `http://127.0.0.1:${port}`;

  async function getText(p, ms = 5000) {
    const r = await fetch(`${httpUrl}${p}`, { signal: AbortSignal.timeout(ms) });
    if (!r.ok) throw new Error(`GET ${p}: HTTP ${r.status}`);
    return r.text();
  }

  const srv = {
    proc, port, httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/stream`,
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    get exited() { return exited; },
    // /metrics without the session label every series carries (docs/protocol.md):
    // NAME{session="x"} -> NAME, NAME{session="x",a="b"} -> NAME{a="b"}; metricsRaw keeps it
    metrics: async () => (await getText('/metrics')).replace(/\{session="[^"\\]*"(\}|,)/g, (_, e) => (e === '}' ? '' : '{')),
    metricsRaw: () => getText('/metrics'),
    async state() { return JSON.parse(await getText('/api/v1/state')); },
    // Resolves once the game state says the primary has completed `ticks` ticks.
    async waitTicks(ticks, ms = 60000) {
      const end = Date.now() + ms;
      let s = null;
      while (Date.now() < end) {
        try { s = await srv.state(); if (s.valid && s.tick >= ticks) return s; } catch { /* not yet */ }
        await sleep(100);
      }
      throw new Error(`the game did not reach tick ${ticks} within ${ms} ms (last state ${JSON.stringify(s)}); stderr:\n${stderr.slice(-3000)}`);
    },
    async stop() {
      if (!exited) {
        const killer = setTimeout(() => proc.kill('SIGKILL'), 15000);
        proc.kill('SIGTERM');
        await exitPromise;
        clearTimeout(killer);
      }
      if (ownCaptures) rmSync(ownCaptures, { recursive: true, force: true });
      if (exited.code !== 0)
        throw new Error(`shadowcast run exited with ${JSON.stringify(exited)}; stderr:\n${stderr.slice(-4000)}`);
      // a sanitizer build: any report from any of the server's processes fails
      const report = stderr.search(/WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error: /);
      if (report >= 0)
        throw new Error(`sanitizer report on the server's stderr:\n${stderr.slice(Math.max(0, report - 200), report + 6000)}`);
      return exited;
    },
  };
  return srv;
}
