/* The encoder process, the intermediation processor (seed US9467526): the only
 * process of a session on the network. The game writes frames into shared
 * memory; this process encodes them in place and sends them to clients, and
 * writes the clients' inputs into the shared input log.
 *
 * Threads: the main thread services the port (libwebsockets, every callback,
 * the input log writer); the encode thread waits on the frame doorbell, takes
 * the latest frame from the mailbox, encodes and publishes it, and watches
 * the supervisor socket (new frame memory after a primary restart, EOF) and
 * SIGTERM/SIGINT (signalfd); the disk worker (server/disk_worker.h) does the
 * debug API's disk work and hands its answers to the main thread, which
 * never waits for the disk. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "gpu/frame_memory.h"
#include "gpu/frame_seal.h"
#include "gpu/input_file.h"
#include "net/shm/arena.h"
#include "net/shm/doorbell.h"
#include "net/encoder/encoder.h"
#include "net/shm/fd_passing.h"
#include "net/shm/input_log.h"
#include "net/ws/ws_server.h"
#include <jansson.h>

#include "server/capture_summary.h"
#include "server/client_metrics.h"
#include "server/profile_file.h"
#include "server/config.h"
#include "server/debug_api.h"
#include "server/disk_worker.h"
#include "server/encoder_audio.h"
#include "server/profile_metrics.h"
#include "server/sample_feed.h"
#include "server/encoder_metrics.h"
#include "server/frame_encode.h"
#include "server/frame_reader.h"
#include "server/game_events.h"
#include "server/input_drops.h"
#include "server/input_origins.h"
#include "server/roles.h"
#include "session/session.h"
#include "session/session_attach.h"
#include "util/clock.h"
#include "util/log.h"

#define SC_ENCP_ARENA_TIMEOUT_MS 10000
#define SC_ENCP_FRAME_WAIT_MS 50 /* doorbell timeout: supervisor socket + signals checked */
#define SC_ENCP_DOORBELL_SPIN 64
#define SC_ENCP_LIVE_ENCODES 512 /* the last encodes kept for GET /api/v1/profile/live */
#define SC_ENCP_NOTICES_PENDING 64 /* notices waiting for a full input log */

struct encp {
	const struct sc_run_config *cfg;
	char api_token[SC_SESSION_TOKEN_MAX]; /* the debug API's, from the supervisor */
	char player_token[SC_SESSION_TOKEN_MAX], spectator_token[SC_SESSION_TOKEN_MAX]; /* "" = open */
	int ipc_fd, sig_fd, doorbell_fd;
	struct sc_encoder *enc;
	struct sc_arena *arena;
	struct sc_session_shm *session;
	struct sc_input_log input_log;
	struct sc_input_log tick_log; /* read as an observer only (GET /api/v1/ticks) */
	struct sc_ws_server *ws;
	struct sc_frame_reader reader;
	struct sc_doorbell bell;
	struct sc_encoder_stats stats;
	struct sc_encoder_status status;
	pthread_t thread;
	struct sc_disk_worker *disk;            /* the debug API's disk work */
	struct sc_capture_summaries *summaries; /* status's manifest cache, filled by disk */
	atomic_bool stop, keyframe;
	/* the input log has one writer, this process: clients (service thread)
	 * and the --inputs script (encode thread) take turns */
	pthread_mutex_t log_lock;
	struct sc_input_origins origins; /* log seq -> client, message seq (under log_lock) */
	/* notices the full input log refused, oldest first (under log_lock) */
	struct sc_input_event notice_pending[SC_ENCP_NOTICES_PENDING];
	uint32_t n_notice_pending;
	uint32_t spectators; /* joined spectators (service thread) */
	struct sc_input_drops_reader drops; /* encode thread: drops to tell clients about */
	/* encode thread: a new match discards the acked inputs no tick record
	 * holds, log seqs [discard_next, discard_end) (tell_discarded) */
	int32_t seen_primary_pid;
	uint64_t discard_next, discard_end;
	uint32_t discard_tick;
	struct sc_input_list script;
	size_t script_next;
	bool script_waiting; /* script_next was refused by a full log (counted once) */
	atomic_int exit_code;
	uint64_t frames_out; /* encode thread: frame numbers on the wire */
	int in_place_logged; /* encode thread: the zero-copy result last logged; -1 none yet */
	struct sc_debug_api api; /* /api/v1 debug API (service thread) */
	/* encode thread: the game's typed rings (this process is their consumer)
	 * and the messages read from them, waiting for the frame of their tick */
	struct sc_msg_ring rings[SC_SESSION_MSG_RINGS];
	struct sc_game_outbox outbox;
	/* the state the latest video frame sent shows (/api/v1/state) */
	pthread_mutex_t shown_lock;
	bool shown_valid;
	uint32_t shown_tick;
	struct sc_game_state shown;
	/* encode thread: the game's sound, sent in step with the video (--audio) */
	struct sc_encoder_audio audio;
	/* encode thread drains the sample rings, /metrics reads the histograms */
	struct sc_profile profile;
	/* the developer's live sample feed over /stream (service thread) */
	struct sc_sample_feed feed;
	/* per-client RTT and input-to-display histograms (service thread) */
	struct sc_client_metrics client_metrics;
	/* --profile FILE (NULL: none); the encode thread also records incidents */
	struct sc_profile_file *pfile;
	uint32_t incident_seen;
	/* the last encodes for the /debug plots: encode thread writes, service thread reads */
	pthread_mutex_t live_lock;
	struct sc_pf_encode live[SC_ENCP_LIVE_ENCODES];
	uint64_t live_n;
	/* encode thread: what it last saw in the session block, for the event
	 * track; in the track's block (a successor takes it over) where there is one */
	struct sc_event_seen seen_local;
	struct sc_event_seen *seen;
};

/* --- service thread: ws callbacks ------------------------------------------ */

static uint32_t input_stamp(struct encp *p)
{
	uint32_t t = atomic_load(&p->session->inputs_gathered_through);
	return t ? t : atomic_load(&p->session->next_tick);
}

/* One client message, its events all in the input log or none of them. */
static bool on_input(void *user, uint32_t client_id, const struct sc_input_event *ev, uint32_t n,
                     uint64_t arrival_ns, struct sc_ws_input_applied *applied)
{
	struct encp *p = user;
	struct sc_input_event rec[SC_WS_MAX_EVENTS_PER_INPUT];
	uint64_t seq = 0;
	(void)arrival_ns;
	if (n == 0 || n > SC_WS_MAX_EVENTS_PER_INPUT)
		return false;

	/* the first tick whose inputs the primary has not gathered yet; the tick
	 * log records what it really did */
	uint32_t stamp = input_stamp(p);
	pthread_mutex_lock(&p->log_lock);
	uint64_t tail = sc_input_log_tail(&p->input_log);
	for (uint32_t i = 0; i < n; i++) {
		rec[i] = ev[i];
		rec[i].tick = stamp;
		rec[i].seq = (uint32_t)(tail + i);
	}
	enum sc_ring_result r = sc_input_log_append_n(&p->input_log, rec, n, &seq);
	if (r == SC_RING_SUCCESS)
		for (uint32_t i = 0; i < n; i++)
			sc_input_origins_put(&p->origins, seq + i, client_id, ev[i].seq, ev[i].action);
	pthread_mutex_unlock(&p->log_lock);
	if (r == SC_RING_FULL) {
		uint64_t k = atomic_fetch_add(&p->stats.input_log_full, n);
		if (k == 0 || (k >> 10) != ((k + n) >> 10))
			sc_warn("input: log full (the primary is not consuming: stalled or restarting); "
			        "refused a message of %u events of client %u (%llu events refused so far)", n, client_id,
			        (unsigned long long)(k + n));
		return false;
	}
	if (r != SC_RING_SUCCESS) {
		sc_err("input: cannot append to the input log: %s", sc_ring_result_str(r));
		return false;
	}
	if (seq != tail)
		sc_warn("input: log sequence %llu differs from the stamped %llu (two writers?)",
		        (unsigned long long)seq, (unsigned long long)tail);
	atomic_fetch_add(&p->stats.inputs_logged, n);
	uint32_t actions = 0;
	for (uint32_t i = 0; i < n; i++)
		actions |= 1u << (ev[i].action & 31);
	sc_event_inputs(&p->profile.events, stamp, ev[0].player, actions, n); /* one event per tick */
	applied->tick = stamp;
	applied->log_seq = seq;
	return true;
}

