/* One sample-feed subscriber's bounded queue (docs/protocol.md §11): the
 * samples read for it and not yet sent. Pushing into a full queue drops the
 * oldest sample; every drop, and every gap the caller reports (samples it
 * never had: older than the retention), is remembered on the sample after
 * it, so the subscriber is told exactly which sequence numbers it missed,
 * just before the first sample it gets after them. Memory: capacity
 * records, allocated once. Service thread only. */
#ifndef SC_SERVER_FEED_QUEUE_H
#define SC_SERVER_FEED_QUEUE_H
#include <stdbool.h>
#include <stdint.h>

#include "session/shm/sample.h"

#define SC_FEED_QUEUE_DEFAULT 4096u
#define SC_FEED_QUEUE_MIN 16u
#define SC_FEED_QUEUE_MAX 65536u

struct sc_feed_item {
	uint64_t seq;            /* the instance's sample number, 1, 2, ... */
	uint64_t dropped_before; /* samples seq - dropped_before .. seq - 1 were dropped */
	uint32_t meta;           /* the metadata version in force for it (server/profile_metrics.h) */
	struct sc_sample s;
};

struct sc_feed_queue {
	struct sc_feed_item *items;
	uint32_t capacity;
	uint64_t head, tail;       /* items[head % capacity] is the oldest; tail - head held */
	uint64_t pending_gap;      /* dropped after the newest held (an empty queue): on the next push */
	uint64_t overflow_dropped; /* samples the bound pushed out, in all */
	uint64_t gap_dropped;      /* samples reported missing by sc_feed_queue_gap, in all */
};

/* capacity clamped to SC_FEED_QUEUE_MIN..MAX; false: no memory. */
bool sc_feed_queue_init(struct sc_feed_queue *q, uint32_t capacity);
void sc_feed_queue_finish(struct sc_feed_queue *q);
/* n samples before the next pushed one will never come (counted as dropped). */
void sc_feed_queue_gap(struct sc_feed_queue *q, uint64_t n);
/* Appends sample seq (seqs increasing, gaps only through sc_feed_queue_gap);
 * a full queue drops its oldest first. */
void sc_feed_queue_push(struct sc_feed_queue *q, uint64_t seq, const struct sc_sample *s, uint32_t meta);
/* The oldest held, NULL when empty; pop removes it. */
struct sc_feed_item *sc_feed_queue_peek(struct sc_feed_queue *q);
void sc_feed_queue_pop(struct sc_feed_queue *q);
uint32_t sc_feed_queue_len(const struct sc_feed_queue *q);

#endif
