/* The service thread's housekeeping timer is a timerfd in the event loop
 * (net/ws/ws_tick.c), not an lws timer: lws 4.1 polls with timeout 0 in the
 * last millisecond before a timer is due, and at 32 clients that spin was
 * most of the service thread's poll() calls. Checks the timerfd is adopted
 * and that housekeeping runs from it, every SC_WS_TICK_MS; and that while
 * hand-off wakes come (frames), housekeeping rides on them and the timer
 * does not wake the loop as well. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "net/ws/ws_internal.h"
#include "net/ws/ws_server.h"
#include "util/clock.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

int main(void)
{
	struct sc_ws_server_config cfg = {
		.listen_addr = "127.0.0.1", .web_root = "/tmp", .max_clients = 4, .max_players = 2,
		.width = 320, .height = 240, .fps = 30,
	};
	struct sc_ws_server *srv = sc_ws_server_create(&cfg);
	CHECK(srv != NULL, "server created");
	if (!srv)
		return 1;
	CHECK(srv->tick_fd >= 0 && srv->tick_wsi != NULL, "the housekeeping timerfd is in the event loop (fd %d)",
	      srv->tick_fd);
	/* bounded: 5 s for 3 ticks of 50 ms */
	uint64_t deadline = sc_now_ns() + 5000000000ull;
	while (srv->housekeeping_runs < 3 && sc_now_ns() < deadline)
		lws_service(srv->ctx, 0);
	CHECK(srv->housekeeping_runs >= 3, "housekeeping ran from the timer: %llu times",
	      (unsigned long long)srv->housekeeping_runs);
	CHECK(srv->housekeeping_timer_runs == srv->housekeeping_runs, "no wake came: the timer drove every run");

	/* a hand-off wake every 10 ms (frames at 100 fps), 60 of them: the
	 * timer (re-armed SC_WS_TICK_MS * 3/2 after each run) fires only after
	 * a stretch without wakes longer than SC_WS_TICK_MS / 2, which only a
	 * stalled machine makes: such stretches are counted, not assumed away */
	uint64_t runs0 = srv->housekeeping_runs, timer0 = srv->housekeeping_timer_runs, long_gaps = 0;
	uint64_t t0 = sc_now_ns(), last = t0;
	for (int i = 0; i < 60; i++) {
		sc_ws_server_wake(srv);
		lws_service(srv->ctx, 0);
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
		uint64_t now = sc_now_ns();
		if (now - last >= SC_WS_TICK_MS * 1000000ull / 2)
			long_gaps++;
		last = now;
	}
	uint64_t ms = (sc_now_ns() - t0) / 1000000u, runs = srv->housekeeping_runs - runs0,
	         timer = srv->housekeeping_timer_runs - timer0;
	CHECK(runs >= 1, "housekeeping ran %llu times in %llu ms of wakes", (unsigned long long)runs,
	      (unsigned long long)ms);
	CHECK(timer <= long_gaps, "the timer woke housekeeping %llu times while wakes came (%llu stretches of "
	      "%d ms without one)", (unsigned long long)timer, (unsigned long long)long_gaps, SC_WS_TICK_MS / 2);
	printf("ws_tick: %llu runs in %llu ms of wakes, %llu from the timer\n", (unsigned long long)runs,
	       (unsigned long long)ms, (unsigned long long)timer);
	int fd = srv->tick_fd;
	sc_ws_server_destroy(srv);
	/* closed with the server (by lws, with its wsi), and only once: nothing
	 * else opens a descriptor here that a second close could hit */
	CHECK(fd < 0 || (fcntl(fd, F_GETFD) == -1 && errno == EBADF), "the timerfd %d is closed with the server", fd);
	if (failures) {
		fprintf(stderr, "ws_tick: %d failures\n", failures);
		return 1;
	}
	printf("ws_tick: ok\n");
	return 0;
}
