/* `shadowcast run`: the supervisor (the communications engine). Creates the
 * arena and the session's named blocks (session/session.h), starts the encoder
 * process and the primary instance, hands them their fds, forwards the
 * primary's frame memory to the encoder, restarts a crashed child with
 * back-off, prints the URL, and on SIGINT/SIGTERM takes everything down. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/shm/doorbell.h"
#include "net/shm/fd_passing.h"
#include "server/checkpoint_file.h"
#include "server/commands.h"
#include "session/audio_ring.h"
#include "session/sample_ring.h"
#include "server/event_track.h"
#include "server/sample_store.h"
#include "server/supervisor_priv.h"
#include "session/session_attach.h"
#include "util/clock.h"
#include "util/log.h"

#define SUP_STOP_GRACE_NS (3ull * 1000 * 1000 * 1000)
#define SUP_SECOND_SIGNAL_NS (500ull * 1000 * 1000)
#define SUP_PORT_POLL_MS 20

static bool create_log(struct supervisor *sup, const char *name, enum sc_arena_block_kind kind,
                       uint64_t capacity, uint32_t record_size, struct sc_input_log *log)
{
	struct sc_arena_block b;
	size_t size = sc_input_log_block_size(capacity, record_size);
	if (!sc_arena_block_create(sup->arena, name, kind, size, &b)) {
		sc_err("arena: cannot create block '%s' (%zu bytes)", name, size);
		return false;
	}
	if (!sc_input_log_init(log, sc_arena_ptr(sup->arena, b.off, b.size), b.size, capacity, record_size, 0)) {
		sc_err("arena: cannot format block '%s' as a log", name);
		return false;
	}
	return true;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static bool session_init(struct supervisor *sup)
{
	const struct sc_run_config *cfg = &sup->cfg;
	/* the profiling stores grow with their retentions (up to ~390 MiB):
	 * the arena grows by the buddy blocks they take, so any retention the
	 * options allow fits */
	size_t arena_bytes = (size_t)cfg->arena_mib << 20;
	arena_bytes += pow2_at_least(sc_sample_store_block_size(cfg->sample_retention)) +
	               pow2_at_least(sc_event_track_block_size(cfg->event_retention));
	sup->arena_bytes = arena_bytes;
	if (!(sup->arena = sc_arena_create("shadowcast-arena", arena_bytes)))
		return false;
	if (sc_arena_register(sup->arena, "supervisor") < 0) {
		sc_err("arena: cannot register the supervisor");
		return false;
	}
	struct sc_arena_block b;
	if (!sc_arena_block_create(sup->arena, SC_SESSION_BLOCK, SC_BLOCK_RAW, sizeof(struct sc_session_shm), &b)) {
		sc_err("arena: cannot create block '%s'", SC_SESSION_BLOCK);
		return false;
	}
	struct sc_session_shm *s = sc_arena_ptr(sup->arena, b.off, sizeof(*s));
	s->magic = SC_SESSION_MAGIC;
	s->version = SC_SESSION_LAYOUT_VERSION;
	s->width = cfg->width;
	s->height = cfg->height;
	s->fps = cfg->fps;
	s->players = cfg->players;
	s->n_slots = cfg->frame_slots;
	sup->session = s;
	if (!create_log(sup, SC_INPUT_LOG_BLOCK, SC_BLOCK_INPUT_LOG, sup->cfg.log_capacity,
	                sizeof(struct sc_input_event), &sup->input_log) ||
	    !create_log(sup, SC_TICK_LOG_BLOCK, SC_BLOCK_TICK_LOG, sup->cfg.log_capacity,
	                sizeof(struct sc_tick_record), &sup->tick_log) ||
	    !sc_session_create_chat_log(sup->arena, &sup->chat_log) ||
	    !sc_session_create_msg_rings(sup->arena))
		return false;
	struct sc_spsc_ring audio; /* formatted here, written by the primary, read by the encoder */
	if (!sc_audio_ring_create(sup->arena, &audio))
		return false;
	if (!sc_sample_rings_create(sup->arena)) /* profiling: each instance -> the encoder */
		return false;
	/* the event track, recorded by the encoder process, outlives it */
	size_t track = sc_event_track_block_size(cfg->event_retention);
	if (!sc_arena_block_create(sup->arena, SC_EVENT_TRACK_BLOCK, SC_BLOCK_RAW, track, &b) ||
	    !sc_event_track_format(sc_arena_ptr(sup->arena, b.off, b.size), b.size, cfg->event_retention)) {
		sc_err("arena: cannot create block '%s' (%zu bytes)", SC_EVENT_TRACK_BLOCK, track);
		return false;
	}
	/* the samples kept for the API and the feed, read by the encoder process, outlive it */
	size_t store = sc_sample_store_block_size(cfg->sample_retention);
	if (!sc_arena_block_create(sup->arena, SC_SAMPLE_STORE_BLOCK, SC_BLOCK_RAW, store, &b) ||
	    !sc_sample_store_format(sc_arena_ptr(sup->arena, b.off, b.size), b.size, cfg->sample_retention)) {
		sc_err("arena: cannot create block '%s' (%zu bytes for --sample-retention %u)", SC_SAMPLE_STORE_BLOCK, store,
		       cfg->sample_retention);
		return false;
	}
	if ((sup->frame_efd = sc_doorbell_eventfd()) < 0)
		return false;
	return true;
}

