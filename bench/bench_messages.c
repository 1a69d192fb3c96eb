/* `shadowcast bench messages`: game -> client latency of each non-video
 * message type (event, haptic, chat, notice, audio), p50/p99, in one process:
 *
 *  real path: a "game" thread writes each message into its typed message ring
 *    (session/msg_ring.c on an SPSC ring, the arena's record format: header
 *    with tick and timestamp, then the payload), a dispatch thread reads the
 *    rings (polling every --poll-us) and hands each message to the real
 *    WebSocket server (net/ws: sc_ws_server_publish_event, send_to_player,
 *    broadcast, publish_audio: the hand-off to the service thread, the
 *    per-client priority queue, lws_write) on 127.0.0.1, and a loopback
 *    WebSocket client (a minimal RFC 6455 reader on a plain socket, joined as
 *    player 0 with "audio": true) takes it off its socket;
 *  baseline: the same bytes (the JSON text a client receives; the audio
 *    packet with its 48-byte header) written by the game thread straight into
 *    an AF_UNIX socketpair and read by a thread on the other end.
 *
 * Latency: the game thread's sc_now_ns() when it writes the message (carried
 * in the message: "bench_ns" in the JSON, capture_ns in the audio header) to
 * the client's sc_now_ns() after the whole message is read. What it leaves
 * out: the primary's GPU tick that makes the message, the encoder process's
 * wait for the video frame of the message's tick (events and haptics are
 * held for it: up to one frame interval by design), Opus encoding (the audio
 * payload is a 160-byte stand-in for a 20 ms packet at 64 kbit/s), and the
 * formatting in server/game_events.c (bench/ may not use server/: the JSON
 * here has the same shape). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_report.h"
#include "net/ws/ws_server.h"
#include "session/msg_ring.h"
#include "session/shm/game_msg.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/stats.h"

enum mtype { M_EVENT, M_HAPTIC, M_CHAT, M_NOTICE, M_AUDIO, M_TYPES };
static const char *const type_names[M_TYPES] = { "event", "haptic", "chat", "notice", "audio" };
static const uint16_t ring_types[M_TYPES] = { SC_MSG_EVENT, SC_MSG_HAPTIC, SC_MSG_CHAT, SC_MSG_NOTICE, SC_MSG_AUDIO };
#define AUDIO_PACKET 160
#define RING_BYTES (64u * 1024)
#define MAX_MSG (64u * 1024)
#define CHAT_TEXT "nice shot, well played"

struct lat {
	double *us;
	atomic_uint n;
};

struct bench_msgs {
	uint32_t count, interval_us, poll_us;
	bool json;
	struct sc_ws_server *srv;
	struct sc_msg_ring prod[M_TYPES], cons[M_TYPES];
	void *ring_mem[M_TYPES];
	atomic_bool stop_dispatch, client_ready, client_stop;
	struct lat lat[M_TYPES];
	int client_fd;
	uint64_t audio_packets;
	/* messages the product dropped where it counts a drop (a full ring, the
	 * hand-off to a service thread that is behind): not lost, overloaded */
	atomic_uint dropped[M_TYPES];
};

/* The JSON a client receives for message type t (what the dispatch thread
 * hands to the server, with the envelope the server adds for events). */
static int format_json(enum mtype t, uint32_t tick, uint64_t ns, char *buf, size_t len, bool envelope)
{
	switch (t) {
	case M_EVENT:
		return snprintf(buf, len, "%s{\"kind\":\"wall_bounce\",\"tick\":%u,\"bench_ns\":%llu}%s",
		                envelope ? "{\"type\":\"event\",\"event\":" : "", tick, (unsigned long long)ns,
		                envelope ? "}" : "");
	case M_HAPTIC:
		return snprintf(buf, len, "{\"type\":\"haptic\",\"tick\":%u,\"reason\":\"hit\",\"duration_ms\":80,"
		                "\"strong\":0.5,\"weak\":0.25,\"bench_ns\":%llu}", tick, (unsigned long long)ns);
	case M_CHAT:
		return snprintf(buf, len, "{\"type\":\"chat\",\"tick\":%u,\"player\":0,\"text\":\"" CHAT_TEXT "\","
		                "\"bench_ns\":%llu}", tick, (unsigned long long)ns);
	case M_NOTICE:
		return snprintf(buf, len, "{\"type\":\"notice\",\"notice\":{\"kind\":\"match_start\",\"tick\":%u,"
		                "\"restored\":false},\"bench_ns\":%llu}", tick, (unsigned long long)ns);
	default:
		return -1;
	}
}

