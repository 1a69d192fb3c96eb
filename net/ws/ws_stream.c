/* The /stream WebSocket protocol ("shadowcast.v1"): connection life cycle,
 * receiving and dispatching client messages (join, input, keyframe, ping),
 * and writing queued messages. See docs/protocol.md. */
#include <stdio.h>
#include <string.h>

#include "net/ws/ws_internal.h"
#include "net/ws/ws_origin.h"
#include "util/secret.h"
#include "util/clock.h"
#include "util/log.h"

#define NS_PER_MS 1000000ull

struct sc_ws_pss {
	struct sc_ws_client *client;
};

static void send_hello(struct sc_ws_client *c)
{
	struct sc_ws_server *srv = c->srv;
	char name[200], reason[600], taken[64];
	size_t o = 0;

	sc_ws_json_quote(srv->cfg.encoder_name ? srv->cfg.encoder_name : "unknown", name, sizeof(name));
	sc_ws_json_quote(srv->cfg.encoder_fallback_reason, reason, sizeof(reason));
	taken[o++] = '[';
	for (uint32_t p = 0; p < srv->cfg.max_players; p++)
		if (srv->player_owner[p])
			o += (size_t)snprintf(taken + o, sizeof(taken) - o, "%s%u", o > 1 ? "," : "", p);
	snprintf(taken + o, sizeof(taken) - o, "]");

	char audio[200] = "null";
	const struct sc_ws_audio_info *a = &srv->cfg.audio;
	if (c->audio && a->codec)
		snprintf(audio, sizeof(audio),
		         "{\"codec\":\"%s\",\"sample_rate\":%u,\"channels\":%u,\"frame_samples\":%u,"
		         "\"lookahead_samples\":%u,\"header_bytes\":%u}", a->codec, a->sample_rate, a->channels,
		         a->frame_samples, a->lookahead_samples, SC_WS_AUDIO_HEADER_BYTES);

	struct sc_ws_msg *msg = sc_ws_msg_printf(
		"{\"type\":\"hello\",\"protocol\":\"" SC_WS_SUBPROTOCOL "\",\"client_id\":%u,"
		"\"player\":%d,\"max_players\":%u,\"players_taken\":%s,"
		"\"width\":%u,\"height\":%u,\"fps\":%u,"
		"\"encoder\":%s,\"encoder_fallback_reason\":%s,"
		"\"video_header_bytes\":%u,\"audio\":%s,\"server_us\":%llu}",
		c->id, c->player, srv->cfg.max_players, taken, srv->cfg.width, srv->cfg.height,
		srv->cfg.fps, name, reason, SC_WS_VIDEO_HEADER_BYTES, audio,
		(unsigned long long)(sc_now_ns() / 1000));
	sc_ws_client_send_control(c, msg);
	sc_ws_msg_unref(msg);
}

/* Whether the join's token opens the role it asks for (ws_server.h); else
 * the client is closed with 4401, and its address's wrong tokens counted. */
static bool join_authorized(struct sc_ws_client *c, const struct sc_ws_client_msg *m)
{
	struct sc_ws_server *srv = c->srv;
	bool as_player = m->join_player != SC_WS_JOIN_SPECTATE;
	const char *need = as_player ? srv->cfg.player_token : srv->cfg.spectator_token;
	uint64_t now = sc_now_ns();
	if (!need) {
		/* open to all; the developer token still makes it a developer's
		 * connection (the full incident reports). A token that is none of
		 * the server's counts as wrong (a guess at the developer token),
		 * and while its address is limited a token is not looked at */
		size_t n = strlen(m->token);
		if (m->token[0] && !sc_auth_limit_wait_s(&srv->join_limit, c->peer, now)) {
			c->developer = srv->cfg.developer_token && sc_secret_equal(srv->cfg.developer_token, m->token, n);
			if (!c->developer && !sc_secret_equal(srv->cfg.player_token, m->token, n) &&
			    !sc_secret_equal(srv->cfg.spectator_token, m->token, n)) {
				sc_auth_limit_failed(&srv->join_limit, c->peer, now);
				sc_warn("ws: client %u (%s): a token that is none of this server's", c->id, c->peer);
			}
		}
		return true;
	}
	uint32_t wait_s = sc_auth_limit_wait_s(&srv->join_limit, c->peer, now);
	if (wait_s) {
		char why[96];
		snprintf(why, sizeof(why), "too many wrong tokens from this address: try again in %u s", wait_s);
		sc_ws_client_close(c, SC_WS_CLOSE_RATE_LIMITED, why);
		return false;
	}
	size_t n = strlen(m->token);
	if (srv->cfg.developer_token && sc_secret_equal(srv->cfg.developer_token, m->token, n)) {
		c->developer = true;
		return true;
	}
	if (sc_secret_equal(need, m->token, n) || (!as_player && sc_secret_equal(srv->cfg.player_token, m->token, n)))
		return true;
	if (m->token[0]) {
		sc_auth_limit_failed(&srv->join_limit, c->peer, now);
		sc_warn("ws: client %u (%s): wrong token to join as %s", c->id, c->peer, as_player ? "player" : "spectator");
	}
	sc_ws_client_close(c, SC_WS_CLOSE_UNAUTHORIZED, m->token[0] ? "wrong token" : as_player ?
	                   "joining as a player needs a token" : "spectating needs a token");
	return false;
}

