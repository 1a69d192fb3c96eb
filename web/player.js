// shadowcast player: connects to /stream (subprotocol shadowcast.v1, see
// docs/protocol.md), decodes H.264 with WebCodecs onto the canvas, sends
// keyboard/gamepad input, shows stats, reconnects with back-off.
import { codecFromAnnexB, profileName } from './h264.js';
import { InputSource } from './input.js';
import { AUDIO_MAGIC, GameAudio, MAX_HOLD_MS } from './audio.js';

const SUBPROTOCOL = 'shadowcast.v1';
const VIDEO_MAGIC = 0x31564353;
const CLOSE_TEXT = {
  1001: 'the server is stopping', 4400: 'the server rejected a malformed message',
  4408: 'no join in time', 4413: 'a message was too big', 4429: 'too many messages',
  4401: 'this server needs a token to join', 4503: 'the server is full',
};

const $ = (id) => document.getElementById(id);
const canvas = $('screen');
const ctx2d = canvas.getContext('2d', { alpha: false, desynchronized: true });
const params = new URLSearchParams(location.search);
// A role token (docs/protocol.md `join`) comes in the URL's fragment, which
// the browser never sends to a server or writes to its logs: #token=...
const TOKEN_KEY = 'shadowcast.join-token';
{
  const t = new URLSearchParams(location.hash.slice(1)).get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    history.replaceState(null, '', location.pathname + location.search); /* off the address bar */
  }
}
const joinToken = () => sessionStorage.getItem(TOKEN_KEY);

// Counters for people and tests.
const sc = {
  state: 'starting', connected: false, player: null, hello: null, codec: null,
  framesReceived: 0, framesDecoded: 0, keyframes: 0, bytesReceived: 0,
  framesSkipped: 0, framesLost: 0, decoderErrors: 0, reconnects: 0,
  inputsSent: 0, lastInputSeq: 0, acks: 0, lastAckTick: 0, lastFrameTick: 0,
  lastError: null, latency: {}, events: [], notices: [], chats: [], haptics: 0, rumbles: 0, lastHaptic: null,
};
window.shadowcast = sc;

function setState(s) { sc.state = s; $('state').textContent = s; }

const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function notice(html, kind = 'error') {
  const el = $('notice');
  if (!html) { el.hidden = true; return; }
  el.className = `notice ${kind}`;
  el.innerHTML = html;
  el.hidden = false;
}

function fatal(title, what) {
  sc.lastError = `${title}: ${what.replace(/<[^>]+>/g, '')}`;
  setState(title);
  notice(`<h2>${title}</h2>${what}`);
  console.error(sc.lastError);
}

// ---- the game's sound (web/audio.js); ?mute=1 starts muted ----
const audio = new GameAudio(sc, { statusEl: $('audio-status'), muteEl: $('mute'), muted: params.get('mute') === '1' });

// ---- which slot to join (URL: ?player=1..8 | auto, ?spectate) ----
function wantedSlot() {
  if (params.has('spectate')) return 'spectate';
  const p = params.get('player');
  if (p === null || p === 'auto') return 'auto';
  const n = Number(p);
  return Number.isInteger(n) && n >= 1 && n <= 8 ? String(n) : 'auto';
}
let slot = wantedSlot();
$('slot').value = slot;
$('join').addEventListener('click', () => {
  slot = $('slot').value;
  const u = new URL(location.href);
  u.searchParams.delete('player'); u.searchParams.delete('spectate');
  if (slot === 'spectate') u.searchParams.set('spectate', ''); else u.searchParams.set('player', slot);
  history.replaceState(null, '', u);
  reconnectNow();
});

function joinMessage() {
  const m = slot === 'spectate' ? { type: 'join', spectate: true }
    : slot === 'auto' ? { type: 'join', player: 'auto' } : { type: 'join', player: Number(slot) - 1 };
  if (GameAudio.available()) m.audio = true;
  const token = joinToken();
  if (token) m.token = token;
  return m;
}

// ---- clock: server monotonic µs -> performance.now() ms ----
const clock = { samples: [], offsetMs: null };
function onPong(m) {
  if (typeof m.t !== 'number') return;
  const now = performance.now();
  const rtt = now - m.t;
  clock.samples.push({ rtt, offset: m.server_us / 1000 - (m.t + rtt / 2) });
  if (clock.samples.length > 10) clock.samples.shift();
  clock.offsetMs = clock.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a)).offset;
  record('rtt', rtt);
}
const serverNsToLocal = (ns) => Number(ns / 1000n) / 1000 - clock.offsetMs;

