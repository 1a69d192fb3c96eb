// The /debug page's profiling plots against the REAL server in headless
// Chromium (issue 11): with the token it draws, with uPlot (two uPlot charts
// on the page), the primary's live samples (more than 100 of them, redrawn as
// they come, the newest tick moving on): frame time, GPU time per pass and
// shadow lag (about the 60-tick delay); encode times; the bitrate of the
// page's own spectator stream (a client: above 0 kbit/s). A condition hit
// (`late: tick >= 60`) appears as a marker at tick 60, and after an injected
// assert fault an incident marker appears at the fault's error tick.
// The samples come over the sample feed (plot.feed: subscribed once, seqs
// over 100). Screenshot to $SHADOWCAST_ARTIFACTS (default ./test-artifacts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, newLoggedPage } from './lib/browser.mjs';
import { root, sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const ARTIFACTS = process.env.SHADOWCAST_ARTIFACTS || path.join(root, 'test-artifacts');

let srv;
let browser;
after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

async function until(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });
  } catch (e) {
    const st = await page.evaluate(() => JSON.stringify(window.debugPage.plot));
    throw new Error(`${what} within ${ms} ms: ${e.message.split('\n')[0]}\nplot = ${st}\n` +
      `server log (tail):\n${srv ? srv.stderr.slice(-4000) : ''}`);
  }
}

test('developer page: live profile plot with condition and incident markers', { timeout: 200000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  srv = await startServer(['--delay', '60t', '--hang-timeout', '5000', '--condition', 'late: tick >= 60']);
  let token = null;
  for (let i = 0; i < 100 && !token; i++) {
    token = srv.stdout.match(/debug API token: ([0-9a-f]{32})/)?.[1];
    if (!token) await sleep(50);
  }
  assert.ok(token, 'token printed');
  browser = await launchChromium();
  const { page } = await newLoggedPage(browser, { width: 1280, height: 1100 });
  await page.goto(`${srv.httpUrl}/debug`);
  await page.fill('#token', token);
  await page.click('#token-form button');
  await until(page, () => window.debugPage.plot && window.debugPage.plot.samples >= 100, null, 60000,
    'at least 100 samples drawn');
  await until(page, () => window.debugPage.plot.markers.some((m) => m.kind === 'condition:late' && m.tick === 60),
    null, 30000, 'the condition marker at tick 60');
  // drawn by uPlot: two charts, each series with live data
  assert.equal(await page.locator('#plot .uplot').count(), 2, 'two uPlot charts');
  assert.equal(await page.evaluate(() => window.debugPage.plot.uplots), 2);
  await until(page, () => {
    const p = window.debugPage.plot;
    const br = Object.keys(p.series).filter((k) => k.startsWith('bitrate client '));
    return p.series.frame >= 100 && p.series['GPU particles'] >= 100 && p.series['GPU render'] >= 100 &&
      p.series['shadow lag'] >= 100 && p.last['shadow lag'] >= 30 && p.series.encode >= 50 &&
      p.last.encode > 0 && br.some((k) => p.series[k] >= 3 && p.last[k] > 0);
  }, null, 30000, 'frame, GPU passes, shadow lag, encode and a client\'s bitrate drawn');
  const before = await page.evaluate(() => ({ drawn: window.debugPage.plot.drawn, tick: window.debugPage.plot.lastTick,
    enc: window.debugPage.plot.last.encode }));
  await until(page, (b) => window.debugPage.plot.drawn > b.drawn + 2 && window.debugPage.plot.lastTick > b.tick + 10 &&
    window.debugPage.plot.series.encode >= 50, before, 20000, 'redrawn live with newer samples');
  // the samples came over the sample feed (docs/protocol.md §11), not by polling
  const feed = await page.evaluate(() => window.debugPage.plot.feed);
  assert.ok(feed.connected && feed.subscribed === 1 && feed.seq > 100, `the plot reads the feed: ${JSON.stringify(feed)}`);
  for (const name of ['frame', 'GPU', 'GPU tick_logic', 'GPU seal', 'shadow lag', 'encode'])
    assert.ok(await page.evaluate((n) => window.debugPage.plot.series[n] > 0, name), `series ${name} drawn`);
  // an injected fault: the incident marker at its error tick
  await until(page, () => {
    const s = window.debugPage.status;
    return s && s.shadows[0].state === 'running' && s.shadows[0].lag_ticks >= 55;
  }, null, 60000, 'shadow running 60 ticks behind');
  await page.selectOption('#kind', 'assert');
  await page.click('#inject');
  await until(page, () => window.debugPage.answer && window.debugPage.answer.kind === 'assert', null, 20000,
    'inject answered');
  const T = await page.evaluate(() => window.debugPage.answer.tick);
  await until(page, (t) => window.debugPage.plot.markers.some((m) => m.kind === 'incident' && m.tick === t), T,
    30000, 'the incident marker at the error tick');
  await page.screenshot({ path: path.join(ARTIFACTS, 'debug-page-profile.png') });
});
