#include "gpu/frame_seal.h"

#include <string.h>

/* shaders/game_common.glsl mix32 */
static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint32_t sc_frame_seal_checksum(const uint8_t *slot, const struct sc_frame_layout *l, uint32_t tick)
{
	const uint8_t *nv12 = slot + l->nv12_offset;
	uint32_t n_words = (l->uv_offset + l->pitch * (l->height / 2)) / 4;
	uint32_t h = mix32(tick ^ 0x5ea15ea1u);
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t w;
		memcpy(&w, nv12 + 4 * (size_t)(i * n_words / 256), sizeof(w));
		h = mix32(h ^ w) + i;
	}
	return h;
}

bool sc_frame_seal_verify(const uint8_t *slot, const struct sc_frame_layout *l, uint32_t tick)
{
	struct sc_frame_seal seal;
	memcpy(&seal, slot + l->seal_offset, sizeof(seal));
	return seal.tick == tick && seal.checksum == sc_frame_seal_checksum(slot, l, tick);
}
