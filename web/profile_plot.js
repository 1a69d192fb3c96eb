// The /debug page's live profile plots (docs/profiling.md "The /debug
// plots"), drawn with uPlot (web/vendor/uplot, MIT; pinned by
// web/package-lock.json, copied by scripts/vendor-web.sh). The primary's
// samples and the condition hits come from the sample feed (a WebSocket on
// /stream, `subscribe` with the developer token: docs/protocol.md §11), as
// they are taken; every 500 ms GET /api/v1/profile/live gives each client's
// bytes, the last encodes and the server's clock, and the plots are redrawn.
// Two plots on the same time axis (seconds before now, the server's clock):
//  1. frame, tick and GPU time and each GPU pass (ms), shadow lag (ticks);
//  2. encode time (ms), bitrate per client (kbit/s, from the bytes sent
//     between two polls).
// A red line at each condition hit and an orange one at the incident's error
// tick, on both. window.debugPage.plot holds what was drawn, for tests.
const PASSES = ['tick_logic', 'spin', 'particles', 'audio', 'finalize', 'bin', 'render', 'seal'];
const PASS_COLORS = ['#f4a261', '#2a9d8f', '#ffd866', '#e76f51', '#8ab17d', '#b5838d', '#6d9dc5', '#cdb4db'];
const CLIENT_COLORS = ['#4aa3ff', '#ff6b9a', '#9be36b', '#ffd166', '#c77dff', '#06d6a0'];
const WINDOW_S = 12; // the plots show the last seconds (300 samples at 60 Hz: 5 s; at 30 Hz: 10 s)
const BITRATE_POINTS = 120;
const KEEP_SAMPLES = 720; // WINDOW_S at 60 ticks/s; also the feed's queue: a (re)connect replays at most these
const RECONNECT_MS = 1000;