// ---- latency samples ----
const series = {};
function record(name, v) {
  if (!Number.isFinite(v)) return;
  (series[name] ||= []).push(v);
  if (series[name].length > 120) series[name].shift();
}
function median(name) {
  const s = series[name];
  if (!s || !s.length) return null;
  const a = [...s].sort((x, y) => x - y);
  return a[a.length >> 1];
}

// ---- decoder ----
let decoder = null;
let waitKey = true;
let lastFrameNumber = null;
const inflight = new Map(); // chunk timestamp -> {recv, tick, encodeDoneNs, captureNs}
const pendingInputs = new Map(); // seq -> sent ms
const ackedInputs = []; // {tick, sent}
// input-to-display latencies measured here, reported to the server once a
// second in a `latency` message (docs/protocol.md): /metrics and the profile
const latencyOut = [];
sc.latencyReports = 0;

function requestKeyframe() { send({ type: 'keyframe' }); }

// Decoded frames wait for their sound (web/audio.js: the first sample of
// their tick heard), at most MAX_HOLD_MS; in order, never reordered.
const held = [];
let holdTimer = null;
function onDecoded(frame) {
  const info = inflight.get(frame.timestamp);
  inflight.delete(frame.timestamp);
  const now = performance.now();
  const at = info && sc.hello ? audio.videoTime(info.tick, sc.hello.fps) : null;
  const when = at !== null && at > now + 1 && at < now + MAX_HOLD_MS ? at : now;
  if (!held.length && when === now) { present(frame, info); return; }
  held.push({ frame, info, queued: now, when: Math.max(when, held.length ? held[held.length - 1].when : 0) });
  presentHeld();
}
function presentHeld() {
  clearTimeout(holdTimer);
  holdTimer = null;
  while (held.length && held[0].when <= performance.now() + 1) {
    // the sound may have moved on since (a new chain after a gap): follow it
    const h = held[0];
    const now = performance.now();
    const at = h.info && sc.hello ? audio.videoTime(h.info.tick, sc.hello.fps) : null;
    if (at !== null && at > now + 1 && at < h.queued + MAX_HOLD_MS) { h.when = at; break; }
    held.shift();
    present(h.frame, h.info);
  }
  if (held.length) holdTimer = setTimeout(presentHeld, held[0].when - performance.now());
}
function dropHeld() {
  clearTimeout(holdTimer);
  holdTimer = null;
  for (const h of held.splice(0)) h.frame.close();
}

function present(frame, info) {
  if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
    canvas.width = frame.displayWidth;
    canvas.height = frame.displayHeight;
  }
  ctx2d.drawImage(frame, 0, 0);
  frame.close();
  const now = performance.now();
  sc.framesDecoded++;
  decodedTimes.push(now);
  if (!info) return;
  sc.lastFrameTick = info.tick;
  if (sc.hello) audio.onVideoShown(info.tick, now, sc.hello.fps);
  record('decode', now - info.recv);
  // input-to-display: the first frame at or after the tick an input was applied at
  for (let i = ackedInputs.length - 1; i >= 0; i--) {
    if (info.tick >= ackedInputs[i].tick) {
      const ms = now - ackedInputs[i].sent;
      record('input', ms);
      if (ms >= 0 && ms <= 60000 && latencyOut.length < 32) latencyOut.push(Math.round(ms * 10) / 10);
      ackedInputs.splice(i, 1);
    }
  }
}

function onDecoderError(e) {
  sc.decoderErrors++;
  sc.lastError = `decoder: ${e.message}`;
  console.warn('decoder error, waiting for a keyframe:', e);
  resetDecoder();
  requestKeyframe();
}

function resetDecoder() {
  dropHeld();
  if (decoder && decoder.state !== 'closed') decoder.close();
  decoder = null;
  waitKey = true;
  inflight.clear();
}

async function configure(codec, width, height) {
  const config = { codec, codedWidth: width, codedHeight: height, optimizeForLatency: true };
  let support;
  try {
    support = await VideoDecoder.isConfigSupported(config);
  } catch (e) {
    support = { supported: false, error: e };
  }
  if (!support.supported) {
    fatal('This browser cannot decode the stream',
      `<p>The server sends H.264 (${profileName(codec)}, codec <code>${codec}</code>), and this browser's
       WebCodecs <code>VideoDecoder</code> says it cannot decode it${support.error ? ` (${support.error.message})` : ''}.</p>
       <p>What to do: use a browser with H.264 support in WebCodecs — current Chrome, Edge or Safari, or
       Chromium built with proprietary codecs (Debian's <code>chromium</code> package is); on Firefox,
       enable the OpenH264 plugin under Add-ons → Plugins.</p>`);
    return false;
  }
  decoder = new VideoDecoder({ output: onDecoded, error: onDecoderError });
  decoder.configure(config);
  sc.codec = codec;
  return true;
}

