/* server/feed_queue.c: the sample feed's per-subscriber bound. Every sample
 * pushed is either popped, in order, or accounted for by the dropped_before
 * of the next one popped (or still pending): nothing vanishes unreported,
 * nothing is reported twice. */
#include <string.h>

#include "server/feed_queue.h"
#include "tests/lib/check.h"

static struct sc_sample sample(uint32_t tick)
{
	struct sc_sample s;
	memset(&s, 0, sizeof(s));
	s.tick = tick;
	return s;
}

/* Pops everything; checks each item continues the last one (seq gaps equal
 * to the reported drops); returns the last seq popped. */
static uint64_t drain(struct sc_feed_queue *q, uint64_t last, uint64_t *reported, uint64_t *popped)
{
	const struct sc_feed_item *it;
	while ((it = sc_feed_queue_peek(q))) {
		check(it->seq == last + it->dropped_before + 1);
		check(it->s.tick == (uint32_t)it->seq * 2);
		*reported += it->dropped_before;
		last = it->seq;
		(*popped)++;
		sc_feed_queue_pop(q);
	}
	return last;
}

int main(void)
{
	struct sc_feed_queue q;
	check(sc_feed_queue_init(&q, 1)); /* clamped */
	check(q.capacity == SC_FEED_QUEUE_MIN);
	sc_feed_queue_finish(&q);

	check(sc_feed_queue_init(&q, 16));
	check(sc_feed_queue_peek(&q) == NULL);

	/* within the bound: all of them, in order, nothing dropped */
	uint64_t reported = 0, popped = 0, last = 0, seq = 0;
	for (int i = 0; i < 10; i++) {
		seq++;
		struct sc_sample s = sample((uint32_t)seq * 2);
		sc_feed_queue_push(&q, seq, &s, 0);
	}
	check(sc_feed_queue_len(&q) == 10);
	last = drain(&q, last, &reported, &popped);
	check(last == 10 && popped == 10 && reported == 0 && q.overflow_dropped == 0);

	/* 100 into 16: the oldest 84 go, reported on the first one kept */
	for (int i = 0; i < 100; i++) {
		seq++;
		struct sc_sample s = sample((uint32_t)seq * 2);
		sc_feed_queue_push(&q, seq, &s, 0);
	}
	check(sc_feed_queue_len(&q) == 16);
	check(q.overflow_dropped == 84);
	check(sc_feed_queue_peek(&q)->seq == 95 && sc_feed_queue_peek(&q)->dropped_before == 84);
	last = drain(&q, last, &reported, &popped);
	check(last == 110 && reported == 84 && popped == 26);

	/* a gap the caller reports (older than the retention), then an overflow
	 * that pushes out the sample carrying it: both land on the first kept */
	sc_feed_queue_gap(&q, 5);
	seq += 5;
	for (int i = 0; i < 20; i++) {
		seq++;
		struct sc_sample s = sample((uint32_t)seq * 2);
		sc_feed_queue_push(&q, seq, &s, 0);
	}
	check(q.gap_dropped == 5 && q.overflow_dropped == 88);
	check(sc_feed_queue_peek(&q)->dropped_before == 5 + 4);
	last = drain(&q, last, &reported, &popped);
	check(last == seq && reported == 84 + 9);

	/* a gap, then samples, then more than a whole queue at once, with pops between */
	for (int round = 0; round < 50; round++) {
		if (round % 7 == 3) {
			sc_feed_queue_gap(&q, (uint64_t)round);
			seq += (uint64_t)round;
		}
		int n = round % 3 == 0 ? 40 : round % 5;
		for (int i = 0; i < n; i++) {
			seq++;
			struct sc_sample s = sample((uint32_t)seq * 2);
			sc_feed_queue_push(&q, seq, &s, 0);
		}
		if (round % 2)
			last = drain(&q, last, &reported, &popped);
	}
	last = drain(&q, last, &reported, &popped);
	check(last == seq);
	/* every seq 1..last was popped once or reported dropped once */
	check(popped + reported == seq);
	check(reported == q.overflow_dropped + q.gap_dropped);
	sc_feed_queue_finish(&q);
	return 0;
}
