#version 450
#extension GL_GOOGLE_include_directive : require
// The hang fault's endless loop (see tick_logic.comp inject_fault): dispatched
// indirectly with zero workgroups on every tick but that one.
layout(local_size_x = 1) in;

#include "game_common.glsl"

layout(std430, set = 0, binding = 10) buffer HangDispatch { uint hang_dispatch[4]; };

void main()
{
	// a memory side effect keeps the loop; the condition never becomes false
	while (hang_dispatch[2] != 0u)
		hang_dispatch[3] += 1u;
}