/* The game's payload of type t (what the primary writes into the ring). */
static uint32_t game_payload(enum mtype t, uint32_t tick, uint8_t *p)
{
	switch (t) {
	case M_EVENT: {
		struct sc_game_event_msg e = { .kind = SC_GAME_EVENT_WALL_BOUNCE, .player = -1 };
		memcpy(p, &e, sizeof(e));
		return sizeof(e);
	}
	case M_HAPTIC: {
		struct sc_haptic_msg h = { .player = 0, .reason = SC_HAPTIC_HIT, .duration_ms = 80, .strong = 500, .weak = 250 };
		memcpy(p, &h, sizeof(h));
		return sizeof(h);
	}
	case M_CHAT: {
		struct sc_chat_msg c = { .player = 0, .len = sizeof(CHAT_TEXT) - 1 };
		memcpy(c.text, CHAT_TEXT, sizeof(CHAT_TEXT) - 1);
		memcpy(p, &c, sizeof(c));
		return sizeof(c);
	}
	case M_NOTICE: {
		struct sc_notice_msg n = { .kind = SC_NOTICE_MATCH_START };
		memcpy(p, &n, sizeof(n));
		return sizeof(n);
	}
	default:
		for (uint32_t i = 0; i < AUDIO_PACKET; i++)
			p[i] = (uint8_t)(tick + i);
		return AUDIO_PACKET;
	}
}

static uint32_t payload_max(enum mtype t)
{
	switch (t) {
	case M_EVENT: return sizeof(struct sc_game_event_msg);
	case M_HAPTIC: return sizeof(struct sc_haptic_msg);
	case M_CHAT: return sizeof(struct sc_chat_msg);
	case M_NOTICE: return sizeof(struct sc_notice_msg);
	default: return AUDIO_PACKET;
	}
}

static void record(struct lat *l, uint32_t max, uint64_t sent_ns)
{
	uint64_t now = sc_now_ns();
	unsigned i = atomic_load(&l->n);
	if (i < max && now >= sent_ns) {
		l->us[i] = (double)(now - sent_ns) / 1e3;
		atomic_store(&l->n, i + 1);
	}
}

/* One received message: its type and the game's send time. */
static bool classify(const uint8_t *p, size_t len, bool binary, enum mtype *t, uint64_t *ns)
{
	if (binary) {
		if (len < SC_WS_AUDIO_HEADER_BYTES || p[0] != 'S' || p[1] != 'C' || p[2] != 'A' || p[3] != '1')
			return false;
		uint64_t v = 0;
		for (int i = 7; i >= 0; i--)
			v = (v << 8) | p[24 + i];
		*t = M_AUDIO;
		*ns = v;
		return true;
	}
	static const char *const prefix[] = { "{\"type\":\"event\"", "{\"type\":\"haptic\"", "{\"type\":\"chat\"",
	                                      "{\"type\":\"notice\"" };
	int found = -1;
	for (int i = 0; i < 4 && found < 0; i++)
		if (len >= strlen(prefix[i]) && memcmp(p, prefix[i], strlen(prefix[i])) == 0)
			found = i;
	if (found < 0)
		return false;
	const char *b = memmem(p, len, "\"bench_ns\":", 11);
	if (!b)
		return false;
	*t = (enum mtype)found;
	*ns = strtoull(b + 11, NULL, 10);
	return true;
}

/* --- the real path ---------------------------------------------------------- */

