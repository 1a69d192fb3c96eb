/* Priority queue: one test per overrun rule, the highPriMinPkt/lowPriMaxPkt
 * scheduling, payload release through a callback and through the arena's
 * buddy allocator, two threads on heap memory (TSan), two processes in the
 * arena, and kill -9 of a process holding the queue lock. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "net/shm/arena.h"
#include "net/shm/prio_queue.h"
#include "shm_test.h"

struct released {
	int count;
	uint64_t payloads[64];
};

static void on_release(void *ud, const struct sc_prio_desc *d)
{
	struct released *r = ud;
	if (r->count < 64)
		r->payloads[r->count] = d->payload;
	r->count++;
}

static struct sc_prio_desc desc(uint8_t prio, uint8_t flags, uint64_t payload)
{
	struct sc_prio_desc d = {0};
	d.hdr.type = SC_MSG_VIDEO;
	d.hdr.priority = prio;
	d.hdr.flags = flags;
	d.hdr.seq = payload;
	d.payload = payload;
	d.payload_size = 100;
	return d;
}

static enum sc_prio_result push(struct sc_prio_queue *q, uint8_t prio, uint8_t flags,
                                uint64_t payload, uint32_t *nflushed)
{
	struct sc_prio_desc d = desc(prio, flags, payload);
	return sc_prio_queue_push(q, &d, nflushed);
}

static struct sc_prio_queue *queue_new(uint32_t capacity, struct released *rel, bool flush_all)
{
	struct sc_prio_queue_config cfg;
	sc_prio_queue_config_default(&cfg);
	cfg.capacity = capacity;
	cfg.flush_all_lower = flush_all;
	struct sc_prio_queue *q = sc_prio_queue_create(&cfg, on_release, rel);
	CHECK(q);
	return q;
}

/* Rule 1: on overrun a lower-priority flushable descriptor is replaced;
 * the oldest of the lowest priority goes first. */
static void test_rule_flush_lower(void)
{
	struct released rel = {0};
	struct sc_prio_queue *q = queue_new(4, &rel, false);
	uint32_t nflushed;
	CHECK_EQ(push(q, 3, 0, 1, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 2, 0, 2, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 2, 0, 3, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 5, 0, 4, NULL), SC_PRIO_OK);
	struct sc_prio_desc d = desc(9, 0, 5);
	CHECK_EQ(sc_prio_queue_push(q, &d, &nflushed), SC_PRIO_FLUSHED);
	CHECK_EQ(nflushed, 1);
	CHECK_EQ(rel.count, 1);
	CHECK_EQ(rel.payloads[0], 2); /* oldest at the lowest priority (2) */
	CHECK_EQ(sc_prio_queue_depth(q), 4);
	struct sc_prio_queue_stats st;
	sc_prio_queue_stats(q, &st);
	CHECK_EQ(st.flushed, 1);
	CHECK_EQ(st.overruns, 0);
	CHECK_EQ(st.depth_by_prio[2], 1);
	sc_prio_queue_destroy(q); /* releases the 4 still queued */
	CHECK_EQ(rel.count, 5);
}

/* Rule 2: not-flushable descriptors are never replaced, even if lower. */
static void test_rule_not_flushable(void)
{
	struct released rel = {0};
	struct sc_prio_queue *q = queue_new(3, &rel, false);
	CHECK_EQ(push(q, 1, SC_MSG_NOT_FLUSHABLE, 1, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 1, SC_MSG_NOT_FLUSHABLE, 2, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 4, 0, 3, NULL), SC_PRIO_OK);
	/* The flushable prio-4 one goes, though the prio-1 ones are lower. */
	CHECK_EQ(push(q, 10, SC_MSG_NOT_FLUSHABLE, 4, NULL), SC_PRIO_FLUSHED);
	CHECK_EQ(rel.payloads[0], 3);
	/* Now everything lower than 12 is not flushable: refused. */
	CHECK_EQ(push(q, 12, 0, 5, NULL), SC_PRIO_OVERRUN);
	struct sc_prio_desc out;
	int seen1 = 0;
	while (sc_prio_queue_pop(q, &out) == SC_PRIO_OK)
		seen1 += out.payload == 1 || out.payload == 2;
	CHECK_EQ(seen1, 2);
	CHECK_EQ(rel.count, 1);
	sc_prio_queue_destroy(q);
}

/* Rule 3: nothing lower (equal or higher only): the overrun is counted and
 * the new descriptor refused; the queue is unchanged. */
