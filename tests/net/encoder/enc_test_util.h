/* Helpers for the encoder tests: a moving NV12 test pattern, a libavcodec
 * H.264 decoder, PSNR against the pattern, and an Annex-B NAL scanner. */
#ifndef SC_TEST_ENC_UTIL_H
#define SC_TEST_ENC_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavutil/frame.h>

#include "net/encoder/encoder.h"

#define T_ASSERT(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		exit(1); \
	} \
} while (0)

/* An NV12 buffer laid out by sc_nv12_layout. */
struct t_nv12 {
	uint8_t *mem;
	struct sc_nv12_frame frame;
};

void t_nv12_alloc(struct t_nv12 *b, uint32_t width, uint32_t height);
void t_nv12_free(struct t_nv12 *b);
/* Smooth gradients plus a moving box: frame n differs from n-1 everywhere. */
void t_pattern_fill(struct t_nv12 *b, uint32_t n);

struct t_decoder;
struct t_decoder *t_decoder_create(void);
/* Decodes one access unit; returns the picture it yields at once (low delay,
 * one thread) or NULL. The frame is valid until the next call. */
AVFrame *t_decoder_decode(struct t_decoder *d, const uint8_t *data, size_t size,
		int64_t pts);
void t_decoder_destroy(struct t_decoder *d);

/* PSNR (dB) of a decoded YUV420P picture against an NV12 buffer, all planes. */
double t_psnr(const AVFrame *pic, const struct t_nv12 *ref);

/* NAL unit types present in an Annex-B buffer, as a bit mask (1u << type). */
uint32_t t_nal_types(const uint8_t *data, size_t size);
bool t_starts_with_start_code(const uint8_t *data, size_t size);

#endif
