/* The profiling part of the debug API (server/profile_metrics.h): GET
 * /api/v1/events (the event track, filtered by tag; the primary's samples
 * around a tick or the newest ones), GET /api/v1/events/ID (one event and
 * the samples before and after it) and GET /api/v1/samples (an instance's
 * samples from a tick on). docs/protocol.md, "Debug API". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_event.h"
#include "server/profile_metrics.h"
#include "session/session.h"
#include "util/json_escape.h"

#define WINDOW_DEFAULT 30
#define WINDOW_MAX 300
#define EVENTS_LIMIT_DEFAULT 1000
#define SAMPLES_LIMIT_DEFAULT 100
#define SAMPLES_LIMIT_MAX 1000
#define ANSWER_MAX (64u << 20)

static const char *const pass_names[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;
static const char *const instance_roles[SC_SAMPLE_INSTANCES] = {"primary", "shadow", "shadow"};

/* --- the query ------------------------------------------------------------------ */

enum {
	Q_AROUND, Q_BEFORE, Q_AFTER, Q_LAST, Q_TAG, Q_LIMIT, Q_SINCE, Q_ROLE, Q_SLOT, Q_FROM, Q_KEYS
};
static const char *const q_names[Q_KEYS] = {"around", "before", "after", "last", "tag", "limit",
                                            "since", "role", "slot", "from"};

struct query {
	bool have[Q_KEYS];
	uint64_t num[Q_KEYS];
	uint32_t tags;    /* tag= */
	int role;         /* role=: 0 primary, 1 shadow */
};

/* KEY=VALUE pairs of the keys in `allowed` (a mask); false + why. */
static bool parse_query(const char *q, uint32_t allowed, struct query *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		if (!eq) {
			snprintf(why, whylen, "expected KEY=VALUE pairs");
			return false;
		}
		size_t k = (size_t)(eq - q), vlen = n - k - 1;
		const char *v = eq + 1;
		int key = -1;
		for (int i = 0; i < Q_KEYS; i++)
			if ((allowed & 1u << i) && strlen(q_names[i]) == k && strncmp(q, q_names[i], k) == 0)
				key = i;
		if (key < 0) {
			int w = snprintf(why, whylen, "unknown query key '%.*s': this endpoint takes", (int)(k < 32 ? k : 32), q);
			for (int i = 0; i < Q_KEYS && w > 0 && (size_t)w < whylen; i++)
				if (allowed & 1u << i)
					w += snprintf(why + w, whylen - (size_t)w, " %s", q_names[i]);
			return false;
		}
		if (key == Q_TAG) {
			if (!sc_event_tags_parse(v, vlen, &out->tags)) {
				snprintf(why, whylen, "tag: a comma-separated list of input, join, leave, incident, inject, "
				                      "condition, delay, pause, resume, restore, restart, capture");
				return false;
			}
		} else if (key == Q_ROLE) {
			if (vlen == 7 && strncmp(v, "primary", 7) == 0)
				out->role = 0;
			else if (vlen == 6 && strncmp(v, "shadow", 6) == 0)
				out->role = 1;
			else {
				snprintf(why, whylen, "role must be primary or shadow");
				return false;
			}
		} else {
			char *end;
			unsigned long long x = strtoull(v, &end, 10);
			if (vlen == 0 || end != v + vlen || v[0] == '-' || x > UINT32_MAX * 4096ull) {
				snprintf(why, whylen, "%s must be a whole number", q_names[key]);
				return false;
			}
			out->num[key] = x;
		}
		out->have[key] = true;
		q = amp ? amp + 1 : NULL;
	}
	return true;
}

/* --- JSON pieces ---------------------------------------------------------------- */

