#version 450
#extension GL_GOOGLE_include_directive : require
// The game's sound for one tick: params.audio_samples mono s16 samples at 48 kHz,
// starting at sample position params.audio_pos, from the state the tick left and
// the events it counted (puck hits, wall bounces, goals) plus an ambient bed.
// Integer arithmetic only (a parabolic sine, counter-based noise, linear
// envelopes): the same state gives the same bits on every device. One
// workgroup: invocation 0 starts this tick's voices, every invocation renders
// its samples (each a pure function of the state and its position), then
// invocation 0 hashes the words in order and frees the voices that ended. The
// voices and the counters seen last tick are part of the snapshot.
layout(local_size_x = 64) in;

#include "game_common.glsl"
#include "game_state.glsl"
#include "audio_common.glsl"

layout(std430, set = 0, binding = 11) buffer Audio {
	AudioState au;
	uint pcm[]; // two samples a word: sample 2k in the low half (little-endian s16)
};

// 2^32 / 48000, the phase increment of 1 Hz (rounded down)
#define HZ 89478u
#define GOAL_SAMPLES 43200u   // 0.9 s
#define GOAL_ATTACK 120u      // 2.5 ms
#define HIT_SAMPLES 2400u     // 50 ms
#define BOUNCE_SAMPLES 3600u  // 75 ms

// A sine-like wave from a 32-bit phase, Q14 (+-16384): two parabolas.
int isin(uint phase)
{
	uint t = phase >> 17;
	uint h = t & 16383u;
	int y = int((h * (16384u - h)) >> 12);
	return (t & 16384u) != 0u ? -y : y;
}

// White noise, Q15 (+-32768), a pure function of the sample position and a seed.
int noise(uint pos, uint seed)
{
	return int(mix32(pos * 0x9e3779b9u ^ seed) >> 16) - 32768;
}

uint puck_speed()
{
	return uint(abs(st.puck.vx) + abs(st.puck.vy));
}

void start_voice(uint kind, uint len, uint inc, int amp, uint seed)
{
	uint k = au.next_voice % uint(AUDIO_VOICES);
	au.voices[k].kind = kind;
	au.voices[k].start = params.audio_pos;
	au.voices[k].len = len;
	au.voices[k].inc = inc;
	au.voices[k].amp = amp;
	au.voices[k].seed = seed;
	au.next_voice = (k + 1u) % uint(AUDIO_VOICES);
}

// This tick's events, from the header counters against last tick's.
void start_voices()
{
	uint speed = min(puck_speed(), 12288u);
	if (st.hdr.goals != au.prev_goals)
		start_voice(VOICE_GOAL, GOAL_SAMPLES, 523u * HZ, 6000, 0u);
	if (st.hdr.touches != au.prev_touches)
		start_voice(VOICE_HIT, HIT_SAMPLES, (500u + speed / 32u) * HZ, 2500 + int(speed / 4u), 0u);
	if (st.hdr.wall_bounces != au.prev_bounces)
		start_voice(VOICE_BOUNCE, BOUNCE_SAMPLES, 180u * HZ, 2000 + int(speed / 4u),
		            rng(params.seed, params.tick, 0u, 0xa0d10u));
	au.prev_goals = st.hdr.goals;
	au.prev_touches = st.hdr.touches;
	au.prev_bounces = st.hdr.wall_bounces;
	// the ambient level follows the puck's speed, a little every tick
	int target = 280 + int(speed / 8u);
	au.bed_level = uint(int(au.bed_level) + (target - int(au.bed_level)) / 8);
}

