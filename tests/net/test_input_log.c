/* Input log: one writer, readers with their own cursors. Back-pressure
 * instead of overwriting, peek at a sequence without consuming, stop before
 * a tick, attach/detach, corrupt tails, and a multi-process run where readers
 * at different lags (and one attaching late) all see the full sequence.
 * Appending n records is all or nothing; an observer (no reader slot) copies
 * a record only while the writer still keeps it, also while it overwrites. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "net/shm/input_event.h"
#include "net/shm/input_log.h"
#include "shm_test.h"

#define REC sizeof(struct sc_input_event)

static struct sc_input_event make_event(uint64_t seq)
{
	struct sc_input_event ev = {
		.tick = (uint32_t)(seq / 4), /* four inputs per tick */
		.seq = (uint32_t)seq,
		.player = (uint8_t)(seq % SC_MAX_PLAYERS),
		.action = SC_INPUT_MOVE,
		.a = (int8_t)(seq % 127),
		.b = (int8_t)-(int8_t)(seq % 100),
		.reserved = test_checksum(&seq, sizeof(seq)),
	};
	return ev;
}

static void check_event(const struct sc_input_event *ev, uint64_t seq)
{
	struct sc_input_event want = make_event(seq);
	CHECK(memcmp(ev, &want, sizeof(want)) == 0);
}

static void *log_mem(uint64_t capacity, size_t *size)
{
	*size = sc_input_log_block_size(capacity, REC);
	return test_shared_alloc(*size);
}

static void test_params(void)
{
	size_t size;
	void *mem = log_mem(16, &size);
	struct sc_input_log log, other;
	CHECK(!sc_input_log_init(&log, mem, size, 15, REC, 0)); /* not a power of two */
	CHECK(!sc_input_log_init(&log, mem, size, 16, 12, 0));  /* not a multiple of 8 */
	CHECK(!sc_input_log_init(&log, mem, size - 1, 16, REC, 0));
	CHECK(!sc_input_log_attach(&other, mem, size, REC)); /* not formatted */
	CHECK(sc_input_log_init(&log, mem, size, 16, REC, 100));
	CHECK(!sc_input_log_attach(&other, mem, size, 32)); /* other record size */
	CHECK(sc_input_log_attach(&other, mem, size, REC));
	CHECK_EQ(sc_input_log_tail(&other), 100);
	munmap(mem, size);
}

static void test_back_pressure_and_peek(void)
{
	size_t size;
	void *mem = log_mem(16, &size);
	struct sc_input_log w, r;
	CHECK(sc_input_log_init(&w, mem, size, 16, REC, 0));
	CHECK(sc_input_log_attach(&r, mem, size, REC));

	/* No reader: the writer keeps the last capacity records, never blocks. */
	uint64_t seq;
	for (uint64_t i = 0; i < 40; i++) {
		struct sc_input_event ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, &seq), SC_RING_SUCCESS);
		CHECK_EQ(seq, i);
	}
	int reader, old;
	CHECK(!sc_input_log_reader_attach(&r, 10, &old)); /* overwritten already */
	CHECK(sc_input_log_reader_attach(&r, UINT64_MAX, &reader));
	CHECK_EQ(sc_input_log_cursor(&r, reader), 40);

	/* A registered reader: exactly capacity records, then back-pressure. */
	for (uint64_t i = 40; i < 56; i++) {
		struct sc_input_event ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	}
	struct sc_input_event ev = make_event(56), got;
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_FULL);
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_FULL);

	/* Peek anywhere in [cursor, tail) without consuming; addressed by seq. */
	for (uint64_t s = 55; s >= 40; s--) {
		CHECK_EQ(sc_input_log_peek(&r, reader, s, &got), SC_RING_SUCCESS);
		check_event(&got, s);
	}
	CHECK_EQ(sc_input_log_cursor(&r, reader), 40);
	CHECK_EQ(sc_input_log_peek(&r, reader, 56, &got), SC_RING_EMPTY);
	CHECK_EQ(sc_input_log_peek(&r, reader, 39, &got), SC_RING_INVALID_ARG);
	CHECK_EQ(sc_input_log_peek(&r, 7, 40, &got), SC_RING_INVALID_ARG); /* not attached */

	/* Stop before a tick: consume every input of ticks < 12 only. */
	uint64_t s = sc_input_log_cursor(&r, reader);
	while (sc_input_log_peek(&r, reader, s, &got) == SC_RING_SUCCESS && got.tick < 12)
		s++;
	CHECK(sc_input_log_consume(&r, reader, s));
	CHECK_EQ(sc_input_log_cursor(&r, reader), 48);
	CHECK(!sc_input_log_consume(&r, reader, 47)); /* backwards */
	CHECK(!sc_input_log_consume(&r, reader, 57)); /* past the tail */

	/* Space for exactly 8 more now. */
	for (uint64_t i = 56; i < 64; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	}
	ev = make_event(64);
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_FULL);
	for (uint64_t i = 48; i < 64; i++) {
		CHECK_EQ(sc_input_log_read(&r, reader, &got, &seq), SC_RING_SUCCESS);
		CHECK_EQ(seq, i);
		check_event(&got, i);
	}
	CHECK_EQ(sc_input_log_read(&r, reader, &got, &seq), SC_RING_EMPTY);
	munmap(mem, size);
}

