#ifndef SC_UTIL_STATS_H
#define SC_UTIL_STATS_H
#include <stddef.h>

/* Percentile (0..100) of n samples; sorts the array in place. Returns 0 for n == 0. */
double sc_percentile(double *samples, size_t n, double pct);

#endif
