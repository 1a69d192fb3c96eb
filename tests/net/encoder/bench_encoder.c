/* Encode time per frame through sc_encoder (libx264 here): p50/p99 ms at
 * 1280x720 and 640x360 on a moving pattern. Fails if any frame fails. */
#include <string.h>

#include "enc_test_util.h"
#include "util/clock.h"
#include "util/stats.h"

#define WARMUP 10
#define FRAMES 240

static void bench(uint32_t w, uint32_t h, uint32_t kbps)
{
	struct sc_encoder_config cfg = {
		.width = w, .height = h, .fps = 60, .bitrate_kbps = kbps,
		.idr_interval = 120, .kind = SC_ENCODER_X264,
	};
	struct sc_encoder *enc = sc_encoder_create(&cfg);
	T_ASSERT(enc, "encoder %ux%u", w, h);
	/* Patterns are prepared up front: only the encode is timed. */
	enum { PATTERNS = 8 };
	struct t_nv12 in[PATTERNS];
	for (uint32_t i = 0; i < PATTERNS; i++) {
		t_nv12_alloc(&in[i], w, h);
		t_pattern_fill(&in[i], i * 3);
	}
	static double ms[FRAMES];
	size_t bytes = 0;
	for (uint32_t i = 0; i < WARMUP + FRAMES; i++) {
		struct sc_encoded_packet pkt;
		struct sc_nv12_frame f = in[i % PATTERNS].frame;
		f.pts = i;
		uint64_t t0 = sc_now_ns();
		T_ASSERT(sc_encoder_encode(enc, &f, false, &pkt), "encode %u", i);
		uint64_t t1 = sc_now_ns();
		T_ASSERT(pkt.size > 0, "no packet for frame %u", i);
		if (i >= WARMUP) {
			ms[i - WARMUP] = (double)(t1 - t0) / 1e6;
			bytes += pkt.size;
		}
	}
	double p50 = sc_percentile(ms, FRAMES, 50), p99 = sc_percentile(ms, FRAMES, 99);
	printf("encode %s %ux%u@60 %u kbps: p50 %.2f ms, p99 %.2f ms, %.0f kbit/s, "
			"bytes copied %llu\n", sc_encoder_name(enc), w, h, kbps, p50, p99,
			(double)bytes * 8 / 1000 / ((double)FRAMES / 60),
			(unsigned long long)sc_encoder_bytes_copied(enc));
	for (uint32_t i = 0; i < PATTERNS; i++) {
		t_nv12_free(&in[i]);
	}
	sc_encoder_destroy(enc);
}

int main(void)
{
	bench(1280, 720, 6000);
	bench(640, 360, 2000);
	return 0;
}