static void test_two_readers_and_detach(void)
{
	size_t size;
	void *mem = log_mem(8, &size);
	struct sc_input_log w, r;
	CHECK(sc_input_log_init(&w, mem, size, 8, REC, 0));
	CHECK(sc_input_log_attach(&r, mem, size, REC));
	int fast, slow;
	CHECK(sc_input_log_reader_attach(&r, 0, &fast));
	CHECK(sc_input_log_reader_attach(&r, 0, &slow));
	CHECK(fast != slow);
	struct sc_input_event ev, got;
	for (uint64_t i = 0; i < 8; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
		CHECK_EQ(sc_input_log_read(&r, fast, &got, NULL), SC_RING_SUCCESS);
	}
	/* The fast reader is done, the slow one holds the writer back. */
	ev = make_event(8);
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_FULL);
	/* A third reader may start inside what the slow reader keeps. */
	int mid;
	CHECK(sc_input_log_reader_attach(&r, 3, &mid));
	CHECK_EQ(sc_input_log_peek(&r, mid, 3, &got), SC_RING_SUCCESS);
	check_event(&got, 3);
	sc_input_log_reader_detach(&r, mid);
	/* Slow reader's process dies: the supervisor detaches its slots. */
	CHECK_EQ(sc_input_log_detach_pid(&r, getpid()), 2);
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	/* Every slot can be taken, then none. */
	int ids[SC_INPUT_LOG_MAX_READERS];
	for (int i = 0; i < SC_INPUT_LOG_MAX_READERS; i++)
		CHECK(sc_input_log_reader_attach(&r, UINT64_MAX, &ids[i]));
	int extra;
	CHECK(!sc_input_log_reader_attach(&r, UINT64_MAX, &extra));
	munmap(mem, size);
}

/* A lossy reader (a shadow) never holds the writer back; once overtaken it
 * is told so, never handed an overwritten record. hold() turns it into a
 * reader that does, only while nothing at its cursor was overwritten. */
