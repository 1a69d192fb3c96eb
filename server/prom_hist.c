#include "server/prom_hist.h"

#include <stdarg.h>
#include <stdio.h>

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

void sc_prom_put(struct sc_prom_out *o, const char *fmt, ...)
{
	if (o->overflow || o->used + 1 >= o->len) {
		o->overflow = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
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
		if (i < SC_HIST_BOUNDS)
			sc_prom_put(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
			            (double)sc_hist_bounds_ns[i] / 1e9, (unsigned long long)cum);
		else
			sc_prom_put(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cum);
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
