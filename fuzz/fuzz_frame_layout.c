/* The frame layout the encoder process reads from the primary's session block
 * (server/frame_reader.c sc_frame_layout_check): any bytes as the layout,
 * slot count and memory size. A layout that passes must keep every byte the
 * encoder touches (NV12 planes, seal) of every slot inside the memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/frame_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_frame_layout l;
	uint32_t n_slots;
	uint64_t mem;
	if (size < sizeof(l) + sizeof(n_slots) + sizeof(mem))
		return 0;
	memcpy(&l, data, sizeof(l));
	memcpy(&n_slots, data + sizeof(l), sizeof(n_slots));
	memcpy(&mem, data + sizeof(l) + sizeof(n_slots), sizeof(mem));
	if (!sc_frame_layout_check(&l, n_slots, (size_t)mem, NULL, 0))
		return 0;
	/* what the reader then computes: last slot's planes and seal */
	unsigned __int128 last = (unsigned __int128)l.slot_size * (n_slots - 1);
	unsigned __int128 uv_end = last + l.nv12_offset + l.uv_offset + (unsigned __int128)l.pitch * (l.height / 2);
	unsigned __int128 y_end = last + l.nv12_offset + (unsigned __int128)l.pitch * l.height;
	unsigned __int128 seal_end = last + l.seal_offset + 8;
	if (uv_end > mem || y_end > mem || seal_end > mem || l.pitch < l.width)
		abort();
	return 0;
}
