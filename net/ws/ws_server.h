/* The network-facing side of the encoder process: one libwebsockets port that
 * serves the player page (static files), the /stream WebSocket (video out,
 * inputs in; subprotocol "shadowcast.v1", see docs/protocol.md), /metrics
 * (Prometheus text) and /healthz.
 *
 * Threads: sc_ws_server_run() services everything on the calling thread; all
 * callbacks in the config are called on that thread. publish_video(),
 * publish_event(), broadcast(), send_to(), send_to_player(), wake()
 * and stop() may be called from any thread, until destroy();
 * stop every publishing thread before calling sc_ws_server_destroy(). */
#ifndef SC_NET_WS_WS_SERVER_H
#define SC_NET_WS_WS_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/input_event.h"

#define SC_WS_SUBPROTOCOL "shadowcast.v1"
#define SC_WS_PATH "/stream"

/* Binary video message: this header (little-endian) then the Annex-B AU. */
#define SC_WS_VIDEO_MAGIC 0x31564353u /* bytes "SCV1" */
#define SC_WS_VIDEO_VERSION 1u
#define SC_WS_VIDEO_HEADER_BYTES 40u
#define SC_WS_VIDEO_FLAG_KEYFRAME 0x1u

/* Binary audio message (clients that joined with "audio": true): this header
 * (little-endian) then one Opus packet (docs/protocol.md §5a). */
#define SC_WS_AUDIO_MAGIC 0x31414353u /* bytes "SCA1" */
#define SC_WS_AUDIO_VERSION 1u
#define SC_WS_AUDIO_HEADER_BYTES 48u

/* Largest text message a client may send. */
#define SC_WS_MAX_CLIENT_MESSAGE 1024u /* default of max_client_message */
#define SC_WS_MAX_CLIENT_MESSAGE_LIMIT 65536u

/* WebSocket close codes the server uses (docs/protocol.md). */
enum sc_ws_close_code {
	SC_WS_CLOSE_GOING_AWAY = 1001,    /* server stopping */
	SC_WS_CLOSE_BAD_MESSAGE = 4400,   /* malformed JSON, schema error, binary message */
	SC_WS_CLOSE_UNAUTHORIZED = 4401,  /* join without the role's token, or a wrong one */
	SC_WS_CLOSE_JOIN_TIMEOUT = 4408,  /* no join within join_timeout_ms */
	SC_WS_CLOSE_TOO_BIG = 4413,       /* message over max_client_message */
	SC_WS_CLOSE_RATE_LIMITED = 4429,  /* over max_client_msgs_per_sec */
	SC_WS_CLOSE_SERVER_FULL = 4503,   /* max_clients reached */
};

struct sc_video_meta {
	uint64_t frame_number;
	uint32_t tick;            /* game tick the frame shows */
	uint64_t capture_ns;      /* sc_now_ns() when the frame was rendered/captured */
	uint64_t encode_done_ns;  /* sc_now_ns() when the encoder returned the AU */
	bool keyframe;            /* an IDR with SPS/PPS in-band */
};

struct sc_audio_meta {
	uint32_t tick;           /* game tick of the packet's first sample */
	uint64_t sample_pos;     /* that sample's position, 48 kHz since tick 0 */
	uint64_t capture_ns;     /* capture time of that tick (as the video header's) */
	uint64_t packet_number;  /* increasing; a gap means packets were lost */
	uint32_t sample_rate;    /* 48000 */
	uint16_t channels;       /* 1 */
	uint16_t samples;        /* per channel in the packet (480 or 960) */
};

/* Audio as announced in `hello` (cfg.audio): NULL codec = no audio. */
struct sc_ws_audio_info {
	const char *codec;        /* "opus" */
	uint32_t sample_rate, channels, frame_samples, lookahead_samples;
};

/* A request under /api/ for cfg.http_request (service thread). Strings are
 * NUL-terminated and live for the call only. */
struct sc_http_request {
	const char *method;        /* "GET" or "POST" */
	const char *path;          /* without the query */
	const char *query;         /* "a=1&b=2" (fragments joined with '&'), "" if none */
	const char *authorization; /* the Authorization header, "" if none */
	const char *peer;          /* the client's address ("127.0.0.1", "::1"), "" if unknown */
	const char *body;          /* POST body (NUL-terminated), "" for GET */
	size_t body_len;           /* at most SC_WS_MAX_HTTP_BODY */
};

#define SC_WS_MAX_HTTP_BODY 4096u
#define SC_WS_HTTP_PENDING_WORDS 4

/* A response body another thread produces while the service thread sends it
 * (server/disk_reply.c is one): the server pulls it in pieces from its
 * HTTP_WRITEABLE, so a large body never sits whole in memory and the service
 * thread never waits for it. Both functions are called on the service thread
 * only, and must not block. */