void sc_profile_sample_json(struct sc_prom_out *o, const struct sc_sample *s, const char *meta)
{
	sc_prom_put(o, "{\"tick\":%u,\"instance\":%u,\"role\":\"%s\",\"start_ns\":%llu,\"frame_ms\":%.3f,\"tick_ms\":%.3f,"
	               "\"cpu_ms\":%.3f,\"gpu_ms\":%.3f,\"passes_ms\":{", s->tick, s->instance,
	            s->instance < SC_SAMPLE_INSTANCES ? instance_roles[s->instance] : "unknown",
	            (unsigned long long)s->tick_start_ns, s->frame_ns / 1e6, s->wall_ns / 1e6, s->cpu_ns / 1e6,
	            s->gpu_total_ns / 1e6);
	for (uint32_t i = 0; i < SC_SAMPLE_PASSES; i++)
		sc_prom_put(o, "%s\"%s\":%.3f", i ? "," : "", pass_names[i], s->gpu_pass_ns[i] / 1e6);
	sc_prom_put(o, "},\"input_depth\":%u,\"shadow_lag\":%u,\"score\":[%u,%u],\"players\":%u,\"particles\":%u,"
	               "\"inputs\":%u,\"sample_every\":%u,\"rendered\":%s,\"gpu_calibrated\":%s,\"gpu_start_host_ns\":%llu,"
	               "\"meta\":%s}",
	            s->input_depth, s->shadow_lag, s->score0, s->score1, s->players, s->particles, s->n_inputs,
	            s->sample_every, (s->flags & SC_SAMPLE_RENDERED) ? "true" : "false",
	            (s->flags & SC_SAMPLE_GPU_CALIBRATED) ? "true" : "false", (unsigned long long)s->gpu_begin_host_ns,
	            meta ? meta : "null");
}

static const char *action_name(uint32_t a)
{
	switch (a) {
	case SC_INPUT_MOVE: return "move";
	case SC_INPUT_SHOOT: return "shoot";
	case SC_INPUT_BLOCK: return "block";
	case SC_INPUT_FAULT: return "fault";
	default: return "other";
	}
}

void sc_profile_event_json(struct sc_prom_out *o, const struct sc_profile *p, const struct sc_event *e)
{
	const char *tag = e->tag < SC_EV_TAGS ? sc_event_tag_names[e->tag] : "unknown";
	/* "type" repeats the tag (the first events API had only condition hits, as "type") */
	sc_prom_put(o, "{\"id\":%llu,\"tag\":\"%s\",\"type\":\"%s\",\"tick\":%u,\"time_ns\":%llu", (unsigned long long)e->id,
	            tag, tag, e->tick, (unsigned long long)e->time_ns);
	switch (e->tag) {
	case SC_EV_INPUT: {
		sc_prom_put(o, ",\"inputs\":%u,\"players\":[", e->u.input.inputs);
		bool first = true;
		for (uint32_t i = 0; i < 32; i++)
			if (e->u.input.players & 1u << i) {
				sc_prom_put(o, "%s%u", first ? "" : ",", i);
				first = false;
			}
		sc_prom_put(o, "],\"actions\":[");
		first = true;
		for (uint32_t i = 1; i < 32; i++)
			if (e->u.input.actions & 1u << i) {
				sc_prom_put(o, "%s\"%s\"", first ? "" : ",", action_name(i));
				first = false;
			}
		sc_prom_put(o, "]");
		break;
	}
	case SC_EV_JOIN:
	case SC_EV_LEAVE:
		if (e->u.join.player >= 0)
			sc_prom_put(o, ",\"player\":%d,\"role\":\"player\"", e->u.join.player);
		else
			sc_prom_put(o, ",\"player\":null,\"role\":\"spectator\"");
		sc_prom_put(o, ",\"client\":%u", e->u.join.client);
		if (e->tag == SC_EV_LEAVE)
			sc_prom_put(o, ",\"disconnected\":%s", e->u.join.disconnected ? "true" : "false");
		break;
	case SC_EV_INCIDENT:
		sc_prom_put(o, ",\"incident\":%u,\"detected\":\"%s\",\"injected\":", e->u.incident.incident,
		            sc_fault_detected_name(e->u.incident.detected));
		if (e->u.incident.injected)
			sc_prom_put(o, "\"%s\"", sc_fault_kind_name((enum sc_fault_kind)e->u.incident.injected));
		else
			sc_prom_put(o, "null");
		sc_prom_put(o, ",\"error_tick\":%u,\"detected_tick\":%u", e->tick, e->u.incident.detected_tick);
		break;
	case SC_EV_INJECT:
		sc_prom_put(o, ",\"kind\":\"%s\",\"seq\":%llu", sc_fault_kind_name((enum sc_fault_kind)e->u.inject.kind),
		            (unsigned long long)e->u.inject.seq);
		break;
	case SC_EV_CONDITION: {
		uint32_t i = e->u.condition.index;
		/* null for a value that is not finite: an adopted track's records
		 * come from another process, and JSON has no NaN */
		char v[32] = "null";
		if (isfinite(e->u.condition.value))
			snprintf(v, sizeof(v), "%g", e->u.condition.value);
		if (i < p->n_conds)
			sc_prom_put(o, ",\"condition\":\"%s\",\"value\":%s,\"threshold\":%g,\"capture\":%s,\"role\":\"%s\","
			               "\"instance\":%u", p->conds[i].name, v, p->conds[i].threshold,
			            p->conds[i].capture ? "true" : "false",
			            e->u.condition.instance < SC_SAMPLE_INSTANCES ? instance_roles[e->u.condition.instance]
			                                                         : "unknown", e->u.condition.instance);
		break;
	}
	case SC_EV_DELAY:
		sc_prom_put(o, ",\"slot\":%u,\"ticks\":%u,\"previous\":%u", e->u.delay.slot, e->u.delay.ticks,
		            e->u.delay.previous);
		break;
	case SC_EV_PAUSE:
	case SC_EV_RESUME:
		sc_prom_put(o, ",\"slot\":%u,\"held_tick\":%u,\"incident\":", e->u.pause.slot, e->u.pause.held_tick);
		if (e->u.pause.incident)
			sc_prom_put(o, "%u", e->u.pause.incident);
		else
			sc_prom_put(o, "null");
		break;
	case SC_EV_RESTORE:
	case SC_EV_RESTART:
		sc_prom_put(o, ",\"base_tick\":%u,\"pid\":%d", e->u.restore.base_tick, e->u.restore.pid);
		break;
	case SC_EV_ENCODER:
		sc_prom_put(o, ",\"pid\":%d,\"adopted\":%u,\"lost\":%u,\"samples\":%u", e->u.encoder.pid,
		            e->u.encoder.adopted, e->u.encoder.lost, e->u.encoder.samples);
		break;
	case SC_EV_CAPTURE:
		sc_prom_put(o, ",\"condition\":");
		if (e->u.capture.index < p->n_conds)
			sc_prom_put(o, "\"%s\"", p->conds[e->u.capture.index].name);
		else
			sc_prom_put(o, "null");
		break;
	}
	sc_prom_put(o, "}");
}

