/* The supervisor's state (server/supervisor.c) and its children
 * (server/supervisor_child.c): start, watch, reap, restart with back-off. */
#ifndef SC_SERVER_SUPERVISOR_PRIV_H
#define SC_SERVER_SUPERVISOR_PRIV_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/shm/arena.h"
#include "net/shm/input_log.h"
#include "server/config.h"
#include "server/pause_wait.h"
#include "session/session_attach.h"
#include "session/session.h"

struct sup_child {
	const char *role;        /* "primary", "encoder": the __child role */
	pid_t pid;               /* 0 while not running */
	int pidfd;               /* -1 while not running (or without pidfd_open) */
	int sock;                /* our end of the socketpair, -1 once closed */
	uint64_t started_ns;
	uint64_t restart_at_ns;  /* a restart is pending when != 0 */
	uint32_t backoff_ms;     /* delay of the next restart */
	uint32_t starts;
	bool no_restart;         /* its exit is handled elsewhere (shadows, a faulted primary) */
	bool reloading;          /* stopped on purpose (SIGHUP): start again at once */
	char *extra[6];          /* role-specific options appended to the run options */
	int n_extra;
	char extra_buf[2][640];
};

#define SUP_N_SHADOWS 2
#define SUP_CRASH_LOOP_MAX 1000 /* --crash-loop's upper bound */

/* Shadow tracking's state in the supervisor (server/supervisor_shadow.c). */
struct sup_tracking {
	int active;              /* shadow slot following the current primary, -1 = none */
	int held;                /* slot of a shadow paused on an incident, -1 = none */
	uint32_t handled_incident; /* last incident acted on */
	uint64_t fault_seen_ns;  /* when the current incident was first seen */
	bool recovery_pending;   /* restore/restart waits for the shadow's capture */
	struct sc_pause_wait pause_wait; /* ... as long as it makes progress (server/pause_wait.h) */
	/* crash-loop detection: the times of the last incidents (a ring) */
	uint64_t incident_ns[SUP_CRASH_LOOP_MAX];
	uint32_t n_incidents;
	bool crash_loop;         /* captures and restores suspended */
	uint32_t loop_backoff_ms; /* delay before the next recovery while in a loop */
	uint64_t follower_at_ns;  /* start a shadow from a checkpoint then (0 = none pending) */
	uint32_t follower_backoff_ms;
};

struct supervisor {
	struct sc_run_config cfg;
	int n_args;              /* the run options, handed on to every child: */
	char **args;             /* the user's, then the web root it found (owned) */
	bool token_generated;    /* print it after the URL line */
	int token_fd;            /* sealed memfd with the debug API token, sent to every child */
	char listen_pin[96];     /* "ADDR:PORT" the first encoder bound; "" until then */
	struct sc_arena *arena;
	size_t arena_bytes; /* 64 MiB and the profiling stores (session_init) */
	struct sc_session_shm *session;
	struct sc_input_log input_log, tick_log, chat_log;
	int frame_efd;           /* frame doorbell eventfd */
	int sigfd;
	int frame_fd;            /* the primary's frame memory, -1 until it sends it */
	uint32_t frame_tag;
	uint64_t frame_arg;      /* enum sc_frame_memory_kind */
	struct sup_child primary, encoder;
	pid_t dead_primary;      /* the last primary that exited; its checkpoint files go when the next one starts */
	struct sup_child shadows[SUP_N_SHADOWS];
	struct sup_tracking tracking;
	uint16_t url_port;       /* port of the last URL line printed, 0 = none */
	bool stopping;
	uint64_t stop_begun_ns;
	uint64_t stop_deadline_ns;   /* SIGKILL what still runs after this */
};

void sup_child_init(struct sup_child *c, const char *role, uint32_t backoff_ms);

/* Forks and execs `shadowcast __child ROLE --ipc-fd N <args>` and sends it the
 * arena and frame doorbell fds (and the frame memory fd, to the encoder). false
 * (logged) if it could not be started; a restart is then scheduled. */
bool sup_child_start(struct supervisor *sup, struct sup_child *c);

/* Collects the child if it has exited (block: waits until it has): logs how, detaches it
 * from the logs, reaps the arena and schedules the restart unless stopping. */
void sup_child_reap(struct supervisor *sup, struct sup_child *c, bool block);

/* Sends sig if the child is running. */
void sup_child_kill(struct sup_child *c, int sig);

/* Forwards the primary's frame memory fd to the encoder (if it runs). */
void sup_forward_frame(struct supervisor *sup);

/* Every child, for loops: primary, encoder, shadows. */
int sup_children(struct supervisor *sup, struct sup_child **out);

/* Shadow tracking (server/supervisor_shadow.c). */
void sup_tracking_init(struct supervisor *sup);
/* Starts the first shadow, after the primary. */
void sup_tracking_start(struct supervisor *sup);
/* The primary exited while the session runs: an incident unless it reported
 * one itself; true when shadow tracking decides what happens next (no plain
 * crash restart). */
bool sup_tracking_primary_exit(struct supervisor *sup, int status);
/* A shadow exited on its own; the active one is replaced by a new shadow that
 * joins the running primary from a checkpoint. */
void sup_tracking_shadow_exit(struct supervisor *sup, struct sup_child *c, int status);
/* The external monitor and the after-fault state machine; returns the poll
 * timeout it needs in ms (-1 = none). */
int sup_tracking_poll(struct supervisor *sup);

#endif