static void dispatch_one(void *ud, const struct sc_msg_header *h, const void *payload)
{
	struct bench_msgs *b = ud;
	char json[512];
	enum mtype t = M_TYPES;
	for (int i = 0; i < M_TYPES; i++)
		if (ring_types[i] == h->type)
			t = (enum mtype)i;
	switch (t) {
	case M_EVENT:
		format_json(t, h->tick, h->timestamp_ns, json, sizeof(json), false);
		if (!sc_ws_server_publish_event(b->srv, json))
			atomic_fetch_add(&b->dropped[t], 1);
		break;
	case M_HAPTIC:
		format_json(t, h->tick, h->timestamp_ns, json, sizeof(json), true);
		if (!sc_ws_server_send_to_player(b->srv, 0, json))
			atomic_fetch_add(&b->dropped[t], 1);
		break;
	case M_CHAT:
	case M_NOTICE:
		format_json(t, h->tick, h->timestamp_ns, json, sizeof(json), true);
		if (!sc_ws_server_broadcast(b->srv, json))
			atomic_fetch_add(&b->dropped[t], 1);
		break;
	case M_AUDIO: {
		struct sc_audio_meta meta = {
			.tick = h->tick, .sample_pos = (uint64_t)h->tick * 960, .capture_ns = h->timestamp_ns,
			.packet_number = b->audio_packets++, .sample_rate = 48000, .channels = 1, .samples = 960,
		};
		if (!sc_ws_server_publish_audio(b->srv, &meta, payload, h->payload_len))
			atomic_fetch_add(&b->dropped[t], 1);
		break;
	}
	default:
		break;
	}
}

static void *dispatch_thread(void *ud)
{
	struct bench_msgs *b = ud;
	struct timespec poll = { .tv_nsec = (long)b->poll_us * 1000 };
	while (!atomic_load(&b->stop_dispatch)) {
		size_t n = 0;
		for (int t = 0; t < M_TYPES; t++)
			n += sc_msg_ring_read(&b->cons[t], dispatch_one, b, 64);
		if (!n)
			nanosleep(&poll, NULL);
	}
	return NULL;
}

static void *service_thread(void *ud)
{
	sc_ws_server_run(ud);
	return NULL;
}

static bool read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* A masked client text frame (RFC 6455 5.3; the mask may be any value). */
static bool ws_send_text(int fd, const char *text)
{
	size_t len = strlen(text);
	uint8_t frame[256];
	if (len > 125 || len + 6 > sizeof(frame))
		return false;
	const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	frame[0] = 0x81;
	frame[1] = (uint8_t)(0x80 | len);
	memcpy(frame + 2, mask, 4);
	for (size_t i = 0; i < len; i++)
		frame[6 + i] = (uint8_t)text[i] ^ mask[i % 4];
	return write_full(fd, frame, len + 6);
}

