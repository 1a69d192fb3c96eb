#include "server/profile_metrics.h"

#include "net/shm/arena.h"
#include "net/shm/sc_atomic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/profile_file.h"
#include "session/session.h"
#include "util/log.h"

static const char *const pass_names[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;
static const char *const role_names[SC_PROFILE_ROLES] = {"primary", "shadow"};

/* The sample stores and metadata in process memory, or let go of the block's. */
static void free_sample_stores(struct sc_profile *p)
{
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		if (!p->store.h) {
			free(p->history[i]);
			free(p->history_meta[i]);
		}
		p->history[i] = NULL;
		p->history_meta[i] = NULL;
		p->history_n[i] = p->history_first[i] = 0;
		p->stored_pos[i] = p->ring_next[i] = 0;
		memset(&p->meta_own[i], 0, sizeof(p->meta_own[i]));
		p->meta[i] = &p->meta_own[i];
	}
	memset(&p->store, 0, sizeof(p->store));
}

static bool alloc_stores(struct sc_profile *p, uint32_t samples, uint32_t events)
{
	if (samples < SC_SAMPLE_RETENTION_MIN)
		samples = SC_SAMPLE_RETENTION_MIN;
	if (samples > SC_SAMPLE_RETENTION_MAX)
		samples = SC_SAMPLE_RETENTION_MAX;
	bool ok = true;
	free_sample_stores(p);
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		p->meta[i] = &p->meta_own[i];
		p->history_first[i] = 0;
		p->history[i] = calloc(samples, sizeof(*p->history[i]));
		p->history_meta[i] = calloc(samples, sizeof(*p->history_meta[i]));
		p->history_n[i] = 0;
		if (!p->history_meta[i]) {
			free(p->history[i]);
			p->history[i] = NULL;
		}
		ok = ok && p->history[i];
	}
	p->sample_retention = samples;
	if (!ok)
		sc_warn("profiling: no memory for %u samples per instance; the debug API has no samples", samples);
	sc_event_track_finish(&p->events);
	if (!sc_event_track_init(&p->events, events)) {
		sc_warn("profiling: no memory for %u events; the event track records nothing", events);
		ok = false;
	}
	return ok;
}

void sc_profile_init(struct sc_profile *p, struct sc_arena *arena, struct sc_session_shm *session)
{
	memset(p, 0, sizeof(*p));
	p->session = session;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		p->meta[i] = &p->meta_own[i];
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->events.lock, NULL); /* alloc_stores finishes it first */
	p->inited = true;
	alloc_stores(p, SC_SAMPLE_RETENTION_DEFAULT, SC_EVENT_RETENTION_DEFAULT);
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		p->have[i] = arena && sc_sample_ring_attach(arena, i, &p->rings[i]);
}

bool sc_profile_set_retention(struct sc_profile *p, uint32_t samples, uint32_t events)
{
	pthread_mutex_lock(&p->lock);
	bool ok = alloc_stores(p, samples, events);
	pthread_mutex_unlock(&p->lock);
	return ok;
}

bool sc_profile_adopt_event_track(struct sc_profile *p, struct sc_arena *arena, uint32_t *adopted, uint32_t *lost)
{
	struct sc_arena_block b;
	*adopted = *lost = 0;
	if (!arena || !sc_arena_block_find(arena, SC_EVENT_TRACK_BLOCK, &b))
		return false;
	void *mem = sc_arena_ptr(arena, b.off, b.size);
	uint32_t retention = p->events.retention;
	sc_event_track_finish(&p->events);
	if (sc_event_track_adopt(&p->events, mem, b.size, adopted, lost))
		return true;
	sc_event_track_init(&p->events, retention);
	return false;
}