int voice_sample(uint v, uint pos)
{
	uint age = pos - au.voices[v].start;
	uint len = au.voices[v].len;
	if (au.voices[v].kind == VOICE_NONE || age >= len)
		return 0;
	int env = int(((len - age) << 10) / len); // Q10 linear decay
	uint ph = age * au.voices[v].inc;
	int amp = au.voices[v].amp;
	if (au.voices[v].kind == VOICE_GOAL) {
		// a major chord with the root's octave; sustained, then decaying
		env = age < len / 2u ? 1024 : int(((len - age) << 11) / len);
		if (age < GOAL_ATTACK)
			env = env * int(age) / int(GOAL_ATTACK);
		uint inc = au.voices[v].inc;
		int s = isin(ph) + isin(age * (inc / 4u * 5u)) + isin(age * (inc / 2u * 3u)) + isin(ph * 2u) / 2;
		return ((s * amp) >> 14) * env >> 10;
	}
	if (au.voices[v].kind == VOICE_HIT) {
		int s = isin(ph) + isin(ph * 3u) / 3;
		return ((s * amp) >> 14) * env * env >> 20;
	}
	// VOICE_BOUNCE: a thud under a burst of noise
	int s = isin(ph) + noise(pos, au.voices[v].seed) / 4;
	return ((s * amp) >> 14) * env * env >> 20;
}

// Value noise, Q15: random values every 32 samples, linearly interpolated (a
// low-passed noise, the crowd); a pure function of the position.
int soft_noise(uint pos, uint seed)
{
	uint k = pos >> 5, f = pos & 31u;
	int a = noise(k, seed), b = noise(k + 1u, seed);
	return a + (b - a) * int(f) / 32;
}

// One sample at position pos: the ambient bed plus every voice, clamped.
int mix_sample(uint pos, int level)
{
	int s = ((isin(pos * (55u * HZ)) * 300) >> 14) + ((soft_noise(pos, 0x5eedu) * level) >> 15);
	for (uint v = 0u; v < uint(AUDIO_VOICES); v++)
		s += voice_sample(v, pos);
	return clamp(s, -32767, 32767);
}

shared uint sh_peak;
shared uint sh_energy;

void main()
{
	uint lid = gl_LocalInvocationID.x;
	if (lid == 0u) {
		start_voices();
		sh_peak = 0u;
		sh_energy = 0u;
	}
	memoryBarrierBuffer();
	memoryBarrierShared();
	barrier();
	uint n = min(params.audio_samples, uint(AUDIO_MAX_SAMPLES));
	uint base = params.audio_pos;
	int level = int(au.bed_level);
	// every invocation its words (two samples each): samples are independent
	uint peak = 0u, energy = 0u;
	for (uint w = lid; 2u * w < n; w += gl_WorkGroupSize.x) {
		uint i = 2u * w;
		int s0 = mix_sample(base + i, level);
		int s1 = i + 1u < n ? mix_sample(base + i + 1u, level) : 0;
		uint a0 = uint(abs(s0)), a1 = uint(abs(s1));
		peak = max(peak, max(a0, a1));
		energy += ((a0 * a0) >> 16) + ((a1 * a1) >> 16);
		pcm[w] = (uint(s0) & 0xffffu) | (uint(s1) << 16);
	}
	// integer max and sum: the same whatever the order
	atomicMax(sh_peak, peak);
	atomicAdd(sh_energy, energy);
	memoryBarrierBuffer();
	memoryBarrierShared();
	barrier();
	if (lid != 0u)
		return;
	// the hash, in word order, by one invocation
	uint h = 0x811c9dc5u ^ n;
	for (uint w = 0u; 2u * w < n; w++)
		h = (h ^ pcm[w]) * 0x01000193u;
	// voices that ended are free again (a fixed rule: part of the state)
	for (uint v = 0u; v < uint(AUDIO_VOICES); v++)
		if (au.voices[v].kind != VOICE_NONE && base + n - au.voices[v].start >= au.voices[v].len)
			au.voices[v] = Voice(0u, 0u, 0u, 0u, 0, 0u, 0u, 0u);
	au.tick = params.tick;
	au.pos = base;
	au.n_samples = n;
	au.peak = sh_peak;
	au.energy = sh_energy;
	au.hash = mix32(h ^ base) ^ mix32b(params.tick);
}
