/* Multi-process stress: two producer/consumer pairs of processes exchange
 * checksummed variable-size messages through SPSC rings in one arena for a
 * bounded time, one pair busy-polling, one sleeping on an eventfd doorbell.
 * Large bodies travel as buddy blocks (offset in the ring, freed by the
 * consumer). Nothing may be lost, duplicated, reordered or corrupted, and
 * every payload block must come back to the allocator. */
#include <sched.h>

#include "net/shm/arena.h"
#include "net/shm/doorbell.h"
#include "net/shm/spsc_ring.h"
#include "shm_test.h"

#define RING_CAP 65536u
#define RUN_NS (SC_TEST_SANITIZED ? 1000000000ull : 2000000000ull)

enum { MSG_INLINE = 1, MSG_BLOCK = 2, MSG_END = 3 };

struct msg_head {
	uint32_t seq;
	uint32_t sum;
	uint64_t block_off; /* MSG_BLOCK: payload in the arena */
	uint32_t block_len;
	uint32_t pad;
};

static void fill(uint8_t *p, uint32_t n, uint32_t seq)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seq * 7 + i * 13);
}

static int producer(struct sc_arena *a, const char *ring_name, int efd)
{
	CHECK(sc_arena_register(a, "producer") >= 0);
	struct sc_arena_block blk;
	CHECK(sc_arena_block_find(a, ring_name, &blk));
	struct sc_spsc_ring ring;
	CHECK(sc_spsc_ring_attach(&ring, sc_arena_ptr(a, blk.off, blk.size), blk.size));
	struct sc_doorbell db;
	sc_doorbell_init(&db, efd, &ring.ctrl->need_wakeup, 0);
	uint8_t msg[sizeof(struct msg_head) + 2048];
	uint64_t rng = (uint64_t)getpid(), end = sc_now_ns() + RUN_NS;
	uint32_t seq = 0;
	while (sc_now_ns() < end) {
		struct msg_head h = {.seq = seq};
		uint32_t type = MSG_INLINE, n = 1 + (uint32_t)(test_rand(&rng) % 2048);
		uint8_t *body = msg + sizeof(h);
		if (test_rand(&rng) % 16 == 0) {
			/* Large payload through the buddy allocator. */
			h.block_len = 2048 + (uint32_t)(test_rand(&rng) % 30000);
			if (!sc_arena_alloc(a, h.block_len, &h.block_off)) {
				sched_yield(); /* pool momentarily exhausted */
				continue;
			}
			uint8_t *p = sc_arena_ptr(a, h.block_off, h.block_len);
			fill(p, h.block_len, seq);
			h.sum = test_checksum(p, h.block_len);
			type = MSG_BLOCK;
			n = 0;
		} else {
			fill(body, n, seq);
			h.sum = test_checksum(body, n);
		}
		memcpy(msg, &h, sizeof(h));
		uint64_t deadline = sc_now_ns() + 20000000000ull;
		while (sc_spsc_ring_write(&ring, type, msg, (uint32_t)sizeof(h) + n) == SC_RING_FULL) {
			CHECK(sc_now_ns() < deadline);
			sched_yield();
		}
		if (efd >= 0)
			sc_doorbell_ring(&db);
		seq++;
	}
	struct msg_head h = {.seq = seq};
	while (sc_spsc_ring_write(&ring, MSG_END, &h, sizeof(h)) == SC_RING_FULL)
		sched_yield();
	if (efd >= 0)
		sc_doorbell_ring(&db);
	return 0;
}

struct consumer_state {
	struct sc_arena *arena;
	uint32_t expect;
	bool ended;
	uint32_t blocks;
};