static void test_lossy_reader(void)
{
	size_t size;
	void *mem = log_mem(8, &size);
	struct sc_input_log w, r;
	CHECK(sc_input_log_init(&w, mem, size, 8, REC, 0));
	CHECK(sc_input_log_attach(&r, mem, size, REC));
	int blocking, lossy;
	CHECK(sc_input_log_reader_attach(&r, 0, &blocking));
	CHECK(sc_input_log_reader_attach_lossy(&r, 0, &lossy));
	struct sc_input_event ev, got;
	for (uint64_t i = 0; i < 8; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	}
	CHECK_EQ(sc_input_log_peek(&r, lossy, 2, &got), SC_RING_SUCCESS);
	check_event(&got, 2);
	CHECK_EQ(sc_input_log_peek(&r, lossy, 8, &got), SC_RING_EMPTY);
	/* the blocking reader holds the writer; the lossy one does not count */
	ev = make_event(8);
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_FULL);
	sc_input_log_reader_detach(&r, blocking);
	for (uint64_t i = 8; i < 20; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS); /* laps the lossy reader */
	}
	CHECK_EQ(sc_input_log_peek(&r, lossy, 0, &got), SC_RING_OVERRUN);
	CHECK_EQ(sc_input_log_peek(&r, lossy, 11, &got), SC_RING_OVERRUN); /* tail 20 - 11 > 8: overwritten */
	CHECK_EQ(sc_input_log_peek(&r, lossy, 12, &got), SC_RING_SUCCESS);
	check_event(&got, 12);
	/* overtaken: it cannot be turned into a holding reader */
	CHECK(!sc_input_log_reader_hold(&r, lossy));
	CHECK_EQ(sc_input_log_peek(&r, lossy, 0, &got), SC_RING_OVERRUN); /* still lossy */
	/* it may skip ahead (consume) however far behind it is, then hold */
	CHECK(sc_input_log_consume(&r, lossy, 16));
	CHECK(sc_input_log_reader_hold(&r, lossy));
	CHECK(sc_input_log_reader_hold(&r, lossy)); /* already holding */
	for (uint64_t i = 20; i < 24; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	}
	ev = make_event(24);
	CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_FULL); /* 16 + 8: held now */
	CHECK_EQ(sc_input_log_peek(&r, lossy, 16, &got), SC_RING_SUCCESS);
	check_event(&got, 16);
	/* attaching lossy at a sequence no longer held fails */
	int late;
	CHECK(!sc_input_log_reader_attach_lossy(&r, 3, &late));
	CHECK(sc_input_log_reader_attach_lossy(&r, UINT64_MAX, &late));
	CHECK_EQ(sc_input_log_peek(&r, late, 24, &got), SC_RING_EMPTY);
	munmap(mem, size);
}

/* n records at once: all of them or none, never the first few. */
static void test_append_n(void)
{
	size_t size;
	void *mem = log_mem(8, &size);
	struct sc_input_log w, r;
	CHECK(sc_input_log_init(&w, mem, size, 8, REC, 0));
	CHECK(sc_input_log_attach(&r, mem, size, REC));
	int reader;
	CHECK(sc_input_log_reader_attach(&r, 0, &reader));
	struct sc_input_event batch[8], got;
	for (uint64_t i = 0; i < 8; i++)
		batch[i] = make_event(i);
	uint64_t first = 99;
	CHECK_EQ(sc_input_log_append_n(&w, batch, 3, &first), SC_RING_SUCCESS);
	CHECK_EQ(first, 0);
	CHECK_EQ(sc_input_log_tail(&r), 3);
	for (uint64_t i = 3; i < 6; i++)
		batch[i - 3] = make_event(i);
	CHECK_EQ(sc_input_log_append_n(&w, batch, 3, &first), SC_RING_SUCCESS);
	CHECK_EQ(first, 3);
	/* 2 slots left: a 3-record message is refused whole, the log unchanged */
	for (uint64_t i = 6; i < 9; i++)
		batch[i - 6] = make_event(i);
	first = 77;
	CHECK_EQ(sc_input_log_append_n(&w, batch, 3, &first), SC_RING_FULL);
	CHECK_EQ(first, 77);
	CHECK_EQ(sc_input_log_tail(&r), 6);
	CHECK_EQ(sc_input_log_peek(&r, reader, 6, &got), SC_RING_EMPTY);
	/* what fits still goes in */
	CHECK_EQ(sc_input_log_append_n(&w, batch, 2, &first), SC_RING_SUCCESS);
	CHECK_EQ(first, 6);
	CHECK_EQ(sc_input_log_append_n(&w, batch + 2, 1, NULL), SC_RING_FULL);
	for (uint64_t i = 0; i < 8; i++) {
		CHECK_EQ(sc_input_log_read(&r, reader, &got, NULL), SC_RING_SUCCESS);
		check_event(&got, i);
	}
	/* bad arguments */
	CHECK_EQ(sc_input_log_append_n(&w, batch, 0, NULL), SC_RING_INVALID_ARG);
	CHECK_EQ(sc_input_log_append_n(&w, batch, 9, NULL), SC_RING_INVALID_ARG); /* over capacity */
	CHECK_EQ(sc_input_log_append_n(&w, NULL, 1, NULL), SC_RING_INVALID_ARG);
	/* a batch over the wrap point */
	CHECK_EQ(sc_input_log_append_n(&w, batch + 2, 1, &first), SC_RING_SUCCESS);
	CHECK_EQ(first, 8);
	for (uint64_t i = 9; i < 14; i++)
		batch[i - 9] = make_event(i);
	CHECK_EQ(sc_input_log_append_n(&w, batch, 5, &first), SC_RING_SUCCESS);
	CHECK_EQ(first, 9);
	for (uint64_t i = 8; i < 14; i++) {
		CHECK_EQ(sc_input_log_read(&r, reader, &got, NULL), SC_RING_SUCCESS);
		check_event(&got, i);
	}
	munmap(mem, size);
}

