/* The shadow's backlog (shadow/backlog.h): order and inputs kept across
 * growth and wrap-around, gaps refused (a missing tick, inputs that do not
 * follow on), the memory bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/backlog.h"

static int failures;
#define CHECK(c, ...)                                                                                             \
	do {                                                                                                       \
		if (!(c)) {                                                                                        \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                       \
			fprintf(stderr, __VA_ARGS__);                                                              \
			fprintf(stderr, "\n");                                                                     \
			failures++;                                                                                \
		}                                                                                                  \
	} while (0)

/* tick t has t % 3 inputs, each tagged with its tick and index */
static enum sc_backlog_result push_tick(struct sc_backlog *b, uint32_t t, uint64_t *seq)
{
	struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
	uint32_t n = t % 3;
	for (uint32_t i = 0; i < n; i++)
		ev[i] = (struct sc_input_event){.tick = t, .player = (uint8_t)i, .action = SC_INPUT_MOVE, .a = 1};
	struct sc_tick_record r = {.tick = t, .n_inputs = n, .seq_begin = *seq, .seq_end = *seq + n, .hash = t * 7u};
	enum sc_backlog_result res = sc_backlog_push(b, &r, ev, NULL, 0);
	if (res == SC_BACKLOG_OK)
		*seq += n;
	return res;
}

static void test_order_across_growth(void)
{
	struct sc_backlog b;
	sc_backlog_init(&b, 64u << 20, 100, 5000);
	uint64_t seq = 5000;
	uint32_t next_pop = 100;
	/* push 10,000 ticks, popping a third of the way, so the rings wrap and grow */
	for (uint32_t t = 100; t < 10100; t++) {
		CHECK(push_tick(&b, t, &seq) == SC_BACKLOG_OK, "push tick %u", t);
		if (t % 3 == 0) {
			struct sc_tick_record r;
			struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
			sc_backlog_get(&b, 0, &r, ev);
			CHECK(r.tick == next_pop && r.hash == next_pop * 7u, "front is tick %u, got %u", next_pop, r.tick);
			for (uint32_t i = 0; i < r.n_inputs; i++)
				CHECK(ev[i].tick == r.tick && ev[i].player == i, "tick %u input %u", r.tick, i);
			sc_backlog_pop(&b);
			next_pop++;
		}
	}
	size_t n = sc_backlog_ticks(&b);
	CHECK(n == 10000 - (next_pop - 100), "ticks waiting: %zu", n);
	for (size_t i = 0; i < n; i++) {
		struct sc_tick_record r;
		struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
		sc_backlog_get(&b, i, &r, ev);
		CHECK(r.tick == next_pop + i, "record %zu is tick %zu, got %u", i, next_pop + i, r.tick);
		for (uint32_t k = 0; k < r.n_inputs; k++)
			CHECK(ev[k].tick == r.tick && ev[k].player == k, "tick %u input %u", r.tick, k);
	}
	CHECK(b.have_newest && b.newest.tick == 10099, "newest tick %u", b.newest.tick);
	sc_backlog_finish(&b);
}

static void test_gaps(void)
{
	struct sc_backlog b;
	char why[160];
	sc_backlog_init(&b, 1u << 20, 10, 0);
	uint64_t seq = 0;
	CHECK(push_tick(&b, 10, &seq) == SC_BACKLOG_OK, "tick 10");
	CHECK(push_tick(&b, 12, &seq) == SC_BACKLOG_GAP, "tick 11 missing: a gap");
	struct sc_tick_record r = {.tick = 11, .n_inputs = 1, .seq_begin = seq + 1, .seq_end = seq + 2};
	struct sc_input_event ev[1] = {{.tick = 11}};
	CHECK(sc_backlog_push(&b, &r, ev, why, sizeof(why)) == SC_BACKLOG_GAP && strstr(why, "seq"),
	      "inputs that skip a seq: a gap (%s)", why);
	r.seq_begin = seq;
	r.seq_end = seq + SC_MAX_INPUTS_PER_TICK + 1;
	r.n_inputs = SC_MAX_INPUTS_PER_TICK + 1;
	CHECK(sc_backlog_push(&b, &r, ev, NULL, 0) == SC_BACKLOG_BAD, "more inputs than a tick takes");
	CHECK(sc_backlog_ticks(&b) == 1, "nothing added by refused records");
	CHECK(push_tick(&b, 11, &seq) == SC_BACKLOG_OK, "tick 11 after the refusals");
	sc_backlog_finish(&b);
}

static void test_bound(void)
{
	struct sc_backlog b;
	char why[160] = "";
	sc_backlog_init(&b, 256u << 10, 0, 0);
	uint64_t seq = 0;
	uint32_t t = 0;
	enum sc_backlog_result r;
	while ((r = push_tick(&b, t, &seq)) == SC_BACKLOG_OK && t < 1000000)
		t++;
	CHECK(r == SC_BACKLOG_FULL, "the bound is reached, got %d after %u ticks", (int)r, t);
	CHECK(sc_backlog_bytes(&b) <= 256u << 10, "within the bound: %zu bytes", sc_backlog_bytes(&b));
	CHECK(t > 1000, "a 256 KiB backlog holds more than 1000 ticks, held %u", t);
	sc_backlog_pop(&b);
	CHECK(sc_backlog_push(&b, &(struct sc_tick_record){.tick = t, .seq_begin = seq, .seq_end = seq}, NULL, why,
	                      sizeof(why)) == SC_BACKLOG_OK, "room again after a pop: %s", why);
	sc_backlog_finish(&b);
}

int main(void)
{
	test_order_across_growth();
	test_gaps();
	test_bound();
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("backlog: order across growth and wrap, gaps refused, bounded\n");
	return 0;
}
