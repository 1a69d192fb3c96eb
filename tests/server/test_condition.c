/* Target conditions (server/condition.c) and their events
 * (server/profile_metrics.c, profile_events.c):
 *  - good lines parse (every metric, every operator, gpu_PASS_ms); bad ones
 *    are refused with the reason (no colon, bad name, unknown metric or pass,
 *    bad operator, no number, trailing text);
 *  - a condition fires exactly on the sample where it starts to hold, once
 *    per crossing: not again while it holds, again after it stopped holding;
 *  - the hit is counted on /metrics, kept as an event, and the events query
 *    returns the samples from N before to M after the tick asked for;
 *  - bad queries get 400. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/condition.h"
#include "server/profile_metrics.h"
#include "tests/lib/check.h"

static void test_parse(void)
{
	struct sc_condition c;
	check(sc_condition_parse("slow: frame_time_ms > 20", &c) == NULL);
	check(strcmp(c.name, "slow") == 0 && c.metric == SC_COND_FRAME_TIME_MS && c.op == SC_COND_GT &&
	      c.threshold == 20 && strcmp(c.text, "frame_time_ms > 20") == 0);
	check(sc_condition_parse("hot-part_1 : gpu_particles_ms>=1.5", &c) == NULL);
	check(c.metric == SC_COND_GPU_PASS_MS && c.pass == 2 && c.op == SC_COND_GE && c.threshold == 1.5);
	check(sc_condition_parse("x: gpu_seal_ms < 0.1", &c) == NULL && c.pass == 7 && c.op == SC_COND_LT);
	check(sc_condition_parse("x: input_depth <= 3", &c) == NULL && c.metric == SC_COND_INPUT_DEPTH &&
	      c.op == SC_COND_LE);
	check(sc_condition_parse("x: shadow_lag_ticks > 90", &c) == NULL && c.metric == SC_COND_SHADOW_LAG);
	check(sc_condition_parse("x: tick >= 90", &c) == NULL && c.metric == SC_COND_TICK);
	check(sc_condition_parse("x: goals > 0", &c) == NULL && c.metric == SC_COND_GOALS);
	check(sc_condition_parse("x: tick_cpu_ms > 1", &c) == NULL && c.metric == SC_COND_TICK_CPU_MS && !c.capture);
	check(sc_condition_parse("x: tick >= 90 capture", &c) == NULL && c.capture && strcmp(c.text, "tick >= 90") == 0);
	check(strstr(sc_condition_parse("x: tick >= 90 capture now", &c), "only 'capture'"));

	check(strstr(sc_condition_parse("frame_time_ms > 20", &c), "NAME: METRIC OP THRESHOLD"));
	check(strstr(sc_condition_parse("a b: tick > 1", &c), "name"));
	check(strstr(sc_condition_parse(": tick > 1", &c), "name"));
	check(strstr(sc_condition_parse("x: fps > 1", &c), "unknown metric"));
	check(strstr(sc_condition_parse("x: gpu_nosuch_ms > 1", &c), "unknown metric"));
	check(strstr(sc_condition_parse("x: tick = 1", &c), "operator"));
	check(strstr(sc_condition_parse("x: tick > fast", &c), "number"));
	check(strstr(sc_condition_parse("x: tick > 1 ms", &c), "after the threshold"));
	check(strstr(sc_condition_parse("x: tick > inf", &c), "number"));
	/* shadow.METRIC: the shadows' samples; never with capture */
	check(sc_condition_parse("x: tick_ms > 5", &c) == NULL && !c.shadow);
	check(sc_condition_parse("slow_shadow: shadow.tick_ms > 5", &c) == NULL && c.shadow &&
	      c.metric == SC_COND_TICK_MS && strcmp(c.text, "shadow.tick_ms > 5") == 0);
	check(strstr(sc_condition_parse("x: shadow.tick >= 9 capture", &c), "'capture' is for the primary"));
	check(strstr(sc_condition_parse("x: shadow.fps > 1", &c), "unknown metric"));
	check(strstr(sc_condition_parse("x: shadow. tick > 1", &c), "unknown metric"));
}


