/* The audio ring: the game's sound, primary -> encoder process, one record
 * per tick (block SC_AUDIO_RING_BLOCK, an sc_spsc_ring, net/shm/spsc_ring.h;
 * layout version SC_SESSION_LAYOUT_VERSION). One ring per message type: this
 * one carries only SC_MSG_AUDIO.
 *
 * Record (ring type SC_MSG_AUDIO): struct sc_msg_header (net/shm/msg_header.h:
 * type SC_MSG_AUDIO, timestamp_ns = the tick's capture time, the same as its
 * frame slot's capture_ns; seq = the tick; payload_len = the bytes after the
 * header), then struct sc_audio_chunk, then n_samples * channels s16 samples.
 *
 * Owners: the supervisor creates and formats the ring once (it outlives every
 * child). The primary is the only producer: after each tick it published, it
 * writes that tick's record, never waits (a full ring drops the tick's sound,
 * counted in audio_ticks_dropped of the session block, and the encoder sees
 * the gap in sample positions). The encoder process is the only consumer; it
 * encodes a tick's sound when it sends the video frame of that tick or of a
 * later one (server/encoder_audio.c). A restarted primary or encoder attaches
 * to the ring as it is: head and tail live in the ring, a record is visible
 * only once its tail release is done, so a producer killed mid-record leaves
 * nothing half-written. */
#ifndef SC_SESSION_SHM_AUDIO_RING_H
#define SC_SESSION_SHM_AUDIO_RING_H
#include <stddef.h>
#include <stdint.h>

#include "net/shm/msg_header.h"

#define SC_AUDIO_RING_BLOCK "audio-ring"
#define SC_AUDIO_RING_CAPACITY (256u * 1024) /* data bytes: ~2.6 s of 60 Hz ticks */

#define SC_AUDIO_FORMAT_S16 1u

struct sc_audio_chunk {
	uint32_t tick;          /* the tick whose sound this is */
	uint32_t n_samples;     /* per channel */
	uint64_t sample_pos;    /* position of its first sample (tick 0's first = 0) */
	uint32_t sample_rate;   /* 48000 */
	uint16_t channels;      /* 1 */
	uint16_t format;        /* SC_AUDIO_FORMAT_S16 */
	uint32_t audio_hash;    /* the game's hash of this PCM (struct sc_game_audio.hash) */
	uint32_t reserved;
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_audio_chunk) == 32, "sc_audio_chunk layout");
_Static_assert(offsetof(struct sc_audio_chunk, sample_pos) == 8, "sc_audio_chunk layout");
_Static_assert(offsetof(struct sc_audio_chunk, sample_rate) == 16, "sc_audio_chunk layout");
_Static_assert(offsetof(struct sc_audio_chunk, audio_hash) == 24, "sc_audio_chunk layout");

#endif
