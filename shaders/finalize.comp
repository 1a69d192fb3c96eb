#version 450
#extension GL_GOOGLE_include_directive : require
// The per-tick 64-bit state hash, over every word of the game state (the particle
// hashes were folded into the header by the particle pass), plus a copy of the small
// state for the host. Fixed order, one invocation: deterministic.
layout(local_size_x = 1) in;

#include "game_common.glsl"

layout(std430, set = 0, binding = 1) buffer StateWords { uint words[]; } stw;
#include "game_state.glsl"
layout(std430, set = 0, binding = 5) buffer Readback { uint rb[]; };

// the sound's state (audio.comp ran before): its words, this tick's PCM hash
// among them, are part of the state hash, so a shadow whose sound differs diverges
#include "audio_common.glsl"
layout(std430, set = 0, binding = 11) readonly buffer AudioWords { uint aw[]; };

layout(std430, set = 0, binding = 6) writeonly buffer Circles { ivec4 circles[NUM_OBJECTS]; };

layout(constant_id = 0) const uint STATE_WORDS = 1u;

// Screen-space circles for the render pass, so that it does no division per block.
void write_circles()
{
	for (uint i = 0u; i <= uint(MAX_PLAYERS); i++) {
		ivec2 c;
		int r;
		uint colour;
		if (i < uint(MAX_PLAYERS)) {
			c = ivec2(st.players[i].x, st.players[i].y);
			r = i >= st.hdr.n_players ? 0 :
			    (st.players[i].flags & uint(PF_BLOCK)) != 0u ? PLAYER_R + SHIELD_R : PLAYER_R;
			colour = min(st.players[i].team, 1u); // a corrupt team must not index past the palette
		} else {
			c = ivec2(st.puck.x, st.puck.y);
			r = PUCK_R;
			colour = 2u;
		}
		// world subunits (256/px at 1280x720) -> screen 1/16 px
		int sx = int(uint(max(c.x, 0)) / 16u * params.width / 1280u);
		int sy = int(uint(max(c.y, 0)) / 16u * params.height / 720u);
		int sr = int(uint(r) / 16u * params.width / 1280u);
		circles[i] = ivec4(sx, sy, sr, int(colour));
	}
}

void main()
{
	uint h0 = 0x811c9dc5u;
	uint h1 = 0x9747b28cu;
	for (uint i = 0u; i < STATE_WORDS; i++) {
		uint w = stw.words[i];
		h0 = (h0 ^ w) * 0x01000193u;
		h1 = mix32b(h1 ^ w) + i;
	}
	for (uint i = 0u; i < AUDIO_STATE_WORDS; i++) {
		uint w = aw[i];
		h0 = (h0 ^ w) * 0x01000193u;
		h1 = mix32b(h1 ^ w) + STATE_WORDS + i;
	}
	rb[0] = mix32(h0 ^ h1);
	rb[1] = mix32b(h1 ^ (h0 >> 7));
	for (uint i = 0u; i < STATE_WORDS; i++)
		rb[2u + i] = stw.words[i];
	write_circles();
}