/* System notices (docs/inputs.md "Notices"): a player joining, leaving or
 * disconnecting and the spectator count enter the input log like inputs, so
 * the primary and the shadow apply them at the same tick (the game releases
 * a leaving player's controls); the primary tells the clients, with that
 * tick, through the notice ring. This process sees the connections and
 * writes them; one the log refuses now (back-pressure) waits in
 * notice_pending, in order, for the encode thread's next round. Any thread,
 * under log_lock. */
static bool append_notice(struct encp *p, struct sc_input_event *rec)
{
	rec->tick = input_stamp(p);
	rec->seq = (uint32_t)sc_input_log_tail(&p->input_log);
	enum sc_ring_result r = sc_input_log_append(&p->input_log, rec, NULL);
	if (r == SC_RING_SUCCESS) {
		atomic_fetch_add(&p->stats.inputs_logged, 1);
		return true;
	}
	if (r != SC_RING_FULL)
		sc_err("notice: cannot append to the input log: %s", sc_ring_result_str(r));
	return false;
}

/* Appends what waits, oldest first, while the log takes it (under log_lock). */
static void flush_notices_locked(struct encp *p)
{
	uint32_t done = 0;
	while (done < p->n_notice_pending && append_notice(p, &p->notice_pending[done]))
		done++;
	if (!done)
		return;
	memmove(p->notice_pending, p->notice_pending + done, (p->n_notice_pending - done) * sizeof(p->notice_pending[0]));
	p->n_notice_pending -= done;
}

static void log_notice(struct encp *p, uint8_t player, uint8_t action, int8_t a, uint32_t spectators)
{
	struct sc_input_event rec = {.player = player, .action = action, .a = a};
	if (action == SC_INPUT_SPECTATORS)
		sc_input_set_spectators(&rec, spectators);
	pthread_mutex_lock(&p->log_lock);
	flush_notices_locked(p); /* order: an older one first */
	bool ok = p->n_notice_pending == 0 && append_notice(p, &rec);
	if (!ok && p->n_notice_pending < SC_ENCP_NOTICES_PENDING) {
		p->notice_pending[p->n_notice_pending++] = rec;
		if (p->n_notice_pending == 1)
			sc_warn("notice: the input log is full (the primary is not consuming); notices wait for it");
	} else if (!ok) {
		atomic_fetch_add(&p->stats.input_log_full, 1);
		sc_err("notice: %u notices wait for the input log already; this one (action %u, player %u) is lost",
		       p->n_notice_pending, action, player);
	}
	pthread_mutex_unlock(&p->log_lock);
}

/* encode thread: notices the log refused before */
static void retry_notices(struct encp *p)
{
	pthread_mutex_lock(&p->log_lock);
	if (p->n_notice_pending)
		flush_notices_locked(p);
	pthread_mutex_unlock(&p->log_lock);
}

static void on_join(void *user, uint32_t client_id, int player)
{
	struct encp *p = user;
	struct sc_event e = {.tag = SC_EV_JOIN, .tick = input_stamp(p), .u.join = {.player = player, .client = client_id}};
	sc_event_record(&p->profile.events, &e);
	if (player >= SC_MAX_PLAYERS)
		return;
	if (player >= 0)
		log_notice(p, (uint8_t)player, SC_INPUT_JOIN, 0, 0);
	else
		log_notice(p, 0, SC_INPUT_SPECTATORS, 0, ++p->spectators);
}

static void on_leave(void *user, uint32_t client_id, int player, bool disconnected)
{
	struct encp *p = user;
	struct sc_event e = {.tag = SC_EV_LEAVE, .tick = input_stamp(p),
	                     .u.join = {.player = player, .client = client_id, .disconnected = disconnected}};
	sc_event_record(&p->profile.events, &e);
	if (player >= SC_MAX_PLAYERS)
		return;
	if (player >= 0)
		log_notice(p, (uint8_t)player, SC_INPUT_LEAVE, disconnected ? 1 : 0, 0);
	else
		log_notice(p, 0, SC_INPUT_SPECTATORS, 0, p->spectators ? --p->spectators : 0);
}

/* A player's chat line (already checked and rate limited by the ws layer)
 * goes to the primary through the inbound chat ring (this thread is its only
 * writer); the primary relays it to everyone, stamped with its tick. */
static bool on_chat(void *user, uint32_t client_id, int player, const char *text, uint32_t len)
{
	struct encp *p = user;
	(void)client_id;
	struct sc_chat_msg c = {.player = (uint32_t)player, .len = len};
	if (player < 0 || player >= SC_MAX_PLAYERS || len == 0 || len > sizeof(c.text))
		return false;
	memcpy(c.text, text, len);
	return sc_msg_ring_write(&p->rings[SC_SESSION_RING_CHAT_IN], input_stamp(p), sc_now_ns(), SC_MSG_PRIORITY_GAME,
	                         0, &c, sizeof(c));
}

static void on_keyframe_request(void *user)
{
	struct encp *p = user;
	atomic_store(&p->keyframe, true);
}

static size_t metrics_text(void *user, char *buf, size_t len, bool openmetrics)
{
	struct encp *p = user;
	size_t n = sc_encoder_metrics_text(&p->status, buf, len);
	n += sc_profile_metrics_text(&p->profile, buf + n, len - n, openmetrics);
	n += sc_sample_feed_metrics_text(&p->feed, buf + n, len - n);
	return n + sc_client_metrics_text(&p->client_metrics, buf + n, len - n);
}

static bool on_subscribe(void *user, uint32_t client_id, const struct sc_ws_subscribe *req, char *why, size_t whylen)
{
	struct encp *p = user;
	return sc_sample_feed_subscribe(&p->feed, client_id, req, why, whylen);
}

static void on_unsubscribe(void *user, uint32_t client_id)
{
	struct encp *p = user;
	sc_sample_feed_unsubscribe(&p->feed, client_id);
}

static void feed_pump(void *user)
{
	struct encp *p = user;
	sc_sample_feed_pump(&p->feed);
}

static void on_client_figures(void *user, const struct sc_ws_client_figures *f)
{
	struct encp *p = user;
	sc_client_metrics_figures(&p->client_metrics, f);
}

static void on_client_measure(void *user, uint32_t client_id, enum sc_ws_measure kind, uint64_t ns)
{
	struct encp *p = user;
	sc_client_metrics_measure(&p->client_metrics, client_id, kind, ns);
}

/* GET /api/v1/profile/live (service thread): the clients' figures now and
 * the last encodes, for the /debug plots (docs/protocol.md §10). */