let configuring = null;
async function onVideo(buf) {
  const dv = new DataView(buf);
  if (buf.byteLength < 40 || dv.getUint32(0, true) !== VIDEO_MAGIC) {
    sc.lastError = 'bad video message';
    return;
  }
  const hdrBytes = dv.getUint16(6, true);
  const keyframe = (dv.getUint32(8, true) & 1) !== 0;
  const tick = dv.getUint32(12, true);
  const frameNumber = dv.getBigUint64(16, true);
  const captureNs = dv.getBigUint64(24, true);
  const encodeDoneNs = dv.getBigUint64(32, true);
  const recv = performance.now();
  const au = new Uint8Array(buf, hdrBytes);

  sc.framesReceived++;
  sc.bytesReceived += buf.byteLength;
  bytesLog.push([recv, buf.byteLength]);
  if (keyframe) sc.keyframes++;
  if (lastFrameNumber !== null && frameNumber > lastFrameNumber + 1n)
    sc.framesLost += Number(frameNumber - lastFrameNumber - 1n); // dropped by the server
  lastFrameNumber = frameNumber;
  record('encode', Number(encodeDoneNs - captureNs) / 1e6);
  if (clock.offsetMs !== null) record('network', recv - serverNsToLocal(encodeDoneNs));

  if (waitKey && !keyframe) { sc.framesSkipped++; return; }
  if (!decoder) {
    if (!keyframe) { sc.framesSkipped++; return; }
    const codec = codecFromAnnexB(au);
    if (!codec) { sc.lastError = 'keyframe without SPS'; return; }
    configuring ||= configure(codec, sc.hello.width, sc.hello.height).finally(() => { configuring = null; });
    if (!(await configuring) || !decoder) return;
  }
  // never let the decoder fall behind: drop to the next keyframe instead
  if (!keyframe && decoder.decodeQueueSize > 4) {
    sc.framesSkipped++;
    waitKey = true;
    requestKeyframe();
    return;
  }
  waitKey = false;
  const timestamp = Number(frameNumber);
  inflight.set(timestamp, { recv, tick, encodeDoneNs, captureNs });
  if (inflight.size > 64) inflight.delete(inflight.keys().next().value);
  try {
    decoder.decode(new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp, data: au }));
  } catch (e) {
    onDecoderError(e);
  }
}

// ---- connection ----
let ws = null;
let attempt = 0;
let retryTimer = null;
let pingTimer = null;
let seq = 0;

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

const input = new InputSource(window, (fields) => {
  if (!sc.connected || sc.player === null || sc.player < 0) return;
  seq++;
  const t = performance.now();
  pendingInputs.set(seq, t);
  if (pendingInputs.size > 256) pendingInputs.delete(pendingInputs.keys().next().value);
  send({ type: 'input', seq, ...fields, t });
  sc.inputsSent++;
  sc.lastInputSeq = seq;
});

