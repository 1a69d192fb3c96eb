/* The typed message ring contract (session/shm/msg_ring.h, session/msg_ring.c):
 * format / attach checks, records with the header's fields, a full ring that
 * drops and counts (the producer never waits), bad records and a corrupt ring
 * from a peer (skipped, counted, nothing read outside the block), a producer
 * killed mid-record and a consumer restarted with unread records, and a
 * producer and a consumer thread at full speed (label shm: TSan runs it). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/msg_ring.h"
#include "tests/lib/check.h"

#define CAP 4096u
#define PAYLOAD 32u

struct pl {
	uint32_t a, b;
	uint8_t pad[PAYLOAD - 8];
};
_Static_assert(sizeof(struct pl) == PAYLOAD, "test payload");

static void *block(size_t *size)
{
	*size = sc_msg_ring_block_size(CAP);
	void *m = aligned_alloc(64, *size);
	check(m);
	memset(m, 0, *size);
	return m;
}

static struct sc_msg_header got_hdr[512];
static struct pl got[512];
static unsigned n_got;

static void collect(void *ud, const struct sc_msg_header *h, const void *payload)
{
	(void)ud;
	if (n_got < 512) {
		got_hdr[n_got] = *h;
		memcpy(&got[n_got], payload, h->payload_len < PAYLOAD ? h->payload_len : PAYLOAD);
	}
	n_got++;
}

static size_t read_all(struct sc_msg_ring *r)
{
	n_got = 0;
	return sc_msg_ring_read(r, collect, NULL, 1000);
}

static bool put(struct sc_msg_ring *r, uint32_t tick, uint32_t a)
{
	struct pl p = {.a = a, .b = ~a};
	return sc_msg_ring_write(r, tick, 1000 + tick, SC_MSG_PRIORITY_GAME, 0, &p, sizeof(p));
}

static void test_format_attach(void)
{
	size_t size;
	void *m = block(&size);
	struct sc_msg_ring r;
	check(!sc_msg_ring_attach(&r, m, size, SC_MSG_EVENT, PAYLOAD)); /* not formatted */
	check(!sc_msg_ring_format(m, size, SC_MSG_INVALID, PAYLOAD));
	check(!sc_msg_ring_format(m, size, SC_MSG_TYPE_COUNT, PAYLOAD));
	check(!sc_msg_ring_format(m, size, SC_MSG_EVENT, SC_MSG_PAYLOAD_MAX + 1));
	check(!sc_msg_ring_format(m, size, SC_MSG_EVENT, CAP)); /* a record would not fit an empty ring */
	check(!sc_msg_ring_format(m, size - 1, SC_MSG_EVENT, PAYLOAD)); /* not a power of two */
	check(sc_msg_ring_format(m, size, SC_MSG_EVENT, PAYLOAD));
	check(!sc_msg_ring_attach(&r, m, size, SC_MSG_HAPTIC, PAYLOAD));  /* another type */
	check(!sc_msg_ring_attach(&r, m, size, SC_MSG_EVENT, PAYLOAD + 8)); /* another payload size */
	check(!sc_msg_ring_attach(&r, m, size + 64, SC_MSG_EVENT, PAYLOAD)); /* another block size */
	check(sc_msg_ring_attach(&r, m, size, SC_MSG_EVENT, PAYLOAD));
	check(r.shm->capacity == CAP);
	free(m);
}

static void test_records_and_full(void)
{
	size_t size;
	void *m = block(&size);
	struct sc_msg_ring w, r;
	check(sc_msg_ring_format(m, size, SC_MSG_HAPTIC, PAYLOAD));
	check(sc_msg_ring_attach(&w, m, size, SC_MSG_HAPTIC, PAYLOAD));
	check(sc_msg_ring_attach(&r, m, size, SC_MSG_HAPTIC, PAYLOAD));

	for (uint32_t i = 0; i < 3; i++)
		check(put(&w, 10 + i, i));
	check(read_all(&r) == 3 && n_got == 3);
	for (uint32_t i = 0; i < 3; i++) {
		check(got_hdr[i].type == SC_MSG_HAPTIC);
		check(got_hdr[i].tick == 10 + i);
		check(got_hdr[i].timestamp_ns == 1010 + i);
		check(got_hdr[i].seq == i);
		check(got_hdr[i].priority == SC_MSG_PRIORITY_GAME);
		check(got_hdr[i].payload_len == PAYLOAD);
		check(got[i].a == i && got[i].b == ~i);
	}
	check(read_all(&r) == 0);

	/* full: the producer never waits, it drops and counts */
	uint32_t ok = 0, dropped = 0;
	for (uint32_t i = 0; i < 200; i++) {
		if (put(&w, 100 + i, i))
			ok++;
		else
			dropped++;
	}
	/* 8-byte ring header + 32 + 32 = 72 bytes a record, rounded: 72 */
	check(ok == CAP / 72 && dropped == 200 - ok);
	check(atomic_load(&r.shm->dropped) == dropped);
	check(atomic_load(&r.shm->written) == 3 + ok);
	check(read_all(&r) == ok);
	check(got_hdr[ok - 1].tick == 100 + ok - 1 && got_hdr[ok - 1].seq == 3 + ok - 1);
	check(put(&w, 1, 1)); /* room again */
	check(read_all(&r) == 1);
	check(atomic_load(&r.shm->read) == 3 + ok + 1);
	/* a payload above the maximum is never written (counted as a drop) */
	uint8_t big[PAYLOAD + 1] = {0};
	check(!sc_msg_ring_write(&w, 1, 1, 0, 0, big, sizeof(big)));
	check(atomic_load(&r.shm->dropped) == dropped + 1);
	free(m);
}

