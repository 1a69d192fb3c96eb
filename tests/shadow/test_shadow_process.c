/* The shadow process under a test supervisor: this test creates the session
 * (arena, session block, input and tick logs), starts `shadowcast __child
 * shadow`, and plays the primary itself on its own game: inputs into the input
 * log, tick records into the tick log, then a FAULT input at a random error
 * tick reported as an incident the way the primary / supervisor report it.
 * Asserts: the shadow pauses holding error_tick - 1 with the primary's hash
 * for it, writes a capture with the offending input not applied, stepping by
 * input through the mailbox reproduces exactly at the fault input (deterministic
 * kinds) or says why not (hang, crash), replay of the capture reproduces
 * offline, commands are answered, SIGTERM ends it cleanly; a desynchronised
 * shadow reports a divergence at the first differing tick.
 *   test_shadow_process SHADOWCAST KIND SEED   (KIND: assert|corrupt|hang|crash|desync) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpu/game.h"
#include "gpu/input_gather.h"
#include "net/shm/arena.h"
#include "net/shm/doorbell.h"
#include "net/shm/fd_passing.h"
#include "net/shm/input_log.h"
#include "session/session.h"
#include "session/session_attach.h"
#include "util/json_get.h"
#include "util/read_file.h"
#include "util/clock.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

#define DELAY 60 /* 2 s at 30 fps: more than the 1500 ms hang timeout */
#define W 160
#define H 96
#define PARTICLES 3000

