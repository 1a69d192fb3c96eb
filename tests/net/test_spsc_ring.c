/* SPSC ring: records, padding at wrap, full/too-big/invalid results, claim/
 * commit, corrupt peer input, and a two-thread checksummed run (TSan). */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "net/shm/spsc_ring.h"
#include "shm_test.h"

static void *ring_mem(size_t capacity)
{
	void *mem = aligned_alloc(SC_CACHE_LINE, sc_spsc_ring_block_size((uint32_t)capacity));
	CHECK(mem);
	return mem;
}

static void test_basic(void)
{
	struct sc_spsc_ring w, r;
	void *mem = ring_mem(1024);
	size_t size = sc_spsc_ring_block_size(1024);
	CHECK(!sc_spsc_ring_init(&w, mem, size - 8));  /* not a power of two */
	memset(mem, 0, size);
	CHECK(!sc_spsc_ring_attach(&r, mem, size)); /* not formatted: no magic */
	CHECK(sc_spsc_ring_init(&w, mem, size));
	CHECK(!sc_spsc_ring_attach(&r, mem, sc_spsc_ring_block_size(512))); /* size mismatch */
	CHECK(sc_spsc_ring_attach(&r, mem, size));

	uint32_t type, len;
	char buf[600];
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, buf, sizeof(buf), &len), SC_RING_EMPTY);
	CHECK_EQ(sc_spsc_ring_write(&w, 0, "x", 1), SC_RING_INVALID_ARG);
	CHECK_EQ(sc_spsc_ring_write(&w, 7, buf, 1024 / 2), SC_RING_TOO_BIG);
	CHECK_EQ(sc_spsc_ring_write(&w, 7, "hello", 5), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_write(&w, 8, NULL, 0), SC_RING_SUCCESS);
	CHECK(sc_spsc_ring_readable(&r));
	CHECK_EQ(sc_spsc_ring_used(&w), 16 + 8);
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, buf, sizeof(buf), &len), SC_RING_SUCCESS);
	CHECK_EQ(type, 7);
	CHECK_EQ(len, 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, buf, sizeof(buf), &len), SC_RING_SUCCESS);
	CHECK_EQ(type, 8);
	CHECK_EQ(len, 0);
	CHECK(!sc_spsc_ring_readable(&r));

	/* Fill until FULL; never blocks, and everything written reads back. */
	int written = 0;
	while (sc_spsc_ring_write(&w, 3, &written, sizeof(written)) == SC_RING_SUCCESS)
		written++;
	CHECK_EQ(written, (1024 - 24) / 16 + 1); /* 16-byte records in the room left */
	CHECK_EQ(sc_spsc_ring_write(&w, 3, &written, sizeof(written)), SC_RING_FULL);
	for (int i = 0; i < written; i++) {
		int v;
		CHECK_EQ(sc_spsc_ring_read_one(&r, &type, &v, sizeof(v), &len), SC_RING_SUCCESS);
		CHECK_EQ(v, i);
	}
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, buf, sizeof(buf), &len), SC_RING_EMPTY);
	free(mem);
}

static void test_wrap_padding(void)
{
	struct sc_spsc_ring w, r;
	void *mem = ring_mem(256);
	size_t size = sc_spsc_ring_block_size(256);
	CHECK(sc_spsc_ring_init(&w, mem, size));
	CHECK(sc_spsc_ring_attach(&r, mem, size));
	char big[100], out[128];
	uint32_t type, len;
	/* 3 records of 104+8 = 112 bytes: the third must pad at 224 and wrap. */
	for (int round = 0; round < 20; round++) {
		memset(big, 'a' + round % 26, sizeof(big));
		CHECK_EQ(sc_spsc_ring_write(&w, 5, big, sizeof(big)), SC_RING_SUCCESS);
		CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, sizeof(out), &len), SC_RING_SUCCESS);
		CHECK_EQ(len, sizeof(big));
		CHECK(memcmp(out, big, sizeof(big)) == 0);
	}
	/* Every position is 8-byte aligned. */
	CHECK_EQ(SC_LOAD_RELAXED(&w.ctrl->tail) % 8, 0);
	/* Truncated: skipped and counted, the next record still reads. */
	CHECK_EQ(sc_spsc_ring_write(&w, 5, big, sizeof(big)), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_write(&w, 6, "ok", 2), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, 10, &len), SC_RING_TRUNCATED);
	CHECK_EQ(r.truncated_count, 1);
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, sizeof(out), &len), SC_RING_SUCCESS);
	CHECK_EQ(type, 6);
	free(mem);
}

