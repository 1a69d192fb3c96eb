/* Per-client figures (docs/profiling.md "Per-client figures"): the round
 * trip of a WebSocket ping the server sends each joined client every
 * SC_WS_PING_MS (opcode 9; browsers, Node's ws and every RFC 6455 client
 * answer with a pong carrying the same payload: no client code needed), the
 * input-to-display latency the client reports in `latency` messages, and its
 * frames and bytes sent and dropped. Handed to the embedding process
 * (cfg.on_client_figures, cfg.on_client_measure) and shown on /metrics as
 * per-client series with label client="ID" (bounded: only the connected
 * clients, at most max_clients). All on the service thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/ws_internal.h"
#include "util/clock.h"

#define NS_PER_MS 1000000ull

static void figures(struct sc_ws_client *c, bool left)
{
	const struct sc_ws_server_config *cfg = &c->srv->cfg;
	if (!cfg->on_client_figures)
		return;
	struct sc_ws_client_figures f = {
		.client_id = c->id,
		.player = c->player,
		.frames_sent = c->frames_sent,
		.frames_dropped = c->frames_dropped,
		.bytes_sent = c->bytes_sent,
		.bytes_dropped = c->bytes_dropped,
		.rtt_ns = c->rtt_ns,
		.input_display_ns = c->input_display_ns,
		.left = left,
	};
	cfg->on_client_figures(cfg->user, &f);
}

void sc_ws_figures_housekeeping(struct sc_ws_client *c, uint64_t now_ns)
{
	if (!c->joined || c->killed || c->close_code || c->closing)
		return;
	if (c->ping_sent_ns && now_ns - c->ping_sent_ns > SC_WS_PING_LOST_MS * NS_PER_MS)
		c->ping_sent_ns = 0; /* no pong: forget it, ping again */
	if (!c->ping_sent_ns && !c->ping_want && now_ns >= c->next_ping_ns) {
		c->ping_want = true;
		c->next_ping_ns = now_ns + SC_WS_PING_MS * NS_PER_MS;
	}
	/* a client that gets video has a WRITEABLE at its next frame (the
	 * batched writes leave a client with a ping due to WRITEABLE), which
	 * writes the ping first; one of its own would cost a poll() over every
	 * socket */
	if (c->ping_want && (!c->video_written_ns || now_ns - c->video_written_ns > SC_WS_PING_RIDE_MS * NS_PER_MS))
		lws_callback_on_writable(c->wsi);
	if (now_ns >= c->next_figures_ns) {
		if (c->next_figures_ns)
			figures(c, false);
		c->next_figures_ns = now_ns + SC_WS_FIGURES_MS * NS_PER_MS;
	}
}

int sc_ws_figures_write_ping(struct sc_ws_client *c)
{
	/* the first write of a WRITEABLE: it does not block (ws_client.c) */
	if (!c->ping_want || lws_partial_buffered(c->wsi))
		return 0;
	uint8_t buf[LWS_PRE + 8];
	uint64_t now = sc_now_ns();
	memcpy(buf + LWS_PRE, &now, 8); /* our own payload: only we read it back */
	if (lws_write(c->wsi, buf + LWS_PRE, 8, LWS_WRITE_PING) < 8)
		return -1;
	c->ping_want = false;
	c->ping_sent_ns = now;
	return 1;
}

