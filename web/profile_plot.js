// The /debug page's live profiling plot (docs/profiling.md): the primary's
// last 300 samples from GET /api/v1/events?last=300, drawn on a canvas against
// time: frame time, tick time, GPU time and the particle pass (ms), with a
// marker for each condition hit (red) and for the incident's error tick
// (orange) on the same time axis. A small hand-drawn plot: Debian 12 packages
// no stand-alone chart library this page could serve (uPlot is not packaged;
// Flot needs jQuery, chartkick needs Chart.js), and the page has no build step.
const SERIES = [
  { key: 'frame_ms', label: 'frame', color: '#4aa3ff', get: (s) => s.frame_ms },
  { key: 'tick_ms', label: 'tick', color: '#9be36b', get: (s) => s.tick_ms },
  { key: 'gpu_ms', label: 'GPU', color: '#e0b0ff', get: (s) => s.gpu_ms },
  { key: 'particles_ms', label: 'GPU particles', color: '#ffd866', get: (s) => s.passes_ms.particles },
];

export function startProfilePlot(canvas, legend, api, state) {
  const plot = { samples: 0, markers: [], drawn: 0, error: null };
  state.plot = plot;
  legend.textContent = '';
  for (const s of SERIES) {
    const span = document.createElement('span');
    span.style.color = s.color;
    span.textContent = `■ ${s.label} `;
    legend.append(span);
  }
  const mark = document.createElement('span');
  mark.style.color = '#ff5555';
  mark.textContent = '| condition hit ';
  const inc = document.createElement('span');
  inc.style.color = '#ff9f40';
  inc.textContent = '| incident';
  legend.append(mark, inc);

  async function poll() {
    if (!state.token) return;
    try {
      const ev = await api('GET', '/events?last=300');
      draw(ev);
    } catch (e) {
      plot.error = e.message;
    }
  }

  function draw(ev) {
    const samples = ev.samples || [];
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, pad = 28;
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, w, h);
    plot.samples = samples.length;
    plot.markers = [];
    if (samples.length < 2) return;
    const t0 = samples[0].start_ns, t1 = samples[samples.length - 1].start_ns;
    const span = Math.max(1, t1 - t0);
    let top = 1;
    for (const s of samples) for (const k of SERIES) top = Math.max(top, k.get(s));
    top *= 1.1;
    const x = (t) => pad + (w - 2 * pad) * ((t - t0) / span);
    const y = (v) => h - pad - (h - 2 * pad) * (v / top);
    ctx.strokeStyle = '#444';
    ctx.fillStyle = '#aaa';
    ctx.font = '11px monospace';
    ctx.strokeRect(pad, pad, w - 2 * pad, h - 2 * pad);
    ctx.fillText(`${top.toFixed(1)} ms`, 2, pad - 6);
    ctx.fillText(`tick ${samples[0].tick}`, pad, h - 8);
    ctx.fillText(`tick ${samples[samples.length - 1].tick}`, w - pad - 70, h - 8);
    for (const k of SERIES) {
      ctx.strokeStyle = k.color;
      ctx.beginPath();
      samples.forEach((s, i) => (i ? ctx.lineTo(x(s.start_ns), y(k.get(s))) : ctx.moveTo(x(s.start_ns), y(k.get(s)))));
      ctx.stroke();
    }
    const vline = (t, color, kind, tick) => {
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(x(t), pad);
      ctx.lineTo(x(t), h - pad);
      ctx.stroke();
      plot.markers.push({ kind, tick });
    };
    for (const e of ev.events || [])
      if (e.time_ns >= t0 && e.time_ns <= t1) vline(e.time_ns, '#ff5555', `condition:${e.condition}`, e.tick);
    const st = state.status;
    const incident = st && (st.incident || st.last_incident);
    if (incident && incident.error_tick !== undefined) {
      // the last sample of the error tick (a restored primary runs ticks again after it)
      const at = samples.filter((s) => s.tick === incident.error_tick).pop();
      if (at) vline(at.start_ns, '#ff9f40', 'incident', incident.error_tick);
    }
    plot.drawn++;
  }

  setInterval(poll, 500);
  poll();
  return plot;
}
