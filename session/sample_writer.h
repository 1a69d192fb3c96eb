/* An instance's side of its sample ring (session/shm/sample.h): every tick
 * begin/end, and in between the tick's result; a sampled tick's record goes
 * to the ring at end, never waiting (a full ring drops it, counted in the
 * session block, logged once per episode). Used by the primary, the shadow
 * and `bench profile`. */
#ifndef SC_SESSION_SAMPLE_WRITER_H
#define SC_SESSION_SAMPLE_WRITER_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gpu/game.h"
#include "net/shm/spsc_ring.h"
#include "session/shm/sample.h"

struct sc_sample_writer {
	struct sc_spsc_ring *ring;  /* NULL: sampling off */
	uint32_t every;             /* 0 = off */
	uint16_t instance;          /* enum sc_sample_instance */
	bool due;                   /* the current tick is sampled */
	bool have_result;           /* sc_sample_result filled it */
	bool full;                  /* the last write found the ring full */
	uint64_t prev_start_ns;     /* the previous tick's start (frame time) */
	uint64_t cpu0_ns;           /* thread CPU time at the sampled tick's start */
	_Atomic uint64_t *written, *dropped; /* counters (the session block's, or the caller's) */
	struct sc_sample cur;
};

/* ring NULL or every 0: off (begin/result/end then cost a branch each). */
void sc_sample_writer_init(struct sc_sample_writer *w, struct sc_spsc_ring *ring, uint16_t instance,
                           uint32_t every, _Atomic uint64_t *written, _Atomic uint64_t *dropped);

/* The tick `tick` starts at start_ns (CLOCK_MONOTONIC). */
void sc_sample_begin(struct sc_sample_writer *w, uint32_t tick, uint64_t start_ns);
/* The tick's GPU times and context, once it succeeded. */
void sc_sample_result(struct sc_sample_writer *w, const struct sc_tick_result *res, uint32_t n_inputs,
                      uint32_t particles, bool rendered);
/* The tick ended at end_ns: completes the sample and writes it (if this tick
 * is sampled and sc_sample_result was called). True when one was written. */
bool sc_sample_end(struct sc_sample_writer *w, uint64_t end_ns, uint32_t input_depth, uint32_t shadow_lag);

#endif
