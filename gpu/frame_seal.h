/* The seal the GPU writes after each frame (shaders/seal.comp): the tick and a
 * checksum of 256 words sampled across the NV12 planes. A reader in another
 * process recomputes it to know the bytes it sees are that tick's finished frame,
 * not a black, stale or half-written one. */
#ifndef SC_GPU_FRAME_SEAL_H
#define SC_GPU_FRAME_SEAL_H
#include <stdbool.h>
#include <stdint.h>

#include "gpu/frame_layout.h"

struct sc_frame_seal {
	uint32_t tick;
	uint32_t checksum;
};

uint32_t sc_frame_seal_checksum(const uint8_t *slot, const struct sc_frame_layout *layout,
                                uint32_t tick);

/* True when the slot's seal names `tick` and matches its NV12 bytes. */
bool sc_frame_seal_verify(const uint8_t *slot, const struct sc_frame_layout *layout, uint32_t tick);

#endif
