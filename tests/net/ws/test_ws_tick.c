/* The service thread's housekeeping timer is a timerfd in the event loop
 * (net/ws/ws_tick.c), not an lws timer: lws 4.1 polls with timeout 0 in the
 * last millisecond before a timer is due, and at 32 clients that spin was
 * most of the service thread's poll() calls. Checks the timerfd is adopted
 * and that housekeeping runs from it, every SC_WS_TICK_MS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

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
