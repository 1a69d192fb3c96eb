// A shadowcast.v1 client written from docs/protocol.md: join, inputs, acks,
// pings and the binary video header. Counts what it receives.
import WebSocket from 'ws';

export const SUBPROTOCOL = 'shadowcast.v1';
export const VIDEO_MAGIC = 0x31564353; // "SCV1"

export function parseVideoHeader(buf) {
  if (buf.length < 40) throw new Error(`video message of ${buf.length} bytes is shorter than its header`);
  const h = {
    magic: buf.readUInt32LE(0),
    version: buf.readUInt16LE(4),
    headerBytes: buf.readUInt16LE(6),
    flags: buf.readUInt32LE(8),
    tick: buf.readUInt32LE(12),
    frameNumber: buf.readBigUInt64LE(16),
    captureNs: buf.readBigUInt64LE(24),
    encodeDoneNs: buf.readBigUInt64LE(32),
  };
  h.keyframe = (h.flags & 1) !== 0;
  h.au = buf.subarray(h.headerBytes);
  return h;
}

export class Client {
  constructor(url, { name = 'client' } = {}) {
    this.url = url;
    this.name = name;
    this.frames = 0;
    this.keyframes = 0;
    this.bytes = 0;
    this.frameTimes = [];
    this.headers = [];
    this.messages = [];
    this.acks = [];
    this.errors = [];
    this.hello = null;
    this.close = null;
    this.seq = 0;
    this.keepHeaders = 0;
    this.listeners = [];
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, SUBPROTOCOL, { perMessageDeflate: false });
      this.ws = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => resolve(this));
      ws.on('error', (e) => { if (!this.close) reject(e); });
      ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
      ws.on('close', (code, reason) => {
        this.close = { code, reason: reason.toString(), at: performance.now() };
        this.emit({ type: '__close' });
        reject(new Error(`${this.name}: closed before open (${code})`));
      });
    });
  }

  onMessage(data, isBinary) {
    if (isBinary) {
      const h = parseVideoHeader(data);
      if (h.magic !== VIDEO_MAGIC) throw new Error(`${this.name}: bad video magic ${h.magic.toString(16)}`);
      if (this.frames === 0 && !h.keyframe) throw new Error(`${this.name}: first video frame is not a keyframe`);
      this.frames++;
      this.keyframes += h.keyframe ? 1 : 0;
      this.bytes += data.length;
      this.frameTimes.push(performance.now());
      if (this.headers.length < this.keepHeaders) this.headers.push(h);
      this.emit({ type: '__frame', header: h });
      return;
    }
    const msg = JSON.parse(data.toString());
    this.messages.push(msg);
    if (msg.type === 'hello') this.hello = msg;
    if (msg.type === 'ack') this.acks.push(msg);
    if (msg.type === 'error') this.errors.push(msg);
    this.emit(msg);
  }

  emit(msg) {
    for (const l of [...this.listeners]) if (l.pred(msg)) { this.listeners.splice(this.listeners.indexOf(l), 1); l.resolve(msg); }
  }

  // Resolves with the first message (already received after index `from`,
  // or arriving later) that matches pred.
  waitFor(pred, ms = 10000, what = 'message', from = 0) {
    const found = this.messages.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const l = { pred };
      const t = setTimeout(() => {
        this.listeners.splice(this.listeners.indexOf(l), 1);
        reject(new Error(`${this.name}: no ${what} within ${ms} ms`));
      }, ms);
      l.resolve = (m) => { clearTimeout(t); resolve(m); };
      this.listeners.push(l);
    });
  }

  waitFrames(n, ms = 15000) {
    if (this.frames >= n) return Promise.resolve();
    return this.waitFor(() => this.frames >= n, ms, `${n} frames (got ${this.frames})`)
      .catch((e) => { throw new Error(`${e.message}; got ${this.frames}`); });
  }

  waitClose(ms = 10000) {
    if (this.close) return Promise.resolve(this.close);
    return this.waitFor((m) => m.type === '__close', ms, 'close').then(() => this.close);
  }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }

  // token: the role's token (docs/protocol.md `join`), sent when given.
  async join(player, token = null) {
    const from = this.messages.length;
    const msg = player === 'spectate' ? { type: 'join', spectate: true } : { type: 'join', player };
    if (token !== null) msg.token = token;
    this.send(msg);
    return this.waitFor((m) => m.type === 'hello' || m.type === 'error', 10000, 'hello', from);
  }

  input(fields) {
    const seq = ++this.seq;
    this.send({ type: 'input', seq, ...fields });
    return seq;
  }

  waitAck(seq, ms = 5000) { return this.waitFor((m) => m.type === 'ack' && m.seq === seq, ms, `ack ${seq}`); }

  // Frames received in [t0, t1) (performance.now() ms).
  framesBetween(t0, t1) { return this.frameTimes.filter((t) => t >= t0 && t < t1).length; }

  terminate() { try { this.ws.terminate(); } catch { /* closed */ } }
}
