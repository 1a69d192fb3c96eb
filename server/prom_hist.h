/* A Prometheus histogram with fixed buckets, filled by one thread and read
 * by another (every word atomic, relaxed: a scrape may see an observation
 * in the buckets before the sum, never a count that disagrees with its
 * buckets: _count is the +Inf bucket of the same read). Text format 0.0.4:
 * cumulative _bucket{le="..."} lines ending with le="+Inf", then _sum and
 * _count, values in seconds. */
#ifndef SC_SERVER_PROM_HIST_H
#define SC_SERVER_PROM_HIST_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_HIST_BOUNDS 15 /* finite upper bounds; one more bucket for +Inf */

struct sc_hist {
	_Atomic uint64_t bucket[SC_HIST_BOUNDS + 1]; /* not cumulative; [SC_HIST_BOUNDS] = above the last bound */
	_Atomic uint64_t sum_ns;
	/* the last observation of each bucket that named its tick (an OpenMetrics
	 * exemplar): tick << 32 | (value in us, rounded up, + 1); 0 = none */
	_Atomic uint64_t exemplar[SC_HIST_BOUNDS + 1];
};

/* The finite bucket bounds, in ns, ascending (50 us .. 1 s). */
extern const uint64_t sc_hist_bounds_ns[SC_HIST_BOUNDS];

void sc_hist_observe(struct sc_hist *h, uint64_t ns);
/* The same, and the observation becomes its bucket's exemplar naming tick. */
void sc_hist_observe_tick(struct sc_hist *h, uint64_t ns, uint32_t tick);

/* A text buffer that stops (overflow) instead of truncating a line. With
 * grow, buf is malloc'd and doubles (up to max, 0 = no limit) instead. */
struct sc_prom_out {
	char *buf;
	size_t len, used;
	bool overflow;
	bool grow;
	size_t max;
	bool openmetrics; /* histograms: exemplars after their buckets (OpenMetrics only) */
};
void sc_prom_put(struct sc_prom_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "# HELP" and "# TYPE NAME histogram" lines (once per metric family). */
void sc_prom_hist_header(struct sc_prom_out *o, const char *name, const char *help);
/* One histogram's series; labels: "" or `pass="particles",role="primary"`
 * (already escaped). With o->openmetrics, a bucket with an exemplar ends in
 * ` # {tick="T"} VALUE` (the OpenMetrics exemplar; the 0.0.4 text has none). */
void sc_prom_hist_series(struct sc_prom_out *o, const char *name, const char *labels, const struct sc_hist *h);

#endif
