/* Shadow mailbox: a shadow's status and its command mailbox. The session
 * block holds two (sc_session_shm.shadow, .shadow_alt; session/session.h,
 * layout version SC_SESSION_LAYOUT_VERSION); the hand-off rules are on struct
 * sc_shadow_shm. The shadow side is shadow/shadow_commands.c, the client side
 * the debug API (server/debug_api.c). */
#ifndef SC_SESSION_SHM_SHADOW_MAILBOX_H
#define SC_SESSION_SHM_SHADOW_MAILBOX_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum sc_shadow_state {
	SC_SHADOW_OFF = 0,
	SC_SHADOW_STARTING = 1,
	SC_SHADOW_RUNNING = 2, /* following the tick log `delay_ticks` behind */
	SC_SHADOW_PAUSED = 3,  /* holding the state before the error tick; accepts commands */
	SC_SHADOW_RESUMED = 4, /* resumed by a developer: runs on to the end of the log */
};

enum sc_shadow_cmd {
	SC_SHADOW_CMD_NONE = 0,
	SC_SHADOW_CMD_PAUSE = 1,      /* pause now (at the next tick boundary) */
	SC_SHADOW_CMD_RESUME = 2,
	SC_SHADOW_CMD_STEP_INPUT = 3, /* re-run the held tick with one more of its inputs */
	SC_SHADOW_CMD_STEP_TICK = 4,  /* run the held tick whole, hold the next */
	SC_SHADOW_CMD_SET_DELAY = 5,  /* arg = ticks */
	SC_SHADOW_CMD_CAPTURE = 6,    /* write a capture of the held state now */
};

/* One shadow's status block and its command mailbox.
 * Status: written only by the shadow that owns the block (--shadow-slot), read
 * by the supervisor and the encoder's debug API. Each status word is atomic on
 * its own (no snapshot of several is promised); capture_dir and
 * capture_dir_incident are written before `captures` is bumped (seq_cst),
 * held_* before incident_captured and before `state` is stored PAUSED
 * (seq_cst: they publish them). The supervisor zeroes the whole block before
 * it starts a shadow in that slot (none runs in it then).
 * Command mailbox: one client at a time, the debug API in the encoder process.
 * It waits until done_seq == cmd_seq, fills cmd/arg, then bumps cmd_seq (a
 * seq_cst RMW: publishes cmd/arg). The shadow loads cmd_seq, reads cmd/arg,
 * runs the command, fills every result field (result, message, reproduced,
 * step_dir: all of them, for every command), then stores done_seq = cmd_seq
 * (seq_cst: publishes them); the client reads them only after it loaded
 * done_seq == its cmd_seq. The client takes the outcome from result,
 * reproduced and step_dir; message is for people (logs, the API's "message"). */
struct sc_shadow_shm {
	_Atomic int32_t pid;
	_Atomic uint32_t state;        /* enum sc_shadow_state */
	_Atomic uint32_t next_tick;    /* it holds the state after next_tick - 1 */
	_Atomic uint64_t hash;         /* its state hash after next_tick - 1 */
	_Atomic uint32_t delay_ticks;
	_Atomic uint32_t inputs_applied_in_held_tick; /* stepping by input */
	_Atomic uint64_t divergences;
	_Atomic uint32_t first_divergence_tick;
	_Atomic uint32_t captures;     /* captures written */
	_Atomic uint64_t paused_ns;    /* when it paused (detection-to-pause = paused_ns - fault.detected_ns) */
	char capture_dir[512];         /* the latest capture (absolute path) */
	/* an incident pause: what a restore from it needs (server/supervisor_shadow.c):
	 * the incident whose capture capture_dir is, held before its error tick
	 * (not a LATE one), 0 = none */
	_Atomic uint32_t incident_captured;
	/* the incident capture_dir is a capture of (LATE ones included), 0 = a
	 * developer's capture or none */
	_Atomic uint32_t capture_dir_incident;
	uint64_t held_primary_hash;    /* the primary's published hash for next_tick - 1 */
	uint32_t held_primary_hash_known;
	uint64_t held_seq_begin, held_seq_end; /* input-log seqs of the held tick's inputs */
	/* command mailbox */
	_Atomic uint32_t cmd_seq;
	uint32_t cmd;                  /* enum sc_shadow_cmd */
	int64_t arg;
	_Atomic uint32_t done_seq;
	int32_t result;                /* 0 ok, else an errno-style code */
	char message[256];             /* what happened, in words: for people, never parsed */
	uint32_t reproduced;           /* 1: the step (or the resume that stopped) reproduced a fault */
	char step_dir[36];             /* "step-K" / "tick-T" the step wrote under capture_dir, "" none */
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_shadow_shm) == 928, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, pid) == 0, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, state) == 4, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, next_tick) == 8, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, hash) == 16, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, delay_ticks) == 24, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, inputs_applied_in_held_tick) == 28, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, divergences) == 32, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, first_divergence_tick) == 40, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, captures) == 44, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, paused_ns) == 48, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, capture_dir) == 56, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, incident_captured) == 568, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, capture_dir_incident) == 572, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, held_primary_hash) == 576, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, held_primary_hash_known) == 584, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, held_seq_begin) == 592, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, held_seq_end) == 600, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, cmd_seq) == 608, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, cmd) == 612, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, arg) == 616, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, done_seq) == 624, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, result) == 628, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, message) == 632, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, reproduced) == 888, "sc_shadow_shm layout");
_Static_assert(offsetof(struct sc_shadow_shm, step_dir) == 892, "sc_shadow_shm layout");

#endif
