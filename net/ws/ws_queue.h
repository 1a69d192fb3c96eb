/* A client's send queue: the priority descriptor queue (net/shm/prio_queue.h)
 * holding struct sc_ws_msg references, plus byte/frame accounting.
 * Control messages: priority SC_WS_PRIO_CONTROL, not flushable.
 * Video frames: priority SC_WS_PRIO_VIDEO (all the same, so they stay in
 * decode order), flushable. Audio packets: SC_WS_PRIO_AUDIO, not flushable,
 * accounted with the control messages (their byte bound). Service thread only. */
#ifndef SC_NET_WS_WS_QUEUE_H
#define SC_NET_WS_WS_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ws/ws_msg.h"

#define SC_WS_PRIO_CONTROL 12
#define SC_WS_PRIO_AUDIO 6 /* binary audio: below control, above video, not flushable */
#define SC_WS_PRIO_VIDEO 2

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
/* Drops every queued video frame; returns how many. */
uint32_t sc_ws_queue_flush_video(struct sc_ws_queue *q);
uint32_t sc_ws_queue_depth(const struct sc_ws_queue *q);

#endif
