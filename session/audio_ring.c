#include "session/audio_ring.h"

#include <string.h>

#include "util/log.h"

bool sc_audio_ring_create(struct sc_arena *arena, struct sc_spsc_ring *ring)
{
	struct sc_arena_block b;
	size_t size = sc_spsc_ring_block_size(SC_AUDIO_RING_CAPACITY);
	if (!sc_arena_block_create(arena, SC_AUDIO_RING_BLOCK, SC_BLOCK_SPSC_RING, size, &b)) {
		sc_err("arena: cannot create block '%s' (%zu bytes)", SC_AUDIO_RING_BLOCK, size);
		return false;
	}
	if (!sc_spsc_ring_init(ring, sc_arena_ptr(arena, b.off, size), size)) {
		sc_err("arena: cannot format block '%s' as a ring", SC_AUDIO_RING_BLOCK);
		return false;
	}
	sc_spsc_ring_set_max_type(ring, SC_MSG_TYPE_COUNT - 1);
	return true;
}

bool sc_audio_ring_attach(struct sc_arena *arena, struct sc_spsc_ring *ring)
{
	struct sc_arena_block b;
	size_t size = sc_spsc_ring_block_size(SC_AUDIO_RING_CAPACITY);
	void *mem;
	if (!sc_arena_block_find(arena, SC_AUDIO_RING_BLOCK, &b) || b.kind != SC_BLOCK_SPSC_RING || b.size < size ||
	    !(mem = sc_arena_ptr(arena, b.off, size)) || !sc_spsc_ring_attach(ring, mem, size)) {
		sc_err("arena: no usable '%s' block (a ring of %u bytes)", SC_AUDIO_RING_BLOCK, SC_AUDIO_RING_CAPACITY);
		return false;
	}
	sc_spsc_ring_set_max_type(ring, SC_MSG_TYPE_COUNT - 1);
	return true;
}

enum sc_ring_result sc_audio_ring_write(struct sc_spsc_ring *ring, const struct sc_audio_chunk *chunk,
                                        const int16_t *pcm, uint64_t capture_ns)
{
	uint64_t pcm_bytes = (uint64_t)chunk->n_samples * chunk->channels * sizeof(int16_t);
	uint64_t len = sizeof(struct sc_msg_header) + sizeof(*chunk) + pcm_bytes;
	if (len > UINT32_MAX)
		return SC_RING_TOO_BIG;
	void *body;
	enum sc_ring_result r = sc_spsc_ring_claim(ring, SC_MSG_AUDIO, (uint32_t)len, &body);
	if (r != SC_RING_SUCCESS)
		return r;
	struct sc_msg_header hdr = {
		.type = SC_MSG_AUDIO,
		.priority = 0,
		.timestamp_ns = capture_ns,
		.seq = chunk->tick,
		.payload_len = (uint32_t)(len - sizeof(hdr)),
	};
	uint8_t *p = body;
	memcpy(p, &hdr, sizeof(hdr));
	memcpy(p + sizeof(hdr), chunk, sizeof(*chunk));
	memcpy(p + sizeof(hdr) + sizeof(*chunk), pcm, (size_t)pcm_bytes);
	sc_spsc_ring_commit(ring); /* release: the record is whole before the consumer can see it */
	return SC_RING_SUCCESS;
}

enum sc_ring_result sc_audio_ring_read(struct sc_spsc_ring *ring, void *buf, uint32_t cap,
                                       struct sc_audio_record *out)
{
	uint32_t type, len;
	enum sc_ring_result r = sc_spsc_ring_read_one(ring, &type, buf, cap, &len);
	if (r != SC_RING_SUCCESS)
		return r;
	const uint8_t *p = buf;
	if (len < sizeof(out->hdr) + sizeof(out->chunk)) {
		ring->corrupt_count++;
		return SC_RING_CORRUPT;
	}
	memcpy(&out->hdr, p, sizeof(out->hdr));
	memcpy(&out->chunk, p + sizeof(out->hdr), sizeof(out->chunk));
	const struct sc_audio_chunk *c = &out->chunk;
	uint64_t want = (uint64_t)c->n_samples * c->channels * sizeof(int16_t);
	if (type != SC_MSG_AUDIO || out->hdr.type != SC_MSG_AUDIO || out->hdr.payload_len != len - sizeof(out->hdr) ||
	    c->channels == 0 || c->channels > 2 || c->format != SC_AUDIO_FORMAT_S16 ||
	    want != (uint64_t)len - sizeof(out->hdr) - sizeof(*c)) {
		ring->corrupt_count++;
		return SC_RING_CORRUPT;
	}
	out->pcm = (const int16_t *)(p + sizeof(out->hdr) + sizeof(*c));
	return SC_RING_SUCCESS;
}
