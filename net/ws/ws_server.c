/* The libwebsockets context: one vhost, one port, two protocols ("http" for
 * /metrics, /healthz, /api/ (cfg.http_request, cfg.http_get), the static player page
 * and /debug (the developer page); "shadowcast.v1" for
 * /stream), the service loop, and the thread hand-off from publishers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/ws/ws_internal.h"
#include "net/ws/ws_origin.h"
#include "util/clock.h"
#include "util/log.h"

static void lws_log_to_sc(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		sc_err("lws: %.*s", (int)n, line);
	else if (level & LLL_WARN)
		sc_warn("lws: %.*s", (int)n, line);
	else
		sc_dbg("lws: %.*s", (int)n, line);
}

static char *dup_or_null(const char *s, bool *ok)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

static bool check_config(const struct sc_ws_server_config *cfg)
{
	struct stat st;
	if (!cfg->web_root || stat(cfg->web_root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		sc_err("ws: web root '%s' is not a directory%s%s", cfg->web_root ? cfg->web_root : "(null)",
		       cfg->web_root ? ": " : "", cfg->web_root ? strerror(errno ? errno : ENOTDIR) : "");
		return false;
	}
	if (!cfg->width || !cfg->height || !cfg->fps) {
		sc_err("ws: width, height and fps must be set (%ux%u@%u)", cfg->width, cfg->height, cfg->fps);
		return false;
	}
	if (cfg->max_players < 2 || cfg->max_players > SC_MAX_PLAYERS) {
		sc_err("ws: max_players %u is not in 2..%d", cfg->max_players, SC_MAX_PLAYERS);
		return false;
	}
	if (cfg->max_clients < 1) {
		sc_err("ws: max_clients must be at least 1");
		return false;
	}
	if (cfg->client_queue_frames > 192) {
		sc_err("ws: client_queue_frames %u is over 192", cfg->client_queue_frames);
		return false;
	}
	if (cfg->max_client_message && (cfg->max_client_message < 256 ||
	                                cfg->max_client_message > SC_WS_MAX_CLIENT_MESSAGE_LIMIT)) {
		sc_err("ws: max_client_message %u is not in 256..%u", cfg->max_client_message,
		       SC_WS_MAX_CLIENT_MESSAGE_LIMIT);
		return false;
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		sc_err("ws: TLS needs both a certificate and a key");
		return false;
	}
	const char *why = sc_ws_origin_list_problem(cfg->allowed_origins);
	if (why) {
		sc_err("ws: allowed origins '%s': %s", cfg->allowed_origins, why);
		return false;
	}
	if (cfg->max_client_msgs_per_sec > SC_WS_MAX_MSGS_PER_SEC) {
		sc_err("ws: max_client_msgs_per_sec %u is over %d", cfg->max_client_msgs_per_sec, SC_WS_MAX_MSGS_PER_SEC);
		return false;
	}
	return true;
}

struct sc_ws_server *sc_ws_server_create(const struct sc_ws_server_config *cfg)
{
	struct lws_context_creation_info info;
	bool ok = true;

	if (!check_config(cfg))
		return NULL;
	struct sc_ws_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		sc_err("ws: out of memory");
		return NULL;
	}
	srv->cfg = *cfg;
	srv->tick_fd = -1;
	srv->listen_addr = dup_or_null(cfg->listen_addr, &ok);
	srv->web_root = dup_or_null(cfg->web_root, &ok);
	srv->encoder_name = dup_or_null(cfg->encoder_name, &ok);
	srv->encoder_fallback_reason = dup_or_null(cfg->encoder_fallback_reason, &ok);
	srv->allowed_origins = dup_or_null(cfg->allowed_origins, &ok);
	srv->player_token = dup_or_null(cfg->player_token, &ok);
	srv->spectator_token = dup_or_null(cfg->spectator_token, &ok);
	srv->developer_token = dup_or_null(cfg->developer_token, &ok);
	if (!ok) {
		sc_err("ws: out of memory");
		goto err_strings;
	}
	srv->cfg.listen_addr = srv->listen_addr;
	srv->cfg.web_root = srv->web_root;
	srv->cfg.encoder_name = srv->encoder_name;
	srv->cfg.allowed_origins = srv->allowed_origins;
	srv->cfg.player_token = srv->player_token;
	srv->cfg.spectator_token = srv->spectator_token;
	srv->cfg.developer_token = srv->developer_token;
	srv->cfg.tls_cert = srv->cfg.tls_key = NULL; /* read at creation only */
	srv->tls = cfg->tls_cert != NULL;
	srv->cfg.encoder_fallback_reason = srv->encoder_fallback_reason;
	if (!srv->cfg.client_queue_bytes)
		srv->cfg.client_queue_bytes = 2u << 20;
	if (!srv->cfg.stall_disconnect_ms)
		srv->cfg.stall_disconnect_ms = 3000;
	if (!srv->cfg.client_queue_frames)
		srv->cfg.client_queue_frames = 8;
	if (!srv->cfg.socket_sndbuf_bytes)
		srv->cfg.socket_sndbuf_bytes = 256u << 10;
	if (!srv->cfg.max_client_msgs_per_sec)
		srv->cfg.max_client_msgs_per_sec = 120;
	if (!srv->cfg.join_timeout_ms)
		srv->cfg.join_timeout_ms = 10000;
	if (!srv->cfg.max_client_message)
		srv->cfg.max_client_message = SC_WS_MAX_CLIENT_MESSAGE;
	if (pthread_mutex_init(&srv->lock, NULL) != 0) {
		sc_err("ws: pthread_mutex_init failed");
		goto err_strings;
	}

	srv->protocols[0] = (struct lws_protocols){
		.name = "http",
		.callback = sc_ws_http_callback,
		.per_session_data_size = sizeof(struct sc_ws_http_pss),
	};
	srv->protocols[1] = (struct lws_protocols){
		.name = SC_WS_SUBPROTOCOL,
		.callback = sc_ws_stream_callback,
		.per_session_data_size = sizeof(void *),
		.rx_buffer_size = SC_WS_RX_BUFFER_SIZE,
		.tx_packet_size = SC_WS_TX_PACKET_SIZE,
	};
	srv->protocols[2] = (struct lws_protocols){
		.name = SC_WS_TICK_PROTOCOL,
		.callback = sc_ws_tick_callback,
	};
	/* mounts: the longest matching mountpoint wins */
	srv->mounts[0] = (struct lws_http_mount){
		.mount_next = &srv->mounts[1],
		.mountpoint = "/metrics",
		.mountpoint_len = 8,
		.origin = "http",
		.origin_protocol = LWSMPRO_CALLBACK,
	};
	srv->mounts[1] = (struct lws_http_mount){
		.mount_next = &srv->mounts[2],
		.mountpoint = "/healthz",
		.mountpoint_len = 8,
		.origin = "http",
		.origin_protocol = LWSMPRO_CALLBACK,
	};
	srv->mounts[2] = (struct lws_http_mount){
		.mount_next = &srv->mounts[3],
		.mountpoint = "/api",
		.mountpoint_len = 4,
		.origin = "http",
		.origin_protocol = LWSMPRO_CALLBACK,
	};
	srv->mounts[3] = (struct lws_http_mount){
		.mount_next = &srv->mounts[4],
		.mountpoint = "/debug", /* the developer page */
		.mountpoint_len = 6,
		.origin = srv->web_root,
		.def = "debug.html",
		.origin_protocol = LWSMPRO_FILE,
	};
	srv->mounts[4] = (struct lws_http_mount){
		.mountpoint = "/",
		.mountpoint_len = 1,
		.origin = srv->web_root,
		.def = "index.html",
		.origin_protocol = LWSMPRO_FILE,
	};

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_sc);
	memset(&info, 0, sizeof(info));
	info.port = cfg->port;
	info.iface = srv->listen_addr;
	info.protocols = srv->protocols;
	info.mounts = &srv->mounts[0];
	info.user = srv;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.pt_serv_buf_size = 32 * 1024; /* static files go out in pieces this big */
	info.vhost_name = "default";
	if (cfg->tls_cert && cfg->tls_key) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cfg->tls_cert;
		info.ssl_private_key_filepath = cfg->tls_key;
		/* the HTTP answers here are written for HTTP/1.1 (deferred answers,
		 * streams): no h2 from ALPN, so no WebSocket over h2 either */
		info.alpn = "http/1.1";
	}
	srv->ctx = lws_create_context(&info);
	if (!srv->ctx) {
		sc_err("ws: cannot listen on %s:%u (libwebsockets context creation failed; "
		       "is the port in use, the address not local%s?)",
		       srv->listen_addr ? srv->listen_addr : "*", cfg->port,
		       cfg->tls_cert ? ", or the TLS certificate or key unusable (see the lws lines above)" : "");
		goto err_mutex;
	}
	srv->vhost = lws_get_vhost_by_name(srv->ctx, "default");
	int port = srv->vhost ? lws_get_vhost_listen_port(srv->vhost) : -1;
	if (port <= 0) {
		sc_err("ws: no listening port after context creation");
		goto err_ctx;
	}
	srv->port = (uint16_t)port;
	srv->batch = sc_ws_batch_create(srv);
	sc_ws_tick_start(srv);
	sc_info("ws: listening on %s:%u%s (web root %s, %ux%u@%u, up to %u clients, %u players)",
	        srv->listen_addr ? srv->listen_addr : "*", srv->port, cfg->tls_cert ? " with TLS" : "",
	        srv->web_root, cfg->width,
	        cfg->height, cfg->fps, cfg->max_clients, cfg->max_players);
	return srv;

