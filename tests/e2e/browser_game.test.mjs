// The player page against the REAL server (`shadowcast run`) in headless
// Chromium (Debian's chromium driven by playwright-core): it decodes at least
// 60 frames of the real game with WebCodecs; holding KeyD moves player 0 to
// the right, asserted on the server side (GET /api/v1/state) and in the
// picture (the centroid of player 0's red disc on the canvas moves right);
// the page's input-to-display latencies reach the server's /metrics.
// Screenshots are kept in $SHADOWCAST_ARTIFACTS (default ./test-artifacts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, newLoggedPage } from './lib/browser.mjs';
import { root, sleep } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const ARTIFACTS = process.env.SHADOWCAST_ARTIFACTS || path.join(root, 'test-artifacts');
const UNIT = 256; // state coordinates per logical pixel (world 1280x720)

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
    const st = await page.evaluate(() => JSON.stringify(window.shadowcast ?? null));
    throw new Error(`${what} within ${ms} ms: ${e.message.split('\n')[0]}\nwindow.shadowcast = ${st}`);
  }
}

// Mean x (canvas pixels) of player 0's red (0xff5a3c) pixels in a band around
// its row, from the canvas the page draws every decoded frame on.
function redCentroid(page, worldY) {
  return page.evaluate((wy) => {
    const c = document.getElementById('screen');
    const ctx = c.getContext('2d');
    const w = c.width, h = c.height;
    const cy = Math.round(wy / 720 * h), band = Math.ceil(h * 40 / 720);
    const y0 = Math.max(0, cy - band), y1 = Math.min(h, cy + band);
    const d = ctx.getImageData(0, y0, w, y1 - y0).data;
    let sx = 0, n = 0;
    // the goal mouths at both ends are drawn in the team colours: skip them
    for (let y = 0; y < y1 - y0; y++)
      for (let x = Math.ceil(w * 0.04); x < Math.floor(w * 0.96); x++) {
        const i = (y * w + x) * 4;
        const r = d[i], g = d[i + 1], b = d[i + 2];
        if (r > 170 && g < 150 && b < 130 && r - g > 70) { sx += x; n++; }
      }
    return { x: n ? sx / n : null, n, w, h };
  }, worldY);
}

test('the player page plays the real game: decode, KeyD moves player 0', { timeout: 240000 }, async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  srv = await startServer(['--players', '2']);
  await srv.waitTicks(5);
  browser = await launchChromium();
  const { page, logs } = await newLoggedPage(browser, { width: 1000, height: 700 });

  await page.goto(`${srv.httpUrl}/?player=1`);
  await until(page, () => window.shadowcast && window.shadowcast.framesDecoded >= 60, null, 60000,
    'page decoded 60 frames of the real game');
  const sc = await page.evaluate(() => ({ ...window.shadowcast }));
  assert.equal(sc.player, 0, 'joined as player 1 (index 0)');
  assert.equal(sc.decoderErrors, 0, `decoder errors: ${sc.lastError}`);
  assert.match(sc.codec, /^avc1\.[0-9a-f]{6}$/);

  const before = await srv.state();
  const p0 = before.players[0];
  const pic0 = await redCentroid(page, p0.y / UNIT);
  await page.screenshot({ path: path.join(ARTIFACTS, 'game-before-keyd.png') });
  assert.ok(pic0.n > 20 && pic0.x !== null, `player 0's red disc is on the canvas (${JSON.stringify(pic0)})`);

  // hold D (by physical key position) until the server says the player moved
  await page.focus('#screen');
  await page.keyboard.down('KeyD');
  const end = Date.now() + 15000;
  let now = before;
  while (Date.now() < end) {
    now = await srv.state();
    if (now.players[0].x >= p0.x + 150 * UNIT) break;
    await sleep(100);
  }
  await page.keyboard.up('KeyD');
  const dxWorld = (now.players[0].x - p0.x) / UNIT;
  console.log(`server: player 0 x ${(p0.x / UNIT).toFixed(0)} -> ${(now.players[0].x / UNIT).toFixed(0)} (+${dxWorld.toFixed(0)} px), y ${(p0.y / UNIT).toFixed(0)} -> ${(now.players[0].y / UNIT).toFixed(0)}`);
  assert.ok(dxWorld >= 150, `holding KeyD moved player 0 right by ${dxWorld.toFixed(0)} px on the server`);
  assert.ok(Math.abs(now.players[0].y - p0.y) < 20 * UNIT, 'KeyD does not move it vertically');

  // the picture follows: let the page show frames of the new position
  await sleep(1000);
  const after1 = await srv.state();
  const pic1 = await redCentroid(page, after1.players[0].y / UNIT);
  const shot = path.join(ARTIFACTS, 'game-after-keyd.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);
  const expected = (after1.players[0].x - p0.x) / UNIT / 1280 * pic0.w;
  console.log(`picture: red disc centroid x ${pic0.x.toFixed(1)} -> ${pic1.x?.toFixed(1)} canvas px (server says +${expected.toFixed(1)})`);
  assert.ok(pic1.n > 20 && pic1.x !== null, `player 0 is still on the canvas (${JSON.stringify(pic1)})`);
  assert.ok(pic1.x - pic0.x >= 0.6 * expected, `the red disc moved right in the picture: ${pic0.x.toFixed(1)} -> ${pic1.x.toFixed(1)}, expected about +${expected.toFixed(1)}`);

  const stats = await page.textContent('#stats');
  assert.match(stats, /libx264|h264_vaapi/);
  const sc2 = await page.evaluate(() => ({ ...window.shadowcast }));
  console.log(`page: ${sc2.framesDecoded} frames decoded, ${sc2.fps} fps, ${sc2.acks} acks`);
  assert.ok(sc2.acks >= 2, 'inputs were acknowledged');
  // the page reports its input-to-display latencies (docs/protocol.md `latency`):
  // the server's histogram counts them and the page's client has its gauge
  await until(page, () => window.shadowcast.latencyReports >= 1, null, 10000, 'a latency report sent');
  let metrics = '';
  for (let i = 0; i < 50; i++) {
    metrics = await srv.metrics();
    if (/^shadowcast_input_to_display_seconds_count [1-9]/m.test(metrics)) break;
    await sleep(100);
  }
  assert.match(metrics, /^shadowcast_input_to_display_seconds_count [1-9]\d*$/m, 'reported latencies counted');
  assert.match(metrics, /^shadowcast_ws_client_input_to_display_seconds\{client="\d+"\} 0\.\d+$/m,
    'the page\'s client has its input-to-display gauge');
  assert.match(metrics, /^shadowcast_ws_client_rtt_seconds\{client="\d+"\} 0\.\d+$/m, 'and its RTT');
  assert.ok(!logs.some((l) => l.startsWith('pageerror')), logs.join('\n'));
});
