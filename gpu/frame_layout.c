#include "gpu/frame_layout.h"

#include "net/encoder/encoder_nv12_layout.h"

void sc_frame_layout_init(struct sc_frame_layout *l, uint32_t width, uint32_t height)
{
	l->width = width;
	l->height = height;
	l->rgba_offset = 0;
	/* NV12 first in the slot's second half, page aligned for DMA-BUF import */
	l->nv12_offset = ((size_t)width * height * 4 + SC_NV12_SIZE_ALIGN - 1) / SC_NV12_SIZE_ALIGN *
	                 SC_NV12_SIZE_ALIGN;
	sc_nv12_layout(width, height, &l->pitch, &l->uv_offset, &l->nv12_size);
	l->seal_offset = l->nv12_offset + l->nv12_size;
	l->slot_size = l->seal_offset + SC_NV12_SIZE_ALIGN;
}