/* SIGINT/SIGTERM/SIGHUP/SIGCHLD through a signalfd, blocked otherwise. The
 * children get an empty mask back before exec. */
static int signals_open(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
		sc_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		sc_err("signalfd: %s", strerror(errno));
	return fd;
}

static bool children_running(struct supervisor *sup)
{
	struct sup_child *cs[4];
	int n = sup_children(sup, cs);
	for (int i = 0; i < n; i++)
		if (cs[i]->pid)
			return true;
	return false;
}

static void begin_stop(struct supervisor *sup, int sig)
{
	if (sup->stopping) {
		/* a second signal a moment later (Ctrl-C twice) cuts the wait short;
		 * one that came with the first (a group kill) does not */
		if (sc_now_ns() >= sup->stop_begun_ns + SUP_SECOND_SIGNAL_NS && sup->stop_deadline_ns > sc_now_ns()) {
			sc_warn("%s again: killing the children now", strsignal(sig));
			sup->stop_deadline_ns = sc_now_ns();
		}
		return;
	}
	sc_info("%s: stopping the session", strsignal(sig));
	sup->stopping = true;
	sup->stop_begun_ns = sc_now_ns();
	sup->stop_deadline_ns = sup->stop_begun_ns + SUP_STOP_GRACE_NS;
	struct sup_child *cs[4];
	int n = sup_children(sup, cs);
	for (int i = 0; i < n; i++) {
		cs[i]->restart_at_ns = 0;
		sup_child_kill(cs[i], SIGTERM);
	}
}

/* A certificate or key the encoder could not load would make it exit at
 * every restart: refuse at start instead, with the file and the reason. */
static bool check_tls_files(const struct sc_run_config *cfg, const char *prog)
{
	const char *files[2][2] = {{"--tls-cert", cfg->tls_cert}, {"--tls-key", cfg->tls_key}};
	for (int i = 0; i < 2 && cfg->tls_cert[0]; i++) {
		char head[4096];
		FILE *f = fopen(files[i][1], "r");
		size_t n = f ? fread(head, 1, sizeof(head) - 1, f) : 0;
		int err = errno;
		if (f)
			fclose(f);
		if (!f) {
			fprintf(stderr, "shadowcast %s: %s %s: %s\n", prog, files[i][0], files[i][1], strerror(err));
			return false;
		}
		head[n] = '\0';
		if (!strstr(head, "-----BEGIN ")) {
			fprintf(stderr, "shadowcast %s: %s %s: not a PEM file (no -----BEGIN line)\n", prog, files[i][0],
			        files[i][1]);
			return false;
		}
	}
	return true;
}

/* SIGHUP: the encoder process starts again on the same port, reading the
 * TLS certificate and key (a renewed certificate) and the web root anew;
 * clients reconnect (the player page does by itself). The game, the shadow
 * and the tokens carry on. */
static void reload(struct supervisor *sup)
{
	if (sup->stopping)
		return;
	if (!check_tls_files(&sup->cfg, "run")) {
		sc_err("SIGHUP: the TLS certificate or key is not usable (above): keeping the running encoder");
		return;
	}
	sc_info("SIGHUP: restarting the encoder process to reload the TLS certificate%s",
	        sup->cfg.tls_cert[0] ? "" : " (none configured)");
	if (sup->encoder.pid) {
		sup->encoder.reloading = true;
		sup_child_kill(&sup->encoder, SIGTERM);
	}
}

