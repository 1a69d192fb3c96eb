/* The service thread's housekeeping timer, every SC_WS_TICK_MS: a timerfd
 * adopted into the lws event loop as a raw file (lws closes it with its wsi,
 * at context destroy at the latest).
 *
 * Why not lws_sul_schedule(): lws 4.1 hands poll() the time to the next sul
 * in whole milliseconds, rounded down, so in the last millisecond before a
 * sul is due it polls with timeout 0 again and again, each time a poll() over
 * every socket. With 32 clients that was about 6,000 of the service thread's
 * 7,201 poll() calls in 5 s (perf stat), and 12 % of its CPU. A timerfd wakes
 * poll() once, on time. Where adopting it fails, the sul is the fallback.
 *
 * While frames flow, housekeeping rides on their hand-off wakes instead
 * (sc_ws_tick_ride): the timer is one-shot, re-armed SC_WS_TICK_MS * 3/2
 * after each run, and a wake SC_WS_TICK_MS after the last run does it
 * instead; with wakes less than 37.5 ms apart (frames above about 27 fps)
 * the timer does not fire once housekeeping has ridden on a wake. At 60 fps
 * and 32 clients that is 20 fewer wakes a second, each a poll() over every
 * socket and a read().
 *
 * The protocol is no WebSocket one: an upgrade that names it is refused (lws
 * takes the first name it knows from the client's list, so a list that
 * starts with this name is refused too). */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "net/ws/ws_internal.h"
#include "util/clock.h"
#include "util/log.h"

_Static_assert(SC_WS_TICK_MS > 0 && SC_WS_TICK_MS < 1000, "the housekeeping period is under a second");

#define TICK_NS ((uint64_t)SC_WS_TICK_MS * 1000000ull)
#define BACKSTOP_NS (TICK_NS * 3 / 2) /* the timer, where no wake came */

static bool arm(int fd)
{
	struct itimerspec its = {.it_value = {.tv_sec = (time_t)(BACKSTOP_NS / 1000000000ull),
	                                      .tv_nsec = (long)(BACKSTOP_NS % 1000000000ull)}};
	return timerfd_settime(fd, 0, &its, NULL) == 0;
}

static void housekeeping(struct sc_ws_server *srv, uint64_t now)
{
	srv->housekeeping_ns = now;
	srv->housekeeping_runs++;
	if (srv->tick_wsi && !arm(srv->tick_fd))
		sc_warn("ws: re-arming the housekeeping timer: %s", strerror(errno));
	for (struct sc_ws_client *c = srv->clients; c; c = c->next)
		sc_ws_client_housekeeping(c, now);
	sc_ws_server_feed_pump(srv);
}

bool sc_ws_tick_ride(struct sc_ws_server *srv)
{
	uint64_t now = sc_now_ns();
	if (!srv->tick_wsi || now - srv->housekeeping_ns < TICK_NS)
		return false;
	housekeeping(srv, now);
	return true;
}

static void sul_tick(lws_sorted_usec_list_t *sul)
{
	struct sc_ws_server *srv = lws_container_of(sul, struct sc_ws_server, sul_tick);
	housekeeping(srv, sc_now_ns());
	lws_sul_schedule(srv->ctx, 0, &srv->sul_tick, sul_tick, SC_WS_TICK_MS * LWS_US_PER_MS);
}

int sc_ws_tick_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE: {
		struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
		uint64_t expirations;
		ssize_t n = read(srv->tick_fd, &expirations, sizeof(expirations));
		if (n == (ssize_t)sizeof(expirations)) {
			srv->housekeeping_timer_runs++;
			housekeeping(srv, sc_now_ns());
		}
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			sc_warn("ws: reading the housekeeping timer: %s", strerror(errno));
		return 0;
	}
	case LWS_CALLBACK_RAW_CLOSE_FILE: {
		/* lws closes the adopted fd itself (the wsi's descriptor) */
		struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
		srv->tick_wsi = NULL;
		srv->tick_fd = -1;
		if (!srv->destroying) {
			sc_warn("ws: libwebsockets closed the housekeeping timer; housekeeping runs on an lws timer now");
			lws_sul_schedule(srv->ctx, 0, &srv->sul_tick, sul_tick, SC_WS_TICK_MS * LWS_US_PER_MS);
		}
		return 0;
	}
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
		/* a WebSocket upgrade that asked for this protocol by its name:
		 * it is the timer's, not a client's */
		return -1;
	default:
		return 0;
	}
}

void sc_ws_tick_start(struct sc_ws_server *srv)
{
	const char *why = NULL;
	srv->housekeeping_ns = sc_now_ns();
	srv->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv->tick_fd < 0) {
		why = strerror(errno);
	} else if (!arm(srv->tick_fd)) {
		why = strerror(errno);
	} else {
		lws_sock_file_fd_type u = {.filefd = srv->tick_fd};
		srv->tick_wsi = lws_adopt_descriptor_vhost(srv->vhost, LWS_ADOPT_RAW_FILE_DESC, u,
		                                           SC_WS_TICK_PROTOCOL, NULL);
		if (srv->tick_wsi)
			return; /* lws owns the fd from here and closes it with the wsi */
		why = "libwebsockets did not adopt it";
	}
	sc_warn("ws: no timerfd in the event loop (%s); housekeeping runs on an lws timer, which polls "
	        "without sleeping for up to 1 ms before each tick", why);
	if (srv->tick_fd >= 0)
		close(srv->tick_fd); /* not adopted: still ours */
	srv->tick_fd = -1;
	lws_sul_schedule(srv->ctx, 0, &srv->sul_tick, sul_tick, SC_WS_TICK_MS * LWS_US_PER_MS);
}

void sc_ws_tick_finish(struct sc_ws_server *srv)
{
	/* lws closed an adopted fd with its wsi (RAW_CLOSE_FILE set -1); one it
	 * still holds here was never closed by it */
	if (srv->tick_fd >= 0)
		close(srv->tick_fd);
	srv->tick_fd = -1;
}
