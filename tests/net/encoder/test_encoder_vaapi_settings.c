/* The h264_vaapi back-end up to the device: its settings are accepted by this
 * libavcodec's h264_vaapi and are the low-latency ones, and the DMA-BUF is
 * described to FFmpeg as the notes require (one linear object, R8 + GR88). */
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext_drm.h>
#include <libavutil/opt.h>

#include "enc_test_util.h"
#include "net/encoder/encoder_priv.h"

#define FOURCC(a, b, c, d) ((uint32_t)(a) | ((uint32_t)(b) << 8) | \
		((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))

static int64_t opt_int(struct sc_encoder *enc, const char *name)
{
	int64_t v = -1;
	int r = av_opt_get_int(enc->ctx->priv_data, name, 0, &v);
	T_ASSERT(r >= 0, "h264_vaapi option %s: %s", name, av_err2str(r));
	return v;
}

static void check_settings(uint32_t idr_interval, bool low_power)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("h264_vaapi");
	T_ASSERT(codec, "this libavcodec has no h264_vaapi encoder");
	struct sc_encoder enc;
	memset(&enc, 0, sizeof(enc));
	enc.cfg = (struct sc_encoder_config){
		.width = 1280, .height = 720, .fps = 60, .bitrate_kbps = 4000,
		.idr_interval = idr_interval, .kind = SC_ENCODER_VAAPI,
	};
	enc.kind = SC_ENCODER_VAAPI;
	enc.ctx = avcodec_alloc_context3(codec);
	T_ASSERT(enc.ctx, "oom");
	char err[256] = "";
	T_ASSERT(sc_encoder_vaapi_configure(&enc, low_power, err, sizeof(err)),
			"h264_vaapi rejects our settings: %s", err);
	AVCodecContext *c = enc.ctx;
	T_ASSERT(c->max_b_frames == 0, "B-frames %d", c->max_b_frames);
	T_ASSERT(c->bit_rate == 4000000 && c->rc_max_rate == c->bit_rate,
			"rate %lld max %lld", (long long)c->bit_rate,
			(long long)c->rc_max_rate);
	/* One-frame VBV: 4 Mbit/s / 60 = 66667 bits, rounded up to a kbit. */
	T_ASSERT(c->rc_buffer_size == 67000, "VBV %d bits", c->rc_buffer_size);
	T_ASSERT(c->gop_size == (idr_interval ? (int)idr_interval :
			SC_ENCODER_GOP_INFINITE), "gop %d", c->gop_size);
	T_ASSERT(!(c->flags & AV_CODEC_FLAG_GLOBAL_HEADER), "global header set");
	T_ASSERT(c->pix_fmt == AV_PIX_FMT_VAAPI, "pix_fmt %d", c->pix_fmt);
	T_ASSERT(c->profile == FF_PROFILE_H264_CONSTRAINED_BASELINE, "profile %d",
			c->profile);
	T_ASSERT(c->time_base.num == 1 && c->time_base.den == 60, "time base");
	T_ASSERT(opt_int(&enc, "async_depth") == 1, "async_depth");
	T_ASSERT(opt_int(&enc, "idr_interval") == 0, "idr_interval");
	T_ASSERT(opt_int(&enc, "low_power") == (low_power ? 1 : 0), "low_power");
	avcodec_free_context(&enc.ctx);
}

static void check_drm_desc(void)
{
	struct t_nv12 b;
	t_nv12_alloc(&b, 1920, 1080);
	b.frame.dmabuf_fd = 42;
	AVDRMFrameDescriptor d;
	memset(&d, 0xab, sizeof(d));
	sc_encoder_vaapi_drm_desc(&b.frame, &d);
	T_ASSERT(d.nb_objects == 1 && d.objects[0].fd == 42 &&
			d.objects[0].size == b.frame.size &&
			d.objects[0].format_modifier == 0 /* LINEAR */,
			"object: n %d fd %d size %zu mod %llx", d.nb_objects,
			d.objects[0].fd, d.objects[0].size,
			(unsigned long long)d.objects[0].format_modifier);
	T_ASSERT(d.nb_layers == 2, "layers %d", d.nb_layers);
	T_ASSERT(d.layers[0].format == FOURCC('R', '8', ' ', ' ') &&
			d.layers[0].nb_planes == 1 &&
			d.layers[0].planes[0].object_index == 0 &&
			d.layers[0].planes[0].offset == 0 &&
			d.layers[0].planes[0].pitch == 2048, "Y layer");
	T_ASSERT(d.layers[1].format == FOURCC('G', 'R', '8', '8') &&
			d.layers[1].nb_planes == 1 &&
			d.layers[1].planes[0].object_index == 0 &&
			d.layers[1].planes[0].offset == 2048 * 1088 &&
			d.layers[1].planes[0].pitch == 2048, "UV layer: offset %td",
			d.layers[1].planes[0].offset);
	t_nv12_free(&b);
}

int main(void)
{
	check_settings(0, false);
	check_settings(120, true);
	check_drm_desc();
	printf("ok\n");
	return 0;
}
