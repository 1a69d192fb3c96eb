// The game's sound: synthesis state and this tick's PCM (binding 11). The C
// mirror is gpu/game_audio.h; keep them in step. Integer arithmetic only: the
// same state gives the same samples on every device.

#define AUDIO_RATE 48000
#define AUDIO_VOICES 8
#define AUDIO_MAX_SAMPLES 48000 // per tick: fps >= 1
#define AUDIO_STATE_WORDS 80u   // sizeof(AudioState) / 4

#define VOICE_NONE 0u
#define VOICE_HIT 1u    // the puck touched a player
#define VOICE_BOUNCE 2u // the puck bounced off a wall
#define VOICE_GOAL 3u   // a goal: a chord, the loudest sound of the game

struct Voice {
	uint kind;    // VOICE_*
	uint start;   // sample position (low 32 bits) of its first sample
	uint len;     // samples
	uint inc;     // phase increment per sample (2^32 = one period)
	int amp;      // peak amplitude
	uint seed;    // noise seed
	uint pad0, pad1;
};

struct AudioState {
	uint tick;          // the tick whose PCM follows
	uint pos;           // sample position of this tick's first sample (mod 2^32)
	uint n_samples;     // samples this tick
	uint hash;          // hash of this tick's PCM (and n_samples, position)
	uint peak;          // largest |sample| this tick
	uint energy;        // sum of sample^2 >> 16 over this tick
	uint next_voice;
	uint prev_bounces;  // header counters seen at the previous tick: a
	uint prev_touches;  // change is an event that starts a voice
	uint prev_goals;
	int reserved0;
	uint bed_level;     // ambient level, follows the puck's speed
	uint pad0, pad1, pad2, pad3;
	Voice voices[AUDIO_VOICES];
};
