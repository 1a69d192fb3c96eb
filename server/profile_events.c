/* GET /api/v1/events (server/profile_metrics.h): the last condition hits and
 * the primary's samples around a tick, from the encoder's history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/profile_metrics.h"

#define WINDOW_DEFAULT 30
#define WINDOW_MAX 300

static const char *const pass_names[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;

/* "around=T&before=N&after=M" or "last=N" (any order, all optional); false
 * on a bad or unknown key. */
static bool parse_query(const char *q, bool *have_around, uint32_t *around, uint32_t *before, uint32_t *after,
                        uint32_t *last, const char **why)
{
	*have_around = false;
	*last = 0;
	*before = *after = WINDOW_DEFAULT;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		if (!eq) {
			*why = "expected KEY=VALUE pairs: around, before, after";
			return false;
		}
		char *end;
		unsigned long v = strtoul(eq + 1, &end, 10);
		if (end != q + n || end == eq + 1 || v > UINT32_MAX) {
			*why = "values must be whole numbers";
			return false;
		}
		size_t k = (size_t)(eq - q);
		if (k == 6 && strncmp(q, "around", 6) == 0)
			*have_around = true, *around = (uint32_t)v;
		else if (k == 6 && strncmp(q, "before", 6) == 0)
			*before = (uint32_t)v;
		else if (k == 5 && strncmp(q, "after", 5) == 0)
			*after = (uint32_t)v;
		else if (k == 4 && strncmp(q, "last", 4) == 0)
			*last = (uint32_t)v;
		else {
			*why = "unknown query key: around, before, after, last";
			return false;
		}
		q = amp ? amp + 1 : NULL;
	}
	if (*before > WINDOW_MAX || *after > WINDOW_MAX || *last > WINDOW_MAX) {
		*why = "before, after and last are at most 300";
		return false;
	}
	if (*last && *have_around) {
		*why = "around or last, not both";
		return false;
	}
	return true;
}

static void sample_json(struct sc_prom_out *o, const struct sc_sample *s)
{
	sc_prom_put(o, "{\"tick\":%u,\"start_ns\":%llu,\"frame_ms\":%.3f,\"tick_ms\":%.3f,\"cpu_ms\":%.3f,\"gpu_ms\":%.3f,"
	               "\"passes_ms\":{", s->tick, (unsigned long long)s->tick_start_ns, s->frame_ns / 1e6,
	            s->wall_ns / 1e6, s->cpu_ns / 1e6, s->gpu_total_ns / 1e6);
	for (uint32_t i = 0; i < SC_SAMPLE_PASSES; i++)
		sc_prom_put(o, "%s\"%s\":%.3f", i ? "," : "", pass_names[i], s->gpu_pass_ns[i] / 1e6);
	sc_prom_put(o, "},\"input_depth\":%u,\"shadow_lag\":%u,\"score\":[%u,%u],\"players\":%u,\"particles\":%u,"
	               "\"inputs\":%u,\"gpu_start_host_ns\":%llu}", s->input_depth, s->shadow_lag, s->score0, s->score1,
	            s->players, s->particles, s->n_inputs, (unsigned long long)s->gpu_begin_host_ns);
}

size_t sc_profile_events_json(struct sc_profile *p, const char *query, char *buf, size_t len, unsigned *status)
{
	struct sc_prom_out o = {.buf = buf, .len = len};
	bool have_around;
	uint32_t around = 0, before, after, last;
	const char *why = NULL;
	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (!parse_query(query, &have_around, &around, &before, &after, &last, &why)) {
		*status = 400;
		sc_prom_put(&o, "{\"error\":\"%s\",\"status\":400}\n", why);
		return o.overflow ? 0 : o.used;
	}
	*status = 200;
	pthread_mutex_lock(&p->lock);
	sc_prom_put(&o, "{\"conditions\":[");
	for (uint32_t i = 0; i < p->n_conds; i++)
		sc_prom_put(&o, "%s{\"name\":\"%s\",\"condition\":\"%s\",\"hits\":%llu}", i ? "," : "", p->conds[i].name,
		            p->conds[i].text, (unsigned long long)atomic_load(&p->cond_hits[i]));
	sc_prom_put(&o, "],\"events\":[");
	uint64_t first = p->events_n > SC_PROFILE_EVENTS ? p->events_n - SC_PROFILE_EVENTS : 0;
	for (uint64_t n = first; n < p->events_n; n++) {
		const struct sc_profile_event *e = &p->events[n % SC_PROFILE_EVENTS];
		const struct sc_condition *c = &p->conds[e->condition];
		sc_prom_put(&o, "%s{\"id\":%llu,\"type\":\"condition\",\"condition\":\"%s\",\"tick\":%u,\"time_ns\":%llu,"
		                "\"value\":%g,\"threshold\":%g,\"capture\":%s}", n > first ? "," : "", (unsigned long long)e->id,
		            c->name, e->tick, (unsigned long long)e->time_ns, e->value, c->threshold,
		            c->capture ? "true" : "false");
	}
	sc_prom_put(&o, "]");
	if (have_around) {
		/* the history is in tick order (one primary; a restarted one goes on from its tick):
		 * the index of the first sample at or after `around` */
		uint64_t lo = p->history_n > SC_PROFILE_HISTORY ? p->history_n - SC_PROFILE_HISTORY : 0, at = p->history_n;
		for (uint64_t n = lo; p->history && n < p->history_n; n++)
			if (p->history[n % SC_PROFILE_HISTORY].tick >= around) {
				at = n;
				break;
			}
		uint64_t from = at - lo >= before ? at - before : lo;
		uint64_t to = at + after + 1 < p->history_n ? at + after + 1 : p->history_n;
		bool found = at < p->history_n && p->history[at % SC_PROFILE_HISTORY].tick == around;
		sc_prom_put(&o, ",\"around\":%u,\"found\":%s,\"before\":%u,\"after\":%u,\"complete\":%s,\"samples\":[",
		            around, found ? "true" : "false", before, after,
		            found && at - from == before && to - at == (uint64_t)after + 1 ? "true" : "false");
		for (uint64_t n = from; at < p->history_n && n < to; n++) {
			if (n > from)
				sc_prom_put(&o, ",");
			sample_json(&o, &p->history[n % SC_PROFILE_HISTORY]);
		}
		sc_prom_put(&o, "]");
	}
	if (last) {
		/* the newest samples, oldest first (the /debug plots) */
		uint64_t held = p->history_n < SC_PROFILE_HISTORY ? p->history_n : SC_PROFILE_HISTORY;
		uint64_t n = p->history ? (last < held ? last : held) : 0;
		sc_prom_put(&o, ",\"samples\":[");
		for (uint64_t i = p->history_n - n; i < p->history_n; i++) {
			if (i > p->history_n - n)
				sc_prom_put(&o, ",");
			sample_json(&o, &p->history[i % SC_PROFILE_HISTORY]);
		}
		sc_prom_put(&o, "]");
	}
	pthread_mutex_unlock(&p->lock);
	sc_prom_put(&o, "}\n");
	return o.overflow ? 0 : o.used;
}
