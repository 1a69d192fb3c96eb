#include "server/profile_metrics.h"

#include <stdio.h>
#include <string.h>

#include "session/session.h"

static const char *const pass_names[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;
static const char *const role_names[SC_PROFILE_ROLES] = {"primary", "shadow"};

void sc_profile_init(struct sc_profile *p, struct sc_arena *arena, struct sc_session_shm *session)
{
	memset(p, 0, sizeof(*p));
	p->session = session;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		p->have[i] = arena && sc_sample_ring_attach(arena, i, &p->rings[i]);
}

void sc_profile_add(struct sc_profile *p, const struct sc_sample *s)
{
	uint32_t role = s->instance == SC_SAMPLE_PRIMARY ? 0 : 1;
	if (role == 0) {
		if (s->frame_ns)
			sc_hist_observe(&p->frame_time, s->frame_ns);
		atomic_store_explicit(&p->input_depth, s->input_depth, memory_order_relaxed);
		atomic_store_explicit(&p->shadow_lag, s->shadow_lag, memory_order_relaxed);
		atomic_store_explicit(&p->last_tick, s->tick, memory_order_relaxed);
	}
	sc_hist_observe(&p->tick_wall[role], s->wall_ns);
	sc_hist_observe(&p->tick_cpu[role], s->cpu_ns);
	for (uint32_t i = 0; i < SC_SAMPLE_PASSES; i++) {
		/* a simulate-only tick has no frame passes: not observed as 0 */
		if (i >= 5 && !(s->flags & SC_SAMPLE_RENDERED))
			break;
		sc_hist_observe(&p->gpu_pass[role][i], s->gpu_pass_ns[i]);
	}
	if (s->instance < SC_SAMPLE_INSTANCES)
		atomic_fetch_add_explicit(&p->samples_read[s->instance], 1, memory_order_relaxed);
}

size_t sc_profile_drain(struct sc_profile *p, size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		if (!p->have[i])
			continue;
		for (size_t k = 0; k < max; k++) {
			struct sc_sample s;
			enum sc_ring_result r = sc_sample_ring_read(&p->rings[i], &s);
			if (r == SC_RING_EMPTY)
				break;
			if (r != SC_RING_SUCCESS || s.instance != i) {
				atomic_fetch_add_explicit(&p->samples_bad, 1, memory_order_relaxed);
				continue;
			}
			sc_profile_add(p, &s);
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

static void counter(struct sc_prom_out *o, const char *name, const char *type, const char *help)
{
	sc_prom_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

size_t sc_profile_metrics_text(const struct sc_profile *p, char *buf, size_t len)
{
	struct sc_prom_out o = {.buf = buf, .len = len};
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
	counter(&o, "shadowcast_input_depth", "gauge", "Inputs logged but not yet gathered, the primary's last sample.");
	sc_prom_put(&o, "shadowcast_input_depth %u\n", atomic_load_explicit(&p->input_depth, memory_order_relaxed));
	counter(&o, "shadowcast_shadow_lag_ticks", "gauge", "Ticks the running shadow is behind, the primary's last sample.");
	sc_prom_put(&o, "shadowcast_shadow_lag_ticks %u\n", atomic_load_explicit(&p->shadow_lag, memory_order_relaxed));
	return o.overflow && o.used == 0 ? 0 : o.used;
}
