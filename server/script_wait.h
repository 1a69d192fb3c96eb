/* The primary's side of `--inputs FILE` (docs/configuration.md): the
 * encoder process feeds the script into the input log, each event right
 * after the frame of the tick before its own (server/encoder_process.c
 * feed_script). This makes the primary wait, bounded, for that feed where
 * running on would apply an event a tick late:
 *  - before tick 0 of a match: no frame comes before it, and the first
 *    encoder may attach after the primary is ready (at most
 *    SC_SCRIPT_WAIT_TICK0_MS, while session->script_wait_tick0 is set);
 *  - before any later tick with scripted events: the encoder feeds after it
 *    wakes for the previous frame, and a busy machine can delay that wake
 *    past the primary's next gather (at most SC_SCRIPT_WAIT_FEED_MS; an
 *    encoder that is down is not waited for longer, and its successor feeds
 *    the events it missed late, as documented).
 * The session's script cursor (session->script_next: events fed so far, in
 * file order) says what was fed. Caller-owned; the primary process only. */
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
	uint32_t *ticks; /* the script's event ticks in file order (never decreasing) */
	size_t n;
	bool armed;      /* past this process's first tick: the encoder feeds after its frames */
};

/* Loads the ticks of path's events (NULL or "": no script; false: the file
 * is unusable, and the encoder process says why: no waiting then). */
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
