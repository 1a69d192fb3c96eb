/* The dropped-inputs ring in the session block (server/input_drops.c) and the
 * encoder's log seq -> client map (server/input_origins.c): drops read once
 * and in order, a reader lapped by the writer skips (and counts) what it
 * lost, a count that goes backwards is survived, drops found by log-seq
 * range; a reader racing the writer only ever gets whole entries (TSan). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../net/shm_test.h"
#include "net/shm/input_event.h"
#include "server/input_drops.h"
#include "server/input_origins.h"

static struct sc_session_shm *new_session(void)
{
	struct sc_session_shm *s = calloc(1, sizeof(*s));
	CHECK(s);
	return s;
}

static void test_publish_read(void)
{
	struct sc_session_shm *s = new_session();
	sc_input_drops_publish(s, 7, 100, SC_INPUT_DROP_FAULT_INPUT); /* before the reader: not its business */
	struct sc_input_drops_reader r;
	sc_input_drops_reader_init(&r, s);
	struct sc_input_drop d[8];
	CHECK_EQ(sc_input_drops_read(&r, s, d, 8), 0);
	sc_input_drops_publish(s, 40, 200, SC_INPUT_DROP_OFFENDING_TICK);
	sc_input_drops_publish(s, 41, 200, SC_INPUT_DROP_OFFENDING_TICK);
	sc_input_drops_publish(s, 42, 200, SC_INPUT_DROP_FAULT_INPUT);
	CHECK_EQ(atomic_load(&s->inputs_dropped), 4);
	CHECK_EQ(sc_input_drops_read(&r, s, d, 2), 2); /* max respected */
	CHECK_EQ(d[0].index, 1);
	CHECK_EQ(d[0].log_seq, 40);
	CHECK_EQ(d[0].tick, 200);
	CHECK_EQ(d[1].log_seq, 41);
	CHECK_EQ(sc_input_drops_read(&r, s, d, 8), 1);
	CHECK_EQ(d[0].log_seq, 42);
	CHECK(strcmp(sc_input_drop_reason_name(d[0].reason), "fault_input") == 0);
	CHECK(strcmp(sc_input_drop_reason_name(SC_INPUT_DROP_OFFENDING_TICK), "offending_tick") == 0);
	CHECK(strcmp(sc_input_drop_reason_name(77), "unknown") == 0);
	CHECK_EQ(sc_input_drops_read(&r, s, d, 8), 0);
	/* a drop that could not be passed on is read again */
	sc_input_drops_unread(&r, 2);
	CHECK_EQ(sc_input_drops_read(&r, s, d, 8), 2);
	CHECK_EQ(d[0].log_seq, 41);
	CHECK_EQ(r.lost, 0);
	free(s);
}

static void test_lapped_and_corrupt(void)
{
	struct sc_session_shm *s = new_session();
	struct sc_input_drops_reader r;
	sc_input_drops_reader_init(&r, s);
	for (uint64_t i = 0; i < SC_INPUT_DROPS_RING + 10; i++)
		sc_input_drops_publish(s, 1000 + i, (uint32_t)i, SC_INPUT_DROP_OFFENDING_TICK);
	struct sc_input_drop d[SC_INPUT_DROPS_RING];
	size_t n = sc_input_drops_read(&r, s, d, SC_INPUT_DROPS_RING);
	/* the oldest slot is the writer's next target: RING - 1 readable */
	CHECK_EQ(n, SC_INPUT_DROPS_RING - 1);
	CHECK_EQ(r.lost, 11);
	CHECK_EQ(d[0].index, 11);
	CHECK_EQ(d[0].log_seq, 1011);
	CHECK_EQ(d[n - 1].log_seq, 1000 + SC_INPUT_DROPS_RING + 9);
	/* find by log-seq range: only what the ring still holds */
	CHECK_EQ(sc_input_drops_find(s, 1000, 1013, d, 8), 2);
	CHECK_EQ(d[0].log_seq, 1011);
	CHECK_EQ(d[1].log_seq, 1012);
	CHECK_EQ(sc_input_drops_find(s, 5, 6, d, 8), 0);
	CHECK_EQ(sc_input_drops_find(s, 1020, 1030, d, 3), 3); /* max respected */
	/* a hostile count: backwards, then a huge jump */
	atomic_store(&s->inputs_dropped, 3);
	CHECK_EQ(sc_input_drops_read(&r, s, d, 8), 0);
	CHECK_EQ(r.corrupt, 1);
	CHECK_EQ(r.next, 3);
	atomic_store(&s->inputs_dropped, UINT64_MAX);
	n = sc_input_drops_read(&r, s, d, 4);
	CHECK_EQ(n, 4); /* the last slots, whatever they hold: in bounds */
	CHECK_EQ(d[0].index, UINT64_MAX - (SC_INPUT_DROPS_RING - 1));
	CHECK_EQ(sc_input_drops_find(s, 0, UINT64_MAX, d, SC_INPUT_DROPS_RING), SC_INPUT_DROPS_RING - 1);
	free(s);
}

