// Debian's Chromium under playwright-core, as every browser test launches it:
// headless, no sandbox (root in CI), no GPU, and no background networking
// (this machine's network is closed; Chromium's own connections only fail).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SC_CHROMIUM || '/usr/bin/chromium';

// extraArgs: more Chromium switches (the audio test: --autoplay-policy=...).
export async function launchChromium(extraArgs = []) {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/install-deps.sh)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-quic', '--no-first-run', ...extraArgs],
  });
}

// A new page whose console and page errors are collected in `logs`, for the
// failure messages.
export async function newLoggedPage(browser, viewport) {
  const page = await browser.newPage({ viewport });
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  return { page, logs };
}
