/* Encoder front: config checks, back-end selection (AUTO probes VA-API in a
 * child process, falls back to libx264), the low-latency settings both back-ends
 * share, and packet handling. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

#include "net/encoder/encoder_priv.h"
#include "net/encoder/vaapi_probe.h"
#include "net/encoder/vaapi_probe_priv.h"
#include "util/log.h"

void sc_encoder_reason(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!buf || len == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

bool sc_encoder_config_valid(const struct sc_encoder_config *cfg, char *err,
		size_t len)
{
	if (!cfg) {
		sc_encoder_reason(err, len, "no configuration given");
		return false;
	}
	if (cfg->width == 0 || cfg->height == 0 || cfg->width > 8192 ||
			cfg->height > 8192) {
		sc_encoder_reason(err, len, "size %ux%u out of range (1..8192)", cfg->width,
				cfg->height);
		return false;
	}
	if (cfg->width % 16 != 0 || cfg->height % 8 != 0) {
		sc_encoder_reason(err, len, "size %ux%u not supported: width must be a "
				"multiple of 16 and height a multiple of 8 "
				"(e.g. 1280x720, 640x360, 1920x1080)",
				cfg->width, cfg->height);
		return false;
	}
	if (cfg->fps == 0 || cfg->fps > 1000) {
		sc_encoder_reason(err, len, "fps %u out of range (1..1000)", cfg->fps);
		return false;
	}
	if (cfg->bitrate_kbps == 0 || cfg->bitrate_kbps > 1000000) {
		sc_encoder_reason(err, len, "bitrate %u kbps out of range (1..1000000)",
				cfg->bitrate_kbps);
		return false;
	}
	if (cfg->kind != SC_ENCODER_AUTO && cfg->kind != SC_ENCODER_VAAPI &&
			cfg->kind != SC_ENCODER_X264) {
		sc_encoder_reason(err, len, "unknown encoder kind %d", (int)cfg->kind);
		return false;
	}
	return true;
}

void sc_encoder_apply_common(struct sc_encoder *enc)
{
	AVCodecContext *c = enc->ctx;
	const struct sc_encoder_config *cfg = &enc->cfg;
	int64_t bit_rate = (int64_t)cfg->bitrate_kbps * 1000;

	c->width = (int)cfg->width;
	c->height = (int)cfg->height;
	c->time_base = (AVRational){1, (int)cfg->fps};
	c->framerate = (AVRational){(int)cfg->fps, 1};
	c->sample_aspect_ratio = (AVRational){1, 1};
	/* CBR with a one-frame VBV, rounded up to whole kbit (x264 counts in kbit
	 * and refuses a buffer smaller than one frame). */
	c->bit_rate = bit_rate;
	c->rc_max_rate = bit_rate;
	c->rc_buffer_size = (int)(((bit_rate + cfg->fps - 1) / cfg->fps + 999) /
			1000 * 1000);
	c->max_b_frames = 0;
	c->gop_size = cfg->idr_interval ? (int)cfg->idr_interval :
			SC_ENCODER_GOP_INFINITE;
	/* No global header: SPS/PPS travel in-band before every IDR. */
	c->flags &= ~AV_CODEC_FLAG_GLOBAL_HEADER;
	/* The GPU converter (shaders/render_common.glsl) writes the BT.601 matrix,
	 * limited range, from sRGB (BT.709 primaries); say so in the VUI. */
	c->color_range = AVCOL_RANGE_MPEG;
	c->colorspace = AVCOL_SPC_SMPTE170M;
	c->color_primaries = AVCOL_PRI_BT709;
	c->color_trc = AVCOL_TRC_BT709;
}

bool sc_encoder_set_opt(struct sc_encoder *enc, const char *name,
		const char *value, char *err, size_t len)
{
	int r = av_opt_set(enc->ctx->priv_data, name, value, 0);
	if (r < 0) {
		sc_encoder_reason(err, len, "%s: cannot set option %s=%s: %s",
				enc->ctx->codec->name, name, value, av_err2str(r));
		return false;
	}
	return true;
}