static void test_rule_overrun_refused(void)
{
	struct released rel = {0};
	struct sc_prio_queue *q = queue_new(2, &rel, false);
	CHECK_EQ(push(q, 6, 0, 1, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 7, 0, 2, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 6, 0, 3, NULL), SC_PRIO_OVERRUN); /* equal */
	CHECK_EQ(push(q, 0, 0, 4, NULL), SC_PRIO_OVERRUN);
	struct sc_prio_queue_stats st;
	sc_prio_queue_stats(q, &st);
	CHECK_EQ(st.overruns, 2);
	CHECK_EQ(st.flushed, 0);
	CHECK_EQ(st.depth, 2);
	CHECK_EQ(rel.count, 0); /* refused payloads stay the caller's */
	CHECK_EQ(push(q, 16, 0, 5, NULL), SC_PRIO_INVALID);
	sc_prio_queue_destroy(q);
}

/* Rule 1 (seed variant): flush_all_lower flushes every lower flushable one. */
static void test_rule_flush_all_lower(void)
{
	struct released rel = {0};
	struct sc_prio_queue *q = queue_new(5, &rel, true);
	for (uint64_t i = 0; i < 4; i++)
		CHECK_EQ(push(q, (uint8_t)i, 0, i, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 9, SC_MSG_NOT_FLUSHABLE, 9, NULL), SC_PRIO_OK);
	uint32_t n;
	CHECK_EQ(push(q, 3, 0, 10, &n), SC_PRIO_FLUSHED);
	CHECK_EQ(n, 3); /* priorities 0, 1, 2 */
	CHECK_EQ(sc_prio_queue_depth(q), 3);
	sc_prio_queue_destroy(q);
	CHECK_EQ(rel.count, 6);
}

/* Rule 4: flushed payloads go back to the buddy allocator. */
static void test_rule_release_to_arena(void)
{
	struct sc_arena *a = sc_arena_create("pq", 1 << 20);
	CHECK(a && sc_arena_register(a, "encoder") >= 0);
	struct sc_arena_stats st0, st;
	sc_arena_stats(a, &st0);
	struct sc_prio_queue_config cfg;
	sc_prio_queue_config_default(&cfg);
	cfg.capacity = 8;
	struct sc_arena_block blk;
	CHECK(sc_arena_block_create(a, "sendq.1", SC_BLOCK_PRIO_QUEUE, sc_prio_queue_mem_size(8), &blk));
	sc_arena_stats(a, &st0);
	struct sc_prio_queue q;
	CHECK(sc_prio_queue_init(&q, sc_arena_ptr(a, blk.off, blk.size), blk.size, &cfg,
	                         sc_prio_queue_release_arena, a));
	uint64_t refused = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t off;
		CHECK(sc_arena_alloc(a, 5000, &off));
		struct sc_prio_desc d = desc(i < 8 ? 1 : 9, 0, off);
		enum sc_prio_result r = sc_prio_queue_push(&q, &d, NULL);
		if (r == SC_PRIO_OVERRUN) {
			CHECK(sc_arena_free(a, off)); /* refused: still ours */
			refused++;
		} else {
			CHECK(r == SC_PRIO_OK || r == SC_PRIO_FLUSHED);
		}
	}
	CHECK_EQ(refused, 4); /* 8 low flushed by 8 high, then 4 high refused */
	struct sc_prio_desc out;
	int popped = 0;
	while (sc_prio_queue_pop(&q, &out) == SC_PRIO_OK) {
		CHECK_EQ(out.hdr.priority, 9);
		CHECK(sc_arena_free(a, out.payload));
		popped++;
	}
	CHECK_EQ(popped, 8);
	sc_arena_stats(a, &st);
	CHECK_EQ(st.free_bytes, st0.free_bytes); /* every payload block came back */
	sc_prio_queue_finish(&q);
	sc_arena_destroy(a);
}

/* Scheduling: FIFO within a priority, highest priority first in a class,
 * highPriMinPkt high then at most lowPriMaxPkt low; no class starves the
 * other and an empty class holds nothing back. */
