/* One child of the supervisor: fork + exec of /proc/self/exe as
 * `__child ROLE --ipc-fd N`, its start-up fds, its death and its restart. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/shm/fd_passing.h"
#include "server/checkpoint_file.h"
#include "server/supervisor_priv.h"
#include "util/clock.h"
#include "util/log.h"

#define SUP_BACKOFF_RESET_NS (10ull * 1000 * 1000 * 1000) /* ran this long: back-off starts over */

void sup_child_init(struct sup_child *c, const char *role, uint32_t backoff_ms)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->pidfd = -1;
	c->sock = -1;
	c->backoff_ms = backoff_ms;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The restart is a crash recovery: the same delay rules whatever failed. */
static void schedule_restart(struct supervisor *sup, struct sup_child *c, const char *why)
{
	uint64_t now = sc_now_ns();
	if (c->started_ns && now - c->started_ns >= SUP_BACKOFF_RESET_NS)
		c->backoff_ms = sup->cfg.restart_backoff_ms;
	uint32_t delay = c->backoff_ms;
	c->backoff_ms = delay * 2 > sup->cfg.restart_backoff_max_ms ? sup->cfg.restart_backoff_max_ms : delay * 2;
	c->restart_at_ns = now + (uint64_t)delay * 1000000;
	sc_warn("%s %s; restarting in %u ms", c->role, why, delay);
}

/* In the child between fork and exec: nothing but async-signal-safe calls. */
static void exec_child(pid_t parent, int sock, char **argv)
{
	/* die with the supervisor; if it is already gone, do not start at all */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (fcntl(sock, F_SETFD, 0) != 0)
		_exit(127);
	execv("/proc/self/exe", argv);
	static const char msg[] = "shadowcast[supervisor] error: exec /proc/self/exe failed\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(127);
}

static char **child_argv(struct supervisor *sup, struct sup_child *c, const char *fd_str)
{
	bool pin = c == &sup->encoder && sup->listen_pin[0];
	char **argv = calloc((size_t)sup->n_args + (size_t)c->n_extra + 8, sizeof(*argv));
	if (!argv)
		return NULL;
	int n = 0;
	argv[n++] = "shadowcast";
	argv[n++] = "__child";
	argv[n++] = (char *)c->role;
	argv[n++] = "--ipc-fd";
	argv[n++] = (char *)fd_str;
	for (int i = 0; i < sup->n_args; i++)
		argv[n++] = sup->args[i];
	for (int i = 0; i < c->n_extra; i++)
		argv[n++] = c->extra[i];
	if (pin) {
		/* a restarted encoder keeps the port clients know (later options win) */
		argv[n++] = "--listen";
		argv[n++] = sup->listen_pin;
	}
	argv[n] = NULL;
	return argv;
}

bool sup_child_start(struct supervisor *sup, struct sup_child *c)
{
	c->restart_at_ns = 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		sc_err("%s: socketpair: %s", c->role, strerror(errno));
		schedule_restart(sup, c, "could not be started");
		return false;
	}
	char fd_str[16];
	snprintf(fd_str, sizeof(fd_str), "%d", sv[1]);
	char **argv = child_argv(sup, c, fd_str);
	if (!argv) {
		sc_err("%s: out of memory", c->role);
		close(sv[0]);
		close(sv[1]);
		schedule_restart(sup, c, "could not be started");
		return false;
	}
	if (c == &sup->encoder)
		atomic_store(&sup->session->http_port, 0);
	if (c == &sup->primary && sup->dead_primary) {
		/* a primary killed before the new shadow loaded its checkpoint cannot
		 * remove it; no shadow kept past its death needs it any more */
		sc_checkpoint_remove(sup->cfg.capture_root, sup->dead_primary);
		sup->dead_primary = 0;
	}
	pid_t parent = getpid();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0)
		exec_child(parent, sv[1], argv);
	free(argv);
	close(sv[1]);
	if (pid < 0) {
		sc_err("%s: fork: %s", c->role, strerror(errno));
		close(sv[0]);
		schedule_restart(sup, c, "could not be started");
		return false;
	}
	c->pid = pid;
	c->sock = sv[0];
	c->started_ns = sc_now_ns();
	c->starts++;
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd < 0)
		sc_warn("%s: pidfd_open: %s (watching it through SIGCHLD only)", c->role, strerror(errno));
	sc_info("started %s (pid %d)", c->role, (int)pid);

	/* a child that dies before reading these is reaped like any other */
	/* the debug API token only to the process that serves the API */
	int fds[3] = {sc_arena_fd(sup->arena), sup->frame_efd, sup->token_fd};
	if (!sc_fd_send(c->sock, SC_FD_KIND_ARENA, 0, sc_arena_size(sup->arena), fds, c == &sup->encoder ? 3 : 2))
		sc_warn("%s: could not send the arena fds", c->role);
	else if (c == &sup->encoder)
		sup_forward_frame(sup);
	return true;
}