static void handle_signals(struct supervisor *sup)
{
	struct signalfd_siginfo si;
	ssize_t n;
	while ((n = read(sup->sigfd, &si, sizeof(si))) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			struct sup_child *cs[4];
			int nc = sup_children(sup, cs);
			for (int i = 0; i < nc; i++)
				sup_child_reap(sup, cs[i], false);
		} else if (si.ssi_signo == SIGHUP) {
			reload(sup);
		} else {
			begin_stop(sup, (int)si.ssi_signo);
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		sc_err("signalfd read: %s", strerror(errno));
}

/* true (and the socket closed) when the child closed its end: it is exiting,
 * and its pidfd or SIGCHLD says when it is gone. */
static bool sock_closed(struct sup_child *c)
{
	char b;
	ssize_t n = recv(c->sock, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return false;
	if (n < 0 && errno != ECONNRESET)
		sc_warn("%s: socket: %s", c->role, strerror(errno));
	close(c->sock);
	c->sock = -1;
	return true;
}

/* The primary's socket: its frame memory fd, once per (re)start. */
static void handle_primary_msg(struct supervisor *sup)
{
	struct sup_child *c = &sup->primary;
	struct sc_fd_hello hello;
	int fd = -1;
	if (sock_closed(c))
		return;
	if (!sc_fd_recv(c->sock, SC_FD_KIND_FRAME, &hello, &fd, 1, 0)) {
		/* a dying or misbehaving primary; its pidfd says when it is gone */
		close(c->sock);
		c->sock = -1;
		return;
	}
	if (sup->frame_fd >= 0)
		close(sup->frame_fd);
	sup->frame_fd = fd;
	sup->frame_tag = hello.tag;
	sup->frame_arg = hello.arg;
	sc_info("primary exported its frame memory (kind %llu)", (unsigned long long)hello.arg);
	sup_forward_frame(sup);
}

/* The encoder and the shadows send nothing today: drain and drop whatever comes. */
static void handle_other_msg(struct sup_child *c)
{
	struct sc_fd_hello hello;
	int fds[SC_FD_MAX];
	if (sock_closed(c))
		return;
	if (!sc_fd_recv(c->sock, 0, &hello, fds, SC_FD_MAX, 0)) {
		close(c->sock);
		c->sock = -1;
		return;
	}
	sc_warn("%s: unexpected fd transfer of kind %u ignored", c->role, hello.kind);
	for (uint32_t i = 0; i < hello.nfds; i++)
		close(fds[i]);
}

static const char *url_host(const struct sc_run_config *cfg)
{
	if (strcmp(cfg->listen_addr, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(cfg->listen_addr, "::") == 0)
		return "::1";
	return cfg->listen_addr;
}

/* Beyond loopback without --tls-cert everything is plain HTTP/WS: say what
 * anyone who can reach the address gets. */
static void warn_if_exposed(const struct sc_run_config *cfg)
{
	struct in_addr a4;
	struct in6_addr a6;
	bool loopback = (inet_pton(AF_INET, cfg->listen_addr, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) ||
	                (inet_pton(AF_INET6, cfg->listen_addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6));
	if (!loopback && !cfg->tls_cert[0])
		sc_warn("listening on %s without TLS: anyone who can reach it can watch and play, and the debug API "
		        "(fault injection, captures) is guarded by the bearer token alone, sent in clear text "
		        "(give --tls-cert and --tls-key)",
		        cfg->listen_addr);
}

/* Once the encoder has bound: the URL line (again only if the port changed),
 * and the port pinned for later encoders, so clients reconnect to the same URL. */
static bool check_port(struct supervisor *sup)
{
	uint32_t port = atomic_load(&sup->session->http_port);
	if (!port || port > 65535)
		return false;
	const char *host = url_host(&sup->cfg);
	bool v6 = strchr(host, ':') != NULL;
	if (port != sup->url_port) {
		printf("shadowcast: open %s://%s%s%s:%u/\n", sup->cfg.tls_cert[0] ? "https" : "http", v6 ? "[" : "", host,
		       v6 ? "]" : "", port);
		if (sup->token_generated)
			printf("shadowcast: debug API token: %s\n", sup->cfg.api_token);
		fflush(stdout);
		sup->url_port = (uint16_t)port;
	} else {
		sc_info("encoder serving again on port %u", port);
	}
	v6 = strchr(sup->cfg.listen_addr, ':') != NULL;
	snprintf(sup->listen_pin, sizeof(sup->listen_pin), "%s%s%s:%u", v6 ? "[" : "", sup->cfg.listen_addr,
	         v6 ? "]" : "", port);
	return true;
}

static int ms_until(uint64_t when_ns, uint64_t now_ns)
{
	if (when_ns <= now_ns)
		return 0;
	uint64_t ms = (when_ns - now_ns + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static void kill_remaining(struct supervisor *sup)
{
	struct sup_child *cs[4];
	int nc = sup_children(sup, cs);
	for (int i = 0; i < nc; i++)
		sup_child_reap(sup, cs[i], false);
	for (int i = 0; i < nc; i++) {
		if (!cs[i]->pid)
			continue;
		sc_warn("%s (pid %d) is still running: SIGKILL", cs[i]->role, (int)cs[i]->pid);
		sup_child_kill(cs[i], SIGKILL);
		sup_child_reap(sup, cs[i], true);
	}
}

static void run_loop(struct supervisor *sup)
{
	bool port_seen = false;
	unsigned encoder_starts = 0;
	while (!sup->stopping || children_running(sup)) {
		struct sup_child *cs[4];
		int nc = sup_children(sup, cs);
		struct pollfd pfd[9];
		struct sup_child *owner[9] = {0};
		bool is_sock[9] = {0};
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){.fd = sup->sigfd, .events = POLLIN};
		for (int i = 0; i < nc; i++) {
			if (cs[i]->pidfd >= 0) {
				owner[n] = cs[i];
				pfd[n++] = (struct pollfd){.fd = cs[i]->pidfd, .events = POLLIN};
			}
			if (cs[i]->sock >= 0) {
				owner[n] = cs[i];
				is_sock[n] = true;
				pfd[n++] = (struct pollfd){.fd = cs[i]->sock, .events = POLLIN};
			}
		}
		uint64_t now = sc_now_ns();
		int timeout = -1;
		for (int i = 0; i < nc; i++)
			if (cs[i]->restart_at_ns)
				timeout = min_timeout(timeout, ms_until(cs[i]->restart_at_ns, now));
		if (!sup->stopping)
			timeout = min_timeout(timeout, sup_tracking_poll(sup));
		if (sup->encoder.starts != encoder_starts)
			port_seen = false, encoder_starts = sup->encoder.starts;
		if (sup->encoder.pid && !port_seen)
			timeout = min_timeout(timeout, SUP_PORT_POLL_MS);
		if (sup->stopping)
			timeout = min_timeout(timeout, ms_until(sup->stop_deadline_ns, now));

		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			sc_err("poll: %s", strerror(errno));
			begin_stop(sup, SIGTERM);
			sup->stop_deadline_ns = sc_now_ns();
		}
		for (nfds_t i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (i == 0)
				handle_signals(sup);
			else if (!is_sock[i])
				sup_child_reap(sup, owner[i], false);
			else if (owner[i]->sock == pfd[i].fd && owner[i]->pid)
				owner[i] == &sup->primary ? handle_primary_msg(sup) : handle_other_msg(owner[i]);
		}

		now = sc_now_ns();
		if (sup->stopping) {
			if (children_running(sup) && now >= sup->stop_deadline_ns)
				kill_remaining(sup);
			continue;
		}
		for (int i = 0; i < nc; i++)
			if (cs[i]->restart_at_ns && now >= cs[i]->restart_at_ns)
				sup_child_start(sup, cs[i]);
		if (sup->encoder.pid && !port_seen && sup->encoder.starts == encoder_starts)
			port_seen = check_port(sup);
	}
}

static void supervisor_finish(struct supervisor *sup)
{
	if (sup->dead_primary)
		sc_checkpoint_remove(sup->cfg.capture_root, sup->dead_primary);
	if (sup->frame_fd >= 0)
		close(sup->frame_fd);
	if (sup->frame_efd >= 0)
		close(sup->frame_efd);
	if (sup->sigfd >= 0)
		close(sup->sigfd);
	if (sup->token_fd >= 0)
		close(sup->token_fd);
	if (sup->arena)
		sc_arena_unregister(sup->arena);
	sc_arena_destroy(sup->arena);
	free(sup->args);
}

/* No token file and no $SHADOWCAST_API_TOKEN: 32 random hex digits. */
static bool generate_token(struct supervisor *sup)
{
	unsigned char rnd[16];
	size_t got = 0;
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sc_err("getrandom: %s: cannot generate the debug API token (give one with --api-token-file)",
			       strerror(errno));
			return false;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(sup->cfg.api_token + 2 * i, 3, "%02x", rnd[i]);
	sup->token_generated = true;
	return true;
}

/* The token goes to each child in a sealed memfd beside the arena (never in
 * argv, which every local user can read in /proc/PID/cmdline). */
static bool setup_token(struct supervisor *sup, const char *prog)
{
	if (!sc_run_config_load_token(&sup->cfg, prog))
		return false;
	if (!sup->cfg.api_token[0] && !generate_token(sup))
		return false;
	sup->token_fd = sc_session_token_memfd(sup->cfg.api_token, sup->cfg.player_token, sup->cfg.spectator_token);
	if (sup->token_fd < 0) {
		sc_err("cannot put the tokens into a memfd: %s", strerror(errno));
		return false;
	}
	return true;
}

/* The options every child gets: the user's, then what the supervisor settled
 * (later options win): the --web-root it found, so every child uses the same
 * files without looking again (a child restarted after the binary was
 * replaced on disk would not find them beside /proc/self/exe). */
static bool setup_child_args(struct supervisor *sup, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 4, sizeof(char *));
	if (!args) {
		sc_err("out of memory");
		return false;
	}
	int n = 0;
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n++] = "--web-root";
	args[n++] = sup->cfg.web_root;
	sup->args = args;
	sup->n_args = n;
	return true;
}

/* --profile FILE: replaced now, empty; the encoder process writes it (and a
 * restarted one continues it: server/profile_file.h). A path that cannot be
 * written is refused before anything starts. */
static bool create_profile(const struct sc_run_config *cfg, const char *prog)
{
	if (!cfg->profile[0])
		return true;
	int fd = open(cfg->profile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: --profile %s: %s\n", prog, cfg->profile, strerror(errno));
		return false;
	}
	close(fd);
	sc_info("profile: writing %s (at most %u MiB)", cfg->profile, cfg->profile_max_mib);
	return true;
}

int sc_cmd_run(int argc, char **argv)
{
	sc_log_set_role("supervisor");
	struct supervisor sup = {.frame_efd = -1, .sigfd = -1, .frame_fd = -1, .token_fd = -1};
	sc_run_config_defaults(&sup.cfg);
	if (!sc_run_config_parse(&sup.cfg, argc, argv, false))
		return 2;
	if (!setup_token(&sup, argv[0]) || !check_tls_files(&sup.cfg, argv[0]))
		return 2;
	warn_if_exposed(&sup.cfg);
	if (!create_profile(&sup.cfg, argv[0]))
		return 2;
	if (!setup_child_args(&sup, argc, argv))
		return 1;
	sup_child_init(&sup.primary, "primary", sup.cfg.restart_backoff_ms);
	sup_child_init(&sup.encoder, "encoder", sup.cfg.restart_backoff_ms);
	sup_tracking_init(&sup);

	int rc = 1;
	signal(SIGPIPE, SIG_IGN);
	if ((sup.sigfd = signals_open()) < 0 || !session_init(&sup))
		goto out;
	sc_info("arena %zu MiB; %ux%u at %u fps, %u players, %u frame slots", sup.arena_bytes >> 20, sup.cfg.width,
	        sup.cfg.height, sup.cfg.fps, sup.cfg.players, sup.cfg.frame_slots);
	sc_checkpoint_remove_orphans(sup.cfg.capture_root); /* of a server killed with kill -9 */
	sup_child_start(&sup, &sup.encoder);
	sup_child_start(&sup, &sup.primary);
	sup_tracking_start(&sup);
	run_loop(&sup);
	sc_info("session stopped");
	rc = 0;
out:
	supervisor_finish(&sup);
	return rc;
}
