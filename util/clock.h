#ifndef SC_UTIL_CLOCK_H
#define SC_UTIL_CLOCK_H
#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds: the one time base for timestamps across processes. */
static inline uint64_t sc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif
