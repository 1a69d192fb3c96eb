/* The developer's live sample feed over /stream (docs/protocol.md §11): a
 * client that sent `subscribe` with the developer token gets every sample
 * of its instance the encoder process reads, and every event of the event
 * track, each once and in order, from where it asked (what is still held is
 * replayed first).
 *
 * Service thread only. The encode thread is not involved beyond what it
 * does anyway (the samples into the profile's stores, events into the
 * track): each pump copies what is new from those stores (taking their
 * locks with trylock, so the service thread never waits for the encode
 * thread; a busy lock is tried at the next pump) into the subscriber's
 * bounded queue (server/feed_queue.h), and sends from the queue only as
 * much as the client's send queue has room for (net/ws/ws_server.h
 * sc_ws_server_feed_room). A slow subscriber's oldest samples are dropped
 * and reported to it in a `dropped` message; events are never dropped for
 * it, only by the track's own retention (also reported). */
#ifndef SC_SERVER_SAMPLE_FEED_H
#define SC_SERVER_SAMPLE_FEED_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/feed_queue.h"

#define SC_FEED_MAX_SUBSCRIBERS 4

struct sc_profile;
struct sc_ws_server;
struct sc_ws_subscribe;

struct sc_feed_sub {
	bool used;
	uint32_t client_id;
	uint32_t instance;
	uint64_t next_n;     /* the next history index to copy (the sample seq - 1) */
	uint64_t next_event; /* the next event id to send */
	struct sc_feed_queue q;
	/* the metadata JSON of the version the last sample sent had (copied
	 * under the profile's lock when it changes) */
	uint32_t meta_ver;
	bool meta_have;
	char meta_json[2048]; /* SC_META_JSON_MAX (server/profile_metrics.h) */
};

struct sc_sample_feed {
	struct sc_profile *profile;
	struct sc_ws_server *ws;
	uint32_t queue_capacity; /* --feed-queue */
	struct sc_feed_sub subs[SC_FEED_MAX_SUBSCRIBERS];
	/* /metrics (service thread writes, service thread reads) */
	uint64_t samples_sent, events_sent;
	uint64_t samples_dropped_queue, samples_dropped_retention, events_dropped;
	uint64_t lock_busy; /* pumps that found a store's lock taken and tried later */
};

void sc_sample_feed_init(struct sc_sample_feed *f, struct sc_profile *profile, uint32_t queue_capacity);
void sc_sample_feed_set_server(struct sc_sample_feed *f, struct sc_ws_server *ws);
void sc_sample_feed_finish(struct sc_sample_feed *f);

/* cfg.on_subscribe / on_unsubscribe / feed_pump (net/ws/ws_server.h). */
bool sc_sample_feed_subscribe(struct sc_sample_feed *f, uint32_t client_id, const struct sc_ws_subscribe *req,
                              char *why, size_t whylen);
void sc_sample_feed_unsubscribe(struct sc_sample_feed *f, uint32_t client_id);
void sc_sample_feed_pump(struct sc_sample_feed *f);

/* Its /metrics lines; returns bytes written. */
size_t sc_sample_feed_metrics_text(const struct sc_sample_feed *f, char *buf, size_t len);

#endif