/* The developer's sample feed (docs/protocol.md §11): the developer token
 * in the message, as a join's token, never in the URL; wrong tokens count
 * towards the address's limit like a join's. */
static void handle_subscribe(struct sc_ws_client *c, const struct sc_ws_client_msg *m)
{
	struct sc_ws_server *srv = c->srv;
	if (c->subscribed) {
		sc_ws_client_send_error(c, "already_subscribed", "this connection has the feed already");
		return;
	}
	uint64_t now = sc_now_ns();
	uint32_t wait_s = sc_auth_limit_wait_s(&srv->join_limit, c->peer, now);
	if (wait_s) {
		char why[96];
		snprintf(why, sizeof(why), "too many wrong tokens from this address: try again in %u s", wait_s);
		sc_ws_client_close(c, SC_WS_CLOSE_RATE_LIMITED, why);
		return;
	}
	size_t n = strlen(m->token);
	if (!m->token[0] || !srv->cfg.developer_token || !sc_secret_equal(srv->cfg.developer_token, m->token, n)) {
		if (m->token[0]) {
			sc_auth_limit_failed(&srv->join_limit, c->peer, now);
			sc_warn("ws: client %u (%s): wrong token to subscribe", c->id, c->peer);
		}
		sc_ws_client_close(c, SC_WS_CLOSE_UNAUTHORIZED,
		                   m->token[0] ? "wrong token" : "subscribing needs the developer token");
		return;
	}
	struct sc_ws_subscribe req = {
		.instance = m->sub_instance,
		.has_from = m->sub_has_from,
		.from = m->sub_from,
		.has_events_from = m->sub_has_events_from,
		.events_from = m->sub_events_from,
		.queue = m->sub_queue,
	};
	char why[120] = "this server has no sample feed";
	c->subscribed = true; /* on_subscribe sends `subscribed` through sc_ws_server_feed_send */
	c->developer = true;  /* the developer token: the full incident reports too */
	if (!srv->cfg.on_subscribe || !srv->cfg.on_subscribe(srv->cfg.user, c->id, &req, why, sizeof(why))) {
		c->subscribed = false;
		sc_ws_client_send_error(c, "subscribe_refused", "%s", why);
		return;
	}
	srv->subscribers++;
	sc_info("ws: client %u (%s) subscribed to the sample feed of instance %u", c->id, c->peer, req.instance);
	sc_ws_server_feed_pump(srv);
}

static void handle_join(struct sc_ws_client *c, const struct sc_ws_client_msg *m)
{
	struct sc_ws_server *srv = c->srv;
	int player = -1;

	if (c->joined) {
		sc_ws_client_send_error(c, "already_joined", "already joined as %s %d",
		                        c->player < 0 ? "spectator" : "player", c->player);
		return;
	}
	if (!join_authorized(c, m))
		return;
	if (m->join_player == SC_WS_JOIN_AUTO) {
		for (uint32_t p = 0; p < srv->cfg.max_players && player < 0; p++)
			if (!srv->player_owner[p])
				player = (int)p;
		if (player < 0) {
			sc_ws_client_send_error(c, "no_free_slot", "all %u player slots are taken",
			                        srv->cfg.max_players);
			return;
		}
	} else if (m->join_player >= 0) {
		if ((uint32_t)m->join_player >= srv->cfg.max_players) {
			sc_ws_client_send_error(c, "bad_player", "player must be 0..%u",
			                        srv->cfg.max_players - 1);
			return;
		}
		if (srv->player_owner[m->join_player]) {
			sc_ws_client_send_error(c, "player_taken", "player %d is taken", m->join_player);
			return;
		}
		player = m->join_player;
	}
	if (player >= 0)
		srv->player_owner[player] = c->id;
	c->player = player;
	c->joined = true;
	c->audio = m->join_audio && srv->cfg.audio.codec; /* no audio on the server: the hello says null */
	c->need_keyframe = true;
	atomic_fetch_add(&srv->joined_clients, 1);
	if (c->audio)
		atomic_fetch_add(&srv->audio_clients, 1);
	sc_info("ws: client %u (%s) joined as %s %d", c->id, c->peer,
	        player < 0 ? "spectator" : "player", player);
	send_hello(c);
	if (srv->cfg.on_join)
		srv->cfg.on_join(srv->cfg.user, c->id, player);
	sc_ws_client_ask_keyframe(c, sc_now_ns());
}

