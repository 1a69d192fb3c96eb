/* How long the GPU has had to finish a submission, counted only while this
 * process ran.
 *
 * A fence wait is cut into short slices. A slice that took far longer than
 * asked means this process was not running (SIGSTOP, a debugger, a starved
 * core); on lavapipe the "GPU" is this process's own threads and stops with
 * it, and on any device the process could not have judged the GPU meanwhile.
 * Such a slice counts as two slices only, so a shadow stopped for a minute is
 * never called hung for it, while a GPU that does not finish while the process
 * runs is still called hung after about the bound. Pure: the caller passes the
 * clock, which the unit test drives. */
#ifndef SC_GPU_HANG_CLOCK_H
#define SC_GPU_HANG_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

struct sc_hang_clock {
	uint64_t bound_ns;   /* the hang bound */
	uint64_t slice_ns;   /* one wait slice */
	uint64_t counted_ns; /* time counted against the bound so far */
	uint64_t last_ns;    /* the clock when the last slice ended */
};

void sc_hang_clock_start(struct sc_hang_clock *c, uint64_t bound_ns, uint64_t slice_ns, uint64_t now_ns);

/* The next slice to wait for: never past the bound. */
uint64_t sc_hang_clock_next_slice(const struct sc_hang_clock *c);

/* A slice ended at now_ns without the fence: counts it; true once the bound
 * is used up (the GPU is hung). */
bool sc_hang_clock_expired(struct sc_hang_clock *c, uint64_t now_ns);

#endif
