/* Audio goes through the publish -> service hand-off only while a joined
 * client asked for it ("audio": true). Before, any joined client was enough:
 * with 32 spectators that wanted video only, every 20 ms Opus packet was
 * copied and woke the service thread for nothing, a poll() over every socket
 * (bench pipeline's fan-out rows measured it). */
#include <stdio.h>
#include <stdlib.h>

#include "net/ws/ws_internal.h"
#include "net/ws/ws_server.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static uint32_t pending(struct sc_ws_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	uint32_t n = srv->npending;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

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
	const uint8_t packet[40] = {0xf8};
	struct sc_audio_meta meta = {.tick = 1, .sample_rate = 48000, .channels = 1, .samples = 960};

	/* the service thread never runs here: what is handed off stays pending */
	CHECK(sc_ws_server_publish_audio(srv, &meta, packet, sizeof(packet)), "nobody joined: accepted");
	CHECK(pending(srv) == 0, "nobody joined: nothing handed off (%u)", pending(srv));

	atomic_store(&srv->joined_clients, 3); /* three spectators, video only */
	meta.packet_number++;
	CHECK(sc_ws_server_publish_audio(srv, &meta, packet, sizeof(packet)), "video-only clients: accepted");
	CHECK(pending(srv) == 0, "video-only clients: nothing handed off (%u)", pending(srv));

	atomic_store(&srv->audio_clients, 1); /* one of them listens */
	meta.packet_number++;
	CHECK(sc_ws_server_publish_audio(srv, &meta, packet, sizeof(packet)), "a listener: accepted");
	CHECK(pending(srv) == 1, "a listener: the packet handed off (%u)", pending(srv));
	CHECK(atomic_load(&srv->audio_published) == 3, "every packet counted as published: %llu",
	      (unsigned long long)atomic_load(&srv->audio_published));

	sc_ws_server_destroy(srv);
	if (failures) {
		fprintf(stderr, "ws_audio_handoff: %d failures\n", failures);
		return 1;
	}
	printf("ws_audio_handoff: ok\n");
	return 0;
}