/* An observer attaches no reader slot: it never holds the writer back and
 * gets a record only while the writer still keeps it. */
static void test_observe(void)
{
	size_t size;
	void *mem = log_mem(8, &size);
	struct sc_input_log w, o;
	CHECK(sc_input_log_init(&w, mem, size, 8, REC, 100));
	CHECK(sc_input_log_attach(&o, mem, size, REC));
	struct sc_input_event ev, got;
	CHECK_EQ(sc_input_log_observe(&o, 100, &got), SC_OBSERVE_NOT_YET);
	CHECK_EQ(sc_input_log_observe(&o, 99, &got), SC_OBSERVE_GONE); /* before the first record */
	CHECK_EQ(sc_input_log_observe(&o, 0, &got), SC_OBSERVE_GONE);
	for (uint64_t i = 100; i < 105; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	}
	for (uint64_t i = 100; i < 105; i++) {
		CHECK_EQ(sc_input_log_observe(&o, i, &got), SC_OBSERVE_OK);
		check_event(&got, i);
	}
	CHECK_EQ(sc_input_log_observe(&o, 105, &got), SC_OBSERVE_NOT_YET);
	CHECK_EQ(sc_input_log_observe(&o, UINT64_MAX, &got), SC_OBSERVE_NOT_YET);
	/* the writer goes on with nobody holding it back: 20 more, no FULL */
	for (uint64_t i = 105; i < 125; i++) {
		ev = make_event(i);
		CHECK_EQ(sc_input_log_append(&w, &ev, NULL), SC_RING_SUCCESS);
	}
	/* tail 125, capacity 8: 117..124 are held; 117's slot is the one 125
	 * goes into, intact until the writer announces 125 */
	CHECK_EQ(sc_input_log_observe(&o, 116, &got), SC_OBSERVE_GONE);
	CHECK_EQ(sc_input_log_observe(&o, 117, &got), SC_OBSERVE_OK);
	check_event(&got, 117);
	for (uint64_t i = 118; i < 125; i++) {
		CHECK_EQ(sc_input_log_observe(&o, i, &got), SC_OBSERVE_OK);
		check_event(&got, i);
	}
	/* a writer that announced 125 (mid-write): 117's slot may be torn now */
	w.ctrl->write_end = 126;
	CHECK_EQ(sc_input_log_observe(&o, 117, &got), SC_OBSERVE_GONE);
	CHECK_EQ(sc_input_log_observe(&o, 118, &got), SC_OBSERVE_OK);
	/* hostile control words: never a wrong record, never out of bounds */
	w.ctrl->write_end = 3; /* below the tail */
	CHECK_EQ(sc_input_log_observe(&o, 120, &got), SC_OBSERVE_CORRUPT);
	w.ctrl->write_end = UINT64_MAX;
	CHECK_EQ(sc_input_log_observe(&o, 120, &got), SC_OBSERVE_GONE);
	w.ctrl->tail = UINT64_MAX;
	w.ctrl->write_end = UINT64_MAX;
	CHECK_EQ(sc_input_log_observe(&o, UINT64_MAX - 1, &got), SC_OBSERVE_OK); /* the slot exists, in bounds */
	CHECK_EQ(sc_input_log_observe(&o, 120, &got), SC_OBSERVE_GONE);
	w.ctrl->first_seq = UINT64_MAX;
	CHECK_EQ(sc_input_log_observe(&o, UINT64_MAX - 1, &got), SC_OBSERVE_GONE);
	CHECK(strcmp(sc_input_log_observed_str(SC_OBSERVE_GONE), "no longer held") == 0);
	munmap(mem, size);
}

