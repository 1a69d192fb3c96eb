#include "net/shm/input_event.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 6
#define MAX_TOKEN 24

static const char *const fault_names[] = {
	[SC_FAULT_ASSERT] = "assert", [SC_FAULT_CORRUPT] = "corrupt", [SC_FAULT_HANG] = "hang",
	[SC_FAULT_OOB] = "oob", [SC_FAULT_CRASH] = "crash", [SC_FAULT_DEVICE_LOST] = "device-lost",
};

const char *sc_fault_kind_name(enum sc_fault_kind kind)
{
	if ((unsigned)kind < sizeof(fault_names) / sizeof(fault_names[0]) && fault_names[kind])
		return fault_names[kind];
	return "unknown";
}

bool sc_fault_kind_parse(const char *name, enum sc_fault_kind *kind)
{
	for (unsigned i = 1; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
		if (strcmp(name, fault_names[i]) == 0) {
			*kind = (enum sc_fault_kind)i;
			return true;
		}
	}
	return false;
}

static enum sc_input_parse_result fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return SC_INPUT_PARSE_ERROR;
}

/* Strict decimal integer in [lo, hi]. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
	if (!*s || *s == '+' || *s == ' ')
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

enum sc_input_parse_result sc_input_parse_line(const char *line, size_t len,
                                               struct sc_input_event *ev,
                                               char *err, size_t errlen)
{
	char tok[MAX_TOKENS][MAX_TOKEN];
	int n = 0;
	size_t i = 0;
	while (i < len) {
		char c = line[i];
		if (c == '#' || c == '\n' || c == '\r')
			break;
		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
			return fail(err, errlen, "unexpected byte 0x%02x", (unsigned char)c);
		if (n == MAX_TOKENS)
			return fail(err, errlen, "too many fields (at most %d)", MAX_TOKENS - 1);
		size_t k = 0;
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '#' && line[i] != '\n' &&
		       line[i] != '\r') {
			if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
				return fail(err, errlen, "unexpected byte 0x%02x", (unsigned char)line[i]);
			if (k == MAX_TOKEN - 1)
				return fail(err, errlen, "field %d too long", n + 1);
			tok[n][k++] = line[i++];
		}
		tok[n++][k] = '\0';
	}
	if (n == 0)
		return SC_INPUT_PARSE_NOTHING;
	if (n < 3)
		return fail(err, errlen, "expected 'TICK PLAYER ACTION [ARGS]'");

	memset(ev, 0, sizeof(*ev));
	long tick, player = 0, a = 0, b = 0;
	if (!parse_int(tok[0], 0, 0x7fffffff, &tick))
		return fail(err, errlen, "bad tick '%s' (0..2147483647)", tok[0]);
	ev->tick = (uint32_t)tick;
	const char *action = tok[2];
	if (strcmp(action, "fault") == 0) {
		enum sc_fault_kind kind;
		if (strcmp(tok[1], "-") != 0)
			return fail(err, errlen, "fault events take '-' as the player");
		if (n != 4 || !sc_fault_kind_parse(tok[3], &kind))
			return fail(err, errlen, "fault needs a kind: assert, corrupt, hang, oob, crash, device-lost");
		ev->action = SC_INPUT_FAULT;
		ev->a = (int8_t)kind;
		return SC_INPUT_PARSE_EVENT;
	}
	if (strcmp(action, "spectators") == 0) {
		long count;
		if (strcmp(tok[1], "-") != 0)
			return fail(err, errlen, "spectators events take '-' as the player");
		if (n != 4 || !parse_int(tok[3], 0, SC_SPECTATORS_MAX, &count))
			return fail(err, errlen, "spectators needs a count in 0..%d", SC_SPECTATORS_MAX);
		ev->action = SC_INPUT_SPECTATORS;
		sc_input_set_spectators(ev, (uint32_t)count);
		return SC_INPUT_PARSE_EVENT;
	}
	if (!parse_int(tok[1], 0, SC_MAX_PLAYERS - 1, &player))
		return fail(err, errlen, "bad player '%s' (0..%d)", tok[1], SC_MAX_PLAYERS - 1);
	ev->player = (uint8_t)player;
	if (strcmp(action, "move") == 0) {
		if (n != 5 || !parse_int(tok[3], -SC_AXIS_MAX, SC_AXIS_MAX, &a) ||
		    !parse_int(tok[4], -SC_AXIS_MAX, SC_AXIS_MAX, &b))
			return fail(err, errlen, "move needs two axis values in -127..127");
		ev->action = SC_INPUT_MOVE;
	} else if (strcmp(action, "shoot") == 0) {
		if (n != 3)
			return fail(err, errlen, "shoot takes no arguments");
		ev->action = SC_INPUT_SHOOT;
	} else if (strcmp(action, "block") == 0) {
		if (n != 4 || (strcmp(tok[3], "on") != 0 && strcmp(tok[3], "off") != 0))
			return fail(err, errlen, "block needs 'on' or 'off'");
		ev->action = SC_INPUT_BLOCK;
		a = strcmp(tok[3], "on") == 0;
	} else if (strcmp(action, "join") == 0) {
		if (n != 3)
			return fail(err, errlen, "join takes no arguments");
		ev->action = SC_INPUT_JOIN;
	} else if (strcmp(action, "leave") == 0) {
		if (n != 4 || (strcmp(tok[3], "left") != 0 && strcmp(tok[3], "disconnected") != 0))
			return fail(err, errlen, "leave needs 'left' or 'disconnected'");
		ev->action = SC_INPUT_LEAVE;
		a = strcmp(tok[3], "disconnected") == 0;
	} else {
		return fail(err, errlen, "unknown action '%s' (move, shoot, block, fault, join, leave, spectators)",
		            action);
	}
	ev->a = (int8_t)a;
	ev->b = (int8_t)b;
	return SC_INPUT_PARSE_EVENT;
}

int sc_input_format(const struct sc_input_event *ev, char *buf, size_t len)
{
	switch (ev->action) {
	case SC_INPUT_MOVE:
		return snprintf(buf, len, "%u %u move %d %d", ev->tick, ev->player, ev->a, ev->b);
	case SC_INPUT_SHOOT:
		return snprintf(buf, len, "%u %u shoot", ev->tick, ev->player);
	case SC_INPUT_BLOCK:
		return snprintf(buf, len, "%u %u block %s", ev->tick, ev->player, ev->a ? "on" : "off");
	case SC_INPUT_FAULT:
		return snprintf(buf, len, "%u - fault %s", ev->tick, sc_fault_kind_name((enum sc_fault_kind)ev->a));
	case SC_INPUT_JOIN:
		return snprintf(buf, len, "%u %u join", ev->tick, ev->player);
	case SC_INPUT_LEAVE:
		return snprintf(buf, len, "%u %u leave %s", ev->tick, ev->player, ev->a ? "disconnected" : "left");
	case SC_INPUT_SPECTATORS:
		return snprintf(buf, len, "%u - spectators %u", ev->tick, sc_input_spectators(ev));
	default:
		return snprintf(buf, len, "%u %u unknown-%u", ev->tick, ev->player, ev->action);
	}
}