/* --- the sample stores (under p->lock) -------------------------------------------- */

static uint64_t oldest_n(const struct sc_profile *p, uint32_t inst)
{
	return sc_profile_oldest_n_locked(p, inst);
}

static const struct sc_sample *nth(const struct sc_profile *p, uint32_t inst, uint64_t n)
{
	return &p->history[inst][n % p->sample_retention];
}

/* Under p->lock: stored sample n of inst with its metadata. */
static void stored_json(struct sc_prom_out *o, const struct sc_profile *p, uint32_t inst, uint64_t n)
{
	sc_profile_sample_json(o, nth(p, inst, n),
	                       sc_profile_meta_json_locked(p, inst, p->history_meta[inst][n % p->sample_retention]));
}

static uint64_t dist(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* The anchor of a window: the held sample of `tick`; when the tick is held
 * more than once (a restored primary runs ticks again) the one whose start
 * is nearest time_ns (UINT64_MAX: the newest); when it is not held (sampled
 * every Nth tick, dropped) the sample of the next tick held, nearest in time
 * the same way. Returns its n, or history_n when none. */
static uint64_t find_anchor(const struct sc_profile *p, uint32_t inst, uint32_t tick, uint64_t time_ns, bool *exact)
{
	uint64_t best = p->history_n[inst], best_d = UINT64_MAX;
	uint32_t best_tick = UINT32_MAX;
	*exact = false;
	if (!p->history[inst])
		return best;
	for (uint64_t n = oldest_n(p, inst); n < p->history_n[inst]; n++) {
		const struct sc_sample *s = nth(p, inst, n);
		if (s->tick < tick || s->tick > best_tick)
			continue;
		uint64_t d = time_ns == UINT64_MAX ? UINT64_MAX - s->tick_start_ns : dist(s->tick_start_ns, time_ns);
		if (s->tick < best_tick || d <= best_d) {
			best = n;
			best_d = d;
			best_tick = s->tick;
		}
	}
	*exact = best < p->history_n[inst] && best_tick == tick;
	return best;
}

/* "found", "complete", the window's samples: N before the anchor, M after. */
static void window_json(struct sc_prom_out *o, const struct sc_profile *p, uint32_t inst, uint32_t tick,
                        uint64_t time_ns, uint32_t before, uint32_t after)
{
	bool exact;
	uint64_t at = find_anchor(p, inst, tick, time_ns, &exact);
	uint64_t lo = oldest_n(p, inst), end = p->history_n[inst];
	bool have = at < end;
	uint64_t from = have ? (at - lo >= before ? at - before : lo) : end;
	uint64_t to = have ? (at + after + 1 < end ? at + after + 1 : end) : end;
	sc_prom_put(o, ",\"found\":%s,\"anchor_tick\":", exact ? "true" : "false");
	if (have)
		sc_prom_put(o, "%u", nth(p, inst, at)->tick);
	else
		sc_prom_put(o, "null");
	sc_prom_put(o, ",\"before\":%u,\"after\":%u,\"complete\":%s,\"samples\":[", before, after,
	            exact && at - from == before && to - at == (uint64_t)after + 1 ? "true" : "false");
	for (uint64_t n = from; n < to; n++) {
		if (n > from)
			sc_prom_put(o, ",");
		stored_json(o, p, inst, n);
	}
	sc_prom_put(o, "]");
}

/* role=shadow without slot: the shadow whose newest sample is the latest */
static uint32_t pick_instance(const struct sc_profile *p, const struct query *q)
{
	if (q->role == 0)
		return SC_SAMPLE_PRIMARY;
	if (q->have[Q_SLOT])
		return q->num[Q_SLOT] ? SC_SAMPLE_SHADOW1 : SC_SAMPLE_SHADOW0;
	uint32_t best = SC_SAMPLE_SHADOW0;
	uint64_t best_ns = 0;
	for (uint32_t i = SC_SAMPLE_SHADOW0; i <= SC_SAMPLE_SHADOW1; i++)
		if (p->history[i] && p->history_n[i]) {
			uint64_t ns = nth(p, i, p->history_n[i] - 1)->tick_start_ns;
			if (ns >= best_ns)
				best = i, best_ns = ns;
		}
	return best;
}

/* --- the three answers ------------------------------------------------------------- */

static unsigned bad(struct sc_prom_out *o, unsigned status, const char *why)
{
	o->used = 0;
	o->overflow = false;
	char *q = sc_json_quote(why, strlen(why)); /* it can quote the query back */
	sc_prom_put(o, "{\"error\":%s,\"status\":%u}\n", q ? q : "\"bad request\"", status);
	free(q);
	return status;
}

#define KEYS(...) (0u | __VA_ARGS__)
#define K(x) (1u << (x))

static unsigned events_list(struct sc_profile *p, const char *query, struct sc_prom_out *o)
{
	struct query q;
	char why[256];
	if (!parse_query(query, KEYS(K(Q_AROUND) | K(Q_BEFORE) | K(Q_AFTER) | K(Q_LAST) | K(Q_TAG) | K(Q_LIMIT) |
	                             K(Q_SINCE) | K(Q_ROLE) | K(Q_SLOT)), &q, why, sizeof(why)))
		return bad(o, 400, why);
	uint32_t before = q.have[Q_BEFORE] ? (uint32_t)q.num[Q_BEFORE] : WINDOW_DEFAULT;
	uint32_t after = q.have[Q_AFTER] ? (uint32_t)q.num[Q_AFTER] : WINDOW_DEFAULT;
	uint64_t last = q.num[Q_LAST], limit = q.have[Q_LIMIT] ? q.num[Q_LIMIT] : EVENTS_LIMIT_DEFAULT;
	if (q.num[Q_BEFORE] > WINDOW_MAX || q.num[Q_AFTER] > WINDOW_MAX || last > WINDOW_MAX)
		return bad(o, 400, "before, after and last are at most 300");
	if (q.have[Q_LAST] && q.have[Q_AROUND])
		return bad(o, 400, "around or last, not both");
	if (q.have[Q_SLOT] && q.num[Q_SLOT] > 1)
		return bad(o, 400, "slot must be 0 or 1");
	if (limit == 0 || limit > SC_EVENT_RETENTION_MAX)
		return bad(o, 400, "limit must be 1..1048576");
	uint32_t mask = q.have[Q_TAG] ? q.tags : ~0u;
	sc_prom_put(o, "{\"conditions\":[");
	for (uint32_t i = 0; i < p->n_conds; i++)
		sc_prom_put(o, "%s{\"name\":\"%s\",\"condition\":\"%s\",\"hits\":%llu,\"capture\":%s}", i ? "," : "",
		            p->conds[i].name, p->conds[i].text, (unsigned long long)atomic_load(&p->cond_hits[i]),
		            p->conds[i].capture ? "true" : "false");
	struct sc_event_track *t = &p->events;
	/* under the lock only the copy of the matching events: the encode thread
	 * records on this track every loop and must not wait for the formatting */
	pthread_mutex_lock(&t->lock);
	uint64_t oldest = sc_event_oldest_locked(t), newest = t->n, dropped = atomic_load(&t->dropped);
	uint32_t retention = t->retention;
	/* the newest `limit` that match, oldest first: find where they start */
	uint64_t start = newest + 1, taken = 0;
	uint64_t lo = oldest > q.num[Q_SINCE] ? oldest : q.num[Q_SINCE] + 1;
	for (uint64_t id = newest; id >= lo && id > 0 && taken < limit; id--) {
		const struct sc_event *e = sc_event_get_locked(t, id);
		if (e && (mask & 1u << e->tag)) {
			start = id;
			taken++;
		}
	}
	struct sc_event *copy = taken ? malloc(taken * sizeof(*copy)) : NULL;
	uint64_t n_copy = 0;
	for (uint64_t id = start; copy && id <= newest && n_copy < taken; id++) {
		const struct sc_event *e = sc_event_get_locked(t, id);
		if (e && (mask & 1u << e->tag))
			copy[n_copy++] = *e;
	}
	pthread_mutex_unlock(&t->lock);
	if (taken && !copy)
		return bad(o, 500, "out of memory");
	sc_prom_put(o, "],\"retention\":%u,\"recorded\":%llu,\"dropped\":%llu,\"oldest_id\":%llu,\"newest_id\":%llu,"
	               "\"events\":[", retention, (unsigned long long)newest, (unsigned long long)dropped,
	            (unsigned long long)oldest, (unsigned long long)newest);
	for (uint64_t i = 0; i < n_copy; i++) {
		if (i)
			sc_prom_put(o, ",");
		sc_profile_event_json(o, p, &copy[i]);
	}
	free(copy);
	sc_prom_put(o, "]");
	pthread_mutex_lock(&p->lock);
	uint32_t inst = pick_instance(p, &q);
	if (q.have[Q_AROUND]) {
		sc_prom_put(o, ",\"around\":%llu", (unsigned long long)q.num[Q_AROUND]);
		window_json(o, p, inst, (uint32_t)q.num[Q_AROUND], UINT64_MAX, before, after);
	}
	if (last && p->history[inst]) {
		/* the newest samples, oldest first (the /debug plots) */
		uint64_t held = p->history_n[inst] - oldest_n(p, inst);
		uint64_t n = last < held ? last : held;
		sc_prom_put(o, ",\"samples\":[");
		for (uint64_t i = p->history_n[inst] - n; i < p->history_n[inst]; i++) {
			if (i > p->history_n[inst] - n)
				sc_prom_put(o, ",");
			stored_json(o, p, inst, i);
		}
		sc_prom_put(o, "]");
	}
	pthread_mutex_unlock(&p->lock);
	sc_prom_put(o, "}\n");
	return 200;
}

static unsigned event_one(struct sc_profile *p, const char *id_text, const char *query, struct sc_prom_out *o)
{
	struct query q;
	char why[256];
	char *end;
	unsigned long long id = strtoull(id_text, &end, 10);
	if (!*id_text || *end || id_text[0] == '-')
		return bad(o, 400, "events/ID: ID is an event's id, a whole number");
	if (!parse_query(query, KEYS(K(Q_BEFORE) | K(Q_AFTER) | K(Q_ROLE) | K(Q_SLOT)), &q, why, sizeof(why)))
		return bad(o, 400, why);
	uint32_t before = q.have[Q_BEFORE] ? (uint32_t)q.num[Q_BEFORE] : WINDOW_DEFAULT;
	uint32_t after = q.have[Q_AFTER] ? (uint32_t)q.num[Q_AFTER] : WINDOW_DEFAULT;
	if (q.num[Q_BEFORE] > WINDOW_MAX || q.num[Q_AFTER] > WINDOW_MAX)
		return bad(o, 400, "before and after are at most 300");
	if (q.have[Q_SLOT] && q.num[Q_SLOT] > 1)
		return bad(o, 400, "slot must be 0 or 1");
	struct sc_event_track *t = &p->events;
	pthread_mutex_lock(&t->lock);
	const struct sc_event *found = sc_event_get_locked(t, id);
	struct sc_event e = found ? *found : (struct sc_event){0};
	uint64_t oldest = sc_event_oldest_locked(t), newest = t->n;
	uint32_t retention = t->retention;
	pthread_mutex_unlock(&t->lock);
	if (!found) {
		snprintf(why, sizeof(why), "event %llu is not held: the track holds %llu..%llu (--event-retention %u)", id,
		         (unsigned long long)oldest, (unsigned long long)newest, retention);
		return bad(o, 404, why);
	}
	sc_prom_put(o, "{\"event\":");
	sc_profile_event_json(o, p, &e);
	pthread_mutex_lock(&p->lock);
	uint32_t inst = pick_instance(p, &q);
	sc_prom_put(o, ",\"role\":\"%s\",\"instance\":%u", instance_roles[inst], inst);
	/* the shadow runs the tick its delay later: nearest in time means nothing there */
	window_json(o, p, inst, e.tick, inst == SC_SAMPLE_PRIMARY ? e.time_ns : UINT64_MAX, before, after);
	pthread_mutex_unlock(&p->lock);
	sc_prom_put(o, "}\n");
	return 200;
}

static unsigned samples(struct sc_profile *p, const char *query, struct sc_prom_out *o)
{
	struct query q;
	char why[256];
	if (!parse_query(query, KEYS(K(Q_ROLE) | K(Q_SLOT) | K(Q_FROM) | K(Q_LIMIT)), &q, why, sizeof(why)))
		return bad(o, 400, why);
	uint64_t limit = q.have[Q_LIMIT] ? q.num[Q_LIMIT] : SAMPLES_LIMIT_DEFAULT;
	if (limit == 0 || limit > SAMPLES_LIMIT_MAX)
		return bad(o, 400, "limit must be 1..1000");
	if (q.have[Q_SLOT] && q.num[Q_SLOT] > 1)
		return bad(o, 400, "slot must be 0 or 1");
	if (q.have[Q_SLOT] && q.role == 0)
		return bad(o, 400, "slot is for role=shadow");
	if (q.num[Q_FROM] > UINT32_MAX)
		return bad(o, 400, "from is a tick (at most 4294967295)");
	uint32_t from = (uint32_t)q.num[Q_FROM];
	pthread_mutex_lock(&p->lock);
	uint32_t inst = pick_instance(p, &q);
	uint64_t lo = oldest_n(p, inst), end = p->history[inst] ? p->history_n[inst] : 0;
	if (!p->history[inst])
		lo = 0;
	sc_prom_put(o, "{\"role\":\"%s\",\"instance\":%u,\"slot\":", instance_roles[inst], inst);
	if (inst == SC_SAMPLE_PRIMARY)
		sc_prom_put(o, "null");
	else
		sc_prom_put(o, "%u", inst - SC_SAMPLE_SHADOW0);
	sc_prom_put(o, ",\"retention\":%u,\"taken\":%llu,\"held\":%llu,\"oldest_tick\":", p->sample_retention,
	            (unsigned long long)p->history_n[inst], (unsigned long long)(end - lo));
	if (end > lo)
		sc_prom_put(o, "%u,\"newest_tick\":%u", nth(p, inst, lo)->tick, nth(p, inst, end - 1)->tick);
	else
		sc_prom_put(o, "null,\"newest_tick\":null");
	sc_prom_put(o, ",\"from\":%u,\"limit\":%llu,\"samples\":[", from, (unsigned long long)limit);
	/* in the order they were taken, those of tick >= from (a restored primary runs ticks again) */
	uint64_t taken = 0;
	uint32_t last_tick = 0;
	bool more = false;
	for (uint64_t n = lo; n < end; n++) {
		const struct sc_sample *s = nth(p, inst, n);
		if (s->tick < from)
			continue;
		if (taken == limit) {
			more = true;
			break;
		}
		if (taken++)
			sc_prom_put(o, ",");
		stored_json(o, p, inst, n);
		last_tick = s->tick;
	}
	pthread_mutex_unlock(&p->lock);
	sc_prom_put(o, "],\"next_from\":");
	if (more)
		sc_prom_put(o, "%u}\n", last_tick + 1);
	else
		sc_prom_put(o, "null}\n");
	return 200;
}

char *sc_profile_api_json(struct sc_profile *p, const char *what, const char *query, size_t *len, unsigned *status)
{
	struct sc_prom_out o = {.grow = true, .max = ANSWER_MAX};
	if (strcmp(what, "events") == 0)
		*status = events_list(p, query, &o);
	else if (strncmp(what, "events/", 7) == 0)
		*status = event_one(p, what + 7, query, &o);
	else if (strcmp(what, "samples") == 0)
		*status = samples(p, query, &o);
	else
		*status = bad(&o, 404, "no such profiling endpoint");
	if (o.overflow || !o.buf) {
		free(o.buf);
		return NULL;
	}
	*len = o.used;
	return o.buf;
}
