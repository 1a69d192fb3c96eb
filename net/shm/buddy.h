/* Buddy allocator over a pool addressed by offsets (seed US7299320): 2 KiB
 * minimum block, sizes rounded up to a power of two, coalescing on free.
 *
 * All state lives in a caller-provided metadata area (in the arena's
 * administrative region, or plain heap in tests), separate from the pool, so
 * a peer that scribbles over its payload cannot break the allocator. The
 * allocator does no locking: struct sc_arena serialises it.
 *
 * Crash safety: each allocated block's head node holds a single 32-bit tag
 * (state | order | owner) that is written last on alloc and first on free.
 * Free lists are an index derived from those tags; sc_buddy_rebuild()
 * recomputes them after a process died mid-operation. Links found out of
 * range or inconsistent (a peer wrote over the metadata) are repaired the
 * same way and counted in corrupt; a bad header makes every operation fail. */
#ifndef SC_NET_SHM_BUDDY_H
#define SC_NET_SHM_BUDDY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_BUDDY_MIN_SHIFT 11 /* 2 KiB */
#define SC_BUDDY_MIN_BLOCK (1u << SC_BUDDY_MIN_SHIFT)
#define SC_BUDDY_MAX_ORDER 24 /* largest block: 2 KiB << 24 = 32 GiB */
#define SC_BUDDY_NO_OWNER 0xffffu

struct sc_buddy_node {
	uint32_t tag;  /* state | order << 8 | owner << 16; see buddy.c */
	uint32_t next; /* free-list links, node indices, UINT32_MAX = none */
	uint32_t prev;
};

struct sc_buddy {
	uint64_t pool_size;   /* bytes, multiple of SC_BUDDY_MIN_BLOCK */
	uint32_t nnodes;      /* pool_size / SC_BUDDY_MIN_BLOCK */
	uint32_t max_order;
	uint64_t free_bytes;
	uint64_t alloc_fail;  /* requests that found no block */
	uint64_t bad_free;    /* frees of an offset that is not an allocated block */
	uint64_t corrupt;     /* lists found corrupt (out-of-range or broken links): rebuilt */
	uint32_t free_head[SC_BUDDY_MAX_ORDER + 1];
	struct sc_buddy_node nodes[]; /* nnodes entries */
};

/* Bytes of metadata (struct + nodes) for a pool of pool_size bytes. */
size_t sc_buddy_meta_size(uint64_t pool_size);

/* Whether the header (pool_size, nnodes, max_order, all shared and so
 * writable by any peer) agrees with itself and fits in meta_size bytes of
 * metadata. The operations below check the header's own consistency and every
 * index they read; only the caller knows the memory, so it checks this before
 * trusting nnodes (struct sc_arena does, before every operation). */
bool sc_buddy_header_ok(const struct sc_buddy *b, size_t meta_size);

/* Formats meta (sc_buddy_meta_size(pool_size) bytes) for a pool of
 * pool_size bytes (rounded down to 2 KiB; need not be a power of two).
 * false if the pool is smaller than one block or too large. */
bool sc_buddy_init(struct sc_buddy *b, uint64_t pool_size);

/* Allocates size bytes (rounded up to a power of two >= 2 KiB), aligned to
 * that size relative to the pool start, for owner (a registry slot or
 * SC_BUDDY_NO_OWNER). The block's offset in the pool goes to *off. false when
 * no block is free (exhaustion) or size is 0 / too large. */
bool sc_buddy_alloc(struct sc_buddy *b, uint64_t size, uint16_t owner, uint64_t *off);

/* Frees the block at off and coalesces it with free buddies. false (counted
 * in bad_free, nothing changed) if off is not the start of an allocated block. */
bool sc_buddy_free(struct sc_buddy *b, uint64_t off);

/* Size of the allocated block at off, 0 if off is not an allocated block. */
uint64_t sc_buddy_block_size(const struct sc_buddy *b, uint64_t off);

/* Owner of the allocated block at off, SC_BUDDY_NO_OWNER if none. */
uint16_t sc_buddy_block_owner(const struct sc_buddy *b, uint64_t off);

/* Frees every block of owner; returns how many (process died). */
size_t sc_buddy_free_owner(struct sc_buddy *b, uint16_t owner);

/* Recomputes free lists and free_bytes from the allocated tags. */
void sc_buddy_rebuild(struct sc_buddy *b);

/* Checks every invariant (lists match tags, buddies coalesced, byte count).
 * For tests and after recovery; false on the first violation. */
bool sc_buddy_check(const struct sc_buddy *b);

#endif
