#include "session/sample_ring.h"

#include <string.h>

#include "util/log.h"

static const char *const blocks[SC_SAMPLE_INSTANCES] = {
	SC_SAMPLE_RING_BLOCK, SC_SAMPLE_RING_SHADOW0_BLOCK, SC_SAMPLE_RING_SHADOW1_BLOCK,
};

const char *sc_sample_ring_block(uint32_t instance)
{
	return instance < SC_SAMPLE_INSTANCES ? blocks[instance] : NULL;
}

bool sc_sample_rings_create(struct sc_arena *arena)
{
	size_t size = sc_spsc_ring_block_size(SC_SAMPLE_RING_CAPACITY);
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		struct sc_arena_block b;
		struct sc_spsc_ring ring;
		if (!sc_arena_block_create(arena, blocks[i], SC_BLOCK_SPSC_RING, size, &b)) {
			sc_err("arena: cannot create block '%s' (%zu bytes)", blocks[i], size);
			return false;
		}
		if (!sc_spsc_ring_init(&ring, sc_arena_ptr(arena, b.off, size), size)) {
			sc_err("arena: cannot format block '%s' as a ring", blocks[i]);
			return false;
		}
	}
	return true;
}

bool sc_sample_ring_attach(struct sc_arena *arena, uint32_t instance, struct sc_spsc_ring *ring)
{
	struct sc_arena_block b;
	size_t size = sc_spsc_ring_block_size(SC_SAMPLE_RING_CAPACITY);
	void *mem;
	const char *name = sc_sample_ring_block(instance);
	if (!name || !sc_arena_block_find(arena, name, &b) || b.kind != SC_BLOCK_SPSC_RING || b.size < size ||
	    !(mem = sc_arena_ptr(arena, b.off, size)) || !sc_spsc_ring_attach(ring, mem, size)) {
		sc_err("arena: no usable '%s' block (a ring of %u bytes)", name ? name : "?", SC_SAMPLE_RING_CAPACITY);
		return false;
	}
	sc_spsc_ring_set_max_type(ring, SC_MSG_TYPE_COUNT - 1);
	return true;
}
