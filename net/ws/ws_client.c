/* Per-client state and send queue policy (classes: net/ws/ws_queue.h):
 *  - control, event and audio messages: never flushed; a client whose backlog
 *    of them passes SC_WS_CONTROL_QUEUE_BYTES is disconnected;
 *  - video: when the client's queued video would pass client_queue_bytes or
 *    client_queue_frames, the queued deltas are dropped (a queued keyframe
 *    stays: the newest one), and unless the queued video ends at that
 *    keyframe the client gets no video until the next keyframe, which is
 *    requested (on_keyframe_request) once the client has caught up (queue
 *    drained);
 *  - a client with data waiting and nothing written for stall_disconnect_ms
 *    is disconnected. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/ws/ws_internal.h"
#include "util/clock.h"
#include "util/log.h"

#define NS_PER_MS 1000000ull

struct sc_ws_client *sc_ws_client_create(struct sc_ws_server *srv, struct lws *wsi)
{
	struct sc_ws_client *c = calloc(1, sizeof(*c));
	if (!c) {
		sc_err("ws: out of memory for a client");
		return NULL;
	}
	/* room for the video, an answer to each message of a full burst (the
	 * token bucket holds max_client_msgs_per_sec), what the server sends on
	 * its own (events, notices, errors) and, for a client with audio, every
	 * audio packet of a stall window (never flushed: a client that stops
	 * reading must meet the stall bound, not a full queue of descriptors,
	 * while it is congested); the byte limit is SC_WS_CONTROL_QUEUE_BYTES */
	const struct sc_ws_audio_info *a = &srv->cfg.audio;
	uint32_t audio_slots = a->codec && a->frame_samples && a->sample_rate
		? (uint32_t)((uint64_t)srv->cfg.stall_disconnect_ms * a->sample_rate / (1000ull * a->frame_samples)) + 1
		: 0;
	uint32_t capacity = srv->cfg.client_queue_frames + srv->cfg.max_client_msgs_per_sec + SC_WS_CONTROL_SLACK +
	                    audio_slots;
	if (capacity > 65535)
		capacity = 65535;
	c->queue = sc_ws_queue_create(capacity);
	c->rx = malloc(srv->cfg.max_client_message);
	if (!c->queue || !c->rx) {
		sc_ws_queue_destroy(c->queue);
		free(c->rx);
		free(c);
		return NULL;
	}
	c->srv = srv;
	c->wsi = wsi;
	c->id = ++srv->next_client_id;
	c->player = -1;
	c->connected_ns = sc_now_ns();
	c->tokens = srv->cfg.max_client_msgs_per_sec;
	c->tokens_ns = c->connected_ns;
	c->need_keyframe = true;
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));

	int fd = lws_get_socket_fd(wsi);
	int sndbuf = (int)srv->cfg.socket_sndbuf_bytes, one = 1;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		sc_warn("ws: client %u: SO_SNDBUF %d: %s", c->id, sndbuf, strerror(errno));
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	c->next = srv->clients;
	if (srv->clients)
		srv->clients->prev = c;
	srv->clients = c;
	srv->nclients++;
	srv->stats.connections++;
	return c;
}

void sc_ws_client_destroy(struct sc_ws_client *c)
{
	if (!c)
		return;
	struct sc_ws_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nclients--;
	sc_ws_queue_destroy(c->queue);
	free(c->rx);
	free(c);
}

static void mark_waiting(struct sc_ws_client *c)
{
	if (!c->waiting_since_ns)
		c->waiting_since_ns = sc_now_ns();
	if (c->srv->batch_collecting)
		c->batch_want = true; /* written by sc_ws_batch_flush right after the drain */
	else
		lws_callback_on_writable(c->wsi);
}

bool sc_ws_client_send_control(struct sc_ws_client *c, struct sc_ws_msg *msg)
{
	if (!msg || c->killed || c->closing)
		return false;
	uint64_t flushed = c->queue->video_flushed;
	size_t video_bytes = c->queue->video_bytes;
	if (c->queue->control_bytes + msg->len > SC_WS_CONTROL_QUEUE_BYTES ||
	    !sc_ws_queue_push(c->queue, msg)) {
		c->srv->stats.queue_overruns++;
		c->overruns++;
		sc_ws_client_kill(c, "control messages not read (send queue full)");
		return false;
	}
	if (c->queue->video_flushed != flushed) {
		/* the queue made room by replacing a video delta (never a keyframe):
		 * the rest of the stale video goes too; resync at a keyframe unless
		 * the video still queued ends at one */
		uint64_t n = c->queue->video_flushed - flushed;
		bool continuous;
		n += sc_ws_queue_flush_video(c->queue, false, &continuous);
		c->frames_dropped += n;
		c->srv->stats.frames_dropped += n;
		c->bytes_dropped += video_bytes - c->queue->video_bytes; /* the video the replacement and flush took */
		c->need_keyframe = c->need_keyframe || !continuous;
	}
	mark_waiting(c);
	return true;
}

