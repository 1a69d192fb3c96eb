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

/* ticks between two repeats of every metadata key (an encoder restart) */
#define SC_SAMPLE_META_REPEAT 600u

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
	uint32_t tick;              /* the current tick (sampled or not) */
	/* the game's metadata (sc_sample_meta_set): each key's value, dirty
	 * until its record is in the ring */
	struct {
		struct sc_sample_meta rec;
		bool dirty;
	} meta[SC_SAMPLE_META_KEYS];
	uint32_t n_meta;
	uint64_t meta_dropped;      /* records that found the ring full (written again later) */
};

/* ring NULL or every 0: off (begin/result/end then cost a branch each). */
void sc_sample_writer_init(struct sc_sample_writer *w, struct sc_spsc_ring *ring, uint16_t instance,
                           uint32_t every, _Atomic uint64_t *written, _Atomic uint64_t *dropped);

/* The game's profiling metadata (docs/profiling.md "Metadata"): key gets
 * value from the current tick on (the tick begun last; its sample and every
 * later one show it, until it is set again). key: 1..SC_SAMPLE_META_KEY_MAX
 * bytes of [A-Za-z0-9_.-]; value: 0..SC_SAMPLE_META_VALUE_MAX bytes of
 * printable ASCII; at most SC_SAMPLE_META_KEYS keys. Never waits: the
 * record goes to the sample ring now, or, when it is full, at the next
 * tick's begin (stamped with the tick it was set at). Setting the value a
 * key has already writes nothing; every SC_SAMPLE_META_REPEAT ticks every
 * key is written again (the reader ignores a value it has). false: a bad key or value, a key too
 * many, or sampling off. */
bool sc_sample_meta_set(struct sc_sample_writer *w, const char *key, const char *value);

/* The tick `tick` starts at start_ns (CLOCK_MONOTONIC). */
void sc_sample_begin(struct sc_sample_writer *w, uint32_t tick, uint64_t start_ns);
/* The tick's GPU times and context, once it succeeded. */
void sc_sample_result(struct sc_sample_writer *w, const struct sc_tick_result *res, uint32_t n_inputs,
                      uint32_t particles, bool rendered);
/* The tick ended at end_ns: completes the sample and writes it (if this tick
 * is sampled and sc_sample_result was called). True when one was written. */
bool sc_sample_end(struct sc_sample_writer *w, uint64_t end_ns, uint32_t input_depth, uint32_t shadow_lag);

#endif
