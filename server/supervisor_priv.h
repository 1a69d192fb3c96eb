/* The supervisor's state (server/supervisor.c) and its children
 * (server/supervisor_child.c): start, watch, reap, restart with back-off. */
#ifndef SC_SERVER_SUPERVISOR_PRIV_H
#define SC_SERVER_SUPERVISOR_PRIV_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/arena.h"
#include "net/input_log.h"
#include "server/config.h"
#include "server/session.h"

struct sup_child {
	const char *role;        /* "primary", "encoder": the __child role */
	pid_t pid;               /* 0 while not running */
	int pidfd;               /* -1 while not running (or without pidfd_open) */
	int sock;                /* our end of the socketpair, -1 once closed */
	uint64_t started_ns;
	uint64_t restart_at_ns;  /* a restart is pending when != 0 */
	uint32_t backoff_ms;     /* delay of the next restart */
	uint32_t starts;
};

struct supervisor {
	struct sc_run_config cfg;
	int n_args;              /* the run options, handed on to every child */
	char **args;
	char listen_pin[96];     /* "ADDR:PORT" the first encoder bound; "" until then */
	struct sc_arena *arena;
	struct sc_session_shm *session;
	struct sc_input_log input_log, tick_log;
	int frame_efd;           /* frame doorbell eventfd */
	int sigfd;
	int frame_fd;            /* the primary's frame memory, -1 until it sends it */
	uint32_t frame_tag;
	uint64_t frame_arg;      /* enum sc_frame_memory_kind */
	struct sup_child primary, encoder;
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

#endif
