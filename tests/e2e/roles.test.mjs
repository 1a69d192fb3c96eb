// Roles through the REAL server: with $SHADOWCAST_PLAYER_TOKEN and
// $SHADOWCAST_SPECTATOR_TOKEN set, a join without the role's token or with a
// wrong one is closed with 4401; the player token joins a slot (and may
// spectate), the spectator token spectates only, the developer (debug API)
// token does both; ten wrong tokens from one address get 4429 for the rest of
// the minute, right token or not. The tokens are in no process's command line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { startServer } from './lib/server.mjs';
import { Client } from './lib/client.mjs';

const PLAYER = 'player-token-0123456789';
const SPECTATOR = 'spectator-token-0123456789';
const DEV = 'developer-token-0123456789';
let srv;
after(async () => { if (srv) await srv.stop(); });

async function joinAs(who, token) {
  const c = new Client(srv.wsUrl, { name: `${who}/${token}` });
  await c.open();
  const answer = await Promise.race([c.join(who, token), c.waitClose(10000).then(() => null)]);
  if (answer && answer.type === 'hello') {
    c.ws.close(1000);
    await c.waitClose(5000);
    return 'hello';
  }
  const close = await c.waitClose(5000);
  return `${close.code} ${close.reason}`;
}

test('roles: player, spectator and developer tokens on join', { timeout: 200000 }, async () => {
  srv = await startServer(['--no-shadow', '--hang-timeout', '5000'], {
    token: DEV, env: { SHADOWCAST_PLAYER_TOKEN: PLAYER, SHADOWCAST_SPECTATOR_TOKEN: SPECTATOR },
  });
  await srv.waitTicks(3);
  assert.equal(await joinAs(0, null), '4401 joining as a player needs a token');
  assert.equal(await joinAs('spectate', null), '4401 spectating needs a token');
  assert.equal(await joinAs(0, SPECTATOR), '4401 wrong token', 'the spectator token opens no player slot');
  assert.equal(await joinAs(0, PLAYER), 'hello');
  assert.equal(await joinAs('spectate', PLAYER), 'hello', 'a player may watch');
  assert.equal(await joinAs('spectate', SPECTATOR), 'hello');
  assert.equal(await joinAs('auto', DEV), 'hello', 'the developer token plays');
  assert.equal(await joinAs('spectate', DEV), 'hello', 'the developer token watches');

  // no token on the command line of any of the server's processes
  const pids = [srv.proc.pid];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === srv.proc.pid) pids.push(Number(d));
    } catch { /* gone */ }
  }
  assert.ok(pids.length >= 3, `supervisor and children: ${pids}`);
  for (const pid of pids) {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    for (const t of [PLAYER, SPECTATOR, DEV]) assert.ok(!argv.includes(t), `pid ${pid}'s command line has a token`);
  }

  // wrong tokens: one already counted above; nine more reach the limit
  for (let i = 0; i < 9; i++) assert.equal(await joinAs(0, `guess-${i}-0123456789`), '4401 wrong token');
  assert.match(await joinAs(0, PLAYER), /^4429 too many wrong tokens from this address: try again in \d+ s$/);
  assert.match(srv.stderr, /wrong token to join as player/);
});

// Spectating open, playing tokened (only $SHADOWCAST_PLAYER_TOKEN): the page
// sends its one token whatever it joins as, so a spectator join carrying the
// player token is no wrong token (it used to count as one: a few switches to
// spectating locked the address out of its own player slot); a token that is
// none of the server's does count, spectating or not (a guess at the
// developer token, which makes a developer's connection even where joining
// is open).
test('roles: open spectating counts only tokens that are none of the server\'s', { timeout: 200000 }, async () => {
  await srv.stop();
  srv = await startServer(['--no-shadow', '--hang-timeout', '5000'], {
    token: DEV, env: { SHADOWCAST_PLAYER_TOKEN: PLAYER },
  });
  await srv.waitTicks(3);
  for (let i = 0; i < 12; i++) assert.equal(await joinAs('spectate', PLAYER), 'hello', `spectator join ${i} with the player token`);
  assert.equal(await joinAs('spectate', DEV), 'hello');
  assert.equal(await joinAs(0, PLAYER), 'hello', 'the player token still plays: nothing counted against the address');
  for (let i = 0; i < 10; i++) assert.equal(await joinAs('spectate', `guess-${i}-0123456789`), 'hello', 'open spectating');
  assert.match(await joinAs(0, PLAYER), /^4429 too many wrong tokens from this address: try again in \d+ s$/,
    'ten guesses while spectating count');
});
