/* Buddy allocator against a simple model: random alloc/free sequences check
 * sizes, alignment, no overlap, coalescing, exhaustion, bad frees, owner
 * reclaim and rebuild after a simulated crash. */
#include <stdlib.h>

#include "net/shm/buddy.h"
#include "shm_test.h"

struct model_block {
	uint64_t off, size;
	bool live;
};

/* Is there an aligned, fully free range of bs bytes in the model? */
static bool model_has_free(const struct model_block *m, int n, uint64_t bs, uint64_t usable)
{
	for (uint64_t x = 0; x + bs <= usable; x += bs) {
		bool free_range = true;
		for (int i = 0; i < n && free_range; i++)
			free_range = x + bs <= m[i].off || m[i].off + m[i].size <= x;
		if (free_range)
			return true;
	}
	return false;
}

static struct sc_buddy *buddy_new(uint64_t pool)
{
	struct sc_buddy *b = malloc(sc_buddy_meta_size(pool));
	CHECK(b);
	CHECK(sc_buddy_init(b, pool));
	return b;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = SC_BUDDY_MIN_BLOCK;
	while (p < v)
		p <<= 1;
	return p;
}

static void test_basics(void)
{
	struct sc_buddy *b = buddy_new(1 << 20);
	uint64_t off, off2;
	CHECK(!sc_buddy_alloc(b, 0, 1, &off));
	CHECK(!sc_buddy_alloc(b, (1 << 20) + 1, 1, &off)); /* larger than the pool */
	CHECK(sc_buddy_alloc(b, 1, 1, &off));
	CHECK_EQ(sc_buddy_block_size(b, off), 2048); /* 2 KiB minimum */
	CHECK(sc_buddy_alloc(b, 2049, 1, &off2));
	CHECK_EQ(sc_buddy_block_size(b, off2), 4096);
	CHECK_EQ(off2 % 4096, 0);
	CHECK_EQ(sc_buddy_block_owner(b, off2), 1);
	CHECK(!sc_buddy_free(b, off2 + 2048)); /* inside a block: refused */
	CHECK(!sc_buddy_free(b, 1 << 21));     /* outside the pool */
	CHECK_EQ(b->bad_free, 2);
	CHECK(sc_buddy_free(b, off2));
	CHECK(!sc_buddy_free(b, off2)); /* double free */
	CHECK(sc_buddy_free(b, off));
	CHECK(sc_buddy_check(b));
	/* Fully coalesced: one block of the whole pool is available again. */
	CHECK_EQ(b->free_bytes, 1 << 20);
	CHECK(sc_buddy_alloc(b, 1 << 20, 2, &off));
	CHECK_EQ(off, 0);
	CHECK(!sc_buddy_alloc(b, 1, 2, &off2)); /* exhausted: an error, not a crash */
	CHECK_EQ(b->alloc_fail, 1);
	free(b);
}

static void test_exhaustion_min_blocks(void)
{
	const uint64_t pool = 64 * SC_BUDDY_MIN_BLOCK;
	struct sc_buddy *b = buddy_new(pool);
	uint64_t offs[64], off;
	for (int i = 0; i < 64; i++)
		CHECK(sc_buddy_alloc(b, 100, 3, &offs[i]));
	CHECK(!sc_buddy_alloc(b, 100, 3, &off));
	CHECK_EQ(b->free_bytes, 0);
	/* Free every other block: 32 KiB free but no 4 KiB block. */
	for (int i = 0; i < 64; i += 2)
		CHECK(sc_buddy_free(b, offs[i]));
	CHECK(!sc_buddy_alloc(b, 4096, 3, &off));
	for (int i = 1; i < 64; i += 2)
		CHECK(sc_buddy_free(b, offs[i]));
	CHECK(sc_buddy_check(b));
	CHECK(sc_buddy_alloc(b, pool, 3, &off));
	free(b);
}