void sc_ws_figures_pong(struct sc_ws_client *c, const void *in, size_t len)
{
	uint64_t sent;
	if (len != 8 || !c->ping_sent_ns)
		return;
	memcpy(&sent, in, 8);
	if (sent != c->ping_sent_ns)
		return; /* not our outstanding ping's */
	uint64_t now = sc_now_ns();
	c->ping_sent_ns = 0;
	c->rtt_ns = now > sent ? now - sent : 1;
	c->rtt_count++;
	const struct sc_ws_server_config *cfg = &c->srv->cfg;
	if (cfg->on_client_measure)
		cfg->on_client_measure(cfg->user, c->id, SC_WS_MEASURE_RTT, c->rtt_ns);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void sc_ws_figures_latency(struct sc_ws_client *c, const struct sc_ws_client_msg *m)
{
	const struct sc_ws_server_config *cfg = &c->srv->cfg;
	uint64_t v[SC_WS_LATENCY_MAX];
	if (!c->joined || m->n_input_ms == 0)
		return;
	for (uint32_t i = 0; i < m->n_input_ms; i++) {
		v[i] = (uint64_t)(m->input_ms[i] * 1e6 + 0.5);
		if (cfg->on_client_measure)
			cfg->on_client_measure(cfg->user, c->id, SC_WS_MEASURE_INPUT_DISPLAY, v[i]);
	}
	qsort(v, m->n_input_ms, sizeof(v[0]), cmp_u64);
	c->input_display_ns = v[(m->n_input_ms - 1) / 2];
	c->input_display_count += m->n_input_ms;
}

void sc_ws_figures_left(struct sc_ws_client *c)
{
	if (c->joined)
		figures(c, true);
}

size_t sc_ws_figures_metrics(struct sc_ws_server *srv, char *buf, size_t len)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"shadowcast_ws_client_bytes_sent_total", "counter", "WebSocket payload bytes sent per connected client."},
		{"shadowcast_ws_client_bytes_dropped_total", "counter",
		 "Video bytes dropped per connected client (it did not read fast enough)."},
		{"shadowcast_ws_client_rtt_seconds", "gauge",
		 "The last WebSocket ping round trip per connected client (the server pings every second)."},
		{"shadowcast_ws_client_input_to_display_seconds", "gauge",
		 "Median input-to-display latency of the client's last `latency` report."},
	};
	size_t used = 0;
	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		int n = snprintf(buf + used, len - used, "# HELP %s %s\n# TYPE %s %s\n", fam[k].name, fam[k].help,
		                 fam[k].name, fam[k].type);
		if (n < 0 || (size_t)n >= len - used)
			goto full;
		used += (size_t)n;
		for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
			if (!c->joined)
				continue;
			if (k == 0)
				n = snprintf(buf + used, len - used, "%s{client=\"%u\"} %llu\n", fam[k].name, c->id,
				             (unsigned long long)c->bytes_sent);
			else if (k == 1)
				n = snprintf(buf + used, len - used, "%s{client=\"%u\"} %llu\n", fam[k].name, c->id,
				             (unsigned long long)c->bytes_dropped);
			else if (k == 2 && c->rtt_count)
				n = snprintf(buf + used, len - used, "%s{client=\"%u\"} %.9f\n", fam[k].name, c->id,
				             (double)c->rtt_ns / 1e9);
			else if (k == 3 && c->input_display_count)
				n = snprintf(buf + used, len - used, "%s{client=\"%u\"} %.9f\n", fam[k].name, c->id,
				             (double)c->input_display_ns / 1e9);
			else
				continue;
			if (n < 0 || (size_t)n >= len - used)
				goto full;
			used += (size_t)n;
		}
	}
	return used;
full:
	buf[used] = '\0';
	return used;
}

size_t sc_ws_server_clients_json(struct sc_ws_server *srv, char *buf, size_t len)
{
	size_t used = 0;
	int n = snprintf(buf, len, "[");
	if (n < 0 || (size_t)n >= len)
		return 0;
	used = (size_t)n;
	for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
		if (!c->joined)
			continue;
		char rtt[32] = "null", input[32] = "null";
		if (c->rtt_count)
			snprintf(rtt, sizeof(rtt), "%.3f", (double)c->rtt_ns / 1e6);
		if (c->input_display_count)
			snprintf(input, sizeof(input), "%.1f", (double)c->input_display_ns / 1e6);
		n = snprintf(buf + used, len - used,
		             "%s{\"client\":%u,\"player\":%d,\"frames_sent\":%llu,\"frames_dropped\":%llu,"
		             "\"bytes_sent\":%llu,\"bytes_dropped\":%llu,\"rtt_ms\":%s,\"input_to_display_ms\":%s}",
		             used > 1 ? "," : "", c->id, c->player, (unsigned long long)c->frames_sent,
		             (unsigned long long)c->frames_dropped, (unsigned long long)c->bytes_sent,
		             (unsigned long long)c->bytes_dropped, rtt, input);
		if (n < 0 || (size_t)n >= len - used)
			return 0;
		used += (size_t)n;
	}
	n = snprintf(buf + used, len - used, "]");
	if (n < 0 || (size_t)n >= len - used)
		return 0;
	return used + (size_t)n;
}