/* A record as a corrupt peer would write it, straight into the spsc ring. */
static void raw(struct sc_msg_ring *w, uint32_t spsc_type, const struct sc_msg_header *h, uint32_t len)
{
	uint8_t body[256] = {0};
	if (h)
		memcpy(body, h, sizeof(*h));
	check(sc_spsc_ring_write(&w->ring, spsc_type, body, len) == SC_RING_SUCCESS);
}

static void test_bad_records(void)
{
	size_t size;
	void *m = block(&size);
	struct sc_msg_ring w, r;
	check(sc_msg_ring_format(m, size, SC_MSG_EVENT, PAYLOAD));
	check(sc_msg_ring_attach(&w, m, size, SC_MSG_EVENT, PAYLOAD));
	check(sc_msg_ring_attach(&r, m, size, SC_MSG_EVENT, PAYLOAD));

	struct sc_msg_header good = {.type = SC_MSG_EVENT, .priority = 1, .payload_len = PAYLOAD, .tick = 5};
	struct sc_msg_header h;
	raw(&w, SC_MSG_EVENT, &good, 31);                    /* shorter than the header */
	raw(&w, SC_MSG_EVENT, NULL, 0);                      /* empty */
	raw(&w, SC_MSG_HAPTIC, &good, 32 + PAYLOAD);         /* the ring record's type is another */
	h = good, h.type = SC_MSG_HAPTIC;
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);             /* the header's type is another */
	h = good, h.type = 0;
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);
	h = good, h.type = 0xffff;
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);
	h = good, h.priority = SC_MSG_PRIORITY_MAX + 1;
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);
	h = good, h.payload_len = UINT32_MAX;                /* would wrap len + 32 */
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);
	h = good, h.payload_len = UINT32_MAX - 31;
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);
	h = good, h.payload_len = PAYLOAD - 1;               /* disagrees with the record */
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD);
	h = good, h.payload_len = PAYLOAD + 8;               /* agrees, but above the ring's maximum */
	raw(&w, SC_MSG_EVENT, &h, 32 + PAYLOAD + 8);
	raw(&w, SC_MSG_EVENT, &good, 32 + PAYLOAD);          /* and a good one */
	check(read_all(&r) == 1 && n_got == 1 && got_hdr[0].tick == 5);
	check(atomic_load(&r.shm->rejected) == 11);

	/* the decoder on its own, at every length of a buffer */
	uint8_t buf[64];
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &good, sizeof(good));
	for (uint32_t len = 0; len <= sizeof(buf); len++) {
		const void *pl;
		enum sc_msg_decode d = sc_msg_record_decode(buf, len, SC_MSG_EVENT, PAYLOAD, &h, &pl);
		check((d == SC_MSG_DECODE_OK) == (len == 32 + PAYLOAD));
		if (d == SC_MSG_DECODE_OK)
			check((const uint8_t *)pl == buf + 32);
		check(sc_msg_decode_str(d) != NULL);
	}

	/* a corrupt ring: the peer's tail impossibly far ahead; skipped, counted,
	 * usable again */
	uint64_t rejected = atomic_load(&r.shm->rejected);
	check(put(&w, 7, 7));
	r.ring.ctrl->tail += 10 * CAP;
	check(read_all(&r) == 0);
	check(atomic_load(&r.shm->rejected) == rejected + 1);
	struct sc_msg_ring w2;
	check(sc_msg_ring_attach(&w2, m, size, SC_MSG_EVENT, PAYLOAD)); /* a new producer after it */
	check(put(&w2, 8, 8));
	check(read_all(&r) == 1 && got_hdr[0].tick == 8);
	/* a record length that runs past the buffer's end */
	check(put(&w2, 9, 9));
	uint64_t head = r.ring.ctrl->head & r.ring.mask;
	uint32_t bad_len = 0x7fffffffu;
	memcpy(r.ring.buf + head, &bad_len, 4);
	check(read_all(&r) == 0);
	check(atomic_load(&r.shm->rejected) == rejected + 2);
	free(m);
}

