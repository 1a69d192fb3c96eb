/* h264_vaapi back-end: a VA-API device on a DRM render node, an NV12 frames
 * context, and each frame's DMA-BUF imported as a VA surface (DRM PRIME, two
 * layers R8 + GR88, linear) without a copy. Frames without a DMA-BUF, or after
 * an import failure, are uploaded with one counted copy. Settings and packets
 * are shared with libx264 in encoder.c. */
#include <stdio.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_drm.h>
#include <libavutil/hwcontext_vaapi.h>

#include "net/encoder/encoder_priv.h"
#include "net/encoder/vaapi_probe.h"
#include "net/encoder/vaapi_probe_priv.h"
#include "util/log.h"

/* From libdrm's drm_fourcc.h (not a dependency of ours). */
#define SC_FOURCC(a, b, c, d) ((uint32_t)(a) | ((uint32_t)(b) << 8) | \
		((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define SC_DRM_FORMAT_R8 SC_FOURCC('R', '8', ' ', ' ')
#define SC_DRM_FORMAT_GR88 SC_FOURCC('G', 'R', '8', '8')
#define SC_DRM_FORMAT_MOD_LINEAR 0ull

bool sc_encoder_vaapi_configure(struct sc_encoder *enc, bool low_power,
		char *err, size_t len)
{
	sc_encoder_apply_common(enc);
	enc->ctx->pix_fmt = AV_PIX_FMT_VAAPI;
	enc->ctx->profile = FF_PROFILE_H264_CONSTRAINED_BASELINE;
	/* async_depth=1: every step above 1 adds a frame of latency. low_power
	 * when the driver only has the LP entry point. idr_interval=0: every
	 * I-frame (periodic or forced) is an IDR. */
	return sc_encoder_set_opt(enc, "async_depth", "1", err, len) &&
			sc_encoder_set_opt(enc, "rc_mode", "CBR", err, len) &&
			sc_encoder_set_opt(enc, "idr_interval", "0", err, len) &&
			sc_encoder_set_opt(enc, "low_power", low_power ? "1" : "0",
					err, len);
}

void sc_encoder_vaapi_drm_desc(const struct sc_nv12_frame *f,
		AVDRMFrameDescriptor *desc)
{
	/* One object (FFmpeg 5.1 takes no more), LINEAR set explicitly (an
	 * invalid modifier skips the PRIME_2 import), two single-plane layers:
	 * some Mesa versions reject one NV12 layer with two planes. */
	memset(desc, 0, sizeof(*desc));
	desc->nb_objects = 1;
	desc->objects[0].fd = f->dmabuf_fd;
	desc->objects[0].size = f->dmabuf_offset + f->size;
	desc->objects[0].format_modifier = SC_DRM_FORMAT_MOD_LINEAR;
	desc->nb_layers = 2;
	desc->layers[0].format = SC_DRM_FORMAT_R8;
	desc->layers[0].nb_planes = 1;
	desc->layers[0].planes[0].object_index = 0;
	desc->layers[0].planes[0].offset = (ptrdiff_t)f->dmabuf_offset;
	desc->layers[0].planes[0].pitch = f->pitch;
	desc->layers[1].format = SC_DRM_FORMAT_GR88;
	desc->layers[1].nb_planes = 1;
	desc->layers[1].planes[0].object_index = 0;
	desc->layers[1].planes[0].offset = (ptrdiff_t)(f->dmabuf_offset + f->uv_offset);
	desc->layers[1].planes[0].pitch = f->pitch;
}

bool sc_encoder_vaapi_open(struct sc_encoder *enc, char *err, size_t len)
{
	AVDictionary *opts = NULL;
	bool enc_slice = false, enc_slice_lp = false;
	int r;

	const AVCodec *codec = avcodec_find_encoder_by_name("h264_vaapi");
	if (!codec) {
		sc_encoder_reason(err, len, "this libavcodec has no h264_vaapi encoder");
		return false;
	}
	if (!enc->device[0] && !sc_vaapi_find_render_node(enc->device,
			sizeof(enc->device))) {
		sc_encoder_reason(err, len, "no VA-API render node (/dev/dri/renderD* not found)");
		return false;
	}
	r = av_dict_set(&opts, "connection_type", "drm", 0);
	if (r >= 0) {
		r = av_hwdevice_ctx_create(&enc->hw_device, AV_HWDEVICE_TYPE_VAAPI,
				enc->device, opts, 0);
	}
	av_dict_free(&opts);
	if (r < 0) {
		sc_encoder_reason(err, len, "cannot open VA-API device %s: %s", enc->device,
				av_err2str(r));
		return false;
	}
	AVHWDeviceContext *dev = (AVHWDeviceContext *)enc->hw_device->data;
	AVVAAPIDeviceContext *va = dev->hwctx;
	sc_vaapi_h264_entrypoints(va->display, &enc_slice, &enc_slice_lp);
	if (!enc_slice && !enc_slice_lp) {
		sc_encoder_reason(err, len, "VA-API driver on %s has no H.264 encode entry "
				"point", enc->device);
		return false;
	}

	enc->hw_frames = av_hwframe_ctx_alloc(enc->hw_device);
	if (!enc->hw_frames) {
		sc_encoder_reason(err, len, "out of memory for the VA-API frames context");
		return false;
	}
	AVHWFramesContext *fc = (AVHWFramesContext *)enc->hw_frames->data;
	fc->format = AV_PIX_FMT_VAAPI;
	fc->sw_format = AV_PIX_FMT_NV12;
	fc->width = (int)enc->cfg.width;
	fc->height = (int)enc->cfg.height;
	fc->initial_pool_size = 4; /* upload path only; imports map their own */
	r = av_hwframe_ctx_init(enc->hw_frames);
	if (r < 0) {
		sc_encoder_reason(err, len, "VA-API NV12 frames context %ux%u on %s: %s",
				enc->cfg.width, enc->cfg.height, enc->device,
				av_err2str(r));
		return false;
	}

	enc->ctx = avcodec_alloc_context3(codec);
	if (!enc->ctx) {
		sc_encoder_reason(err, len, "out of memory for the h264_vaapi context");
		return false;
	}
	enc->ctx->hw_frames_ctx = av_buffer_ref(enc->hw_frames);
	if (!enc->ctx->hw_frames_ctx) {
		sc_encoder_reason(err, len, "out of memory referencing the frames context");
		return false;
	}
	if (!sc_encoder_vaapi_configure(enc, !enc_slice && enc_slice_lp, err, len)) {
		return false;
	}
	return sc_encoder_open_codec(enc, codec, err, len);
}

/* Maps the frame's DMA-BUF as a VA surface into enc->hw: no copy. */
static bool sc_encoder_vaapi_import(struct sc_encoder *enc,
		const struct sc_nv12_frame *f, char *err, size_t len)
{
	AVDRMFrameDescriptor *desc = av_mallocz(sizeof(*desc));
	AVFrame *drm = av_frame_alloc();
	bool ok = false;
	int r;

	if (!desc || !drm) {
		sc_encoder_reason(err, len, "out of memory for a DRM frame descriptor");
		goto out;
	}
	sc_encoder_vaapi_drm_desc(f, desc);

	drm->format = AV_PIX_FMT_DRM_PRIME;
	drm->width = (int)f->width;
	drm->height = (int)f->height;
	drm->data[0] = (uint8_t *)desc;
	/* Mandatory: without buf[0] av_frame_ref would try to copy the frame.
	 * The mapping keeps a reference, so desc lives as long as the surface. */
	drm->buf[0] = av_buffer_create((uint8_t *)desc, sizeof(*desc), NULL, NULL, 0);
	if (!drm->buf[0]) {
		sc_encoder_reason(err, len, "out of memory for a DRM frame buffer");
		goto out;
	}
	desc = NULL; /* owned by drm->buf[0] */

	enc->hw->format = AV_PIX_FMT_VAAPI;
	enc->hw->hw_frames_ctx = av_buffer_ref(enc->hw_frames);
	if (!enc->hw->hw_frames_ctx) {
		sc_encoder_reason(err, len, "out of memory referencing the frames context");
		goto out;
	}
	r = av_hwframe_map(enc->hw, drm, AV_HWFRAME_MAP_READ);
	if (r < 0) {
		sc_encoder_reason(err, len, "cannot import DMA-BUF fd %d (%ux%u, pitch %u, "
				"uv_offset %u) as a VA surface: %s", f->dmabuf_fd,
				f->width, f->height, f->pitch, f->uv_offset,
				av_err2str(r));
		av_frame_unref(enc->hw);
		goto out;
	}
	ok = true;
out:
	av_frame_free(&drm);
	av_free(desc);
	return ok;
}

/* Uploads the caller's memory into a pool surface: one counted copy. */
static bool sc_encoder_vaapi_upload(struct sc_encoder *enc,
		const struct sc_nv12_frame *f, char *err, size_t len)
{
	int r;
	if (!f->base) {
		sc_encoder_reason(err, len, "frame has no mapped memory to upload from");
		return false;
	}
	av_frame_unref(enc->sw);
	if (!sc_encoder_wrap_nv12(enc, f, enc->sw, err, len)) {
		return false;
	}
	r = av_hwframe_get_buffer(enc->hw_frames, enc->hw, 0);
	if (r < 0) {
		sc_encoder_reason(err, len, "no free VA surface for the upload: %s",
				av_err2str(r));
		goto error;
	}
	r = av_hwframe_transfer_data(enc->hw, enc->sw, 0);
	if (r < 0) {
		sc_encoder_reason(err, len, "uploading the frame to a VA surface failed: %s",
				av_err2str(r));
		av_frame_unref(enc->hw);
		goto error;
	}
	av_frame_unref(enc->sw);
	enc->bytes_copied += (uint64_t)f->width * f->height * 3 / 2;
	return true;
error:
	av_frame_unref(enc->sw);
	return false;
}

bool sc_encoder_vaapi_frame(struct sc_encoder *enc, const struct sc_nv12_frame *f,
		AVFrame **in, char *err, size_t len)
{
	av_frame_unref(enc->hw);
	bool ok;
	if (f->dmabuf_fd >= 0 && !enc->import_broken) {
		ok = sc_encoder_vaapi_import(enc, f, err, len);
		if (!ok && f->base) {
			sc_warn("encoder: %s; uploading with one copy per frame from now on",
					err);
			enc->import_broken = true;
			ok = sc_encoder_vaapi_upload(enc, f, err, len);
		}
	} else {
		ok = sc_encoder_vaapi_upload(enc, f, err, len);
	}
	if (!ok) {
		return false;
	}
	/* The map does not carry frame properties; encoder.c sets pts and
	 * pict_type on this frame after we return. */
	*in = enc->hw;
	return true;
}