static void add_event(struct sc_ws_client *c, struct sc_input_event *ev, uint32_t *n, uint8_t action,
                      int8_t a, int8_t b, uint32_t seq)
{
	ev[(*n)++] = (struct sc_input_event){
		.tick = 0, .seq = seq, .player = (uint8_t)c->player, .action = action, .a = a, .b = b,
	};
}

static void handle_input(struct sc_ws_client *c, const struct sc_ws_client_msg *m,
                         uint64_t arrival_ns)
{
	struct sc_ws_server *srv = c->srv;

	if (!c->joined || c->player < 0) {
		srv->stats.inputs_rejected++;
		sc_ws_client_send_error(c, c->joined ? "spectator" : "not_joined",
		                        "input seq %u ignored: %s", m->seq,
		                        c->joined ? "spectators cannot send input" : "join first");
		return;
	}
	if (c->have_seq && m->seq <= c->last_seq) {
		srv->stats.inputs_rejected++;
		sc_ws_client_send_error(c, "stale_seq", "input seq %u ignored: not above %u",
		                        m->seq, c->last_seq);
		return;
	}
	c->have_seq = true;
	c->last_seq = m->seq;
	if (!srv->cfg.on_input) {
		srv->stats.inputs_rejected++;
		sc_ws_client_send_error(c, "input_rejected", "input seq %u: this server takes no input",
		                        m->seq);
		return;
	}
	/* one message, its events all or none (docs/protocol.md, `input`) */
	struct sc_input_event ev[SC_WS_MAX_EVENTS_PER_INPUT];
	uint32_t n = 0;
	if (m->has_move)
		add_event(c, ev, &n, SC_INPUT_MOVE, m->move_x, m->move_y, m->seq);
	if (m->has_block)
		add_event(c, ev, &n, SC_INPUT_BLOCK, m->block ? 1 : 0, 0, m->seq);
	if (m->has_shoot && m->shoot)
		add_event(c, ev, &n, SC_INPUT_SHOOT, 0, 0, m->seq);
	struct sc_ws_input_applied applied = {0};
	bool ok = n == 0 || srv->cfg.on_input(srv->cfg.user, c->id, ev, n, arrival_ns, &applied);
	if (!ok) {
		srv->stats.inputs_rejected++;
		sc_ws_client_send_error(c, "input_rejected", "input seq %u was rejected by the game",
		                        m->seq);
		return;
	}
	c->inputs++;
	srv->stats.inputs++;
	char t[48] = "";
	if (m->has_t)
		snprintf(t, sizeof(t), ",\"t\":%.17g", m->t);
	char log_seq[24] = "null"; /* {"shoot":false} alone: no event, nothing logged */
	if (n)
		snprintf(log_seq, sizeof(log_seq), "%llu", (unsigned long long)applied.log_seq);
	struct sc_ws_msg *msg = sc_ws_msg_printf(
		"{\"type\":\"ack\",\"seq\":%u,\"tick\":%u,\"log_seq\":%s,\"n_events\":%u,\"arrival_us\":%llu%s}",
		m->seq, applied.tick, log_seq, n, (unsigned long long)(arrival_ns / 1000), t);
	sc_ws_client_send_control(c, msg);
	sc_ws_msg_unref(msg);
}

/* Chat's own token bucket, beside the per-message one: SC_WS_CHAT_BURST at
 * once, then one every SC_WS_CHAT_REFILL_MS. */
static bool chat_rate_ok(struct sc_ws_client *c, uint64_t now_ns)
{
	if (c->chat_tokens_ns == 0)
		c->chat_tokens = SC_WS_CHAT_BURST;
	else
		c->chat_tokens += (double)(now_ns - c->chat_tokens_ns) / (SC_WS_CHAT_REFILL_MS * 1e6);
	c->chat_tokens_ns = now_ns;
	if (c->chat_tokens > SC_WS_CHAT_BURST)
		c->chat_tokens = SC_WS_CHAT_BURST;
	if (c->chat_tokens < 1.0)
		return false;
	c->chat_tokens -= 1.0;
	return true;
}