bool sc_profile_adopt_sample_store(struct sc_profile *p, struct sc_arena *arena, uint64_t adopted[SC_SAMPLE_INSTANCES],
                                   uint32_t *lost)
{
	struct sc_arena_block b;
	*lost = 0;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		adopted[i] = 0;
	if (!arena || !sc_arena_block_find(arena, SC_SAMPLE_STORE_BLOCK, &b))
		return false;
	struct sc_sample_store_view v;
	pthread_mutex_lock(&p->lock);
	if (!sc_sample_store_check(sc_arena_ptr(arena, b.off, b.size), b.size, p->sample_retention, &v)) {
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	free_sample_stores(p);
	p->store = v;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		p->history[i] = v.sample[i];
		p->history_meta[i] = v.meta[i];
		p->history_n[i] = v.n[i];
		p->history_first[i] = v.first[i] - 1;
		p->meta[i] = &v.h->meta[i];
		/* untrusted too: a position past what the instance ever wrote
		 * would skip every record it writes from now on */
		p->stored_pos[i] = v.ring_pos[i];
		if (p->have[i] && v.ring_pos[i] > SC_LOAD_ACQUIRE(&p->rings[i].ctrl->tail)) {
			p->stored_pos[i] = 0;
			(*lost)++;
		}
		adopted[i] = v.n[i] + 1 - v.first[i];
		*lost += v.lost[i] + v.meta_dropped[i];
	}
	pthread_mutex_unlock(&p->lock);
	return true;
}

uint64_t sc_profile_oldest_n_locked(const struct sc_profile *p, uint32_t inst)
{
	uint64_t n = p->history_n[inst], r = p->sample_retention;
	uint64_t lo = n > r ? n - r : 0;
	return p->history_first[inst] > lo ? p->history_first[inst] : lo;
}

size_t sc_profile_store_bytes(const struct sc_profile *p)
{
	size_t n = sc_event_track_bytes(&p->events);
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		if (p->history[i])
			n += (size_t)p->sample_retention * sizeof(struct sc_sample);
	return n;
}

void sc_profile_finish(struct sc_profile *p)
{
	if (!p->inited)
		return; /* never initialised (the process stopped before): a zeroed struct */
	free_sample_stores(p);
	sc_event_track_finish(&p->events);
	sc_sample_window_finish(&p->window);
	pthread_mutex_destroy(&p->lock);
	p->inited = false;
}

void sc_profile_set_conditions(struct sc_profile *p, const struct sc_condition *conds, uint32_t n)
{
	p->conds = conds;
	p->n_conds = n < SC_MAX_CONDITIONS ? n : SC_MAX_CONDITIONS;
}

static void retain(void *ud, const struct sc_sample *s, uint32_t meta, uint64_t pos);

/* A hit: an event, its counter, a log line (the first few of each
 * condition, then every 100th: a flapping one must not flood the log). */
static void condition_hit(struct sc_profile *p, uint32_t i, const struct sc_sample *s, double v)
{
	const struct sc_condition *c = &p->conds[i];
	uint64_t n = atomic_fetch_add_explicit(&p->cond_hits[i], 1, memory_order_relaxed) + 1;
	struct sc_event e = {.tag = SC_EV_CONDITION, .time_ns = s->tick_start_ns, .tick = s->tick,
	                     .u.condition = {.index = i, .instance = s->instance, .value = v}};
	uint64_t id = sc_event_record(&p->events, &e);
	if (p->file) {
		struct sc_pf_condition r = {.time_ns = s->tick_start_ns, .tick = s->tick, .condition = i, .value = v,
		                            .threshold = c->threshold};
		sc_profile_file_put(p->file, SC_PF_CONDITION, &r, sizeof(r));
	}
	if (p->window.on) {
		sc_sample_window_hit(&p->window, s->tick); /* before the sample's own take: it is in */
		sc_sample_window_flush(&p->window, retain, p); /* the waiting ones it reaches back to */
	}
	if (c->capture && p->session) {
		/* the running shadow, behind by its delay, captures that tick's state
		 * (session.h: seq << 40 | condition << 32 | tick; the seq never 0) */
		p->capture_seq = p->capture_seq % 0xffffffu + 1;
		atomic_store(&p->session->anomaly_capture_req,
		             (uint64_t)p->capture_seq << 40 | (uint64_t)i << 32 | s->tick);
		sc_info("condition %s: anomaly capture of tick %u asked of the shadow", c->name, s->tick);
	}
	if (n <= 5 || n % 100 == 0)
		sc_warn("condition %s (%s) hit at tick %u: %g (hit %llu; event %llu, GET /api/v1/events/%llu)",
		        c->name, c->text, s->tick, v, (unsigned long long)n, (unsigned long long)id, (unsigned long long)id);
}

/* A sample into its instance's store, with the metadata version in force
 * when it was read. */
