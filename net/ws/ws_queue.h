/* A client's send queue: the priority descriptor queue (net/shm/prio_queue.h,
 * seed US8935329) holding struct sc_ws_msg references, plus byte/frame
 * accounting. Four classes, highest first (docs/protocol.md §7):
 *   SC_WS_PRIO_CONTROL  hello, ack, pong, error, input_dropped: never flushed;
 *   SC_WS_PRIO_EVENT    event, chat, notice, haptic: never flushed;
 *   SC_WS_PRIO_AUDIO    binary audio packets: never flushed;
 *   SC_WS_PRIO_VIDEO    binary video: deltas flushable, keyframes never
 *                       flushed to make room (only a newer keyframe queued
 *                       behind one supersedes it, sc_ws_queue_flush_video).
 * Control and events form the prio queue's high class (>= its threshold),
 * audio and video the low class: highPriMinPkt (4) high messages are served
 * before a waiting low one, lowPriMaxPkt (1) low one before going back; an
 * empty class never holds the other back. Everything but video is accounted
 * with the control messages (their byte bound). FIFO within a class (audio
 * packets and video frames stay in order). Service thread only. */
#ifndef SC_NET_WS_WS_QUEUE_H
#define SC_NET_WS_WS_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ws/ws_msg.h"

#define SC_WS_PRIO_CONTROL 12
#define SC_WS_PRIO_EVENT 10 /* events, chat, notices, haptics: below control, above audio */
#define SC_WS_PRIO_AUDIO 6  /* binary audio: below events, above video, not flushable */
#define SC_WS_PRIO_VIDEO 2
#define SC_WS_PRIO_HIGH_CLASS 8 /* the prio queue's high_threshold: control and events */
#define SC_WS_HIGH_MIN_PKT 4    /* highPriMinPkt */
#define SC_WS_LOW_MAX_PKT 1     /* lowPriMaxPkt */

struct sc_prio_queue;

struct sc_ws_queue {
	struct sc_prio_queue *pq;
	size_t video_bytes, control_bytes;
	uint32_t video_frames, control_msgs;
	uint64_t video_flushed; /* video frames the queue dropped to make room */
};

struct sc_ws_queue *sc_ws_queue_create(uint32_t capacity);
void sc_ws_queue_destroy(struct sc_ws_queue *q); /* unrefs what is queued; NULL ok */
/* Queues a new reference to msg. False when full of messages that cannot be
 * flushed (the caller's reference is untouched). */
bool sc_ws_queue_push(struct sc_ws_queue *q, struct sc_ws_msg *msg);
/* Next message to send (control first), the caller owns the reference; NULL if empty. */
struct sc_ws_msg *sc_ws_queue_pop(struct sc_ws_queue *q);
/* Drops the queued video deltas and every queued keyframe but the newest
 * (a keyframe is never flushed for room, only superseded by a newer one:
 * superseded = true says a new keyframe is about to be queued, and then the
 * newest queued one goes too); returns how many frames it dropped.
 * *continuous (may be NULL): true when the video still queued, if any, ends
 * at that keyframe with nothing after it dropped, so the frames published
 * next continue a decodable stream; false when the client needs a new
 * keyframe. */
uint32_t sc_ws_queue_flush_video(struct sc_ws_queue *q, bool superseded, bool *continuous);
/* The priority of a message kind (SC_WS_PRIO_*). */
uint8_t sc_ws_queue_priority(enum sc_ws_msg_kind kind);
uint32_t sc_ws_queue_depth(const struct sc_ws_queue *q);

#endif