void sup_forward_frame(struct supervisor *sup)
{
	struct sup_child *enc = &sup->encoder;
	if (sup->frame_fd < 0 || !enc->pid || enc->sock < 0)
		return;
	if (!sc_fd_send(enc->sock, SC_FD_KIND_FRAME, sup->frame_tag, sup->frame_arg, &sup->frame_fd, 1))
		sc_warn("encoder: could not forward the frame memory fd");
	else
		sc_info("frame memory (kind %llu) handed to the encoder", (unsigned long long)sup->frame_arg);
}

static void on_dead_proc(void *ud, int slot, pid_t pid, const char *role)
{
	sc_info("arena: reclaimed the blocks of %s (pid %d, slot %d)", role, (int)pid, slot);
}

/* A reader killed mid-frame leaves its pid in the slot's reader word: give the
 * slot back to the primary (session/session.h). */
static void release_frame_slots(struct supervisor *sup, pid_t dead, const char *role)
{
	struct sc_session_shm *s = sup->session;
	int n = 0;
	for (uint32_t i = 0; i < SC_MAX_FRAME_SLOTS; i++) {
		uint32_t expected = (uint32_t)dead;
		if (atomic_compare_exchange_strong(&s->slots[i].reader, &expected, 0))
			n++;
	}
	if (n) {
		atomic_fetch_add(&s->slots_reclaimed, (uint64_t)n);
		sc_info("%s: released %d frame slot(s) it held when it died", role, n);
	}
}

void sup_child_reap(struct supervisor *sup, struct sup_child *c, bool block)
{
	if (!c->pid)
		return;
	int status;
	pid_t r;
	while ((r = waitpid(c->pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return;
	if (r < 0) {
		sc_err("%s: waitpid %d: %s", c->role, (int)c->pid, strerror(errno));
		status = 0;
	}
	pid_t dead = c->pid;
	c->pid = 0;
	close_fd(&c->pidfd);
	close_fd(&c->sock);

	/* a dead reader must not hold the writer back; its arena blocks go back */
	int n = sc_input_log_detach_pid(&sup->input_log, dead) + sc_input_log_detach_pid(&sup->tick_log, dead) +
	        sc_input_log_detach_pid(&sup->chat_log, dead);
	if (n)
		sc_info("%s: detached %d log reader(s) of pid %d", c->role, n, (int)dead);
	sc_arena_reap(sup->arena, on_dead_proc, sup);
	release_frame_slots(sup, dead, c->role);
	if (c == &sup->primary) {
		close_fd(&sup->frame_fd); /* a restarted primary exports new memory */
		sup->dead_primary = dead;
	}

	char why[64];
	if (r < 0)
		snprintf(why, sizeof(why), "is gone");
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "exited (signal %d)", WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "exited (status %d)", WEXITSTATUS(status));
	if (sup->stopping)
		sc_info("%s %s", c->role, why);
	else if (c == &sup->primary && sup_tracking_primary_exit(sup, r < 0 ? 0 : status))
		sc_info("%s %s; shadow tracking handles it", c->role, why);
	else if (c->reloading) {
		c->reloading = false;
		c->restart_at_ns = sc_now_ns(); /* not a crash: no back-off */
		sc_info("%s %s for the reload; starting it again", c->role, why);
	}
	else if (c->no_restart) {
		sc_info("%s %s", c->role, why);
		if (strcmp(c->role, "shadow") == 0)
			sup_tracking_shadow_exit(sup, c, r < 0 ? 0 : status);
	}
	else
		schedule_restart(sup, c, why);
}

int sup_children(struct supervisor *sup, struct sup_child **out)
{
	int n = 0;
	out[n++] = &sup->primary;
	out[n++] = &sup->encoder;
	for (int i = 0; i < SUP_N_SHADOWS; i++)
		out[n++] = &sup->shadows[i];
	return n;
}

void sup_child_kill(struct sup_child *c, int sig)
{
	if (!c->pid)
		return;
	if (kill(c->pid, sig) != 0 && errno != ESRCH)
		sc_err("%s: kill %d: %s", c->role, (int)c->pid, strerror(errno));
}
