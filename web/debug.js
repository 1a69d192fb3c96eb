// shadowcast developer page (/debug): the primary live (the player page as a
// spectator, in an iframe: the same decoder, not a copy) beside the shadow
// (tick, lag, hash; its frame while paused), the incident list, a state
// inspector for the paused shadow and the debug API's commands. The token is
// kept in sessionStorage. API: docs/protocol.md "Debug API".
import { startProfilePlot } from './profile_plot.js';

const $ = (id) => document.getElementById(id);
const API = '/api/v1';
const KEY = 'shadowcast.token';

// For people and tests.
const dbg = {
  token: sessionStorage.getItem(KEY) || '', status: null, incidents: null, answer: null,
  stateView: null, stateSource: null, frameSource: null, errors: 0, lastError: null,
};
window.debugPage = dbg;

$('token').value = dbg.token;
// The primary view spectates with the developer token, which the server takes
// for spectating too (needed when spectating is tokened, docs/protocol.md).
function primaryView() {
  if (dbg.token) $('primary').src = `/?spectate&stats=0#token=${encodeURIComponent(dbg.token)}`;
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  dbg.token = $('token').value.trim();
  sessionStorage.setItem(KEY, dbg.token);
  primaryView();
  refreshIncidents();
});
primaryView();

async function api(method, path, body) {
  const headers = {};
  if (dbg.token) headers.Authorization = `Bearer ${dbg.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const type = r.headers.get('content-type') || '';
  const data = type.startsWith('application/json') ? await r.json() : await r.blob();
  if (!r.ok) {
    const msg = data && data.error ? data.error : `HTTP ${r.status}`;
    const err = new Error(r.status === 401 ? `${msg}: enter the token \`shadowcast run\` printed` : msg);
    err.status = r.status;
    throw err;
  }
  return data;
}

function showAnswer(text, isError = false) {
  const el = $('answer');
  el.textContent = text;
  el.className = isError ? 'answer error' : 'answer';
  if (isError) { dbg.errors++; dbg.lastError = text; }
}

// ---- the shadow shown: the paused one if any, else the one following ----
function shownShadow(st) {
  const alive = st.shadows.filter((s) => s.alive);
  return alive.find((s) => s.state === 'paused') || alive[0] || st.shadows[0];
}

async function pollStatus() {
  try {
    const st = await api('GET', '/status');
    dbg.status = st;
    $('conn').textContent = `connected · ${st.incidents_total} incident(s)`;
    $('conn').className = 'conn';
    $('p-tick').textContent = st.primary.next_tick;
    $('p-p99').textContent = st.primary.tick_p99_ms.toFixed(2);
    const s = shownShadow(st);
    $('s-slot').textContent = s.slot;
    $('s-state').textContent = s.state;
    $('s-tick').textContent = s.held_tick;
    $('s-lag').textContent = `${s.lag_ticks} ticks`;
    $('s-hash').textContent = s.hash;
    const inc = st.incident || st.last_incident;
    $('incident-now').textContent = inc && inc.error_tick !== undefined
      ? `incident ${inc.incident}: ${inc.detected} at tick ${inc.error_tick}` +
        (inc.injected ? ` (injected ${inc.injected})` : '') : '';
    if (s.state === 'paused' && s.capture && dbg.token) await showCapture(s.capture, dbg.stepDir);
  } catch (e) {
    $('conn').textContent = `status: ${e.message}`;
    $('conn').className = 'conn bad';
  }
}

// ---- the paused shadow's frame and state ----
let objectUrl = null;
async function showCapture(capture, step) {
  const base = `/captures/${encodeURIComponent(capture)}${step ? `/${encodeURIComponent(step)}` : ''}`;
  if (dbg.stateSource !== base) {
    try {
      const state = await api('GET', `${base}/state.json`);
      dbg.stateView = state;
      dbg.stateSource = base;
      renderState(state, base);
    } catch (e) { showAnswer(`state ${base}: ${e.message}`, true); return; }
  }
  if (dbg.frameSource !== base) {
    try {
      const png = await api('GET', `${base}/frame.png`);
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(png);
      $('s-frame').src = objectUrl;
      $('s-noframe').hidden = true;
    } catch { $('s-noframe').hidden = false; $('s-noframe').textContent = `no frame in ${base}`; }
    dbg.frameSource = base;
  }
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text;
  tr.appendChild(td);
}

function table(head, rows) {
  const t = document.createElement('table');
  const h = document.createElement('tr');
  for (const x of head) { const th = document.createElement('th'); th.textContent = x; h.appendChild(th); }
  t.appendChild(h);
  for (const r of rows) { const tr = document.createElement('tr'); r.forEach((x) => cell(tr, x)); t.appendChild(tr); }
  return t;
}

