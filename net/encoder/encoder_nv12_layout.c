#include "net/encoder/encoder_nv12_layout.h"

static uint64_t sc_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

void sc_nv12_layout(uint32_t width, uint32_t height, uint32_t *pitch,
		uint32_t *uv_offset, size_t *size)
{
	uint64_t p = sc_align_up(width, SC_NV12_PITCH_ALIGN);
	uint64_t uv = p * sc_align_up(height, SC_NV12_HEIGHT_ALIGN);
	uint64_t total = uv + p * sc_align_up(height / 2, SC_NV12_HEIGHT_ALIGN);
	if (pitch) {
		*pitch = (uint32_t)p;
	}
	if (uv_offset) {
		*uv_offset = (uint32_t)uv;
	}
	if (size) {
		*size = (size_t)sc_align_up(total, SC_NV12_SIZE_ALIGN);
	}
}