void sc_ws_client_send_error(struct sc_ws_client *c, const char *code, const char *fmt, ...)
{
	char text[160], quoted[160 * 6 + 3]; /* every byte escaped as \u00XX still fits */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sc_ws_json_quote(text, quoted, sizeof(quoted));
	struct sc_ws_msg *msg = sc_ws_msg_printf("{\"type\":\"error\",\"code\":\"%s\",\"message\":%s}",
	                                         code, quoted);
	sc_ws_client_send_control(c, msg);
	sc_ws_msg_unref(msg);
}

static void drop_frames(struct sc_ws_client *c, uint64_t n, uint64_t bytes)
{
	c->frames_dropped += n;
	c->bytes_dropped += bytes;
	c->srv->stats.frames_dropped += n;
}

void sc_ws_client_send_video(struct sc_ws_client *c, struct sc_ws_msg *msg)
{
	const struct sc_ws_server_config *cfg = &c->srv->cfg;
	struct sc_ws_queue *q = c->queue;

	if (!c->joined || c->killed || c->close_code || c->closing)
		return;
	if (c->need_keyframe && !msg->keyframe) {
		drop_frames(c, 1, msg->len);
		return;
	}
	if (q->video_frames >= cfg->client_queue_frames ||
	    (q->video_frames > 0 && q->video_bytes + msg->len > cfg->client_queue_bytes)) {
		/* stale frames: drop the deltas (a queued keyframe stays, the newest
		 * one, unless msg is a keyframe that supersedes it); unless the
		 * queued video ends at that keyframe, resync at the next keyframe */
		bool continuous;
		size_t queued = q->video_bytes;
		uint32_t n = sc_ws_queue_flush_video(q, msg->keyframe, &continuous);
		drop_frames(c, n, queued - q->video_bytes);
		c->overruns++;
		c->srv->stats.queue_overruns++;
		if (!continuous)
			c->need_keyframe = true;
		if (!msg->keyframe && (c->need_keyframe || q->video_frames >= cfg->client_queue_frames ||
		                       q->video_bytes + msg->len > cfg->client_queue_bytes)) {
			drop_frames(c, 1, msg->len);
			c->need_keyframe = true;
			sc_dbg("ws: client %u is behind: dropped %u frames, waiting for a keyframe",
			       c->id, n + 1);
			return;
		}
	}
	uint64_t flushed = q->video_flushed;
	size_t queued = q->video_bytes;
	if (!sc_ws_queue_push(q, msg)) {
		drop_frames(c, 1, msg->len);
		c->need_keyframe = true; /* a refused keyframe too: the deltas after it need it */
		return;
	}
	if (q->video_flushed != flushed) {
		drop_frames(c, q->video_flushed - flushed, queued + msg->len - q->video_bytes);
		c->need_keyframe = true;
		return;
	}
	if (msg->keyframe)
		c->need_keyframe = false;
	mark_waiting(c);
}

void sc_ws_client_ask_keyframe(struct sc_ws_client *c, uint64_t now_ns)
{
	struct sc_ws_server *srv = c->srv;
	if (c->keyframe_asked_ns && now_ns - c->keyframe_asked_ns < SC_WS_KEYFRAME_RETRY_MS * NS_PER_MS)
		return;
	c->keyframe_asked_ns = now_ns;
	srv->stats.keyframe_requests++;
	if (srv->cfg.on_keyframe_request)
		srv->cfg.on_keyframe_request(srv->cfg.user);
}

