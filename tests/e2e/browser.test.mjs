// The player page in real headless Chromium (Debian's chromium, driven by
// playwright-core): it decodes at least 60 frames from the harness with
// WebCodecs, key presses become inputs the server receives (asserted on the
// server side), the stats overlay fills in, and a screenshot is kept in
// $SHADOWCAST_ARTIFACTS (default ./test-artifacts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, newLoggedPage } from './lib/browser.mjs';
import { startHarness, sleep, root } from './lib/harness.mjs';

const ARTIFACTS = process.env.SHADOWCAST_ARTIFACTS || path.join(root, 'test-artifacts');

let h;
let browser;
after(async () => {
  if (browser) await browser.close();
  if (h) await h.stop();
});

async function until(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });
  } catch (e) {
    const state = await page.evaluate(() => JSON.stringify(window.shadowcast ?? null));
    throw new Error(`${what} within ${ms} ms: ${e.message.split('\n')[0]}\nwindow.shadowcast = ${state}`);
  }
}

test('player page decodes the stream and sends keyboard input', { timeout: 120000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startHarness(['--fps', '30', '--size', '640x360', '--bitrate', '1500']);
  browser = await launchChromium();
  const { page, logs } = await newLoggedPage(browser, { width: 1000, height: 700 });

  await page.goto(`${h.httpUrl}/?player=1`);
  await until(page, () => window.shadowcast && window.shadowcast.framesDecoded >= 60, null, 30000,
    'page decoded 60 frames');
  const sc = await page.evaluate(() => ({ ...window.shadowcast, latency: { ...window.shadowcast.latency } }));
  assert.equal(sc.player, 0, 'joined as player 1 (index 0)');
  assert.match(sc.codec, /^avc1\.[0-9a-f]{6}$/);
  assert.equal(sc.decoderErrors, 0, `decoder errors: ${sc.lastError}`);
  const join = await h.waitFor((e) => e.event === 'JOIN' && e.player === '0');
  assert.ok(join);

  // keys by physical position: D (right) held, then Space (shoot), Shift (block)
  await page.focus('#screen');
  await page.keyboard.down('KeyD');
  const move = await h.waitFor((e) => e.event === 'INPUT' && e.action === 'MOVE' && e.a === '127' && e.b === '0',
    5000, 'MOVE right from the page');
  assert.equal(move.player, '0');
  await sleep(500); // let the square move in the picture
  await page.keyboard.up('KeyD');
  await h.waitFor((e) => e.event === 'INPUT' && e.action === 'MOVE' && e.a === '0' && e.b === '0', 5000, 'MOVE stop');
  await page.keyboard.press('ArrowUp');
  await h.waitFor((e) => e.event === 'INPUT' && e.action === 'MOVE' && e.a === '0' && e.b === '-127', 5000, 'MOVE up (arrow)');
  await page.keyboard.press('Space');
  await h.waitFor((e) => e.event === 'INPUT' && e.action === 'SHOOT', 5000, 'SHOOT');
  await page.keyboard.down('ShiftLeft');
  await h.waitFor((e) => e.event === 'INPUT' && e.action === 'BLOCK' && e.a === '1', 5000, 'BLOCK on');
  await page.keyboard.up('ShiftLeft');
  await h.waitFor((e) => e.event === 'INPUT' && e.action === 'BLOCK' && e.a === '0', 5000, 'BLOCK off');

  // acks come back and a frame at the acked tick is shown: input-to-display measured
  await until(page, () => window.shadowcast.acks >= 6 && window.shadowcast.latency.input !== null, null, 10000,
    'acks and an input-to-display sample');
  await sleep(1200); // a stats refresh with network latency (needs a pong)
  const after1 = await page.evaluate(() => ({ ...window.shadowcast, latency: { ...window.shadowcast.latency } }));
  assert.ok(after1.lastAckTick > 0);
  assert.ok(after1.inputsSent >= 6);
  for (const k of ['encode', 'network', 'decode', 'input'])
    assert.equal(typeof after1.latency[k], 'number', `latency.${k} measured`);
  const stats = await page.textContent('#stats');
  assert.match(stats, /libx264/);
  assert.match(stats, /input→display/);
  const shot = path.join(ARTIFACTS, 'player-page.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);
  console.log(`page: ${after1.framesDecoded} frames decoded, ${after1.fps} fps, latency ${JSON.stringify(after1.latency)}`);
  assert.ok(!logs.some((l) => l.startsWith('pageerror')), logs.join('\n'));
});

test('the page says so when WebCodecs is missing', { timeout: 60000 }, async () => {
  const page = await browser.newPage();
  await page.addInitScript(() => { delete window.VideoDecoder; delete window.EncodedVideoChunk; });
  await page.goto(`${h.httpUrl}/`);
  await page.waitForSelector('#notice:not([hidden])', { timeout: 10000 });
  const text = await page.textContent('#notice');
  assert.match(text, /WebCodecs/);
  assert.match(text, /What to do/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'player-no-webcodecs.png') });
});

test('the page says so when H.264 is not supported', { timeout: 60000 }, async () => {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    VideoDecoder.isConfigSupported = async (config) => ({ supported: false, config });
  });
  await page.goto(`${h.httpUrl}/?spectate`);
  await page.waitForSelector('#notice:not([hidden])', { timeout: 15000 });
  const text = await page.textContent('#notice');
  assert.match(text, /cannot decode/);
  assert.match(text, /avc1\./);
  assert.match(text, /What to do/);
});