static size_t api_live_json(void *ud, char *buf, size_t len)
{
	struct encp *p = ud;
	int n = snprintf(buf, len, "{\"now_ns\":%llu,\"clients\":", (unsigned long long)sc_now_ns());
	if (n < 0 || (size_t)n >= len)
		return 0;
	size_t used = (size_t)n;
	size_t c = sc_ws_server_clients_json(p->ws, buf + used, len - used);
	if (!c)
		return 0;
	used += c;
	n = snprintf(buf + used, len - used, ",\"encode\":[");
	if (n < 0 || (size_t)n >= len - used)
		return 0;
	used += (size_t)n;
	pthread_mutex_lock(&p->live_lock);
	uint64_t end = p->live_n, from = end > SC_ENCP_LIVE_ENCODES ? end - SC_ENCP_LIVE_ENCODES : 0;
	for (uint64_t i = from; i < end; i++) {
		const struct sc_pf_encode *e = &p->live[i % SC_ENCP_LIVE_ENCODES];
		n = snprintf(buf + used, len - used, "%s[%llu,%.3f,%u,%u]", i > from ? "," : "",
		             (unsigned long long)e->done_ns, (double)e->encode_ns / 1e6, e->bytes, e->tick);
		if (n < 0 || (size_t)n >= len - used) {
			pthread_mutex_unlock(&p->live_lock);
			return 0;
		}
		used += (size_t)n;
	}
	pthread_mutex_unlock(&p->live_lock);
	n = snprintf(buf + used, len - used, "]}\n");
	if (n < 0 || (size_t)n >= len - used)
		return 0;
	return used + (size_t)n;
}

static size_t http_get(void *user, const char *path, char *buf, size_t len,
                       const char **content_type)
{
	struct encp *p = user;
	if (strcmp(path, "/api/v1/state") == 0) {
		struct sc_game_state g;
		pthread_mutex_lock(&p->shown_lock);
		bool valid = p->shown_valid;
		uint32_t tick = p->shown_tick;
		g = p->shown;
		pthread_mutex_unlock(&p->shown_lock);
		*content_type = "application/json";
		return sc_encoder_state_json(p->session, valid ? &g : NULL, tick, buf, len);
	}
	return 0;
}

static char *api_profile_json(void *ud, const char *what, const char *query, size_t *len, unsigned *status)
{
	struct encp *p = ud;
	return sc_profile_api_json(&p->profile, what, query, len, status);
}

/* A developer paused or resumed a shadow (POST /api/v1/shadow/pause,
 * resume): a `pause` notice to every joined client (docs/protocol.md). The
 * game goes on either way; the notice says the developer holds (or let go
 * of) a state of the match. Service thread. */
static void api_shadow_pause(void *ud, int slot, bool paused, uint32_t held_tick)
{
	struct encp *p = ud;
	uint32_t next = atomic_load(&p->session->next_tick);
	char json[192];
	snprintf(json, sizeof(json),
	         "{\"type\":\"notice\",\"notice\":{\"kind\":\"pause\",\"paused\":%s,\"slot\":%d,\"tick\":%u,"
	         "\"held_tick\":%u}}", paused ? "true" : "false", slot, next ? next - 1 : 0, held_tick);
	sc_ws_server_broadcast(p->ws, json);
}

static uint32_t api_input_stamp(void *ud)
{
	return input_stamp(ud);
}

static void http_request(void *user, const struct sc_http_request *req, struct sc_http_response *res)
{
	struct encp *p = user;
	sc_debug_api_request(&p->api, req, res);
}

static void http_poll(void *user, struct sc_http_response *res)
{
	struct encp *p = user;
	sc_debug_api_poll(&p->api, res);
}

/* disk worker thread: a reply or a cached summary is ready */
static void disk_wake(void *user)
{
	struct encp *p = user;
	sc_ws_server_wake(p->ws);
}

/* --- encode thread ---------------------------------------------------------- */

static void request_stop(struct encp *p, int code)
{
	int expected = 0;
	if (code)
		atomic_compare_exchange_strong(&p->exit_code, &expected, code);
	atomic_store(&p->stop, true);
	sc_ws_server_stop(p->ws);
}

static void map_frames(struct encp *p, int fd, uint64_t kind)
{
	bool dmabuf = kind == SC_FRAME_MEMORY_DMABUF;
	if (kind != SC_FRAME_MEMORY_DMABUF && kind != SC_FRAME_MEMORY_HOST_MEMFD) {
		sc_err("frames: unknown frame memory kind %llu; ignoring it",
		       (unsigned long long)kind);
		close(fd);
		return;
	}
	if (sc_frame_reader_map(&p->reader, fd, dmabuf, p->cfg->width, p->cfg->height))
		atomic_fetch_add(&p->stats.frame_mappings, 1);
	else
		sc_err("frames: not encoding until the primary exports usable frame memory");
}

/* The supervisor socket: new frame memory, or EOF (the supervisor is gone). */
static void check_ipc(struct encp *p, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = p->ipc_fd, .events = POLLIN },
		{ .fd = p->sig_fd, .events = POLLIN },
	};
	int n = poll(pfd, 2, timeout_ms);
	if (n <= 0)
		return;
	if (pfd[1].revents & POLLIN) {
		struct signalfd_siginfo si;
		if (read(p->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			sc_info("%s: stopping", strsignal((int)si.ssi_signo));
		request_stop(p, 0);
		return;
	}
	if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
		struct sc_fd_hello hello;
		int fds[SC_FD_MAX];
		if (!sc_fd_recv(p->ipc_fd, SC_FD_KIND_FRAME, &hello, fds, SC_FD_MAX, 1000)) {
			if (pfd[0].revents & (POLLHUP | POLLERR)) {
				sc_err("supervisor socket closed: stopping");
				request_stop(p, 1);
			}
			return;
		}
		for (uint32_t i = 1; i < hello.nfds; i++)
			close(fds[i]);
		map_frames(p, fds[0], hello.arg);
	}
}

static bool frame_ready(void *ud)
{
	return sc_frame_reader_pending(ud);
}

static void send_game_msg(void *ud, const struct sc_outbox_msg *m)
{
	struct encp *p = ud;
	switch (m->ring) {
	case SC_OUTBOX_EVENT:
		sc_ws_server_publish_event(p->ws, m->json);
		break;
	case SC_OUTBOX_HAPTIC:
		sc_ws_server_send_to_player(p->ws, (uint32_t)m->player, m->json);
		break;
	case SC_OUTBOX_NOTICE:
		/* the full fault report is for developers (the game's inputs, the
		 * shaders' words); everyone else learns that it happened */
		if (m->brief[0])
			sc_ws_server_broadcast_split(p->ws, m->brief, m->json);
		else
			sc_ws_server_broadcast(p->ws, m->json);
		break;
	case SC_OUTBOX_CHAT:
		sc_ws_server_broadcast(p->ws, m->json);
		break;
	case SC_OUTBOX_RINGS:
		break;
	}
}

/* The game's messages of this frame's tick and before go out before its
 * video: a client gets a tick's events, then the frame showing it. */
static void frame_messages(struct encp *p, const struct sc_frame_take *t)
{
	sc_game_outbox_pull(&p->outbox);
	sc_game_outbox_flush(&p->outbox, true, t->tick, send_game_msg, p);
}

static void set_shown(struct encp *p, const struct sc_frame_take *t)
{
	pthread_mutex_lock(&p->shown_lock);
	p->shown_valid = true;
	p->shown_tick = t->tick;
	p->shown = t->state;
	pthread_mutex_unlock(&p->shown_lock);
}

/* Zero-copy is measured for each frame, not assumed from the mapping: the
 * encoder was handed a view into the primary's frame memory (not a copy of
 * it), and the encoder copied none of it (a VA-API upload counts its bytes;
 * a DMA-BUF import and libx264's wrapping of the caller's memory count 0).
 * libx264 still copies the picture into its own buffers inside the library:
 * that is the encoder's input stage, counted by neither. */