err_ctx:
	lws_context_destroy(srv->ctx);
err_mutex:
	pthread_mutex_destroy(&srv->lock);
err_strings:
	free(srv->listen_addr);
	free(srv->web_root);
	free(srv->encoder_name);
	free(srv->encoder_fallback_reason);
	free(srv->allowed_origins);
	free(srv->player_token);
	free(srv->spectator_token);
	free(srv->developer_token);
	free(srv);
	return NULL;
}

uint16_t sc_ws_server_port(const struct sc_ws_server *srv)
{
	return srv ? srv->port : 0;
}

void sc_ws_server_set_metrics_session(struct sc_ws_server *srv, const char *name)
{
	snprintf(srv->metrics_session, sizeof(srv->metrics_session), "%s", name ? name : "");
}

static bool hand_off(struct sc_ws_server *srv, struct sc_ws_msg *msg)
{
	bool ok = false;
	bool media = msg->kind == SC_WS_MSG_VIDEO || msg->kind == SC_WS_MSG_AUDIO;
	pthread_mutex_lock(&srv->lock);
	if (srv->npending < (media ? SC_WS_PENDING_MEDIA : SC_WS_PENDING_MAX) &&
	    srv->pending_bytes + msg->len <= SC_WS_PENDING_MAX_BYTES) {
		srv->pending[srv->npending++] = msg;
		srv->pending_bytes += msg->len;
		ok = true;
	}
	pthread_mutex_unlock(&srv->lock);
	if (!ok) {
		if (!media)
			atomic_fetch_add(&srv->handoff_dropped, 1);
		sc_ws_msg_unref(msg);
		return false;
	}
	lws_cancel_service(srv->ctx);
	return true;
}

