#include "enc_test_util.h"

#include <math.h>
#include <string.h>

#include <libavcodec/avcodec.h>

void t_nv12_alloc(struct t_nv12 *b, uint32_t width, uint32_t height)
{
	memset(b, 0, sizeof(*b));
	b->frame.width = width;
	b->frame.height = height;
	b->frame.dmabuf_fd = -1;
	sc_nv12_layout(width, height, &b->frame.pitch, &b->frame.uv_offset,
			&b->frame.size);
	b->mem = aligned_alloc(4096, b->frame.size);
	T_ASSERT(b->mem, "out of memory for %zu bytes", b->frame.size);
	memset(b->mem, 0, b->frame.size);
	b->frame.base = b->mem;
}

void t_nv12_free(struct t_nv12 *b)
{
	free(b->mem);
	b->mem = NULL;
}

void t_pattern_fill(struct t_nv12 *b, uint32_t n)
{
	const struct sc_nv12_frame *f = &b->frame;
	uint32_t bx = (n * 7) % (f->width - 64), by = (n * 3) % (f->height - 64);
	for (uint32_t y = 0; y < f->height; y++) {
		uint8_t *row = b->mem + (size_t)y * f->pitch;
		for (uint32_t x = 0; x < f->width; x++) {
			uint32_t v = 16 + ((x + y + 2 * n) * 200 / (f->width + f->height)) % 200;
			if (x >= bx && x < bx + 64 && y >= by && y < by + 64) {
				v = 235 - (v - 16) / 4;
			}
			row[x] = (uint8_t)v;
		}
	}
	for (uint32_t y = 0; y < f->height / 2; y++) {
		uint8_t *row = b->mem + f->uv_offset + (size_t)y * f->pitch;
		for (uint32_t x = 0; x < f->width / 2; x++) {
			row[2 * x] = (uint8_t)(64 + (x * 128 / (f->width / 2) + n) % 128);
			row[2 * x + 1] = (uint8_t)(64 + (y * 128 / (f->height / 2)) % 128);
		}
	}
}

struct t_decoder {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;
};

struct t_decoder *t_decoder_create(void)
{
	struct t_decoder *d = calloc(1, sizeof(*d));
	T_ASSERT(d, "oom");
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	T_ASSERT(codec, "no H.264 decoder in libavcodec");
	d->ctx = avcodec_alloc_context3(codec);
	T_ASSERT(d->ctx, "oom");
	d->ctx->thread_count = 1;
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	int r = avcodec_open2(d->ctx, codec, NULL);
	T_ASSERT(r == 0, "avcodec_open2(h264): %s", av_err2str(r));
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	T_ASSERT(d->pkt && d->frame, "oom");
	return d;
}

AVFrame *t_decoder_decode(struct t_decoder *d, const uint8_t *data, size_t size,
		int64_t pts)
{
	av_frame_unref(d->frame);
	int r = av_new_packet(d->pkt, (int)size);
	T_ASSERT(r == 0, "av_new_packet: %s", av_err2str(r));
	memcpy(d->pkt->data, data, size);
	d->pkt->pts = pts;
	r = avcodec_send_packet(d->ctx, d->pkt);
	av_packet_unref(d->pkt);
	T_ASSERT(r == 0, "decoder rejected the access unit: %s", av_err2str(r));
	r = avcodec_receive_frame(d->ctx, d->frame);
	if (r == AVERROR(EAGAIN)) {
		return NULL;
	}
	T_ASSERT(r == 0, "receive_frame: %s", av_err2str(r));
	return d->frame;
}

void t_decoder_destroy(struct t_decoder *d)
{
	if (!d) {
		return;
	}
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	free(d);
}

double t_psnr(const AVFrame *pic, const struct t_nv12 *ref)
{
	const struct sc_nv12_frame *f = &ref->frame;
	T_ASSERT(pic->format == AV_PIX_FMT_YUV420P, "decoded format %d", pic->format);
	T_ASSERT((uint32_t)pic->width == f->width && (uint32_t)pic->height == f->height,
			"decoded %dx%d, expected %ux%u", pic->width, pic->height,
			f->width, f->height);
	double sse = 0;
	uint64_t n = 0;
	for (uint32_t y = 0; y < f->height; y++) {
		const uint8_t *a = pic->data[0] + (size_t)y * pic->linesize[0];
		const uint8_t *b = ref->mem + (size_t)y * f->pitch;
		for (uint32_t x = 0; x < f->width; x++, n++) {
			double e = (double)a[x] - b[x];
			sse += e * e;
		}
	}
	for (uint32_t y = 0; y < f->height / 2; y++) {
		const uint8_t *u = pic->data[1] + (size_t)y * pic->linesize[1];
		const uint8_t *v = pic->data[2] + (size_t)y * pic->linesize[2];
		const uint8_t *b = ref->mem + f->uv_offset + (size_t)y * f->pitch;
		for (uint32_t x = 0; x < f->width / 2; x++, n += 2) {
			double eu = (double)u[x] - b[2 * x];
			double ev = (double)v[x] - b[2 * x + 1];
			sse += eu * eu + ev * ev;
		}
	}
	double mse = sse / (double)n;
	return mse == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

uint32_t t_nal_types(const uint8_t *d, size_t n)
{
	uint32_t mask = 0;
	for (size_t i = 0; i + 3 < n; i++) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			mask |= 1u << (d[i + 3] & 0x1f);
			i += 2;
		}
	}
	return mask;
}

bool t_starts_with_start_code(const uint8_t *d, size_t n)
{
	return (n >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1) ||
			(n >= 3 && d[0] == 0 && d[1] == 0 && d[2] == 1);
}
