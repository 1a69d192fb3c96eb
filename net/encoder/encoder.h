/* H.264 encoder for the encoder process: one libavcodec path, two back-ends
 * (h264_vaapi on a render node, libx264 otherwise), low-latency settings on both.
 *
 * Usage: sc_encoder_create() once per stream size, sc_encoder_encode() per frame,
 * sc_encoder_destroy(). Not thread-safe: one thread per encoder. */
#ifndef SC_NET_ENCODER_ENCODER_H
#define SC_NET_ENCODER_ENCODER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/encoder/encoder_nv12_layout.h"

enum sc_encoder_kind {
	SC_ENCODER_AUTO,  /* VA-API if the isolated probe passes, else libx264 */
	SC_ENCODER_VAAPI, /* h264_vaapi or fail */
	SC_ENCODER_X264,  /* libx264 */
};

struct sc_encoder_config {
	/* Width a multiple of 16, height a multiple of 8 (1280x720, 640x360 and
	 * 1920x1080 are fine: H.264 crops the last macroblock row). */
	uint32_t width, height;
	uint32_t fps;          /* > 0 */
	uint32_t bitrate_kbps; /* > 0; CBR with a one-frame VBV */
	uint32_t idr_interval; /* frames between periodic IDRs, 0 = never periodic */
	enum sc_encoder_kind kind;
	const char *vaapi_device; /* NULL = first /dev/dri/renderD* */
};

/* NV12 frame in memory the encoder reads in place: Y plane at base, interleaved
 * UV at base + uv_offset, both with stride pitch. dmabuf_fd >= 0 when the memory
 * is a DMA-BUF (VA-API zero-copy import), else -1. The memory must stay valid and
 * unchanged until sc_encoder_encode() returns (libx264 copies the picture into
 * its own buffers; h264_vaapi holds the imported surface until the next call). */
struct sc_nv12_frame {
	const uint8_t *base;
	size_t size;
	uint32_t width, height, pitch, uv_offset;
	int dmabuf_fd;
	uint64_t dmabuf_offset; /* where base lies in the DMA-BUF (frame slots share one) */
	uint64_t pts; /* caller's timestamp, echoed in the packet */
};

/* One Annex-B access unit (SPS + PPS in-band before every IDR). data is owned
 * by the encoder and valid until the next encode call or destroy. size == 0
 * means the encoder kept the frame (never with libx264 zerolatency). */
struct sc_encoded_packet {
	uint8_t *data;
	size_t size;
	bool keyframe;
	uint64_t pts;
};

struct sc_encoder;

/* Returns NULL with an sc_err() line on a bad config, when an explicitly
 * requested VA-API is unavailable, or when libx264 cannot be opened. */
struct sc_encoder *sc_encoder_create(const struct sc_encoder_config *cfg);
/* force_idr: this frame becomes an IDR (with SPS/PPS). */
bool sc_encoder_encode(struct sc_encoder *enc, const struct sc_nv12_frame *frame,
		bool force_idr, struct sc_encoded_packet *out);
const char *sc_encoder_name(const struct sc_encoder *enc); /* "h264_vaapi" or "libx264" */
/* Why AUTO did not get VA-API; NULL when the first choice was used. */
const char *sc_encoder_fallback_reason(const struct sc_encoder *enc);
/* CPU bytes copied between the caller's frame and the encoder's input (0 when
 * the frame is read in place / imported). */
uint64_t sc_encoder_bytes_copied(const struct sc_encoder *enc);
void sc_encoder_destroy(struct sc_encoder *enc);

#endif
