// Load clients for `shadowcast bench pipeline` (bench/bench_pipeline.c runs it).
//   node pipeline_clients.mjs latency URL SECONDS
//     joins as player 0, sends an input every 100 ms; per ack, the time from
//     the server's arrival stamp (ack.arrival_us, CLOCK_MONOTONIC) to the
//     first video frame with tick >= ack.tick coming off the socket (Node's
//     hrtime is CLOCK_MONOTONIC too, same machine). Prints one JSON line.
//   node pipeline_clients.mjs latency_av URL SECONDS
//     the same, joined with "audio": true (the Opus packets come in between
//     the frames) and shooting, so the game makes events and sound; counts
//     the audio packets and event-class messages it got.
//   node pipeline_clients.mjs fanout URL N SECONDS [raw]
//     N clients (spectators; `raw`: no join, for the Node relay); once each has
//     a frame, prints "WINDOW_START", counts frames and bytes for SECONDS,
//     prints "WINDOW_END {json}".
import WebSocket from 'ws';

const [mode, url, ...rest] = process.argv.slice(2);
const nowNs = () => process.hrtime.bigint();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null; };

function open(join) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'shadowcast.v1', { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    const t = setTimeout(() => reject(new Error(`no connection to ${url} in 10 s`)), 10000);
    ws.on('open', () => {
      clearTimeout(t);
      if (join !== null) ws.send(JSON.stringify({ type: 'join', ...join }));
      resolve(ws);
    });
    ws.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

async function latency(seconds, av) {
  const ws = await open(av ? { player: 0, audio: true } : { player: 0 });
  const pending = [];
  const lat = [];
  const enc = [];
  let seq = 0;
  let frames = 0;
  let audio = 0;
  let events = 0;
  let hello = null;
  ws.on('message', (data, isBinary) => {
    if (isBinary && data.readUInt32LE(0) === 0x31414353) { audio++; return; } // "SCA1": audio
    if (isBinary) {
      const t = nowNs();
      frames++;
      const tick = data.readUInt32LE(12);
      enc.push(Number(data.readBigUInt64LE(32) - data.readBigUInt64LE(24)) / 1e6);
      for (let i = pending.length - 1; i >= 0; i--)
        if (tick >= pending[i].tick) { lat.push(Number(t - pending[i].arrivalNs) / 1e6); pending.splice(i, 1); }
      return;
    }
    const m = JSON.parse(data.toString());
    if (m.type === 'hello') hello = m;
    if (m.type === 'event' || m.type === 'notice' || m.type === 'haptic' || m.type === 'chat') events++;
    if (m.type === 'ack') pending.push({ tick: m.tick, arrivalNs: BigInt(m.arrival_us) * 1000n });
  });
  await sleep(1000);
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    // with audio and events: shoot too, so the game makes hits and sound
    ws.send(JSON.stringify({ type: 'input', seq: ++seq, move: [seq % 2 ? 127 : -127, av ? (seq % 4 < 2 ? 127 : -127) : 0],
      ...(av ? { shoot: seq % 5 === 0 } : {}) }));
    await sleep(100);
  }
  await sleep(300);
  ws.terminate();
  console.log(JSON.stringify({ n: lat.length, inputs: seq, frames, p50_ms: pct(lat, 0.5), p99_ms: pct(lat, 0.99),
    max_ms: pct(lat, 1), tick_to_encoded_p50_ms: pct(enc, 0.5), tick_to_encoded_p99_ms: pct(enc, 0.99), audio_packets: audio, events,
    audio_on: !!(hello && hello.audio) }));
}

async function fanout(n, seconds, raw) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = { frames: 0, bytes: 0, inWindow: false };
    c.ws = await open(raw ? null : { spectate: true });
    c.ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      if (!c.first) c.first = true;
      if (c.inWindow) { c.frames++; c.bytes += data.length; }
    });
    clients.push(c);
  }
  const ready = Date.now() + 15000;
  while (clients.some((c) => !c.first) && Date.now() < ready) await sleep(50);
  await sleep(500);
  console.log('WINDOW_START');
  const t0 = performance.now();
  for (const c of clients) c.inWindow = true;
  await sleep(seconds * 1000);
  for (const c of clients) c.inWindow = false;
  const s = (performance.now() - t0) / 1000;
  const fps = clients.map((c) => c.frames / s);
  console.log(`WINDOW_END ${JSON.stringify({ clients: n, seconds: s, fps: fps.reduce((a, b) => a + b, 0) / n,
    min_fps: Math.min(...fps), bytes: clients.reduce((a, c) => a + c.bytes, 0) })}`);
  for (const c of clients) c.ws.terminate();
}

const timer = setTimeout(() => { console.error('pipeline_clients: overall timeout'); process.exit(3); },
  120000 + 1000 * Number(mode === 'fanout' ? rest[1] || 5 : rest[0] || 10));
try {
  if (mode === 'latency') await latency(Number(rest[0] || 10), false);
  else if (mode === 'latency_av') await latency(Number(rest[0] || 10), true);
  else if (mode === 'fanout') await fanout(Number(rest[0]), Number(rest[1] || 5), rest[2] === 'raw');
  else throw new Error(`usage: pipeline_clients.mjs latency|latency_av URL SECONDS | fanout URL N SECONDS [raw]`);
} catch (e) {
  console.error(`pipeline_clients: ${e.message}`);
  process.exit(1);
}
clearTimeout(timer);
process.exit(0);