static void test_random_against_model(uint64_t pool, uint64_t seed, int steps)
{
	struct sc_buddy *b = buddy_new(pool);
	CHECK(sc_buddy_check(b));
	uint64_t usable = pool / SC_BUDDY_MIN_BLOCK * SC_BUDDY_MIN_BLOCK;
	CHECK_EQ(b->free_bytes, usable);
	enum { MAXB = 4096 };
	struct model_block *m = calloc(MAXB, sizeof(*m));
	CHECK(m);
	int n = 0;
	uint64_t live_bytes = 0, rng = seed;
	for (int step = 0; step < steps; step++) {
		uint64_t r = test_rand(&rng);
		bool do_alloc = n < MAXB && (r % 100) < 55;
		if (do_alloc) {
			uint64_t size = 1 + test_rand(&rng) % (r % 7 == 0 ? pool / 4 : 20000);
			uint64_t off;
			bool ok = sc_buddy_alloc(b, size, (uint16_t)(step % 5), &off);
			uint64_t bs = pow2_at_least(size);
			if (!ok) {
				/* Only allowed when the model has no free aligned
				 * range of that size (coalescing is complete). */
				CHECK(bs > ((uint64_t)SC_BUDDY_MIN_BLOCK << b->max_order) ||
				      !model_has_free(m, n, bs, usable));
				continue;
			}
			CHECK_EQ(sc_buddy_block_size(b, off), bs);
			CHECK_EQ(off % bs, 0); /* aligned to its size */
			CHECK(off + bs <= usable);
			for (int i = 0; i < n; i++) /* no overlap with live blocks */
				CHECK(off + bs <= m[i].off || m[i].off + m[i].size <= off);
			m[n++] = (struct model_block){off, bs, true};
			live_bytes += bs;
		} else if (n > 0) {
			int i = (int)(test_rand(&rng) % (uint64_t)n);
			CHECK(sc_buddy_free(b, m[i].off));
			live_bytes -= m[i].size;
			m[i] = m[--n];
		}
		CHECK_EQ(b->free_bytes, usable - live_bytes);
		if (step % 64 == 0)
			CHECK(sc_buddy_check(b));
	}
	/* Owner reclaim frees exactly that owner's blocks. */
	size_t owned = 0;
	for (int i = 0; i < n; i++)
		owned += sc_buddy_block_owner(b, m[i].off) == 2;
	CHECK_EQ(sc_buddy_free_owner(b, 2), owned);
	for (int i = 0; i < n; i++)
		if (sc_buddy_block_owner(b, m[i].off) != SC_BUDDY_NO_OWNER)
			CHECK(sc_buddy_free(b, m[i].off));
	CHECK(sc_buddy_check(b));
	CHECK_EQ(b->free_bytes, usable);
	free(m);
	free(b);
}

/* A process dying mid-operation leaves free lists half-updated; rebuild
 * recomputes them from the allocated tags. */
static void test_rebuild_after_crash(void)
{
	const uint64_t pool = 256 * SC_BUDDY_MIN_BLOCK;
	struct sc_buddy *b = buddy_new(pool);
	uint64_t keep[10], off;
	for (int i = 0; i < 10; i++)
		CHECK(sc_buddy_alloc(b, (uint64_t)(i + 1) * 1500, 1, &keep[i]));
	/* Scramble the derived index: lists and the byte count. */
	for (uint32_t k = 0; k <= SC_BUDDY_MAX_ORDER; k++)
		b->free_head[k] = (k * 7) % b->nnodes;
	b->nodes[3].next = 1;
	b->free_bytes = 12345;
	CHECK(!sc_buddy_check(b));
	sc_buddy_rebuild(b);
	CHECK(sc_buddy_check(b));
	for (int i = 0; i < 10; i++)
		CHECK(sc_buddy_block_size(b, keep[i]) >= (uint64_t)(i + 1) * 1500);
	/* Allocations after recovery never overlap the survivors. */
	while (sc_buddy_alloc(b, 2048, 2, &off))
		for (int i = 0; i < 10; i++)
			CHECK(off + 2048 <= keep[i] || keep[i] + sc_buddy_block_size(b, keep[i]) <= off);
	CHECK_EQ(b->free_bytes, 0);
	free(b);
}

/* A peer scribbled over the shared metadata: indices out of range, orders
 * that do not fit, a header that does not match the memory. The allocator
 * never reads out of range (the metadata is malloc'd to its exact size: ASan
 * sees any stray access); bad links are repaired from the tags, bad frees and
 * a bad header are refused. */
