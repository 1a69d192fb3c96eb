/* ws_test_server: the WebSocket server fed with a moving NV12 test pattern
 * encoded by sc_encoder (libx264), for the e2e and browser tests.
 *
 * stdout (line-buffered), one event per line:
 *   LISTEN port=P url=http://ADDR:P/
 *   JOIN client=C player=N          (N = -1 for spectators)
 *   LEAVE client=C player=N
 *   INPUT client=C player=N action=MOVE|SHOOT|BLOCK a=A b=B seq=S tick=T log_seq=L arrival_ns=NS
 *   INPUT_REJECTED client=C seq=S n=N   (--input-room: the message did not fit, none of it taken)
 *   KEYFRAME_REQUEST
 * Each player is a square in the picture that MOVE inputs steer.
 * Stops on SIGINT/SIGTERM, on stdin EOF with --exit-on-eof, or after --duration. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/encoder/encoder.h"
#include "net/ws/ws_server.h"
#include "util/clock.h"
#include "util/log.h"

#define TICK_HZ 60
#define SQUARE 16

struct harness {
	struct sc_ws_server *srv;
	struct sc_encoder *enc;
	uint32_t width, height, fps, bitrate_kbps, idr_interval;
	double duration_s;
	uint64_t start_ns;
	atomic_bool quit;
	atomic_bool want_idr;
	pthread_mutex_t lock; /* players, counters below */
	struct { int x, y, vx, vy; bool shield; uint32_t shots; } players[SC_MAX_PLAYERS];
	uint64_t inputs, frames, keyframes, keyframe_requests;
	uint64_t input_room; /* --input-room: events it still takes (a full input log); UINT64_MAX = no limit */
	char last_input[160];
	bool srv_alive; /* under lock: srv may still be stopped */
};

static const char *action_name(uint8_t action)
{
	switch (action) {
	case SC_INPUT_MOVE: return "MOVE";
	case SC_INPUT_SHOOT: return "SHOOT";
	case SC_INPUT_BLOCK: return "BLOCK";
	default: return "?";
	}
}

static uint32_t current_tick(struct harness *h)
{
	return (uint32_t)((sc_now_ns() - h->start_ns) * TICK_HZ / 1000000000ull);
}

static bool on_input(void *user, uint32_t client_id, const struct sc_input_event *evs, uint32_t n,
                     uint64_t arrival_ns, struct sc_ws_input_applied *applied)
{
	struct harness *h = user;
	pthread_mutex_lock(&h->lock);
	if (n > h->input_room) {
		/* like the encoder's input log: a message is taken whole or not at all */
		pthread_mutex_unlock(&h->lock);
		printf("INPUT_REJECTED client=%u seq=%u n=%u\n", client_id, evs[0].seq, n);
		return false;
	}
	if (h->input_room != UINT64_MAX)
		h->input_room -= n;
	applied->tick = current_tick(h) + 1;
	applied->log_seq = h->inputs;
	for (uint32_t i = 0; i < n; i++) {
		const struct sc_input_event *ev = &evs[i];
		h->inputs++;
		if (ev->player < SC_MAX_PLAYERS) {
			if (ev->action == SC_INPUT_MOVE) {
				h->players[ev->player].vx = ev->a;
				h->players[ev->player].vy = ev->b;
			} else if (ev->action == SC_INPUT_BLOCK) {
				h->players[ev->player].shield = ev->a;
			} else if (ev->action == SC_INPUT_SHOOT) {
				h->players[ev->player].shots++;
			}
		}
		snprintf(h->last_input, sizeof(h->last_input),
		         "client=\"%u\",player=\"%u\",action=\"%s\",a=\"%d\",b=\"%d\",seq=\"%u\"",
		         client_id, ev->player, action_name(ev->action), ev->a, ev->b, ev->seq);
		printf("INPUT client=%u player=%u action=%s a=%d b=%d seq=%u tick=%u log_seq=%" PRIu64
		       " arrival_ns=%" PRIu64 "\n", client_id, ev->player, action_name(ev->action), ev->a, ev->b,
		       ev->seq, applied->tick, applied->log_seq + i, arrival_ns);
	}
	pthread_mutex_unlock(&h->lock);
	return true;
}

static void on_keyframe_request(void *user)
{
	struct harness *h = user;
	atomic_store(&h->want_idr, true);
	pthread_mutex_lock(&h->lock);
	h->keyframe_requests++;
	pthread_mutex_unlock(&h->lock);
	printf("KEYFRAME_REQUEST\n");
}