struct sc_http_stream {
	/* Copies up to len bytes that are ready now into buf and returns their
	 * count; 0 when none is ready yet (the producer calls
	 * sc_ws_server_wake() when more is); -1 when the body cannot be completed
	 * (the server closes the connection: the client sees a body shorter than
	 * its Content-Length). Sets *done after the last byte. */
	long (*read)(struct sc_http_stream *s, void *buf, size_t len, bool *done);
	/* The server is done with it: sent, failed, or the client left. Called
	 * exactly once for every stream a handler put into a response. */
	void (*release)(struct sc_http_stream *s);
};

/* The handler's answer. status 0: not mine (the server tries http_get, then
 * 404). body is malloc'd by the handler and freed by the server (may be NULL
 * with len 0). stream (instead of body): len bytes (the Content-Length) come
 * from it; the server releases it once, however the request ends (also when
 * it is set on a pending response). pending: not ready yet; the server calls
 * http_poll with the same response (pending_state kept) every few ms, and at
 * once after each sc_ws_server_wake(), until pending is cleared. */
struct sc_http_response {
	unsigned int status;
	const char *content_type;      /* static string */
	char *body;
	size_t len;
	struct sc_http_stream *stream;
	const char *www_authenticate;  /* static string, or NULL */
	char filename[128];            /* "": inline; else Content-Disposition: attachment */
	bool pending;
	uint64_t pending_state[SC_WS_HTTP_PENDING_WORDS];
};

/* Where the events of one accepted `input` message went (the `ack`). */
struct sc_ws_input_applied {
	uint32_t tick;    /* the game tick at which they are applied */
	uint64_t log_seq; /* input-log sequence of the first event; the others follow it */
};

#define SC_WS_MAX_EVENTS_PER_INPUT 3

/* One joined client's counters (cfg.on_client_figures, docs/profiling.md). */
struct sc_ws_client_figures {
	uint32_t client_id;
	int player;               /* -1 spectator */
	uint64_t frames_sent, frames_dropped;
	uint64_t bytes_sent;      /* WebSocket payload bytes written, every kind */
	uint64_t bytes_dropped;   /* video bytes dropped for it (a slow client) */
	uint64_t rtt_ns;          /* the last WebSocket ping's round trip, 0 = none yet */
	uint64_t input_display_ns; /* the median of its last `latency` report, 0 = none */
	bool left;                /* the client is gone: its last figures */
};

enum sc_ws_measure {
	SC_WS_MEASURE_RTT = 1,           /* a WebSocket ping (opcode 9) to its pong, measured here */
	SC_WS_MEASURE_INPUT_DISPLAY = 2, /* an input sent to its frame shown, reported by the client */
};

/* A `subscribe` (docs/protocol.md §11, the developer's sample feed) whose
 * developer token was right. */
struct sc_ws_subscribe {
	uint32_t instance;           /* 0 primary, 1 shadow slot 0, 2 shadow slot 1 */
	bool has_from, has_events_from;
	uint64_t from, events_from;  /* the first sample seq / event id wanted */
	uint32_t queue;              /* its queue's bound asked for (samples); 0 = the server's */
};

/* Feed messages one subscriber may have queued in its send queue, in bytes
 * and in messages (besides video: a client's queue has only its input rate
 * plus SC_WS_CONTROL_SLACK slots for them, and an overrun of those closes
 * it); more wait in the embedding process's own bounded queue
 * (cfg.feed_pump). */
#define SC_WS_FEED_QUEUED_BYTES (64u * 1024)
#define SC_WS_FEED_QUEUED_MSGS 32u

struct sc_ws_server_config {
	const char *listen_addr; /* "127.0.0.1", "::1", "0.0.0.0"; NULL = all */
	uint16_t port;           /* 0 = ephemeral, read back with sc_ws_server_port() */
	const char *web_root;    /* directory with index.html etc. */
	uint32_t width, height, fps;
	uint32_t max_clients;    /* connections on /stream, players and spectators */
	uint32_t max_players;    /* 2..8 */
	size_t client_queue_bytes;    /* video bytes queued per client (0: 2 MiB) */
	uint32_t stall_disconnect_ms; /* nothing written for this long -> closed (0: 3000) */
	/* Optional (0 = default): */
	uint32_t client_queue_frames;     /* video frames queued per client (default 8) */
	uint32_t socket_sndbuf_bytes;     /* SO_SNDBUF of client sockets (default 256 KiB) */
	uint32_t max_client_msgs_per_sec; /* sustained, burst of the same (default 120, at most 10000) */
	uint32_t join_timeout_ms;         /* connected without join (default 10000) */
	uint32_t max_client_message;      /* bytes of one client message (default 1024, 256..65536) */
	/* true: every client's messages go from its WRITEABLE callback, one
	 * send() each; false (default): right after a hand-off, the head of each
	 * waiting client's queue goes in one io_uring submission where the kernel
	 * allows io_uring (net/ws/ws_batch.c) */
	bool no_io_uring;
	/* TLS (https/wss, HTTP/1.1 only): PEM certificate chain and key; both NULL
	 * = plain HTTP. */
	const char *tls_cert, *tls_key;
	/* Browsers' WebSocket upgrades (an Origin header) are taken from the page's
	 * own origin (the Host header, same scheme) and from these origins
	 * ("scheme://host[:port]", comma-separated, exact match); NULL = same
	 * origin only. Upgrades without an Origin (not a browser) are taken. */
	const char *allowed_origins;
	/* Role tokens (docs/protocol.md `join`): NULL = the role is open. A player
	 * slot needs player_token, spectating spectator_token (the player token
	 * does too); developer_token (the debug API's) is good for both. */
	const char *player_token, *spectator_token, *developer_token;

