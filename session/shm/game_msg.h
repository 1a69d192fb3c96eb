/* Payloads of the game's typed message rings (session/shm/msg_ring.h): each
 * follows a struct sc_msg_header in one ring record, or (the incident report,
 * 1376 bytes) fills an arena payload block whose descriptor the record
 * carries. Fixed size (32 bytes; chat 208), naturally aligned, no pointers. Layout version: SC_SESSION_LAYOUT_VERSION.
 *
 * Writer: the primary, after each tick, from the game state before and after
 * it (session/game_msgs.c, a pure function: the shadow can compute the same).
 * Reader: the encoder process, which turns them into the `event`, `haptic`
 * and `notice` messages of docs/protocol.md §4. Every field a reader uses is
 * range-checked there (a peer may be corrupt). */
#ifndef SC_SESSION_SHM_GAME_MSG_H
#define SC_SESSION_SHM_GAME_MSG_H
#include <stddef.h>
#include <stdint.h>

#include "gpu/game_state.h"
#include "net/shm/input_event.h"

/* SC_MSG_EVENT: what happened in the game at the header's tick. */
enum sc_game_event_kind {
	SC_GAME_EVENT_GOAL = 1,        /* team scored; score0/score1 after it */
	SC_GAME_EVENT_KICKOFF = 2,     /* the kickoff freeze ended: the puck is free */
	SC_GAME_EVENT_HIT = 3,         /* player touched the puck; speed after it */
	SC_GAME_EVENT_WALL_BOUNCE = 4, /* the puck bounced off a wall */
	SC_GAME_EVENT_BLOCK = 5,       /* the puck hit player's raised shield; speed after it */
	SC_GAME_EVENT_KIND_MAX = SC_GAME_EVENT_BLOCK
};

struct sc_game_event_msg {
	uint32_t kind;   /* enum sc_game_event_kind */
	int32_t player;  /* HIT, BLOCK: 0..SC_MAX_PLAYERS-1; else -1 */
	uint32_t team;   /* GOAL: 0 or 1 */
	uint32_t score0, score1; /* GOAL: the score after it */
	uint32_t speed;  /* HIT, BLOCK: puck speed after the tick, world subunits (1/256 px) per tick */
	uint32_t reserved[2];
};
_Static_assert(sizeof(struct sc_game_event_msg) == 32, "sc_game_event_msg layout");
_Static_assert(offsetof(struct sc_game_event_msg, kind) == 0, "sc_game_event_msg layout");
_Static_assert(offsetof(struct sc_game_event_msg, player) == 4, "sc_game_event_msg layout");
_Static_assert(offsetof(struct sc_game_event_msg, team) == 8, "sc_game_event_msg layout");
_Static_assert(offsetof(struct sc_game_event_msg, score0) == 12, "sc_game_event_msg layout");
_Static_assert(offsetof(struct sc_game_event_msg, score1) == 16, "sc_game_event_msg layout");
_Static_assert(offsetof(struct sc_game_event_msg, speed) == 20, "sc_game_event_msg layout");

/* SC_MSG_HAPTIC: a rumble for one player's controller. */
enum sc_haptic_reason {
	SC_HAPTIC_HIT = 1,   /* the player hit the puck: strength from the puck's speed */
	SC_HAPTIC_BLOCK = 2, /* the puck hit the player's raised shield */
	SC_HAPTIC_GOAL = 3,  /* the player's team scored: a long pulse */
	SC_HAPTIC_REASON_MAX = SC_HAPTIC_GOAL
};

#define SC_HAPTIC_MAGNITUDE_MAX 1000u /* strong / weak: 0..1000 = 0.0..1.0 */
#define SC_HAPTIC_DURATION_MAX_MS 5000u

struct sc_haptic_msg {
	uint32_t player;      /* 0..SC_MAX_PLAYERS-1 */
	uint32_t reason;      /* enum sc_haptic_reason */
	uint32_t duration_ms; /* 1..SC_HAPTIC_DURATION_MAX_MS */
	uint32_t strong;      /* low-frequency motor, 0..SC_HAPTIC_MAGNITUDE_MAX */
	uint32_t weak;        /* high-frequency motor, 0..SC_HAPTIC_MAGNITUDE_MAX */
	uint32_t reserved[3];
};
_Static_assert(sizeof(struct sc_haptic_msg) == 32, "sc_haptic_msg layout");
_Static_assert(offsetof(struct sc_haptic_msg, player) == 0, "sc_haptic_msg layout");
_Static_assert(offsetof(struct sc_haptic_msg, reason) == 4, "sc_haptic_msg layout");
_Static_assert(offsetof(struct sc_haptic_msg, duration_ms) == 8, "sc_haptic_msg layout");
_Static_assert(offsetof(struct sc_haptic_msg, strong) == 12, "sc_haptic_msg layout");
_Static_assert(offsetof(struct sc_haptic_msg, weak) == 16, "sc_haptic_msg layout");