static void handle_chat(struct sc_ws_client *c, const struct sc_ws_client_msg *m, uint64_t now_ns)
{
	struct sc_ws_server *srv = c->srv;
	if (!c->joined || c->player < 0) {
		sc_ws_client_send_error(c, c->joined ? "spectator" : "not_joined",
		                        c->joined ? "spectators cannot chat" : "send join first");
		return;
	}
	if (!chat_rate_ok(c, now_ns)) {
		srv->stats.chats_limited++;
		sc_ws_client_send_error(c, "chat_rate_limited", "at most %d chat messages at once, then one every %d ms",
		                        SC_WS_CHAT_BURST, SC_WS_CHAT_REFILL_MS);
		return;
	}
	if (!srv->cfg.on_chat || !srv->cfg.on_chat(srv->cfg.user, c->id, c->player, m->text, m->text_len)) {
		srv->stats.chats_rejected++;
		sc_ws_client_send_error(c, "chat_rejected", "the server cannot take chat now");
		return;
	}
	srv->stats.chats++;
}

/* Closes the connection from inside RECEIVE: the close frame goes out at
 * once, before anything still queued for the client. Returns -1 for lws. */
static int close_now(struct sc_ws_client *c, struct lws *wsi, int code, const char *reason)
{
	c->srv->stats.protocol_closes++;
	sc_ws_server_count_close(c->srv, code);
	sc_info("ws: closing client %u (%s) with %d: %s", c->id, c->peer, code, reason);
	c->closing = true; /* lws sends the close frame; write nothing more */
	lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
	return -1;
}

static int handle_message(struct sc_ws_client *c, struct lws *wsi, uint64_t arrival_ns)
{
	struct sc_ws_client_msg m;
	char err[100], reason[124];

	if (!sc_ws_json_parse_client_msg(c->rx, c->rx_len, &m, err, sizeof(err))) {
		snprintf(reason, sizeof(reason), "bad message: %s", err);
		return close_now(c, wsi, SC_WS_CLOSE_BAD_MESSAGE, reason);
	}
	switch (m.type) {
	case SC_WS_CMSG_JOIN:
		handle_join(c, &m);
		break;
	case SC_WS_CMSG_INPUT:
		handle_input(c, &m, arrival_ns);
		break;
	case SC_WS_CMSG_KEYFRAME:
		if (c->joined) {
			c->need_keyframe = true;
			sc_ws_client_ask_keyframe(c, arrival_ns);
		}
		break;
	case SC_WS_CMSG_CHAT:
		handle_chat(c, &m, arrival_ns);
		break;
	case SC_WS_CMSG_LATENCY:
		sc_ws_figures_latency(c, &m); /* no answer */
		break;
	case SC_WS_CMSG_SUBSCRIBE:
		handle_subscribe(c, &m);
		break;
	case SC_WS_CMSG_PING: {
		char t[48] = "";
		if (m.has_t)
			snprintf(t, sizeof(t), ",\"t\":%.17g", m.t);
		struct sc_ws_msg *msg = sc_ws_msg_printf("{\"type\":\"pong\",\"server_us\":%llu%s}",
		                                         (unsigned long long)(sc_now_ns() / 1000), t);
		sc_ws_client_send_control(c, msg);
		sc_ws_msg_unref(msg);
		break;
	}
	}
	return 0;
}

/* Token bucket: max_client_msgs_per_sec sustained, the same as burst. */
static bool rate_ok(struct sc_ws_client *c, uint64_t now_ns)
{
	double rate = c->srv->cfg.max_client_msgs_per_sec;
	c->tokens += (double)(now_ns - c->tokens_ns) * rate / 1e9;
	c->tokens_ns = now_ns;
	if (c->tokens > rate)
		c->tokens = rate;
	if (c->tokens < 1.0)
		return false;
	c->tokens -= 1.0;
	return true;
}