static void on_join(void *user, uint32_t client_id, int player)
{
	printf("JOIN client=%u player=%d\n", client_id, player);
}

static void on_leave(void *user, uint32_t client_id, int player, bool disconnected)
{
	(void)disconnected;
	printf("LEAVE client=%u player=%d\n", client_id, player);
}

static size_t metrics_text(void *user, char *buf, size_t len)
{
	struct harness *h = user;
	pthread_mutex_lock(&h->lock);
	int n = snprintf(buf, len,
	                 "# TYPE shadowcast_test_inputs_total counter\n"
	                 "shadowcast_test_inputs_total %" PRIu64 "\n"
	                 "# TYPE shadowcast_test_frames_encoded_total counter\n"
	                 "shadowcast_test_frames_encoded_total %" PRIu64 "\n"
	                 "# TYPE shadowcast_test_keyframes_total counter\n"
	                 "shadowcast_test_keyframes_total %" PRIu64 "\n"
	                 "# TYPE shadowcast_test_last_input gauge\n"
	                 "shadowcast_test_last_input{%s} 1\n",
	                 h->inputs, h->frames, h->keyframes, h->last_input);
	pthread_mutex_unlock(&h->lock);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

/* Moving gradients and a sweeping bar, plus one square per player. */
static void draw(struct harness *h, const struct sc_nv12_frame *f, uint8_t *base, uint64_t n)
{
	for (uint32_t y = 0; y < f->height; y++) {
		uint8_t *row = base + (size_t)y * f->pitch;
		for (uint32_t x = 0; x < f->width; x++)
			row[x] = (uint8_t)(32 + ((x + y + n * 3) & 127));
		uint32_t bar = (uint32_t)((n * 4) % f->width);
		for (uint32_t x = bar; x < bar + 8 && x < f->width; x++)
			row[x] = 235;
	}
	for (uint32_t y = 0; y < f->height / 2; y++) {
		uint8_t *row = base + f->uv_offset + (size_t)y * f->pitch;
		for (uint32_t x = 0; x < f->width / 2; x++) {
			row[2 * x] = (uint8_t)(128 + ((x + n) & 63) - 32);
			row[2 * x + 1] = (uint8_t)(128 + ((y + n / 2) & 63) - 32);
		}
	}
	pthread_mutex_lock(&h->lock);
	for (int p = 0; p < SC_MAX_PLAYERS; p++) {
		int px = h->players[p].x, py = h->players[p].y;
		for (int y = py; y < py + SQUARE && y < (int)f->height; y++)
			memset(base + (size_t)y * f->pitch + px, h->players[p].shield ? 255 : 16, SQUARE);
	}
	pthread_mutex_unlock(&h->lock);
}

static void step_players(struct harness *h)
{
	pthread_mutex_lock(&h->lock);
	for (int p = 0; p < SC_MAX_PLAYERS; p++) {
		int x = h->players[p].x + h->players[p].vx / 16;
		int y = h->players[p].y + h->players[p].vy / 16;
		int maxx = (int)h->width - SQUARE, maxy = (int)h->height - SQUARE;
		h->players[p].x = x < 0 ? 0 : x > maxx ? maxx : x;
		h->players[p].y = y < 0 ? 0 : y > maxy ? maxy : y;
	}
	pthread_mutex_unlock(&h->lock);
}

static void *producer(void *arg)
{
	struct harness *h = arg;
	uint32_t pitch, uv_offset;
	size_t size;
	sc_nv12_layout(h->width, h->height, &pitch, &uv_offset, &size);
	uint8_t *mem = aligned_alloc(4096, size);
	if (!mem) {
		sc_err("test server: out of memory for the frame");
		sc_ws_server_stop(h->srv);
		return NULL;
	}
	memset(mem, 128, size);
	uint64_t period = 1000000000ull / h->fps, next = sc_now_ns();
	for (uint64_t n = 0; !atomic_load(&h->quit); n++) {
		struct sc_nv12_frame f = {
			.base = mem, .size = size, .width = h->width, .height = h->height,
			.pitch = pitch, .uv_offset = uv_offset, .dmabuf_fd = -1, .pts = n,
		};
		step_players(h);
		draw(h, &f, mem, n);
		struct sc_video_meta meta = {
			.frame_number = n, .tick = current_tick(h), .capture_ns = sc_now_ns(),
		};
		struct sc_encoded_packet pkt;
		bool idr = atomic_exchange(&h->want_idr, false);
		if (!sc_encoder_encode(h->enc, &f, idr, &pkt)) {
			sc_err("test server: encode failed at frame %" PRIu64, n);
			sc_ws_server_stop(h->srv);
			break;
		}
		meta.encode_done_ns = sc_now_ns();
		meta.keyframe = pkt.keyframe;
		if (pkt.size) {
			sc_ws_server_publish_video(h->srv, &meta, pkt.data, pkt.size);
			pthread_mutex_lock(&h->lock);
			h->frames++;
			h->keyframes += pkt.keyframe;
			pthread_mutex_unlock(&h->lock);
		}
		if (h->duration_s > 0 && (double)(sc_now_ns() - h->start_ns) / 1e9 > h->duration_s) {
			sc_info("test server: --duration reached");
			sc_ws_server_stop(h->srv);
			break;
		}
		next += period;
		uint64_t now = sc_now_ns();
		if (next > now) {
			struct timespec ts = { (time_t)((next - now) / 1000000000ull),
			                       (long)((next - now) % 1000000000ull) };
			nanosleep(&ts, NULL);
		} else if (now - next > 10 * period) {
			next = now; /* fell far behind: do not burst */
		}
	}
	free(mem);
	return NULL;
}

/* The waiters are detached: they may wake after the server is gone. */
static void harness_stop(struct harness *h)
{
	pthread_mutex_lock(&h->lock);
	if (h->srv_alive)
		sc_ws_server_stop(h->srv);
	pthread_mutex_unlock(&h->lock);
}

static void *signal_waiter(void *arg)
{
	struct harness *h = arg;
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig) == 0) {
		sc_info("test server: signal %d, stopping", sig);
		harness_stop(h);
	}
	return NULL;
}

