#include "server/game_events.h"

#include <stdio.h>
#include <string.h>

void sc_game_events_reset(struct sc_game_events *ev)
{
	memset(ev, 0, sizeof(*ev));
}

static void remember(struct sc_game_events *ev, const struct sc_game_state *st, uint32_t tick)
{
	ev->have_prev = true;
	ev->tick = tick;
	ev->score0 = st->hdr.score0;
	ev->score1 = st->hdr.score1;
	ev->goals = st->hdr.goals;
	ev->kickoff = st->hdr.kickoff;
}

/* "12" or "null" (a tick the states cannot tell) */
static const char *tick_str(char *buf, size_t len, bool known, uint32_t tick)
{
	if (!known)
		return "null";
	snprintf(buf, len, "%u", tick);
	return buf;
}

static void kickoff(sc_game_event_fn emit, void *ud, bool known, uint32_t tick)
{
	char json[SC_GAME_EVENT_JSON_MAX], t[16];
	snprintf(json, sizeof(json), "{\"kind\":\"kickoff\",\"tick\":%s}", tick_str(t, sizeof(t), known, tick));
	emit(ud, json);
}

static void goal(sc_game_event_fn emit, void *ud, bool known, uint32_t tick, uint32_t team, uint32_t score0,
                 uint32_t score1)
{
	char json[SC_GAME_EVENT_JSON_MAX], t[16];
	snprintf(json, sizeof(json), "{\"kind\":\"goal\",\"tick\":%s,\"team\":%u,\"score\":[%u,%u]}",
	         tick_str(t, sizeof(t), known, tick), team, score0, score1);
	emit(ud, json);
}

uint32_t sc_game_events_update(struct sc_game_events *ev, const struct sc_game_state *st, uint32_t tick,
                               sc_game_event_fn emit, void *ud)
{
	const struct sc_game_header *h = &st->hdr;
	uint32_t n = 0;

	if (!ev->have_prev || tick <= ev->tick || h->goals < ev->goals || h->score0 < ev->score0 ||
	    h->score1 < ev->score1 || h->kickoff > SC_KICKOFF_TICKS) {
		remember(ev, st, tick); /* a baseline: first frame, new match, restored match */
		return 0;
	}
	uint32_t goals = h->goals - ev->goals;
	/* the freeze running at the previous frame ends kickoff ticks later: the
	 * puck was released if it is free now or was in play for a goal since */
	if (ev->kickoff > 0 && (h->kickoff == 0 || goals > 0)) {
		kickoff(emit, ud, true, ev->tick + ev->kickoff);
		n++;
	}
	/* a goal starts a freeze of SC_KICKOFF_TICKS that has counted down once
	 * a tick since: its tick is exact while the freeze still runs, if it was
	 * the only goal since the previous frame */
	bool known = goals == 1 && h->kickoff > 0;
	uint32_t goal_tick = tick - (SC_KICKOFF_TICKS - h->kickoff);
	uint32_t s0 = ev->score0, s1 = ev->score1;
	for (uint32_t i = 0; i < goals; i++) {
		uint32_t team = s0 < h->score0 ? 0 : 1; /* several: the left team's first (order unknown) */
		if (team == 0)
			s0++;
		else
			s1++;
		goal(emit, ud, known, goal_tick, team, s0, s1);
		n++;
		/* every freeze but the last one's has ended, and that one too if the puck is free */
		if (i + 1 < goals || h->kickoff == 0) {
			kickoff(emit, ud, false, 0);
			n++;
		}
	}
	remember(ev, st, tick);
	return n;
}