static int receive(struct sc_ws_client *c, struct lws *wsi, const void *in, size_t len)
{
	uint64_t now = sc_now_ns();
	char reason[124];

	if (c->close_code || c->closing || c->killed)
		return 0; /* closing: ignore the rest */
	if (lws_is_first_fragment(wsi)) {
		c->rx_len = 0;
		c->rx_binary = lws_frame_is_binary(wsi);
	}
	if (c->rx_binary)
		return close_now(c, wsi, SC_WS_CLOSE_BAD_MESSAGE,
		                 "bad message: binary messages are not accepted, send JSON text");
	if (len > c->srv->cfg.max_client_message - c->rx_len) {
		snprintf(reason, sizeof(reason), "message too big: over %u bytes", c->srv->cfg.max_client_message);
		return close_now(c, wsi, SC_WS_CLOSE_TOO_BIG, reason);
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return 0;
	if (!rate_ok(c, now)) {
		snprintf(reason, sizeof(reason), "rate limited: over %u messages per second",
		         c->srv->cfg.max_client_msgs_per_sec);
		return close_now(c, wsi, SC_WS_CLOSE_RATE_LIMITED, reason);
	}
	int r = handle_message(c, wsi, now);
	c->rx_len = 0;
	return r;
}

static bool is_stream_path(struct lws *wsi)
{
	char uri[128];
	int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	return n > 0 && strcmp(uri, SC_WS_PATH) == 0;
}

/* A browser page of another site may not open the stream (net/ws/ws_origin.h). */
static bool origin_ok(struct sc_ws_server *srv, struct lws *wsi)
{
	char origin[256], host[256];
	int no = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
	if (no <= 0)
		return true; /* not a browser */
	if (no >= (int)sizeof(origin) || lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0) {
		sc_warn("ws: refused a WebSocket upgrade with an Origin of %d bytes", no);
		return false;
	}
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) >= (int)sizeof(host) ||
	    lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		host[0] = '\0';
	if (sc_ws_origin_allowed(origin, host, srv->tls, srv->cfg.allowed_origins))
		return true;
	sc_warn("ws: refused a WebSocket upgrade from origin %.100s (not this page's origin nor in --allow-origin)",
	        origin);
	return false;
}

int sc_ws_stream_callback(struct lws *wsi, enum lws_callback_reasons reason,
                          void *user, void *in, size_t len)
{
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
	struct sc_ws_pss *pss = user;
	struct sc_ws_client *c = pss ? pss->client : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!is_stream_path(wsi)) {
			sc_warn("ws: refused a WebSocket upgrade outside " SC_WS_PATH);
			return -1;
		}
		return origin_ok(srv, wsi) ? 0 : -1;
	case LWS_CALLBACK_ESTABLISHED: {
		bool full = srv->nclients >= srv->cfg.max_clients;
		c = sc_ws_client_create(srv, wsi);
		if (!c)
			return -1;
		pss->client = c;
		sc_info("ws: client %u connected from %s (%u clients)", c->id, c->peer, srv->nclients);
		if (full) {
			char why[80];
			snprintf(why, sizeof(why), "server full: %u clients", srv->cfg.max_clients);
			sc_ws_client_close(c, SC_WS_CLOSE_SERVER_FULL, why);
		}
		return 0;
	}
	case LWS_CALLBACK_RECEIVE:
		return c ? receive(c, wsi, in, len) : 0;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c)
			sc_ws_figures_pong(c, in, len);
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (c)
			c->peer_closed = true;
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c ? sc_ws_client_writeable(c) : 0;
	case LWS_CALLBACK_CLOSED:
		if (!c)
			return 0;
		sc_info("ws: client %u (%s, %s) left after %.1f s: %llu frames sent, %llu dropped",
		        c->id, c->peer, !c->joined ? "never joined" : c->player < 0 ? "spectator" : "player",
		        (double)(sc_now_ns() - c->connected_ns) / 1e9,
		        (unsigned long long)c->frames_sent, (unsigned long long)c->frames_dropped);
		sc_ws_figures_left(c);
		if (c->joined) {
			atomic_fetch_sub(&srv->joined_clients, 1);
			if (c->audio)
				atomic_fetch_sub(&srv->audio_clients, 1);
			if (c->player >= 0 && srv->player_owner[c->player] == c->id)
				srv->player_owner[c->player] = 0;
			if (srv->cfg.on_leave)
				srv->cfg.on_leave(srv->cfg.user, c->id, c->player,
				                  !c->peer_closed || c->close_code || c->killed);
		}
		if (c->subscribed) {
			srv->subscribers--;
			if (srv->cfg.on_unsubscribe)
				srv->cfg.on_unsubscribe(srv->cfg.user, c->id);
		}
		pss->client = NULL;
		sc_ws_client_destroy(c);
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		sc_ws_batch_begin(srv);
		sc_ws_server_drain_pending(srv);
		sc_ws_batch_flush(srv);
		if (!sc_ws_tick_ride(srv)) /* housekeeping pumps the feed too */
			sc_ws_server_feed_pump(srv);
		return 0;
	default:
		return 0;
	}
}