static void keep_sample(struct sc_profile *p, const struct sc_sample *s, uint32_t meta, uint64_t pos)
{
	if (s->instance >= SC_SAMPLE_INSTANCES || !p->history[s->instance])
		return;
	pthread_mutex_lock(&p->lock);
	uint64_t n = p->history_n[s->instance]++;
	if (p->store.h) { /* in the order a successor checks */
		sc_sample_store_put(&p->store, s->instance, n + 1, s, meta, pos);
	} else {
		p->history[s->instance][n % p->sample_retention] = *s;
		p->history_meta[s->instance][n % p->sample_retention] = meta;
	}
	pthread_mutex_unlock(&p->lock);
}

/* Encode thread: the version in force for the next sample (only it writes
 * the versions, so it reads them without the lock). */
static uint32_t meta_now(const struct sc_profile *p, uint32_t inst)
{
	return inst < SC_SAMPLE_INSTANCES ? p->meta[inst]->version : 0;
}

void sc_profile_meta(struct sc_profile *p, const struct sc_sample_meta *m)
{
	if (m->instance >= SC_SAMPLE_INSTANCES)
		return;
	struct sc_profile_meta *pm = p->meta[m->instance];
	pthread_mutex_lock(&p->lock);
	uint32_t i = 0;
	while (i < pm->n && strcmp(pm->kv[i].key, m->key) != 0)
		i++;
	if (i == pm->n && pm->n == SC_SAMPLE_META_KEYS) {
		pthread_mutex_unlock(&p->lock);
		atomic_fetch_add_explicit(&p->meta_refused, 1, memory_order_relaxed);
		return;
	}
	if (i < pm->n && strcmp(pm->kv[i].value, m->value) == 0) {
		pthread_mutex_unlock(&p->lock); /* a repeat (session/sample_writer.h): nothing new */
		return;
	}
	/* a kill from here on: the successor finds the keys and their JSON
	 * disagree, and renders the keys it finds valid (sample_store.c) */
	pm->kv[i] = *m;
	if (i == pm->n)
		pm->n++;
	sc_profile_meta_publish(pm, pm->version == UINT32_MAX ? 1 : pm->version + 1);
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_add_explicit(&p->meta_changes, 1, memory_order_relaxed);
}

const char *sc_profile_meta_json_locked(const struct sc_profile *p, uint32_t inst, uint32_t v)
{
	if (inst >= SC_SAMPLE_INSTANCES)
		return NULL;
	if (v == 0)
		return "{}";
	const struct sc_profile_meta *pm = p->meta[inst];
	return pm->ring[v % SC_META_VERSIONS].version == v ? pm->ring[v % SC_META_VERSIONS].json : NULL;
}

/* The conditions of the sample's role (the primary's, or `shadow.` ones on
 * either shadow's samples), each crossing once per instance. */
static void check_conditions(struct sc_profile *p, const struct sc_sample *s)
{
	if (s->instance >= SC_SAMPLE_INSTANCES)
		return;
	bool shadow = s->instance != SC_SAMPLE_PRIMARY;
	for (uint32_t i = 0; i < p->n_conds; i++) {
		if (p->conds[i].shadow != shadow)
			continue;
		double v = sc_condition_value(&p->conds[i], s);
		bool holds = sc_condition_holds(&p->conds[i], v);
		if (holds && !p->holding[s->instance][i])
			condition_hit(p, i, s, v);
		p->holding[s->instance][i] = holds;
	}
}

/* The histograms and the conditions: every sample read, retained or not. */
static void observe(struct sc_profile *p, const struct sc_sample *s)
{
	uint32_t role = s->instance == SC_SAMPLE_PRIMARY ? 0 : 1;
	if (role == 0) {
		if (s->frame_ns)
			sc_hist_observe_tick(&p->frame_time, s->frame_ns, s->tick);
		atomic_store_explicit(&p->input_depth, s->input_depth, memory_order_relaxed);
		atomic_store_explicit(&p->shadow_lag, s->shadow_lag, memory_order_relaxed);
		atomic_store_explicit(&p->last_tick, s->tick, memory_order_relaxed);
	}
	check_conditions(p, s);
	sc_hist_observe_tick(&p->tick_wall[role], s->wall_ns, s->tick);
	sc_hist_observe_tick(&p->tick_cpu[role], s->cpu_ns, s->tick);
	for (uint32_t i = 0; i < SC_SAMPLE_PASSES; i++) {
		/* a simulate-only tick has no frame passes: not observed as 0 */
		if (i >= 5 && !(s->flags & SC_SAMPLE_RENDERED))
			break;
		sc_hist_observe_tick(&p->gpu_pass[role][i], s->gpu_pass_ns[i], s->tick);
	}
	if (s->instance < SC_SAMPLE_INSTANCES)
		atomic_fetch_add_explicit(&p->samples_read[s->instance], 1, memory_order_relaxed);
}