static void consume(void *ud, uint32_t type, const void *body, uint32_t len)
{
	struct consumer_state *c = ud;
	struct msg_head h;
	CHECK(len >= sizeof(h));
	memcpy(&h, body, sizeof(h));
	CHECK_EQ(h.seq, c->expect); /* nothing lost, duplicated or reordered */
	CHECK(!c->ended);
	if (type == MSG_END) {
		c->ended = true;
		return;
	}
	if (type == MSG_BLOCK) {
		const uint8_t *p = sc_arena_ptr(c->arena, h.block_off, h.block_len);
		CHECK(p);
		CHECK_EQ(test_checksum(p, h.block_len), h.sum);
		CHECK(sc_arena_free(c->arena, h.block_off));
		c->blocks++;
	} else {
		CHECK_EQ(type, MSG_INLINE);
		CHECK_EQ(test_checksum((const uint8_t *)body + sizeof(h), len - sizeof(h)), h.sum);
	}
	c->expect++;
}

static bool ring_ready(void *ud)
{
	return sc_spsc_ring_readable(ud);
}

static int consumer(struct sc_arena *a, const char *ring_name, int efd)
{
	CHECK(sc_arena_register(a, "consumer") >= 0);
	struct sc_arena_block blk;
	CHECK(sc_arena_block_find(a, ring_name, &blk));
	struct sc_spsc_ring ring;
	CHECK(sc_spsc_ring_attach(&ring, sc_arena_ptr(a, blk.off, blk.size), blk.size));
	sc_spsc_ring_set_max_type(&ring, MSG_END);
	struct sc_doorbell db;
	sc_doorbell_init(&db, efd, &ring.ctrl->need_wakeup, 200);
	struct consumer_state st = {.arena = a};
	uint64_t deadline = sc_now_ns() + RUN_NS + 20000000000ull;
	while (!st.ended) {
		CHECK(sc_now_ns() < deadline);
		if (sc_spsc_ring_read(&ring, consume, &st, 64) > 0)
			continue;
		if (efd >= 0)
			CHECK(sc_doorbell_wait(&db, ring_ready, &ring, 20000));
		else
			sched_yield();
	}
	CHECK_EQ(ring.corrupt_count + ring.bad_type_count, 0);
	CHECK(st.expect > 100); /* it did run */
	CHECK(st.blocks > 0);
	if (efd >= 0)
		printf("eventfd pair: %u messages, %u blocks, %llu sleeps\n", st.expect, st.blocks,
		       (unsigned long long)db.sleeps);
	else
		printf("spinning pair: %u messages, %u blocks\n", st.expect, st.blocks);
	fflush(stdout);
	return 0;
}

int main(void)
{
	struct sc_arena *a = sc_arena_create("stress", 8u << 20);
	CHECK(a && sc_arena_register(a, "supervisor") >= 0);
	const size_t ring_size = sc_spsc_ring_block_size(RING_CAP);
	const char *names[2] = {"ring.spin", "ring.eventfd"};
	for (int i = 0; i < 2; i++) {
		struct sc_arena_block blk;
		CHECK(sc_arena_block_create(a, names[i], SC_BLOCK_SPSC_RING, ring_size, &blk));
		struct sc_spsc_ring r;
		CHECK(sc_spsc_ring_init(&r, sc_arena_ptr(a, blk.off, blk.size), blk.size));
	}
	int efd = sc_doorbell_eventfd();
	CHECK(efd >= 0);
	struct sc_arena_stats st0;
	sc_arena_stats(a, &st0);

	pid_t pids[4];
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0) {
			int pair = i / 2, fd = pair == 1 ? efd : -1;
			_exit(i % 2 == 0 ? producer(a, names[pair], fd) : consumer(a, names[pair], fd));
		}
	}
	for (int i = 0; i < 4; i++)
		CHECK_EQ(test_wait_child(pids[i], 50), 0);
	struct sc_arena_stats st;
	sc_arena_stats(a, &st);
	CHECK_EQ(st.free_bytes, st0.free_bytes); /* every payload block freed */
	CHECK_EQ(st.bad_free, 0);
	CHECK_EQ(sc_arena_reap(a, NULL, NULL), 4);
	close(efd);
	sc_arena_destroy(a);
	printf("test_shm_stress: ok\n");
	return 0;
}