static void test_scheduling(void)
{
	struct sc_prio_queue_config cfg;
	sc_prio_queue_config_default(&cfg);
	cfg.capacity = 64;
	cfg.high_threshold = 8;
	cfg.high_min_pkt = 3;
	cfg.low_max_pkt = 2;
	struct sc_prio_queue *q = sc_prio_queue_create(&cfg, NULL, NULL);
	CHECK(q);
	for (uint64_t i = 0; i < 10; i++) {
		CHECK_EQ(push(q, 10, 0, 100 + i, NULL), SC_PRIO_OK);
		CHECK_EQ(push(q, 2, 0, 200 + i, NULL), SC_PRIO_OK);
	}
	const char *want = "HHHLLHHHLLHHHLLHLLLL";
	uint64_t next_h = 100, next_l = 200;
	struct sc_prio_desc out;
	for (int i = 0; want[i]; i++) {
		CHECK_EQ(sc_prio_queue_pop(q, &out), SC_PRIO_OK);
		if (want[i] == 'H')
			CHECK_EQ(out.payload, next_h++);
		else
			CHECK_EQ(out.payload, next_l++);
	}
	CHECK_EQ(sc_prio_queue_pop(q, &out), SC_PRIO_EMPTY);

	/* Within a class, higher priority first, FIFO within one priority. */
	CHECK_EQ(push(q, 9, 0, 1, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 15, 0, 2, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 9, 0, 3, NULL), SC_PRIO_OK);
	uint64_t order[3];
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(sc_prio_queue_pop(q, &out), SC_PRIO_OK);
		order[i] = out.payload;
	}
	CHECK_EQ(order[0], 2);
	CHECK_EQ(order[1], 1);
	CHECK_EQ(order[2], 3);
	sc_prio_queue_destroy(q);

	/* high_min_pkt = 1, low_max_pkt = 1: strict alternation. */
	cfg.high_min_pkt = 1;
	cfg.low_max_pkt = 1;
	q = sc_prio_queue_create(&cfg, NULL, NULL);
	for (uint64_t i = 0; i < 4; i++) {
		CHECK_EQ(push(q, 12, 0, 1, NULL), SC_PRIO_OK);
		CHECK_EQ(push(q, 0, 0, 0, NULL), SC_PRIO_OK);
	}
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(sc_prio_queue_pop(q, &out), SC_PRIO_OK);
		CHECK_EQ(out.payload, i % 2 == 0 ? 1 : 0);
	}
	sc_prio_queue_destroy(q);
}

/* One process, two threads (the libwebsockets thread pops, the encoder
 * thread pushes): counts add up, FIFO holds per priority. */
struct thread_ctx {
	struct sc_prio_queue *q;
	uint32_t n;
	uint64_t refused;
};

static void *pusher(void *arg)
{
	struct thread_ctx *t = arg;
	for (uint32_t i = 0; i < t->n; i++) {
		uint8_t prio = (uint8_t)(i % 3 == 0 ? 12 : 3);
		struct sc_prio_desc d = desc(prio, i % 7 == 0 ? SC_MSG_NOT_FLUSHABLE : 0, i);
		if (sc_prio_queue_push(t->q, &d, NULL) == SC_PRIO_OVERRUN)
			t->refused++;
	}
	return NULL;
}

static void test_two_threads(void)
{
	struct released rel = {0};
	struct thread_ctx t = {.q = queue_new(16, &rel, false), .n = SC_TEST_SANITIZED ? 20000 : 200000};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, pusher, &t) == 0);
	uint64_t popped = 0, last[SC_PRIO_LEVELS];
	memset(last, 0xff, sizeof(last));
	uint64_t deadline = sc_now_ns() + 30000000000ull;
	struct sc_prio_desc out;
	bool done = false;
	for (;;) {
		if (sc_prio_queue_pop(t.q, &out) == SC_PRIO_OK) {
			int p = out.hdr.priority;
			CHECK(last[p] == UINT64_MAX || out.payload > last[p]); /* FIFO */
			last[p] = out.payload;
			popped++;
			continue;
		}
		if (done)
			break;
		if (pthread_tryjoin_np(th, NULL) == 0)
			done = true; /* one more pass to drain */
		CHECK(sc_now_ns() < deadline);
	}
	struct sc_prio_queue_stats st;
	sc_prio_queue_stats(t.q, &st);
	CHECK_EQ(popped + st.flushed + t.refused, t.n);
	CHECK_EQ(st.popped, popped);
	CHECK_EQ((uint64_t)rel.count, st.flushed);
	CHECK_EQ(st.overruns, t.refused);
	sc_prio_queue_destroy(t.q);
}

/* Two processes through the arena, then kill -9 of a process holding the
 * queue lock: the survivor recovers and the queue still works. */