export function startProfilePlot(root, legend, api, state) {
  const U = window.uPlot;
  const plot = { samples: 0, markers: [], drawn: 0, error: null, uplots: 0, series: {}, last: {}, lastTick: null,
    feed: { connected: false, subscribed: 0, seq: 0, event: 0, dropped: 0, closed: null } };
  state.plot = plot;
  legend.textContent = 'uPlot · red: condition hit · orange: incident';
  if (!U) {
    plot.error = 'uPlot did not load (web/vendor/uplot/uPlot.iife.min.js)';
    root.textContent = plot.error;
    return plot;
  }
  const frameBox = document.createElement('div');
  const streamBox = document.createElement('div');
  root.append(frameBox, streamBox);
  const bitrate = new Map(); // client -> [{t_ns, kbps}]
  let prevLive = null;
  let markers = []; // {t_ns, color, kind, tick}
  let nowNs = 0;
  let frameChart = null, streamChart = null, streamKey = '';

  const width = () => Math.max(400, root.clientWidth || 1200);
  const x = (ns) => (ns - nowNs) / 1e9;

  // the condition and incident lines, on every plot
  const markerPlugin = {
    hooks: {
      draw: [(u) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([]);
        for (const m of markers) {
          const px = u.valToPos(x(m.t_ns), 'x', true);
          if (!Number.isFinite(px) || px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = m.color;
          ctx.beginPath();
          ctx.moveTo(px, top);
          ctx.lineTo(px, top + height);
          ctx.stroke();
        }
        ctx.restore();
      }],
    },
  };

  const axis = (label, scale, side) => ({
    scale, label, side, stroke: '#aaa', grid: { stroke: side === 1 ? 'transparent' : '#333' },
    ticks: { stroke: '#333' },
  });
  const xAxis = { label: 's (before now)', stroke: '#aaa', grid: { stroke: '#333' }, ticks: { stroke: '#333' } };
  const xScale = () => ({ time: false, auto: false, range: () => [-WINDOW_S, 0] });

  function makeFrameChart() {
    const series = [{ label: 't' },
      { label: 'frame', stroke: '#4aa3ff', width: 1.5, scale: 'ms' },
      { label: 'tick', stroke: '#9be36b', scale: 'ms' },
      { label: 'GPU', stroke: '#e0b0ff', width: 1.5, scale: 'ms' },
      ...PASSES.map((p, i) => ({ label: `GPU ${p}`, stroke: PASS_COLORS[i], scale: 'ms' })),
      { label: 'shadow lag', stroke: '#ff9f40', dash: [6, 4], scale: 'ticks' }];
    return new U({
      title: 'Primary: frame, tick and GPU time per pass (ms); shadow lag (ticks)',
      width: width(), height: 240, series, plugins: [markerPlugin],
      scales: { x: xScale(), ms: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] },
        ticks: { range: (u, lo, hi) => [0, Math.max(10, hi * 1.1)] } },
      axes: [xAxis, axis('ms', 'ms', 3), axis('ticks', 'ticks', 1)],
      legend: { live: false },
    }, [[]].concat(series.slice(1).map(() => [])), frameBox);
  }

  function makeStreamChart(clients) {
    const series = [{ label: 't' }, { label: 'encode', stroke: '#e0b0ff', scale: 'ms', points: { show: false } },
      ...clients.map((c, i) => ({ label: `bitrate client ${c}`, stroke: CLIENT_COLORS[i % CLIENT_COLORS.length],
        width: 1.5, scale: 'kbps', spanGaps: true }))];
    return new U({
      title: 'Encoder: encode time (ms); bitrate per client (kbit/s)',
      width: width(), height: 200, series, plugins: [markerPlugin],
      scales: { x: xScale(), ms: { range: (u, lo, hi) => [0, Math.max(1, hi * 1.1)] },
        kbps: { range: (u, lo, hi) => [0, Math.max(100, hi * 1.1)] } },
      axes: [xAxis, axis('ms', 'ms', 3), axis('kbit/s', 'kbps', 1)],
      legend: { live: false },
    }, [[]].concat(series.slice(1).map(() => [])), streamBox);
  }

  // what each series drew: points with a value, and the newest value
  function count(chart, data) {
    chart.series.forEach((s, i) => {
      if (!i) return;
      const col = data[i];
      let n = 0, last = null;
      for (const v of col) if (v !== null && v !== undefined) { n++; last = v; }
      plot.series[s.label] = n;
      plot.last[s.label] = last;
    });
  }

  function updateBitrate(live) {
    if (prevLive) {
      const dt = (live.now_ns - prevLive.now_ns) / 1e9;
      const before = new Map(prevLive.clients.map((c) => [c.client, c]));
      for (const c of live.clients) {
        const b = before.get(c.client);
        if (!b || dt <= 0) continue;
        const pts = bitrate.get(c.client) || [];
        pts.push({ t_ns: live.now_ns, kbps: ((c.bytes_sent - b.bytes_sent) * 8) / 1000 / dt });
        if (pts.length > BITRATE_POINTS) pts.shift();
        bitrate.set(c.client, pts);
      }
    }
    const present = new Set(live.clients.map((c) => c.client));
    for (const id of [...bitrate.keys()]) if (!present.has(id)) bitrate.delete(id);
    prevLive = live;
  }

  function draw(ev, live) {
    const samples = ev.samples || [];
    nowNs = live.now_ns;
    plot.samples = samples.length;
    plot.lastTick = samples.length ? samples[samples.length - 1].tick : null;
    updateBitrate(live);
    // markers: condition hits, and the last sample of the incident's error tick
    markers = [];
    plot.markers = [];
    const t0 = samples.length ? samples[0].start_ns : nowNs;
    for (const e of ev.events || []) {
      if (e.time_ns < t0) continue;
      markers.push({ t_ns: e.time_ns, color: '#ff5555' });
      plot.markers.push({ kind: `condition:${e.condition}`, tick: e.tick });
    }
    const st = state.status;
    const incident = st && (st.incident || st.last_incident);
    if (incident && incident.error_tick !== undefined) {
      const at = samples.filter((s) => s.tick === incident.error_tick).pop();
      if (at) {
        markers.push({ t_ns: at.start_ns, color: '#ff9f40' });
        plot.markers.push({ kind: 'incident', tick: incident.error_tick });
      }
    }
    // plot 1: the samples
    frameChart ||= makeFrameChart();
    const d1 = [samples.map((s) => x(s.start_ns)), samples.map((s) => s.frame_ms), samples.map((s) => s.tick_ms),
      samples.map((s) => s.gpu_ms), ...PASSES.map((p) => samples.map((s) => s.passes_ms[p])),
      samples.map((s) => s.shadow_lag)];
    frameChart.setData(d1);
    count(frameChart, d1);
    // plot 2: encodes and bitrates, one time axis (rows where either has a point)
    const clients = [...bitrate.keys()].sort((a, b) => a - b);
    const key = clients.join(',');
    if (!streamChart || key !== streamKey) {
      if (streamChart) streamChart.destroy();
      streamChart = makeStreamChart(clients);
      streamKey = key;
    }
    const rows = [];
    for (const [t, ms] of live.encode) rows.push({ t, enc: ms });
    clients.forEach((c, i) => { for (const p of bitrate.get(c)) rows.push({ t: p.t_ns, c: i, kbps: p.kbps }); });
    rows.sort((a, b) => a.t - b.t);
    const d2 = [rows.map((r) => x(r.t)), rows.map((r) => (r.enc === undefined ? null : r.enc)),
      ...clients.map((c, i) => rows.map((r) => (r.c === i ? r.kbps : null)))];
    streamChart.setData(d2);
    count(streamChart, d2);
    plot.uplots = (frameChart ? 1 : 0) + (streamChart ? 1 : 0);
    plot.drawn++;
  }

  // the sample feed: the primary's samples and the condition hits, each once
  // and in order; after a close it resumes after the last it got
  const feedSamples = [];
  const conditions = [];
  let feedSocket = null;
  let feedToken = '';
  let refusedToken = null; // the server closed the feed with 4401 for it: not tried again

  function onFeed(m) {
    const f = plot.feed;
    if (m.type === 'subscribed') {
      f.subscribed++;
    } else if (m.type === 'sample') {
      f.seq = m.seq;
      feedSamples.push(m.sample);
      if (feedSamples.length > KEEP_SAMPLES) feedSamples.splice(0, feedSamples.length - KEEP_SAMPLES);
    } else if (m.type === 'track_event') {
      f.event = m.event.id;
      if (m.event.tag === 'condition') {
        conditions.push(m.event);
        if (conditions.length > 1000) conditions.shift();
      }
    } else if (m.type === 'dropped' && m.what === 'samples') {
      f.dropped += m.count;
    }
  }

  function connectFeed() {
    if (!state.token || feedSocket || state.token === refusedToken) return;
    feedToken = state.token;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/stream`, 'shadowcast.v1');
    feedSocket = ws;
    ws.onopen = () => {
      plot.feed.connected = true;
      // the token in the message, never in the URL; the first time the
      // newest KEEP_SAMPLES samples held (a queue that size drops the older
      // ones) and every event held, afterwards from the next one on
      const f = plot.feed;
      ws.send(JSON.stringify({ type: 'subscribe', token: feedToken, instance: 0, from: f.seq + 1,
        events_from: f.event + 1, queue: KEEP_SAMPLES }));
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      try { onFeed(JSON.parse(e.data)); } catch (err) { plot.error = `feed: ${err.message}`; }
    };
    ws.onclose = (e) => {
      plot.feed.connected = false;
      plot.feed.closed = e.code;
      feedSocket = null;
      if (e.code === 4401) { // a wrong token: wait for another one
        plot.error = `feed: ${e.reason}`;
        refusedToken = feedToken;
        return;
      }
      setTimeout(connectFeed, RECONNECT_MS);
    };
  }

  async function poll() {
    if (!state.token) return;
    if (feedSocket && feedToken !== state.token) feedSocket.close(); // a new token: subscribe again
    connectFeed();
    try {
      const live = await api('GET', '/profile/live');
      draw({ samples: feedSamples, events: conditions }, live);
      plot.error = null;
    } catch (e) {
      plot.error = e.message;
    }
  }

  window.addEventListener('resize', () => {
    for (const c of [frameChart, streamChart]) if (c) c.setSize({ width: width(), height: c.height });
  });
  setInterval(poll, 500);
  poll();
  return plot;
}