	void *user;
	/* One client `input` message, already validated: its n (1..3) events in
	 * order MOVE, BLOCK, SHOOT (player is the client's; seq is the client's
	 * seq, tick 0). All of them are taken or none: return false to reject the
	 * whole message (nothing of it applied); else fill *applied. */
	bool (*on_input)(void *user, uint32_t client_id, const struct sc_input_event *ev, uint32_t n,
	                 uint64_t arrival_ns, struct sc_ws_input_applied *applied);
	/* A client joined or caught up and needs an IDR. */
	void (*on_keyframe_request)(void *user);
	void (*on_join)(void *user, uint32_t client_id, int player /* -1 spectator */);
	/* A joined client is gone. disconnected: it did not close the WebSocket
	 * itself (the connection broke, stalled, or the server closed it). */
	void (*on_leave)(void *user, uint32_t client_id, int player, bool disconnected);
	/* A player's `chat` (docs/protocol.md): text is valid UTF-8 without
	 * control characters, 1..SC_WS_CHAT_MAX bytes, NUL-terminated; the
	 * client's chat rate limit has been applied. Return false when it cannot
	 * be taken now (the client gets error `chat_rejected`). */
	bool (*on_chat)(void *user, uint32_t client_id, int player, const char *text, uint32_t len);
	/* Optional, service thread: each joined client's figures every
	 * SC_WS_FIGURES_MS and when it leaves; each measurement as it comes
	 * (a ping's round trip, every SC_WS_PING_MS; an input-to-display latency
	 * from the client's `latency` message). */
	void (*on_client_figures)(void *user, const struct sc_ws_client_figures *f);
	void (*on_client_measure)(void *user, uint32_t client_id, enum sc_ws_measure kind, uint64_t ns);
	/* Extra Prometheus lines appended to /metrics; returns bytes written. */
	size_t (*metrics_text)(void *user, char *buf, size_t len);
	/* Instead of metrics_text when set: openmetrics says the scraper asked
	 * for OpenMetrics (histogram exemplars may follow their buckets); the
	 * text is otherwise 0.0.4 (net/ws/ws_prom.h rewrites it). */
	size_t (*metrics_text_fmt)(void *user, char *buf, size_t len, bool openmetrics);
	/* Optional read-only HTTP GET endpoints under /api/ (the embedding process's
	 * status API): write the body of path (without query) into buf (len bytes),
	 * set *content_type, return the body length; 0 = not mine (404). */
	size_t (*http_get)(void *user, const char *path, char *buf, size_t len,
	                   const char **content_type);
	/* Optional: any GET or POST under /api/ (the debug API), tried before
	 * http_get; fills res (see struct sc_http_response). */
	void (*http_request)(void *user, const struct sc_http_request *req,
	                     struct sc_http_response *res);
	void (*http_poll)(void *user, struct sc_http_response *res);
	/* Optional, service thread: the developer's sample feed. on_subscribe: a
	 * client sent `subscribe` with the developer token (checked here; a
	 * server without developer_token refuses every subscribe); return false
	 * to refuse it (the client gets error `subscribe_refused` with why).
	 * on_unsubscribe: that client is gone. feed_pump: called after every
	 * wake, every SC_WS_TICK_MS, and when a subscriber's queue drained,
	 * while anyone is subscribed: it moves messages with
	 * sc_ws_server_feed_send, as many as sc_ws_server_feed_room allows, and
	 * must not block. */
	bool (*on_subscribe)(void *user, uint32_t client_id, const struct sc_ws_subscribe *req, char *why,
	                     size_t whylen);
	void (*on_unsubscribe)(void *user, uint32_t client_id);
	void (*feed_pump)(void *user);
	/* The game's sound, for clients that join with "audio": true. */
	struct sc_ws_audio_info audio;
	/* Shown on the page's stats panel and in /metrics (copied). */
	const char *encoder_name, *encoder_fallback_reason;
};

