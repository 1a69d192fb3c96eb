/* libFuzzer: the buddy allocator's metadata lives in shared memory, so a
 * hostile or crashed peer controls every byte of it. Whatever the bytes, no
 * operation reads or writes outside the metadata (allocated at its exact size:
 * ASan) or shifts by an impossible order (UBSan); a header the memory cannot
 * hold is refused (sc_buddy_header_ok, as struct sc_arena checks it), and
 * blocks handed out lie inside the pool.
 *
 * Input: the metadata bytes (header + nodes of a 64-block pool, formatted
 * first, then overwritten by as many input bytes as there are), then one byte
 * per operation: alloc / free / free_owner / rebuild / check / block queries. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/buddy.h"

#define POOL (64u * SC_BUDDY_MIN_BLOCK)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t meta = sc_buddy_meta_size(POOL);
	struct sc_buddy *b = malloc(meta);
	if (!b || !sc_buddy_init(b, POOL))
		abort();
	/* a few blocks first, so that the input overwrites a used state */
	uint64_t off;
	sc_buddy_alloc(b, 2048, 1, &off);
	sc_buddy_alloc(b, 8192, 2, &off);
	size_t n = size < meta ? size : meta;
	memcpy(b, data, n);
	const uint8_t *ops = data + n;
	size_t nops = size - n;
	if (!sc_buddy_header_ok(b, meta)) {
		free(b);
		return 0; /* the arena refuses to use it */
	}
	const uint64_t pool = b->pool_size;
	for (size_t i = 0; i < nops; i++) {
		uint8_t op = ops[i], arg = i + 1 < nops ? ops[i + 1] : 0;
		switch (op % 7) {
		case 0:
		case 1:
			if (sc_buddy_alloc(b, (uint64_t)(arg % 40 + 1) * 1024, op >> 4, &off)) {
				uint64_t bs = sc_buddy_block_size(b, off);
				if (off >= pool || bs == 0 || bs > pool - off)
					abort(); /* a block outside the pool */
			}
			break;
		case 2: sc_buddy_free(b, (uint64_t)arg * SC_BUDDY_MIN_BLOCK / 2); break;
		case 3: sc_buddy_free_owner(b, arg & 15); break;
		case 4: sc_buddy_rebuild(b); break;
		case 5:
			sc_buddy_rebuild(b);
			if (!sc_buddy_check(b))
				abort(); /* a rebuild restores every invariant */
			break;
		case 6:
			(void)sc_buddy_block_owner(b, (uint64_t)arg * SC_BUDDY_MIN_BLOCK);
			(void)sc_buddy_check(b);
			break;
		}
	}
	free(b);
	return 0;
}
