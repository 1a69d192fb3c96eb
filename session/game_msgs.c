#include "session/game_msgs.h"

#include <string.h>

#define PF_BLOCK 1u /* shaders/game_common.glsl: shield up */
#define HIT_PULSE_MS 60u
#define BLOCK_PULSE_MS 120u
#define GOAL_PULSE_MS 600u

static uint32_t isqrt64(uint64_t v)
{
	uint64_t r = 0, bit = 1ull << 62;
	while (bit > v)
		bit >>= 2;
	while (bit) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return (uint32_t)r;
}

static uint32_t puck_speed(const struct sc_game_state *st)
{
	int64_t vx = st->puck.vx, vy = st->puck.vy;
	return isqrt64((uint64_t)(vx * vx) + (uint64_t)(vy * vy));
}

/* speed as 0..SC_HAPTIC_MAGNITUDE_MAX of the fastest the puck goes along one axis */
static uint32_t magnitude(uint32_t speed)
{
	uint64_t m = (uint64_t)speed * SC_HAPTIC_MAGNITUDE_MAX / SC_PUCK_MAXV;
	return m > SC_HAPTIC_MAGNITUDE_MAX ? SC_HAPTIC_MAGNITUDE_MAX : (uint32_t)m;
}

static void event(struct sc_game_msgs *out, uint32_t kind, int32_t player)
{
	if (out->n_events >= SC_GAME_MSGS_MAX_EVENTS)
		return;
	out->events[out->n_events++] = (struct sc_game_event_msg){.kind = kind, .player = player};
}

static void haptic(struct sc_game_msgs *out, uint32_t player, uint32_t reason, uint32_t ms, uint32_t strong,
                   uint32_t weak)
{
	if (out->n_haptics >= SC_GAME_MSGS_MAX_HAPTICS)
		return;
	out->haptics[out->n_haptics++] = (struct sc_haptic_msg){
		.player = player, .reason = reason, .duration_ms = ms, .strong = strong, .weak = weak};
}

static bool consecutive(const struct sc_game_state *prev, const struct sc_game_state *cur)
{
	const struct sc_game_header *a = &prev->hdr, *b = &cur->hdr;
	if (a->tick + 1 != b->tick || b->goals < a->goals || b->touches < a->touches ||
	    b->wall_bounces < a->wall_bounces || b->score0 < a->score0 || b->score1 < a->score1)
		return false;
	for (uint32_t p = 0; p < SC_MAX_PLAYERS; p++)
		if (cur->players[p].touches < prev->players[p].touches)
			return false;
	return true;
}

void sc_game_msgs_diff(const struct sc_game_state *prev, const struct sc_game_state *cur, struct sc_game_msgs *out)
{
	memset(out, 0, sizeof(*out));
	out->tick = cur->hdr.tick ? cur->hdr.tick - 1 : 0;
	if (!prev || !consecutive(prev, cur))
		return;
	const struct sc_game_header *a = &prev->hdr, *b = &cur->hdr;
	uint32_t players = b->n_players < SC_MAX_PLAYERS ? b->n_players : SC_MAX_PLAYERS;

	if (a->kickoff > 0 && b->kickoff == 0)
		event(out, SC_GAME_EVENT_KICKOFF, -1);
	if (b->goals > a->goals) {
		/* one goal a tick at most: the kickoff freeze follows it */
		uint32_t team = b->score0 > a->score0 ? 0 : 1;
		event(out, SC_GAME_EVENT_GOAL, -1);
		struct sc_game_event_msg *e = &out->events[out->n_events - 1];
		e->team = team;
		e->score0 = b->score0;
		e->score1 = b->score1;
		for (uint32_t p = 0; p < players; p++)
			if (cur->players[p].team == team)
				haptic(out, p, SC_HAPTIC_GOAL, GOAL_PULSE_MS, SC_HAPTIC_MAGNITUDE_MAX, SC_HAPTIC_MAGNITUDE_MAX);
	}
	if (b->wall_bounces > a->wall_bounces)
		event(out, SC_GAME_EVENT_WALL_BOUNCE, -1);
	uint32_t speed = puck_speed(cur);
	for (uint32_t p = 0; p < players; p++) {
		if (cur->players[p].touches == prev->players[p].touches)
			continue;
		bool shield = (cur->players[p].flags & PF_BLOCK) != 0;
		event(out, shield ? SC_GAME_EVENT_BLOCK : SC_GAME_EVENT_HIT, (int32_t)p);
		out->events[out->n_events - 1].speed = speed;
		uint32_t m = magnitude(speed);
		if (shield) /* the shield takes the blow: a firm knock whatever the speed */
			haptic(out, p, SC_HAPTIC_BLOCK, BLOCK_PULSE_MS, m > 600 ? m : 600, 300);
		else
			haptic(out, p, SC_HAPTIC_HIT, HIT_PULSE_MS + m / 10, m, m / 2 + 150);
	}
}

const char *sc_game_event_kind_name(uint32_t kind)
{
	switch (kind) {
	case SC_GAME_EVENT_GOAL: return "goal";
	case SC_GAME_EVENT_KICKOFF: return "kickoff";
	case SC_GAME_EVENT_HIT: return "hit";
	case SC_GAME_EVENT_WALL_BOUNCE: return "wall_bounce";
	case SC_GAME_EVENT_BLOCK: return "block";
	}
	return NULL;
}

bool sc_game_notice_of_input(const struct sc_input_event *ev, struct sc_notice_msg *out)
{
	memset(out, 0, sizeof(*out));
	switch (ev->action) {
	case SC_INPUT_JOIN:
		out->kind = SC_NOTICE_PLAYER_JOINED;
		break;
	case SC_INPUT_LEAVE:
		out->kind = ev->a ? SC_NOTICE_PLAYER_DISCONNECTED : SC_NOTICE_PLAYER_LEFT;
		break;
	case SC_INPUT_SPECTATORS:
		out->kind = SC_NOTICE_SPECTATORS;
		out->count = sc_input_spectators(ev);
		return true;
	default:
		return false;
	}
	if (ev->player >= SC_MAX_PLAYERS)
		return false;
	out->player = ev->player;
	return true;
}

const char *sc_haptic_reason_name(uint32_t reason)
{
	switch (reason) {
	case SC_HAPTIC_HIT: return "hit";
	case SC_HAPTIC_BLOCK: return "block";
	case SC_HAPTIC_GOAL: return "goal";
	}
	return NULL;
}

const char *sc_notice_kind_name(uint32_t kind)
{
	switch (kind) {
	case SC_NOTICE_MATCH_START: return "match_start";
	case SC_NOTICE_INCIDENT: return "incident";
	case SC_NOTICE_PLAYER_JOINED: return "player_joined";
	case SC_NOTICE_PLAYER_LEFT: return "player_left";
	case SC_NOTICE_PLAYER_DISCONNECTED: return "player_disconnected";
	case SC_NOTICE_SPECTATORS: return "spectators";
	}
	return NULL;
}