struct sc_ws_server;

/* Binds the port (fails with a clear sc_err() line if it cannot). */
struct sc_ws_server *sc_ws_server_create(const struct sc_ws_server_config *cfg);
uint16_t sc_ws_server_port(const struct sc_ws_server *srv);
/* Every /metrics sample gets the label session="name" (copied, at most 127
 * bytes; NULL or "": none). Before sc_ws_server_run. */
void sc_ws_server_set_metrics_session(struct sc_ws_server *srv, const char *name);
/* Copies au; false if the hand-off queue to the service thread is full (the
 * frame is dropped and counted). Any thread. */
bool sc_ws_server_publish_video(struct sc_ws_server *srv, const struct sc_video_meta *meta,
                                const uint8_t *au, size_t len);
/* Copies the packet to every joined client that asked for audio, in order
 * with its other messages, above video and never flushed for it (a client
 * that lets its queue fill is disconnected like for control messages).
 * False if the hand-off queue is full (dropped, counted). Any thread. */
bool sc_ws_server_publish_audio(struct sc_ws_server *srv, const struct sc_audio_meta *meta,
                                const uint8_t *packet, size_t len);
/* Sends {"type":"event","event":<json>} to every client, in the event class
 * (below control, above audio and video; never dropped for video). json must
 * be one JSON value. Any thread. */
bool sc_ws_server_publish_event(struct sc_ws_server *srv, const char *json);
/* Sends one JSON text message (json: a whole object: a notice, a chat line)
 * to every joined client, in the event class. Any thread. */
bool sc_ws_server_broadcast(struct sc_ws_server *srv, const char *json);
/* Sends one JSON text message (a haptic) to the client that controls
 * `player` when the service thread handles it (none: dropped, counted in
 * direct_undelivered), in the event class. Any thread. False if the hand-off
 * queue is full. */
bool sc_ws_server_send_to_player(struct sc_ws_server *srv, uint32_t player, const char *json);
/* Any thread: one message in two versions (the event class), `full` for the
 * developers' connections (joined or subscribed with the developer token),
 * `brief` for every other joined client: each gets exactly one. */
bool sc_ws_server_broadcast_split(struct sc_ws_server *srv, const char *brief, const char *full);
/* Sends one JSON text message to the client with this id (a joined one, if
 * it is still connected; else it is dropped and counted), in the control
 * class (input_dropped answers an input like an ack), in order with its
 * other messages. Any thread: handed off to the service
 * thread, written from its SERVER_WRITEABLE. False if the hand-off queue is
 * full (try again later) or json is too big. */
bool sc_ws_server_send_to(struct sc_ws_server *srv, uint32_t client_id, const char *json);
/* Any thread: a pending HTTP answer or a response stream has news; the
 * service thread polls the pending answers and writes the streams that wait
 * for data (lws_cancel_service, LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
void sc_ws_server_wake(struct sc_ws_server *srv);
/* Service thread only (an http_request handler): every connected client's
 * figures as a JSON array into buf; returns its length, 0 if it did not fit. */
size_t sc_ws_server_clients_json(struct sc_ws_server *srv, char *buf, size_t len);
/* Service thread only (cfg.feed_pump): bytes of feed messages the
 * subscribed client can take now: SC_WS_FEED_QUEUED_BYTES minus what its
 * send queue holds besides video; 0 when it is gone, closing, not
 * subscribed, or holds SC_WS_FEED_QUEUED_MSGS such messages. */
size_t sc_ws_server_feed_room(struct sc_ws_server *srv, uint32_t client_id);
/* Service thread only: queues one JSON text message (json, len bytes) for
 * the subscribed client, in the event class. False when it is gone or its
 * queue holds SC_WS_FEED_QUEUED_MSGS messages besides video (nothing
 * queued: the caller tries again at its next pump). */
bool sc_ws_server_feed_send(struct sc_ws_server *srv, uint32_t client_id, const char *json, size_t len);
/* Services the port on the calling thread until sc_ws_server_stop(); then
 * closes every client with 1001. False on a fatal service error. */
bool sc_ws_server_run(struct sc_ws_server *srv);
void sc_ws_server_stop(struct sc_ws_server *srv);
void sc_ws_server_destroy(struct sc_ws_server *srv);

/* Packs the binary audio header (SC_WS_AUDIO_HEADER_BYTES) into out. */
void sc_ws_audio_header_pack(uint8_t out[SC_WS_AUDIO_HEADER_BYTES], const struct sc_audio_meta *meta);

/* Packs the binary video header (SC_WS_VIDEO_HEADER_BYTES) into out. */
void sc_ws_video_header_pack(uint8_t out[SC_WS_VIDEO_HEADER_BYTES],
                             const struct sc_video_meta *meta);

#endif