static void count_in_place(struct encp *p, const struct sc_frame_take *t, uint64_t copied)
{
	bool in_place = sc_frame_reader_in_place(&p->reader, t) && copied == 0;
	atomic_store(&p->session->zero_copy, in_place);
	if (in_place)
		atomic_fetch_add(&p->stats.frames_in_place, 1);
	if (p->in_place_logged != (int)in_place) {
		if (in_place)
			sc_info("frames: frame %llu encoded in place from the primary's frame memory (0 bytes copied)",
			        (unsigned long long)t->frame);
		else
			sc_info("frames: frame %llu was copied before encoding (%llu CPU bytes)",
			        (unsigned long long)t->frame, (unsigned long long)copied);
		p->in_place_logged = in_place;
	}
}

static void encode_one(struct encp *p)
{
	struct sc_frame_take t;
	struct sc_encoded_packet pkt;

	enum sc_frame_take_result took = sc_frame_reader_take(&p->reader, &t);
	if (took == SC_FRAME_NONE)
		return;
	frame_messages(p, &t);
	sc_profile_drain(&p->profile, 64); /* the samples that came with this frame (60 Hz: a few) */
	sc_encoder_audio_dispatch(&p->audio, t.tick, p->reader.generation); /* the sound up to this frame's tick */
	if (took == SC_FRAME_BAD_SEAL)
		return; /* dropped and counted; the next frame taken asks for an IDR */
	uint64_t copied_before = sc_encoder_bytes_copied(p->enc);
	uint64_t t0 = sc_now_ns();
	bool ok = sc_frame_encode(p->enc, &t, &p->keyframe, &pkt); /* an IDR after a dropped frame */
	uint64_t done = sc_now_ns();
	if (p->cfg->test_encode_hold_ms) {
		/* test only: a wide window in which a kill lands while the slot is held */
		struct timespec ts = {.tv_sec = p->cfg->test_encode_hold_ms / 1000,
		                      .tv_nsec = (long)(p->cfg->test_encode_hold_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	sc_frame_reader_release(&p->reader, &t);
	if (!ok) {
		atomic_fetch_add(&p->stats.encode_errors, 1); /* the next good frame restarts the stream */
		return;
	}
	uint64_t copied = sc_encoder_bytes_copied(p->enc) - copied_before;
	atomic_store(&p->stats.cpu_copy_bytes_last, copied);
	atomic_fetch_add(&p->stats.cpu_copy_bytes_total, copied);
	count_in_place(p, &t, copied);
	atomic_store(&p->session->encode_us_last, (uint32_t)((done - t0) / 1000));
	sc_profile_encoded(&p->profile, done - t0, pkt.size);
	struct sc_pf_encode rec = {.done_ns = done, .encode_ns = done - t0, .tick = t.tick, .bytes = (uint32_t)pkt.size,
	                           .keyframe = pkt.keyframe};
	sc_profile_file_put(p->pfile, SC_PF_ENCODE, &rec, sizeof(rec)); /* never waits (NULL: none) */
	pthread_mutex_lock(&p->live_lock);
	p->live[p->live_n++ % SC_ENCP_LIVE_ENCODES] = rec;
	pthread_mutex_unlock(&p->live_lock);
	if (t.capture_ns && done > t.capture_ns) {
		sc_profile_frame_latency(&p->profile, done - t.capture_ns, t.tick);
		uint64_t i = atomic_fetch_add(&p->stats.frame_lat_n, 1);
		atomic_store(&p->stats.frame_lat_us[i % SC_FRAME_LAT_RING], (uint32_t)((done - t.capture_ns) / 1000));
	}
	atomic_fetch_add(&p->session->frames_encoded, 1);
	if (pkt.size == 0)
		return;
	struct sc_video_meta meta = {
		.frame_number = ++p->frames_out,
		.tick = t.tick,
		.capture_ns = t.capture_ns,
		.encode_done_ns = done,
		.keyframe = pkt.keyframe,
	};
	if (sc_ws_server_publish_video(p->ws, &meta, pkt.data, pkt.size))
		set_shown(p, &t);
}

/* --inputs FILE: each scripted event enters the log right after the tick
 * before its own completed (the primary is between ticks then), stamped with
 * its tick; one the primary has already passed is stamped with the next tick
 * and logged. */
static void feed_script(struct encp *p)
{
	uint32_t next = input_stamp(p);
	while (p->script_next < p->script.count && p->script.events[p->script_next].tick <= next) {
		struct sc_input_event rec = p->script.events[p->script_next];
		if (rec.tick < next)
			sc_warn("inputs: scripted event for tick %u applied at tick %u (the game was past it)", rec.tick,
			        next);
		rec.tick = next;
		pthread_mutex_lock(&p->log_lock);
		uint64_t tail = sc_input_log_tail(&p->input_log);
		rec.seq = (uint32_t)tail;
		/* the cursor a successor resumes from (session.h): pending while the
		 * append may or may not have happened */
		atomic_store(&p->session->script_pending_next, p->script_next);
		atomic_store(&p->session->script_pending_seq, tail + 1);
		enum sc_ring_result r = sc_input_log_append(&p->input_log, &rec, NULL);
		if (r == SC_RING_SUCCESS)
			atomic_store(&p->session->script_next, p->script_next + 1);
		atomic_store(&p->session->script_pending_seq, 0);
		pthread_mutex_unlock(&p->log_lock);
		if (r == SC_RING_FULL) {
			/* back-pressure: try again after the next frame; the event is late,
			 * which counts like a client's refused input */
			if (!p->script_waiting) {
				atomic_fetch_add(&p->stats.input_log_full, 1);
				sc_warn("inputs: log full; scripted event for tick %u waits (the primary is not consuming, "
				        "or a reader holds the log)", rec.tick);
			}
			p->script_waiting = true;
			return;
		}
		p->script_waiting = false;
		if (r != SC_RING_SUCCESS) {
			sc_err("inputs: cannot append to the input log: %s", sc_ring_result_str(r));
			return;
		}
		atomic_fetch_add(&p->stats.inputs_logged, 1);
		if (rec.action == SC_INPUT_FAULT) { /* a scripted fault injection, as the debug API's */
			struct sc_event e = {.tag = SC_EV_INJECT, .tick = rec.tick,
			                     .u.inject = {.kind = (uint32_t)(uint8_t)rec.a, .seq = rec.seq}};
			sc_event_record(&p->profile.events, &e);
		} else {
			sc_event_inputs(&p->profile.events, rec.tick, rec.player, 1u << (rec.action & 31), 1);
		}
		p->script_next++;
	}
}

/* A restarted encoder resumes the script where the dead one left it (the
 * cursor in the session block, session.h): each scripted event enters the
 * log once; the ones that fell due while no encoder ran are fed late, at the
 * next tick, like any late scripted event. */
static void resume_script(struct encp *p)
{
	uint64_t next = atomic_load(&p->session->script_next);
	uint64_t pending = atomic_load(&p->session->script_pending_seq);
	if (pending && sc_input_log_tail(&p->input_log) >= pending) /* it died after its append */
		next = atomic_load(&p->session->script_pending_next) + 1;
	atomic_store(&p->session->script_pending_seq, 0);
	if (next == 0)
		return;
	if (next > p->script.count) {
		sc_warn("inputs: the session's script cursor (%llu) is past the script's %zu events; it ends here",
		        (unsigned long long)next, p->script.count);
		next = p->script.count;
	}
	p->script_next = (size_t)next;
	atomic_store(&p->session->script_next, next);
	if (next < p->script.count)
		sc_info("inputs: resuming the script at event %zu of %zu (tick %u), where the previous encoder process "
		        "left it", p->script_next + 1, p->script.count, p->script.events[p->script_next].tick);
	else
		sc_info("inputs: the previous encoder process fed the whole script (%zu events)", p->script.count);
}

static const char *action_name(uint8_t action)
{
	switch (action) {
	case SC_INPUT_MOVE: return "move";
	case SC_INPUT_BLOCK: return "block";
	case SC_INPUT_SHOOT: return "shoot";
	case SC_INPUT_JOIN: return "join";
	case SC_INPUT_LEAVE: return "leave";
	case SC_INPUT_SPECTATORS: return "spectators";
	default: return "other";
	}
}

/* Inputs a restored primary dropped: each one's client gets `input_dropped`
 * (docs/protocol.md), written by the service thread. A drop that cannot be
 * handed off now is read again on the next round. */
static void tell_dropped(struct encp *p)
{
	struct sc_input_drop d[32];
	uint64_t lost = p->drops.lost;
	size_t n = sc_input_drops_read(&p->drops, p->session, d, sizeof(d) / sizeof(d[0]));
	if (p->drops.lost != lost)
		sc_warn("input drops: %llu were overwritten before this process read them: their clients are not told",
		        (unsigned long long)(p->drops.lost - lost));
	for (size_t i = 0; i < n; i++) {
		struct sc_input_origin o;
		pthread_mutex_lock(&p->log_lock);
		bool known = sc_input_origins_get(&p->origins, d[i].log_seq, &o);
		pthread_mutex_unlock(&p->log_lock);
		if (!known) {
			atomic_fetch_add(&p->stats.input_drops_untold, 1); /* a debug API / script input */
			continue;
		}
		char json[256];
		snprintf(json, sizeof(json),
		         "{\"type\":\"input_dropped\",\"seq\":%u,\"log_seq\":%llu,\"action\":\"%s\",\"tick\":%u,"
		         "\"reason\":\"%s\"}", o.client_seq, (unsigned long long)d[i].log_seq, action_name(o.action),
		         d[i].tick, sc_input_drop_reason_name(d[i].reason));
		if (!sc_ws_server_send_to(p->ws, o.client_id, json)) {
			sc_input_drops_unread(&p->drops, d[i].index); /* the hand-off queue is full: next round */
			return;
		}
		atomic_fetch_add(&p->stats.input_drops_told, 1);
		sc_info("input seq %u of client %u (log seq %llu) was dropped on the restore (%s): client told",
		        o.client_seq, o.client_id, (unsigned long long)d[i].log_seq,
		        sc_input_drop_reason_name(d[i].reason));
	}
}

/* A primary that starts a new match (not a restore) reads the input log from
 * its end: the acked inputs after the last tick record its predecessor
 * published are never applied. Their clients get `input_dropped` with reason
 * `new_match`. */
static void find_discarded(struct encp *p)
{
	struct sc_session_shm *s = p->session;
	if (!atomic_load(&s->primary_ready))
		return;
	int32_t pid = atomic_load(&s->primary_pid);
	if (pid == p->seen_primary_pid)
		return;
	bool first = p->seen_primary_pid == 0;
	p->seen_primary_pid = pid;
	uint64_t tick_seq = atomic_load(&s->primary_tick_log_seq), start = atomic_load(&s->primary_start_seq);
	if (first || atomic_load(&s->restore_valid) || tick_seq == 0)
		return; /* the first primary, or a restore (it reads on from the held tick) */
	struct sc_tick_record last;
	enum sc_input_log_observed r = sc_input_log_observe(&p->tick_log, tick_seq - 1, &last);
	if (r != SC_OBSERVE_OK) {
		sc_warn("new match: the previous match's last tick record is %s: its clients are not told which "
		        "inputs were discarded", sc_input_log_observed_str(r));
		return;
	}
	uint64_t from = last.seq_end > p->discard_end ? last.seq_end : p->discard_end;
	if (start <= from || start - from > p->input_log.capacity)
		return; /* nothing discarded (or a range the log no longer holds: origins are gone too) */
	p->discard_next = from;
	p->discard_end = start;
	p->discard_tick = last.tick + 1;
	sc_info("new match: %llu acked inputs after tick %u of the previous match were not applied; telling their "
	        "clients", (unsigned long long)(start - from), last.tick);
}

static void tell_discarded(struct encp *p)
{
	find_discarded(p);
	while (p->discard_next < p->discard_end) {
		struct sc_input_origin o;
		pthread_mutex_lock(&p->log_lock);
		bool known = sc_input_origins_get(&p->origins, p->discard_next, &o);
		pthread_mutex_unlock(&p->log_lock);
		if (known) {
			char json[256];
			snprintf(json, sizeof(json),
			         "{\"type\":\"input_dropped\",\"seq\":%u,\"log_seq\":%llu,\"action\":\"%s\",\"tick\":%u,"
			         "\"reason\":\"new_match\"}", o.client_seq, (unsigned long long)p->discard_next,
			         action_name(o.action), p->discard_tick);
			if (!sc_ws_server_send_to(p->ws, o.client_id, json))
				return; /* the hand-off queue is full: next round */
			atomic_fetch_add(&p->stats.inputs_discarded_told, 1);
		}
		atomic_fetch_add(&p->stats.inputs_discarded, 1); /* an injected or scripted one has no client */
		p->discard_next++;
	}
}

/* --profile: an incident the session's fault record holds, once. */
static void record_incident(struct encp *p)
{
	struct sc_fault_shm *f = &p->session->fault;
	if (atomic_load(&f->state) != SC_FAULT_READY || f->incident == p->incident_seen)
		return;
	struct sc_pf_incident r = {.detected_ns = f->detected_ns, .incident = f->incident, .detected = f->detected,
	                           .path = f->path, .injected = f->injected, .error_tick = f->error_tick,
	                           .detected_tick = f->detected_tick > f->error_tick ? f->detected_tick : f->error_tick};
	/* the supervisor may clear the record (and a detector refill it) while
	 * it is copied: a copy that mixes two incidents is not kept */
	if (atomic_load(&f->state) != SC_FAULT_READY || f->incident != r.incident)
		return;
	p->incident_seen = r.incident;
	sc_profile_file_put(p->pfile, SC_PF_INCIDENT, &r, sizeof(r));
}

/* The samples kept for the API and the feed live in the sample-store block:
 * a restarted encoder serves its predecessor's under the same seq and goes
 * on from there. Returns the samples taken over (all instances, saturating). */
static uint32_t adopt_sample_store(struct encp *p)
{
	uint64_t adopted[SC_SAMPLE_INSTANCES];
	uint32_t lost = 0;
	if (!sc_profile_adopt_sample_store(&p->profile, p->arena, adopted, &lost)) {
		sc_warn("profiling: no sample-store block of --sample-retention %u in the arena; the samples kept end "
		        "with this process", p->profile.sample_retention);
		return 0;
	}
	uint64_t total = adopted[0] + adopted[1] + adopted[2];
	if (total || lost)
		sc_info("profiling: took over the samples of the previous encoder process: %llu primary, %llu and %llu "
		        "shadow (seq %llu, %llu, %llu on)%s",
		        (unsigned long long)adopted[0], (unsigned long long)adopted[1], (unsigned long long)adopted[2],
		        (unsigned long long)p->profile.history_n[0] + 1, (unsigned long long)p->profile.history_n[1] + 1,
		        (unsigned long long)p->profile.history_n[2] + 1,
		        lost ? ", some lost (a slot or metadata not whole)" : "");
	return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}

/* The session's event track lives in its block: a restarted encoder goes on
 * with the ids, the events and what its predecessor had seen in the session
 * block (so nothing is recorded twice), and records that it took over. */
static void adopt_event_track(struct encp *p, uint32_t samples)
{
	uint32_t adopted = 0, lost = 0;
	p->seen = &p->seen_local;
	if (!sc_profile_adopt_event_track(&p->profile, p->arena, &adopted, &lost)) {
		sc_warn("profiling: no event-track block in the arena; the event track ends with this process");
		return;
	}
	struct sc_event_track *t = &p->profile.events;
	p->seen = &t->shm->seen;
	if (t->n == 0 && !lost && !p->seen->baselined)
		return; /* the session's first encoder process */
	sc_info("profiling: took over the event track of the previous encoder process: %u events (ids %llu..%llu)%s",
	        adopted, (unsigned long long)sc_event_oldest_locked(t), (unsigned long long)t->n,
	        lost ? ", some lost (a slot not whole)" : "");
	struct sc_event e = {.tag = SC_EV_ENCODER, .tick = atomic_load(&p->session->next_tick),
	                     .u.encoder = {.pid = (int32_t)getpid(), .adopted = adopted, .lost = lost, .samples = samples}};
	sc_event_record(t, &e);
}

/* The event track's events that show in the session block: incidents,
 * shadows pausing and resuming, a new primary (restored or restarted),
 * anomaly captures written; and the inputs of a tick the primary gathered. */
static void watch_session(struct encp *p)
{
	struct sc_session_shm *s = p->session;
	struct sc_event_track *t = &p->profile.events;
	sc_event_inputs_flush(t, input_stamp(p));
	struct sc_fault_shm *f = &s->fault;
	/* READY, or NONE again after the supervisor started a new pair: an
	 * incident this process (or, while none ran, its predecessor) did not see
	 * while it was READY; its fields stay until the next incident's detector
	 * claims the record */
	uint32_t state = atomic_load(&f->state);
	if (state != SC_FAULT_CLAIMED && f->incident && f->incident != p->seen->incident) {
		struct sc_event e = {.tag = SC_EV_INCIDENT, .time_ns = f->detected_ns, .tick = f->error_tick,
		                     .u.incident = {.incident = f->incident, .detected = f->detected,
		                                    .injected = f->injected, .detected_tick = f->detected_tick}};
		/* recorded only when the record did not change while copied (record_incident) */
		if (atomic_load(&f->state) == state && f->incident == e.u.incident.incident) {
			sc_event_record(t, &e); /* then seen: a kill between records it twice, never not */
			p->seen->incident = e.u.incident.incident;
			p->seen->incident_error_tick = e.tick;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct sc_shadow_shm *m = i ? &s->shadow_alt : &s->shadow;
		uint32_t st = atomic_load(&m->state), was = p->seen->shadow_state[i];
		bool paused = st == SC_SHADOW_PAUSED, was_paused = was == SC_SHADOW_PAUSED;
		if (paused == was_paused || (!paused && st == SC_SHADOW_OFF)) {
			p->seen->shadow_state[i] = st;
			continue;
		}
		uint32_t next = atomic_load(&m->next_tick);
		/* paused for the last incident: holding the tick before its error tick */
		uint32_t incident = p->seen->pause_incident[i];
		if (paused)
			incident = p->seen->incident && next && next == p->seen->incident_error_tick ? p->seen->incident : 0;
		struct sc_event e = {.tag = paused ? SC_EV_PAUSE : SC_EV_RESUME, .tick = atomic_load(&s->next_tick),
		                     .u.pause = {.slot = (uint32_t)i, .held_tick = next ? next - 1 : 0,
		                                 .incident = incident}};
		sc_event_record(t, &e);
		p->seen->pause_incident[i] = incident;
		p->seen->shadow_state[i] = st;
	}
	int32_t pid = atomic_load(&s->primary_pid);
	if (atomic_load(&s->primary_ready) && pid > 0 && pid != p->seen->primary_pid) {
		if (p->seen->primary_pid != 0) {
			uint32_t base = atomic_load(&s->primary_base_tick);
			struct sc_event e = {.tag = atomic_load(&s->restore_valid) ? SC_EV_RESTORE : SC_EV_RESTART,
			                     .tick = base, .u.restore = {.base_tick = base, .pid = pid}};
			sc_event_record(t, &e);
		}
		p->seen->primary_pid = pid;
	}
	uint64_t done = atomic_load(&s->anomaly_capture_done);
	if (done && done != p->seen->capture_done) {
		struct sc_event e = {.tag = SC_EV_CAPTURE, .tick = (uint32_t)done,
		                     .u.capture = {.index = (uint32_t)(done >> 32) & 0xff}};
		sc_event_record(t, &e);
		p->seen->capture_done = done;
	}
}

static void *encode_thread(void *arg)
{
	struct encp *p = arg;

	p->incident_seen = p->session->fault.incident; /* a restarted encoder continues the profile */
	if (!p->seen->baselined) {
		/* what was there before the session's first encoder process started
		 * is not news; a successor goes on from what its predecessor saw, so
		 * what changed while no encoder ran is recorded now */
		p->seen->incident = p->session->fault.incident;
		p->seen->capture_done = atomic_load(&p->session->anomaly_capture_done);
		p->seen->shadow_state[0] = atomic_load(&p->session->shadow.state);
		p->seen->shadow_state[1] = atomic_load(&p->session->shadow_alt.state);
		p->seen->baselined = 1;
	}
	while (!atomic_load(&p->stop)) {
		retry_notices(p);
		watch_session(p);
		if (p->pfile) {
			record_incident(p);
			sc_profile_file_poll(p->pfile, sc_now_ns());
		}
		tell_dropped(p);
		tell_discarded(p);
		/* notices are not held for a frame */
		sc_game_outbox_pull(&p->outbox);
		sc_game_outbox_flush(&p->outbox, false, 0, send_game_msg, p);
		/* a primary waits for the script's events of its next tick
		 * (server/script_wait.c): before tick 0 no frame comes first, and a
		 * frame this thread took before the primary's last gather left
		 * nothing to wake it for the next */
		if (p->script_next < p->script.count && atomic_load(&p->session->script_wait))
			feed_script(p);
		if (!p->reader.map) {
			check_ipc(p, 100);
			continue;
		}
		if (sc_doorbell_wait(&p->bell, frame_ready, &p->reader, SC_ENCP_FRAME_WAIT_MS)) {
			if (p->cfg->test_script_feed_delay_ms) {
				/* test only: an encoder slow to wake (a busy machine) */
				struct timespec ts = {.tv_nsec = (long)p->cfg->test_script_feed_delay_ms * 1000000L};
				nanosleep(&ts, NULL);
			}
			feed_script(p); /* first: the primary is between ticks right now (or waits for it) */
			encode_one(p);
		}
		check_ipc(p, 0);
	}
	return NULL;
}

/* --- set-up ------------------------------------------------------------------ */

/* A restarted encoder process: its predecessor's clients left with it, but
 * no notice said so. Reads the input log backwards (as an observer, within
 * what it still holds) for the last JOIN / LEAVE of each player slot and the
 * last spectator count; a slot still joined gets LEAVE disconnected (its
 * paddle stops), a count above 0 gets a count of 0. Before any thread. */
static void release_predecessor_clients(struct encp *p)
{
	struct sc_input_log *log = &p->input_log;
	uint64_t tail = sc_input_log_tail(log);
	uint64_t lo = tail > log->capacity ? tail - log->capacity : 0;
	int state[SC_MAX_PLAYERS]; /* -1 unknown, 0 left, 1 joined */
	int known = 0;
	int64_t spectators = -1;
	for (int i = 0; i < SC_MAX_PLAYERS; i++)
		state[i] = -1;
	for (uint64_t seq = tail; seq-- > lo && (known < SC_MAX_PLAYERS || spectators < 0);) {
		struct sc_input_event ev;
		enum sc_input_log_observed o = sc_input_log_observe(log, seq, &ev);
		if (o == SC_OBSERVE_GONE || o == SC_OBSERVE_CORRUPT)
			break;
		if (o != SC_OBSERVE_OK)
			continue;
		if (ev.action == SC_INPUT_SPECTATORS && spectators < 0)
			spectators = sc_input_spectators(&ev);
		if ((ev.action == SC_INPUT_JOIN || ev.action == SC_INPUT_LEAVE) && ev.player < SC_MAX_PLAYERS &&
		    state[ev.player] < 0) {
			state[ev.player] = ev.action == SC_INPUT_JOIN;
			known++;
		}
	}
	for (int i = 0; i < SC_MAX_PLAYERS; i++) {
		if (state[i] != 1)
			continue;
		sc_info("player %d's client left with the previous encoder process: player_disconnected", i);
		log_notice(p, (uint8_t)i, SC_INPUT_LEAVE, 1, 0);
	}
	if (spectators > 0) {
		sc_info("%lld spectators left with the previous encoder process", (long long)spectators);
		log_notice(p, 0, SC_INPUT_SPECTATORS, 0, 0);
	}
}

static bool attach_arena(struct encp *p)
{
	struct sc_session_view v;
	bool ok = sc_session_attach(&v, p->ipc_fd, SC_SESSION_ROLE_ENCODER, true, SC_ENCP_ARENA_TIMEOUT_MS);
	p->arena = v.arena;
	p->doorbell_fd = v.doorbell_fd;
	if (!ok)
		return false;
	if (!v.api_token[0]) {
		sc_err("the supervisor sent no debug API token");
		return false;
	}
	memcpy(p->api_token, v.api_token, sizeof(p->api_token));
	memcpy(p->player_token, v.player_token, sizeof(p->player_token));
	memcpy(p->spectator_token, v.spectator_token, sizeof(p->spectator_token));
	p->session = v.session;
	p->input_log = v.inputs;
	p->tick_log = v.ticks;
	/* the consumer of the typed rings: what a predecessor left unread was for
	 * its clients, who left with it (session/shm/msg_ring.h) */
	memcpy(p->rings, v.rings, sizeof(p->rings));
	struct sc_msg_ring *rings[SC_OUTBOX_RINGS];
	for (int i = 0; i < SC_SESSION_OUT_RINGS; i++) {
		uint64_t before = atomic_load(&p->rings[i].shm->discarded);
		if (sc_msg_ring_discard(&p->rings[i]))
			sc_info("%s: discarded %llu messages a previous encoder process left unread",
			        sc_session_ring_defs[i].name,
			        (unsigned long long)(atomic_load(&p->rings[i].shm->discarded) - before));
		rings[i] = &p->rings[i];
	}
	_Static_assert((int)SC_OUTBOX_RINGS == (int)SC_SESSION_OUT_RINGS, "one outbox queue per outbound ring");
	sc_game_outbox_init(&p->outbox, rings);
	if (!sc_input_origins_init(&p->origins, p->input_log.capacity)) {
		sc_err("out of memory for the input origins (%llu entries)", (unsigned long long)p->input_log.capacity);
		return false;
	}
	/* before this process appends anything (the notices below): the cursor
	 * reads the log's tail to tell whether the dead encoder's last append
	 * happened */
	if (p->script.count)
		resume_script(p);
	release_predecessor_clients(p);
	sc_input_drops_reader_init(&p->drops, p->session);
	sc_doorbell_init(&p->bell, p->doorbell_fd, &p->session->frame_doorbell_need_wakeup,
	                 SC_ENCP_DOORBELL_SPIN);
	p->reader.session = p->session;
	atomic_store(&p->session->zero_copy, 0); /* no frame encoded by this process yet */
	return true;
}

static struct sc_encoder *create_encoder(const struct sc_run_config *cfg)
{
	struct sc_encoder_config ec = {
		.width = cfg->width,
		.height = cfg->height,
		.fps = cfg->fps,
		.bitrate_kbps = cfg->bitrate_kbps,
		.idr_interval = cfg->idr_interval,
		.kind = cfg->encoder,
		.vaapi_device = cfg->vaapi_device[0] ? cfg->vaapi_device : NULL,
	};
	struct sc_encoder *enc = sc_encoder_create(&ec);
	if (!enc)
		return NULL;
	const char *why = sc_encoder_fallback_reason(enc);
	sc_info("encoder: %s %ux%u@%u %u kb/s%s%s%s", sc_encoder_name(enc), cfg->width, cfg->height,
	        cfg->fps, cfg->bitrate_kbps, why ? " (fallback: " : "", why ? why : "", why ? ")" : "");
	return enc;
}

static bool create_server(struct encp *p)
{
	const struct sc_run_config *cfg = p->cfg;
	uint32_t players = p->session->players ? p->session->players : cfg->players;
	struct sc_ws_server_config wc = {
		.listen_addr = cfg->listen_addr[0] ? cfg->listen_addr : NULL,
		.tls_cert = cfg->tls_cert[0] ? cfg->tls_cert : NULL,
		.tls_key = cfg->tls_key[0] ? cfg->tls_key : NULL,
		.allowed_origins = cfg->allow_origins[0] ? cfg->allow_origins : NULL,
		.player_token = p->player_token[0] ? p->player_token : NULL,
		.spectator_token = p->spectator_token[0] ? p->spectator_token : NULL,
		.developer_token = p->api_token,
		.port = cfg->port,
		.web_root = cfg->web_root,
		.width = cfg->width,
		.height = cfg->height,
		.fps = cfg->fps,
		.max_clients = cfg->max_clients,
		.max_client_message = cfg->max_message_bytes,
		.max_client_msgs_per_sec = cfg->client_rate,
		.client_queue_bytes = (size_t)cfg->client_queue_kib << 10,
		.socket_sndbuf_bytes = cfg->client_sndbuf_kib << 10,
		.no_io_uring = !cfg->io_uring,
		.max_players = players < 2 ? 2 : players > SC_MAX_PLAYERS ? SC_MAX_PLAYERS : players,
		.user = p,
		.on_input = on_input,
		.on_keyframe_request = on_keyframe_request,
		.on_join = on_join,
		.on_leave = on_leave,
		.on_chat = on_chat,
		.on_subscribe = on_subscribe,
		.on_unsubscribe = on_unsubscribe,
		.feed_pump = feed_pump,
		.metrics_text_fmt = metrics_text,
		.on_client_figures = on_client_figures,
		.on_client_measure = on_client_measure,
		.http_get = http_get,
		.http_request = http_request,
		.http_poll = http_poll,
		.encoder_name = sc_encoder_name(p->enc),
		.encoder_fallback_reason = sc_encoder_fallback_reason(p->enc),
	};
	sc_encoder_audio_info(&p->audio, &wc.audio);
	p->ws = sc_ws_server_create(&wc);
	if (!p->ws)
		return false;
	atomic_store(&p->session->http_port, sc_ws_server_port(p->ws));
	/* the session label of every /metrics series: --session-name, else ADDR:PORT */
	char name[80];
	bool v6 = strchr(cfg->listen_addr, ':') != NULL;
	if (cfg->session_name[0])
		snprintf(name, sizeof(name), "%s", cfg->session_name);
	else
		snprintf(name, sizeof(name), "%s%s%s:%u", v6 ? "[" : "", cfg->listen_addr[0] ? cfg->listen_addr : "0.0.0.0",
		         v6 ? "]" : "", sc_ws_server_port(p->ws));
	sc_ws_server_set_metrics_session(p->ws, name);
	return true;
}

/* --profile FILE (the supervisor created it): the writer, fed by the
 * sample reader, the encoder, the incidents and the clients; the disk worker
 * writes it. A profile that cannot be written is logged and left out: the
 * game goes on. */
static void open_profile(struct encp *p)
{
	const struct sc_run_config *cfg = p->cfg;
	static const char *const passes[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;
	json_t *pj = json_array(), *cj = json_array();
	for (int i = 0; i < SC_SAMPLE_PASSES; i++)
		json_array_append_new(pj, json_string(passes[i]));
	for (uint32_t i = 0; i < cfg->n_conditions; i++)
		json_array_append_new(cj, json_pack("{s:s,s:s,s:b}", "name", cfg->conditions[i].name, "condition",
		                                    cfg->conditions[i].text, "capture", cfg->conditions[i].capture));
	char device[sizeof(p->session->primary_device)];
	memcpy(device, p->session->primary_device, sizeof(device));
	device[sizeof(device) - 1] = '\0';
	json_t *dev = json_string(device); /* NULL when not UTF-8 */
	json_t *meta = json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:o,s:o,s:o,s:[sss]}", "program", "shadowcast",
	                         "pid", (int)getpid(), "fps", cfg->fps, "width", cfg->width, "height", cfg->height,
	                         "particles", cfg->particles, "players", cfg->players, "sample_every", cfg->sample_every,
	                         "encoder", sc_encoder_name(p->enc), "device", dev ? dev : json_null(), "passes", pj,
	                         "conditions", cj, "instances", "primary", "shadow0", "shadow1");
	/* --sample-window: only the samples around condition hits are in the file */
	if (meta)
		json_object_set_new(meta, "sample_window", cfg->sample_window
		                    ? json_pack("{s:i,s:i}", "before", (json_int_t)cfg->sample_window_before, "after",
		                                (json_int_t)cfg->sample_window_after)
		                    : json_null());
	char *text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	json_decref(meta);
	char err[256];
	p->pfile = text ? sc_profile_file_open(cfg->profile, (uint64_t)cfg->profile_max_mib << 20, text, p->disk, err,
	                                       sizeof(err)) : NULL;
	bool built = text != NULL;
	free(text);
	if (!p->pfile) {
		sc_err("profile: not writing %s: %s", cfg->profile, built ? err : "out of memory");
		return;
	}
	p->profile.file = p->pfile;
	p->client_metrics.file = p->pfile;
}

static int block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		sc_err("signalfd: %s", strerror(errno));
	return fd;
}

int sc_encoder_process_main(int ipc_fd, const struct sc_run_config *cfg)
{
	struct encp *p = calloc(1, sizeof(*p));
	int rc = 1;

	sc_log_set_role("encoder");
	if (!p) {
		sc_err("out of memory");
		return 1;
	}
	p->cfg = cfg;
	p->ipc_fd = ipc_fd;
	p->doorbell_fd = -1;
	p->status.stats = &p->stats;
	p->sig_fd = -1;
	p->in_place_logged = -1;
	pthread_mutex_init(&p->log_lock, NULL);
	pthread_mutex_init(&p->shown_lock, NULL);
	pthread_mutex_init(&p->live_lock, NULL);
	if (cfg->inputs[0]) {
		if (!sc_input_list_load(&p->script, cfg->inputs))
			goto out;
		sc_info("inputs: %zu scripted events from %s", p->script.count, cfg->inputs);
	}
	sc_frame_reader_init(&p->reader, NULL, sc_frame_seal_verify);
	/* before any thread exists (libx264 starts its own): SIGTERM/SIGINT reach
	 * the encode thread's signalfd only */
	p->sig_fd = block_signals();
	if (p->sig_fd < 0)
		goto out;
	/* next: it forks the isolated VA-API probe, before any thread exists */
	p->enc = create_encoder(cfg);
	if (!p->enc)
		goto out_sig;
	if (!attach_arena(p))
		goto out_arena;
	p->status.session = p->session;
	p->status.arena = p->arena;
	static const char *const ring_names[SC_SESSION_MSG_RINGS] = {
		[SC_SESSION_RING_EVENT] = "event", [SC_SESSION_RING_HAPTIC] = "haptic", [SC_SESSION_RING_NOTICE] = "notice",
		[SC_SESSION_RING_CHAT] = "chat", [SC_SESSION_RING_CHAT_IN] = "chat_in"};
	p->status.rings = p->rings;
	p->status.ring_names = ring_names;
	p->status.n_rings = SC_SESSION_MSG_RINGS;
	sc_profile_init(&p->profile, p->arena, p->session); /* the sample rings (session/shm/sample.h) */
	sc_profile_set_conditions(&p->profile, cfg->conditions, cfg->n_conditions);
	sc_profile_set_retention(&p->profile, cfg->sample_retention, cfg->event_retention);
	adopt_event_track(p, adopt_sample_store(p));
	sc_sample_feed_init(&p->feed, &p->profile, cfg->feed_queue);
	if (cfg->sample_window) {
		if (!sc_profile_set_window(&p->profile, cfg->sample_window_before, cfg->sample_window_after))
			sc_warn("profiling: no memory for --sample-window; every sample is retained");
		else if (cfg->n_conditions == 0)
			sc_warn("profiling: --sample-window %u:%u without a condition retains no sample",
			        cfg->sample_window_before, cfg->sample_window_after);
	}
	p->api = (struct sc_debug_api){
		.cfg = cfg,
		.api_token = p->api_token,
		.session = p->session,
		.input_log = &p->input_log,
		.tick_log = &p->tick_log,
		.log_lock = &p->log_lock,
		.inputs_logged = &p->stats.inputs_logged,
		.input_stamp = api_input_stamp,
		.live_json = api_live_json,
		.profile_json = api_profile_json,
		.events = &p->profile.events,
		.on_shadow_pause = api_shadow_pause,
		.ud = p,
	};
	if (cfg->audio && !sc_encoder_audio_init(&p->audio, p->arena, p->session, cfg->audio_bitrate_kbps * 1000))
		sc_warn("audio: not available; clients get no sound");
	if (!create_server(p))
		goto out_arena;
	sc_encoder_audio_set_server(&p->audio, p->ws);
	sc_sample_feed_set_server(&p->feed, p->ws);
	/* after the server (it wakes it), before its service loop */
	if (!(p->disk = sc_disk_worker_create(disk_wake, p)) || !(p->summaries = sc_capture_summaries_create(p->disk))) {
		sc_err("cannot start the disk worker");
		goto out_ws;
	}
	p->api.disk = p->disk;
	p->api.summaries = p->summaries;
	if (cfg->profile[0])
		open_profile(p);
	atomic_store(&p->keyframe, true);
	if (pthread_create(&p->thread, NULL, encode_thread, p) != 0) {
		sc_err("cannot start the encode thread");
		goto out_ws;
	}
	bool served = sc_ws_server_run(p->ws);
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	rc = served ? atomic_load(&p->exit_code) : 1;
	sc_info("stopped: %llu frames encoded, %llu inputs logged",
	        (unsigned long long)p->frames_out, (unsigned long long)atomic_load(&p->stats.inputs_logged));
out_ws:
	/* the worker stops waking the server; the server releases the replies it
	 * holds (which kick the worker); then the worker frees what is left */
	sc_disk_worker_stop(p->disk);
	sc_ws_server_destroy(p->ws);
	sc_disk_worker_destroy(p->disk);
	sc_capture_summaries_destroy(p->summaries);
	sc_profile_file_close(p->pfile); /* no producer and no disk job left */
	p->pfile = p->profile.file = p->client_metrics.file = NULL;
out_arena:
	sc_frame_reader_finish(&p->reader);
	sc_encoder_audio_finish(&p->audio);
	sc_sample_feed_finish(&p->feed);
	sc_profile_finish(&p->profile);
	if (p->arena) {
		sc_arena_unregister(p->arena);
		sc_arena_destroy(p->arena);
	}
	if (p->doorbell_fd >= 0)
		close(p->doorbell_fd);
	sc_encoder_destroy(p->enc);
out_sig:
	if (p->sig_fd >= 0)
		close(p->sig_fd);
out:
	sc_input_list_finish(&p->script);
	sc_input_origins_finish(&p->origins);
	pthread_mutex_destroy(&p->log_lock);
	pthread_mutex_destroy(&p->shown_lock);
	pthread_mutex_destroy(&p->live_lock);
	free(p);
	return rc;
}