/* Connects, upgrades, joins as player 0 with audio. */
static int ws_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		sc_err("bench messages: connect to 127.0.0.1:%u: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char req[512];
	int n = snprintf(req, sizeof(req),
	                 "GET " SC_WS_PATH " HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
	                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " SC_WS_SUBPROTOCOL "\r\n\r\n",
	                 port);
	char resp[2048];
	size_t got = 0;
	if (!write_full(fd, req, (size_t)n))
		goto fail;
	while (got < sizeof(resp) - 1) {
		ssize_t r = read(fd, resp + got, 1); /* byte by byte: nothing after the headers is consumed */
		if (r <= 0)
			goto fail;
		got++;
		resp[got] = '\0';
		if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
		sc_err("bench messages: the upgrade was refused: %.80s", resp);
		goto fail;
	}
	if (!ws_send_text(fd, "{\"type\":\"join\",\"player\":0,\"audio\":true}"))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void *client_thread(void *ud)
{
	struct bench_msgs *b = ud;
	uint8_t *buf = malloc(MAX_MSG);
	while (buf && !atomic_load(&b->client_stop)) {
		uint8_t h[2];
		if (!read_full(b->client_fd, h, 2))
			break;
		uint64_t len = h[1] & 0x7f;
		uint8_t ext[8];
		if (len == 126) {
			if (!read_full(b->client_fd, ext, 2))
				break;
			len = (uint64_t)ext[0] << 8 | ext[1];
		} else if (len == 127) {
			if (!read_full(b->client_fd, ext, 8))
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | ext[i];
		}
		if (len > MAX_MSG || !read_full(b->client_fd, buf, (size_t)len))
			break;
		int op = h[0] & 0x0f;
		if (op == 8)
			break;
		if (op == 1 && len > 16 && memcmp(buf, "{\"type\":\"hello\"", 15) == 0) {
			atomic_store(&b->client_ready, true);
			continue;
		}
		enum mtype t;
		uint64_t ns;
		if ((op == 1 || op == 2) && classify(buf, (size_t)len, op == 2, &t, &ns))
			record(&b->lat[t], b->count, ns);
	}
	free(buf);
	return NULL;
}

/* --- the baseline --------------------------------------------------------- */

struct pair_reader {
	struct bench_msgs *b;
	int fd;
};

static void *pair_thread(void *ud)
{
	struct pair_reader *pr = ud;
	uint8_t *buf = malloc(MAX_MSG);
	for (;;) {
		uint32_t hdr[2]; /* length, binary */
		if (!buf || !read_full(pr->fd, hdr, sizeof(hdr)) || hdr[0] == 0 || hdr[0] > MAX_MSG ||
		    !read_full(pr->fd, buf, hdr[0]))
			break;
		enum mtype t;
		uint64_t ns;
		if (classify(buf, hdr[0], hdr[1] != 0, &t, &ns))
			record(&pr->b->lat[t], pr->b->count, ns);
	}
	free(buf);
	return NULL;
}

static void pace(uint64_t next_ns)
{
	while (sc_now_ns() < next_ns) {
		uint64_t left = next_ns - sc_now_ns();
		if (left > 200000) {
			struct timespec ts = { .tv_nsec = (long)(left - 100000) };
			nanosleep(&ts, NULL);
		}
	}
}

static void reset_lat(struct bench_msgs *b)
{
	for (int t = 0; t < M_TYPES; t++) {
		atomic_store(&b->lat[t].n, 0);
		atomic_store(&b->dropped[t], 0);
	}
}

static bool all_received(struct bench_msgs *b)
{
	for (int t = 0; t < M_TYPES; t++)
		if (atomic_load(&b->lat[t].n) + atomic_load(&b->dropped[t]) < b->count)
			return false;
	return true;
}

static void wait_received(struct bench_msgs *b, uint32_t ms)
{
	uint64_t end = sc_now_ns() + (uint64_t)ms * 1000000ull;
	while (!all_received(b) && sc_now_ns() < end)
		usleep(1000);
}

static void add_rows(struct bench_msgs *b, struct sc_bench_report *rep, const char *suffix)
{
	for (int t = 0; t < M_TYPES; t++) {
		char name[48];
		unsigned n = atomic_load(&b->lat[t].n);
		snprintf(name, sizeof(name), "%s%s", type_names[t], suffix);
		struct sc_bench_row *row = sc_bench_report_row(rep, name);
		sc_bench_row_set(row, "p50_us", sc_percentile(b->lat[t].us, n, 50));
		sc_bench_row_set(row, "p99_us", sc_percentile(b->lat[t].us, n, 99));
		sc_bench_row_set(row, "samples", n);
		sc_bench_row_set(row, "lost", (double)(b->count - n));
		sc_bench_row_set(row, "dropped", (double)atomic_load(&b->dropped[t]));
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: shadowcast bench messages [--json] [--count N] [--interval-us U] [--poll-us P]\n"
	             "  --count        messages of each type (default 1000)\n"
	             "  --interval-us  between two messages the game writes (default 400)\n"
	             "  --poll-us      the dispatch thread's sleep when every ring is empty (default 50)\n");
}

static bool parse(struct bench_msgs *b, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"count", required_argument, NULL, 'n'},
		{"interval-us", required_argument, NULL, 'i'}, {"poll-us", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	b->count = 1000;
	b->interval_us = 400;
	b->poll_us = 50;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': b->json = true; break;
		case 'n':
			if (!sc_parse_u32(optarg, 10, 1000000, &b->count)) {
				fprintf(stderr, "bench messages: --count must be 10..1000000\n");
				return false;
			}
			break;
		case 'i':
			if (!sc_parse_u32(optarg, 10, 1000000, &b->interval_us)) {
				fprintf(stderr, "bench messages: --interval-us must be 10..1000000\n");
				return false;
			}
			break;
		case 'p':
			if (!sc_parse_u32(optarg, 1, 100000, &b->poll_us)) {
				fprintf(stderr, "bench messages: --poll-us must be 1..100000\n");
				return false;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return false;
		}
	}
	return true;
}

