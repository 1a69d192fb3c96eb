/* Where a rendered frame lives inside a frame slot of the exported memory:
 * RGBA8 (tightly packed rows), then NV12 laid out as VA-API drivers import it
 * (sc_nv12_layout, shared with the encoder), then a page with the frame's seal
 * (gpu/frame_seal.h). Offsets are from the slot start. */
#ifndef SC_GPU_FRAME_LAYOUT_H
#define SC_GPU_FRAME_LAYOUT_H
#include <stddef.h>
#include <stdint.h>

struct sc_frame_layout {
	uint32_t width, height;
	size_t rgba_offset;
	size_t nv12_offset;
	uint32_t pitch;     /* NV12 bytes per row, both planes */
	uint32_t uv_offset; /* UV plane, from nv12_offset */
	size_t nv12_size;
	size_t seal_offset; /* struct sc_frame_seal, after the NV12 planes */
	size_t slot_size;   /* multiple of 4 KiB */
};

void sc_frame_layout_init(struct sc_frame_layout *layout, uint32_t width, uint32_t height);

#endif
