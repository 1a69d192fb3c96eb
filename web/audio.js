// shadowcast player: the game's sound. Binary SCA1 messages (docs/protocol.md
// §5a) carry Opus packets; WebCodecs AudioDecoder decodes them and WebAudio
// plays them back to back behind a small jitter buffer. The video is
// scheduled against the sound: each packet's header says which game sample it
// starts at, so the page knows when the first sample of every tick is heard
// (heardAt), and player.js shows a decoded frame of tick T then, not earlier
// (it never waits more than MAX_HOLD_MS; while muted or without sound, frames
// are shown as soon as decoded). Counters on window.shadowcast:
// audioPacketsReceived, audioFramesDecoded, audioScheduled, audioLate (a
// buffer that found the previous one finished: a gap), audioVideoOffsetMs
// (measured: when a tick's first sample is heard minus when its frame was
// drawn, median of the last 60 frames), audioState, audioMuted.
export const AUDIO_MAGIC = 0x31414353;
const RATE = 48000;
const JITTER_S = 0.03;     // a new chain of buffers starts this far ahead
const MAX_AHEAD_S = 0.3;   // a chain further ahead than this starts again
export const MAX_HOLD_MS = 250; // a frame is never held longer for its sound

export class GameAudio {
  constructor(sc, { statusEl, muteEl, muted }) {
    this.sc = sc;
    this.statusEl = statusEl;
    this.muteEl = muteEl;
    Object.assign(sc, {
      audioState: 'off', audioSupported: null, audioPacketsReceived: 0, audioFramesDecoded: 0,
      audioScheduled: 0, audioLate: 0, audioDecoderErrors: 0, audioVideoOffsetMs: null, audioMuted: !!muted,
    });
    this.ctx = null;
    this.gain = null;
    this.decoder = null;
    this.info = null;
    this.nextPos = null;    // sample position right after the last scheduled buffer
    this.nextCtxTime = 0;
    this.scheduled = [];    // {pos, n, perf}: when each scheduled buffer is heard (performance.now ms)
    this.offsets = [];
    muteEl.addEventListener('click', () => this.setMuted(!this.sc.audioMuted));
    const unlock = () => { if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().then(() => this.show()); };
    window.addEventListener('pointerdown', unlock);
    window.addEventListener('keydown', unlock);
    this.show();
  }

  // Whether to ask the server for audio at all.
  static available() { return typeof AudioDecoder !== 'undefined' && typeof AudioContext !== 'undefined'; }

  show(text) {
    const s = this.sc;
    if (text !== undefined) this.statusEl.textContent = text;
    if (s.audioState === 'playing')
      this.statusEl.textContent = this.ctx && this.ctx.state === 'suspended' ? 'sound: click or press a key to start it' : '';
    this.muteEl.textContent = s.audioMuted ? 'Sound off' : 'Sound on';
    this.muteEl.setAttribute('aria-pressed', String(s.audioMuted));
  }

  setMuted(m) {
    this.sc.audioMuted = m;
    if (this.gain) this.gain.gain.value = m ? 0 : 1;
    if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().then(() => this.show());
    this.show();
  }

  // hello.audio: null when the server sends none (or this page did not ask).
  async start(info) {
    this.stop();
    this.info = info;
    const s = this.sc;
    if (!GameAudio.available()) {
      s.audioState = 'unsupported';
      s.audioSupported = false;
      this.show('No sound: this browser has no WebCodecs AudioDecoder (or no WebAudio); the video plays on. ' +
        'Use a current Chrome, Edge or Firefox for sound.');
      return;
    }
    if (!info) {
      s.audioState = 'off';
      this.show('sound: the server sends none');
      return;
    }
    const config = { codec: 'opus', sampleRate: info.sample_rate, numberOfChannels: info.channels };
    let support;
    try {
      support = await AudioDecoder.isConfigSupported(config);
    } catch (e) {
      support = { supported: false, error: e };
    }
    s.audioSupported = !!support.supported;
    if (!support.supported) {
      s.audioState = 'unsupported';
      this.show('No sound: this browser cannot decode Opus audio (WebCodecs AudioDecoder); the video plays on. ' +
        'Use a current Chrome, Edge or Firefox for sound.');
      return;
    }
    this.ctx ||= new AudioContext({ sampleRate: RATE, latencyHint: 'interactive' });
    if (!this.gain) {
      this.gain = this.ctx.createGain();
      this.gain.connect(this.ctx.destination);
    }
    this.gain.gain.value = s.audioMuted ? 0 : 1;
    this.decoder = new AudioDecoder({ output: (d) => this.onDecoded(d), error: (e) => this.onError(e) });
    this.decoder.configure(config);
    s.audioState = 'playing';
    this.show('');
  }

