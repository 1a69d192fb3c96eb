/* net/encoder/audio_opus: chunks of one tick (800 samples) in, 20 ms packets
 * (960 samples) out, each tagged with the tick, sample position and capture
 * time of its first sample; a gap in positions restarts the stream; the
 * packets decode (libopus) to the tone that went in, delayed by the lookahead. */
#include <math.h>
#include <opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/encoder/audio_opus.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

#define SPT 800
#define TICKS 60

struct got {
	struct sc_audio_packet_meta meta[200];
	uint8_t data[200][SC_AUDIO_OPUS_MAX_PACKET];
	size_t len[200];
	int n;
};

static void on_packet(void *ud, const struct sc_audio_packet_meta *m, const uint8_t *data, size_t len)
{
	struct got *g = ud;
	if (g->n >= 200)
		return;
	g->meta[g->n] = *m;
	memcpy(g->data[g->n], data, len);
	g->len[g->n] = len;
	g->n++;
}

int main(void)
{
	struct sc_audio_encoder_config cfg = {.channels = 1, .frame_ms = 20, .bitrate_bps = 64000};
	struct sc_audio_encoder *enc = sc_audio_encoder_create(&cfg);
	CHECK(enc != NULL, "encoder");
	CHECK(sc_audio_encoder_create(&(struct sc_audio_encoder_config){.channels = 1, .frame_ms = 15,
	                                                               .bitrate_bps = 64000}) == NULL,
	      "15 ms frames are refused");
	if (!enc)
		return 1;
	struct got *g = calloc(1, sizeof(*g));
	int16_t *all = calloc((size_t)TICKS * SPT, sizeof(int16_t));
	for (uint32_t t = 0; t < TICKS; t++) {
		int16_t pcm[SPT];
		for (int i = 0; i < SPT; i++) {
			uint64_t pos = (uint64_t)t * SPT + (uint64_t)i;
			pcm[i] = (int16_t)(8000.0 * sin(2.0 * M_PI * 440.0 * (double)pos / 48000.0));
		}
		memcpy(all + (size_t)t * SPT, pcm, sizeof(pcm));
		CHECK(sc_audio_encoder_push(enc, pcm, SPT, (uint64_t)t * SPT, t, 1000 + t, on_packet, g), "push %u", t);
	}
	/* 60 ticks * 800 = 48000 samples = 50 packets of 960 */
	CHECK(g->n == 50, "%d packets, want 50", g->n);
	for (int k = 0; k < g->n; k++) {
		uint64_t pos = (uint64_t)k * 960;
		CHECK(g->meta[k].sample_pos == pos, "packet %d at %llu", k, (unsigned long long)g->meta[k].sample_pos);
		CHECK(g->meta[k].tick == pos / SPT, "packet %d: tick %u, want %llu", k, g->meta[k].tick,
		      (unsigned long long)(pos / SPT));
		CHECK(g->meta[k].capture_ns == 1000 + pos / SPT, "packet %d: the capture time of its first tick", k);
		CHECK(g->meta[k].samples == 960 && g->meta[k].packet_number == (uint64_t)k + 1, "packet %d meta", k);
		CHECK(g->len[k] > 0 && g->len[k] < 400, "packet %d: %zu bytes", k, g->len[k]);
	}
	/* decode: the tone comes back, lookahead samples late */
	int err;
	OpusDecoder *dec = opus_decoder_create(48000, 1, &err);
	int16_t *out = calloc(48000, sizeof(int16_t));
	int got = 0;
	for (int k = 0; k < g->n && dec; k++) {
		int n = opus_decode(dec, g->data[k], (opus_int32)g->len[k], out + got, 960, 0);
		CHECK(n == 960, "decoded %d", n);
		if (n > 0)
			got += n;
	}
	uint32_t la = sc_audio_encoder_lookahead(enc);
	CHECK(la > 0 && la < 960, "lookahead %u", la);
	double err2 = 0, sig2 = 0;
	for (int i = 4800; i < got; i++) {
		double d = (double)out[i] - (double)all[i - (int)la];
		err2 += d * d;
		sig2 += (double)all[i - (int)la] * all[i - (int)la];
	}
	double snr = 10.0 * log10(sig2 / (err2 + 1));
	printf("lookahead %u samples, SNR %.1f dB over %d samples\n", la, snr, got - 4800);
	CHECK(snr > 15.0, "the decoded tone matches the input, delayed by the lookahead (SNR %.1f dB)", snr);
	/* a gap: the partial packet is dropped, the next starts at the new position */
	int before = g->n;
	int16_t z[SPT] = {0};
	sc_audio_encoder_push(enc, z, 100, 48000, 60, 5000, on_packet, g);  /* 100 buffered */
	sc_audio_encoder_push(enc, z, SPT, 96000, 120, 6000, on_packet, g); /* a jump */
	sc_audio_encoder_push(enc, z, SPT, 96800, 121, 6001, on_packet, g);
	struct sc_audio_encoder_stats st;
	sc_audio_encoder_stats(enc, &st);
	CHECK(st.discontinuities == 1, "one discontinuity, got %llu", (unsigned long long)st.discontinuities);
	CHECK(g->n == before + 1 && g->meta[before].sample_pos == 96000 && g->meta[before].tick == 120,
	      "after the gap the next packet starts at the new position");
	/* the cost, printed (not asserted): 10 s of the tone, 500 packets */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t t = 0; t < 600; t++)
		sc_audio_encoder_push(enc, all + (size_t)(t % TICKS) * SPT, SPT, 200000 + (uint64_t)t * SPT, t, 0, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
	printf("encoding: %.1f us per 20 ms packet (%.2f%% of one core)\n", us / 500, us / 500 / 200.0);
	opus_decoder_destroy(dec);
	sc_audio_encoder_destroy(enc);
	sc_audio_encoder_destroy(NULL);
	free(out);
	free(all);
	free(g);
	if (failures)
		return 1;
	printf("audio opus ok\n");
	return 0;
}
