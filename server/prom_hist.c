#include "server/prom_hist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const uint64_t sc_hist_bounds_ns[SC_HIST_BOUNDS] = {
	50000ull,    100000ull,   250000ull,   500000ull,    1000000ull,   2000000ull,   4000000ull,    8000000ull,
	16000000ull, 33000000ull, 66000000ull, 100000000ull, 250000000ull, 500000000ull, 1000000000ull,
};

void sc_hist_observe(struct sc_hist *h, uint64_t ns)
{
	uint32_t i = 0;
	while (i < SC_HIST_BOUNDS && ns > sc_hist_bounds_ns[i]) /* le: an observation equal to a bound is in it */
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void sc_hist_observe_tick(struct sc_hist *h, uint64_t ns, uint32_t tick)
{
	uint32_t i = 0;
	while (i < SC_HIST_BOUNDS && ns > sc_hist_bounds_ns[i])
		i++;
	/* rounded up to whole us: still within (bound below, bound] (the bounds are whole us) */
	uint64_t us = (ns + 999) / 1000;
	if (us > UINT32_MAX - 1)
		us = UINT32_MAX - 1;
	atomic_store_explicit(&h->exemplar[i], (uint64_t)tick << 32 | (us + 1), memory_order_relaxed);
	sc_hist_observe(h, ns);
}

/* Room for need more bytes and the NUL; false: it stops (overflow). */
static bool make_room(struct sc_prom_out *o, size_t need)
{
	if (o->used + need + 1 <= o->len)
		return true;
	if (!o->grow)
		return false;
	size_t cap = o->len ? o->len : 4096;
	while (cap < o->used + need + 1)
		cap *= 2;
	if (o->max && cap > o->max)
		cap = o->max;
	if (cap < o->used + need + 1)
		return false;
	char *b = realloc(o->buf, cap);
	if (!b)
		return false;
	o->buf = b;
	o->len = cap;
	return true;
}

void sc_prom_put(struct sc_prom_out *o, const char *fmt, ...)
{
	if (o->overflow || !make_room(o, 0)) {
		o->overflow = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= o->len - o->used && make_room(o, (size_t)n)) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
		va_end(ap);
	}
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->overflow = true;
		o->buf[o->used] = '\0'; /* no half line */
		return;
	}
	o->used += (size_t)n;
}

void sc_prom_hist_header(struct sc_prom_out *o, const char *name, const char *help)
{
	sc_prom_put(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
}

void sc_prom_hist_series(struct sc_prom_out *o, const char *name, const char *labels, const struct sc_hist *h)
{
	const char *sep = labels[0] ? "," : "";
	uint64_t cum = 0;
	for (uint32_t i = 0; i <= SC_HIST_BOUNDS; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		char le[32], ex_text[64] = "";
		if (i < SC_HIST_BOUNDS)
			snprintf(le, sizeof(le), "%g", (double)sc_hist_bounds_ns[i] / 1e9);
		else
			snprintf(le, sizeof(le), "+Inf");
		uint64_t ex = atomic_load_explicit(&h->exemplar[i], memory_order_relaxed);
		if (o->openmetrics && ex)
			snprintf(ex_text, sizeof(ex_text), " # {tick=\"%u\"} %.6f", (uint32_t)(ex >> 32),
			         (double)((ex & 0xffffffffu) - 1) / 1e6);
		sc_prom_put(o, "%s_bucket{%s%sle=\"%s\"} %llu%s\n", name, labels, sep, le, (unsigned long long)cum, ex_text);
	}
	double sum = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
	if (labels[0]) {
		sc_prom_put(o, "%s_sum{%s} %.9f\n", name, labels, sum);
		sc_prom_put(o, "%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
	} else {
		sc_prom_put(o, "%s_sum %.9f\n", name, sum);
		sc_prom_put(o, "%s_count %llu\n", name, (unsigned long long)cum);
	}
}