static void test_corrupt_metadata(void)
{
	const uint64_t pool = 64 * 2048;
	const size_t meta = sc_buddy_meta_size(pool);
	uint64_t a, c, off;

	/* a free-list head far out of range: rebuilt from the tags, then served */
	struct sc_buddy *b = buddy_new(pool);
	CHECK(sc_buddy_header_ok(b, meta));
	CHECK(sc_buddy_alloc(b, 2048, 1, &a));
	CHECK(sc_buddy_alloc(b, 8192, 2, &c));
	b->free_head[0] = 0x7fffffffu;
	b->free_head[3] = 1000000u;
	CHECK(!sc_buddy_check(b));
	CHECK(sc_buddy_alloc(b, 2048, 3, &off));
	CHECK_EQ(b->corrupt, 1);
	CHECK(off < pool && off != a && (off < c || off >= c + 8192));
	CHECK(sc_buddy_check(b));
	CHECK_EQ(sc_buddy_block_size(b, a), 2048);
	CHECK_EQ(sc_buddy_block_owner(b, c), 2);

	/* links of free nodes out of range: next, then prev */
	for (int which = 0; which < 2; which++) {
		uint32_t head = b->free_head[0] != UINT32_MAX ? b->free_head[0] : b->free_head[1];
		CHECK(head != UINT32_MAX);
		if (which == 0)
			b->nodes[head].next = 0xfffffff0u;
		else
			b->nodes[head].prev = 0x10000000u;
		uint64_t before = b->corrupt;
		CHECK(sc_buddy_alloc(b, 2048, 4, &off));
		CHECK(off < pool);
		CHECK_EQ(b->corrupt, before + 1);
		CHECK(sc_buddy_free(b, off));
		CHECK(sc_buddy_check(b));
	}

	/* a free-list entry whose tag does not say free at that order */
	uint32_t head = b->free_head[0] != UINT32_MAX ? b->free_head[0] : b->free_head[1];
	b->free_head[5] = head; /* listed at the wrong order */
	CHECK(sc_buddy_alloc(b, 64 * 1024, 5, &off));
	CHECK(off % (64 * 1024) == 0 && off + 64 * 1024 <= pool);
	CHECK(sc_buddy_check(b));
	CHECK(sc_buddy_free(b, off));

	/* an allocated head with an order that cannot exist: the free is refused
	 * (no shift by 200), a rebuild drops the block */
	uint32_t ia = (uint32_t)(a / 2048);
	b->nodes[ia].tag = 2u | 200u << 8 | 1u << 16;
	uint64_t bad = b->bad_free;
	CHECK(!sc_buddy_free(b, a));
	CHECK_EQ(b->bad_free, bad + 1);
	CHECK_EQ(sc_buddy_block_size(b, a), 0);
	CHECK(!sc_buddy_check(b));
	sc_buddy_rebuild(b);
	CHECK(sc_buddy_check(b));
	CHECK(sc_buddy_free(b, c));
	free(b);

	/* a header that does not match the memory or itself: refused by every
	 * operation (and by sc_buddy_header_ok, which the arena calls) */
	for (int which = 0; which < 4; which++) {
		b = buddy_new(pool);
		CHECK(sc_buddy_alloc(b, 2048, 1, &a));
		if (which == 0)
			b->max_order = 200;
		else if (which == 1)
			b->nnodes = 0x7fffffffu;
		else if (which == 2)
			b->pool_size = UINT64_MAX;
		else { /* consistent, but larger than the memory it lives in */
			b->nnodes = 128;
			b->pool_size = 128 * 2048;
			b->max_order = 7;
		}
		CHECK(!sc_buddy_header_ok(b, meta));
		if (which < 3) {
			CHECK(!sc_buddy_alloc(b, 2048, 1, &off));
			CHECK(!sc_buddy_free(b, a));
			CHECK_EQ(sc_buddy_block_size(b, a), 0);
			CHECK_EQ(sc_buddy_block_owner(b, a), SC_BUDDY_NO_OWNER);
			CHECK_EQ(sc_buddy_free_owner(b, 1), 0);
			sc_buddy_rebuild(b);
			CHECK(!sc_buddy_check(b));
		}
		free(b);
	}
	CHECK(!sc_buddy_header_ok(NULL, meta));
	printf("test_buddy: corrupted metadata refused or repaired\n");
}

int main(void)
{
	test_basics();
	test_exhaustion_min_blocks();
	test_random_against_model(1 << 22, 1, 20000);                  /* power of two */
	test_random_against_model(3 * (1 << 20) + 5 * 2048 + 77, 2, 20000); /* not */
	test_random_against_model(64 * 2048, 3, 5000);                 /* tight: exhaustion */
	test_rebuild_after_crash();
	test_corrupt_metadata();
	printf("test_buddy: ok\n");
	return 0;
}