static void test_claim_commit(void)
{
	struct sc_spsc_ring w, r;
	void *mem = ring_mem(256);
	size_t size = sc_spsc_ring_block_size(256);
	CHECK(sc_spsc_ring_init(&w, mem, size));
	CHECK(sc_spsc_ring_attach(&r, mem, size));
	void *body, *body2;
	CHECK_EQ(sc_spsc_ring_claim(&w, 9, 12, &body), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_claim(&w, 9, 12, &body2), SC_RING_INVALID_ARG); /* one at a time */
	memcpy(body, "claimed-data", 12);
	CHECK(!sc_spsc_ring_readable(&r)); /* not visible before commit */
	sc_spsc_ring_commit(&w);
	char out[16];
	uint32_t type, len;
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, sizeof(out), &len), SC_RING_SUCCESS);
	CHECK(memcmp(out, "claimed-data", 12) == 0);
	free(mem);
}

struct collected {
	int count;
	uint32_t types[8];
};

static void collect(void *ud, uint32_t type, const void *body, uint32_t len)
{
	struct collected *c = ud;
	if (c->count < 8)
		c->types[c->count] = type;
	c->count++;
}

static void test_corrupt_peer(void)
{
	struct sc_spsc_ring w, r;
	void *mem = ring_mem(256);
	size_t size = sc_spsc_ring_block_size(256);
	CHECK(sc_spsc_ring_init(&w, mem, size));
	CHECK(sc_spsc_ring_attach(&r, mem, size));
	sc_spsc_ring_set_max_type(&r, 10);
	struct collected c = {0};

	/* Bad type: skipped and counted, the good records around it delivered. */
	CHECK_EQ(sc_spsc_ring_write(&w, 1, "a", 1), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_write(&w, 99, "b", 1), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_write(&w, 2, "c", 1), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_read(&r, collect, &c, 100), 2);
	CHECK_EQ(c.types[0], 1);
	CHECK_EQ(c.types[1], 2);
	CHECK_EQ(r.bad_type_count, 1);

	/* Impossible record length: counted, unread data dropped, no crash. */
	uint64_t tail = w.ctrl->tail;
	CHECK_EQ(sc_spsc_ring_write(&w, 1, "abcd", 4), SC_RING_SUCCESS);
	uint32_t bogus = 100000;
	memcpy(w.buf + (tail & w.mask), &bogus, 4);
	c.count = 0;
	CHECK_EQ(sc_spsc_ring_read(&r, collect, &c, 100), 0);
	CHECK_EQ(r.corrupt_count, 1);
	CHECK_EQ(r.ctrl->head, r.ctrl->tail);

	/* Length below the header size. */
	tail = w.ctrl->tail;
	CHECK_EQ(sc_spsc_ring_write(&w, 1, "abcd", 4), SC_RING_SUCCESS);
	bogus = 3;
	memcpy(w.buf + (tail & w.mask), &bogus, 4);
	uint32_t type, len;
	char out[64];
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, sizeof(out), &len), SC_RING_CORRUPT);
	CHECK_EQ(r.corrupt_count, 2);

	/* Tail more than a capacity ahead of head. */
	w.ctrl->tail = r.ctrl->head + 100000;
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, sizeof(out), &len), SC_RING_CORRUPT);
	CHECK_EQ(r.corrupt_count, 3);

	/* The writer's own tail scribbled over (it lives in the shared block):
	 * unaligned, 4 bytes before the end. Writing a header there would run
	 * past the buffer (found by fuzz_ring_read); the writer refuses. */
	uint64_t saved = w.ctrl->tail;
	w.ctrl->tail = 3 * 256 + 252;
	w.head_cache = w.ctrl->tail;
	r.ctrl->head = w.ctrl->tail;
	CHECK_EQ(sc_spsc_ring_write(&w, 4, "x", 1), SC_RING_CORRUPT);
	CHECK_EQ(w.corrupt_count, 1);
	w.ctrl->tail = saved;
	r.ctrl->head = saved;

	/* The ring keeps working after the reader skipped to the tail. */
	w.head_cache = r.ctrl->head;
	CHECK_EQ(sc_spsc_ring_write(&w, 4, "fine", 4), SC_RING_SUCCESS);
	CHECK_EQ(sc_spsc_ring_read_one(&r, &type, out, sizeof(out), &len), SC_RING_SUCCESS);
	CHECK_EQ(type, 4);
	free(mem);
}

