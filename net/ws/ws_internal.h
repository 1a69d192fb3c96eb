/* Shared between the net/ws_*.c files: the server object, per-client state,
 * and the functions each file offers the others. Not a public header. */
#ifndef SC_NET_WS_WS_INTERNAL_H
#define SC_NET_WS_WS_INTERNAL_H
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/ws/ws_json.h"
#include "net/ws/ws_msg.h"
#include "net/ws/ws_queue.h"
#include "net/ws/ws_server.h"
#include "util/auth_limit.h"

#define SC_WS_TX_PACKET_SIZE (128 * 1024)
#define SC_WS_RX_BUFFER_SIZE (16 * 1024)
/* publish -> service hand-off: video and audio may take SC_WS_PENDING_MEDIA
 * slots (a service thread that is behind makes them drop, counted); events,
 * chat, notices and control messages the rest, so a burst of media or a
 * briefly starved service thread does not lose them */
#define SC_WS_PENDING_MAX 1024
#define SC_WS_PENDING_MEDIA 64
#define SC_WS_PENDING_MAX_BYTES (32u << 20)
#define SC_WS_WRITES_PER_CALLBACK 8
#define SC_WS_TICK_MS 50                     /* housekeeping timer */
#define SC_WS_TICK_PROTOCOL "sc-housekeeping" /* its lws protocol (a raw file, not a WebSocket one) */
#define SC_WS_KEYFRAME_RETRY_MS 1000
#define SC_WS_CLOSE_GRACE_S 2                /* deferred close -> hard kill */
#define SC_WS_CONTROL_QUEUE_BYTES (256u * 1024)
#define SC_WS_CONTROL_SLACK 64               /* queue slots beyond video + a burst's answers */
#define SC_WS_MAX_MSGS_PER_SEC 10000         /* max_client_msgs_per_sec (a queue slot each) */
#define SC_WS_CHAT_BURST 5                   /* chat messages a client may send at once */
#define SC_WS_CHAT_REFILL_MS 2000            /* then one more every this many ms */
#define SC_WS_PING_MS 1000                   /* a WebSocket ping to each joined client (RTT) */
#define SC_WS_PING_LOST_MS 10000             /* a ping unanswered this long is forgotten */
#define SC_WS_PING_RIDE_MS 100               /* a ping waits this long for a video write to go with */
#define SC_WS_FIGURES_MS 1000                /* cfg.on_client_figures per joined client */

struct sc_ws_client {
	struct sc_ws_server *srv;
	struct lws *wsi;
	struct sc_ws_client *prev, *next;
	uint32_t id;
	int player; /* -1 spectator / not joined */
	bool joined;
	bool subscribed; /* a developer's sample feed (cfg.on_subscribe took it) */
	bool developer;  /* joined or subscribed with the developer token: the full incident reports */
	bool audio;  /* joined with "audio": true: gets the audio packets */
	uint64_t connected_ns;
	char peer[64];

	struct sc_ws_queue *queue;
	bool need_keyframe;         /* dropping video until the next keyframe */
	uint64_t keyframe_asked_ns; /* last on_keyframe_request for this client */
	uint64_t waiting_since_ns;  /* data waiting and nothing written since; 0 = idle */
	bool killed;
	bool batch_want;            /* waiting for the hand-off's batched write (ws_batch.c) */

	/* receive */
	char *rx;                 /* cfg.max_client_message bytes */
	size_t rx_len;
	bool rx_binary;
	double tokens;
	uint64_t tokens_ns;
	bool have_seq;
	uint32_t last_seq;
	uint64_t keyframe_msg_ns;
	double chat_tokens;         /* chat's own token bucket (SC_WS_CHAT_*) */
	uint64_t chat_tokens_ns;

	/* closing from RECEIVE: lws owns the close handshake now */
	bool closing;
	bool peer_closed; /* the client sent a close frame (it left; else it was disconnected) */
	/* deferred close (sent from WRITEABLE) */
	int close_code;
	char close_reason[124];

	/* stats */
	uint64_t frames_sent, frames_dropped, bytes_sent, overruns, inputs;
	uint64_t bytes_dropped;      /* video bytes dropped for this client */
	/* per-client figures (ws_client_figures.c) */
	bool ping_want;              /* a ping goes out at the next WRITEABLE */
	uint64_t ping_sent_ns;       /* the outstanding ping (its payload), 0 = none */
	uint64_t next_ping_ns, next_figures_ns;
	uint64_t video_written_ns;   /* when the last video frame was written; 0 = none yet */
	uint64_t rtt_ns;             /* the last round trip, 0 = none yet */
	uint64_t rtt_count;
	uint64_t input_display_ns;   /* median of the last `latency` report, 0 = none */
	uint64_t input_display_count;
	uint64_t audio_sent, events_sent; /* audio packets, event-class messages written */
};