static struct sc_sample sample(uint32_t tick, uint32_t frame_ms)
{
	return (struct sc_sample){.tick = tick, .instance = SC_SAMPLE_PRIMARY, .flags = SC_SAMPLE_RENDERED,
	                          .tick_start_ns = 1000000ull * tick, .frame_ns = frame_ms * 1000000u};
}

static double value_of(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	return p ? atof(p + strlen(prefix)) : -1;
}

/* GET /api/v1/events as the debug API asks for it, into buf */
static size_t events_json(struct sc_profile *p, const char *query, char *buf, size_t len, unsigned *status)
{
	size_t n = 0;
	char *body = sc_profile_api_json(p, "events", query, &n, status);
	check(body && n < len);
	memcpy(buf, body, n + 1);
	free(body);
	return n;
}

static void test_fire_and_window(void)
{
	static struct sc_profile prof;
	struct sc_condition conds[2];
	check(sc_condition_parse("slow: frame_time_ms > 20", &conds[0]) == NULL);
	check(sc_condition_parse("late: tick >= 100", &conds[1]) == NULL);
	sc_profile_init(&prof, NULL, NULL);
	sc_profile_set_conditions(&prof, conds, 2);
	/* frame time: 16 ms, then 25 ms at ticks 50..52 (one crossing), 16 again, 30 at 80 (a second) */
	for (uint32_t t = 0; t < 120; t++) {
		uint32_t ms = (t >= 50 && t <= 52) || t == 80 ? (t == 80 ? 30 : 25) : 16;
		struct sc_sample s = sample(t, ms);
		sc_profile_add(&prof, &s);
	}
	check(atomic_load(&prof.cond_hits[0]) == 2);
	check(atomic_load(&prof.cond_hits[1]) == 1);
	check(prof.events.n == 3);
	const struct sc_event *ev = prof.events.ring;
	check(ev[0].tag == SC_EV_CONDITION && ev[0].tick == 50 && ev[0].u.condition.index == 0 &&
	      ev[0].u.condition.value == 25);
	check(ev[1].tick == 80 && ev[1].u.condition.value == 30);
	check(ev[2].tick == 100 && ev[2].u.condition.index == 1 && ev[2].u.condition.value == 100);

	char *buf = malloc(512 * 1024);
	check(buf);
	check(sc_profile_metrics_text(&prof, buf, 512 * 1024, false) > 0);
	check(value_of(buf, "shadowcast_condition_hits_total{condition=\"slow\"} ") == 2);
	check(value_of(buf, "shadowcast_condition_hits_total{condition=\"late\"} ") == 1);

	unsigned status = 0;
	check(events_json(&prof, "around=50&before=3&after=2", buf, 512 * 1024, &status) > 0);
	check(status == 200);
	check(strstr(buf, "{\"id\":1,\"tag\":\"condition\",\"type\":\"condition\",\"tick\":50,\"time_ns\":50000000,"
	                  "\"condition\":\"slow\",\"value\":25,"));
	check(strstr(buf, "{\"id\":3,\"tag\":\"condition\",\"type\":\"condition\",\"tick\":100,\"time_ns\":100000000,"
	                  "\"condition\":\"late\",\"value\":100,"));
	check(strstr(buf, "\"found\":true") && strstr(buf, "\"complete\":true"));
	const char *samples = strstr(buf, "\"samples\":[");
	check(samples);
	/* exactly ticks 47..52, in order */
	uint32_t want = 47, n = 0;
	for (const char *p = strstr(samples, "{\"tick\":"); p; p = strstr(p + 1, "{\"tick\":")) {
		check((uint32_t)atoi(p + 8) == want);
		want++;
		n++;
	}
	check(n == 6);
	check(strstr(buf, "\"frame_ms\":25.000"));
	/* at the end of the history: what there is, not complete */
	check(events_json(&prof, "around=118&after=5", buf, 512 * 1024, &status) > 0 && status == 200);
	check(strstr(buf, "\"complete\":false") && strstr(buf, "\"found\":true"));
	/* no query: the events only */
	check(events_json(&prof, NULL, buf, 512 * 1024, &status) > 0 && status == 200);
	check(!strstr(buf, "\"samples\"") && strstr(buf, "\"events\":["));
	/* the newest samples */
	check(events_json(&prof, "last=3", buf, 512 * 1024, &status) > 0 && status == 200);
	samples = strstr(buf, "\"samples\":[");
	check(samples && strstr(samples, "{\"tick\":117,") && strstr(samples, "{\"tick\":119,") &&
	      !strstr(samples, "{\"tick\":116,"));
	/* bad queries */
	check(events_json(&prof, "last=3&around=1", buf, 512 * 1024, &status) > 0 && status == 400);
	check(events_json(&prof, "around=x", buf, 512 * 1024, &status) > 0 && status == 400);
	check(events_json(&prof, "nosuch=1", buf, 512 * 1024, &status) > 0 && status == 400);
	check(events_json(&prof, "around=1&before=301", buf, 512 * 1024, &status) > 0 && status == 400);
	free(buf);
	sc_profile_finish(&prof);
}