void sc_profile_add(struct sc_profile *p, const struct sc_sample *s)
{
	/* observed (conditions, histograms) before stored: a kill in between
	 * and the successor reads the record again and observes it again (a
	 * hit recorded twice, never not) */
	observe(p, s);
	keep_sample(p, s, meta_now(p, s->instance), s->instance < SC_SAMPLE_INSTANCES ? p->ring_next[s->instance] : 0);
}

/* A sample retained: the profile file and the store (--sample-window). */
static void retain(void *ud, const struct sc_sample *s, uint32_t meta, uint64_t pos)
{
	struct sc_profile *p = ud;
	if (p->file)
		sc_profile_file_put(p->file, SC_PF_SAMPLE, s, sizeof(*s));
	keep_sample(p, s, meta, pos); /* its own record's position: a kill then re-reads the ones after it */
}

bool sc_profile_set_window(struct sc_profile *p, uint32_t before, uint32_t after)
{
	return sc_sample_window_init(&p->window, before, after);
}

size_t sc_profile_drain(struct sc_profile *p, size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		if (!p->have[i])
			continue;
		for (size_t k = 0; k < max; k++) {
			struct sc_sample s;
			struct sc_sample_meta m;
			uint32_t kind = 0;
			uint64_t next = 0;
			/* the record stays in the ring until what it brings is stored:
			 * a kill in between and the successor reads it again (and skips
			 * it if the store has it: session/shm/sample_store.h) */
			enum sc_ring_result r = sc_sample_ring_peek_rec(&p->rings[i], &s, &m, &kind, &next);
			if (r == SC_RING_EMPTY)
				break;
			if (r == SC_RING_SUCCESS && kind == SC_MSG_SAMPLE_META && m.instance == i) {
				/* the game's metadata: the samples read after it show it (a
				 * repeat after a kill changes nothing) */
				if (p->file)
					sc_profile_file_put(p->file, SC_PF_SAMPLE_META, &m, sizeof(m));
				sc_profile_meta(p, &m);
				sc_spsc_ring_release_to(&p->rings[i], next);
				continue;
			}
			if (r == SC_RING_SUCCESS && kind == SC_MSG_SAMPLE && s.instance == i && next <= p->stored_pos[i]) {
				/* stored by the predecessor, which died before it freed it */
				sc_spsc_ring_release_to(&p->rings[i], next);
				atomic_fetch_add_explicit(&p->samples_restored, 1, memory_order_relaxed);
				continue;
			}
			if (r != SC_RING_SUCCESS || kind != SC_MSG_SAMPLE || s.instance != i) {
				if (r == SC_RING_SUCCESS)
					sc_spsc_ring_release_to(&p->rings[i], next);
				atomic_fetch_add_explicit(&p->samples_bad, 1, memory_order_relaxed);
				continue;
			}
			p->ring_next[i] = next;
			if (p->window.on) {
				/* its conditions first: a hit on it opens the window it is in */
				observe(p, &s);
				sc_sample_window_take(&p->window, &s, meta_now(p, i), next, retain, p);
			} else {
				if (p->file) /* before the conditions' hits on it */
					sc_profile_file_put(p->file, SC_PF_SAMPLE, &s, sizeof(s));
				sc_profile_add(p, &s);
			}
			sc_spsc_ring_release_to(&p->rings[i], next);
			n++;
		}
	}
	return n;
}

void sc_profile_encoded(struct sc_profile *p, uint64_t ns, uint64_t bytes)
{
	sc_hist_observe(&p->encode, ns);
	atomic_fetch_add_explicit(&p->encoded_bytes, bytes, memory_order_relaxed);
}

void sc_profile_frame_latency(struct sc_profile *p, uint64_t ns, uint32_t tick)
{
	sc_hist_observe_tick(&p->frame_latency, ns, tick);
}