bool sc_ws_server_publish_video(struct sc_ws_server *srv, const struct sc_video_meta *meta,
                                const uint8_t *au, size_t len)
{
	if (!srv || !meta || (!au && len))
		return false;
	atomic_fetch_add(&srv->frames_published, 1);
	if (atomic_load(&srv->joined_clients) == 0)
		return true; /* nobody watches: no copy */
	struct sc_ws_msg *msg = sc_ws_msg_video(meta, au, len);
	if (!msg || !hand_off(srv, msg)) {
		atomic_fetch_add(&srv->publish_dropped, 1);
		return false;
	}
	return true;
}

bool sc_ws_server_publish_audio(struct sc_ws_server *srv, const struct sc_audio_meta *meta,
                                const uint8_t *packet, size_t len)
{
	if (!srv || !meta || (!packet && len))
		return false;
	atomic_fetch_add(&srv->audio_published, 1);
	if (atomic_load(&srv->audio_clients) == 0)
		return true; /* nobody listens: no copy, and no wake-up of the service thread */
	struct sc_ws_msg *msg = sc_ws_msg_audio(meta, packet, len);
	if (!msg || !hand_off(srv, msg)) {
		atomic_fetch_add(&srv->publish_dropped, 1);
		return false;
	}
	atomic_fetch_add(&srv->audio_handed_off, 1);
	return true;
}

bool sc_ws_server_publish_event(struct sc_ws_server *srv, const char *json)
{
	if (!srv || !json || !*json)
		return false;
	struct sc_ws_msg *msg = sc_ws_msg_printf("{\"type\":\"event\",\"event\":%s}", json);
	if (!msg) {
		sc_warn("ws: event too big to publish (%zu bytes)", strlen(json));
		return false;
	}
	msg->kind = SC_WS_MSG_EVENT;
	if (!hand_off(srv, msg)) {
		sc_warn("ws: event dropped: the service thread is behind");
		return false;
	}
	atomic_fetch_add(&srv->events_published, 1);
	return true;
}

bool sc_ws_server_send_to(struct sc_ws_server *srv, uint32_t client_id, const char *json)
{
	if (!srv || !client_id || !json || !*json)
		return false;
	struct sc_ws_msg *msg = sc_ws_msg_printf("%s", json);
	if (!msg)
		return false;
	msg->to_client = client_id;
	return hand_off(srv, msg);
}

