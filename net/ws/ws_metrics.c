/* /metrics: the WebSocket server's counters in Prometheus text format, then
 * whatever the embedding process adds through cfg.metrics_text. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/shm/prio_queue.h"
#include "net/ws/ws_internal.h"

struct sc_ws_out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3)))
static void out(struct sc_ws_out *o, const char *fmt, ...)
{
	if (o->used + 1 >= o->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		/* a piece that does not fit whole is left out: a line cut in the
		 * middle would make a scraper refuse the whole answer */
		o->buf[o->used] = '\0';
		o->len = o->used + 1; /* and nothing after it either */
		return;
	}
	o->used += (size_t)n;
}

static void metric(struct sc_ws_out *o, const char *name, const char *type,
                   const char *help, unsigned long long value)
{
	out(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, value);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void label_value(char *dst, size_t len, const char *s)
{
	size_t o = 0;
	for (; s && *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			dst[o++] = '\\';
			dst[o++] = *s;
		} else if (*s == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else {
			dst[o++] = *s;
		}
	}
	dst[o] = '\0';
}

size_t sc_ws_metrics_format(struct sc_ws_server *srv, char *buf, size_t len, bool openmetrics)
{
	struct sc_ws_out o = { .buf = buf, .len = len, .used = 0 };
	const struct sc_ws_stats *s = &srv->stats;
	static const int codes[] = { 4400, 4408, 4413, 4429, 4503 };
	uint32_t players = 0, joined = 0;
	char name[256], reason[1024];

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
		joined += c->joined;
		players += c->joined && c->player >= 0;
	}
	metric(&o, "shadowcast_ws_clients", "gauge", "Connected /stream clients.", srv->nclients);
	metric(&o, "shadowcast_ws_clients_joined", "gauge", "Clients that joined (players and spectators).", joined);
	metric(&o, "shadowcast_ws_players", "gauge", "Clients playing (not spectating).", players);
	metric(&o, "shadowcast_ws_connections_total", "counter", "WebSocket connections accepted.", s->connections);
	metric(&o, "shadowcast_ws_frames_published_total", "counter", "Encoded frames handed to the server.",
	       atomic_load(&srv->frames_published));
	metric(&o, "shadowcast_ws_handoff_dropped_total", "counter",
	       "Text messages (events, chat, notices, control) dropped because the service thread was behind "
	       "by more than the hand-off holds.", atomic_load(&srv->handoff_dropped));
	metric(&o, "shadowcast_ws_frames_publish_dropped_total", "counter",
	       "Frames dropped because the service thread was behind.", atomic_load(&srv->publish_dropped));
	metric(&o, "shadowcast_ws_frames_sent_total", "counter", "Video frames written to client sockets.", s->frames_sent);
	metric(&o, "shadowcast_ws_frames_dropped_total", "counter",
	       "Video frames dropped for slow clients (all clients, ever).", s->frames_dropped);
	metric(&o, "shadowcast_ws_bytes_sent_total", "counter", "Bytes of WebSocket payload sent.", s->bytes_sent);
	metric(&o, "shadowcast_ws_queue_overruns_total", "counter",
	       "Times a client's send queue was full and stale frames were flushed.", s->queue_overruns);
	metric(&o, "shadowcast_ws_stall_disconnects_total", "counter",
	       "Clients disconnected for not reading.", s->stall_disconnects);
	metric(&o, "shadowcast_ws_io_uring", "gauge",
	       "1: messages handed off together go to the waiting clients in one io_uring submission; 0: one "
	       "send per client (--io-uring off, TLS, or io_uring not allowed).", sc_ws_batch_active(srv));
	metric(&o, "shadowcast_ws_write_batches_total", "counter", "io_uring submissions of batched writes.",
	       s->batches);
	metric(&o, "shadowcast_ws_batched_writes_total", "counter", "Messages written by batched writes.",
	       s->batched_writes);
	metric(&o, "shadowcast_ws_batched_remainders_total", "counter",
	       "Batched writes the socket took only in part: the rest went to the client's buffer in "
	       "libwebsockets, sent before anything later.", s->batched_remainders);
	metric(&o, "shadowcast_ws_inputs_total", "counter", "Client inputs accepted and acknowledged.", s->inputs);
	metric(&o, "shadowcast_ws_inputs_rejected_total", "counter", "Client inputs refused.", s->inputs_rejected);
	metric(&o, "shadowcast_ws_keyframe_requests_total", "counter", "Keyframes requested for clients.",
	       s->keyframe_requests);
	metric(&o, "shadowcast_ws_events_published_total", "counter", "Event messages broadcast.",
	       atomic_load(&srv->events_published));
	metric(&o, "shadowcast_ws_audio_packets_published_total", "counter", "Opus packets published.",
	       atomic_load(&srv->audio_published));
	metric(&o, "shadowcast_ws_audio_packets_handed_off_total", "counter",
	       "Opus packets handed to the service thread: only while a client joined with audio.",
	       atomic_load(&srv->audio_handed_off));
	metric(&o, "shadowcast_ws_clients_audio", "gauge", "Joined clients that asked for audio.",
	       atomic_load(&srv->audio_clients));
	metric(&o, "shadowcast_ws_audio_packets_sent_total", "counter", "Opus packets queued to clients.",
	       s->audio_sent);
	metric(&o, "shadowcast_ws_direct_sent_total", "counter",
	       "Messages for one client (input_dropped) queued to it.", s->direct_sent);
	metric(&o, "shadowcast_ws_direct_undelivered_total", "counter",
	       "Messages for one client (or one player's client) dropped because it had left.", s->direct_undelivered);
	metric(&o, "shadowcast_ws_chats_total", "counter", "Chat messages taken from players.", s->chats);
	metric(&o, "shadowcast_ws_chats_limited_total", "counter",
	       "Chat messages refused by the chat rate limit (error chat_rate_limited).", s->chats_limited);
	metric(&o, "shadowcast_ws_chats_rejected_total", "counter",
	       "Chat messages the server could not take (error chat_rejected).", s->chats_rejected);
	out(&o, "# HELP shadowcast_ws_closes_total Clients closed by the server, by close code.\n"
	        "# TYPE shadowcast_ws_closes_total counter\n");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		out(&o, "shadowcast_ws_closes_total{code=\"%d\"} %llu\n", codes[i],
		    (unsigned long long)s->closes_by_code[i]);
	out(&o, "# HELP shadowcast_ws_client_frames_dropped_total Video frames dropped per connected client.\n"
	        "# TYPE shadowcast_ws_client_frames_dropped_total counter\n");
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		out(&o, "shadowcast_ws_client_frames_dropped_total{client=\"%u\"} %llu\n", c->id,
		    (unsigned long long)c->frames_dropped);
	out(&o, "# HELP shadowcast_ws_client_frames_sent_total Video frames sent per connected client.\n"
	        "# TYPE shadowcast_ws_client_frames_sent_total counter\n");
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		out(&o, "shadowcast_ws_client_frames_sent_total{client=\"%u\"} %llu\n", c->id,
		    (unsigned long long)c->frames_sent);
	out(&o, "# HELP shadowcast_ws_client_audio_sent_total Audio packets written per connected client.\n"
	        "# TYPE shadowcast_ws_client_audio_sent_total counter\n");
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		out(&o, "shadowcast_ws_client_audio_sent_total{client=\"%u\"} %llu\n", c->id,
		    (unsigned long long)c->audio_sent);
	out(&o, "# HELP shadowcast_ws_client_events_sent_total Event-class messages (event, chat, notice, "
	        "haptic) written per connected client.\n"
	        "# TYPE shadowcast_ws_client_events_sent_total counter\n");
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		out(&o, "shadowcast_ws_client_events_sent_total{client=\"%u\"} %llu\n", c->id,
		    (unsigned long long)c->events_sent);
	out(&o, "# HELP shadowcast_ws_client_queue_depth Messages queued per connected client, by class.\n"
	        "# TYPE shadowcast_ws_client_queue_depth gauge\n");
	for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
		struct sc_prio_queue_stats qs;
		sc_prio_queue_stats(c->queue->pq, &qs);
		out(&o, "shadowcast_ws_client_queue_depth{client=\"%u\",class=\"control\"} %u\n"
		        "shadowcast_ws_client_queue_depth{client=\"%u\",class=\"event\"} %u\n"
		        "shadowcast_ws_client_queue_depth{client=\"%u\",class=\"audio\"} %u\n"
		        "shadowcast_ws_client_queue_depth{client=\"%u\",class=\"video\"} %u\n",
		    c->id, qs.depth_by_prio[SC_WS_PRIO_CONTROL], c->id, qs.depth_by_prio[SC_WS_PRIO_EVENT],
		    c->id, qs.depth_by_prio[SC_WS_PRIO_AUDIO], c->id, qs.depth_by_prio[SC_WS_PRIO_VIDEO]);
	}
	if (o.used + 1 < o.len) /* per-client bytes, RTT, input-to-display (ws_client_figures.c) */
		o.used += sc_ws_figures_metrics(srv, o.buf + o.used, o.len - o.used);
	label_value(name, sizeof(name), srv->cfg.encoder_name ? srv->cfg.encoder_name : "unknown");
	label_value(reason, sizeof(reason), srv->cfg.encoder_fallback_reason);
	out(&o, "# HELP shadowcast_encoder_info The encoder in use and why it is not the first choice.\n"
	        "# TYPE shadowcast_encoder_info gauge\n"
	        "shadowcast_encoder_info{name=\"%s\",fallback_reason=\"%s\"} 1\n", name, reason);
	if ((srv->cfg.metrics_text_fmt || srv->cfg.metrics_text) && o.used + 1 < o.len) {
		size_t n = srv->cfg.metrics_text_fmt
		               ? srv->cfg.metrics_text_fmt(srv->cfg.user, o.buf + o.used, o.len - o.used, openmetrics)
		               : srv->cfg.metrics_text(srv->cfg.user, o.buf + o.used, o.len - o.used);
		o.used += n < o.len - o.used ? n : o.len - o.used - 1;
		o.buf[o.used] = '\0';
	}
	return o.used;
}