function renderState(s, source) {
  $('insp-src').textContent = `${source.replace('/captures/', '')} · holds tick ${s.held_tick}`;
  const box = $('inspector');
  box.replaceChildren();
  const fr = s.fault_record ? `kind ${s.fault_record.kind} at tick ${s.fault_record.tick} (detail ${s.fault_record.detail})` : 'none';
  box.appendChild(table(['', ''], [
    ['tick (next)', String(s.tick)], ['score', s.score.join(' : ')], ['goals', String(s.goals)],
    ['shadow hash', s.shadow_hash], ['primary hash', s.primary_hash ?? 'unknown'],
    ['fault record', fr], ['result', s.result ? `${s.result.outcome}: ${s.result.description ?? ''}` : '–'],
  ]));
  box.appendChild(table(['player', 'team', 'x', 'y', 'vx', 'vy', 'shield'], s.players.map((p) => [
    String(p.index + 1), String(p.team), p.x_px.toFixed(1), p.y_px.toFixed(1), p.vx_px.toFixed(2),
    p.vy_px.toFixed(2), p.shield ? 'up' : '']).concat([['puck', '', s.puck.x_px.toFixed(1),
    s.puck.y_px.toFixed(1), s.puck.vx_px.toFixed(2), s.puck.vy_px.toFixed(2), '']])));
  const pend = document.createElement('p');
  pend.className = 'muted';
  pend.textContent = `pending inputs: ${s.pending_inputs.length ? s.pending_inputs.join(' · ') : 'none'}`;
  box.appendChild(pend);
}

// ---- incidents ----
async function refreshIncidents() {
  if (!dbg.token) { showAnswer('Enter the API token (printed by `shadowcast run`).'); return; }
  try {
    const inc = await api('GET', '/incidents');
    dbg.incidents = inc;
    const ul = $('incidents');
    ul.replaceChildren();
    for (const c of inc.captures) {
      const li = document.createElement('li');
      const m = c.manifest || {};
      const f = m.fault || {};
      const a = document.createElement('a');
      a.textContent = c.name;
      a.addEventListener('click', () => { dbg.stepDir = null; dbg.stateSource = null; dbg.frameSource = null; showCapture(c.name, null); });
      li.appendChild(a);
      li.appendChild(document.createTextNode(m.incident
        ? ` · ${f.detected} (${f.detection_path}) at tick ${m.primary_error_tick}, holds ${m.held_tick}` +
          `${m.hashes_match ? ' · hashes match' : ''} · steps: ${c.steps.length}`
        : ` · manual capture, holds ${m.held_tick}`));
      const dl = document.createElement('a');
      dl.textContent = ' [tar]';
      dl.addEventListener('click', () => download(c.name));
      li.appendChild(dl);
      ul.appendChild(li);
    }
    if (!inc.captures.length) ul.innerHTML = '<li class="muted">no captures yet</li>';
  } catch (e) { showAnswer(`incidents: ${e.message}`, true); }
}

async function download(name) {
  try {
    const blob = await api('GET', `/captures/${encodeURIComponent(name)}.tar`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${name}.tar`;
    a.click();
  } catch (e) { showAnswer(`download: ${e.message}`, true); }
}

// ---- commands ----
async function command(label, method, path, body) {
  showAnswer(`${label}…`);
  try {
    const r = await api(method, path, body);
    dbg.answer = r;
    showAnswer(`${label}: ${r.message ?? JSON.stringify(r)}`);
    if (r.step_dir !== undefined) dbg.stepDir = r.step_dir;
    dbg.stateSource = null; // re-read the state (a step writes a new one)
    dbg.frameSource = null;
  } catch (e) {
    dbg.answer = { error: e.message, status: e.status };
    showAnswer(`${label}: ${e.message}`, true);
  }
  await pollStatus();
  await refreshIncidents();
}

function parseDelay(v) {
  const m = /^(\d+)(ms|s|t)$/.exec(v.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === 't' ? { ticks: n } : { ms: m[2] === 's' ? n * 1000 : n };
}

$('inject').addEventListener('click', () => { dbg.stepDir = null; command(`inject ${$('kind').value}`, 'POST', '/inject', { kind: $('kind').value }); });
for (const c of ['pause', 'resume', 'step-input', 'step-tick', 'capture'])
  $(c).addEventListener('click', () => { if (c === 'pause' || c === 'resume') dbg.stepDir = null; command(c, 'POST', `/shadow/${c}`, {}); });
$('set-delay').addEventListener('click', () => {
  const body = parseDelay($('delay').value);
  if (!body) { showAnswer('delay: give 500ms, 2s or 90t', true); return; }
  command('delay', 'POST', '/delay', body);
});

setInterval(pollStatus, 500);
startProfilePlot($('plot'), $('plot-legend'), api, dbg); // the primary's samples, condition and incident markers
setInterval(refreshIncidents, 3000);
pollStatus();
if (dbg.token) refreshIncidents();
else showAnswer('Enter the API token (printed by `shadowcast run`).');
