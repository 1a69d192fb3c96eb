// HTTP keep-alive after a 404: a browser reuses its connections, so a request
// that follows a not-found answer on the same connection (the page's
// /favicon.ico, then an API call) must be answered as if it came first. It
// was not: the 404 left the connection unreset and every later request on it
// got a bare 404 (the developer page's step and incident list failed so).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startHarness } from './lib/harness.mjs';

let h;
after(async () => { if (h) await h.stop(); });

function get(agent, port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body, socket: req.reusedSocket }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
    req.on('error', reject);
  });
}

test('a request after a 404 on the same keep-alive connection is served', { timeout: 60000 }, async () => {
  h = await startHarness(['--fps', '10']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 3; i++) {
    const nf = await get(agent, h.port, '/favicon.ico');
    assert.equal(nf.status, 404, 'no favicon: 404');
    const ok = await get(agent, h.port, '/healthz');
    assert.equal(ok.socket, true, 'the same connection was reused');
    assert.equal(ok.status, 200, `/healthz after a 404 on the same connection: ${ok.status} ${ok.body}`);
    assert.equal(ok.body, 'ok\n');
    const file = await get(agent, h.port, '/nope/missing.js');
    assert.equal(file.status, 404);
    const metrics = await get(agent, h.port, '/metrics');
    assert.equal(metrics.status, 200, `/metrics after a 404: ${metrics.status}`);
  }
  agent.destroy();
});
