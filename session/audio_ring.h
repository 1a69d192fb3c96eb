/* The audio ring (session/shm/audio_ring.h): creating it (supervisor),
 * attaching to it (primary, encoder process), writing a tick's sound
 * (primary) and reading it back checked (encoder process). */
#ifndef SC_SESSION_AUDIO_RING_H
#define SC_SESSION_AUDIO_RING_H
#include <stdbool.h>
#include <stdint.h>

#include "net/shm/arena.h"
#include "net/shm/spsc_ring.h"
#include "session/shm/audio_ring.h"

/* Supervisor: creates the block and formats an empty ring in it. */
bool sc_audio_ring_create(struct sc_arena *arena, struct sc_spsc_ring *ring);
/* Children: attaches to the ring the supervisor made (false, logged, if absent). */
bool sc_audio_ring_attach(struct sc_arena *arena, struct sc_spsc_ring *ring);

/* Primary: one record (header, chunk, n_samples * channels samples); never
 * waits: SC_RING_FULL when there is no room now. */
enum sc_ring_result sc_audio_ring_write(struct sc_spsc_ring *ring, const struct sc_audio_chunk *chunk,
                                        const int16_t *pcm, uint64_t capture_ns);

/* A record read back: views into the caller's buffer. */
struct sc_audio_record {
	struct sc_msg_header hdr;
	struct sc_audio_chunk chunk;
	const int16_t *pcm;
};

/* Encoder: the next record into buf (cap bytes, 8-byte aligned), checked:
 * SC_RING_EMPTY when none, SC_RING_CORRUPT (counted in the ring) for a record
 * whose header, chunk and length disagree, else what sc_spsc_ring_read_one says. */
enum sc_ring_result sc_audio_ring_read(struct sc_spsc_ring *ring, void *buf, uint32_t cap,
                                       struct sc_audio_record *out);

#endif
