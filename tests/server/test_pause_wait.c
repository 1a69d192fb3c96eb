/* The supervisor's wait for the shadow's pause after an incident
 * (server/pause_wait.c): it waits while the shadow makes progress (however
 * long it needs to catch up), gives up exactly after the no-progress bound
 * (longer while the capture is written) or when the shadow exited, and says
 * why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/pause_wait.h"
#include "session/session.h"

#include "tests/lib/check.h"

#define MS 1000000ull
#define S (1000 * MS)

static void test_bound(void)
{
	check(sc_pause_wait_stall_ns(500, 30) == 2 * S);   /* the 2 s floor */
	check(sc_pause_wait_stall_ns(1900, 30) == 2 * S);  /* 1900 + 68 ms */
	check(sc_pause_wait_stall_ns(5000, 30) == 5068 * MS); /* a shadow tick may take the hang timeout */
	check(sc_pause_wait_stall_ns(60000, 1) == 62 * S);
	check(sc_pause_wait_stall_ns(500, 0) == 2500 * MS);
}

static struct sc_pause_view running(uint32_t next_tick)
{
	return (struct sc_pause_view){.alive = true, .state = SC_SHADOW_RUNNING, .next_tick = next_tick};
}

static void test_catching_up_for_long(void)
{
	struct sc_pause_wait w;
	char why[200] = "";
	struct sc_pause_view v = running(100);
	uint64_t t0 = 1000 * S;
	sc_pause_wait_start(&w, 5000, t0 - MS, 2 * S, &v, t0);
	/* a tick every 1.9 s for a minute: slower than the bound's 2 s, never stalled */
	uint64_t now = t0;
	for (int i = 1; i <= 32; i++) {
		now += 1900 * MS;
		v.next_tick = 100 + (uint32_t)i;
		check(sc_pause_wait_check(&w, &v, now, why, sizeof(why)) == SC_PAUSE_WAIT_WAITING);
	}
	check(now - t0 > 60 * S); /* far past the old fixed 5 s */
	/* then it pauses: holding, writing its capture for 9 s, paused */
	v.paused_ns = now + 10 * MS;
	check(sc_pause_wait_check(&w, &v, now + 10 * MS, why, sizeof(why)) == SC_PAUSE_WAIT_WAITING);
	check(sc_pause_wait_check(&w, &v, now + 9010 * MS, why, sizeof(why)) == SC_PAUSE_WAIT_WAITING);
	v.state = SC_SHADOW_PAUSED;
	v.captures = 1;
	v.paused = true;
	check(sc_pause_wait_check(&w, &v, now + 9020 * MS, why, sizeof(why)) == SC_PAUSE_WAIT_PAUSED);
}

static void test_stalled(void)
{
	struct sc_pause_wait w;
	char why[200] = "";
	struct sc_pause_view v = running(300);
	uint64_t t0 = 50 * S;
	sc_pause_wait_start(&w, 340, t0, 2 * S, &v, t0);
	v.next_tick = 310;
	check(sc_pause_wait_check(&w, &v, t0 + 100 * MS, why, sizeof(why)) == SC_PAUSE_WAIT_WAITING);
	/* then nothing moves (SIGSTOP): waiting up to the bound, exactly */
	check(sc_pause_wait_check(&w, &v, t0 + 2100 * MS, why, sizeof(why)) == SC_PAUSE_WAIT_WAITING);
	check(why[0] == '\0');
	check(sc_pause_wait_check(&w, &v, t0 + 2100 * MS + 1, why, sizeof(why)) == SC_PAUSE_WAIT_GIVE_UP);
	check(strcmp(why, "the shadow made no progress toward tick 340 for 2.0 s (it is at tick 310)") == 0);
	/* an older pause (a developer's, before the incident) is not a capture in progress */
	v.paused_ns = t0 - S;
	sc_pause_wait_start(&w, 340, t0, 2 * S, &v, t0);
	check(sc_pause_wait_check(&w, &v, t0 + 2 * S + 1, why, sizeof(why)) == SC_PAUSE_WAIT_GIVE_UP);
}

static void test_capture_bound(void)
{
	struct sc_pause_wait w;
	char why[200] = "";
	struct sc_pause_view v = running(340);
	v.paused_ns = 7 * S;
	uint64_t t0 = 7 * S;
	sc_pause_wait_start(&w, 340, 6 * S, 2 * S, &v, t0);
	check(sc_pause_wait_check(&w, &v, t0 + SC_PAUSE_WAIT_CAPTURE_NS, why, sizeof(why)) == SC_PAUSE_WAIT_WAITING);
	check(sc_pause_wait_check(&w, &v, t0 + SC_PAUSE_WAIT_CAPTURE_NS + 1, why, sizeof(why)) == SC_PAUSE_WAIT_GIVE_UP);
	check(strcmp(why, "the shadow holds tick 339 but its capture is not written after 10.0 s") == 0);
}

static void test_exited(void)
{
	struct sc_pause_wait w;
	char why[200] = "";
	struct sc_pause_view v = running(12);
	sc_pause_wait_start(&w, 20, 0, 2 * S, &v, S);
	v.alive = false;
	check(sc_pause_wait_check(&w, &v, S + 1, why, sizeof(why)) == SC_PAUSE_WAIT_GIVE_UP);
	check(strcmp(why, "the shadow exited before it paused (it was at tick 12 of 20)") == 0);
}

int main(void)
{
	test_bound();
	test_catching_up_for_long();
	test_stalled();
	test_capture_bound();
	test_exited();
	printf("test_pause_wait: ok\n");
	return 0;
}
