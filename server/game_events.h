/* The game's `event` messages (docs/protocol.md §4): the encoder process
 * compares the state each frame shows with the state of the frame before it
 * and tells what happened in between, at the tick it happened. Events are
 * derived from the states alone (no extra shared memory): a goal resets the
 * kickoff freeze to SC_KICKOFF_TICKS, which then counts down once a tick, so
 * the tick of a goal and of the puck's release are exact even when frames in
 * between were replaced in the mailbox (up to a freeze's length). */
#ifndef SC_SERVER_GAME_EVENTS_H
#define SC_SERVER_GAME_EVENTS_H
#include <stdbool.h>
#include <stdint.h>

#include "gpu/game_state.h"

#define SC_GAME_EVENT_JSON_MAX 128

struct sc_game_events {
	bool have_prev;
	uint32_t tick; /* the previous frame's tick; its state's fields below */
	uint32_t score0, score1, goals, kickoff;
};

/* One event as a JSON object (the value of the message's "event" key). */
typedef void (*sc_game_event_fn)(void *ud, const char *json);

/* Forgets the previous state: the next one is a baseline (no events). For a
 * new frame generation (the primary restarted or restored a match). */
void sc_game_events_reset(struct sc_game_events *ev);

/* st: the state after tick `tick` (the frame's). Calls emit for each event
 * since the previous state, oldest first; returns how many. A state that goes
 * back in time or in goals is taken as a new baseline. */
uint32_t sc_game_events_update(struct sc_game_events *ev, const struct sc_game_state *st, uint32_t tick,
                               sc_game_event_fn emit, void *ud);

#endif