int sc_ws_client_writeable(struct sc_ws_client *c)
{
	struct lws *wsi = c->wsi;

	if (c->closing)
		return 0;
	if (c->close_code) {
		lws_close_reason(wsi, (enum lws_close_status)c->close_code,
		                 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	int pinged = sc_ws_figures_write_ping(c); /* the RTT ping, ahead of the queue */
	if (pinged < 0) {
		sc_warn("ws: client %u: writing a ping failed, closing", c->id);
		return -1;
	}
	for (int n = 0; n < SC_WS_WRITES_PER_CALLBACK; n++) {
		if (lws_partial_buffered(wsi) || !sc_ws_queue_depth(c->queue))
			break;
		/* WRITEABLE promises one write that does not block, so the first
		 * goes without asking; lws_send_pipe_choked is a poll() of this
		 * socket, and asking before every write was two syscalls per
		 * client per frame beside the one send (the fan-out's CPU). A ping
		 * before it (10 bytes) hardly uses the room POLLOUT promised, and
		 * what does not fit is buffered by lws and sent on the next
		 * WRITEABLE as always */
		if (n > 0 && lws_send_pipe_choked(wsi))
			break;
		struct sc_ws_msg *msg = sc_ws_queue_pop(c->queue);
		if (!msg)
			break;
		int m = lws_write(wsi, msg->data, msg->len,
		                  msg->kind == SC_WS_MSG_VIDEO || msg->kind == SC_WS_MSG_AUDIO ? LWS_WRITE_BINARY
		                                                                               : LWS_WRITE_TEXT);
		if (m < 0 || (size_t)m < msg->len) {
			sc_warn("ws: client %u: write of %zu bytes failed, closing", c->id, msg->len);
			sc_ws_msg_unref(msg);
			return -1;
		}
		sc_ws_client_wrote(c, msg);
		sc_ws_msg_unref(msg);
	}
	sc_ws_client_after_writes(c);
	return 0;
}

void sc_ws_client_wrote(struct sc_ws_client *c, const struct sc_ws_msg *msg)
{
	struct sc_ws_server *srv = c->srv;
	c->bytes_sent += msg->len;
	srv->stats.bytes_sent += msg->len;
	if (msg->kind == SC_WS_MSG_VIDEO) {
		c->frames_sent++;
		srv->stats.frames_sent++;
	} else if (msg->kind == SC_WS_MSG_AUDIO) {
		c->audio_sent++;
	} else if (msg->kind == SC_WS_MSG_EVENT) {
		c->events_sent++;
	}
	c->waiting_since_ns = sc_now_ns(); /* progress */
	if (msg->kind == SC_WS_MSG_VIDEO)
		c->video_written_ns = c->waiting_since_ns;
}

void sc_ws_client_after_writes(struct sc_ws_client *c)
{
	if (sc_ws_queue_depth(c->queue) || lws_partial_buffered(c->wsi)) {
		lws_callback_on_writable(c->wsi);
		return;
	}
	c->waiting_since_ns = 0;
	if (c->joined && c->need_keyframe)
		sc_ws_client_ask_keyframe(c, sc_now_ns()); /* caught up */
	if (c->subscribed)
		sc_ws_server_feed_pump(c->srv); /* room again: the feed's backlog goes on */
}

void sc_ws_client_close(struct sc_ws_client *c, int code, const char *reason)
{
	if (c->close_code || c->killed)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	sc_ws_server_count_close(c->srv, code);
	sc_info("ws: closing client %u (%s) with %d: %s", c->id, c->peer, code, reason);
	lws_callback_on_writable(c->wsi);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, SC_WS_CLOSE_GRACE_S);
}

void sc_ws_client_kill(struct sc_ws_client *c, const char *why)
{
	if (c->killed)
		return;
	c->killed = true;
	sc_warn("ws: disconnecting client %u (%s): %s", c->id, c->peer, why);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void sc_ws_client_housekeeping(struct sc_ws_client *c, uint64_t now_ns)
{
	const struct sc_ws_server_config *cfg = &c->srv->cfg;
	if (c->killed)
		return;
	if (c->waiting_since_ns &&
	    now_ns - c->waiting_since_ns > (uint64_t)cfg->stall_disconnect_ms * NS_PER_MS) {
		char why[160];
		snprintf(why, sizeof(why),
		         "stalled: nothing could be written for %u ms (%u messages, %zu video bytes queued)",
		         cfg->stall_disconnect_ms, sc_ws_queue_depth(c->queue), c->queue->video_bytes);
		c->srv->stats.stall_disconnects++;
		sc_ws_client_kill(c, why);
		return;
	}
	if (!c->joined && !c->subscribed && !c->close_code &&
	    now_ns - c->connected_ns > (uint64_t)cfg->join_timeout_ms * NS_PER_MS) {
		sc_ws_client_close(c, SC_WS_CLOSE_JOIN_TIMEOUT, "no join message in time");
		return;
	}
	sc_ws_figures_housekeeping(c, now_ns);
	/* still waiting for a keyframe after a request: ask again */
	if (c->joined && c->need_keyframe && !c->waiting_since_ns)
		sc_ws_client_ask_keyframe(c, now_ns);
}
