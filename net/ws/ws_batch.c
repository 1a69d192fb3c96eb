/* Batched fan-out writes: right after a hand-off queues a frame, the head of
 * every waiting client's queue is written with one io_uring submission.
 *
 * Why: every video frame goes to every client. Through libwebsockets alone
 * each client's copy costs a poll() wake, a WRITEABLE callback and one
 * send(), and at 32 clients the send()s' entries into and exits from the
 * kernel are a large share of the network thread's CPU (docs/benchmarks.md,
 * `bench pipeline`). One io_uring_enter carries them all.
 *
 * How the WebSocket stream stays whole:
 *  - each send is non-blocking (MSG_DONTWAIT) and ends inside the
 *    submission: nothing is left in flight when the flush returns;
 *  - only clients with nothing buffered in libwebsockets, no ping due, not
 *    closing and whose peer has not sent a close are written here, and only
 *    on plain sockets (over TLS the bytes go through the TLS library); the
 *    others ask for WRITEABLE as before;
 *  - the WebSocket header is written into the message's LWS_PRE headroom,
 *    the same bytes lws_write would put there (a server's frames are
 *    unmasked, so every client's header for one message is the same);
 *  - what a socket does not take (a congested client) goes to
 *    libwebsockets as raw bytes (LWS_WRITE_RAW): lws buffers the rest and
 *    sends it on the next POLLOUT before anything written later, pings and
 *    close frames included.
 * Where io_uring is not allowed (kernel.io_uring_disabled, a seccomp filter)
 * or a submission fails, one log line and the usual path for everyone. */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/ws_internal.h"
#include "util/log.h"

#define SC_WS_BATCH_ENTRIES 256u /* sends per submission; more clients take more submissions */
#define SC_WS_HEADER_MAX 10u     /* FIN/opcode, 127, 64-bit length; a server does not mask */

_Static_assert(LWS_PRE >= SC_WS_HEADER_MAX, "the WebSocket header is written into the LWS_PRE headroom");

struct batch_slot {
	struct sc_ws_client *c;
	struct sc_ws_msg *msg; /* popped from c's queue, ours until written */
	unsigned char *bytes;  /* header + payload */
	size_t len;
	bool done;
};

struct sc_ws_batch {
	struct io_uring ring;
	struct batch_slot slots[SC_WS_BATCH_ENTRIES];
};

struct sc_ws_batch *sc_ws_batch_create(const struct sc_ws_server *srv)
{
	if (srv->cfg.no_io_uring) {
		sc_info("ws: batched writes off (--io-uring off): one send per client per message");
		return NULL;
	}
	if (srv->tls) {
		sc_info("ws: TLS: one write per client per message (batched writes take plain sockets only)");
		return NULL;
	}
	struct sc_ws_batch *b = calloc(1, sizeof(*b));
	if (!b) {
		sc_warn("ws: out of memory for batched writes: one send per client per message");
		return NULL;
	}
	int r = io_uring_queue_init(SC_WS_BATCH_ENTRIES, &b->ring, 0);
	if (r < 0) {
		sc_info("ws: io_uring unavailable (%s): one send per client per message", strerror(-r));
		free(b);
		return NULL;
	}
	sc_info("ws: fan-out writes batched, one io_uring submission per hand-off");
	return b;
}

void sc_ws_batch_destroy(struct sc_ws_batch *b)
{
	if (!b)
		return;
	io_uring_queue_exit(&b->ring);
	free(b);
}

bool sc_ws_batch_active(const struct sc_ws_server *srv)
{
	return srv->batch != NULL;
}

void sc_ws_batch_begin(struct sc_ws_server *srv)
{
	srv->batch_collecting = srv->batch != NULL;
}

/* RFC 6455 5.2 header of an unmasked, final frame before data; returns the
 * first byte of header + payload, *total their length. */
static unsigned char *frame(struct sc_ws_msg *msg, size_t *total)
{
	unsigned char h[SC_WS_HEADER_MAX];
	size_t n, len = msg->len;
	h[0] = 0x80 | (msg->kind == SC_WS_MSG_VIDEO || msg->kind == SC_WS_MSG_AUDIO ? 0x2 : 0x1);
	if (len < 126) {
		h[1] = (unsigned char)len;
		n = 2;
	} else if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		n = 4;
	} else {
		h[1] = 127;
		for (unsigned i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		n = 10;
	}
	memcpy(msg->data - n, h, n);
	*total = n + len;
	return msg->data - n;
}

/* Whether c's next message may go in the batch (see the file's comment). */
static bool eligible(struct sc_ws_client *c)
{
	return !c->killed && !c->closing && !c->peer_closed && !c->close_code && !c->ping_want &&
	       !lws_partial_buffered(c->wsi) && sc_ws_queue_depth(c->queue) > 0;
}

