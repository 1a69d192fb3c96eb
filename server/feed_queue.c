#include "server/feed_queue.h"

#include <stdlib.h>
#include <string.h>

bool sc_feed_queue_init(struct sc_feed_queue *q, uint32_t capacity)
{
	memset(q, 0, sizeof(*q));
	if (capacity < SC_FEED_QUEUE_MIN)
		capacity = SC_FEED_QUEUE_MIN;
	if (capacity > SC_FEED_QUEUE_MAX)
		capacity = SC_FEED_QUEUE_MAX;
	q->items = calloc(capacity, sizeof(*q->items));
	q->capacity = q->items ? capacity : 0;
	return q->items != NULL;
}

void sc_feed_queue_finish(struct sc_feed_queue *q)
{
	free(q->items);
	memset(q, 0, sizeof(*q));
}

uint32_t sc_feed_queue_len(const struct sc_feed_queue *q)
{
	return (uint32_t)(q->tail - q->head);
}

void sc_feed_queue_gap(struct sc_feed_queue *q, uint64_t n)
{
	q->pending_gap += n;
	q->gap_dropped += n;
}

void sc_feed_queue_pop(struct sc_feed_queue *q)
{
	if (q->tail != q->head)
		q->head++;
}

struct sc_feed_item *sc_feed_queue_peek(struct sc_feed_queue *q)
{
	return q->tail != q->head ? &q->items[q->head % q->capacity] : NULL;
}

void sc_feed_queue_push(struct sc_feed_queue *q, uint64_t seq, const struct sc_sample *s, uint32_t meta)
{
	if (!q->capacity)
		return;
	if (sc_feed_queue_len(q) == q->capacity) {
		/* the oldest goes: the one after it (or the new one) says so */
		uint64_t lost = q->items[q->head % q->capacity].dropped_before + 1;
		q->head++;
		q->overflow_dropped++;
		if (q->tail != q->head)
			q->items[q->head % q->capacity].dropped_before += lost;
		else
			q->pending_gap += lost;
	}
	struct sc_feed_item *it = &q->items[q->tail++ % q->capacity];
	it->seq = seq;
	it->dropped_before = q->pending_gap;
	it->s = *s;
	it->meta = meta;
	q->pending_gap = 0;
}
