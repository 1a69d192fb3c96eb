/* The event track, the sample stores and /metrics for scrapers (issue 11,
 * issue 12 "sample and event retention"):
 *  - every kind of event is recorded with its fields and listed by
 *    GET /api/v1/events, filtered by ?tag=, ?since=, ?limit=;
 *  - inputs are counted into one event per tick;
 *  - /api/v1/events/ID returns N samples before and M after any event (a
 *    join between two ticks, a tick a restored primary ran twice: the run
 *    nearest the event in time, a tick not sampled: the next one held), the
 *    shadow's samples with role=shadow; an event no longer held is 404;
 *  - retention: with --event-retention 16 and 1000 events, the 16 newest are
 *    held, 984 counted as dropped, the track's memory is 16 records before
 *    and after; with --sample-retention 64 the samples API holds the 64
 *    newest of each instance and the stores' bytes never change;
 *  - /api/v1/samples: role, slot, from, limit, next_from, bad queries 400;
 *  - /metrics: exemplars naming the tick on the frame-time and latency
 *    histograms only when OpenMetrics is asked for; the rewrite puts the
 *    session label first on every sample, names counter families without
 *    _total, ends with # EOF; the Accept header decides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_event.h"
#include "net/ws/ws_prom.h"
#include "server/condition.h"
#include "server/profile_metrics.h"
#include "tests/lib/check.h"

static char *api(struct sc_profile *p, const char *what, const char *query, unsigned want_status)
{
	size_t n = 0;
	unsigned status = 0;
	char *body = sc_profile_api_json(p, what, query, &n, &status);
	check(body != NULL);
	if (status != want_status)
		fprintf(stderr, "%s?%s: status %u, wanted %u: %s\n", what, query ? query : "", status, want_status, body);
	check(status == want_status);
	check(strlen(body) == n);
	return body;
}

static struct sc_sample sample(uint32_t inst, uint32_t tick, uint64_t start_ns)
{
	return (struct sc_sample){.tick = tick, .instance = inst, .flags = SC_SAMPLE_RENDERED, .tick_start_ns = start_ns,
	                          .frame_ns = 16000000, .wall_ns = 2000000, .sample_every = 1};
}

/* the ticks of the "samples" array, in order; returns how many */
static int ticks_of(const char *body, uint32_t *out, int max)
{
	const char *s = strstr(body, "\"samples\":[");
	int n = 0;
	for (const char *p = s ? strstr(s, "{\"tick\":") : NULL; p && n < max; p = strstr(p + 1, "{\"tick\":"))
		out[n++] = (uint32_t)atoi(p + 8);
	return n;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_every_kind(void)
{
	static struct sc_profile prof;
	static struct sc_condition cond;
	check(sc_condition_parse("late: tick >= 100 capture", &cond) == NULL);
	sc_profile_init(&prof, NULL, NULL);
	sc_profile_set_conditions(&prof, &cond, 1);
	struct sc_event_track *t = &prof.events;
	/* the primary's samples of ticks 0..199, 10 ms apart from 1 s */
	for (uint32_t k = 0; k < 200; k++) {
		struct sc_sample s = sample(SC_SAMPLE_PRIMARY, k, 1000000000ull + k * 10000000ull);
		sc_profile_add(&prof, &s);
		if (k == 50) {
			/* a player joins 3 ms into tick 50; inputs of ticks 50 and 51 */
			struct sc_event e = {.tag = SC_EV_JOIN, .time_ns = 1000000000ull + 50 * 10000000ull + 3000000,
			                     .tick = 50, .u.join = {.player = 1, .client = 7}};
			check(sc_event_record(t, &e) == 1);
			sc_event_inputs(t, 51, 1, 1u << SC_INPUT_MOVE, 1);
			sc_event_inputs(t, 51, 0, 1u << SC_INPUT_SHOOT | 1u << SC_INPUT_MOVE, 2);
			check(t->n == 1); /* tick 51 is still being counted */
			sc_event_inputs_flush(t, 51);
			check(t->n == 1);
			sc_event_inputs(t, 52, 0, 1u << SC_INPUT_BLOCK, 1); /* another tick: 51's event is recorded */
			check(t->n == 2);
			sc_event_inputs_flush(t, 53);
			check(t->n == 3);
		}
	}
	struct sc_event evs[] = {
		{.tag = SC_EV_LEAVE, .tick = 120, .u.join = {.player = -1, .client = 8, .disconnected = 1}},
		{.tag = SC_EV_INJECT, .tick = 130, .u.inject = {.kind = SC_FAULT_ASSERT, .seq = 99}},
		{.tag = SC_EV_INCIDENT, .tick = 130, .u.incident = {.incident = 1, .detected = 1, .injected = SC_FAULT_ASSERT,
		                                                     .detected_tick = 131}},
		{.tag = SC_EV_PAUSE, .tick = 190, .u.pause = {.slot = 0, .held_tick = 129, .incident = 1}},
		{.tag = SC_EV_DELAY, .tick = 191, .u.delay = {.slot = 0, .ticks = 90, .previous = 60}},
		{.tag = SC_EV_RESUME, .tick = 192, .u.pause = {.slot = 0, .held_tick = 129}},
		{.tag = SC_EV_RESTORE, .tick = 129, .u.restore = {.base_tick = 129, .pid = 4242}},
		{.tag = SC_EV_RESTART, .tick = 0, .u.restore = {.base_tick = 0, .pid = 4343}},
		{.tag = SC_EV_CAPTURE, .tick = 100, .u.capture = {.index = 0}},
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		evs[i].time_ns = 1000000000ull + evs[i].tick * 10000000ull, sc_event_record(t, &evs[i]);
	/* ids: 1 join, 2 input 51, 3 input 52, 4 condition (tick 100), 5.. the list above */
	char *b = api(&prof, "events", NULL, 200);
	check(strstr(b, "{\"id\":1,\"tag\":\"join\",\"type\":\"join\",\"tick\":50,\"time_ns\":1503000000,\"player\":1,"
	                "\"role\":\"player\",\"client\":7}"));
	check(strstr(b, "{\"id\":2,\"tag\":\"input\",\"type\":\"input\",\"tick\":51,"));
	check(strstr(b, "\"inputs\":3,\"players\":[0,1],\"actions\":[\"move\",\"shoot\"]}"));
	check(strstr(b, "{\"id\":3,\"tag\":\"input\",\"type\":\"input\",\"tick\":52,"));
	check(strstr(b, "\"inputs\":1,\"players\":[0],\"actions\":[\"block\"]}"));
	check(strstr(b, "{\"id\":4,\"tag\":\"condition\",\"type\":\"condition\",\"tick\":100,\"time_ns\":2000000000,"
	                "\"condition\":\"late\",\"value\":100,\"threshold\":100,\"capture\":true,\"role\":\"primary\",\"instance\":0}"));
	check(strstr(b, "\"tag\":\"leave\",\"type\":\"leave\",\"tick\":120,\"time_ns\":2200000000,\"player\":null,"
	                "\"role\":\"spectator\",\"client\":8,\"disconnected\":true}"));
	check(strstr(b, "\"tag\":\"inject\",\"type\":\"inject\",\"tick\":130,\"time_ns\":2300000000,\"kind\":\"assert\","
	                "\"seq\":99}"));
	check(strstr(b, "\"tag\":\"incident\",\"type\":\"incident\",\"tick\":130,\"time_ns\":2300000000,\"incident\":1,"
	                "\"detected\":"));
	check(strstr(b, "\"injected\":\"assert\",\"error_tick\":130,\"detected_tick\":131}"));
	check(strstr(b, "\"tag\":\"pause\",\"type\":\"pause\",\"tick\":190,\"time_ns\":2900000000,\"slot\":0,"
	                "\"held_tick\":129,\"incident\":1}"));
	check(strstr(b, "\"tag\":\"delay\",\"type\":\"delay\",\"tick\":191,\"time_ns\":2910000000,\"slot\":0,\"ticks\":90,"
	                "\"previous\":60}"));
	check(strstr(b, "\"tag\":\"resume\",\"type\":\"resume\",\"tick\":192,\"time_ns\":2920000000,\"slot\":0,"
	                "\"held_tick\":129,\"incident\":null}"));
	check(strstr(b, "\"tag\":\"restore\",\"type\":\"restore\",\"tick\":129,\"time_ns\":2290000000,\"base_tick\":129,"
	                "\"pid\":4242}"));
	check(strstr(b, "\"tag\":\"restart\",\"type\":\"restart\",\"tick\":0,\"time_ns\":1000000000,\"base_tick\":0,"
	                "\"pid\":4343}"));
	check(strstr(b, "\"tag\":\"capture\",\"type\":\"capture\",\"tick\":100,\"time_ns\":2000000000,"
	                "\"condition\":\"late\"}"));
	check(strstr(b, "\"retention\":4096,\"recorded\":13,\"dropped\":0,\"oldest_id\":1,\"newest_id\":13,"));
	check(count(b, "{\"id\":") == 13);
	free(b);

	/* ?tag= */
	b = api(&prof, "events", "tag=pause,resume", 200);
	check(count(b, "{\"id\":") == 2 && strstr(b, "\"tag\":\"pause\"") && strstr(b, "\"tag\":\"resume\""));
	free(b);
	b = api(&prof, "events", "tag=input&limit=1", 200);
	check(count(b, "{\"id\":") == 1 && strstr(b, "{\"id\":3,\"tag\":\"input\""));
	free(b);
	b = api(&prof, "events", "since=11", 200);
	check(count(b, "{\"id\":") == 2 && strstr(b, "{\"id\":12,") && strstr(b, "{\"id\":13,"));
	free(b);
	free(api(&prof, "events", "tag=nosuch", 400));
	free(api(&prof, "events", "tag=", 400));
	free(api(&prof, "events", "limit=0", 400));

	/* the samples around each kind: the join (3 ms into tick 50) */
	b = api(&prof, "events/1", "before=2&after=3", 200);
	uint32_t ticks[400];
	int n = ticks_of(b, ticks, 400);
	check(n == 6 && ticks[0] == 48 && ticks[5] == 53);
	check(strstr(b, "\"found\":true,\"anchor_tick\":50,\"before\":2,\"after\":3,\"complete\":true"));
	check(strstr(b, "{\"event\":{\"id\":1,\"tag\":\"join\""));
	free(b);
	/* the incident: around its error tick */
	b = api(&prof, "events/7", "before=1&after=1", 200);
	n = ticks_of(b, ticks, 400);
	check(n == 3 && ticks[0] == 129 && ticks[1] == 130 && ticks[2] == 131);
	free(b);
	/* the window is cut at the newest sample: not complete */
	b = api(&prof, "events/10", "before=2&after=30", 200);
	check(strstr(b, "\"found\":true,\"anchor_tick\":192,") && strstr(b, "\"complete\":false"));
	n = ticks_of(b, ticks, 400);
	check(n == 10 && ticks[0] == 190 && ticks[9] == 199);
	free(b);

	/* a restored primary runs ticks 129.. again, 1 s later: the restore's own
	 * event (time of the second run) anchors on the second run of tick 129,
	 * the incident (time of the first) on the first */
	for (uint32_t k = 129; k < 140; k++) {
		struct sc_sample s = sample(SC_SAMPLE_PRIMARY, k, 3000000000ull + (k - 129) * 10000000ull);
		sc_profile_add(&prof, &s);
	}
	struct sc_event again = {.tag = SC_EV_RESTORE, .time_ns = 3000000000ull, .tick = 129,
	                         .u.restore = {.base_tick = 129, .pid = 5}};
	uint64_t id = sc_event_record(t, &again);
	char path[32];
	snprintf(path, sizeof(path), "events/%llu", (unsigned long long)id);
	b = api(&prof, path, "before=0&after=2", 200);
	check(strstr(b, "\"start_ns\":3000000000,") && strstr(b, "\"start_ns\":3020000000,") &&
	      !strstr(b, "\"start_ns\":2290000000,"));
	free(b);
	b = api(&prof, "events/7", "before=0&after=0", 200);
	check(strstr(b, "\"tick\":130,\"instance\":0,\"role\":\"primary\",\"start_ns\":2300000000,"));
	free(b);
	/* the shadow's samples of the event's tick: role=shadow */
	for (uint32_t k = 40; k < 60; k++) {
		struct sc_sample s = sample(SC_SAMPLE_SHADOW0, k, 5000000000ull + k * 10000000ull);
		sc_profile_add(&prof, &s);
	}
	b = api(&prof, "events/1", "before=1&after=1&role=shadow", 200);
	n = ticks_of(b, ticks, 400);
	check(n == 3 && ticks[0] == 49 && ticks[2] == 51 && strstr(b, "\"role\":\"shadow\",\"instance\":1,"));
	free(b);
	/* sampled every 10th tick: a tick not held anchors on the next held one */
	struct sc_profile *q = calloc(1, sizeof(*q));
	check(q);
	sc_profile_init(q, NULL, NULL);
	for (uint32_t k = 0; k < 100; k += 10) {
		struct sc_sample s = sample(SC_SAMPLE_PRIMARY, k, 1000000000ull + k * 10000000ull);
		sc_profile_add(q, &s);
	}
	struct sc_event j = {.tag = SC_EV_JOIN, .time_ns = 1000000000ull + 55 * 10000000ull, .tick = 55,
	                     .u.join = {.player = 0}};
	sc_event_record(&q->events, &j);
	b = api(q, "events/1", "before=1&after=1", 200);
	n = ticks_of(b, ticks, 400);
	check(n == 3 && ticks[0] == 50 && ticks[1] == 60 && ticks[2] == 70);
	check(strstr(b, "\"found\":false,\"anchor_tick\":60,") && strstr(b, "\"complete\":false"));
	free(b);
	sc_profile_finish(q);
	free(q);

	/* bad: unknown id, not a number, a key events/ID does not take */
	free(api(&prof, "events/999", NULL, 404));
	free(api(&prof, "events/x", NULL, 400));
	free(api(&prof, "events/1", "tag=join", 400));
	free(api(&prof, "events/1", "before=301", 400));
	sc_profile_finish(&prof);
}

static void test_retention(void)
{
	static struct sc_profile prof;
	sc_profile_init(&prof, NULL, NULL);
	check(sc_profile_set_retention(&prof, 64, 16));
	size_t bytes = sc_profile_store_bytes(&prof);
	check(bytes == 3 * 64 * sizeof(struct sc_sample) + 16 * sizeof(struct sc_event));
	for (uint32_t k = 0; k < 1000; k++) {
		struct sc_event e = {.tag = SC_EV_JOIN, .tick = k, .u.join = {.player = 0, .client = k}};
		check(sc_event_record(&prof.events, &e) == k + 1);
		struct sc_sample s = sample(SC_SAMPLE_PRIMARY, k, 1000000ull * (k + 1));
		sc_profile_add(&prof, &s);
		s = sample(SC_SAMPLE_SHADOW1, k, 1000000ull * (k + 1));
		sc_profile_add(&prof, &s);
	}
	/* memory: what it was, the limit */
	check(sc_profile_store_bytes(&prof) == bytes);
	check(prof.events.retention == 16 && prof.sample_retention == 64);
	check(atomic_load(&prof.events.dropped) == 984);
	char *b = api(&prof, "events", NULL, 200);
	check(strstr(b, "\"retention\":16,\"recorded\":1000,\"dropped\":984,\"oldest_id\":985,\"newest_id\":1000,"));
	check(count(b, "{\"id\":") == 16 && strstr(b, "{\"id\":985,") && !strstr(b, "{\"id\":984,"));
	free(b);
	free(api(&prof, "events/984", NULL, 404)); /* dropped, oldest first */
	free(api(&prof, "events/985", NULL, 200));
	b = api(&prof, "samples", "from=0&limit=1000", 200);
	uint32_t ticks[1000];
	int n = ticks_of(b, ticks, 1000);
	check(n == 64 && ticks[0] == 936 && ticks[63] == 999);
	check(strstr(b, "\"retention\":64,\"taken\":1000,\"held\":64,\"oldest_tick\":936,\"newest_tick\":999,"));
	free(b);
	char *text = malloc(512 * 1024);
	check(text && sc_profile_metrics_text(&prof, text, 512 * 1024, false) > 0);
	check(strstr(text, "shadowcast_events_dropped_total 984\n"));
	check(strstr(text, "shadowcast_events_total{tag=\"join\"} 1000\n"));
	check(strstr(text, "shadowcast_event_retention 16\n") && strstr(text, "shadowcast_sample_retention 64\n"));
	char line[128];
	snprintf(line, sizeof(line), "shadowcast_profile_store_bytes %zu\n", bytes);
	check(strstr(text, line));
	free(text);
	/* out of range: clamped to the limits */
	check(sc_profile_set_retention(&prof, 1, 1));
	check(prof.sample_retention == SC_SAMPLE_RETENTION_MIN && prof.events.retention == SC_EVENT_RETENTION_MIN);
	sc_profile_finish(&prof);
}

static void test_samples_api(void)
{
	static struct sc_profile prof;
	sc_profile_init(&prof, NULL, NULL);
	for (uint32_t k = 0; k < 300; k++) {
		struct sc_sample s = sample(SC_SAMPLE_PRIMARY, k, 1000000000ull + k * 1000000ull);
		s.gpu_pass_ns[2] = 1500000;
		s.score0 = 2;
		s.particles = 2000;
		s.n_inputs = k % 3;
		s.flags |= SC_SAMPLE_GPU_CALIBRATED;
		s.gpu_begin_host_ns = 77;
		if (k == 251) { /* the game's metadata from tick 251 on (a quote escaped) */
			struct sc_sample_meta m = {.tick = 251, .instance = SC_SAMPLE_PRIMARY, .key_len = 5, .value_len = 9};
			memcpy(m.key, "score", 5);
			memcpy(m.value, "2:0 \"ok\"", 9);
			sc_profile_meta(&prof, &m);
			sc_profile_meta(&prof, &m); /* the writer's repeat: no new version */
			check(prof.meta_changes == 1 && prof.meta[0]->version == 1);
		}
		sc_profile_add(&prof, &s);
		/* shadow slot 0 stopped at tick 99; slot 1 runs behind, 60 ticks back */
		if (k < 100) {
			s = sample(SC_SAMPLE_SHADOW0, k, 2000000000ull + k * 1000000ull);
			sc_profile_add(&prof, &s);
		} else if (k >= 160) {
			s = sample(SC_SAMPLE_SHADOW1, k - 60, 3000000000ull + k * 1000000ull);
			s.flags = 0;
			sc_profile_add(&prof, &s);
		}
	}
	char *b = api(&prof, "samples", "role=primary&from=250&limit=3", 200);
	uint32_t ticks[1000];
	int n = ticks_of(b, ticks, 1000);
	check(n == 3 && ticks[0] == 250 && ticks[2] == 252);
	check(strstr(b, "\"next_from\":253}"));
	check(strstr(b, "{\"role\":\"primary\",\"instance\":0,\"slot\":null,\"retention\":3600,\"taken\":300,\"held\":300,"
	                "\"oldest_tick\":0,\"newest_tick\":299,\"from\":250,\"limit\":3,\"samples\":["));
	/* every field of the sample */
	check(strstr(b, "{\"tick\":250,\"instance\":0,\"role\":\"primary\",\"start_ns\":1250000000,\"frame_ms\":16.000,"
	                "\"tick_ms\":2.000,\"cpu_ms\":0.000,\"gpu_ms\":0.000,\"passes_ms\":{\"tick_logic\":0.000,"
	                "\"spin\":0.000,\"particles\":1.500,"));
	check(strstr(b, "\"input_depth\":0,\"shadow_lag\":0,\"score\":[2,0],\"players\":0,\"particles\":2000,"
	                "\"inputs\":1,\"sample_every\":1,\"rendered\":true,\"gpu_calibrated\":true,\"gpu_start_host_ns\":77,"
	                "\"meta\":{}}"));
	/* the metadata set at tick 251 on the samples of 251 and after, not before */
	const char *at251 = strstr(b, "{\"tick\":251,");
	check(at251 && strstr(at251, "\"meta\":{\"score\":\"2:0 \\\"ok\\\"\"}}"));
	check(strstr(b, "{\"tick\":252,") && strstr(strstr(b, "{\"tick\":252,"), "\"meta\":{\"score\""));
	free(b);
	b = api(&prof, "samples", "from=298", 200);
	n = ticks_of(b, ticks, 1000);
	check(n == 2 && strstr(b, "\"next_from\":null}"));
	free(b);
	/* the default: the oldest held, 100 */
	b = api(&prof, "samples", NULL, 200);
	n = ticks_of(b, ticks, 1000);
	check(n == 100 && ticks[0] == 0 && ticks[99] == 99 && strstr(b, "\"next_from\":100}"));
	free(b);
	/* role=shadow: the one sampled last (slot 1), or the slot asked for */
	b = api(&prof, "samples", "role=shadow&from=200", 200);
	n = ticks_of(b, ticks, 1000);
	check(n == 40 && ticks[0] == 200 && ticks[39] == 239 && strstr(b, "\"role\":\"shadow\",\"instance\":2,\"slot\":1,"));
	check(strstr(b, "\"rendered\":false"));
	free(b);
	b = api(&prof, "samples", "role=shadow&slot=0&from=95", 200);
	n = ticks_of(b, ticks, 1000);
	check(n == 5 && ticks[0] == 95 && ticks[4] == 99 && strstr(b, "\"instance\":1,\"slot\":0,"));
	free(b);
	free(api(&prof, "samples", "role=both", 400));
	free(api(&prof, "samples", "limit=1001", 400));
	free(api(&prof, "samples", "limit=0", 400));
	free(api(&prof, "samples", "from=-1", 400));
	free(api(&prof, "samples", "slot=0", 400));
	free(api(&prof, "samples", "role=shadow&slot=2", 400));
	free(api(&prof, "samples", "around=1", 400));
	sc_profile_finish(&prof);
}

static void test_openmetrics(void)
{
	static struct sc_profile prof;
	sc_profile_init(&prof, NULL, NULL);
	struct sc_sample s = sample(SC_SAMPLE_PRIMARY, 4321, 1000000);
	s.frame_ns = 40000001; /* in le=0.066: the exemplar 0.040001 */
	sc_profile_add(&prof, &s);
	sc_profile_frame_latency(&prof, 25000000, 4321);
	char *text = malloc(512 * 1024);
	check(text);
	size_t n = sc_profile_metrics_text(&prof, text, 512 * 1024, false);
	check(n > 0 && !strstr(text, " # {"));
	n = sc_profile_metrics_text(&prof, text, 512 * 1024, true);
	check(strstr(text, "shadowcast_frame_time_seconds_bucket{le=\"0.066\"} 1 # {tick=\"4321\"} 0.040001\n"));
	check(strstr(text, "shadowcast_frame_time_seconds_bucket{le=\"0.033\"} 0\n"));
	check(strstr(text, "shadowcast_frame_latency_seconds_bucket{le=\"0.033\"} 1 # {tick=\"4321\"} 0.025000\n"));

	size_t cap = sc_prom_rewrite_bound(text, n, "lab\"1");
	char *om = malloc(cap);
	check(om);
	size_t m = sc_prom_rewrite(text, n, "lab\"1", true, om, cap);
	check(m > 0 && m == strlen(om));
	check(m >= 6 && strcmp(om + m - 6, "# EOF\n") == 0);
	check(strstr(om, "shadowcast_frame_time_seconds_bucket{session=\"lab\\\"1\",le=\"0.066\"} 1 # {tick=\"4321\"} "
	                 "0.040001\n"));
	check(strstr(om, "# TYPE shadowcast_samples_bad counter\nshadowcast_samples_bad_total{session=\"lab\\\"1\"} 0\n"));
	check(strstr(om, "# HELP shadowcast_samples_bad Sample ring records refused as corrupt.\n"));
	check(strstr(om, "shadowcast_samples_read_total{session=\"lab\\\"1\",instance_role=\"primary\"} 1\n"));
	check(!strstr(om, "# TYPE shadowcast_samples_bad_total"));
	/* every sample line starts NAME{session=... ; nothing but HELP, TYPE and EOF comments; no blank line */
	for (const char *l = om; *l; l = strchr(l, '\n') + 1) {
		check(*l != '\n');
		if (*l == '#')
			check(strncmp(l, "# HELP ", 7) == 0 || strncmp(l, "# TYPE ", 7) == 0 || strcmp(l, "# EOF\n") == 0);
		else {
			const char *brace = strchr(l, '{');
			check(brace && brace < strchr(l, ' ') && strncmp(brace, "{session=\"lab\\\"1\"", 17) == 0);
		}
	}
	/* 0.0.4: labels added, no EOF, no exemplar (none in its input) */
	n = sc_profile_metrics_text(&prof, text, 512 * 1024, false);
	m = sc_prom_rewrite(text, n, "a:1", false, om, sc_prom_rewrite_bound(text, n, "a:1"));
	check(m > 0 && !strstr(om, "# EOF") && strstr(om, "# TYPE shadowcast_samples_bad_total counter\n"));
	check(strstr(om, "shadowcast_samples_bad_total{session=\"a:1\"} 0\n"));
	check(strstr(om, "shadowcast_frame_time_seconds_bucket{session=\"a:1\",le=\"0.066\"} 1\n"));
	/* too small an output: 0, not a cut text */
	check(sc_prom_rewrite(text, n, "a:1", false, om, 100) == 0);
	/* no session: unchanged */
	m = sc_prom_rewrite(text, n, NULL, false, om, sc_prom_rewrite_bound(text, n, NULL));
	check(m == n && memcmp(om, text, n) == 0);
	free(om);
	free(text);
	sc_profile_finish(&prof);

	/* Accept */
	check(sc_prom_wants_openmetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
	                                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
	check(sc_prom_wants_openmetrics("application/openmetrics-text"));
	check(!sc_prom_wants_openmetrics(NULL));
	check(!sc_prom_wants_openmetrics(""));
	check(!sc_prom_wants_openmetrics("*/*"));
	check(!sc_prom_wants_openmetrics("text/plain;version=0.0.4"));
	check(!sc_prom_wants_openmetrics("text/plain, application/openmetrics-text;q=0.5"));
	check(!sc_prom_wants_openmetrics("application/openmetrics-text;q=0"));
}

/* A successor adopting a track with a bad slot counts it lost once: a
 * second adoption (another restart before that slot left the retention)
 * does not count it again. */
static void test_adopt_counts_once(void)
{
	static _Alignas(64) unsigned char mem[sizeof(struct sc_event_track_shm) + 16 * sizeof(struct sc_event)];
	check(sc_event_track_format(mem, sizeof(mem), 16));
	struct sc_event_track t;
	uint32_t adopted, lost;
	check(sc_event_track_adopt(&t, mem, sizeof(mem), &adopted, &lost) && adopted == 0 && lost == 0);
	for (uint32_t i = 0; i < 20; i++) {
		struct sc_event e = {.tag = SC_EV_JOIN, .tick = i};
		sc_event_record(&t, &e);
	}
	sc_event_track_finish(&t);
	struct sc_event_track_shm *h = (void *)mem;
	check(h->n == 20 && h->dropped == 4);
	h->ring[(10 - 1) % 16].id = 0; /* event 10's slot torn: 5..10 go */
	check(sc_event_track_adopt(&t, mem, sizeof(mem), &adopted, &lost));
	check(adopted == 10 && lost == 6 && h->dropped == 10);
	sc_event_track_finish(&t);
	check(sc_event_track_adopt(&t, mem, sizeof(mem), &adopted, &lost));
	if (adopted != 10 || lost != 0 || h->dropped != 10)
		fprintf(stderr, "second adoption: adopted %u lost %u dropped %llu\n", adopted, lost,
		        (unsigned long long)h->dropped);
	check(adopted == 10 && lost == 0 && h->dropped == 10);
	/* and recording goes on: event 21 pushes 5 out, which was counted already */
	struct sc_event e = {.tag = SC_EV_JOIN, .tick = 20};
	check(sc_event_record(&t, &e) == 21);
	check(atomic_load(&t.dropped) == 10 && h->dropped == 10);
	sc_event_track_finish(&t);
	/* its writer killed before it stored the header's n: the successor
	 * completes event 21, and does not count 5 again */
	h->n = 20;
	check(sc_event_track_adopt(&t, mem, sizeof(mem), &adopted, &lost));
	check(t.n == 21 && lost == 0);
	if (h->dropped != 10)
		fprintf(stderr, "completed record: dropped %llu\n", (unsigned long long)h->dropped);
	check(h->dropped == 10);
	sc_event_track_finish(&t);
}

int main(void)
{
	test_adopt_counts_once();
	test_every_kind();
	test_retention();
	test_samples_api();
	test_openmetrics();
	printf("event track: ok\n");
	return 0;
}