struct sc_ws_stats {
	uint64_t connections, frames_published, frames_sent, frames_dropped;
	uint64_t bytes_sent, queue_overruns, stall_disconnects, protocol_closes;
	uint64_t inputs, inputs_rejected, keyframe_requests, events_sent;
	uint64_t audio_sent; /* audio packets queued to clients */
	uint64_t direct_sent, direct_undelivered; /* sc_ws_server_send_to messages */
	uint64_t chats, chats_limited, chats_rejected; /* chat messages taken, over the chat limit, refused by on_chat */
	uint64_t feed_sent; /* sample-feed messages queued to subscribers */
	/* batched writes (ws_batch.c): io_uring submissions, messages written by
	 * them, and those of them the socket took only in part (the rest went to
	 * libwebsockets' buffer) */
	uint64_t batches, batched_writes, batched_remainders;
	uint64_t closes_by_code[5]; /* 4400, 4408, 4413, 4429, 4503 */
};

struct sc_ws_server {
	struct sc_ws_server_config cfg; /* strings point at the copies below */
	char *listen_addr, *web_root, *encoder_name, *encoder_fallback_reason, *allowed_origins;
	char *player_token, *spectator_token, *developer_token;
	struct sc_auth_limit join_limit; /* wrong join tokens per address */
	bool tls;
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	struct lws_protocols protocols[4];
	struct lws_http_mount mounts[5];
	uint16_t port;
	char metrics_session[128]; /* the session label of every /metrics sample ("" none) */
	atomic_bool stopping;
	lws_sorted_usec_list_t sul_tick; /* housekeeping where the timerfd could not be adopted */
	int tick_fd;                     /* housekeeping timerfd (ws_tick.c), -1 none */
	struct lws *tick_wsi;            /* its raw-file wsi in the event loop */
	uint64_t housekeeping_ns;        /* when housekeeping last ran */
	uint64_t housekeeping_timer_runs; /* of housekeeping_runs, those its timer woke (no wake came) */
	uint64_t housekeeping_runs;      /* service thread only */
	bool destroying;                 /* lws_context_destroy is closing the timer's wsi */

	/* publish -> service thread hand-off */
	pthread_mutex_t lock;
	struct sc_ws_msg *pending[SC_WS_PENDING_MAX];
	uint32_t npending;
	size_t pending_bytes;
	atomic_uint_fast64_t frames_published, publish_dropped, events_published;
	atomic_uint_fast64_t handoff_dropped; /* text messages (events, chat, notices, control) the hand-off had no room for */
	atomic_uint_fast64_t audio_published, audio_handed_off; /* every packet; those a listener made us hand off */
	atomic_uint joined_clients; /* skip the copy when nobody watches */
	atomic_uint audio_clients;  /* joined with audio: skip the copy and the wake-up when nobody listens */

	/* service thread only */
	struct sc_ws_batch *batch;       /* NULL: no batched writes (ws_batch.c) */
	bool batch_collecting;           /* in the hand-off's drain: mark_waiting defers to the batch */
	struct sc_ws_http_pss *http_waiting; /* see struct sc_ws_http_pss */
	struct sc_ws_client *clients;
	uint32_t nclients;
	uint32_t next_client_id;
	uint32_t player_owner[SC_MAX_PLAYERS]; /* client id, 0 = free */
	uint32_t subscribers; /* clients with the sample feed */
	struct sc_ws_stats stats;
};

/* Per-connection state of the "http" protocol (ws_http.c). */
struct sc_ws_http_pss {
	struct lws *wsi;
	char *body;                    /* response body (malloc'd), written in pieces */
	struct sc_http_stream *stream; /* or the body comes from here */
	size_t len, off;
	/* on srv->http_waiting while a pending answer or a stream is open:
	 * sc_ws_server_wake() makes each of them writeable */
	struct sc_ws_http_pss *wait_prev, *wait_next;
	bool waiting;
	bool is_post;
	char path[256], query[256], auth[256];
	char accept[256];              /* the Accept header (/metrics: OpenMetrics or 0.0.4) */
	char peer[64];
	char *rx;                      /* POST body, SC_WS_MAX_HTTP_BODY + 1 */
	size_t rx_len;
	bool rx_too_big;
	bool dispatched;               /* serve() ran: a request is answered once */
	struct sc_http_response *pending; /* waiting for cfg.http_poll */
};

