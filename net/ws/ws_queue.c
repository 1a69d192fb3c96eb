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
	cfg.high_threshold = 8;
	cfg.high_min_pkt = 4;
	cfg.low_max_pkt = 1;
	cfg.flush_all_lower = false;
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

bool sc_ws_queue_push(struct sc_ws_queue *q, struct sc_ws_msg *msg)
{
	bool audio = msg->kind == SC_WS_MSG_AUDIO;
	struct sc_prio_desc desc = {
		.hdr = {
			.type = msg->kind == SC_WS_MSG_VIDEO ? SC_MSG_VIDEO : audio ? SC_MSG_AUDIO : SC_MSG_CONTROL,
			.priority = msg->kind == SC_WS_MSG_VIDEO ? SC_WS_PRIO_VIDEO : audio ? SC_WS_PRIO_AUDIO
			                                                                      : SC_WS_PRIO_CONTROL,
			.flags = (uint8_t)((msg->kind == SC_WS_MSG_VIDEO ? 0 : SC_MSG_NOT_FLUSHABLE) |
			                   (msg->keyframe ? SC_MSG_KEYFRAME : 0)),
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

uint32_t sc_ws_queue_flush_video(struct sc_ws_queue *q)
{
	/* Take everything out and put the control messages back: FIFO within a
	 * priority keeps their order. The queue's state is sized by its capacity,
	 * so the kept ones always fit back. */
	uint32_t dropped = 0, depth = sc_prio_queue_depth(q->pq);
	if (q->video_frames == 0)
		return 0;
	struct sc_ws_msg **keep = malloc((size_t)q->control_msgs * sizeof(*keep) + 1);
	if (!keep) {
		sc_err("ws: out of memory flushing video: the video stays queued");
		return 0;
	}
	uint32_t nkeep = 0, room = q->control_msgs;
	for (uint32_t i = 0; i < depth; i++) {
		struct sc_ws_msg *msg = sc_ws_queue_pop(q);
		if (!msg)
			break;
		if (msg->kind == SC_WS_MSG_VIDEO || nkeep == room) {
			if (msg->kind != SC_WS_MSG_VIDEO)
				sc_err("ws: send queue lost a control message while flushing video");
			dropped += msg->kind == SC_WS_MSG_VIDEO;
			sc_ws_msg_unref(msg);
			continue;
		}
		keep[nkeep++] = msg;
	}
	for (uint32_t i = 0; i < nkeep; i++) {
		if (!sc_ws_queue_push(q, keep[i]))
			sc_err("ws: send queue lost a control message while flushing video");
		sc_ws_msg_unref(keep[i]);
	}
	free(keep);
	return dropped;
}

uint32_t sc_ws_queue_depth(const struct sc_ws_queue *q)
{
	return q->video_frames + q->control_msgs;
}