static void counter(struct sc_prom_out *o, const char *name, const char *type, const char *help)
{
	sc_prom_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

size_t sc_profile_metrics_text(const struct sc_profile *p, char *buf, size_t len, bool openmetrics)
{
	struct sc_prom_out o = {.buf = buf, .len = len, .openmetrics = openmetrics};
	char labels[96];
	if (len == 0)
		return 0;
	buf[0] = '\0';
	sc_prom_hist_header(&o, "shadowcast_frame_time_seconds",
	                    "The primary's tick start to the next tick start (sampled ticks).");
	sc_prom_hist_series(&o, "shadowcast_frame_time_seconds", "", &p->frame_time);
	sc_prom_hist_header(&o, "shadowcast_tick_seconds", "A sampled tick, start to published, CPU wall time.");
	for (uint32_t r = 0; r < SC_PROFILE_ROLES; r++) {
		snprintf(labels, sizeof(labels), "role=\"%s\"", role_names[r]);
		sc_prom_hist_series(&o, "shadowcast_tick_seconds", labels, &p->tick_wall[r]);
	}
	sc_prom_hist_header(&o, "shadowcast_tick_cpu_seconds", "CPU time of the tick thread in a sampled tick.");
	for (uint32_t r = 0; r < SC_PROFILE_ROLES; r++) {
		snprintf(labels, sizeof(labels), "role=\"%s\"", role_names[r]);
		sc_prom_hist_series(&o, "shadowcast_tick_cpu_seconds", labels, &p->tick_cpu[r]);
	}
	sc_prom_hist_header(&o, "shadowcast_gpu_pass_seconds",
	                    "GPU time of each compute pass of a sampled tick (Vulkan timestamp queries); the shadow "
	                    "simulates only (no bin, render, seal).");
	for (uint32_t r = 0; r < SC_PROFILE_ROLES; r++)
		for (uint32_t i = 0; i < SC_SAMPLE_PASSES; i++) {
			if (r == 1 && i >= 5)
				break;
			snprintf(labels, sizeof(labels), "pass=\"%s\",role=\"%s\"", pass_names[i], role_names[r]);
			sc_prom_hist_series(&o, "shadowcast_gpu_pass_seconds", labels, &p->gpu_pass[r][i]);
		}
	sc_prom_hist_header(&o, "shadowcast_encode_seconds", "One video frame through the encoder.");
	sc_prom_hist_series(&o, "shadowcast_encode_seconds", "", &p->encode);
	sc_prom_hist_header(&o, "shadowcast_frame_latency_seconds",
	                    "A video frame, its tick's start to encoded (every frame; the exemplar names the tick).");
	sc_prom_hist_series(&o, "shadowcast_frame_latency_seconds", "", &p->frame_latency);
	counter(&o, "shadowcast_encoded_bytes_total", "counter", "Video bytes the encoder produced.");
	sc_prom_put(&o, "shadowcast_encoded_bytes_total %llu\n",
	            (unsigned long long)atomic_load_explicit(&p->encoded_bytes, memory_order_relaxed));
	counter(&o, "shadowcast_samples_read_total", "counter",
	        "Profiling samples the encoder process read from each instance's sample ring.");
	static const char *const inst[SC_SAMPLE_INSTANCES] = {"primary", "shadow0", "shadow1"};
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		sc_prom_put(&o, "shadowcast_samples_read_total{instance_role=\"%s\"} %llu\n", inst[i],
		            (unsigned long long)atomic_load_explicit(&p->samples_read[i], memory_order_relaxed));
	if (p->session) {
		counter(&o, "shadowcast_samples_dropped_total", "counter",
		        "Profiling samples an instance dropped because its sample ring was full.");
		for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
			sc_prom_put(&o, "shadowcast_samples_dropped_total{instance_role=\"%s\"} %llu\n", inst[i],
			            (unsigned long long)atomic_load(&p->session->samples_dropped[i]));
	}
	counter(&o, "shadowcast_samples_bad_total", "counter", "Sample ring records refused as corrupt.");
	sc_prom_put(&o, "shadowcast_samples_bad_total %llu\n",
	            (unsigned long long)atomic_load_explicit(&p->samples_bad, memory_order_relaxed));
	counter(&o, "shadowcast_samples_reread_total", "counter",
	        "Sample ring records read again by a restarted encoder process and skipped: the one killed had stored "
	        "them but not yet freed them.");
	sc_prom_put(&o, "shadowcast_samples_reread_total %llu\n",
	            (unsigned long long)atomic_load_explicit(&p->samples_restored, memory_order_relaxed));
	if (p->n_conds) {
		counter(&o, "shadowcast_condition_hits_total", "counter",
		        "Times a target condition started to hold on the primary's samples (config `condition`).");
		for (uint32_t i = 0; i < p->n_conds; i++)
			sc_prom_put(&o, "shadowcast_condition_hits_total{condition=\"%s\"} %llu\n", p->conds[i].name,
			            (unsigned long long)atomic_load_explicit(&p->cond_hits[i], memory_order_relaxed));
	}
	counter(&o, "shadowcast_events_total", "counter",
	        "Events recorded on the session's event track, by tag (GET /api/v1/events).");
	for (uint32_t i = 0; i < SC_EV_TAGS; i++)
		sc_prom_put(&o, "shadowcast_events_total{tag=\"%s\"} %llu\n", sc_event_tag_names[i],
		            (unsigned long long)atomic_load_explicit(&p->events.by_tag[i], memory_order_relaxed));
	counter(&o, "shadowcast_events_dropped_total", "counter",
	        "Events the event track dropped, oldest first, to stay within --event-retention.");
	sc_prom_put(&o, "shadowcast_events_dropped_total %llu\n",
	            (unsigned long long)atomic_load_explicit(&p->events.dropped, memory_order_relaxed));
	counter(&o, "shadowcast_event_retention", "gauge", "Events the event track keeps (--event-retention).");
	sc_prom_put(&o, "shadowcast_event_retention %u\n", p->events.retention);
	counter(&o, "shadowcast_sample_retention", "gauge",
	        "Samples kept per instance for the debug API (--sample-retention).");
	sc_prom_put(&o, "shadowcast_sample_retention %u\n", p->sample_retention);
	static const char *const window_names[2] = {"shadowcast_samples_outside_window_total",
	                                            "shadowcast_samples_in_window_total"};
	static const char *const window_help[2] = {
		"Samples read but not retained: outside every condition hit's window (--sample-window).",
		"Samples retained because they are within a condition hit's window (--sample-window)."};
	for (uint32_t k = 0; k < 2; k++) {
		counter(&o, window_names[k], "counter", window_help[k]);
		for (uint32_t r = 0; r < SC_PROFILE_ROLES; r++) {
			uint64_t v = 0;
			for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
				if ((i == SC_SAMPLE_PRIMARY) == (r == 0))
					v += k ? atomic_load_explicit(&p->window.retained[i], memory_order_relaxed)
					       : atomic_load_explicit(&p->window.discarded[i], memory_order_relaxed);
			sc_prom_put(&o, "%s{role=\"%s\"} %llu\n", window_names[k], role_names[r], (unsigned long long)v);
		}
	}
	counter(&o, "shadowcast_sample_meta_changes_total", "counter",
	        "The game's metadata records applied (docs/profiling.md Metadata).");
	sc_prom_put(&o, "shadowcast_sample_meta_changes_total %llu\n",
	            (unsigned long long)atomic_load_explicit(&p->meta_changes, memory_order_relaxed));
	counter(&o, "shadowcast_sample_meta_refused_total", "counter",
	        "The game's metadata records refused: a key past the 8 an instance may have.");
	sc_prom_put(&o, "shadowcast_sample_meta_refused_total %llu\n",
	            (unsigned long long)atomic_load_explicit(&p->meta_refused, memory_order_relaxed));
	counter(&o, "shadowcast_profile_store_bytes", "gauge",
	        "Memory of the sample stores and the event track: fixed by the two retentions.");
	sc_prom_put(&o, "shadowcast_profile_store_bytes %zu\n", sc_profile_store_bytes(p));
	counter(&o, "shadowcast_input_depth", "gauge", "Inputs logged but not yet gathered, the primary's last sample.");
	sc_prom_put(&o, "shadowcast_input_depth %u\n", atomic_load_explicit(&p->input_depth, memory_order_relaxed));
	counter(&o, "shadowcast_shadow_lag_ticks", "gauge", "Ticks the running shadow is behind, the primary's last sample.");
	sc_prom_put(&o, "shadowcast_shadow_lag_ticks %u\n", atomic_load_explicit(&p->shadow_lag, memory_order_relaxed));
	return o.overflow && o.used == 0 ? 0 : o.used;
}