function onControl(m) {
  switch (m.type) {
  case 'hello':
    sc.hello = m;
    sc.player = m.player;
    attempt = 0;
    notice(null);
    setState(m.player < 0 ? 'spectating' : `playing as Player ${m.player + 1}`);
    input.reset();
    input.enabled = m.player >= 0;
    audio.start(m.audio || null);
    canvas.focus();
    // a few quick pings for a good clock offset (the lowest-RTT sample wins)
    for (let i = 0; i < 5; i++) setTimeout(() => send({ type: 'ping', t: performance.now() }), 100 * i);
    break;
  case 'ack': {
    sc.acks++;
    sc.lastAckTick = m.tick;
    const sent = pendingInputs.get(m.seq);
    pendingInputs.delete(m.seq);
    if (sent !== undefined) {
      ackedInputs.push({ tick: m.tick, sent });
      if (ackedInputs.length > 64) ackedInputs.shift();
      record('ack', performance.now() - sent);
    }
    break;
  }
  case 'pong':
    onPong(m);
    break;
  case 'error':
    sc.lastError = `${m.code}: ${m.message}`;
    if (m.code === 'no_free_slot') {
      notice(`All player slots are taken — watching as a spectator. (${m.message})`, 'info');
      slot = 'spectate';
      send(joinMessage());
    } else if (m.code === 'player_taken' || m.code === 'bad_player') {
      notice(`${m.message}. Choose another slot above, or spectate.`, 'info');
      setState('not joined');
    } else {
      console.warn('server error', m);
    }
    break;
  case 'event':
    sc.events.push(m.event);
    if (sc.events.length > 50) sc.events.shift();
    $('events').textContent = sc.events.slice(-8).map((e) => JSON.stringify(e)).join('\n');
    break;
  case 'haptic':
    // only this client's player's: the server sends each to its player's connection
    sc.haptics++;
    sc.lastHaptic = m;
    if (input.rumble(m.duration_ms, m.strong, m.weak)) sc.rumbles++;
    break;
  case 'chat': {
    sc.chats.push({ tick: m.tick, player: m.player, text: m.text });
    if (sc.chats.length > 50) sc.chats.shift();
    // text only, never HTML: whatever a player typed stays text
    $('chat').textContent = sc.chats.slice(-8).map((c) => `Player ${c.player + 1}: ${c.text}`).join('\n');
    break;
  }
  case 'notice': {
    sc.notices.push(m.notice);
    if (sc.notices.length > 50) sc.notices.shift();
    const line = (n) => {
      const who = Number.isInteger(n.player) ? `Player ${n.player + 1}` : '';
      switch (n.kind) {
      case 'player_joined': return `${who} joined`;
      case 'player_left': return `${who} left`;
      case 'player_disconnected': return `${who} disconnected`;
      case 'spectators': return `${Number(n.count)} watching`;
      case 'pause': return n.paused ? `a developer paused the shadow at tick ${n.held_tick} (the game goes on)`
        : 'the developer resumed the shadow';
      case 'incident': return `incident ${n.incident} at tick ${n.tick}: the game is recovering`;
      case 'match_start': return n.restored ? `match restored at tick ${n.tick}` : `new match at tick ${n.tick}`;
      default: return n.kind;
      }
    };
    // text only, never HTML
    $('notices').textContent = sc.notices.slice(-6).map(line).join('\n');
    break;
  }
  default:
    break;
  }
}

// The chat line: at most 200 UTF-8 bytes (the server's limit, docs/protocol.md).
$('chatform').addEventListener('submit', (e) => {
  e.preventDefault();
  const field = $('chattext');
  // the server closes on control characters and lone surrogates: send neither
  const cps = Array.from(field.value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim())
    .filter((ch) => !/^[\ud800-\udfff]$/.test(ch));
  const enc = new TextEncoder();
  while (cps.length && enc.encode(cps.join('')).length > 200) cps.pop();
  const text = cps.join('');
  if (!text || sc.player === null || sc.player < 0) return;
  send({ type: 'chat', text });
  field.value = '';
  canvas.focus();
});

function connect() {
  clearTimeout(retryTimer);
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/stream`;
  setState(attempt ? `reconnecting (try ${attempt + 1})…` : 'connecting…');
  const sock = new WebSocket(url, SUBPROTOCOL);
  ws = sock;
  sock.binaryType = 'arraybuffer';
  sock.onopen = () => {
    sc.connected = true;
    seq = 0;
    lastFrameNumber = null;
    latencyOut.length = 0; /* the last connection's */
    resetDecoder();
    setState('joining…');
    send(joinMessage());
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      send({ type: 'ping', t: performance.now() });
      if (latencyOut.length) {
        send({ type: 'latency', input_ms: latencyOut.splice(0) });
        sc.latencyReports++;
      }
    }, 1000);
  };
  sock.onmessage = (e) => {
    if (typeof e.data === 'string') onControl(JSON.parse(e.data));
    else if (e.data.byteLength >= 4 && new DataView(e.data).getUint32(0, true) === AUDIO_MAGIC) audio.onPacket(e.data);
    else onVideo(e.data);
  };
  sock.onclose = (e) => {
    if (ws !== sock) return;
    sc.connected = false;
    sc.player = null;
    input.enabled = false;
    clearInterval(pingTimer);
    resetDecoder();
    audio.stop();
    const why = `${CLOSE_TEXT[e.code] || 'connection lost'} (code ${e.code}${e.reason ? `: ${e.reason}` : ''})`;
    sc.lastError = why;
    if (e.code === 4401) { /* retrying would only count as more wrong tokens */
      sessionStorage.removeItem(TOKEN_KEY);
      setState('not joined: token needed');
      notice(`Not joined: ${esc(why)}. Open this page with <code>#token=YOUR_TOKEN</code> at the end of its address.`,
        'error');
      return;
    }
    const delay = Math.min(10000, 500 * 2 ** attempt) * (0.8 + 0.4 * Math.random());
    attempt++;
    sc.reconnects++;
    setState(`disconnected — retrying in ${(delay / 1000).toFixed(1)} s`);
    notice(`Disconnected: ${esc(why)}. Reconnecting in ${(delay / 1000).toFixed(1)} s…`, 'info');
    retryTimer = setTimeout(connect, delay);
  };
}