/* An observer thread against a writer that laps it many times: every record
 * it gets is whole (its words agree with its sequence), never torn. TSan
 * checks that the copy races with nothing it does not know about. */
#define OBS_TOTAL (SC_TEST_SANITIZED ? 100000u : 1000000u)

struct obs_ctx {
	struct sc_input_log log;
	atomic_bool done;
	_Atomic uint64_t ok, gone; /* the writer reads ok while the observer runs */
};

struct wide_rec {
	uint64_t w[4]; /* each word = seq * 4 + index */
};

static void *observer(void *arg)
{
	struct obs_ctx *c = arg;
	uint64_t seed = 42;
	while (!atomic_load(&c->done)) {
		uint64_t tail = sc_input_log_tail(&c->log);
		uint64_t back = test_rand(&seed) % 24; /* in and past the window of 16 */
		if (tail <= back)
			continue;
		uint64_t seq = tail - 1 - back;
		struct wide_rec r;
		enum sc_input_log_observed res = sc_input_log_observe(&c->log, seq, &r);
		if (res == SC_OBSERVE_OK) {
			for (int i = 0; i < 4; i++)
				CHECK_EQ(r.w[i], seq * 4 + (uint64_t)i);
			atomic_fetch_add(&c->ok, 1);
		} else {
			CHECK(res == SC_OBSERVE_GONE);
			atomic_fetch_add(&c->gone, 1);
		}
	}
	return NULL;
}

static void test_observe_racing_writer(void)
{
	size_t size = sc_input_log_block_size(16, sizeof(struct wide_rec));
	void *mem = test_shared_alloc(size);
	struct obs_ctx *c = calloc(1, sizeof(*c));
	struct sc_input_log w;
	CHECK(c && sc_input_log_init(&w, mem, size, 16, sizeof(struct wide_rec), 0));
	CHECK(sc_input_log_attach(&c->log, mem, size, sizeof(struct wide_rec)));
	pthread_t th;
	CHECK(pthread_create(&th, NULL, observer, c) == 0);
	/* OBS_TOTAL records, and on until the observer has copied some: on a
	 * loaded machine the writer could finish before the observer's thread
	 * first ran (a CI run did). Bounded: 10 s, the writer slowed by a
	 * sleep after its first OBS_TOTAL records. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t seq = 0; seq < OBS_TOTAL || atomic_load(&c->ok) == 0;) {
		if (seq >= OBS_TOTAL) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 10)
				break;
			usleep(1000);
		}
		struct wide_rec batch[3];
		uint32_t n = 1 + (uint32_t)(seq % 3);
		for (uint32_t k = 0; k < n; k++)
			for (int i = 0; i < 4; i++)
				batch[k].w[i] = (seq + k) * 4 + (uint64_t)i;
		CHECK_EQ(sc_input_log_append_n(&w, batch, n, NULL), SC_RING_SUCCESS);
		seq += n;
		if (seq % 4096 < 3)
			sched_yield();
	}
	atomic_store(&c->done, true);
	pthread_join(th, NULL);
	CHECK(atomic_load(&c->ok) > 0);
	printf("observer: %llu records copied whole, %llu refused as no longer held\n",
	       (unsigned long long)atomic_load(&c->ok), (unsigned long long)atomic_load(&c->gone));
	fflush(stdout); /* before the fork of the next test */
	free(c);
	munmap(mem, size);
}