bool sc_encoder_open_codec(struct sc_encoder *enc, const AVCodec *codec,
		char *err, size_t len)
{
	int r = avcodec_open2(enc->ctx, codec, NULL);
	if (r < 0) {
		sc_encoder_reason(err, len, "%s: avcodec_open2 failed: %s", codec->name,
				av_err2str(r));
		return false;
	}
	return true;
}

static void sc_encoder_no_free(void *opaque, uint8_t *data)
{
	/* The caller owns the frame memory. */
}

bool sc_encoder_wrap_nv12(struct sc_encoder *enc, const struct sc_nv12_frame *f,
		AVFrame *dst, char *err, size_t len)
{
	/* buf[0] makes the frame refcounted, so libavcodec references our memory
	 * instead of copying it (av_frame_ref copies unrefcounted frames). */
	dst->buf[0] = av_buffer_create((uint8_t *)f->base, f->size,
			sc_encoder_no_free, NULL, AV_BUFFER_FLAG_READONLY);
	if (!dst->buf[0]) {
		sc_encoder_reason(err, len, "out of memory wrapping the frame");
		return false;
	}
	dst->format = AV_PIX_FMT_NV12;
	dst->width = (int)f->width;
	dst->height = (int)f->height;
	dst->data[0] = (uint8_t *)f->base;
	dst->data[1] = (uint8_t *)f->base + f->uv_offset;
	dst->linesize[0] = (int)f->pitch;
	dst->linesize[1] = (int)f->pitch;
	dst->color_range = enc->ctx->color_range;
	dst->colorspace = enc->ctx->colorspace;
	return true;
}

bool sc_h264_has_nal(const uint8_t *d, size_t n, unsigned type)
{
	for (size_t i = 0; i + 3 < n; i++) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			if ((d[i + 3] & 0x1f) == type) {
				return true;
			}
			i += 2;
		}
	}
	return false;
}

struct sc_encoder *sc_encoder_open_kind(const struct sc_encoder_config *cfg,
		enum sc_encoder_kind kind, const char *device, char *err, size_t len)
{
	struct sc_encoder *enc = calloc(1, sizeof(*enc));
	if (!enc) {
		sc_encoder_reason(err, len, "out of memory");
		return NULL;
	}
	enc->cfg = *cfg;
	enc->cfg.vaapi_device = NULL; /* not owned; the resolved copy is device */
	enc->kind = kind;
	if (device) {
		snprintf(enc->device, sizeof(enc->device), "%s", device);
	}
	enc->sw = av_frame_alloc();
	enc->hw = av_frame_alloc();
	enc->pkt = av_packet_alloc();
	if (!enc->sw || !enc->hw || !enc->pkt) {
		sc_encoder_reason(err, len, "out of memory");
		goto error;
	}
	bool ok = kind == SC_ENCODER_VAAPI ? sc_encoder_vaapi_open(enc, err, len) :
			sc_encoder_x264_open(enc, err, len);
	if (!ok) {
		goto error;
	}
	return enc;

error:
	sc_encoder_destroy(enc);
	return NULL;
}

struct sc_encoder *sc_encoder_create(const struct sc_encoder_config *cfg)
{
	char err[SC_ENCODER_REASON_LEN];
	char reason[SC_ENCODER_REASON_LEN];
	char node[256];
	struct sc_encoder *enc;

	if (!sc_encoder_config_valid(cfg, err, sizeof(err))) {
		sc_err("encoder: invalid configuration: %s", err);
		return NULL;
	}
	/* libx264 and libavcodec chatter at INFO; keep warnings and errors. */
	if (av_log_get_level() == AV_LOG_INFO) {
		av_log_set_level(AV_LOG_WARNING);
	}