/* Two threads, variable-size checksummed records: nothing lost, duplicated,
 * reordered or torn. Under TSan this checks the acquire/release pairs. */
struct thread_ctx {
	struct sc_spsc_ring ring;
	uint32_t count;
};

static void *producer(void *arg)
{
	struct thread_ctx *t = arg;
	uint64_t rng = 42;
	uint8_t msg[300];
	uint64_t deadline = sc_now_ns() + 20ull * 1000000000ull;
	for (uint32_t seq = 0; seq < t->count;) {
		uint32_t n = 8 + (uint32_t)(test_rand(&rng) % (sizeof(msg) - 8));
		memcpy(msg, &seq, 4);
		for (uint32_t i = 8; i < n; i++)
			msg[i] = (uint8_t)(seq * 31 + i);
		uint32_t sum = test_checksum(msg + 8, n - 8);
		memcpy(msg + 4, &sum, 4);
		enum sc_ring_result r;
		while ((r = sc_spsc_ring_write(&t->ring, 1 + seq % 5, msg, n)) == SC_RING_FULL) {
			CHECK(sc_now_ns() < deadline);
			sched_yield(); /* let the reader run */
		}
		CHECK_EQ(r, SC_RING_SUCCESS); /* anything else would lose the record */
		seq++;
	}
	return NULL;
}

static void test_two_threads(void)
{
	/* 64 KiB: about 400 records a fill, 470 wraps in all. With more runnable
	 * tasks than cores (CI runs two tests per core), each hand-off between
	 * the two threads waits for the scheduler, 1-2 ms. At 4 KiB (26 records
	 * a fill) that was 15,000 hand-offs, and the test ran past its 20 s bound
	 * beside six busy loops (0.1 s alone); at 64 KiB it takes 1.6 s there. */
	const uint32_t capacity = 65536;
	void *mem = ring_mem(capacity);
	struct thread_ctx t = {.count = SC_TEST_SANITIZED ? 20000 : 200000};
	CHECK(sc_spsc_ring_init(&t.ring, mem, sc_spsc_ring_block_size(capacity)));
	struct sc_spsc_ring r;
	CHECK(sc_spsc_ring_attach(&r, mem, sc_spsc_ring_block_size(capacity)));
	pthread_t th;
	CHECK(pthread_create(&th, NULL, producer, &t) == 0);
	uint64_t deadline = sc_now_ns() + 20ull * 1000000000ull;
	uint8_t msg[300];
	for (uint32_t expect = 0; expect < t.count;) {
		uint32_t type, len;
		enum sc_ring_result res = sc_spsc_ring_read_one(&r, &type, msg, sizeof(msg), &len);
		if (res == SC_RING_EMPTY) {
			CHECK(sc_now_ns() < deadline);
			sched_yield(); /* let the writer run */
			continue;
		}
		CHECK_EQ(res, SC_RING_SUCCESS);
		uint32_t seq, sum;
		memcpy(&seq, msg, 4);
		memcpy(&sum, msg + 4, 4);
		CHECK_EQ(seq, expect);
		CHECK_EQ(type, 1 + seq % 5);
		CHECK_EQ(sum, test_checksum(msg + 8, len - 8));
		expect++;
	}
	pthread_join(th, NULL);
	CHECK(!sc_spsc_ring_readable(&r));
	CHECK_EQ(r.corrupt_count + r.bad_type_count + r.truncated_count, 0);
	free(mem);
}

int main(void)
{
	test_basic();
	test_wrap_padding();
	test_claim_commit();
	test_corrupt_peer();
	test_two_threads();
	printf("test_spsc_ring: ok\n");
	return 0;
}