static uint32_t rng_state;
static uint32_t rnd(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

struct harness {
	struct sc_arena *arena;
	struct sc_session_shm *s;
	struct sc_input_log in_log, tick_log, chat_log;
	int reader;
	pid_t shadow;
	struct sc_game *game;
	uint64_t hashes[4096];
	char captures[256];
};

static bool make_log(struct harness *h, const char *name, enum sc_arena_block_kind kind, uint64_t cap, uint32_t rec,
                     struct sc_input_log *log)
{
	struct sc_arena_block b;
	size_t size = sc_input_log_block_size(cap, rec);
	return sc_arena_block_create(h->arena, name, kind, size, &b) &&
	       sc_input_log_init(log, sc_arena_ptr(h->arena, b.off, b.size), b.size, cap, rec, 0);
}

static bool start_shadow(struct harness *h, const char *exe, const char *desync)
{
	struct sc_arena_block b;
	if (!(h->arena = sc_arena_create("test-shadow", 32u << 20)) || sc_arena_register(h->arena, "test") < 0 ||
	    !sc_arena_block_create(h->arena, SC_SESSION_BLOCK, SC_BLOCK_RAW, sizeof(struct sc_session_shm), &b))
		return false;
	h->s = sc_arena_ptr(h->arena, b.off, sizeof(*h->s));
	h->s->magic = SC_SESSION_MAGIC;
	h->s->version = SC_SESSION_LAYOUT_VERSION;
	if (!make_log(h, SC_INPUT_LOG_BLOCK, SC_BLOCK_INPUT_LOG, SC_LOG_CAPACITY_DEFAULT, sizeof(struct sc_input_event),
	              &h->in_log) ||
	    !make_log(h, SC_TICK_LOG_BLOCK, SC_BLOCK_TICK_LOG, SC_LOG_CAPACITY_DEFAULT, sizeof(struct sc_tick_record),
	              &h->tick_log) ||
	    !sc_session_create_chat_log(h->arena, &h->chat_log) ||
	    !sc_session_create_msg_rings(h->arena)) /* every child finds the session's blocks, the rings too */
		return false;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return false;
	char fd[16], delay[16];
	snprintf(fd, sizeof(fd), "%d", sv[1]);
	snprintf(delay, sizeof(delay), "%dt", DELAY);
	h->shadow = fork();
	if (h->shadow == 0) {
		close(sv[0]);
		char *argv[] = {(char *)exe, "__child", "shadow", "--ipc-fd", fd, "--size", "160x96", "--particles", "3000",
		                "--seed", "7", "--fps", "30", "--delay", delay, "--hang-timeout", "1500", "--captures",
		                h->captures, desync ? "--desync-shadow" : NULL, (char *)desync, NULL};
		execv(exe, argv);
		_exit(127);
	}
	close(sv[1]);
	int fds[2] = {sc_arena_fd(h->arena), sc_doorbell_eventfd()};
	bool ok = sc_fd_send(sv[0], SC_FD_KIND_ARENA, 0, sc_arena_size(h->arena), fds, 2);
	close(fds[1]);
	return ok;
}

static bool start_primary(struct harness *h, struct sc_vk_device *dev)
{
	struct sc_game_config gc;
	sc_game_config_defaults(&gc);
	gc.width = W;
	gc.height = H;
	gc.particles = PARTICLES;
	gc.seed = 7;
	gc.fps = 30; /* as the shadow's --fps: a tick's sound has 48000 / fps samples */
	gc.frame_slots = 1;
	gc.hang_timeout_ms = 10000; /* the test's primary never hangs on purpose */
	if (!(h->game = sc_game_create(dev, &gc)) || !sc_input_log_reader_attach(&h->in_log, UINT64_MAX, &h->reader))
		return false;
	atomic_store(&h->s->primary_start_seq, sc_input_log_cursor(&h->in_log, h->reader));
	atomic_store(&h->s->primary_tick_log_seq, sc_input_log_tail(&h->tick_log));
	atomic_store(&h->s->primary_chat_seq, sc_input_log_tail(&h->chat_log));
	atomic_store(&h->s->primary_base_tick, 0);
	atomic_store(&h->s->primary_ready, 1);
	return true;
}

static void append(struct harness *h, struct sc_input_event ev)
{
	while (sc_input_log_append(&h->in_log, &ev, NULL) == SC_RING_FULL)
		usleep(1000);
}

static struct sc_input_event random_input(uint32_t tick)
{
	struct sc_input_event ev = {.tick = tick, .player = (uint8_t)(rnd() % 2)};
	uint32_t r = rnd() % 32;
	if (r < 3) {
		/* a system notice now and then (the paddle stops; a count) */
		ev.action = r == 0 ? SC_INPUT_JOIN : r == 1 ? SC_INPUT_LEAVE : SC_INPUT_SPECTATORS;
		if (r == 1)
			ev.a = (int8_t)(rnd() % 2);
		if (r == 2) {
			ev.player = 0;
			sc_input_set_spectators(&ev, rnd() % 1000);
		}
	} else if (rnd() % 4) {
		ev.action = SC_INPUT_MOVE;
		ev.a = (int8_t)((int)(rnd() % 255) - 127);
		ev.b = (int8_t)((int)(rnd() % 255) - 127);
	} else {
		ev.action = SC_INPUT_SHOOT;
	}
	return ev;
}

/* One primary tick: takes every pending input stamped <= tick, at most
 * SC_MAX_INPUTS_PER_TICK (the stamped-tick rule of server/primary.c,
 * gpu/input_gather.h). */
static bool primary_tick(struct harness *h, uint32_t tick, struct sc_tick_result *res, bool publish)
{
	struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
	struct sc_tick_record rec = {.tick = tick};
	uint64_t seq = sc_input_log_cursor(&h->in_log, h->reader);
	rec.seq_begin = seq;
	struct sc_input_gather g = sc_input_gather_start(tick);
	uint32_t n = 0;
	while (!sc_input_gather_full(&g) && sc_input_log_peek(&h->in_log, h->reader, seq, &ev[n]) == SC_RING_SUCCESS &&
	       sc_input_gather_accepts(&g, ev[n].tick)) {
		sc_input_gather_take(&g);
		ev[n].tick = tick;
		ev[n].seq = (uint32_t)seq;
		n++;
		seq++;
	}
	sc_input_log_consume(&h->in_log, h->reader, seq);
	rec.seq_end = seq;
	rec.n_inputs = n;
	atomic_store(&h->s->next_tick, tick);
	if (sc_game_tick(h->game, ev, n, 0, 0, res) != SC_GAME_OK)
		return false;
	if (!publish)
		return true;
	rec.hash = res->hash;
	h->hashes[tick] = res->hash;
	while (sc_input_log_append(&h->tick_log, &rec, NULL) == SC_RING_FULL)
		usleep(1000);
	atomic_store(&h->s->next_tick, tick + 1);
	atomic_store(&h->s->heartbeat_ns, sc_now_ns());
	return true;
}

static void report(struct harness *h, uint32_t detected, uint32_t path, uint32_t injected, uint32_t tick,
                   struct sc_shader_fault_record record)
{
	struct sc_fault_shm *f = &h->s->fault;
	atomic_store(&f->state, SC_FAULT_CLAIMED);
	f->record = record;
	f->incident = 1;
	f->detected = detected;
	f->path = path;
	f->injected = injected;
	f->error_tick = tick;
	f->primary_hash_before = h->hashes[tick - 1];
	f->detected_ns = sc_now_ns();
	snprintf(f->detail, sizeof(f->detail), "test: injected %s at tick %u", sc_fault_kind_name(injected), tick);
	atomic_store(&f->state, SC_FAULT_READY);
}

static bool wait_for(bool (*cond)(struct harness *), struct harness *h, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		if (cond(h))
			return true;
		usleep(5000);
	}
	return cond(h);
}