	if (cfg->kind == SC_ENCODER_X264) {
		enc = sc_encoder_open_kind(cfg, SC_ENCODER_X264, NULL, err, sizeof(err));
		if (!enc) {
			sc_err("encoder: cannot open libx264: %s", err);
		}
		return enc;
	}

	/* VAAPI or AUTO: the driver is only touched in-process after an isolated
	 * child survived vaInitialize and a test encode with this config. */
	const char *device = cfg->vaapi_device;
	if (!device && sc_vaapi_find_render_node(node, sizeof(node))) {
		device = node;
	}
	struct sc_encoder_config probe_cfg = *cfg;
	probe_cfg.vaapi_device = device;
	bool usable = sc_vaapi_probe_isolated(&probe_cfg, SC_VAAPI_PROBE_FAULT_NONE,
			SC_VAAPI_PROBE_TIMEOUT_MS, reason, sizeof(reason));
	if (usable) {
		enc = sc_encoder_open_kind(cfg, SC_ENCODER_VAAPI, device, err,
				sizeof(err));
		if (enc) {
			sc_info("encoder: h264_vaapi on %s", device);
			return enc;
		}
		sc_encoder_reason(reason, sizeof(reason), "%s", err);
	}
	if (cfg->kind == SC_ENCODER_VAAPI) {
		sc_err("encoder: VA-API encoder requested but unavailable: %s", reason);
		return NULL;
	}

	enc = sc_encoder_open_kind(cfg, SC_ENCODER_X264, NULL, err, sizeof(err));
	if (!enc) {
		sc_err("encoder: VA-API unavailable (%s) and libx264 failed: %s",
				reason, err);
		return NULL;
	}
	enc->has_fallback = true;
	sc_encoder_reason(enc->fallback_reason, sizeof(enc->fallback_reason), "%s", reason);
	sc_warn("encoder: VA-API unavailable (%s); falling back to libx264", reason);
	return enc;
}

static bool sc_encoder_frame_valid(const struct sc_encoder *enc,
		const struct sc_nv12_frame *f, char *err, size_t len)
{
	uint64_t w = enc->cfg.width, h = enc->cfg.height;
	if (!f) {
		sc_encoder_reason(err, len, "no frame given");
		return false;
	}
	if (f->width != w || f->height != h) {
		sc_encoder_reason(err, len, "frame is %ux%u, encoder was created for %ux%u",
				f->width, f->height, enc->cfg.width, enc->cfg.height);
		return false;
	}
	if (!f->base && f->dmabuf_fd < 0) {
		sc_encoder_reason(err, len, "frame has neither memory nor a DMA-BUF");
		return false;
	}
	if (f->pitch < w || (uint64_t)f->uv_offset < (uint64_t)f->pitch * h ||
			f->size < (uint64_t)f->uv_offset + (uint64_t)f->pitch * (h / 2)) {
		sc_encoder_reason(err, len, "frame layout does not fit: pitch %u, uv_offset "
				"%u, size %zu for %ux%u NV12", f->pitch, f->uv_offset,
				f->size, f->width, f->height);
		return false;
	}
	return true;
}

static bool sc_encoder_append(struct sc_encoder *enc, const AVPacket *pkt,
		size_t *used, char *err, size_t len)
{
	size_t need = *used + (size_t)pkt->size;
	if (need > enc->out_cap) {
		size_t cap = enc->out_cap ? enc->out_cap : 64 * 1024;
		while (cap < need) {
			cap *= 2;
		}
		uint8_t *p = realloc(enc->out, cap);
		if (!p) {
			sc_encoder_reason(err, len, "out of memory for a %zu-byte packet", need);
			return false;
		}
		enc->out = p;
		enc->out_cap = cap;
	}
	memcpy(enc->out + *used, pkt->data, (size_t)pkt->size);
	*used = need;
	return true;
}

/* Appends every packet the encoder has ready to out (one access unit per
 * frame with no B-frames and zero-latency settings). */
