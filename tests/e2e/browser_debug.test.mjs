// The developer page (/debug) against the REAL server in headless Chromium:
// enter the token, inject an assert with the button, see the incident in the
// list and the paused shadow's state in the inspector, step one input and see
// the state view change (the step's state has the fault record). Screenshots
// go to $SHADOWCAST_ARTIFACTS (default ./test-artifacts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium, newLoggedPage } from './lib/browser.mjs';
import { root, sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const ARTIFACTS = process.env.SHADOWCAST_ARTIFACTS || path.join(root, 'test-artifacts');
const captures = mkdtempSync(path.join(tmpdir(), 'sc-debug-page-'));

let srv;
let browser;
after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  rmSync(captures, { recursive: true, force: true });
});

async function until(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });
  } catch (e) {
    const st = await page.evaluate(() => JSON.stringify({ ...window.debugPage, status: undefined }));
    throw new Error(`${what} within ${ms} ms: ${e.message.split('\n')[0]}\nwindow.debugPage = ${st}\n` +
      `server log (tail):\n${srv ? srv.stderr.slice(-6000) : ''}`);
  }
}

test('developer page: token, inject, incident listed, step changes the state view', { timeout: 280000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  srv = await startServer(['--delay', '60t', '--hang-timeout', '5000', '--captures', captures]);
  let token = null;
  for (let i = 0; i < 100 && !token; i++) {
    token = srv.stdout.match(/debug API token: ([0-9a-f]{32})/)?.[1];
    if (!token) await sleep(50);
  }
  assert.ok(token, 'token printed');
  await srv.waitTicks(5);
  browser = await launchChromium();
  const { page, logs } = await newLoggedPage(browser, { width: 1280, height: 900 });

  await page.goto(`${srv.httpUrl}/debug`);
  await until(page, () => window.debugPage && window.debugPage.status, null, 20000, 'status shown');
  // without a token the incident list is refused
  await page.fill('#token', token);
  await page.click('#token-form button');
  await until(page, () => window.debugPage.incidents, null, 20000, 'incidents loaded with the token');
  // the shadow follows 60 ticks behind before we inject
  await until(page, () => {
    const s = window.debugPage.status;
    return s && s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 55;
  }, null, 60000, 'shadow running 60 ticks behind');

  await page.selectOption('#kind', 'assert');
  await page.click('#inject');
  await until(page, () => window.debugPage.answer && window.debugPage.answer.kind === 'assert', null, 20000, 'inject answered');
  const T = await page.evaluate(() => window.debugPage.answer.tick);
  await until(page, (t) => {
    const s = window.debugPage.status;
    return s && s.last_incident && s.last_incident.error_tick === t &&
      s.shadows.some((x) => x.state === 'paused' && x.held_tick === t - 1);
  }, T, 30000, 'incident at the injected tick, shadow paused at tick - 1');
  await until(page, () => document.querySelector('#incidents li a')?.textContent.startsWith('incident-'),
    null, 20000, 'incident in the list');
  await until(page, (t) => window.debugPage.stateView && window.debugPage.stateView.held_tick === t - 1 &&
    !window.debugPage.stateView.step, T, 20000, 'state inspector shows the held state');
  await until(page, () => document.getElementById('s-frame').naturalWidth > 0, null, 20000, 'shadow frame shown');
  const before = await page.evaluate(() => window.debugPage.stateView);
  assert.equal(before.fault_record, null, 'no fault in the held state');
  assert.ok(await page.evaluate(() => /incident-1-tick-/.test(document.getElementById('incidents').textContent)));
  await page.screenshot({ path: path.join(ARTIFACTS, 'debug-page-paused.png') });

  await page.click('#step-input');
  await until(page, () => window.debugPage.stateView && window.debugPage.stateView.step === 'step-1', null, 20000,
    'state view of the step');
  const after1 = await page.evaluate(() => window.debugPage.stateView);
  assert.ok(after1.fault_record, 'the step reproduced the fault: the state has a fault record');
  assert.equal(after1.result.reproduced, true);
  assert.match(await page.textContent('#answer'), /reproduced: assert/);
  assert.match(await page.textContent('#inspector'), /kind 1 at tick/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'debug-page-stepped.png') });
  // the primary view is the player page as a spectator, decoding the live stream
  const frames = await page.frame({ url: /spectate/ })?.evaluate(() => window.shadowcast?.framesDecoded ?? 0);
  assert.ok(frames > 0, `primary view decoded frames (${frames}); logs:\n${logs.join('\n')}`);
  assert.equal(logs.filter((l) => l.startsWith('pageerror')).length, 0, logs.join('\n'));
});