int sc_bench_messages(int argc, char **argv)
{
	struct bench_msgs *b = calloc(1, sizeof(*b));
	struct sc_bench_report *rep = calloc(1, sizeof(*rep));
	char webroot[] = "/tmp/sc-bench-messages-XXXXXX";
	pthread_t service, dispatch, client, pair;
	bool webroot_made = false, service_up = false, dispatch_up = false, client_up = false;
	int rc = 1, sp[2] = { -1, -1 };

	if (!b || !rep || !parse(b, argc, argv)) {
		rc = b && rep ? 2 : 1;
		goto out;
	}
	b->client_fd = -1;
	sc_bench_report_init(rep, "messages");
	for (int t = 0; t < M_TYPES; t++) {
		size_t size = sc_msg_ring_block_size(RING_BYTES);
		b->lat[t].us = calloc(b->count, sizeof(double));
		b->ring_mem[t] = aligned_alloc(64, (size + 63) & ~(size_t)63);
		if (!b->lat[t].us || !b->ring_mem[t])
			goto out;
		memset(b->ring_mem[t], 0, size);
		if (!sc_msg_ring_format(b->ring_mem[t], size, ring_types[t], payload_max((enum mtype)t)) ||
		    !sc_msg_ring_attach(&b->prod[t], b->ring_mem[t], size, ring_types[t], payload_max((enum mtype)t)) ||
		    !sc_msg_ring_attach(&b->cons[t], b->ring_mem[t], size, ring_types[t], payload_max((enum mtype)t))) {
			sc_err("bench messages: cannot set up the %s ring", type_names[t]);
			goto out;
		}
	}
	if (!mkdtemp(webroot)) {
		sc_err("bench messages: mkdtemp: %s", strerror(errno));
		goto out;
	}
	webroot_made = true;
	struct sc_ws_server_config cfg = {
		.listen_addr = "127.0.0.1", .port = 0, .web_root = webroot, .width = 1280, .height = 720, .fps = 60,
		.max_clients = 4, .max_players = 2,
		.audio = { .codec = "opus", .sample_rate = 48000, .channels = 1, .frame_samples = 960,
		           .lookahead_samples = 312 },
		.encoder_name = "none (bench messages)",
	};
	b->srv = sc_ws_server_create(&cfg);
	if (!b->srv)
		goto out;
	if (pthread_create(&service, NULL, service_thread, b->srv) != 0)
		goto out;
	service_up = true;
	if (pthread_create(&dispatch, NULL, dispatch_thread, b) != 0)
		goto out;
	dispatch_up = true;
	b->client_fd = ws_connect(sc_ws_server_port(b->srv));
	if (b->client_fd < 0 || pthread_create(&client, NULL, client_thread, b) != 0)
		goto out;
	client_up = true;
	for (int i = 0; i < 5000 && !atomic_load(&b->client_ready); i++)
		usleep(1000);
	if (!atomic_load(&b->client_ready)) {
		sc_err("bench messages: the loopback client got no hello");
		goto out;
	}
	fprintf(stderr, "bench messages: %u messages of each of %d types, one every %u us; WebSocket on port %u\n",
	        b->count, M_TYPES, b->interval_us, sc_ws_server_port(b->srv));

	/* the real path: ring -> dispatch -> WebSocket */
	uint8_t payload[SC_MSG_PAYLOAD_MAX];
	uint64_t next = sc_now_ns();
	for (uint32_t i = 0; i < b->count; i++) {
		for (int t = 0; t < M_TYPES; t++) {
			next += (uint64_t)b->interval_us * 1000;
			pace(next);
			uint32_t len = game_payload((enum mtype)t, i, payload);
			if (!sc_msg_ring_write(&b->prod[t], i, sc_now_ns(), SC_MSG_PRIORITY_MAX / 2, 0, payload, len)) {
				sc_warn("bench messages: the %s ring is full", type_names[t]);
				atomic_fetch_add(&b->dropped[t], 1);
			}
		}
	}
	wait_received(b, 5000);
	add_rows(b, rep, "");

	/* the baseline: the same bytes through a socketpair */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		sc_err("bench messages: socketpair: %s", strerror(errno));
		goto out;
	}
	reset_lat(b);
	struct pair_reader pr = { .b = b, .fd = sp[1] };
	if (pthread_create(&pair, NULL, pair_thread, &pr) != 0)
		goto out;
	next = sc_now_ns();
	bool pair_ok = true;
	for (uint32_t i = 0; i < b->count && pair_ok; i++) {
		for (int t = 0; t < M_TYPES && pair_ok; t++) {
			next += (uint64_t)b->interval_us * 1000;
			pace(next);
			uint8_t msg[SC_WS_AUDIO_HEADER_BYTES + AUDIO_PACKET + 1024];
			uint32_t hdr[2] = { 0, t == M_AUDIO };
			uint64_t now = sc_now_ns();
			if (t == M_AUDIO) {
				struct sc_audio_meta meta = { .tick = i, .sample_pos = (uint64_t)i * 960, .capture_ns = now,
				                              .packet_number = i, .sample_rate = 48000, .channels = 1,
				                              .samples = 960 };
				sc_ws_audio_header_pack(msg, &meta);
				hdr[0] = SC_WS_AUDIO_HEADER_BYTES + game_payload(M_AUDIO, i, msg + SC_WS_AUDIO_HEADER_BYTES);
			} else {
				hdr[0] = (uint32_t)format_json((enum mtype)t, i, now, (char *)msg, sizeof(msg), true);
			}
			uint8_t out_buf[sizeof(hdr) + sizeof(msg)];
			memcpy(out_buf, hdr, sizeof(hdr));
			memcpy(out_buf + sizeof(hdr), msg, hdr[0]);
			pair_ok = write_full(sp[0], out_buf, sizeof(hdr) + hdr[0]);
		}
	}
	wait_received(b, 5000);
	close(sp[0]);
	sp[0] = -1;
	pthread_join(pair, NULL);
	add_rows(b, rep, "_socketpair");
	rc = sc_bench_report_print(rep, b->json, stdout) ? 0 : 1;
out:
	if (b && dispatch_up) {
		atomic_store(&b->stop_dispatch, true);
		pthread_join(dispatch, NULL);
	}
	if (b && client_up) {
		atomic_store(&b->client_stop, true);
		shutdown(b->client_fd, SHUT_RDWR);
		pthread_join(client, NULL);
	}
	if (b && b->client_fd >= 0)
		close(b->client_fd);
	if (b && service_up) {
		sc_ws_server_stop(b->srv);
		pthread_join(service, NULL);
	}
	if (b && b->srv)
		sc_ws_server_destroy(b->srv);
	if (webroot_made)
		rmdir(webroot);
	for (int i = 0; i < 2; i++)
		if (sp[i] >= 0)
			close(sp[i]);
	if (b)
		for (int t = 0; t < M_TYPES; t++) {
			free(b->lat[t].us);
			free(b->ring_mem[t]);
		}
	free(b);
	free(rep);
	return rc;
}
