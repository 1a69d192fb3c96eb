#version 450
#extension GL_GOOGLE_include_directive : require
// Creates the initial game state for params.seed / n_players / particle_count.
layout(local_size_x = 64) in;

#include "game_common.glsl"
#include "game_state.glsl"

layout(std430, set = 0, binding = 2) buffer Particles { uvec4 part[]; };

void main()
{
	uint i = gl_GlobalInvocationID.x;
	if (i == 0u) {
		st.hdr.tick = 0u;
		st.hdr.seed = params.seed;
		st.hdr.score0 = 0u;
		st.hdr.score1 = 0u;
		st.hdr.n_players = params.n_players;
		st.hdr.particle_count = params.particle_count;
		st.hdr.next_emitter = 0u;
		st.hdr.part_hash0 = 0u;
		st.hdr.part_hash1 = 0u;
		st.hdr.wall_bounces = 0u;
		st.hdr.touches = 0u;
		st.hdr.goals = 0u;
		st.hdr.fault_kind = 0u;
		st.hdr.fault_tick = 0u;
		st.hdr.fault_detail = 0u;
		st.hdr.input_digest = 0u;
		for (uint p = 0u; p < uint(MAX_PLAYERS); p++) {
			st.players[p].x = 0; st.players[p].y = 0;
			st.players[p].vx = 0; st.players[p].vy = 0;
			st.players[p].ax = 0; st.players[p].ay = 0;
			st.players[p].flags = 0u;
			st.players[p].cooldown = 0u;
			st.players[p].team = p & 1u;
			st.players[p].touches = 0u;
		}
		for (uint e = 0u; e < uint(NUM_EMITTERS); e++) {
			st.emitters[e].x = 0; st.emitters[e].y = 0;
			st.emitters[e].tick = 0u; st.emitters[e].kind = 0u;
		}
		kickoff_reset();
		st.puck.pad = 0u;
	}
	if (i < params.particle_count) {
		// Dead particles with staggered respawn times, so the load is even from tick 0.
		uint r = rng(params.seed, 0u, i, 7u);
		part[i] = uvec4(uint(WORLD_W / 2), uint(WORLD_H / 2), 0u, (r % 60u) << 8);
	}
}
