/* The game's sound (shaders/audio.comp): C mirror of the GPU block that holds
 * the synthesis state (shaders/audio_common.glsl, std430), and the rule that
 * says how many samples each tick makes.
 *
 * 48 kHz mono s16. Tick t covers samples [sc_audio_tick_pos(t, fps),
 * sc_audio_tick_pos(t + 1, fps)): 48000 / fps samples when fps divides 48000
 * (800 at 60 Hz); otherwise the count varies by one from tick to tick (e.g.
 * 333 or 334 at 144 Hz) so that the stream stays at exactly 48000 samples a
 * second and a tick's samples are a pure function of its number. An event of
 * tick t (a goal, a hit, a bounce) sounds from the first sample of tick t. */
#ifndef SC_GPU_GAME_AUDIO_H
#define SC_GPU_GAME_AUDIO_H
#include <stdint.h>

#define SC_AUDIO_RATE 48000
#define SC_AUDIO_CHANNELS 1
#define SC_AUDIO_VOICES 8
#define SC_AUDIO_MAX_SAMPLES 48000 /* per tick: fps >= 1 */

enum sc_audio_voice_kind {
	SC_VOICE_NONE = 0,
	SC_VOICE_HIT = 1,    /* the puck touched a player */
	SC_VOICE_BOUNCE = 2, /* the puck bounced off a wall */
	SC_VOICE_GOAL = 3,   /* a goal: a chord, the loudest sound of the game */
};

struct sc_audio_voice {
	uint32_t kind, start, len, inc;
	int32_t amp;
	uint32_t seed, pad0, pad1;
};

struct sc_game_audio {
	uint32_t tick;      /* the tick whose PCM follows the block */
	uint32_t pos;       /* sample position of its first sample, mod 2^32 */
	uint32_t n_samples; /* samples that tick */
	uint32_t hash;      /* hash of that tick's PCM, its position and tick */
	uint32_t peak;      /* largest |sample| */
	uint32_t energy;    /* sum of sample^2 >> 16 */
	uint32_t next_voice;
	uint32_t prev_bounces, prev_touches, prev_goals;
	int32_t reserved0;
	uint32_t bed_level;
	uint32_t pad[4];
	struct sc_audio_voice voices[SC_AUDIO_VOICES];
};
_Static_assert(sizeof(struct sc_game_audio) == 80 * 4, "matches the GLSL AudioState (AUDIO_STATE_WORDS)");

/* First sample of tick `tick` at `fps` ticks a second. */
static inline uint64_t sc_audio_tick_pos(uint64_t tick, uint32_t fps)
{
	return (uint64_t)tick * SC_AUDIO_RATE / fps;
}

/* Samples tick `tick` makes. */
static inline uint32_t sc_audio_tick_samples(uint32_t tick, uint32_t fps)
{
	return (uint32_t)(sc_audio_tick_pos((uint64_t)tick + 1, fps) - sc_audio_tick_pos(tick, fps));
}

#endif
