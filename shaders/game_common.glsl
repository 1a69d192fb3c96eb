// Shared by every game pass. All game state is integer / fixed-point so that the
// same inputs give the same bits on every device (no floats touch the state).
// World coordinates are in subunits: 256 per logical pixel of a 1280x720 field.
// The C mirror of these structs is gpu/game_state.h; keep them in step.

#define WORLD_W (1280 * 256)
#define WORLD_H (720 * 256)
#define WALL (16 * 256)
#define GOAL_HALF (110 * 256)
#define PLAYER_R (28 * 256)
#define SHIELD_R (8 * 256)
#define PUCK_R (14 * 256)
#define PLAYER_MAXV (6 * 256)
#define PUCK_MAXV (24 * 256)
#define SHOOT_REACH (16 * 256)
#define SHOOT_SPEED (20 * 256)
#define SHOOT_COOLDOWN 20
#define KICKOFF_TICKS 60
#define MAX_PLAYERS 8
#define NUM_OBJECTS (MAX_PLAYERS + 1) // players + puck
#define MAX_INPUTS 64
#define NUM_EMITTERS 8
#define SPARK_TICKS 20

#define ACTION_MOVE 1
#define ACTION_SHOOT 2
#define ACTION_BLOCK 3
#define ACTION_FAULT 4
// system notices (net/shm/input_event.h, docs/inputs.md "Notices")
#define ACTION_JOIN 5
#define ACTION_LEAVE 6
#define ACTION_SPECTATORS 7

#define RENDER_RGBA 1u // also write the RGBA8 frame (NV12 is always written)
#define RENDER_ALL 2u  // re-render every tile (a slot's first frame, RGBA frames)

// The rasteriser works in tiles of 32x16 pixels: one workgroup of 8x8
// invocations, each shading a 4x2 block.
#define TILE_W 32u
#define TILE_H 16u

#define FAULT_ASSERT 1u
#define FAULT_CORRUPT 2u
#define FAULT_HANG 3u
#define FAULT_OOB 4u
// The particle buffer ends in a guard band of GUARD_PARTICLES entries after the
// particle_count particles, every word GUARD_CANARY (the host fills it at init
// and restore); tick_logic.comp checks it every tick, so an out-of-bounds write
// that lands there is caught on any driver (robust buffer access stays off).
// The fault record of a hit: kind FAULT_OOB, detail = 1 + the first bad word.
#define GUARD_PARTICLES 64u
#define GUARD_CANARY 0x5ca1ab1eu
#define OOB_GUARD_INDEX 37u // the injected oob write: this entry past the end
// fault_detail of an assertion: which check failed
#define ASSERT_INJECTED 1u
#define ASSERT_PUCK_BOUNDS 2u
#define ASSERT_PLAYER_BOUNDS 3u
#define ASSERT_SCORE 4u

#define PF_BLOCK 1
#define PF_SHOOT 2

struct Header {
	uint tick;          // ticks completed
	uint seed;
	uint score0;
	uint score1;
	uint kickoff;       // ticks left before the puck is released
	uint n_players;
	uint particle_count;
	uint next_emitter;
	uint part_hash0;    // XOR of per-particle hashes, rebuilt every tick
	uint part_hash1;
	uint wall_bounces;
	uint touches;
	uint goals;
	uint fault_kind;    // self-reported fault record (0 = none)
	uint fault_tick;
	uint fault_detail;
	uint input_digest;  // running hash of every input applied: a changed input
	                    // keeps the state different even if play reconverges
};

struct Player {
	int x, y, vx, vy;
	int ax, ay;         // held move axis, -127..127
	uint flags;         // PF_*
	uint cooldown;
	uint team;
	uint touches;
};

struct Puck {
	int x, y, vx, vy;
	int last_touch;     // player index or -1
	uint pad;
};

struct Emitter {
	int x, y;
	uint tick;          // tick it fired at
	uint kind;          // 0 = unused, 1 = spark
};

layout(std140, set = 0, binding = 0) uniform Params {
	uint tick;          // the tick being simulated
	uint n_inputs;
	uint width;
	uint height;
	uint rgba_word;     // frame RGBA8 offset, in 32-bit words
	uint y_word;        // NV12 Y plane offset, in words
	uint uv_word;       // NV12 UV plane offset, in words
	uint pitch;         // NV12 pitch in bytes (multiple of 4)
	uint particle_count;
	uint n_players;
	uint seed;
	uint flags;         // RENDER_*
	uint seal_word;     // frame seal (tick, checksum), in words
	uint slot;          // frame slot rendered into this tick
	uint audio_samples; // samples of sound this tick (48000 / fps, see gpu/game_audio.h)
	uint audio_pos;     // sample position of its first sample, mod 2^32
	uvec4 inputs[MAX_INPUTS]; // struct sc_input_event: tick, seq, player|action<<8|a<<16|b<<24, 0
} params;

// 32-bit mixers (murmur3 finaliser and a second, independent one).
uint mix32(uint h)
{
	h ^= h >> 16; h *= 0x85ebca6bu;
	h ^= h >> 13; h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint mix32b(uint h)
{
	h ^= h >> 15; h *= 0x2c1b3c6du;
	h ^= h >> 12; h *= 0x297a2d39u;
	h ^= h >> 15;
	return h;
}

// Counter-based RNG: a pure function of (seed, tick, index, salt), so any pass may
// draw numbers in any order and still get the same values.
uint rng(uint seed, uint tick, uint index, uint salt)
{
	return mix32(seed ^ mix32(tick * 0x9e3779b9u ^ mix32(index * 0x632be5abu + salt)));
}

int sext8(uint v)
{
	return int(v << 24) >> 24;
}

uint isqrt(uint n)
{
	uint res = 0u;
	uint bit = 1u << 30;
	while (bit > n)
		bit >>= 2;
	while (bit != 0u) {
		if (n >= res + bit) {
			n -= res + bit;
			res = (res >> 1) + bit;
		} else {
			res >>= 1;
		}
		bit >>= 2;
	}
	return res;
}

uint tiles_x() { return (params.width + TILE_W - 1u) / TILE_W; }
uint tiles_y() { return (params.height + TILE_H - 1u) / TILE_H; }