  stop() {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.nextPos = null;
    this.scheduled = [];
  }

  onError(e) {
    this.sc.audioDecoderErrors++;
    this.sc.lastError = `audio decoder: ${e.message}`;
    const info = this.info;
    this.stop();
    this.start(info); // a fresh decoder; the next packet starts it again
  }

  // Whether frames wait for their sound: playing, audible.
  leads() {
    return this.sc.audioState === 'playing' && !this.sc.audioMuted && this.ctx && this.ctx.state === 'running' &&
      this.scheduled.length > 0;
  }

  // When game sample `pos` is heard (performance.now ms): from the buffer
  // that holds it, else extrapolated from the newest one (its packet has not
  // arrived yet); null without sound.
  heardAt(pos) {
    if (!this.scheduled.length) return null;
    let b = this.scheduled[this.scheduled.length - 1];
    for (let i = this.scheduled.length - 1; i >= 0; i--)
      if (pos >= this.scheduled[i].pos) { b = this.scheduled[i]; break; }
    return b.perf + (pos - b.pos) / (RATE / 1000);
  }

  // When to show a frame of `tick`: when its first sample is heard; null = now.
  videoTime(tick, fps) {
    return this.leads() ? this.heardAt(Math.floor(tick * RATE / fps)) : null;
  }

  // A video frame of `tick` was drawn at local time `now` (performance.now ms).
  onVideoShown(tick, now, fps) {
    if (!this.leads()) return;
    const at = this.heardAt(Math.floor(tick * RATE / fps));
    if (at === null) return;
    this.offsets.push(at - now);
    if (this.offsets.length > 60) this.offsets.shift();
    const a = [...this.offsets].sort((x, y) => x - y);
    this.sc.audioVideoOffsetMs = a[a.length >> 1];
  }

  onPacket(buf) {
    const s = this.sc;
    s.audioPacketsReceived++;
    if (!this.decoder || this.decoder.state !== 'configured') return;
    const dv = new DataView(buf);
    if (buf.byteLength < 48 || dv.getUint32(0, true) !== AUDIO_MAGIC) { s.lastError = 'bad audio message'; return; }
    const hdr = dv.getUint16(6, true);
    const pos = Number(dv.getBigUint64(16, true));
    // timestamps in µs of game time: AudioData keeps the position for us
    this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: Math.round(pos * 1e6 / RATE),
      data: new Uint8Array(buf, hdr) }));
  }

  onDecoded(data) {
    const s = this.sc;
    s.audioFramesDecoded++;
    const n = data.numberOfFrames;
    const pos = Math.round(data.timestamp * RATE / 1e6) - (this.info?.lookahead_samples || 0);
    const ctx = this.ctx;
    const buffer = ctx.createBuffer(data.numberOfChannels, n, data.sampleRate);
    for (let c = 0; c < data.numberOfChannels; c++) {
      const plane = new Float32Array(n);
      data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
      buffer.copyToChannel(plane, c);
    }
    data.close();
    // back to back with the previous buffer; a gap, a jump or a late
    // buffer starts a new chain a jitter buffer ahead
    const ts = ctx.getOutputTimestamp ? ctx.getOutputTimestamp() : {};
    const perfNow = performance.now();
    const ctxNow = ctx.currentTime;
    const latency = ctx.outputLatency || ctx.baseLatency || 0;
    let at = this.nextCtxTime;
    if (this.nextPos !== pos || at < ctxNow + 0.002 || at > ctxNow + MAX_AHEAD_S) {
      if (this.nextPos === pos && at < ctxNow + 0.002) s.audioLate++;
      at = ctxNow + JITTER_S;
    }
    const src = ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.gain);
    src.start(at);
    s.audioScheduled++;
    this.nextPos = pos + n;
    this.nextCtxTime = at + n / RATE;
    // heard at (performance.now ms)
    const perfAt = (ts.performanceTime !== undefined && ts.contextTime !== undefined
      ? ts.performanceTime + (at + latency - ts.contextTime) * 1000 : perfNow + (at + latency - ctxNow) * 1000);
    this.scheduled.push({ pos, n, perf: perfAt });
    if (this.scheduled.length > 100) this.scheduled.shift();
  }
}
