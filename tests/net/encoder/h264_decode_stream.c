/* Decodes the video a client received (docs/protocol.md §5) with libavcodec's
 * H.264 decoder, as a check that what the server sent is a playable stream:
 * scripts/gpu_check.py's run step. Input: a file of messages, each a u32
 * little-endian length then that many bytes (one binary WebSocket message:
 * the 40-byte SCV1 header, then the access unit). Prints one JSON object:
 * {"messages","decoded","keyframes","width","height","bad_headers",
 *  "decode_errors","first_error"}. Exit 0 when every message decoded.
 * Usage: h264_decode_stream FILE */
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE (64u << 20)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: h264_decode_stream FILE\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "rb");
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = av_frame_alloc();
	uint8_t *msg = malloc(MAX_MESSAGE);
	if (!in || !ctx || !pkt || !frame || !msg) {
		fprintf(stderr, "h264_decode_stream: cannot open %s or set up libavcodec's H.264 decoder\n", argv[1]);
		return 2;
	}
	ctx->thread_count = 1;
	ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	if (avcodec_open2(ctx, codec, NULL) != 0) {
		fprintf(stderr, "h264_decode_stream: avcodec_open2 failed\n");
		return 2;
	}
	unsigned long messages = 0, decoded = 0, keyframes = 0, bad_headers = 0, errors = 0;
	char first_error[160] = "";
	for (;;) {
		uint8_t l[4];
		if (fread(l, 1, 4, in) != 4)
			break;
		uint32_t len = le32(l);
		if (len > MAX_MESSAGE || fread(msg, 1, len, in) != len) {
			snprintf(first_error, sizeof(first_error), "message %lu: truncated input", messages);
			errors++;
			break;
		}
		messages++;
		/* magic SCV1, version 1, header length >= 40 and within the message */
		uint32_t hlen = len >= 8 ? (uint32_t)msg[6] | (uint32_t)msg[7] << 8 : 0;
		if (len < 40 || memcmp(msg, "SCV1", 4) != 0 || hlen < 40 || hlen >= len) {
			if (!first_error[0])
				snprintf(first_error, sizeof(first_error), "message %lu: not an SCV1 video message", messages);
			bad_headers++;
			continue;
		}
		if (le32(msg + 8) & 1u)
			keyframes++;
		if (av_new_packet(pkt, (int)(len - hlen)) != 0)
			break;
		memcpy(pkt->data, msg + hlen, len - hlen);
		int r = avcodec_send_packet(ctx, pkt);
		av_packet_unref(pkt);
		while (r == 0 && (r = avcodec_receive_frame(ctx, frame)) == 0) {
			decoded++;
			av_frame_unref(frame);
		}
		if (r != AVERROR(EAGAIN) && r != 0) {
			if (!first_error[0]) {
				char e[AV_ERROR_MAX_STRING_SIZE] = "";
				av_strerror(r, e, sizeof(e));
				snprintf(first_error, sizeof(first_error), "message %lu: %s", messages, e);
			}
			errors++;
		}
	}
	/* drain: low delay, but whatever the decoder still holds counts */
	if (avcodec_send_packet(ctx, NULL) == 0)
		while (avcodec_receive_frame(ctx, frame) == 0) {
			decoded++;
			av_frame_unref(frame);
		}
	for (char *c = first_error; *c; c++)
		if (*c == '"' || *c == '\\' || (unsigned char)*c < ' ')
			*c = '\'';
	printf("{\"messages\":%lu,\"decoded\":%lu,\"keyframes\":%lu,\"width\":%d,\"height\":%d,\"bad_headers\":%lu,"
	       "\"decode_errors\":%lu,\"first_error\":\"%s\"}\n", messages, decoded, keyframes, ctx->width, ctx->height,
	       bad_headers, errors, first_error);
	fclose(in);
	free(msg);
	av_frame_free(&frame);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	return messages > 0 && decoded == messages - bad_headers && !bad_headers && !errors ? 0 : 1;
}
