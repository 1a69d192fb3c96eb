/* After an incident the supervisor waits for the shadow to pause before the
 * error tick (and write its capture) before it recovers: a restore needs that
 * state. It waits as long as the shadow makes progress toward the pause: its
 * next_tick advancing while it catches up (a long --delay can take many
 * seconds on a slow device), a change of state, or its capture being written.
 * It gives up when the shadow exits, or after no progress for
 * sc_pause_wait_stall_ns (the capture gets SC_PAUSE_WAIT_CAPTURE_NS), and
 * says why. Pure: the caller passes what it read from the shadow's status
 * block and the time, so the rules are unit-tested on their own. */
#ifndef SC_SERVER_PAUSE_WAIT_H
#define SC_SERVER_PAUSE_WAIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_PAUSE_WAIT_MIN_STALL_NS (2000ull * 1000000ull) /* no progress for this long: give up */
#define SC_PAUSE_WAIT_CAPTURE_NS (10000ull * 1000000ull)  /* writing its capture: up to this long */

/* What the supervisor reads from the following shadow (session/session.h). */
struct sc_pause_view {
	bool alive;          /* its process still runs */
	bool paused;         /* paused with a capture: recovery can go on */
	uint32_t state;      /* enum sc_shadow_state */
	uint32_t next_tick;
	uint32_t captures;
	uint64_t paused_ns;  /* when it last began to hold a state */
};

struct sc_pause_wait {
	uint32_t error_tick;
	uint64_t detected_ns; /* the incident's detection: a pause after it is this incident's */
	uint64_t stall_ns;    /* the no-progress bound */
	uint64_t progress_ns; /* the last progress seen */
	struct sc_pause_view last;
};

enum sc_pause_wait_result {
	SC_PAUSE_WAIT_PAUSED,  /* paused: recover from its state */
	SC_PAUSE_WAIT_WAITING, /* making progress: wait on */
	SC_PAUSE_WAIT_GIVE_UP, /* exited or stalled: recover without a pause (why says so) */
};

/* The no-progress bound: 2 s, or more when one shadow tick may take longer
 * (a tick may run up to the hang timeout): max(2 s, hang timeout + 2 ticks). */
uint64_t sc_pause_wait_stall_ns(uint32_t hang_timeout_ms, uint32_t fps);

void sc_pause_wait_start(struct sc_pause_wait *w, uint32_t error_tick, uint64_t detected_ns, uint64_t stall_ns,
                         const struct sc_pause_view *v, uint64_t now_ns);

/* One look at the shadow; on GIVE_UP, why (one line) goes to why. */
enum sc_pause_wait_result sc_pause_wait_check(struct sc_pause_wait *w, const struct sc_pause_view *v, uint64_t now_ns,
                                              char *why, size_t len);

#endif
