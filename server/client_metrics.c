#include "server/client_metrics.h"

#include "server/profile_file.h"
#include "util/clock.h"

void sc_client_metrics_figures(struct sc_client_metrics *m, const struct sc_ws_client_figures *f)
{
	if (!m->file)
		return;
	struct sc_pf_client r = {
		.time_ns = sc_now_ns(),
		.client = f->client_id,
		.player = f->player,
		.frames_sent = f->frames_sent,
		.frames_dropped = f->frames_dropped,
		.bytes_sent = f->bytes_sent,
		.bytes_dropped = f->bytes_dropped,
		.rtt_us = (uint32_t)(f->rtt_ns / 1000 > UINT32_MAX ? UINT32_MAX : f->rtt_ns / 1000),
		.left = f->left,
	};
	sc_profile_file_put(m->file, SC_PF_CLIENT, &r, sizeof(r));
}

void sc_client_metrics_measure(struct sc_client_metrics *m, uint32_t client_id, enum sc_ws_measure kind, uint64_t ns)
{
	sc_hist_observe(kind == SC_WS_MEASURE_RTT ? &m->rtt : &m->input_display, ns);
	if (!m->file)
		return;
	struct sc_pf_measure r = {.time_ns = sc_now_ns(), .client = client_id,
	                          .kind = kind == SC_WS_MEASURE_RTT ? SC_PF_RTT : SC_PF_INPUT_DISPLAY, .value_ns = ns};
	sc_profile_file_put(m->file, SC_PF_MEASURE, &r, sizeof(r));
}

size_t sc_client_metrics_text(const struct sc_client_metrics *m, char *buf, size_t len)
{
	struct sc_prom_out o = {.buf = buf, .len = len};
	if (len == 0)
		return 0;
	buf[0] = '\0';
	sc_prom_hist_header(&o, "shadowcast_ws_rtt_seconds",
	                    "WebSocket ping round trips of every client (the server pings each joined client every second).");
	sc_prom_hist_series(&o, "shadowcast_ws_rtt_seconds", "", &m->rtt);
	sc_prom_hist_header(&o, "shadowcast_input_to_display_seconds",
	                    "Input sent to the first frame showing its tick, as the clients reported it (`latency`).");
	sc_prom_hist_series(&o, "shadowcast_input_to_display_seconds", "", &m->input_display);
	return o.overflow && o.used == 0 ? 0 : o.used;
}
