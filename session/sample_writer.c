#include "session/sample_writer.h"

#include <string.h>
#include <time.h>

#include "session/sample_ring.h"
#include "util/log.h"

_Static_assert(SC_SAMPLE_PASSES == SC_GAME_PASSES, "a sample holds every pass the game times");

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t clamp_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void sc_sample_writer_init(struct sc_sample_writer *w, struct sc_spsc_ring *ring, uint16_t instance,
                           uint32_t every, _Atomic uint64_t *written, _Atomic uint64_t *dropped)
{
	*w = (struct sc_sample_writer){.ring = ring, .every = ring ? every : 0, .instance = instance,
	                               .written = written, .dropped = dropped};
}

static void meta_flush(struct sc_sample_writer *w)
{
	for (uint32_t i = 0; i < w->n_meta; i++) {
		if (!w->meta[i].dirty)
			continue;
		if (sc_sample_meta_ring_write(w->ring, &w->meta[i].rec) != SC_RING_SUCCESS) {
			w->meta_dropped++;
			return; /* full: the rest next time, in order */
		}
		w->meta[i].dirty = false;
	}
}

bool sc_sample_meta_set(struct sc_sample_writer *w, const char *key, const char *value)
{
	if (!w->ring || !w->every || !sc_sample_meta_key_ok(key) || !sc_sample_meta_value_ok(value))
		return false;
	uint32_t i = 0;
	while (i < w->n_meta && strcmp(w->meta[i].rec.key, key) != 0)
		i++;
	if (i == w->n_meta) {
		if (w->n_meta == SC_SAMPLE_META_KEYS)
			return false;
		memset(&w->meta[i].rec, 0, sizeof(w->meta[i].rec));
		w->meta[i].rec.key_len = (uint8_t)strlen(key);
		memcpy(w->meta[i].rec.key, key, w->meta[i].rec.key_len);
		w->meta[i].rec.instance = w->instance;
		w->meta[i].rec.value_len = UINT8_MAX; /* differs from any value: written */
		w->n_meta++;
	}
	struct sc_sample_meta *m = &w->meta[i].rec;
	size_t n = strlen(value);
	if (m->value_len == n && memcmp(m->value, value, n) == 0)
		return true;
	memset(m->value, 0, sizeof(m->value));
	memcpy(m->value, value, n);
	m->value_len = (uint8_t)n;
	m->tick = w->tick;
	w->meta[i].dirty = true;
	meta_flush(w);
	return true;
}

void sc_sample_begin(struct sc_sample_writer *w, uint32_t tick, uint64_t start_ns)
{
	w->tick = tick;
	/* now and then every key again: an encoder process that restarted (and
	 * lost what it knew) has them back within SC_SAMPLE_META_REPEAT ticks */
	if (tick % SC_SAMPLE_META_REPEAT == 0)
		for (uint32_t i = 0; i < w->n_meta; i++)
			w->meta[i].dirty = true;
	if (w->ring)
		meta_flush(w);
	w->due = sc_sample_due(w->every, tick);
	w->have_result = false;
	if (w->due) {
		w->cur = (struct sc_sample){.tick = tick, .instance = w->instance, .tick_start_ns = start_ns,
		                            .sample_every = w->every};
		w->cur.frame_ns = w->prev_start_ns ? clamp_u32(start_ns - w->prev_start_ns) : 0;
		w->cpu0_ns = thread_cpu_ns();
	}
	w->prev_start_ns = start_ns;
}

void sc_sample_result(struct sc_sample_writer *w, const struct sc_tick_result *res, uint32_t n_inputs,
                      uint32_t particles, bool rendered)
{
	if (!w->due)
		return;
	struct sc_sample *s = &w->cur;
	if (res->tick != s->tick) {
		w->due = false; /* not the tick begun: no sample rather than a wrong one */
		return;
	}
	memcpy(s->gpu_pass_ns, res->pass_ns, sizeof(s->gpu_pass_ns));
	s->gpu_total_ns = clamp_u32((uint64_t)(res->gpu_ms * 1e6));
	s->gpu_begin_host_ns = res->gpu_begin_host_ns;
	s->flags = (uint16_t)((rendered ? SC_SAMPLE_RENDERED : 0) | (res->gpu_begin_host_ns ? SC_SAMPLE_GPU_CALIBRATED : 0));
	s->score0 = res->state.hdr.score0;
	s->score1 = res->state.hdr.score1;
	s->players = res->state.hdr.n_players;
	s->particles = particles;
	s->n_inputs = n_inputs;
	w->have_result = true;
}

bool sc_sample_end(struct sc_sample_writer *w, uint64_t end_ns, uint32_t input_depth, uint32_t shadow_lag)
{
	struct sc_sample *s = &w->cur;
	if (!w->due || !w->have_result)
		return false;
	w->due = false;
	uint64_t cpu1 = thread_cpu_ns();
	s->cpu_ns = cpu1 > w->cpu0_ns ? clamp_u32(cpu1 - w->cpu0_ns) : 0;
	s->wall_ns = end_ns > s->tick_start_ns ? clamp_u32(end_ns - s->tick_start_ns) : 0;
	s->input_depth = input_depth;
	s->shadow_lag = shadow_lag;
	enum sc_ring_result r = sc_sample_ring_write(w->ring, s);
	if (r == SC_RING_SUCCESS) {
		if (w->written)
			atomic_fetch_add_explicit(w->written, 1, memory_order_relaxed);
		if (w->full)
			sc_info("samples: ring writable again at tick %u", s->tick);
		w->full = false;
		return true;
	}
	if (w->dropped)
		atomic_fetch_add_explicit(w->dropped, 1, memory_order_relaxed);
	if (!w->full)
		sc_warn("samples: tick %u's sample dropped: %s (nobody is reading the sample ring); counted until it drains",
		        s->tick, sc_ring_result_str(r));
	w->full = true;
	return false;
}