/* ws_client.c */
struct sc_ws_client *sc_ws_client_create(struct sc_ws_server *srv, struct lws *wsi);
void sc_ws_client_destroy(struct sc_ws_client *c);
bool sc_ws_client_send_control(struct sc_ws_client *c, struct sc_ws_msg *msg);
void sc_ws_client_send_video(struct sc_ws_client *c, struct sc_ws_msg *msg);
/* Queues an {"type":"error"} message. */
void sc_ws_client_send_error(struct sc_ws_client *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sc_ws_client_writeable(struct sc_ws_client *c);
/* msg (popped from c's queue) was written: counts it, progress. */
void sc_ws_client_wrote(struct sc_ws_client *c, const struct sc_ws_msg *msg);
/* After writes: asks for WRITEABLE while anything waits (queued or buffered
 * in lws), else the client is idle (caught up: keyframe, sample feed). */
void sc_ws_client_after_writes(struct sc_ws_client *c);
/* Closes with code/reason from the next WRITEABLE (hard kill after a grace). */
void sc_ws_client_close(struct sc_ws_client *c, int code, const char *reason);
void sc_ws_client_kill(struct sc_ws_client *c, const char *why);
void sc_ws_client_housekeeping(struct sc_ws_client *c, uint64_t now_ns);
void sc_ws_client_ask_keyframe(struct sc_ws_client *c, uint64_t now_ns);

/* ws_tick.c: housekeeping (client stalls, pings, figures, the sample feed's
 * pump) every SC_WS_TICK_MS: from the first hand-off wake that long after
 * the last run (sc_ws_tick_ride), else from its timer, at most
 * SC_WS_TICK_MS / 2 later. Start after the context exists, finish after it
 * is destroyed. */
void sc_ws_tick_start(struct sc_ws_server *srv);
/* A hand-off woke the service thread (LWS_CALLBACK_EVENT_WAIT_CANCELLED):
 * housekeeping runs here when due, so its timer does not wake poll() too;
 * true when it ran (the feed's pump included). */
bool sc_ws_tick_ride(struct sc_ws_server *srv);
void sc_ws_tick_finish(struct sc_ws_server *srv);
int sc_ws_tick_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

/* ws_client_figures.c: per-client figures (RTT by WebSocket ping, reported
 * input-to-display latency, bytes) for cfg.on_client_* and /metrics */
void sc_ws_figures_housekeeping(struct sc_ws_client *c, uint64_t now_ns);
/* From WRITEABLE, before the queue: the ping, if one is due. 1: written (the
 * next write must ask lws_send_pipe_choked), 0: none due, -1: a write error. */
int sc_ws_figures_write_ping(struct sc_ws_client *c);
void sc_ws_figures_pong(struct sc_ws_client *c, const void *in, size_t len);
void sc_ws_figures_latency(struct sc_ws_client *c, const struct sc_ws_client_msg *m);
void sc_ws_figures_left(struct sc_ws_client *c);
/* Per-client gauges and counters (label client="ID") for /metrics. */
size_t sc_ws_figures_metrics(struct sc_ws_server *srv, char *buf, size_t len);

/* ws_batch.c: the head of every waiting client's queue written in one
 * io_uring submission right after a hand-off (why: the file's comment).
 * sc_ws_batch_create is NULL where batching is off or io_uring is not
 * allowed (logged once); destroy takes NULL. Service thread only after
 * create. */
struct sc_ws_batch *sc_ws_batch_create(const struct sc_ws_server *srv);
void sc_ws_batch_destroy(struct sc_ws_batch *b);
/* Between begin and flush (the hand-off's drain), clients that get messages
 * are marked (batch_want) instead of asking lws for WRITEABLE; flush writes
 * them and asks WRITEABLE for what is left. Both no-ops without a batch. */
void sc_ws_batch_begin(struct sc_ws_server *srv);
void sc_ws_batch_flush(struct sc_ws_server *srv);
/* Whether io_uring is in use, for /metrics. */
bool sc_ws_batch_active(const struct sc_ws_server *srv);

/* ws_stream.c */
int sc_ws_stream_callback(struct lws *wsi, enum lws_callback_reasons reason,
                          void *user, void *in, size_t len);
/* ws_http.c */
int sc_ws_http_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len);
/* ws_metrics.c: Prometheus text into buf; returns the length (< len).
 * openmetrics: the embedding process's histograms carry exemplars (the text
 * is then rewritten, net/ws/ws_prom.h). */
size_t sc_ws_metrics_format(struct sc_ws_server *srv, char *buf, size_t len, bool openmetrics);
/* ws_server.c */
void sc_ws_server_drain_pending(struct sc_ws_server *srv);
void sc_ws_server_count_close(struct sc_ws_server *srv, int code);
/* cfg.feed_pump, when anyone is subscribed */
void sc_ws_server_feed_pump(struct sc_ws_server *srv);

#endif