static bool is_paused(struct harness *h)
{
	return atomic_load(&h->s->shadow.state) == SC_SHADOW_PAUSED && atomic_load(&h->s->shadow.captures) > 0;
}

static int command(struct harness *h, uint32_t cmd, int64_t arg, char *msg, size_t len)
{
	struct sc_shadow_shm *m = &h->s->shadow;
	m->cmd = cmd;
	m->arg = arg;
	uint32_t seq = atomic_fetch_add(&m->cmd_seq, 1) + 1;
	for (int i = 0; i < 6000 && atomic_load(&m->done_seq) != seq; i++)
		usleep(5000);
	if (atomic_load(&m->done_seq) != seq) {
		snprintf(msg, len, "(no answer in 30 s)");
		return -1;
	}
	snprintf(msg, len, "%s", m->message);
	return m->result;
}

static bool file_has(const char *path, const char *needle)
{
	char *text = sc_read_file(path, NULL);
	bool ok = text && strstr(text, needle);
	free(text);
	return ok;
}

static int run_replay(const char *exe, const char *capture)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(exe, exe, "replay", capture, "--hang-timeout", "1500", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int stop_shadow(struct harness *h)
{
	kill(h->shadow, SIGTERM);
	int status = 0;
	for (int i = 0; i < 1000 && waitpid(h->shadow, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(h->shadow, &status, WNOHANG) == 0 && kill(h->shadow, 0) == 0) {
		kill(h->shadow, SIGKILL);
		waitpid(h->shadow, &status, 0);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_incident(const char *exe, struct harness *h, struct sc_vk_device *dev, enum sc_fault_kind kind)
{
	uint32_t error_tick = DELAY + 20 + rnd() % 60;
	struct sc_tick_result res;
	if (!start_primary(h, dev)) {
		CHECK(false, "primary start");
		return;
	}
	for (uint32_t t = 0; t < error_tick; t++) {
		for (uint32_t i = rnd() % 3; i > 0; i--)
			append(h, random_input(t));
		if (!primary_tick(h, t, &res, true)) {
			CHECK(false, "primary tick %u", t);
			return;
		}
		if (t == 5 || t == error_tick - 2) {
			/* a chat line the primary relayed at t, in the chat log before t's record is read */
			struct sc_chat_record c = {.tick = t, .player = t & 1, .len = 8};
			snprintf(c.text, sizeof(c.text), "hi \"%03u\"", t);
			sc_input_log_append(&h->chat_log, &c, NULL);
		}
		usleep(2000); /* let the shadow trail */
	}
	/* the error tick: moves, the fault, a move; and an input for a later tick */
	uint32_t before = 1 + rnd() % 3;
	for (uint32_t i = 0; i < before; i++)
		append(h, random_input(error_tick));
	append(h, (struct sc_input_event){.tick = error_tick, .action = SC_INPUT_FAULT, .a = (int8_t)kind});
	append(h, random_input(error_tick));
	append(h, random_input(error_tick + 3));
	uint32_t fault_k = before + 1, n_at_error = before + 2;
	if (kind == SC_FAULT_ASSERT || kind == SC_FAULT_CORRUPT) {
		CHECK(primary_tick(h, error_tick, &res, false), "primary error tick");
		CHECK(kind == SC_FAULT_ASSERT ? res.state.hdr.fault_kind == SC_FAULT_ASSERT : 1, "assert fault record");
		/* the primary's own fault record or validation: self-reported */
		const struct sc_game_header *hd = &res.state.hdr;
		report(h, kind == SC_FAULT_ASSERT ? SC_DETECTED_ASSERT : SC_DETECTED_INVALID, SC_FAULT_PATH_SELF, kind,
		       error_tick, (struct sc_shader_fault_record){hd->fault_kind, hd->fault_detail, hd->fault_tick});
	} else {
		/* hang: the supervisor's heartbeat monitor; crash: the primary's death */
		atomic_store(&h->s->next_tick, error_tick);
		report(h, kind == SC_FAULT_HANG ? SC_DETECTED_HANG : SC_DETECTED_DEATH, SC_FAULT_PATH_EXTERNAL, kind,
		       error_tick, (struct sc_shader_fault_record){0});
	}
	CHECK(wait_for(is_paused, h, 60000), "the shadow pauses with a capture (state %u)",
	      atomic_load(&h->s->shadow.state));
	struct sc_shadow_shm *m = &h->s->shadow;
	CHECK(atomic_load(&m->next_tick) == error_tick, "the shadow holds error tick - 1: next tick %u, error tick %u",
	      atomic_load(&m->next_tick), error_tick);
	CHECK(atomic_load(&m->hash) == h->hashes[error_tick - 1], "its hash equals the primary's for tick %u",
	      error_tick - 1);
	CHECK(atomic_load(&m->divergences) == 0, "no divergence");
	char dir[600], path[700], want[128];
	snprintf(dir, sizeof(dir), "%s", m->capture_dir);
	char expect_dir[64];
	snprintf(expect_dir, sizeof(expect_dir), "/incident-1-tick-%u", error_tick);
	CHECK(strstr(dir, expect_dir) != NULL, "capture dir %s", dir);
	CHECK(atomic_load(&m->capture_dir_incident) == 1, "the capture is incident 1's: %u",
	      atomic_load(&m->capture_dir_incident));
	/* error.json's fault record: the numbers of the session's fault record */
	snprintf(path, sizeof(path), "%s/error.json", dir);
	{
		size_t elen = 0;
		char *etext = sc_read_file(path, &elen);
		json_t *e = etext ? sc_json_parse_object(etext, elen) : NULL;
		uint64_t rk = 0, rt = 0;
		bool have = e && sc_json_get_u64(e, "fault_record.kind", &rk) && sc_json_get_u64(e, "fault_record.tick", &rt);
		if (kind == SC_FAULT_ASSERT)
			CHECK(have && rk == SC_FAULT_ASSERT && rt == error_tick, "error.json fault_record: kind %llu tick %llu",
			      (unsigned long long)rk, (unsigned long long)rt);
		else
			CHECK(e && json_is_null(sc_json_at(e, "fault_record")), "error.json: no fault record for %s",
			      sc_fault_kind_name(kind));
		json_decref(e);
		free(etext);
	}
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	snprintf(want, sizeof(want), "\"held_tick\": %u", error_tick - 1);
	CHECK(file_has(path, want), "manifest: %s", want);
	CHECK(file_has(path, "\"hashes_match\": true"), "manifest: hashes match");
	/* the chat the primary relayed before the fault, with its ticks */
	snprintf(path, sizeof(path), "%s/chat.txt", dir);
	snprintf(want, sizeof(want), "\n5 1 \"hi \\\"005\\\"\"\n%u %u \"hi \\\"%03u\\\"\"\n", error_tick - 2,
	         (error_tick - 2) & 1, error_tick - 2);
	CHECK(file_has(path, want), "chat.txt holds both lines: %s", want);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	CHECK(file_has(path, "\"chat\": \"chat.txt\"") && file_has(path, "\"lines\": 2"), "manifest: chat");
	snprintf(path, sizeof(path), "%s/inputs.txt", dir);
	snprintf(want, sizeof(want), "%u - fault %s", error_tick, sc_fault_kind_name(kind));
	CHECK(file_has(path, want) && file_has(path, "offending, not applied"), "inputs.txt holds '%s', not applied",
	      want);
	snprintf(path, sizeof(path), "%s/frame.png", dir);
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size > 100, "frame.png of the held tick");

	char msg[300];
	int r = command(h, SC_SHADOW_CMD_SET_DELAY, 36001, msg, sizeof(msg));
	CHECK(r == EINVAL && strstr(msg, "refused"), "a delay over 36000 ticks is refused: %d %s", r, msg);
	r = command(h, SC_SHADOW_CMD_SET_DELAY, 75, msg, sizeof(msg));
	CHECK(r == 0 && atomic_load(&m->delay_ticks) == 75, "set delay: %d %s", r, msg);

	for (uint32_t k = 1; k <= fault_k; k++) {
		r = command(h, SC_SHADOW_CMD_STEP_INPUT, 0, msg, sizeof(msg));
		printf("step %u: %d %s\n", k, r, msg);
		CHECK(r == 0, "step input %u answered ok", k);
		CHECK(atomic_load(&m->inputs_applied_in_held_tick) == k, "inputs applied in the held tick: %u",
		      atomic_load(&m->inputs_applied_in_held_tick));
		/* the answer's fields, not its words */
		bool reproduced = m->reproduced != 0;
		snprintf(want, sizeof(want), "step-%u", k);
		CHECK(strcmp(m->step_dir, want) == 0, "step %u's directory: '%s'", k, m->step_dir);
		if (kind == SC_FAULT_HANG && k == fault_k)
			CHECK(strstr(msg, "would hang: not executed"), "a hang input is not executed in the shadow");
		else if (kind == SC_FAULT_CRASH && k == fault_k)
			CHECK(reproduced && strstr(msg, "host-side fault: not executed"), "crash: host-side, not executed");
		else
			CHECK(reproduced == (k == fault_k), "step %u reproduces %s", k, k == fault_k ? "the fault" : "nothing");
		snprintf(path, sizeof(path), "%s/step-%u/result.json", dir, k);
		CHECK(stat(path, &st) == 0, "step %u wrote %s", k, path);
	}
	if (kind == SC_FAULT_ASSERT || kind == SC_FAULT_CORRUPT) {
		snprintf(path, sizeof(path), "%s/step-%u/state.bin", dir, fault_k);
		CHECK(stat(path, &st) == 0 && st.st_size > PARTICLES * 16, "the step's new state");
		r = command(h, SC_SHADOW_CMD_STEP_TICK, 0, msg, sizeof(msg));
		CHECK(r == 0 && m->reproduced, "step tick runs the whole error tick: %d %s", r, msg);
		snprintf(want, sizeof(want), "tick-%u", error_tick);
		CHECK(strcmp(m->step_dir, want) == 0, "step tick's directory: '%s'", m->step_dir);
		CHECK(atomic_load(&m->next_tick) == error_tick + 1, "then holds the error tick");
	}
	r = command(h, SC_SHADOW_CMD_CAPTURE, 0, msg, sizeof(msg));
	CHECK(r == 0 && strstr(msg, "manual-1"), "capture on request: %d %s", r, msg);
	CHECK(atomic_load(&m->capture_dir_incident) == 0 && !m->reproduced && !m->step_dir[0],
	      "a developer's capture: no incident, no step");
	r = command(h, SC_SHADOW_CMD_RESUME, 0, msg, sizeof(msg));
	CHECK(r == 0 || r == EFAULT || r == ECANCELED, "resume after the incident: %d %s", r, msg);
	CHECK(strstr(msg, "resumed"), "resume says what it ran: %s", msg);
	r = command(h, 99, 0, msg, sizeof(msg));
	CHECK(r == ENOSYS, "an unknown command is refused: %d %s", r, msg);
	(void)n_at_error;

	int rc = run_replay(exe, dir);
	CHECK(rc == 0, "replay of the capture reproduces offline (exit %d)", rc);
	CHECK(stop_shadow(h) == 0, "SIGTERM: the shadow exits 0");
}

static bool diverged(struct harness *h)
{
	return atomic_load(&h->s->shadow.divergences) > 0;
}

static void test_desync(struct harness *h, struct sc_vk_device *dev, uint32_t desync_tick)
{
	struct sc_tick_result res;
	if (!start_primary(h, dev))
		return;
	for (uint32_t t = 0; t < desync_tick + DELAY + 10; t++) {
		append(h, random_input(t));
		primary_tick(h, t, &res, true);
		usleep(2000);
	}
	CHECK(wait_for(diverged, h, 30000), "the desynchronised shadow reports a divergence");
	/* a developer's pause and resume while the primary plays on */
	char msg[300];
	struct sc_shadow_shm *m = &h->s->shadow;
	int r = command(h, SC_SHADOW_CMD_PAUSE, 0, msg, sizeof(msg));
	uint32_t held = atomic_load(&m->next_tick);
	CHECK(r == 0 && atomic_load(&m->state) == SC_SHADOW_PAUSED, "pause: %d %s", r, msg);
	uint32_t t0 = atomic_load(&h->s->next_tick);
	for (uint32_t t = t0; t < t0 + 10; t++) {
		append(h, random_input(t));
		primary_tick(h, t, &res, true);
	}
	usleep(100000);
	CHECK(atomic_load(&m->next_tick) == held, "paused: stays at tick %u (now %u)", held, atomic_load(&m->next_tick));
	r = command(h, SC_SHADOW_CMD_STEP_TICK, 0, msg, sizeof(msg));
	CHECK(r == 0 && atomic_load(&m->next_tick) == held + 1, "step tick applies the next record: %d %s", r, msg);
	r = command(h, SC_SHADOW_CMD_STEP_INPUT, 0, msg, sizeof(msg));
	CHECK(r == 0 || r == EINVAL, "step input on a developer's pause: %d %s", r, msg);
	r = command(h, SC_SHADOW_CMD_CAPTURE, 0, msg, sizeof(msg));
	CHECK(r == 0 && strstr(msg, "manual-"), "capture: %d %s", r, msg);
	r = command(h, SC_SHADOW_CMD_RESUME, 0, msg, sizeof(msg));
	CHECK(r == 0 && atomic_load(&m->state) == SC_SHADOW_RESUMED, "resume: %d %s", r, msg);
	for (uint32_t t = t0 + 10; t < t0 + 10 + DELAY + 5; t++) {
		append(h, random_input(t));
		primary_tick(h, t, &res, true);
		usleep(2000);
	}
	usleep(300000);
	CHECK(atomic_load(&m->next_tick) > held + 5, "resumed: follows the log again (at %u)", atomic_load(&m->next_tick));
	CHECK(atomic_load(&h->s->shadow.first_divergence_tick) == desync_tick, "first divergence at tick %u (got %u)",
	      desync_tick, atomic_load(&h->s->shadow.first_divergence_tick));
	CHECK(stop_shadow(h) == 0, "SIGTERM: the shadow exits 0");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_shadow_process SHADOWCAST assert|corrupt|hang|crash|desync [SEED]\n");
		return 2;
	}
	uint32_t seed = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : (uint32_t)time(NULL) ^ (uint32_t)getpid();
	printf("seed %u\n", seed);
	rng_state = seed * 2654435761u + 1;
	struct harness h = {0};
	snprintf(h.captures, sizeof(h.captures), "/tmp/sc-shadow-test-%d", (int)getpid());
	bool desync = strcmp(argv[2], "desync") == 0;
	enum sc_fault_kind kind = SC_FAULT_ASSERT;
	if (!desync && !sc_fault_kind_parse(argv[2], &kind)) {
		fprintf(stderr, "unknown kind %s\n", argv[2]);
		return 2;
	}
	uint32_t desync_tick = 20 + rnd() % 20;
	char desync_arg[16];
	snprintf(desync_arg, sizeof(desync_arg), "%u", desync_tick);
	if (!start_shadow(&h, argv[1], desync ? desync_arg : NULL)) {
		fprintf(stderr, "cannot start the shadow\n");
		return 1;
	}
	struct sc_vk_device *dev = sc_vk_device_create("auto");
	if (!dev)
		return 1;
	if (desync)
		test_desync(&h, dev, desync_tick);
	else
		test_incident(argv[1], &h, dev, kind);
	if (h.shadow > 0 && kill(h.shadow, 0) == 0) {
		kill(h.shadow, SIGKILL);
		waitpid(h.shadow, NULL, 0);
	}
	sc_game_destroy(h.game);
	sc_vk_device_destroy(dev);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h.captures);
	if (!failures && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", h.captures);
	if (failures) {
		fprintf(stderr, "%d failures (seed %u; captures kept in %s)\n", failures, seed, h.captures);
		return 1;
	}
	printf("shadow process %s ok\n", argv[2]);
	return 0;
}