static void test_corrupt_tail(void)
{
	size_t size;
	void *mem = log_mem(8, &size);
	struct sc_input_log w, r;
	CHECK(sc_input_log_init(&w, mem, size, 8, REC, 0));
	CHECK(sc_input_log_attach(&r, mem, size, REC));
	int reader;
	CHECK(sc_input_log_reader_attach(&r, 0, &reader));
	struct sc_input_event got;
	w.ctrl->tail = 1000; /* a hostile writer */
	CHECK_EQ(sc_input_log_peek(&r, reader, 5, &got), SC_RING_CORRUPT);
	CHECK_EQ(sc_input_log_read(&r, reader, &got, NULL), SC_RING_CORRUPT);
	CHECK(!sc_input_log_consume(&r, reader, 3));
	CHECK_EQ(r.corrupt_count, 3);
	munmap(mem, size);
}

/* Writer process, a primary reader at the head, a shadow reader lagging by
 * LAG records and stopping before STOP_TICK, and a late reader. */
#define MP_TOTAL (SC_TEST_SANITIZED ? 20000u : 200000u)
#define MP_LAG 40u
#define MP_STOP_TICK (MP_TOTAL / 4 - 100)

static int run_primary(struct sc_input_log *log, int reader)
{
	struct sc_input_event got;
	uint64_t deadline = sc_now_ns() + 30000000000ull;
	for (uint64_t expect = 0; expect < MP_TOTAL;) {
		uint64_t seq;
		enum sc_ring_result r = sc_input_log_read(log, reader, &got, &seq);
		if (r == SC_RING_EMPTY) {
			CHECK(sc_now_ns() < deadline);
			sched_yield(); /* 2 cores, 4 processes: let the others run */
			continue;
		}
		CHECK_EQ(r, SC_RING_SUCCESS);
		CHECK_EQ(seq, expect);
		check_event(&got, expect);
		expect++;
	}
	return 0;
}

static int run_shadow(struct sc_input_log *log, int reader)
{
	struct sc_input_event got;
	uint64_t deadline = sc_now_ns() + 30000000000ull;
	uint64_t cursor = 0;
	for (;;) {
		CHECK(sc_now_ns() < deadline);
		uint64_t tail = sc_input_log_tail(log);
		if (tail < cursor + MP_LAG && tail < MP_TOTAL) {
			sched_yield(); /* stay LAG records behind the head */
			continue;
		}
		enum sc_ring_result r = sc_input_log_peek(log, reader, cursor, &got);
		if (r == SC_RING_EMPTY) {
			sched_yield();
			continue;
		}
		CHECK_EQ(r, SC_RING_SUCCESS);
		check_event(&got, cursor);
		if (got.tick >= MP_STOP_TICK)
			break; /* pause before the offending tick */
		CHECK(sc_input_log_consume(log, reader, cursor + 1));
		cursor++;
	}
	CHECK_EQ(cursor, (uint64_t)MP_STOP_TICK * 4);
	CHECK_EQ(sc_input_log_cursor(log, reader), cursor);
	/* The paused shadow can still look ahead without consuming. */
	for (uint64_t s = cursor; s < cursor + 8; s++) {
		CHECK_EQ(sc_input_log_peek(log, reader, s, &got), SC_RING_SUCCESS);
		check_event(&got, s);
	}
	/* Resume: step through the rest. */
	for (uint64_t expect = cursor; expect < MP_TOTAL;) {
		enum sc_ring_result r = sc_input_log_read(log, reader, &got, NULL);
		if (r == SC_RING_EMPTY) {
			CHECK(sc_now_ns() < deadline);
			sched_yield(); /* 2 cores, 4 processes: let the others run */
			continue;
		}
		CHECK_EQ(r, SC_RING_SUCCESS);
		check_event(&got, expect);
		expect++;
	}
	return 0;
}

