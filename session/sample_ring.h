/* The sample rings (session/shm/sample.h): creating them (supervisor),
 * attaching (an instance to its own, the encoder process to all three),
 * writing a sample (instances, never waiting) and reading it back checked
 * (encoder process). */
#ifndef SC_SESSION_SAMPLE_RING_H
#define SC_SESSION_SAMPLE_RING_H
#include <stdbool.h>
#include <stdint.h>

#include "net/shm/arena.h"
#include "net/shm/spsc_ring.h"
#include "session/shm/sample.h"

#define SC_SAMPLE_INSTANCES 3 /* enum sc_sample_instance */

/* The block of an instance's ring (NULL if out of range). */
const char *sc_sample_ring_block(uint32_t instance);

/* Supervisor: creates the three blocks and formats empty rings in them. */
bool sc_sample_rings_create(struct sc_arena *arena);
/* Attaches to the ring of `instance` (false, logged, if absent). */
bool sc_sample_ring_attach(struct sc_arena *arena, uint32_t instance, struct sc_spsc_ring *ring);

/* Producer: one record (header + sample); never waits: SC_RING_FULL when
 * there is no room now (the caller counts the drop). */
enum sc_ring_result sc_sample_ring_write(struct sc_spsc_ring *ring, const struct sc_sample *s);

/* Consumer: the next sample, checked: SC_RING_EMPTY when none,
 * SC_RING_CORRUPT (counted in the ring) when header, type and length
 * disagree, else what sc_spsc_ring_read_one says. */
enum sc_ring_result sc_sample_ring_read(struct sc_spsc_ring *ring, struct sc_sample *out);

/* Producer: one metadata record (never waits, like a sample). */
enum sc_ring_result sc_sample_meta_ring_write(struct sc_spsc_ring *ring, const struct sc_sample_meta *m);

/* Consumer: the next record, a sample (*kind = SC_MSG_SAMPLE, into *s) or a
 * metadata change (SC_MSG_SAMPLE_META, into *m, checked with
 * sc_sample_meta_valid), both checked as sc_sample_ring_read checks a
 * sample; SC_RING_CORRUPT (counted) for anything else. */
enum sc_ring_result sc_sample_ring_read_rec(struct sc_spsc_ring *ring, struct sc_sample *s, struct sc_sample_meta *m,
                                            uint32_t *kind);

/* The same, two-part: on SC_RING_SUCCESS the record stays in the ring until
 * sc_spsc_ring_release_to(ring, *next) (net/shm/spsc_ring.h); a bad record
 * is freed as read_rec frees it. */
enum sc_ring_result sc_sample_ring_peek_rec(struct sc_spsc_ring *ring, struct sc_sample *s, struct sc_sample_meta *m,
                                            uint32_t *kind, uint64_t *next);

/* A metadata record's fields in range: instance, key and value lengths and
 * characters, zero padding (so key and value are C strings). */
bool sc_sample_meta_valid(const struct sc_sample_meta *m);
/* The same checks on a key and a value to be set (C strings). */
bool sc_sample_meta_key_ok(const char *key);
bool sc_sample_meta_value_ok(const char *value);

/* True when instance `i` samples tick `tick` with period `every` (0 = off). */
static inline bool sc_sample_due(uint32_t every, uint32_t tick)
{
	return every != 0 && tick % every == 0;
}

#endif