/* One slot's outcome: res bytes of it went (or -errno). */
static void complete(struct sc_ws_server *srv, struct batch_slot *s, int res)
{
	struct sc_ws_client *c = s->c;
	s->done = true;
	if (res < 0 && res != -EAGAIN) {
		sc_warn("ws: client %u: write of %zu bytes failed (%s), closing", c->id, s->msg->len,
		        strerror(-res));
		sc_ws_client_kill(c, "write failed");
		sc_ws_msg_unref(s->msg);
		return;
	}
	size_t sent = res > 0 ? (size_t)res : 0;
	if (sent < s->len) {
		/* congested: lws takes the rest, sends it first at the next POLLOUT */
		int m = lws_write(c->wsi, s->bytes + sent, s->len - sent, LWS_WRITE_RAW);
		if (m < 0 || (size_t)m < s->len - sent) {
			sc_warn("ws: client %u: buffering %zu bytes failed, closing", c->id, s->len - sent);
			sc_ws_client_kill(c, "write failed");
			sc_ws_msg_unref(s->msg);
			return;
		}
		srv->stats.batched_remainders++;
	}
	srv->stats.batched_writes++;
	sc_ws_client_wrote(c, s->msg);
	sc_ws_msg_unref(s->msg);
	sc_ws_client_after_writes(c);
}

/* Submits n prepared slots and completes them; false when io_uring failed
 * (the slots it did not take are completed the usual way). */
static bool submit(struct sc_ws_server *srv, unsigned n)
{
	struct sc_ws_batch *b = srv->batch;
	int r;
	do
		r = io_uring_submit_and_wait(&b->ring, n);
	while (r == -EINTR);
	unsigned submitted = r > 0 ? (unsigned)r : 0;
	srv->stats.batches++;
	for (unsigned i = 0; i < submitted; i++) {
		struct io_uring_cqe *cqe;
		int w;
		do
			w = io_uring_wait_cqe(&b->ring, &cqe);
		while (w == -EINTR);
		if (w < 0) {
			sc_warn("ws: io_uring completion: %s", strerror(-w));
			r = w;
			break;
		}
		struct batch_slot *s = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&b->ring, cqe);
		complete(srv, s, res);
	}
	if (submitted == n && r >= 0)
		return true;
	if (r >= 0)
		r = -EIO;
	sc_warn("ws: io_uring submission failed (%s): one send per client per message from now on", strerror(-r));
	/* The ring takes its entries in order: slots from `submitted` on never
	 * went, lws_write sends or buffers them whole. A submitted slot without
	 * its completion may have gone in part: its client's stream is lost. */
	for (unsigned i = 0; i < n; i++) {
		struct batch_slot *s = &b->slots[i];
		if (s->done)
			continue;
		if (i >= submitted) {
			complete(srv, s, 0);
			continue;
		}
		s->done = true;
		sc_ws_client_kill(s->c, "write lost (io_uring failed)");
		sc_ws_msg_unref(s->msg);
	}
	return false;
}

void sc_ws_batch_flush(struct sc_ws_server *srv)
{
	if (!srv->batch_collecting)
		return;
	srv->batch_collecting = false; /* what is queued from here on (callbacks) asks for WRITEABLE */
	struct sc_ws_batch *b = srv->batch;
	unsigned n = 0;
	bool ok = true;
	for (struct sc_ws_client *c = srv->clients; c; c = c->next) {
		if (!c->batch_want)
			continue;
		c->batch_want = false;
		if (!ok || !eligible(c)) {
			if (!c->killed)
				lws_callback_on_writable(c->wsi);
			continue;
		}
		struct batch_slot *s = &b->slots[n];
		s->msg = sc_ws_queue_pop(c->queue);
		if (!s->msg) { /* depth said otherwise: WRITEABLE sorts it out, as before */
			lws_callback_on_writable(c->wsi);
			continue;
		}
		s->c = c;
		s->done = false;
		s->bytes = frame(s->msg, &s->len);
		/* never NULL: the ring has SC_WS_BATCH_ENTRIES entries and is
		 * submitted when they are all taken */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
		io_uring_prep_send(sqe, lws_get_socket_fd(c->wsi), s->bytes, s->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		io_uring_sqe_set_data(sqe, s);
		if (++n == SC_WS_BATCH_ENTRIES) {
			ok = submit(srv, n);
			n = 0;
		}
	}
	if (n)
		ok = submit(srv, n);
	if (!ok) {
		sc_ws_batch_destroy(srv->batch);
		srv->batch = NULL;
	}
}