static void *stdin_waiter(void *arg)
{
	struct harness *h = arg;
	char buf[256];
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	sc_info("test server: stdin closed, stopping");
	harness_stop(h);
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: ws_test_server --web-root DIR [--listen ADDR] [--port N] [--size WxH]\n"
	        "       [--fps N] [--bitrate KBPS] [--idr N] [--max-clients N] [--max-players N]\n"
	        "       [--queue-bytes N] [--queue-frames N] [--stall-ms N] [--sndbuf N]\n"
	        "       [--rate N] [--join-timeout-ms N] [--duration S] [--exit-on-eof]\n"
	        "       [--no-io-uring] [--deny-io-uring (io_uring_setup fails: EPERM)]\n"
	        "       [--input-room N]   take N input events in all, then refuse (a full input log)\n");
}

/* --deny-io-uring: a seccomp filter makes io_uring_setup fail with EPERM in
 * this process, as a container's profile or kernel.io_uring_disabled does,
 * so the tests reach the server's fallback (net/ws/ws_batch.c). */
static bool deny_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		fprintf(stderr, "ws_test_server: --deny-io-uring: %s\n", strerror(errno));
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "web-root", required_argument, 0, 'w' }, { "listen", required_argument, 0, 'l' },
		{ "port", required_argument, 0, 'p' },     { "size", required_argument, 0, 's' },
		{ "fps", required_argument, 0, 'f' },      { "bitrate", required_argument, 0, 'b' },
		{ "idr", required_argument, 0, 'i' },      { "max-clients", required_argument, 0, 'c' },
		{ "max-players", required_argument, 0, 'P' }, { "queue-bytes", required_argument, 0, 'q' },
		{ "queue-frames", required_argument, 0, 'Q' }, { "stall-ms", required_argument, 0, 't' },
		{ "sndbuf", required_argument, 0, 'S' },   { "rate", required_argument, 0, 'r' },
		{ "duration", required_argument, 0, 'd' }, { "exit-on-eof", no_argument, 0, 'e' },
		{ "no-io-uring", no_argument, 0, 'U' },   { "deny-io-uring", no_argument, 0, 'D' },
		{ "join-timeout-ms", required_argument, 0, 'J' }, { "input-room", required_argument, 0, 'R' },
		{ "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 },
	};
	/* static: the detached signal and stdin waiters may still run while the
	 * process exits; on main's stack they locked a dead frame (its mutex)
	 * after main returned, which corrupted exit()'s stack and crashed it in
	 * _dl_fini (ASan, e2e_ws_bad_messages, about 1 run in 6) */
	static struct harness h = { .width = 320, .height = 240, .fps = 30, .bitrate_kbps = 1000,
	                     .duration_s = 600, .input_room = UINT64_MAX };
	struct sc_ws_server_config cfg = {
		.listen_addr = "127.0.0.1", .max_clients = 16, .max_players = 8, .user = &h,
		.on_input = on_input, .on_keyframe_request = on_keyframe_request,
		.on_join = on_join, .on_leave = on_leave, .metrics_text = metrics_text,
	};
	bool exit_on_eof = false;
	int opt, rc = 1;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'w': cfg.web_root = optarg; break;
		case 'l': cfg.listen_addr = optarg; break;
		case 'p': cfg.port = (uint16_t)atoi(optarg); break;
		case 's':
			if (sscanf(optarg, "%ux%u", &h.width, &h.height) != 2) {
				fprintf(stderr, "ws_test_server: --size wants WxH, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'f': h.fps = (uint32_t)atoi(optarg); break;
		case 'b': h.bitrate_kbps = (uint32_t)atoi(optarg); break;
		case 'i': h.idr_interval = (uint32_t)atoi(optarg); break;
		case 'c': cfg.max_clients = (uint32_t)atoi(optarg); break;
		case 'P': cfg.max_players = (uint32_t)atoi(optarg); break;
		case 'q': cfg.client_queue_bytes = (size_t)atol(optarg); break;
		case 'Q': cfg.client_queue_frames = (uint32_t)atoi(optarg); break;
		case 't': cfg.stall_disconnect_ms = (uint32_t)atoi(optarg); break;
		case 'S': cfg.socket_sndbuf_bytes = (uint32_t)atoi(optarg); break;
		case 'r': cfg.max_client_msgs_per_sec = (uint32_t)atoi(optarg); break;
		case 'd': h.duration_s = atof(optarg); break;
		case 'J': cfg.join_timeout_ms = (uint32_t)atoi(optarg); break;
		case 'R': h.input_room = strtoull(optarg, NULL, 10); break;
		case 'e': exit_on_eof = true; break;
		case 'U': cfg.no_io_uring = true; break;
		case 'D':
			if (!deny_io_uring())
				return 1;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cfg.web_root || optind != argc || h.fps == 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sc_log_set_role("ws-test");

	/* signals go to the waiter thread only */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_mutex_init(&h.lock, NULL);
	for (int p = 0; p < SC_MAX_PLAYERS; p++) {
		h.players[p].x = (int)(h.width / 9 * (uint32_t)(p + 1)) - SQUARE / 2;
		h.players[p].y = (int)h.height / 2 - SQUARE / 2;
	}
	struct sc_encoder_config ecfg = {
		.width = h.width, .height = h.height, .fps = h.fps,
		.bitrate_kbps = h.bitrate_kbps, .idr_interval = h.idr_interval,
		.kind = SC_ENCODER_X264,
	};
	h.enc = sc_encoder_create(&ecfg);
	if (!h.enc)
		goto out;
	cfg.width = h.width;
	cfg.height = h.height;
	cfg.fps = h.fps;
	cfg.encoder_name = sc_encoder_name(h.enc);
	cfg.encoder_fallback_reason = sc_encoder_fallback_reason(h.enc);
	h.srv = sc_ws_server_create(&cfg);
	h.srv_alive = h.srv != NULL;
	if (!h.srv)
		goto out_enc;
	h.start_ns = sc_now_ns();
	const char *host = cfg.listen_addr;
	bool v6 = strchr(host, ':') != NULL;
	printf("LISTEN port=%u url=http://%s%s%s:%u/\n", sc_ws_server_port(h.srv), v6 ? "[" : "",
	       host, v6 ? "]" : "", sc_ws_server_port(h.srv));

	pthread_t prod, sigt, eoft;
	if (pthread_create(&prod, NULL, producer, &h) != 0) {
		sc_err("test server: cannot start the producer thread");
		goto out_srv;
	}
	pthread_create(&sigt, NULL, signal_waiter, &h);
	pthread_detach(sigt);
	if (exit_on_eof) {
		pthread_create(&eoft, NULL, stdin_waiter, &h);
		pthread_detach(eoft);
	}
	rc = sc_ws_server_run(h.srv) ? 0 : 1;
	atomic_store(&h.quit, true);
	pthread_join(prod, NULL);
	sc_info("test server: %" PRIu64 " frames encoded, %" PRIu64 " inputs", h.frames, h.inputs);
out_srv:
	pthread_mutex_lock(&h.lock);
	h.srv_alive = false;
	pthread_mutex_unlock(&h.lock);
	sc_ws_server_destroy(h.srv);
out_enc:
	sc_encoder_destroy(h.enc);
out:
	/* h.lock is left as it is: a late waiter takes it and finds srv_alive false */
	return rc;
}
