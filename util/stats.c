#include "util/stats.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double sc_percentile(double *samples, size_t n, double pct)
{
	if (n == 0)
		return 0.0;
	qsort(samples, n, sizeof(*samples), cmp_double);
	/* nearest-rank: smallest sample with at least pct% of samples at or below it */
	size_t rank = (size_t)((pct / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return samples[rank - 1];
}
