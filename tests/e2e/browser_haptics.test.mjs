// Haptics and notices on the player page against the REAL server, in
// headless Chromium. The server plays tests/gpu/data/goal.txt (--inputs,
// OFFSET ticks later, once both pages have joined): player 0 hits the puck
// and scores. Page A plays player 0 with a (mocked) gamepad that has a
// vibrationActuator: the page must call playEffect('dual-rumble', ...) for
// each `haptic` the server sends it (the hit, then the goal's long pulse),
// with the message's duration and magnitudes. Page B plays player 1 (the
// other team, no hits): it gets no haptic at all. Both pages show the
// `notice` of the other player joining as text in #notices (never as HTML),
// and a chat line typed on page B (its keys move nobody) as text on page A.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium, newLoggedPage } from './lib/browser.mjs';
import { root } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const OFFSET = 450; // ticks: 15 s at 30 fps for Chromium to start and both pages to join

const dir = mkdtempSync(path.join(tmpdir(), 'sc-haptics-'));
let srv;
let browser;
after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });
  } catch (e) {
    const st = await page.evaluate(() => JSON.stringify({ sc: window.shadowcast ?? null, rumbles: window.__rumbles }));
    throw new Error(`${what} within ${ms} ms: ${e.message.split('\n')[0]}\n${st}\nstderr:\n${srv.stderr.slice(-2000)}`);
  }
}

// A gamepad with a dual-rumble actuator that records every effect; its stick
// rests at the centre and no button is pressed (the page sends no input from it
// after its first poll).
function mockPad() {
  window.__rumbles = [];
  const pad = {
    id: 'mock pad', index: 0, connected: true, mapping: 'standard', timestamp: 0,
    axes: [0, 0, 0, 0], buttons: [],
    vibrationActuator: {
      type: 'dual-rumble',
      playEffect(type, params) {
        window.__rumbles.push({ type, ...params });
        return Promise.resolve('complete');
      },
    },
  };
  Object.defineProperty(navigator, 'getGamepads', { value: () => [pad], configurable: true });
}

test('haptics reach only the playing page, through the Gamepad API; notices and chat as text', { timeout: 240000 }, async () => {
  const lines = readFileSync(path.join(root, 'tests/gpu/data/goal.txt'), 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => { const [t, ...rest] = l.split(/\s+/); return `${Number(t) + OFFSET} ${rest.join(' ')}\n`; });
  const script = path.join(dir, 'goal.txt');
  writeFileSync(script, lines.join(''));
  srv = await startServer(['--inputs', script, '--no-shadow', '--hang-timeout', '5000', '--players', '2']);
  browser = await launchChromium();

  const a = await newLoggedPage(browser, { width: 800, height: 600 });
  await a.page.addInitScript(mockPad);
  await a.page.goto(`${srv.httpUrl}/?player=1`);
  await until(a.page, () => window.shadowcast && window.shadowcast.player === 0, null, 30000, 'page A joined as player 0');
  const b = await newLoggedPage(browser, { width: 800, height: 600 });
  await b.page.goto(`${srv.httpUrl}/?player=2`);
  await until(b.page, () => window.shadowcast && window.shadowcast.player === 1, null, 30000, 'page B joined as player 1');
  const st = await srv.state();
  assert.ok(st.tick < OFFSET, `both pages joined at tick ${st.tick}, before the scripted play at ${OFFSET}`);

  // the goal's long pulse ends the play for player 0
  await until(a.page, () => window.__rumbles.some((r) => r.duration >= 500), null, 120000, 'the goal rumble on page A');
  const scA = await a.page.evaluate(() => ({ ...window.shadowcast }));
  const rumbles = await a.page.evaluate(() => window.__rumbles);
  console.log(`page A: ${scA.haptics} haptics, rumbles ${JSON.stringify(rumbles)}; events ${JSON.stringify(scA.events)}`);
  assert.ok(scA.events.some((e) => e.kind === 'goal' && e.team === 0), 'the scripted goal happened');
  const hits = scA.events.filter((e) => e.kind === 'hit' && e.player === 0 && e.tick >= OFFSET).length;
  assert.ok(hits >= 1, 'player 0 hit the puck');
  assert.equal(scA.haptics, hits + 1, 'a haptic per hit and one for the goal');
  assert.equal(scA.rumbles, scA.haptics, 'each one played on the pad');
  assert.equal(rumbles.length, scA.haptics);
  for (const r of rumbles) {
    assert.equal(r.type, 'dual-rumble');
    assert.ok(r.duration > 0 && r.strongMagnitude >= 0 && r.strongMagnitude <= 1 &&
      r.weakMagnitude >= 0 && r.weakMagnitude <= 1, JSON.stringify(r));
  }
  const last = rumbles[rumbles.length - 1];
  assert.deepEqual([last.duration, last.strongMagnitude, last.weakMagnitude],
    [scA.lastHaptic.duration_ms, scA.lastHaptic.strong, scA.lastHaptic.weak], 'the message\'s values');

  const scB = await b.page.evaluate(() => ({ ...window.shadowcast }));
  assert.ok(scB.events.some((e) => e.kind === 'goal'), 'page B saw the goal too');
  assert.equal(scB.haptics, 0, 'page B (player 1, the other team, no hits) got no haptic');

  // notices: B joining, on A's page; as text
  const notesA = await a.page.textContent('#notices');
  assert.match(notesA, /Player 2 joined/, `page A's notices: ${notesA}`);
  assert.equal(await a.page.evaluate(() => document.getElementById('notices').children.length), 0, 'text only');
  // chat from page B's chat line, shown on page A as text (never as HTML)
  const line = '<img src=x onerror="window.__xss=1"> hi & bye';
  await b.page.fill('#chattext', line);
  await b.page.press('#chattext', 'Enter');
  await until(a.page, (t) => document.getElementById('chat').textContent.includes(t), line, 15000, 'the chat on page A');
  assert.equal(await a.page.textContent('#chat'), `Player 2: ${line}`);
  assert.equal(await a.page.evaluate(() => document.getElementById('chat').children.length), 0, 'text only');
  assert.equal(await a.page.evaluate(() => window.__xss), undefined, 'no markup ran');
  const stB = await b.page.evaluate(() => window.shadowcast.inputsSent);
  assert.equal(stB, 0, 'typing in the chat line sent no game input');

  for (const p of [a, b])
    assert.ok(!p.logs.some((l) => l.startsWith('pageerror')), p.logs.join('\n'));
});
