/* The encoder process's audio: the game's sound from the audio ring
 * (session/shm/audio_ring.h), Opus-encoded (net/encoder/audio_opus.h) and
 * published to the clients that asked for it, in step with the video: before
 * the video frame of tick T goes out, every tick's sound up to T is read and
 * every Opus packet it completes is published (a packet's first sample is
 * never of a tick later than the frame that follows it). Encode thread only. */
#ifndef SC_SERVER_ENCODER_AUDIO_H
#define SC_SERVER_ENCODER_AUDIO_H
#include <stdbool.h>
#include <stdint.h>

#include "net/encoder/audio_opus.h"
#include "net/shm/arena.h"
#include "net/shm/spsc_ring.h"
#include "net/ws/ws_server.h"
#include "session/audio_ring.h"
#include "session/session.h"

#define SC_ENCODER_AUDIO_FRAME_MS 20
/* after a resync, sound this many ticks older than the frame is still sent */
#define SC_ENCODER_AUDIO_RESYNC_TICKS 2

struct sc_encoder_audio {
	struct sc_spsc_ring ring;
	struct sc_audio_encoder *enc;
	struct sc_ws_server *ws;
	struct sc_session_shm *session;
	uint8_t *buf;          /* one record */
	uint32_t buf_len;
	bool have_pending;     /* a record read but of a tick later than the last frame */
	struct sc_audio_record pending;
	uint64_t generation;   /* frame generation (primary) the records follow */
	bool resync;           /* a new primary or encoder: the ring may hold stale ticks */
	uint64_t stale_dropped, corrupt;
};

/* Attaches to the ring and creates the Opus encoder (bitrate in bit/s).
 * False (logged) when either fails: run without audio then. */
bool sc_encoder_audio_init(struct sc_encoder_audio *a, struct sc_arena *arena, struct sc_session_shm *session,
                           uint32_t bitrate_bps);
void sc_encoder_audio_finish(struct sc_encoder_audio *a);
/* The server to publish to (set once it exists). */
void sc_encoder_audio_set_server(struct sc_encoder_audio *a, struct sc_ws_server *ws);
/* What `hello` announces. */
void sc_encoder_audio_info(const struct sc_encoder_audio *a, struct sc_ws_audio_info *out);

/* Before the video frame of `tick` (of frame generation `generation`) is
 * published: encodes and publishes the sound of every tick up to it. */
void sc_encoder_audio_dispatch(struct sc_encoder_audio *a, uint32_t tick, uint64_t generation);

#endif