static void test_crashes(void)
{
	size_t size;
	void *m = block(&size);
	struct sc_msg_ring w, r;
	check(sc_msg_ring_format(m, size, SC_MSG_NOTICE, PAYLOAD));
	check(sc_msg_ring_attach(&w, m, size, SC_MSG_NOTICE, PAYLOAD));
	check(sc_msg_ring_attach(&r, m, size, SC_MSG_NOTICE, PAYLOAD));

	/* the producer dies mid-record: claimed, half written, never committed */
	check(put(&w, 1, 1));
	void *body;
	check(sc_spsc_ring_claim(&w.ring, SC_MSG_NOTICE, 32 + PAYLOAD, &body) == SC_RING_SUCCESS);
	memset(body, 0xee, 20);
	/* its successor attaches and writes on; seqs go on from the count */
	struct sc_msg_ring w2;
	check(sc_msg_ring_attach(&w2, m, size, SC_MSG_NOTICE, PAYLOAD));
	check(sc_msg_ring_write_start(&w2, 2, 0));
	check(put(&w2, 2, 2));
	check(read_all(&r) == 3);
	check(got_hdr[0].tick == 1 && got_hdr[0].seq == 0);
	check(got_hdr[1].flags & SC_MSG_PRODUCER_START && got_hdr[1].payload_len == 0 && got_hdr[1].seq == 1);
	check(got_hdr[2].tick == 2 && got_hdr[2].seq == 2 && got[2].a == 2);
	check(atomic_load(&r.shm->rejected) == 0);

	/* the consumer dies with 5 unread: its successor discards them, counts
	 * them, and reads what comes after */
	for (uint32_t i = 0; i < 5; i++)
		check(put(&w2, 10 + i, i));
	struct sc_msg_ring r2;
	check(sc_msg_ring_attach(&r2, m, size, SC_MSG_NOTICE, PAYLOAD));
	check(sc_msg_ring_discard(&r2) == 5 * 72);
	check(atomic_load(&r2.shm->discarded) == 5);
	check(sc_msg_ring_discard(&r2) == 0);
	check(read_all(&r2) == 0);
	check(put(&w2, 20, 20));
	check(read_all(&r2) == 1 && got_hdr[0].tick == 20);
	/* a discard over a wrapped ring with padding */
	for (uint32_t i = 0; i < 40; i++)
		check(put(&w2, 30 + i, i));
	check(read_all(&r2) == 40);
	for (uint32_t i = 0; i < 50; i++)
		check(put(&w2, 100 + i, i));
	check(sc_msg_ring_discard(&r2) > 0);
	check(atomic_load(&r2.shm->discarded) == 55);
	check(sc_spsc_ring_used(&r2.ring) == 0);
	free(m);
}

/* --- a producer and a consumer thread ------------------------------------- */

#define N_MSGS 200000u
static atomic_bool producer_done;

struct thread_ctx {
	struct sc_msg_ring ring;
	uint32_t written, dropped;
	uint32_t last_tick, n, bad;
	uint64_t last_seq;
};

static void *producer(void *arg)
{
	struct thread_ctx *c = arg;
	for (uint32_t i = 1; i <= N_MSGS; i++) {
		if (put(&c->ring, i, i)) {
			c->written++;
		} else {
			c->dropped++;
			sched_yield(); /* the test's choice: let the reader in (the ring itself never waits) */
		}
	}
	atomic_store(&producer_done, true);
	return NULL;
}

static void on_msg(void *ud, const struct sc_msg_header *h, const void *payload)
{
	struct thread_ctx *c = ud;
	struct pl p;
	memcpy(&p, payload, sizeof(p));
	if (h->tick <= c->last_tick || (c->n && h->seq != c->last_seq + 1) || p.a != h->tick || p.b != ~h->tick)
		c->bad++;
	c->last_tick = h->tick;
	c->last_seq = h->seq;
	c->n++;
}

static void test_threads(void)
{
	size_t size;
	void *m = block(&size);
	struct thread_ctx pc = {0}, cc = {0};
	check(sc_msg_ring_format(m, size, SC_MSG_EVENT, PAYLOAD));
	check(sc_msg_ring_attach(&pc.ring, m, size, SC_MSG_EVENT, PAYLOAD));
	check(sc_msg_ring_attach(&cc.ring, m, size, SC_MSG_EVENT, PAYLOAD));
	pthread_t t;
	check(pthread_create(&t, NULL, producer, &pc) == 0);
	/* bounded: the producer ends after N_MSGS attempts whatever the reader does */
	for (uint64_t spins = 0; spins < 100000000ull; spins++) {
		bool done = atomic_load(&producer_done);
		sc_msg_ring_read(&cc.ring, on_msg, &cc, 64);
		if (done && !sc_spsc_ring_readable(&cc.ring.ring))
			break;
	}
	pthread_join(t, NULL);
	sc_msg_ring_read(&cc.ring, on_msg, &cc, 100000);
	printf("threads: %u written, %u dropped (ring full), %u read\n", pc.written, pc.dropped, cc.n);
	check(pc.written + pc.dropped == N_MSGS);
	check(cc.n == pc.written);
	check(cc.bad == 0);
	check(atomic_load(&cc.ring.shm->written) == pc.written);
	check(atomic_load(&cc.ring.shm->dropped) == pc.dropped);
	check(atomic_load(&cc.ring.shm->read) == cc.n);
	check(atomic_load(&cc.ring.shm->rejected) == 0);
	free(m);
}

int main(void)
{
	test_format_attach();
	test_records_and_full();
	test_bad_records();
	test_crashes();
	test_threads();
	printf("ok\n");
	return 0;
}
