/* Outgoing message buffers and the binary video header. */
#include "net/ws/ws_msg.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#define SC_WS_MAX_TEXT (64 * 1024)

struct sc_ws_msg *sc_ws_msg_create(enum sc_ws_msg_kind kind, size_t len)
{
	struct sc_ws_msg *msg = malloc(sizeof(*msg) + LWS_PRE + len + 1);
	if (!msg)
		return NULL;
	msg->refs = 1;
	msg->kind = kind;
	msg->audience = SC_WS_AUDIENCE_ALL;
	msg->keyframe = false;
	msg->to_client = 0;
	msg->to_player = -1;
	msg->created_ns = sc_now_ns();
	msg->len = len;
	msg->data = msg->storage + LWS_PRE;
	return msg;
}

struct sc_ws_msg *sc_ws_msg_printf(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= SC_WS_MAX_TEXT)
		return NULL;
	struct sc_ws_msg *msg = sc_ws_msg_create(SC_WS_MSG_CONTROL, (size_t)n);
	if (!msg)
		return NULL;
	if ((size_t)n < sizeof(tmp)) {
		memcpy(msg->data, tmp, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf((char *)msg->data, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return msg;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void sc_ws_video_header_pack(uint8_t out[SC_WS_VIDEO_HEADER_BYTES],
                             const struct sc_video_meta *meta)
{
	put_le32(out + 0, SC_WS_VIDEO_MAGIC);
	put_le16(out + 4, SC_WS_VIDEO_VERSION);
	put_le16(out + 6, SC_WS_VIDEO_HEADER_BYTES);
	put_le32(out + 8, meta->keyframe ? SC_WS_VIDEO_FLAG_KEYFRAME : 0);
	put_le32(out + 12, meta->tick);
	put_le64(out + 16, meta->frame_number);
	put_le64(out + 24, meta->capture_ns);
	put_le64(out + 32, meta->encode_done_ns);
}

struct sc_ws_msg *sc_ws_msg_video(const struct sc_video_meta *meta, const uint8_t *au, size_t len)
{
	struct sc_ws_msg *msg = sc_ws_msg_create(SC_WS_MSG_VIDEO, SC_WS_VIDEO_HEADER_BYTES + len);
	if (!msg)
		return NULL;
	msg->keyframe = meta->keyframe;
	sc_ws_video_header_pack(msg->data, meta);
	if (len)
		memcpy(msg->data + SC_WS_VIDEO_HEADER_BYTES, au, len);
	return msg;
}

void sc_ws_audio_header_pack(uint8_t out[SC_WS_AUDIO_HEADER_BYTES], const struct sc_audio_meta *meta)
{
	put_le32(out, SC_WS_AUDIO_MAGIC);
	put_le16(out + 4, SC_WS_AUDIO_VERSION);
	put_le16(out + 6, SC_WS_AUDIO_HEADER_BYTES);
	put_le32(out + 8, 0); /* flags */
	put_le32(out + 12, meta->tick);
	put_le64(out + 16, meta->sample_pos);
	put_le64(out + 24, meta->capture_ns);
	put_le64(out + 32, meta->packet_number);
	put_le32(out + 40, meta->sample_rate);
	put_le16(out + 44, meta->channels);
	put_le16(out + 46, meta->samples);
}

struct sc_ws_msg *sc_ws_msg_audio(const struct sc_audio_meta *meta, const uint8_t *packet, size_t len)
{
	struct sc_ws_msg *msg = sc_ws_msg_create(SC_WS_MSG_AUDIO, SC_WS_AUDIO_HEADER_BYTES + len);
	if (!msg)
		return NULL;
	sc_ws_audio_header_pack(msg->data, meta);
	if (len)
		memcpy(msg->data + SC_WS_AUDIO_HEADER_BYTES, packet, len);
	return msg;
}

struct sc_ws_msg *sc_ws_msg_ref(struct sc_ws_msg *msg)
{
	msg->refs++;
	return msg;
}

void sc_ws_msg_unref(struct sc_ws_msg *msg)
{
	if (msg && --msg->refs == 0)
		free(msg);
}