function reconnectNow() {
  attempt = 0;
  if (ws) { const old = ws; ws = null; old.close(1000); }
  sc.connected = false;
  connect();
}

// ---- stats overlay ----
const decodedTimes = [];
const bytesLog = [];
const showStats = params.get('stats') !== '0';
if (!showStats) $('stats').hidden = true;
function fmt(v, unit = 'ms') { return v === null ? '–' : `${v.toFixed(1)} ${unit}`; }
function updateStats() {
  const now = performance.now();
  while (decodedTimes.length && decodedTimes[0] < now - 2000) decodedTimes.shift();
  while (bytesLog.length && bytesLog[0][0] < now - 2000) bytesLog.shift();
  const fps = decodedTimes.length / 2;
  const kbps = bytesLog.reduce((s, b) => s + b[1], 0) * 8 / 2 / 1000;
  const lat = sc.latency;
  lat.encode = median('encode'); lat.network = median('network'); lat.decode = median('decode');
  lat.input = median('input'); lat.ack = median('ack'); lat.rtt = median('rtt');
  sc.fps = fps;
  sc.kbps = kbps;
  if (!showStats) return;
  const h = sc.hello;
  const enc = h ? `${h.encoder}${h.encoder_fallback_reason ? ` (fallback: ${h.encoder_fallback_reason})` : ''}` : '–';
  $('stats').textContent = [
    `${h ? `${h.width}x${h.height}@${h.fps}` : ''} ${sc.codec ? `${sc.codec} (${profileName(sc.codec)})` : ''}`,
    `fps        ${fps.toFixed(1)}`,
    `bitrate    ${kbps.toFixed(0)} kbit/s`,
    `dropped    ${sc.framesLost} by server, ${sc.framesSkipped} skipped here`,
    `encoder    ${enc}`,
    `latency    tick→encoded ${fmt(lat.encode)}`,
    `           network      ${fmt(lat.network)}`,
    `           decode       ${fmt(lat.decode)}`,
    `           input→display ${fmt(lat.input)} (ack ${fmt(lat.ack)}, rtt ${fmt(lat.rtt)})`,
    `player     ${sc.player === null ? '–' : sc.player < 0 ? 'spectator' : sc.player + 1}  ack tick ${sc.lastAckTick}`,
    `audio      ${sc.audioState}${sc.audioMuted ? ' (muted)' : ''}, ${sc.audioFramesDecoded} decoded, ` +
      `a/v ${sc.audioVideoOffsetMs === null ? '–' : `${sc.audioVideoOffsetMs.toFixed(1)} ms`}`,
  ].join('\n');
}
setInterval(updateStats, 500);

function loop() {
  input.poll();
  requestAnimationFrame(loop);
}

// ---- start: never fail silently ----
function start() {
  if (!('WebSocket' in window)) {
    fatal('No WebSocket support', 'This browser has no WebSocket. Use a current browser.');
    return;
  }
  if (typeof VideoDecoder === 'undefined' || typeof EncodedVideoChunk === 'undefined') {
    const insecure = !window.isSecureContext;
    fatal('This browser cannot play the stream: WebCodecs is missing',
      insecure
        ? `<p>WebCodecs (<code>VideoDecoder</code>) only exists in secure contexts, and this page was
           opened over plain HTTP from <code>${location.host}</code>.</p>
           <p>What to do: open it as <code>http://localhost:${location.port || 80}/</code> (through an SSH
           tunnel: <code>ssh -L ${location.port || 80}:localhost:${location.port || 80} HOST</code>), serve it over
           HTTPS, or in Chrome list this origin under
           <code>chrome://flags/#unsafely-treat-insecure-origin-as-secure</code>.</p>`
        : `<p>This browser has no WebCodecs <code>VideoDecoder</code>.</p>
           <p>What to do: use a current Chrome, Edge, Safari (16.4+) or Firefox (130+).</p>`);
    return;
  }
  connect();
  requestAnimationFrame(loop);
}
start();
