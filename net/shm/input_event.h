/* One game input: what a player does, and the tick it applies at.
 * The same event travels in input files (docs/inputs.md), on the wire and
 * in the shared input log, and is uploaded to the GPU as-is (std430 uvec4). */
#ifndef SC_NET_SHM_INPUT_EVENT_H
#define SC_NET_SHM_INPUT_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_MAX_PLAYERS 8
#define SC_AXIS_MAX 127

enum sc_input_action {
	SC_INPUT_MOVE = 1,  /* a = x axis, b = y axis, each -127..127; held until changed */
	SC_INPUT_SHOOT = 2, /* kick the puck if within reach (edge, one tick) */
	SC_INPUT_BLOCK = 3, /* a = 1 raises the shield, 0 lowers it */
	SC_INPUT_FAULT = 4, /* debug: a = enum sc_fault_kind; player ignored */
	/* System notices (docs/inputs.md "Notices"): written by the encoder
	 * process, never accepted from a client; applied at a tick like any input,
	 * so the primary and the shadow see them at the same tick. */
	SC_INPUT_JOIN = 5,       /* a client took player's slot: its held controls are released */
	SC_INPUT_LEAVE = 6,      /* player's client is gone (a = 0 left, 1 disconnected): the paddle stops */
	SC_INPUT_SPECTATORS = 7, /* the spectator count is now (uint8)a | (uint8)b << 8; player ignored (0) */
};

#define SC_SPECTATORS_MAX 65535 /* the largest count an SC_INPUT_SPECTATORS event carries */

/* true for the system notices (JOIN, LEAVE, SPECTATORS): facts about the
 * session, not a player's input; a restore never drops them. */
static inline bool sc_input_is_notice(uint8_t action)
{
	return action == SC_INPUT_JOIN || action == SC_INPUT_LEAVE || action == SC_INPUT_SPECTATORS;
}



enum sc_fault_kind {
	SC_FAULT_ASSERT = 1,
	SC_FAULT_CORRUPT = 2,
	SC_FAULT_HANG = 3,
	SC_FAULT_OOB = 4,
	SC_FAULT_CRASH = 5,
	SC_FAULT_DEVICE_LOST = 6,
};

/* 16 bytes, laid out as the shader's `uvec4` (see shaders/game_common.glsl). */
struct sc_input_event {
	uint32_t tick;   /* tick at which the event is applied */
	uint32_t seq;    /* position in the input log, strictly increasing */
	uint8_t player;  /* 0..SC_MAX_PLAYERS-1 */
	uint8_t action;  /* enum sc_input_action */
	int8_t a, b;     /* action arguments */
	uint32_t reserved;
};
_Static_assert(sizeof(struct sc_input_event) == 16, "input event is 16 bytes");

/* The count an SC_INPUT_SPECTATORS event carries (a low byte, b high byte). */
static inline uint32_t sc_input_spectators(const struct sc_input_event *ev)
{
	return (uint32_t)(uint8_t)ev->a | (uint32_t)(uint8_t)ev->b << 8;
}

/* Sets ev's a and b to count (clamped to SC_SPECTATORS_MAX). */
static inline void sc_input_set_spectators(struct sc_input_event *ev, uint32_t count)
{
	if (count > SC_SPECTATORS_MAX)
		count = SC_SPECTATORS_MAX;
	ev->a = (int8_t)(uint8_t)(count & 0xff);
	ev->b = (int8_t)(uint8_t)(count >> 8);
}

enum sc_input_parse_result {
	SC_INPUT_PARSE_EVENT,   /* *ev holds an event */
	SC_INPUT_PARSE_NOTHING, /* blank line or comment */
	SC_INPUT_PARSE_ERROR,   /* err holds the reason */
};

/* Parses one line of the text format. Never reads past len bytes. */
enum sc_input_parse_result sc_input_parse_line(const char *line, size_t len,
                                               struct sc_input_event *ev,
                                               char *err, size_t errlen);

/* Formats ev as one line (no newline) in the text format; returns length. */
int sc_input_format(const struct sc_input_event *ev, char *buf, size_t len);

const char *sc_fault_kind_name(enum sc_fault_kind kind);
bool sc_fault_kind_parse(const char *name, enum sc_fault_kind *kind);

#endif