static int run_late(struct sc_input_log *log)
{
	usleep(2000);
	int reader;
	CHECK(sc_input_log_reader_attach(log, UINT64_MAX, &reader));
	uint64_t expect = sc_input_log_cursor(log, reader);
	struct sc_input_event got;
	uint64_t deadline = sc_now_ns() + 30000000000ull;
	while (expect < MP_TOTAL) {
		uint64_t seq;
		enum sc_ring_result r = sc_input_log_read(log, reader, &got, &seq);
		if (r == SC_RING_EMPTY) {
			CHECK(sc_now_ns() < deadline);
			sched_yield(); /* 2 cores, 4 processes: let the others run */
			continue;
		}
		CHECK_EQ(r, SC_RING_SUCCESS);
		CHECK_EQ(seq, expect);
		check_event(&got, expect);
		expect++;
	}
	sc_input_log_reader_detach(log, reader);
	return 0;
}

static void test_multi_process(void)
{
	/* 1024 records: the shadow's lag (MP_LAG) leaves the writer about 980
	 * records a fill. With more runnable tasks than cores (CI runs two tests
	 * per core) each hand-off waits for the scheduler, a few ms. At 64
	 * records that was about 8,000 hand-offs: 25 s of a 30 s bound beside
	 * six busy loops, 0.26 s alone. The writer still fills the log. */
	const uint64_t capacity = 1024;
	size_t size;
	void *mem = log_mem(capacity, &size);
	struct sc_input_log log;
	CHECK(sc_input_log_init(&log, mem, size, capacity, REC, 0));
	int primary, shadow;
	CHECK(sc_input_log_reader_attach(&log, 0, &primary));
	CHECK(sc_input_log_reader_attach(&log, 0, &shadow));
	pid_t pids[3];
	for (int role = 0; role < 3; role++) {
		pids[role] = fork();
		CHECK(pids[role] >= 0);
		if (pids[role] == 0) {
			struct sc_input_log view;
			CHECK(sc_input_log_attach(&view, mem, size, REC));
			_exit(role == 0   ? run_primary(&view, primary)
			      : role == 1 ? run_shadow(&view, shadow)
			                  : run_late(&view));
		}
	}
	uint64_t full = 0, deadline = sc_now_ns() + 30000000000ull;
	for (uint64_t i = 0; i < MP_TOTAL;) {
		struct sc_input_event ev = make_event(i);
		enum sc_ring_result r = sc_input_log_append(&log, &ev, NULL);
		if (r == SC_RING_FULL) {
			full++;
			CHECK(sc_now_ns() < deadline);
			sched_yield(); /* 2 cores, 4 processes: let the others run */
			continue;
		}
		CHECK_EQ(r, SC_RING_SUCCESS);
		i++;
	}
	for (int role = 0; role < 3; role++)
		CHECK_EQ(test_wait_child(pids[role], 60), 0);
	CHECK(full > 0); /* the lagging shadow did push back on the writer */
	munmap(mem, size);
}

int main(void)
{
	test_params();
	test_back_pressure_and_peek();
	test_two_readers_and_detach();
	test_lossy_reader();
	test_append_n();
	test_observe();
	test_observe_racing_writer();
	test_corrupt_tail();
	test_multi_process();
	printf("test_input_log: ok\n");
	return 0;
}
