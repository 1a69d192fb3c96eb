/* Opus encoding of the game's sound for the encoder process: 48 kHz s16
 * chunks of any length in (one per game tick), fixed-length Opus packets out
 * (10 or 20 ms, OPUS_APPLICATION_RESTRICTED_LOWDELAY, CBR), each tagged with
 * the tick, capture time and sample position of its first sample.
 *
 * Chunks must follow each other (pos = previous pos + previous length); one
 * that does not (ticks lost to a full ring, a new primary, a restored match)
 * starts the stream afresh: the partial packet is dropped and the encoder's
 * state reset, counted in `discontinuities`.
 *
 * Usage: sc_audio_encoder_create(), sc_audio_encoder_push() per chunk (which
 * calls the packet callback for every packet the chunk completes),
 * sc_audio_encoder_destroy(). Not thread-safe: one thread per encoder. */
#ifndef SC_NET_ENCODER_AUDIO_OPUS_H
#define SC_NET_ENCODER_AUDIO_OPUS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_AUDIO_OPUS_RATE 48000
#define SC_AUDIO_OPUS_MAX_PACKET 1276 /* the largest Opus frame */

struct sc_audio_encoder_config {
	uint32_t channels;     /* 1 or 2 (interleaved) */
	uint32_t frame_ms;     /* 10 or 20 */
	uint32_t bitrate_bps;  /* 6000..510000 */
};

/* Where a packet's first sample came from. */
struct sc_audio_packet_meta {
	uint32_t tick;        /* game tick of the packet's first sample */
	uint64_t sample_pos;  /* its position in the game's sample stream (tick 0 = 0) */
	uint64_t capture_ns;  /* capture time of that tick (CLOCK_MONOTONIC) */
	uint32_t samples;     /* per channel: 480 or 960 */
	uint64_t packet_number; /* 1, 2, ... over the encoder's life */
};

typedef void (*sc_audio_packet_fn)(void *ud, const struct sc_audio_packet_meta *meta, const uint8_t *data,
                                   size_t len);

struct sc_audio_encoder;

/* NULL (logged) on a bad configuration or if libopus refuses it. */
struct sc_audio_encoder *sc_audio_encoder_create(const struct sc_audio_encoder_config *cfg);
void sc_audio_encoder_destroy(struct sc_audio_encoder *enc); /* NULL ok */

/* Appends one chunk (n samples per channel, interleaved) that starts at
 * sample position pos of tick `tick`, captured at capture_ns; calls fn for
 * each packet completed. False on an encoder error (the packet is lost,
 * counted in `errors`). */
bool sc_audio_encoder_push(struct sc_audio_encoder *enc, const int16_t *pcm, uint32_t n, uint64_t pos,
                           uint32_t tick, uint64_t capture_ns, sc_audio_packet_fn fn, void *ud);

/* The decoder's delay in samples (OPUS_GET_LOOKAHEAD): decoded sample k is
 * input sample k - lookahead. */
uint32_t sc_audio_encoder_lookahead(const struct sc_audio_encoder *enc);

struct sc_audio_encoder_stats {
	uint64_t packets, bytes, samples_in, discontinuities, errors;
};
void sc_audio_encoder_stats(const struct sc_audio_encoder *enc, struct sc_audio_encoder_stats *out);

#endif
