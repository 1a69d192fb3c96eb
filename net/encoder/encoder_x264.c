/* libx264 back-end: ultrafast + zerolatency, no B-frames, forced IDRs, and the
 * caller's NV12 memory fed in place (x264 copies it into its own picture). */
#include <stdio.h>

#include "net/encoder/encoder_priv.h"

bool sc_encoder_x264_open(struct sc_encoder *enc, char *err, size_t len)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	if (!codec) {
		sc_encoder_reason(err, len, "this libavcodec has no libx264 encoder");
		return false;
	}
	enc->ctx = avcodec_alloc_context3(codec);
	if (!enc->ctx) {
		sc_encoder_reason(err, len, "out of memory for the libx264 context");
		return false;
	}
	sc_encoder_apply_common(enc);
	enc->ctx->pix_fmt = AV_PIX_FMT_NV12;
	/* zerolatency: no lookahead, no frame threads (sliced threads instead),
	 * so each send_frame yields its packet at once. scenecut=0 keeps IDRs to
	 * the periodic interval and explicit requests. */
	if (!sc_encoder_set_opt(enc, "preset", "ultrafast", err, len) ||
			!sc_encoder_set_opt(enc, "tune", "zerolatency", err, len) ||
			!sc_encoder_set_opt(enc, "profile", "baseline", err, len) ||
			!sc_encoder_set_opt(enc, "forced-idr", "1", err, len) ||
			!sc_encoder_set_opt(enc, "x264-params", "scenecut=0:bframes=0",
					err, len)) {
		return false;
	}
	return sc_encoder_open_codec(enc, codec, err, len);
}

bool sc_encoder_x264_frame(struct sc_encoder *enc, const struct sc_nv12_frame *f,
		AVFrame **in, char *err, size_t len)
{
	if (!f->base) {
		sc_encoder_reason(err, len, "libx264 needs the frame mapped in memory "
				"(base is NULL, DMA-BUF fd %d)", f->dmabuf_fd);
		return false;
	}
	av_frame_unref(enc->sw);
	if (!sc_encoder_wrap_nv12(enc, f, enc->sw, err, len)) {
		return false;
	}
	*in = enc->sw;
	return true;
}
