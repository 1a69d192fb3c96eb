/* libx264 through the sc_encoder API: encode a moving pattern, decode it with
 * libavcodec's H.264 decoder, and check pictures, keyframes, SPS/PPS, forced
 * and periodic IDRs, no reordering, zero CPU copies and the bitrate knob. */
#include <string.h>

#include "enc_test_util.h"

#define NAL_IDR 5
#define NAL_SPS 7
#define NAL_PPS 8

static struct sc_encoder *make_x264(uint32_t w, uint32_t h, uint32_t kbps,
		uint32_t idr_interval)
{
	struct sc_encoder_config cfg = {
		.width = w, .height = h, .fps = 60, .bitrate_kbps = kbps,
		.idr_interval = idr_interval, .kind = SC_ENCODER_X264,
	};
	struct sc_encoder *enc = sc_encoder_create(&cfg);
	T_ASSERT(enc, "libx264 encoder %ux%u did not open", w, h);
	T_ASSERT(strcmp(sc_encoder_name(enc), "libx264") == 0, "name %s",
			sc_encoder_name(enc));
	T_ASSERT(sc_encoder_fallback_reason(enc) == NULL,
			"explicit x264 reports a fallback: %s",
			sc_encoder_fallback_reason(enc));
	return enc;
}

/* Encodes n frames of the pattern at w x h, decodes each packet immediately
 * and checks quality and stream structure. */
static void roundtrip(uint32_t w, uint32_t h, uint32_t n, uint32_t kbps,
		double min_psnr)
{
	struct sc_encoder *enc = make_x264(w, h, kbps, 0);
	struct t_decoder *dec = t_decoder_create();
	struct t_nv12 in, ref;
	t_nv12_alloc(&in, w, h);
	t_nv12_alloc(&ref, w, h);
	double worst = 99.0;

	for (uint32_t i = 0; i < n; i++) {
		struct sc_encoded_packet pkt;
		t_pattern_fill(&in, i);
		in.frame.pts = 1000000 + (uint64_t)i * 16666667;
		T_ASSERT(sc_encoder_encode(enc, &in.frame, false, &pkt),
				"encode of frame %u failed", i);
		/* The encoder must be done with our memory when encode returns. */
		memset(in.mem, 0x55, in.frame.size);
		T_ASSERT(pkt.size > 0 && pkt.data, "frame %u gave no packet "
				"(zerolatency must not buffer)", i);
		T_ASSERT(pkt.pts == in.frame.pts, "frame %u: packet pts %llu, "
				"frame pts %llu (reordered or delayed)", i,
				(unsigned long long)pkt.pts,
				(unsigned long long)in.frame.pts);
		T_ASSERT(t_starts_with_start_code(pkt.data, pkt.size),
				"frame %u is not Annex-B", i);
		uint32_t nals = t_nal_types(pkt.data, pkt.size);
		if (i == 0) {
			T_ASSERT(pkt.keyframe, "first packet is not a keyframe");
			T_ASSERT((nals & (1u << NAL_SPS)) && (nals & (1u << NAL_PPS)) &&
					(nals & (1u << NAL_IDR)),
					"first packet lacks SPS/PPS/IDR (NAL mask 0x%x)", nals);
		} else {
			T_ASSERT(!pkt.keyframe && !(nals & (1u << NAL_IDR)),
					"unrequested keyframe at frame %u", i);
		}
		AVFrame *pic = t_decoder_decode(dec, pkt.data, pkt.size, i);
		T_ASSERT(pic, "decoder held frame %u back (B-frames or delay)", i);
		T_ASSERT(pic->pts == (int64_t)i, "decoded pts %lld for packet %u",
				(long long)pic->pts, i);
		T_ASSERT(pic->pict_type != AV_PICTURE_TYPE_B, "B-frame at %u", i);
		t_pattern_fill(&ref, i);
		double psnr = t_psnr(pic, &ref);
		T_ASSERT(psnr > min_psnr, "frame %u PSNR %.2f dB <= %.1f dB", i,
				psnr, min_psnr);
		if (psnr < worst) {
			worst = psnr;
		}
	}
	T_ASSERT(sc_encoder_bytes_copied(enc) == 0, "x264 path copied %llu bytes",
			(unsigned long long)sc_encoder_bytes_copied(enc));
	printf("roundtrip %ux%u: %u frames, worst PSNR %.2f dB\n", w, h, n, worst);
	t_nv12_free(&in);
	t_nv12_free(&ref);
	t_decoder_destroy(dec);
	sc_encoder_destroy(enc);
}

