/* The game's outbound messages of one tick, from the state before and after
 * it: events (goal, kickoff, puck hit, wall bounce, block) and haptics
 * (rumble for the player who hit the puck, a long pulse for a scoring team's
 * players). A pure function of the two states, so the primary and a shadow
 * that runs the same ticks compute the same messages. Payload structs:
 * session/shm/game_msg.h. */
#ifndef SC_SESSION_GAME_MSGS_H
#define SC_SESSION_GAME_MSGS_H
#include <stdint.h>

#include <stdbool.h>

#include "gpu/game_state.h"
#include "net/shm/input_event.h"
#include "session/shm/game_msg.h"

#define SC_PUCK_MAXV (24 * 256) /* PUCK_MAXV, shaders/game_common.glsl: puck speed limit per axis */
#define SC_GAME_MSGS_MAX_EVENTS (3 + SC_MAX_PLAYERS)
#define SC_GAME_MSGS_MAX_HAPTICS (2 * SC_MAX_PLAYERS)

struct sc_game_msgs {
	uint32_t tick; /* the tick they belong to: cur->hdr.tick - 1 */
	uint32_t n_events, n_haptics;
	struct sc_game_event_msg events[SC_GAME_MSGS_MAX_EVENTS];
	struct sc_haptic_msg haptics[SC_GAME_MSGS_MAX_HAPTICS];
};

/* Fills out with what happened in the tick that took prev to cur, events in
 * the order kickoff, goal, wall bounce, hits and blocks by player. prev NULL,
 * or a prev that is not the state right before cur (its tick is not cur's
 * minus one, or goals / touches went back: a new or restored match), is a
 * baseline: no messages. */
void sc_game_msgs_diff(const struct sc_game_state *prev, const struct sc_game_state *cur, struct sc_game_msgs *out);

/* The notice a system notice of the input log makes (JOIN, LEAVE,
 * SPECTATORS: net/shm/input_event.h), to be sent at the tick that applied
 * it; false for any other input (or a player out of range). */
bool sc_game_notice_of_input(const struct sc_input_event *ev, struct sc_notice_msg *out);

/* Names used on the wire (docs/protocol.md §4); NULL for a kind out of range. */
const char *sc_game_event_kind_name(uint32_t kind);
const char *sc_haptic_reason_name(uint32_t reason);
const char *sc_notice_kind_name(uint32_t kind);

#endif