bool sc_ws_server_broadcast(struct sc_ws_server *srv, const char *json)
{
	/* not while stopping: the clients' CLOSED callbacks (on_leave notices)
	 * run inside lws_context_destroy(), where the context cannot be woken */
	if (!srv || !json || !*json || atomic_load(&srv->stopping))
		return false;
	struct sc_ws_msg *msg = sc_ws_msg_printf("%s", json);
	if (!msg)
		return false;
	msg->kind = SC_WS_MSG_EVENT; /* notices and chat: the event class */
	if (!hand_off(srv, msg)) {
		sc_warn("ws: message dropped: the service thread is behind");
		return false;
	}
	atomic_fetch_add(&srv->events_published, 1);
	return true;
}

bool sc_ws_server_broadcast_split(struct sc_ws_server *srv, const char *brief, const char *full)
{
	if (!srv || !brief || !*brief || !full || !*full || atomic_load(&srv->stopping))
		return false;
	struct sc_ws_msg *b = sc_ws_msg_printf("%s", brief), *f = sc_ws_msg_printf("%s", full);
	if (!b || !f) {
		sc_ws_msg_unref(b);
		sc_ws_msg_unref(f);
		return false;
	}
	b->kind = f->kind = SC_WS_MSG_EVENT;
	b->audience = SC_WS_AUDIENCE_NOT_DEVELOPERS;
	f->audience = SC_WS_AUDIENCE_DEVELOPERS;
	/* both or neither, under one lock: the service thread drains them in the
	 * same batch, so no join or subscribe changes a client's audience
	 * between the two */
	bool ok = false;
	pthread_mutex_lock(&srv->lock);
	if (srv->npending + 2 <= SC_WS_PENDING_MAX && srv->pending_bytes + b->len + f->len <= SC_WS_PENDING_MAX_BYTES) {
		srv->pending[srv->npending++] = f;
		srv->pending[srv->npending++] = b;
		srv->pending_bytes += b->len + f->len;
		ok = true;
	}
	pthread_mutex_unlock(&srv->lock);
	if (!ok) {
		atomic_fetch_add(&srv->handoff_dropped, 2);
		sc_ws_msg_unref(b);
		sc_ws_msg_unref(f);
		sc_warn("ws: message dropped: the service thread is behind");
		return false;
	}
	lws_cancel_service(srv->ctx);
	atomic_fetch_add(&srv->events_published, 1);
	return true;
}

bool sc_ws_server_send_to_player(struct sc_ws_server *srv, uint32_t player, const char *json)
{
	if (!srv || player >= SC_MAX_PLAYERS || !json || !*json)
		return false;
	struct sc_ws_msg *msg = sc_ws_msg_printf("%s", json);
	if (!msg)
		return false;
	msg->kind = SC_WS_MSG_EVENT; /* haptics: the event class */
	msg->to_player = (int32_t)player;
	return hand_off(srv, msg);
}

void sc_ws_server_wake(struct sc_ws_server *srv)
{
	if (srv)
		lws_cancel_service(srv->ctx);
}

/* A message for one client: sent if it is still here and joined. */
static void deliver_to(struct sc_ws_server *srv, struct sc_ws_msg *msg)
{
	for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
		if (c->id != msg->to_client)
			continue;
		if (c->joined && sc_ws_client_send_control(c, msg)) {
			srv->stats.direct_sent++;
			return;
		}
		break;
	}
	srv->stats.direct_undelivered++; /* it left (or is closing) */
}

/* Nothing before join (§2); a developer's subscribed connection gets the
 * developers' messages joined or not. */
static bool in_audience(const struct sc_ws_client *c, enum sc_ws_audience a)
{
	switch (a) {
	case SC_WS_AUDIENCE_DEVELOPERS:
		return c->developer && (c->joined || c->subscribed);
	case SC_WS_AUDIENCE_NOT_DEVELOPERS:
		return c->joined && !c->developer;
	case SC_WS_AUDIENCE_ALL:
		break;
	}
	return c->joined;
}