static void test_origins(void)
{
	struct sc_input_origins o;
	CHECK(!sc_input_origins_init(&o, 12)); /* not a power of two */
	CHECK(sc_input_origins_init(&o, 8));
	struct sc_input_origin got;
	CHECK(!sc_input_origins_get(&o, 0, &got)); /* empty */
	sc_input_origins_put(&o, 3, 7, 1001, SC_INPUT_MOVE);
	sc_input_origins_put(&o, 4, 7, 1001, SC_INPUT_BLOCK);
	CHECK(sc_input_origins_get(&o, 4, &got));
	CHECK_EQ(got.client_id, 7);
	CHECK_EQ(got.client_seq, 1001);
	CHECK_EQ(got.action, SC_INPUT_BLOCK);
	CHECK(!sc_input_origins_get(&o, 5, &got));  /* a debug API input: no entry */
	CHECK(!sc_input_origins_get(&o, 11, &got)); /* same slot as 3, another seq */
	sc_input_origins_put(&o, 11, 9, 5, SC_INPUT_SHOOT); /* the log wrapped */
	CHECK(!sc_input_origins_get(&o, 3, &got));
	CHECK(sc_input_origins_get(&o, 11, &got));
	CHECK_EQ(got.client_id, 9);
	CHECK(!sc_input_origins_get(&o, UINT64_MAX, &got));
	sc_input_origins_finish(&o);
}

/* The primary publishing drops while the encoder reads them. */
#define RACE_TOTAL (SC_TEST_SANITIZED ? 200000u : 2000000u)

struct race {
	struct sc_session_shm *s;
	atomic_bool done;
};

static void *writer(void *arg)
{
	struct race *rc = arg;
	for (uint64_t i = 0; i < RACE_TOTAL; i++)
		sc_input_drops_publish(rc->s, i * 3, (uint32_t)i, 1 + (uint32_t)(i % 2));
	atomic_store(&rc->done, true);
	return NULL;
}

static void test_race(void)
{
	struct race rc = {.s = new_session()};
	struct sc_input_drops_reader r = {0};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, writer, &rc) == 0);
	uint64_t got = 0, next = 0;
	struct sc_input_drop d[16];
	for (;;) {
		bool done = atomic_load(&rc.done);
		size_t n = sc_input_drops_read(&r, rc.s, d, 16);
		for (size_t k = 0; k < n; k++) {
			CHECK(d[k].index >= next); /* in order, each once */
			next = d[k].index + 1;
			CHECK_EQ(d[k].log_seq, d[k].index * 3);
			CHECK_EQ(d[k].tick, (uint32_t)d[k].index);
			CHECK_EQ(d[k].reason, 1 + d[k].index % 2);
		}
		got += n;
		if (done && n == 0)
			break;
	}
	pthread_join(th, NULL);
	CHECK_EQ(got + r.lost, RACE_TOTAL);
	CHECK_EQ(r.corrupt, 0);
	printf("race: %llu drops read whole, %llu lost to the writer lapping the reader\n", (unsigned long long)got,
	       (unsigned long long)r.lost);
	free(rc.s);
}

int main(void)
{
	test_publish_read();
	test_lapped_and_corrupt();
	test_origins();
	test_race();
	printf("test_input_drops: ok\n");
	return 0;
}
