/* Internals shared by encoder.c (settings, packets, selection) and the two
 * back-ends encoder_x264.c / encoder_vaapi.c. */
#ifndef SC_NET_ENCODER_ENCODER_PRIV_H
#define SC_NET_ENCODER_ENCODER_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>
#include <libavutil/frame.h>

#include "net/encoder/encoder.h"

#define SC_ENCODER_PTS_RING 64
#define SC_ENCODER_REASON_LEN 256
/* x264's X264_KEYINT_MAX_INFINITE; also "never" for h264_vaapi's GOP. */
#define SC_ENCODER_GOP_INFINITE (1 << 30)

struct sc_encoder {
	struct sc_encoder_config cfg;
	enum sc_encoder_kind kind; /* resolved: SC_ENCODER_VAAPI or SC_ENCODER_X264 */
	char device[256];          /* VA-API render node, "" for x264 */

	AVCodecContext *ctx;
	AVFrame *sw;  /* wraps the caller's memory, never owns pixels */
	AVFrame *hw;  /* VA-API input: mapped DMA-BUF or uploaded pool surface */
	AVPacket *pkt;
	AVBufferRef *hw_device, *hw_frames;
	bool import_broken; /* DMA-BUF import failed once: upload from now on */

	uint8_t *out;
	size_t out_cap;
	uint64_t frame_index;
	uint64_t pts_ring[SC_ENCODER_PTS_RING];
	uint64_t bytes_copied;

	bool has_fallback;
	char fallback_reason[SC_ENCODER_REASON_LEN];
};

/* snprintf for one-line reasons: truncation is intended and silent (a
 * wrapper, so -Wformat-truncation does not flag every device path). */
void sc_encoder_reason(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Opens exactly this back-end (no probe, no fallback). cfg must be valid. On
 * failure returns NULL and a one-line reason in err. */
struct sc_encoder *sc_encoder_open_kind(const struct sc_encoder_config *cfg,
		enum sc_encoder_kind kind, const char *device, char *err, size_t len);
bool sc_encoder_config_valid(const struct sc_encoder_config *cfg, char *err,
		size_t len);

/* Shared low-latency settings on a freshly allocated codec context. */
void sc_encoder_apply_common(struct sc_encoder *enc);
bool sc_encoder_set_opt(struct sc_encoder *enc, const char *name,
		const char *value, char *err, size_t len);
bool sc_encoder_open_codec(struct sc_encoder *enc, const AVCodec *codec,
		char *err, size_t len);
/* Points dst (NV12, refcounted, read-only) at the caller's memory: no copy. */
bool sc_encoder_wrap_nv12(struct sc_encoder *enc, const struct sc_nv12_frame *f,
		AVFrame *dst, char *err, size_t len);

/* sc_encoder_encode without the log line: the reason goes to err. */
bool sc_encoder_encode_err(struct sc_encoder *enc,
		const struct sc_nv12_frame *frame, bool force_idr,
		struct sc_encoded_packet *out, char *err, size_t len);

/* Does an Annex-B buffer contain a NAL unit of this type? */
bool sc_h264_has_nal(const uint8_t *data, size_t size, unsigned type);

/* Back-ends: open sets enc->ctx (opened); frame returns the AVFrame to send. */
bool sc_encoder_x264_open(struct sc_encoder *enc, char *err, size_t len);
bool sc_encoder_x264_frame(struct sc_encoder *enc, const struct sc_nv12_frame *f,
		AVFrame **in, char *err, size_t len);
bool sc_encoder_vaapi_open(struct sc_encoder *enc, char *err, size_t len);
/* h264_vaapi settings on enc->ctx (allocated, not opened): shared settings
 * plus the VA-API ones. Needs no device, so tests can check it. */
bool sc_encoder_vaapi_configure(struct sc_encoder *enc, bool low_power,
		char *err, size_t len);
/* The DRM PRIME descriptor for an NV12 DMA-BUF: one linear object, layers
 * R8 (Y) and GR88 (UV). */
struct AVDRMFrameDescriptor;
void sc_encoder_vaapi_drm_desc(const struct sc_nv12_frame *f,
		struct AVDRMFrameDescriptor *desc);
bool sc_encoder_vaapi_frame(struct sc_encoder *enc, const struct sc_nv12_frame *f,
		AVFrame **in, char *err, size_t len);

#endif