static bool sc_encoder_drain(struct sc_encoder *enc,
		struct sc_encoded_packet *out, char *err, size_t len)
{
	size_t used = out->size;
	for (;;) {
		int r = avcodec_receive_packet(enc->ctx, enc->pkt);
		if (r == AVERROR(EAGAIN)) {
			break;
		}
		if (r < 0) {
			sc_encoder_reason(err, len, "%s: receive_packet failed: %s",
					enc->ctx->codec->name, av_err2str(r));
			return false;
		}
		if (used == 0) {
			out->pts = enc->pts_ring[(uint64_t)enc->pkt->pts %
					SC_ENCODER_PTS_RING];
		}
		bool ok = sc_encoder_append(enc, enc->pkt, &used, err, len);
		out->keyframe |= (enc->pkt->flags & AV_PKT_FLAG_KEY) != 0;
		av_packet_unref(enc->pkt);
		if (!ok) {
			return false;
		}
	}
	out->data = used ? enc->out : NULL;
	out->size = used;
	return true;
}

bool sc_encoder_encode_err(struct sc_encoder *enc,
		const struct sc_nv12_frame *frame, bool force_idr,
		struct sc_encoded_packet *out, char *err, size_t len)
{
	AVFrame *in = NULL;

	*out = (struct sc_encoded_packet){0};
	if (!sc_encoder_frame_valid(enc, frame, err, len)) {
		goto error;
	}
	bool ok = enc->kind == SC_ENCODER_VAAPI ?
			sc_encoder_vaapi_frame(enc, frame, &in, err, len) :
			sc_encoder_x264_frame(enc, frame, &in, err, len);
	if (!ok) {
		goto error;
	}
	/* Internal pts count frames (time_base 1/fps keeps rate control sane);
	 * the caller's timestamp comes back through the ring. */
	uint64_t idx = enc->frame_index++;
	enc->pts_ring[idx % SC_ENCODER_PTS_RING] = frame->pts;
	in->pts = (int64_t)idx;
	in->pict_type = force_idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;

	int r = avcodec_send_frame(enc->ctx, in);
	if (r == AVERROR(EAGAIN)) {
		/* Encoder full: hand out what it has, then the frame fits. */
		if (!sc_encoder_drain(enc, out, err, len)) {
			goto error_unref;
		}
		r = avcodec_send_frame(enc->ctx, in);
	}
	av_frame_unref(in);
	if (r < 0) {
		sc_encoder_reason(err, len, "%s: send_frame failed: %s",
				enc->ctx->codec->name, av_err2str(r));
		goto error;
	}
	if (!sc_encoder_drain(enc, out, err, len)) {
		goto error;
	}
	return true;

error_unref:
	av_frame_unref(in);
error:
	return false;
}

bool sc_encoder_encode(struct sc_encoder *enc, const struct sc_nv12_frame *frame,
		bool force_idr, struct sc_encoded_packet *out)
{
	char err[SC_ENCODER_REASON_LEN];
	if (!sc_encoder_encode_err(enc, frame, force_idr, out, err, sizeof(err))) {
		sc_err("encoder: %s", err);
		return false;
	}
	return true;
}

const char *sc_encoder_name(const struct sc_encoder *enc)
{
	return enc->kind == SC_ENCODER_VAAPI ? "h264_vaapi" : "libx264";
}

const char *sc_encoder_fallback_reason(const struct sc_encoder *enc)
{
	return enc->has_fallback ? enc->fallback_reason : NULL;
}

uint64_t sc_encoder_bytes_copied(const struct sc_encoder *enc)
{
	return enc->bytes_copied;
}

void sc_encoder_destroy(struct sc_encoder *enc)
{
	if (!enc) {
		return;
	}
	avcodec_free_context(&enc->ctx);
	av_frame_free(&enc->sw);
	av_frame_free(&enc->hw);
	av_packet_free(&enc->pkt);
	av_buffer_unref(&enc->hw_frames);
	av_buffer_unref(&enc->hw_device);
	free(enc->out);
	free(enc);
}