/* A shadow condition fires on either shadow's samples, once per crossing of
 * each, never on the primary's; a primary condition never on a shadow's. */
static void test_shadow_conditions(void)
{
	static struct sc_profile prof;
	struct sc_condition conds[2];
	check(sc_condition_parse("shadow_late: shadow.tick >= 30", &conds[0]) == NULL);
	check(sc_condition_parse("late: tick >= 50", &conds[1]) == NULL);
	sc_profile_init(&prof, NULL, NULL);
	sc_profile_set_conditions(&prof, conds, 2);
	for (uint32_t t = 0; t < 60; t++) {
		struct sc_sample s = {.tick = t, .instance = SC_SAMPLE_PRIMARY, .tick_start_ns = 1000000ull * t};
		sc_profile_add(&prof, &s);
		if (t >= 20) { /* the shadow, 20 behind */
			s = (struct sc_sample){.tick = t - 20, .instance = SC_SAMPLE_SHADOW0, .tick_start_ns = 1000000ull * t};
			sc_profile_add(&prof, &s);
		}
		if (t == 45) { /* a second shadow slot from tick 40 on */
			for (uint32_t u = 40; u < 44; u++) {
				s = (struct sc_sample){.tick = u, .instance = SC_SAMPLE_SHADOW1, .tick_start_ns = 1000000ull * t};
				sc_profile_add(&prof, &s);
			}
		}
	}
	check(atomic_load(&prof.cond_hits[0]) == 2); /* shadow 0 at its tick 30, shadow 1 at its tick 40 */
	check(atomic_load(&prof.cond_hits[1]) == 1); /* the primary at 50, not the shadows */
	check(prof.events.n == 3);
	const struct sc_event *ev = prof.events.ring;
	check(ev[0].tick == 40 && ev[0].u.condition.index == 0 && ev[0].u.condition.instance == SC_SAMPLE_SHADOW1);
	/* at loop step 50 the primary's tick 50 comes before shadow 0's tick 30 */
	check(ev[1].tick == 50 && ev[1].u.condition.index == 1 && ev[1].u.condition.instance == SC_SAMPLE_PRIMARY);
	check(ev[2].tick == 30 && ev[2].u.condition.index == 0 && ev[2].u.condition.instance == SC_SAMPLE_SHADOW0);
	unsigned status = 0;
	char *buf = malloc(256 * 1024);
	check(buf && events_json(&prof, "tag=condition", buf, 256 * 1024, &status) > 0 && status == 200);
	check(strstr(buf, "\"condition\":\"shadow_late\",\"value\":30,\"threshold\":30,\"capture\":false,"
	                  "\"role\":\"shadow\",\"instance\":1"));
	check(strstr(buf, "\"condition\":\"late\",\"value\":50,\"threshold\":50,\"capture\":false,"
	                  "\"role\":\"primary\",\"instance\":0"));
	free(buf);
	sc_profile_finish(&prof);
}

int main(void)
{
	test_parse();
	test_fire_and_window();
	test_shadow_conditions();
	printf("conditions: ok\n");
	return 0;
}
