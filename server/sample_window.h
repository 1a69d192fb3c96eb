/* Sampling around conditions (--sample-window BEFORE:AFTER, docs/profiling.md
 * "Sampling around conditions"): every sample is still read (histograms and
 * conditions see them all), but only those of a tick within BEFORE ticks
 * before and AFTER ticks after a condition hit are retained (the sample
 * store, so /api/v1/samples and the feed, and the profile file); the rest
 * are discarded and counted. A sample waits in its instance's pending FIFO
 * until a hit takes it in or it is too old for any later hit's window
 * (BEFORE ticks behind the newest sample). Encode thread only, but for the
 * discard counters (atomic, read by /metrics). */
#ifndef SC_SERVER_SAMPLE_WINDOW_H
#define SC_SERVER_SAMPLE_WINDOW_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "session/sample_ring.h"

#define SC_SAMPLE_WINDOW_BEFORE_MAX 3600u    /* ticks; the pending FIFOs hold BEFORE + 1 samples */
#define SC_SAMPLE_WINDOW_AFTER_MAX 1000000u
#define SC_SAMPLE_WINDOWS 64                 /* the newest hit windows remembered */

struct sc_sample_window {
	bool on;
	uint32_t before, after;
	struct { uint32_t lo, hi; } win[SC_SAMPLE_WINDOWS];
	uint32_t n_win, next_win;
	struct sc_window_pending {
		struct sc_sample s;
		uint32_t tag; /* the caller's, given back with it (the metadata version in force) */
		uint64_t pos; /* the caller's too: the sample ring's position after its record */
	} *pending[SC_SAMPLE_INSTANCES];            /* FIFO of cap samples each */
	uint32_t cap;
	uint64_t head[SC_SAMPLE_INSTANCES], tail[SC_SAMPLE_INSTANCES];
	_Atomic uint64_t discarded[SC_SAMPLE_INSTANCES];
	_Atomic uint64_t retained[SC_SAMPLE_INSTANCES];
};

/* Turns the mode on (before <= SC_SAMPLE_WINDOW_BEFORE_MAX, after <=
 * SC_SAMPLE_WINDOW_AFTER_MAX, clamped). false: no memory (then off). */
bool sc_sample_window_init(struct sc_sample_window *w, uint32_t before, uint32_t after);
void sc_sample_window_finish(struct sc_sample_window *w);

/* A condition hit at tick: retain BEFORE..AFTER around it. */
void sc_sample_window_hit(struct sc_sample_window *w, uint32_t tick);

/* After a hit: keep(ud, x) for every waiting sample now in a window, oldest
 * first (the waiting ones older than the newest kept that are in no window
 * are discarded: kept samples stay in order), not only when that instance's
 * next sample comes (a shadow that pauses after a hit takes no more). */
void sc_sample_window_flush(struct sc_sample_window *w,
                            void (*keep)(void *ud, const struct sc_sample *x, uint32_t tag, uint64_t pos), void *ud);

/* The next sample read (after its conditions were evaluated): keep(ud, x) is
 * called for every sample retained now, in the order they were taken (older
 * pending ones first, then s if it is retained at once), with the tag and
 * the position it was taken with. */
void sc_sample_window_take(struct sc_sample_window *w, const struct sc_sample *s, uint32_t tag, uint64_t pos,
                           void (*keep)(void *ud, const struct sc_sample *x, uint32_t tag, uint64_t pos), void *ud);

#endif
