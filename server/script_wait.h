/* The primary's side of `--inputs FILE` (docs/configuration.md): the
 * encoder process feeds the script into the input log, each event right
 * after the frame of the tick before its own (server/encoder_process.c
 * feed_script). Where running on would apply an event late, the primary
 * waits for that feed, bounded, and says so in session->script_wait (tick
 * T + 1 while it waits before tick T), which makes the encoder feed without a
 * frame too (within SC_ENCP_FRAME_WAIT_MS):
 *  - before tick 0 of a match: no frame comes before it, and the first
 *    encoder may attach after the primary is ready (at most
 *    SC_SCRIPT_WAIT_TICK0_MS, then a warning);
 *  - before any later tick with scripted events of its own, except the first
 *    tick of a process (a restored match: nothing was fed for it yet): the
 *    encoder feeds after it wakes for the previous frame, and a busy machine
 *    can delay that wake past the primary's next gather (at most
 *    SC_SCRIPT_WAIT_FEED_MS). After a wait that ran out (an encoder that is
 *    down, stopped, or whose log is full) the primary does not wait again
 *    until the feed has caught up: the events it missed come late, as
 *    documented, and the game does not stall at each of them.
 * A waiting primary keeps its heartbeat fresh: it is between ticks, not
 * hung. The session's script cursor (session->script_next: events fed so
 * far, in file order) says what was fed. Caller-owned; the primary only. */
#ifndef SC_SERVER_SCRIPT_WAIT_H
#define SC_SERVER_SCRIPT_WAIT_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"

#define SC_SCRIPT_WAIT_TICK0_MS 10000
#define SC_SCRIPT_WAIT_FEED_MS 250

struct sc_script_wait {
	uint32_t *ticks;  /* the script's event ticks in file order (never decreasing) */
	size_t n;
	bool armed;       /* past this process's first tick */
	uint64_t behind;  /* a wait ran out with this many due: none again until fed */
};

/* Loads the ticks of path's events (NULL or "": no script). False: the file
 * is unusable (sc_input_list_load logged why, as the encoder process does);
 * w is then empty and nothing is waited for. */
bool sc_script_wait_init(struct sc_script_wait *w, const char *path);
void sc_script_wait_finish(struct sc_script_wait *w);

/* Before the first tick this process runs, `next_tick` its number. */
void sc_script_wait_start(struct sc_script_wait *w, struct sc_session_shm *session, uint32_t next_tick,
                          const volatile sig_atomic_t *stop);

/* Before each tick this process runs (the first included: it does not
 * wait there), `tick` its number. */
void sc_script_wait_tick(struct sc_script_wait *w, struct sc_session_shm *session, uint32_t tick,
                         const volatile sig_atomic_t *stop);

#endif
