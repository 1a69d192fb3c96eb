/* The stamped-tick rule (gpu/input_gather.h): one tick's gathering, the
 * placement of a run of pending inputs, and both against the primary's
 * tick-by-tick gathering over random logs. No GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/input_gather.h"
#include "tests/lib/check.h"

/* The primary's loop (server/primary.c take_inputs) without the log: gathers
 * tick `tick` from log[*pos..n), dropping (consuming, not counting) those
 * drop[] marks; returns how many it applied and stores their ticks. */
static uint32_t gather_tick(const uint32_t *stamp, const bool *drop, size_t n, size_t *pos, uint32_t tick,
                            uint32_t *applied_at)
{
	struct sc_input_gather g = sc_input_gather_start(tick);
	uint32_t applied = 0;
	while (*pos < n && sc_input_gather_accepts(&g, stamp[*pos])) {
		if (!drop[*pos]) {
			sc_input_gather_take(&g);
			applied_at[*pos] = tick;
			applied++;
		}
		(*pos)++;
	}
	return applied;
}

static void test_one_tick(void)
{
	struct sc_input_gather g = sc_input_gather_start(10);
	check(sc_input_gather_accepts(&g, 3));  /* stamped early: this tick */
	check(sc_input_gather_accepts(&g, 10)); /* its own */
	check(!sc_input_gather_accepts(&g, 11)); /* a later stamp ends the tick */
	for (int i = 0; i < SC_MAX_INPUTS_PER_TICK; i++) {
		check(sc_input_gather_accepts(&g, 10));
		sc_input_gather_take(&g);
	}
	check(g.taken == SC_MAX_INPUTS_PER_TICK);
	check(!sc_input_gather_accepts(&g, 0)); /* full */
}

static void test_assign(void)
{
	struct sc_input_event ev[70];
	memset(ev, 0, sizeof(ev));
	ev[0].tick = 3;  /* stamped early: applied at the first pending tick */
	ev[1].tick = 10;
	ev[2].tick = 12; /* later stamp: its own tick */
	ev[3].tick = 11; /* stamped before the previous one: stays at 12 (log order) */
	sc_input_gather_assign(ev, 4, 10);
	check(ev[0].tick == 10 && ev[1].tick == 10 && ev[2].tick == 12 && ev[3].tick == 12);
	memset(ev, 0, sizeof(ev));
	sc_input_gather_assign(ev, 70, 5);
	check(ev[63].tick == 5 && ev[64].tick == 6 && ev[69].tick == 6); /* at most 64 a tick */
	/* a full tick followed by a later stamp: the stamp, not tick + 1 */
	memset(ev, 0, sizeof(ev));
	ev[64].tick = 9;
	sc_input_gather_assign(ev, 65, 5);
	check(ev[63].tick == 5 && ev[64].tick == 9);
	sc_input_gather_assign(ev, 0, 5); /* nothing pending */
}

/* Random logs: placing the run at once gives the ticks the primary applies
 * each input at, tick by tick (no drops: the shadow's prediction). With drops,
 * a dropped input does not take room in its tick. */
static void test_drops_take_no_room(void)
{
	enum { N = 2 * SC_MAX_INPUTS_PER_TICK + 1 };
	uint32_t stamp[N], at[N];
	bool drop[N];
	for (size_t i = 0; i < N; i++) {
		stamp[i] = 4;
		drop[i] = i % 2 == 1; /* every other one dropped */
	}
	size_t pos = 0;
	check(gather_tick(stamp, drop, N, &pos, 4, at) == SC_MAX_INPUTS_PER_TICK);
	check(pos == N - 2); /* 64 applied and the 63 drops between them */
	check(gather_tick(stamp, drop, N, &pos, 5, at) == 1 && pos == N && at[N - 1] == 5);
}

static void test_against_primary(void)
{
	enum { N = 400 };
	static uint32_t stamp[N], at[N];
	static bool drop[N], none[N];
	struct sc_input_event ev[N];
	srand(7);
	for (int round = 0; round < 200; round++) {
		uint32_t t0 = (uint32_t)(rand() % 50), s = t0 > 5 ? t0 - 5 : 0;
		for (size_t i = 0; i < N; i++) {
			/* bursts (many inputs at one stamp) and gaps; stamps never go back far */
			if (rand() % 8 == 0)
				s += (uint32_t)(rand() % 4);
			stamp[i] = rand() % 16 == 0 && s > 2 ? s - 2 : s;
			drop[i] = rand() % 10 == 0;
			ev[i] = (struct sc_input_event){.tick = stamp[i]};
		}
		sc_input_gather_assign(ev, N, t0);
		size_t pos = 0;
		for (uint32_t t = t0; pos < N; t++)
			check(gather_tick(stamp, none, N, &pos, t, at) <= SC_MAX_INPUTS_PER_TICK);
		for (size_t i = 0; i < N; i++)
			check(ev[i].tick == at[i]);
		/* drops: consumed in order, never counted against the tick's room */
		pos = 0;
		memset(at, 0xff, sizeof(at));
		for (uint32_t t = t0; pos < N; t++)
			check(gather_tick(stamp, drop, N, &pos, t, at) <= SC_MAX_INPUTS_PER_TICK);
		for (size_t i = 0; i < N; i++)
			check(drop[i] ? at[i] == UINT32_MAX : at[i] >= stamp[i] || at[i] >= t0);
	}
}

int main(void)
{
	test_one_tick();
	test_assign();
	test_drops_take_no_room();
	test_against_primary();
	printf("input_gather: ok\n");
	return 0;
}