void sc_ws_server_drain_pending(struct sc_ws_server *srv)
{
	struct sc_ws_msg *batch[SC_WS_PENDING_MAX];
	uint32_t n;

	pthread_mutex_lock(&srv->lock);
	n = srv->npending;
	memcpy(batch, srv->pending, n * sizeof(batch[0]));
	srv->npending = 0;
	srv->pending_bytes = 0;
	pthread_mutex_unlock(&srv->lock);

	for (uint32_t i = 0; i < n; i++) {
		struct sc_ws_msg *msg = batch[i];
		if (msg->to_player >= 0 && msg->to_player < SC_MAX_PLAYERS) {
			/* the player's client at the time it is delivered (0: nobody plays it) */
			msg->to_client = srv->player_owner[msg->to_player];
			if (!msg->to_client) {
				srv->stats.direct_undelivered++;
				sc_ws_msg_unref(msg);
				continue;
			}
		}
		if (msg->to_client) {
			deliver_to(srv, msg);
			sc_ws_msg_unref(msg);
			continue;
		}
		for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
			if (msg->kind == SC_WS_MSG_VIDEO)
				sc_ws_client_send_video(c, msg);
			else if (msg->kind == SC_WS_MSG_AUDIO) {
				if (c->joined && c->audio && sc_ws_client_send_control(c, msg))
					srv->stats.audio_sent++;
			} else if (in_audience(c, msg->audience) && sc_ws_client_send_control(c, msg))
				srv->stats.events_sent++;
		}
		sc_ws_msg_unref(msg);
	}
}

void sc_ws_server_feed_pump(struct sc_ws_server *srv)
{
	if (srv->subscribers && srv->cfg.feed_pump)
		srv->cfg.feed_pump(srv->cfg.user);
}

static struct sc_ws_client *feed_client(struct sc_ws_server *srv, uint32_t client_id)
{
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		if (c->id == client_id)
			return c->subscribed && !c->killed && !c->closing && !c->close_code ? c : NULL;
	return NULL;
}

size_t sc_ws_server_feed_room(struct sc_ws_server *srv, uint32_t client_id)
{
	struct sc_ws_client *c = feed_client(srv, client_id);
	if (!c || c->queue->control_bytes >= SC_WS_FEED_QUEUED_BYTES || c->queue->control_msgs >= SC_WS_FEED_QUEUED_MSGS)
		return 0;
	return SC_WS_FEED_QUEUED_BYTES - c->queue->control_bytes;
}

bool sc_ws_server_feed_send(struct sc_ws_server *srv, uint32_t client_id, const char *json, size_t len)
{
	struct sc_ws_client *c = feed_client(srv, client_id);
	if (!c || c->queue->control_msgs >= SC_WS_FEED_QUEUED_MSGS)
		return false;
	struct sc_ws_msg *msg = sc_ws_msg_create(SC_WS_MSG_EVENT, len);
	if (!msg)
		return false;
	memcpy(msg->data, json, len);
	bool ok = sc_ws_client_send_control(c, msg);
	sc_ws_msg_unref(msg);
	if (ok)
		srv->stats.feed_sent++;
	return ok;
}

void sc_ws_server_count_close(struct sc_ws_server *srv, int code)
{
	static const int codes[] = { 4400, 4408, 4413, 4429, 4503 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == code)
			srv->stats.closes_by_code[i]++;
}

bool sc_ws_server_run(struct sc_ws_server *srv)
{
	bool ok = true;
	while (!atomic_load(&srv->stopping)) {
		if (lws_service(srv->ctx, 0) < 0) {
			sc_err("ws: libwebsockets service loop failed");
			ok = false;
			break;
		}
	}
	/* say goodbye: 1001 to everyone, then up to half a second to send it */
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		sc_ws_client_close(c, SC_WS_CLOSE_GOING_AWAY, "server stopping");
	uint64_t deadline = sc_now_ns() + 500000000ull;
	while (ok && srv->clients && sc_now_ns() < deadline)
		if (lws_service(srv->ctx, 0) < 0)
			break;
	return ok;
}

void sc_ws_server_stop(struct sc_ws_server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stopping, true);
	lws_cancel_service(srv->ctx);
}

void sc_ws_server_destroy(struct sc_ws_server *srv)
{
	if (!srv)
		return;
	lws_sul_cancel(&srv->sul_tick);
	srv->destroying = true;
	lws_context_destroy(srv->ctx);
	sc_ws_tick_finish(srv);
	sc_ws_batch_destroy(srv->batch);
	for (uint32_t i = 0; i < srv->npending; i++)
		sc_ws_msg_unref(srv->pending[i]);
	pthread_mutex_destroy(&srv->lock);
	free(srv->listen_addr);
	free(srv->web_root);
	free(srv->encoder_name);
	free(srv->encoder_fallback_reason);
	free(srv->allowed_origins);
	free(srv->player_token);
	free(srv->spectator_token);
	free(srv->developer_token);
	free(srv);
}
