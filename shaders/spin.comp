#version 450
#extension GL_GOOGLE_include_directive : require
// The hang fault's loop (see tick_logic.comp inject_fault): dispatched
// indirectly with zero workgroups on every tick but that one. Long but
// finite, never endless: a GPU shared with other work must come back even if
// nothing tears the context down. 65535 single-invocation workgroups, each
// HANG_ITERATIONS atomic adds on one word: adds on one address wait for each
// other on any device, so this is about 1.4e11 serialised adds, some 80 s at the
// ~1.7e9 same-address atomics a second of a large GPU, minutes on lavapipe
// (which also ends every loop after 65535 iterations): far past any hang
// timeout (at most 60 s for `run`), so the fence timeout always catches it.
layout(local_size_x = 1) in;

#include "game_common.glsl"

#define HANG_ITERATIONS 2097152u

layout(std430, set = 0, binding = 10) buffer HangDispatch { uint hang_dispatch[4]; };

void main()
{
	for (uint i = 0u; i < HANG_ITERATIONS && hang_dispatch[2] != 0u; i++)
		atomicAdd(hang_dispatch[3], 1u);
}
