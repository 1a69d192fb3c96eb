/* C mirror of the GPU game state (shaders/game_common.glsl, std430). The CPU only
 * reads it: the host copy the finalize pass writes each tick, and captures. */
#ifndef SC_GPU_GAME_STATE_H
#define SC_GPU_GAME_STATE_H
#include <stdint.h>

#include "net/shm/input_event.h"

#define SC_WORLD_W (1280 * 256) /* subunits: 256 per logical pixel */
#define SC_WORLD_H (720 * 256)
#define SC_WALL (16 * 256)
#define SC_PLAYER_R (28 * 256)
#define SC_PUCK_R (14 * 256)
#define SC_GOAL_HALF (110 * 256)
#define SC_NUM_EMITTERS 8
#define SC_KICKOFF_TICKS 60 /* KICKOFF_TICKS: ticks the puck stays at centre after a goal */
#define SC_MAX_INPUTS_PER_TICK 64
/* The guard band after the particles (shaders/game_common.glsl): entries of 16
 * bytes, every word the canary; an out-of-bounds write there is a fault record
 * of kind 4 (SC_FAULT_OOB) with detail 1 + the first overwritten word. */
#define SC_GUARD_PARTICLES 64
#define SC_GUARD_CANARY 0x5ca1ab1eu

struct sc_game_header {
	uint32_t tick; /* ticks completed */
	uint32_t seed;
	uint32_t score0, score1;
	uint32_t kickoff;
	uint32_t n_players;
	uint32_t particle_count;
	uint32_t next_emitter;
	uint32_t part_hash0, part_hash1;
	uint32_t wall_bounces;
	uint32_t touches;
	uint32_t goals;
	uint32_t fault_kind, fault_tick, fault_detail;
	uint32_t input_digest; /* running hash of every input applied */
};

struct sc_game_player {
	int32_t x, y, vx, vy;
	int32_t ax, ay;
	uint32_t flags; /* 1 = shield up, 2 = shot pending */
	uint32_t cooldown;
	uint32_t team;
	uint32_t touches;
};

struct sc_game_puck {
	int32_t x, y, vx, vy;
	int32_t last_touch;
	uint32_t pad;
};

struct sc_game_emitter {
	int32_t x, y;
	uint32_t tick;
	uint32_t kind;
};

struct sc_game_state {
	struct sc_game_header hdr;
	struct sc_game_player players[SC_MAX_PLAYERS];
	struct sc_game_puck puck;
	struct sc_game_emitter emitters[SC_NUM_EMITTERS];
};
_Static_assert(sizeof(struct sc_game_state) == 135 * 4, "matches the GLSL State block");

/* std140 uniform block `Params` */
struct sc_game_params {
	uint32_t tick, n_inputs, width, height;
	uint32_t rgba_word, y_word, uv_word, pitch;
	uint32_t particle_count, n_players, seed, flags;
	uint32_t seal_word, slot, audio_samples, audio_pos;
	struct sc_input_event inputs[SC_MAX_INPUTS_PER_TICK];
};
_Static_assert(sizeof(struct sc_game_params) == 64 + 16 * SC_MAX_INPUTS_PER_TICK, "std140 Params");

#endif