/* Encodes n frames; keyframes[i] tells which packets were IDRs with SPS/PPS.
 * Every packet must still decode. */
static void keyframe_pattern(uint32_t idr_interval, const bool *force,
		bool *key, uint32_t n)
{
	struct sc_encoder *enc = make_x264(640, 360, 2000, idr_interval);
	struct t_decoder *dec = t_decoder_create();
	struct t_nv12 in;
	t_nv12_alloc(&in, 640, 360);
	for (uint32_t i = 0; i < n; i++) {
		struct sc_encoded_packet pkt;
		t_pattern_fill(&in, i);
		in.frame.pts = i;
		T_ASSERT(sc_encoder_encode(enc, &in.frame, force && force[i], &pkt),
				"encode %u", i);
		T_ASSERT(pkt.size > 0, "no packet for frame %u", i);
		uint32_t nals = t_nal_types(pkt.data, pkt.size);
		bool idr = (nals & (1u << NAL_IDR)) != 0;
		T_ASSERT(idr == pkt.keyframe, "frame %u: keyframe flag %d but IDR "
				"NAL %d", i, pkt.keyframe, idr);
		if (idr) {
			T_ASSERT((nals & (1u << NAL_SPS)) && (nals & (1u << NAL_PPS)),
					"IDR at %u without in-band SPS/PPS", i);
		}
		key[i] = idr;
		T_ASSERT(t_decoder_decode(dec, pkt.data, pkt.size, i),
				"frame %u did not decode at once", i);
	}
	t_nv12_free(&in);
	t_decoder_destroy(dec);
	sc_encoder_destroy(enc);
}

static void test_force_idr(void)
{
	enum { N = 50 };
	bool force[N] = {false}, key[N];
	force[17] = force[40] = force[41] = true;
	keyframe_pattern(0, force, key, N);
	for (uint32_t i = 0; i < N; i++) {
		bool want = i == 0 || force[i];
		T_ASSERT(key[i] == want, "frame %u: keyframe %d, expected %d", i,
				key[i], want);
	}
	printf("force_idr: IDRs exactly at 0, 17, 40, 41\n");
}

static void test_periodic_idr(void)
{
	enum { N = 40, INTERVAL = 12 };
	bool key[N];
	keyframe_pattern(INTERVAL, NULL, key, N);
	for (uint32_t i = 0; i < N; i++) {
		T_ASSERT(key[i] == (i % INTERVAL == 0), "frame %u: keyframe %d with "
				"idr_interval %d", i, key[i], INTERVAL);
	}
	printf("periodic IDR: every %d frames\n", INTERVAL);
}

static size_t total_bytes(uint32_t kbps, uint32_t n)
{
	struct sc_encoder *enc = make_x264(640, 360, kbps, 0);
	struct t_nv12 in;
	t_nv12_alloc(&in, 640, 360);
	size_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct sc_encoded_packet pkt;
		t_pattern_fill(&in, i * 5); /* fast motion: the rate must bite */
		in.frame.pts = i;
		T_ASSERT(sc_encoder_encode(enc, &in.frame, false, &pkt), "encode %u", i);
		total += pkt.size;
	}
	t_nv12_free(&in);
	sc_encoder_destroy(enc);
	return total;
}

static void test_bitrate(void)
{
	/* 60 frames at 60 fps = one second: bytes ~ kbps * 125. */
	size_t low = total_bytes(250, 60), high = total_bytes(4000, 60);
	printf("bitrate: 250 kbps -> %zu bytes/s, 4000 kbps -> %zu bytes/s\n", low,
			high);
	T_ASSERT(low * 3 < high, "bitrate has no effect: %zu vs %zu bytes", low,
			high);
	T_ASSERT(low <= 250 * 125 * 2, "250 kbps produced %zu bytes in one second",
			low);
	T_ASSERT(high <= 4000 * 125 * 2, "4000 kbps produced %zu bytes in one "
			"second", high);
}

int main(void)
{
	roundtrip(640, 360, 60, 3000, 30.0);
	roundtrip(1280, 720, 8, 6000, 30.0);
	roundtrip(1920, 1080, 3, 8000, 30.0);
	test_force_idr();
	test_periodic_idr();
	test_bitrate();
	printf("ok\n");
	return 0;
}
