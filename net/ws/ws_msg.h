/* Reference-counted outgoing WebSocket messages with LWS_PRE headroom, so
 * one copy of a video frame is shared by every client's send queue.
 * Created on any thread; after the hand-off to the service thread, refs are
 * only touched there (no atomics needed). */
#ifndef SC_NET_WS_WS_MSG_H
#define SC_NET_WS_WS_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ws/ws_server.h"

enum sc_ws_msg_kind {
	SC_WS_MSG_CONTROL, /* JSON text, high priority, never flushed */
	SC_WS_MSG_VIDEO,   /* binary video frame, flushable */
	SC_WS_MSG_AUDIO,   /* binary audio packet: above video, never flushed for it */
	SC_WS_MSG_EVENT,   /* JSON text: game event, chat, notice, haptic: below control,
	                    * above audio, never flushed */
};

/* Who gets a message handed off for every client. */
enum sc_ws_audience {
	SC_WS_AUDIENCE_ALL,            /* every joined client */
	SC_WS_AUDIENCE_DEVELOPERS,     /* joined or subscribed with the developer token */
	SC_WS_AUDIENCE_NOT_DEVELOPERS, /* every joined client but those */
};

struct sc_ws_msg {
	uint32_t refs;
	enum sc_ws_msg_kind kind;
	enum sc_ws_audience audience;
	bool keyframe;
	uint32_t to_client;  /* handed off for this client only (id), 0 = every client */
	int32_t to_player;   /* handed off for the client controlling this player only, -1 = not */
	uint64_t created_ns;
	size_t len;          /* bytes at data */
	unsigned char *data; /* after LWS_PRE bytes of headroom */
	unsigned char storage[];
};

/* An uninitialised message of len bytes, refs = 1. */
struct sc_ws_msg *sc_ws_msg_create(enum sc_ws_msg_kind kind, size_t len);
/* A JSON text message from printf format; NULL if it does not fit 64 KiB. */
struct sc_ws_msg *sc_ws_msg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Video header + copy of the access unit. */
struct sc_ws_msg *sc_ws_msg_video(const struct sc_video_meta *meta, const uint8_t *au, size_t len);
/* Audio header + copy of the Opus packet. */
struct sc_ws_msg *sc_ws_msg_audio(const struct sc_audio_meta *meta, const uint8_t *packet, size_t len);
struct sc_ws_msg *sc_ws_msg_ref(struct sc_ws_msg *msg);
void sc_ws_msg_unref(struct sc_ws_msg *msg); /* NULL ok */

#endif