/* SC_MSG_NOTICE: something the primary knows about the session. */
enum sc_notice_kind {
	SC_NOTICE_MATCH_START = 1, /* a primary started (or restored) a match at the header's tick */
	SC_NOTICE_INCIDENT = 2,    /* the primary found a fault at the header's tick: the game pauses */
	/* the system notices of the input log (net/shm/input_event.h), applied at the header's tick: */
	SC_NOTICE_PLAYER_JOINED = 3,       /* SC_INPUT_JOIN: player */
	SC_NOTICE_PLAYER_LEFT = 4,         /* SC_INPUT_LEAVE, a = 0: player */
	SC_NOTICE_PLAYER_DISCONNECTED = 5, /* SC_INPUT_LEAVE, a = 1: player */
	SC_NOTICE_SPECTATORS = 6,          /* SC_INPUT_SPECTATORS: count */
	SC_NOTICE_KIND_MAX = SC_NOTICE_SPECTATORS
};

struct sc_notice_msg {
	uint32_t kind;     /* enum sc_notice_kind */
	uint32_t incident; /* INCIDENT: the session's incident number; MATCH_START: 1 if restored */
	uint32_t detail;   /* INCIDENT: enum sc_fault_detected (session/shm/fault_record.h) */
	uint32_t player;   /* PLAYER_*: 0..SC_MAX_PLAYERS-1 */
	uint32_t count;    /* SPECTATORS: 0..SC_SPECTATORS_MAX (net/shm/input_event.h) */
	uint32_t reserved[3];
};
_Static_assert(sizeof(struct sc_notice_msg) == 32, "sc_notice_msg layout");
_Static_assert(offsetof(struct sc_notice_msg, kind) == 0, "sc_notice_msg layout");
_Static_assert(offsetof(struct sc_notice_msg, incident) == 4, "sc_notice_msg layout");
_Static_assert(offsetof(struct sc_notice_msg, detail) == 8, "sc_notice_msg layout");
_Static_assert(offsetof(struct sc_notice_msg, player) == 12, "sc_notice_msg layout");
_Static_assert(offsetof(struct sc_notice_msg, count) == 16, "sc_notice_msg layout");

/* SC_MSG_NOTICE, kind SC_NOTICE_INCIDENT, the full fault report: too big for
 * a ring record, so it travels in an arena payload block (session/shm/
 * msg_ring.h, "Payload blocks"); the record is recognised by its length.
 * The primary writes it when it stops on a fault it found itself (the
 * supervisor's external findings have no primary to write them). When no
 * block can be had, the primary writes the 32-byte notice alone. */
#define SC_INCIDENT_DETAIL_MAX 256
struct sc_incident_report {
	struct sc_notice_msg notice; /* kind INCIDENT, incident, detail = enum sc_fault_detected */
	uint32_t path;               /* enum sc_fault_path (724 self) */
	uint32_t injected;           /* enum sc_fault_kind of the FAULT input that caused it, 0 none */
	uint32_t error_tick;         /* the tick whose inputs caused it */
	uint32_t detected_tick;      /* the primary's tick when it found it */
	uint32_t record_kind;        /* the shaders' fault record: kind (0: none), detail, tick */
	uint32_t record_detail;
	uint32_t record_tick;
	uint32_t n_inputs;           /* inputs[] used: 0..SC_MAX_INPUTS_PER_TICK */
	uint32_t inputs_known;       /* 1: inputs[] are all of error_tick's inputs; 0: the primary no longer had them */
	uint32_t reserved[7];        /* 0 */
	char detail[SC_INCIDENT_DETAIL_MAX]; /* the fault's message, UTF-8, NUL-terminated */
	struct sc_input_event inputs[SC_MAX_INPUTS_PER_TICK]; /* the offending tick's inputs, in order */
};
_Static_assert(sizeof(struct sc_incident_report) == 96 + SC_INCIDENT_DETAIL_MAX + 16 * SC_MAX_INPUTS_PER_TICK,
               "sc_incident_report layout");
_Static_assert(offsetof(struct sc_incident_report, path) == 32, "sc_incident_report layout");
_Static_assert(offsetof(struct sc_incident_report, n_inputs) == 60, "sc_incident_report layout");
_Static_assert(offsetof(struct sc_incident_report, inputs_known) == 64, "sc_incident_report layout");
_Static_assert(offsetof(struct sc_incident_report, detail) == 96, "sc_incident_report layout");
_Static_assert(offsetof(struct sc_incident_report, inputs) == 96 + SC_INCIDENT_DETAIL_MAX, "sc_incident_report layout");

/* SC_MSG_CHAT: one player's chat line. Inbound (the encoder process writes
 * what a client sent: msg-chat-in) and outbound (the primary relays it,
 * stamped with the tick it took it at: msg-chat), the same payload. */
#define SC_CHAT_TEXT_MAX 200 /* SC_WS_CHAT_MAX: UTF-8 bytes */

struct sc_chat_msg {
	uint32_t player; /* 0..SC_MAX_PLAYERS-1 */
	uint32_t len;    /* 1..SC_CHAT_TEXT_MAX bytes of text */
	char text[SC_CHAT_TEXT_MAX]; /* UTF-8, not NUL-terminated */
};
_Static_assert(sizeof(struct sc_chat_msg) == 208, "sc_chat_msg layout");
_Static_assert(offsetof(struct sc_chat_msg, player) == 0, "sc_chat_msg layout");
_Static_assert(offsetof(struct sc_chat_msg, len) == 4, "sc_chat_msg layout");
_Static_assert(offsetof(struct sc_chat_msg, text) == 8, "sc_chat_msg layout");

#endif
