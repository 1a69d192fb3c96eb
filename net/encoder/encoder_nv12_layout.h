/* NV12 frame-slot layout shared by the GPU side (which writes the frame) and the
 * encoder (which reads it, or imports it as a VA surface). See
 * ../shared/notes/vaapi-dmabuf.md "Layout that drivers accept". No libav here, so
 * gpu/ can use it without linking FFmpeg. */
#ifndef SC_NET_ENCODER_ENCODER_NV12_LAYOUT_H
#define SC_NET_ENCODER_ENCODER_NV12_LAYOUT_H
#include <stddef.h>
#include <stdint.h>

#define SC_NV12_PITCH_ALIGN 256u
#define SC_NV12_HEIGHT_ALIGN 32u
#define SC_NV12_SIZE_ALIGN 4096u

/* pitch = ALIGN(width, 256); uv_offset = pitch * ALIGN(height, 32);
 * size = ALIGN(uv_offset + pitch * ALIGN(height / 2, 32), 4096).
 * Y plane at 0, interleaved UV at uv_offset, both with stride pitch. */
void sc_nv12_layout(uint32_t width, uint32_t height, uint32_t *pitch,
		uint32_t *uv_offset, size_t *size);

#endif
