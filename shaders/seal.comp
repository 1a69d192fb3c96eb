#version 450
#extension GL_GOOGLE_include_directive : require
// Seals the frame just rendered: the tick and a checksum of 256 sampled words of
// the NV12 planes, written after them in the slot. The encoder process recomputes
// it (gpu/frame_seal.c) to tell a good frame from a black, stale or torn one.
layout(local_size_x = 1) in;

#include "game_common.glsl"

layout(std430, set = 0, binding = 4) buffer Frame { uint fw[]; };

void main()
{
	uint n_words = (params.uv_word - params.y_word) + params.pitch * (params.height / 2u) / 4u;
	uint h = mix32(params.tick ^ 0x5ea15ea1u);
	for (uint i = 0u; i < 256u; i++)
		h = mix32(h ^ fw[params.y_word + i * n_words / 256u]) + i;
	fw[params.seal_word] = params.tick;
	fw[params.seal_word + 1u] = h;
}
