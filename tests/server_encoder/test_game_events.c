/* The `event` messages derived from the states the frames show
 * (server/game_events.c): the exact JSON of each event, at the tick it
 * happened, whether every frame was seen or frames were replaced in between;
 * no event for the baseline, for a state that goes back (new match, restore)
 * or after a reset; `tick` null only where the states cannot tell it. */
#include <stdio.h>
#include <string.h>

#include "server/game_events.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static char got[8][SC_GAME_EVENT_JSON_MAX];
static unsigned n_got;

static void collect(void *ud, const char *json)
{
	(void)ud;
	if (n_got < 8)
		snprintf(got[n_got], sizeof(got[0]), "%s", json);
	n_got++;
}

static struct sc_game_state state(uint32_t score0, uint32_t score1, uint32_t kickoff)
{
	struct sc_game_state s;
	memset(&s, 0, sizeof(s));
	s.hdr.score0 = score0;
	s.hdr.score1 = score1;
	s.hdr.goals = score0 + score1;
	s.hdr.kickoff = kickoff;
	return s;
}

/* The frame of `tick` shows this state; expect exactly the events listed. */
static void frame(struct sc_game_events *ev, uint32_t tick, struct sc_game_state s, unsigned n,
                  const char *const *want, int line)
{
	s.hdr.tick = tick + 1;
	n_got = 0;
	uint32_t r = sc_game_events_update(ev, &s, tick, collect, NULL);
	if (r != n_got || n_got != n) {
		failures++;
		fprintf(stderr, "FAIL line %d: tick %u: %u events (returned %u), want %u\n", line, tick, n_got, r, n);
		for (unsigned i = 0; i < n_got && i < 8; i++)
			fprintf(stderr, "  got %s\n", got[i]);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		CHECK(strcmp(got[i], want[i]) == 0, "line %d: tick %u event %u: %s, want %s", line, tick, i, got[i],
		      want[i]);
}
#define FRAME(tick, st, n, ...) frame(&ev, tick, st, n, (const char *const[]){ __VA_ARGS__ }, __LINE__)
#define NONE(tick, st) frame(&ev, tick, st, 0, NULL, __LINE__)

int main(void)
{
	struct sc_game_events ev;
	sc_game_events_reset(&ev);

	/* match start: tick 0's state still frozen (59 ticks left); every frame seen */
	NONE(0, state(0, 0, 59));
	for (uint32_t t = 1; t < 59; t++)
		NONE(t, state(0, 0, 59 - t));
	FRAME(59, state(0, 0, 0), 1, "{\"kind\":\"kickoff\",\"tick\":59}");
	NONE(60, state(0, 0, 0));
	NONE(199, state(0, 0, 0));
	/* the left team scores at tick 200: the freeze starts again */
	FRAME(200, state(1, 0, 60), 1, "{\"kind\":\"goal\",\"tick\":200,\"team\":0,\"score\":[1,0]}");
	NONE(201, state(1, 0, 59));

	/* frames replaced in between: the ticks still come out exact */
	NONE(230, state(1, 0, 30));
	FRAME(275, state(1, 0, 0), 1, "{\"kind\":\"kickoff\",\"tick\":260}");
	NONE(300, state(1, 0, 0));
	FRAME(320, state(1, 1, 50), 1, "{\"kind\":\"goal\",\"tick\":310,\"team\":1,\"score\":[1,1]}");
	/* release at 370 and a goal at 390, both between two frames */
	FRAME(400, state(2, 1, 50), 2, "{\"kind\":\"kickoff\",\"tick\":370}",
	      "{\"kind\":\"goal\",\"tick\":390,\"team\":0,\"score\":[2,1]}");
	NONE(405, state(2, 1, 45));

	/* more than a freeze skipped: the goal and its release are told, tick unknown */
	FRAME(600, state(2, 2, 0), 3, "{\"kind\":\"kickoff\",\"tick\":450}",
	      "{\"kind\":\"goal\",\"tick\":null,\"team\":1,\"score\":[2,2]}", "{\"kind\":\"kickoff\",\"tick\":null}");
	/* two goals in one gap: both told, left team first, ticks unknown */
	FRAME(900, state(3, 3, 10), 3, "{\"kind\":\"goal\",\"tick\":null,\"team\":0,\"score\":[3,2]}",
	      "{\"kind\":\"kickoff\",\"tick\":null}", "{\"kind\":\"goal\",\"tick\":null,\"team\":1,\"score\":[3,3]}");
	FRAME(910, state(3, 3, 0), 1, "{\"kind\":\"kickoff\",\"tick\":910}");

	/* a state that goes back (a restored match): a new baseline, no events */
	NONE(500, state(1, 0, 0));
	NONE(501, state(1, 0, 0));
	FRAME(502, state(2, 0, 60), 1, "{\"kind\":\"goal\",\"tick\":502,\"team\":0,\"score\":[2,0]}");
	/* fewer goals at a later tick (a new match): baseline again */
	NONE(600, state(0, 0, 30));
	FRAME(630, state(0, 0, 0), 1, "{\"kind\":\"kickoff\",\"tick\":630}");

	/* reset (new frame generation): the next state is a baseline */
	sc_game_events_reset(&ev);
	NONE(700, state(5, 0, 60));
	FRAME(760, state(5, 0, 0), 1, "{\"kind\":\"kickoff\",\"tick\":760}");

	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("game events: all checks passed\n");
	return failures ? 1 : 0;
}
