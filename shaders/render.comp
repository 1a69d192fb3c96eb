#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Compute rasteriser, common pass: floor, markings, particles, NV12 (and RGBA8 on
// the ticks that ask for it: dumps, captures; the stream needs NV12 alone).
layout(local_size_x = 8, local_size_y = 8) in;

#include "game_common.glsl"
#include "render_common.glsl"

void main()
{
	uint x0 = gl_GlobalInvocationID.x * 4u;
	uint y0 = gl_GlobalInvocationID.y * 2u;
	if (x0 >= params.width || y0 >= params.height)
		return;
	uvec3 px[8];
	shade_floor(x0, y0, px);
	store_block(x0, y0, px);
}
