/* Test helper: decodes Opus packets with libopus (48 kHz, CHANNELS given on
 * the command line) and writes s16le PCM. Input: a file of packets, each a
 * u32 little-endian length then that many bytes (an empty packet = a lost
 * one: libopus conceals a frame of FRAME samples).
 * Usage: opus_decode_packets IN OUT CHANNELS FRAME */
#include <opus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: opus_decode_packets IN OUT CHANNELS FRAME\n");
		return 2;
	}
	int channels = atoi(argv[3]), frame = atoi(argv[4]);
	FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
	int err = 0;
	OpusDecoder *dec = opus_decoder_create(48000, channels, &err);
	if (!in || !out || !dec || err != OPUS_OK || frame <= 0 || frame > 5760) {
		fprintf(stderr, "opus_decode_packets: cannot open the files or create the decoder\n");
		return 1;
	}
	static uint8_t pkt[65536];
	static int16_t pcm[5760 * 2];
	unsigned long packets = 0, samples = 0;
	for (;;) {
		uint8_t l[4];
		if (fread(l, 1, 4, in) != 4)
			break;
		uint32_t len = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
		if (len > sizeof(pkt) || fread(pkt, 1, len, in) != len) {
			fprintf(stderr, "opus_decode_packets: truncated input\n");
			return 1;
		}
		int n = opus_decode(dec, len ? pkt : NULL, (opus_int32)len, pcm, frame, 0);
		if (n < 0) {
			fprintf(stderr, "opus_decode_packets: packet %lu: %s\n", packets, opus_strerror(n));
			return 1;
		}
		fwrite(pcm, sizeof(int16_t) * (size_t)channels, (size_t)n, out);
		packets++;
		samples += (unsigned long)n;
	}
	opus_decoder_destroy(dec);
	fclose(in);
	if (fclose(out) != 0)
		return 1;
	fprintf(stderr, "opus_decode_packets: %lu packets, %lu samples\n", packets, samples);
	return 0;
}
