/* Client send queue on top of the priority descriptor queue. */
#include "net/ws/ws_queue.h"

#include <stdlib.h>

#include "net/shm/prio_queue.h"
#include "util/log.h"

static void account(struct sc_ws_queue *q, const struct sc_ws_msg *msg, int sign)
{
	if (msg->kind == SC_WS_MSG_VIDEO) {
		q->video_bytes = sign > 0 ? q->video_bytes + msg->len : q->video_bytes - msg->len;
		q->video_frames = sign > 0 ? q->video_frames + 1 : q->video_frames - 1;
	} else {
		q->control_bytes = sign > 0 ? q->control_bytes + msg->len : q->control_bytes - msg->len;
		q->control_msgs = sign > 0 ? q->control_msgs + 1 : q->control_msgs - 1;
	}
}

static void release_flushed(void *ud, const struct sc_prio_desc *desc)
{
	struct sc_ws_queue *q = ud;
	struct sc_ws_msg *msg = (struct sc_ws_msg *)(uintptr_t)desc->payload;
	account(q, msg, -1);
	if (msg->kind == SC_WS_MSG_VIDEO)
		q->video_flushed++;
	sc_ws_msg_unref(msg);
}

struct sc_ws_queue *sc_ws_queue_create(uint32_t capacity)
{
	struct sc_prio_queue_config cfg;
	struct sc_ws_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	sc_prio_queue_config_default(&cfg);
	cfg.capacity = capacity;
	cfg.high_threshold = SC_WS_PRIO_HIGH_CLASS;
	cfg.high_min_pkt = SC_WS_HIGH_MIN_PKT;
	cfg.low_max_pkt = SC_WS_LOW_MAX_PKT;
	cfg.flush_all_lower = false;
	cfg.one_thread = true; /* the service thread's alone (ws_queue.h) */
	q->pq = sc_prio_queue_create(&cfg, release_flushed, q);
	if (!q->pq) {
		sc_err("ws: cannot create a send queue of %u descriptors", capacity);
		free(q);
		return NULL;
	}
	return q;
}

void sc_ws_queue_destroy(struct sc_ws_queue *q)
{
	if (!q)
		return;
	sc_prio_queue_destroy(q->pq); /* releases every queued payload */
	free(q);
}

uint8_t sc_ws_queue_priority(enum sc_ws_msg_kind kind)
{
	switch (kind) {
	case SC_WS_MSG_CONTROL: return SC_WS_PRIO_CONTROL;
	case SC_WS_MSG_EVENT: return SC_WS_PRIO_EVENT;
	case SC_WS_MSG_AUDIO: return SC_WS_PRIO_AUDIO;
	case SC_WS_MSG_VIDEO: return SC_WS_PRIO_VIDEO;
	}
	return SC_WS_PRIO_CONTROL;
}

static uint16_t msg_type(enum sc_ws_msg_kind kind)
{
	switch (kind) {
	case SC_WS_MSG_VIDEO: return SC_MSG_VIDEO;
	case SC_WS_MSG_AUDIO: return SC_MSG_AUDIO;
	case SC_WS_MSG_EVENT: return SC_MSG_EVENT;
	case SC_WS_MSG_CONTROL: return SC_MSG_CONTROL;
	}
	return SC_MSG_CONTROL;
}

bool sc_ws_queue_push(struct sc_ws_queue *q, struct sc_ws_msg *msg)
{
	bool video = msg->kind == SC_WS_MSG_VIDEO;
	/* the seed's "flush OK" attribute: only video deltas may be flushed */
	bool flushable = video && !msg->keyframe;
	struct sc_prio_desc desc = {
		.hdr = {
			.type = msg_type(msg->kind),
			.priority = sc_ws_queue_priority(msg->kind),
			.flags = (uint8_t)((flushable ? 0 : SC_MSG_NOT_FLUSHABLE) |
			                   (video && msg->keyframe ? SC_MSG_KEYFRAME : 0)),
			.timestamp_ns = msg->created_ns,
			.payload_len = msg->len > UINT32_MAX ? UINT32_MAX : (uint32_t)msg->len,
		},
		.payload = (uint64_t)(uintptr_t)msg,
		.payload_size = msg->len,
	};
	enum sc_prio_result r = sc_prio_queue_push(q->pq, &desc, NULL);
	if (r != SC_PRIO_OK && r != SC_PRIO_FLUSHED)
		return false;
	sc_ws_msg_ref(msg);
	account(q, msg, +1);
	return true;
}

struct sc_ws_msg *sc_ws_queue_pop(struct sc_ws_queue *q)
{
	struct sc_prio_desc desc;
	if (sc_prio_queue_pop(q->pq, &desc) != SC_PRIO_OK)
		return NULL;
	struct sc_ws_msg *msg = (struct sc_ws_msg *)(uintptr_t)desc.payload;
	account(q, msg, -1);
	return msg;
}

uint32_t sc_ws_queue_flush_video(struct sc_ws_queue *q, bool superseded, bool *continuous)
{
	/* Take everything out and put back what stays: FIFO within a priority
	 * keeps each class's order (video comes out in decode order). The
	 * queue's state is sized by its capacity, so the kept ones always fit. */
	uint32_t dropped = 0, depth = sc_prio_queue_depth(q->pq);
	if (continuous)
		*continuous = q->video_frames == 0;
	if (q->video_frames == 0)
		return 0;
	struct sc_ws_msg **all = malloc((size_t)depth * sizeof(*all) + 1);
	if (!all) {
		sc_err("ws: out of memory flushing video: the video stays queued");
		if (continuous)
			*continuous = true;
		return 0;
	}
	uint32_t n = 0;
	int newest_key = -1;
	bool delta_after_key = false;
	for (uint32_t i = 0; i < depth; i++) {
		struct sc_ws_msg *msg = sc_ws_queue_pop(q);
		if (!msg)
			break;
		if (msg->kind == SC_WS_MSG_VIDEO) {
			if (msg->keyframe) {
				newest_key = (int)n;
				delta_after_key = false;
			} else {
				delta_after_key = true;
			}
		}
		all[n++] = msg;
	}
	if (superseded)
		newest_key = -1; /* the keyframe about to be queued replaces it */
	for (uint32_t i = 0; i < n; i++) {
		struct sc_ws_msg *msg = all[i];
		if (msg->kind == SC_WS_MSG_VIDEO && (int)i != newest_key) {
			dropped++;
		} else if (!sc_ws_queue_push(q, msg)) {
			sc_err("ws: send queue lost a %s message while flushing video",
			       msg->kind == SC_WS_MSG_VIDEO ? "keyframe" : "non-video");
			if (msg->kind == SC_WS_MSG_VIDEO)
				newest_key = -1;
		}
		sc_ws_msg_unref(msg);
	}
	free(all);
	if (continuous)
		*continuous = newest_key >= 0 && !delta_after_key;
	return dropped;
}

uint32_t sc_ws_queue_depth(const struct sc_ws_queue *q)
{
	return q->video_frames + q->control_msgs;
}
