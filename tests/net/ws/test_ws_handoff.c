/* The publish -> service hand-off (net/ws/ws_server.c hand_off): with the
 * service thread not draining (starved, or here never run), events, chat and
 * notices keep their own room (SC_WS_PENDING_MAX) instead of the 64 slots
 * video and audio may take; past it, a dropped text message is counted
 * (shadowcast_ws_handoff_dropped_total), never lost silently. In one CI run a
 * starved service thread dropped a game event after 64 with only a log line. */
#include <stdio.h>
#include <stdlib.h>

#include "net/ws/ws_internal.h"
#include "net/ws/ws_server.h"

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
	uint32_t accepted = 0;
	for (int i = 0; i < SC_WS_PENDING_MAX + 10; i++) {
		char json[64];
		snprintf(json, sizeof(json), "{\"kind\":\"wall_bounce\",\"tick\":%d}", i);
		accepted += i % 2 ? sc_ws_server_publish_event(srv, json) : sc_ws_server_broadcast(srv, "{\"type\":\"chat\"}");
	}
	CHECK(accepted == SC_WS_PENDING_MAX, "every text message up to the hand-off's room taken: %u of %d", accepted,
	      SC_WS_PENDING_MAX);
	CHECK(SC_WS_PENDING_MAX >= 16 * SC_WS_PENDING_MEDIA, "text messages have far more room than media");
	CHECK(atomic_load(&srv->handoff_dropped) == 10, "the 10 past it counted: %llu",
	      (unsigned long long)atomic_load(&srv->handoff_dropped));
	sc_ws_server_destroy(srv);
	if (failures) {
		fprintf(stderr, "ws_handoff: %d failures\n", failures);
		return 1;
	}
	printf("ws_handoff: ok\n");
	return 0;
}