static void test_cross_process_and_kill(void)
{
	struct sc_arena *a = sc_arena_create("pq", 1 << 20);
	CHECK(a && sc_arena_register(a, "supervisor") >= 0);
	struct sc_prio_queue_config cfg;
	sc_prio_queue_config_default(&cfg);
	/* 1024 descriptors a fill: with more runnable tasks than cores each
	 * hand-off between the two processes waits for the scheduler, a few ms
	 * (at 32, 1,600 hand-offs took 8.7 s of the 30 s bound beside six busy
	 * loops). */
	cfg.capacity = 1024;
	struct sc_arena_block blk;
	CHECK(sc_arena_block_create(a, "sendq", SC_BLOCK_PRIO_QUEUE, sc_prio_queue_mem_size(cfg.capacity), &blk));
	struct sc_prio_queue q;
	CHECK(sc_prio_queue_init(&q, sc_arena_ptr(a, blk.off, blk.size), blk.size, &cfg, NULL, NULL));
	const uint32_t n = SC_TEST_SANITIZED ? 5000 : 50000;
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct sc_prio_queue cq;
		CHECK(sc_prio_queue_attach(&cq, sc_arena_ptr(a, blk.off, blk.size), blk.size, NULL, NULL));
		uint64_t deadline = sc_now_ns() + 30000000000ull;
		for (uint32_t i = 0; i < n;) {
			struct sc_prio_desc d = desc(5, SC_MSG_NOT_FLUSHABLE, i);
			if (sc_prio_queue_push(&cq, &d, NULL) == SC_PRIO_OK) {
				i++;
			} else {
				CHECK(sc_now_ns() < deadline);
				sched_yield();
			}
		}
		_exit(0);
	}
	uint64_t deadline = sc_now_ns() + 30000000000ull;
	struct sc_prio_desc out;
	for (uint64_t expect = 0; expect < n;) {
		if (sc_prio_queue_pop(&q, &out) == SC_PRIO_OK) {
			CHECK_EQ(out.payload, expect);
			expect++;
		} else {
			CHECK(sc_now_ns() < deadline);
			sched_yield();
		}
	}
	CHECK_EQ(test_wait_child(pid, 30), 0);

	/* A process dies holding the queue lock. */
	int ready[2];
	CHECK(pipe(ready) == 0);
	CHECK_EQ(push(&q, 4, 0, 77, NULL), SC_PRIO_OK);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(sc_prio_queue_lock(&q));
		CHECK(write(ready[1], "x", 1) == 1);
		for (int i = 0; i < 20000; i++)
			usleep(1000);
		_exit(0);
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	kill(pid, SIGKILL);
	CHECK_EQ(test_wait_child(pid, 10), 128 + SIGKILL);
	CHECK_EQ(sc_prio_queue_pop(&q, &out), SC_PRIO_OK);
	CHECK_EQ(out.payload, 77);
	struct sc_prio_queue_stats st;
	sc_prio_queue_stats(&q, &st);
	CHECK_EQ(st.recoveries, 1);
	CHECK_EQ(push(&q, 4, 0, 78, NULL), SC_PRIO_OK);
	CHECK_EQ(sc_prio_queue_depth(&q), 1);
	close(ready[0]);
	close(ready[1]);
	sc_arena_destroy(a);
}

/* A heap queue for one thread (cfg.one_thread, the WebSocket send queues):
 * no mutex, the same rules; the lock hooks are no-ops; a queue in shared
 * memory cannot be made one (several processes use it). */
static void test_one_thread(void)
{
	struct sc_prio_queue_config cfg;
	sc_prio_queue_config_default(&cfg);
	cfg.capacity = 2;
	cfg.one_thread = true;
	struct released rel = {0};
	struct sc_prio_queue *q = sc_prio_queue_create(&cfg, on_release, &rel);
	CHECK(q);
	CHECK(q->unlocked);
	CHECK(sc_prio_queue_lock(q));
	sc_prio_queue_unlock(q);
	CHECK_EQ(push(q, 2, 0, 1, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 2, 0, 2, NULL), SC_PRIO_OK);
	CHECK_EQ(push(q, 9, 0, 3, NULL), SC_PRIO_FLUSHED); /* rule 1 as with a lock */
	CHECK_EQ(rel.payloads[0], 1);
	struct sc_prio_desc out;
	CHECK_EQ(sc_prio_queue_pop(q, &out), SC_PRIO_OK);
	CHECK_EQ(out.payload, 3);
	sc_prio_queue_destroy(q); /* releases payload 2, destroys no mutex */
	CHECK_EQ(rel.count, 2);

	_Alignas(64) static unsigned char mem[4096];
	struct sc_prio_queue shared;
	CHECK(sc_prio_queue_mem_size(cfg.capacity) <= sizeof(mem));
	CHECK(!sc_prio_queue_init(&shared, mem, sizeof(mem), &cfg, NULL, NULL));
}

int main(void)
{
	test_rule_flush_lower();
	test_rule_not_flushable();
	test_rule_overrun_refused();
	test_rule_flush_all_lower();
	test_rule_release_to_arena();
	test_scheduling();
	test_one_thread();
	test_two_threads();
	test_cross_process_and_kill();
	printf("test_prio_queue: ok\n");
	return 0;
}
