#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Compute rasteriser: shades the tiles bin.comp listed (one workgroup per tile,
// dispatched indirectly): floor, markings, particles, players, puck, score; writes
// NV12, and RGBA8 on the ticks that ask for it (dumps, captures). Objects are
// tested per 4x2 block against the few circles, so a pixel never loops over every
// object (what makes lavapipe slow).
layout(local_size_x = 8, local_size_y = 8) in;

#include "game_common.glsl"
#include "game_state.glsl"
#include "render_common.glsl"

layout(std430, set = 0, binding = 9) readonly buffer TileList { uint dispatch[4]; uint tile_list[]; };

const uint PALETTE[3] = uint[3](0xff5a3cu, 0x3ca0ffu, 0xffffffu);

uvec3 draw_objects(uvec3 c, uint x, uint y, uint mask)
{
	while (mask != 0u) {
		int i = findLSB(mask);
		mask &= mask - 1u;
		ivec4 o = circles[i];
		int dx = int(x) * 16 + 8 - o.x;
		int dy = int(y) * 16 + 8 - o.y;
		int d2 = dx * dx + dy * dy;
		if (d2 < o.z * o.z) {
			uvec3 col = unpack_rgb(PALETTE[o.w]);
			int inner = o.z - 48;
			c = d2 > inner * inner ? col / 2u + 100u : col;
		}
	}
	return c;
}

// Score: two digits per team, 3x5 font in cells of height/72 px, top centre;
// the box is 18 x 5 cells.
uint score_cell() { return max(params.height / 72u, 1u); }

bool score_pixel(uint x, uint y)
{
	uint cell = score_cell();
	uint top = 2u * cell;
	int start = int(params.width / 2u) - int(9u * cell);
	int rel = int(x) - start;
	if (y < top || y >= top + 5u * cell || rel < 0 || rel >= int(18u * cell))
		return false;
	// slots of 4 cells: digit, digit, gap of 2 cells, digit, digit
	uint team = uint(rel) >= 9u * cell ? 1u : 0u;
	uint trel = uint(rel) - team * 10u * cell;
	uint k = trel / (4u * cell);
	uint col = (trel - k * 4u * cell) / cell;
	if (k >= 2u || col >= 3u)
		return false;
	uint s = min(team == 0u ? st.hdr.score0 : st.hdr.score1, 99u);
	uint digit = k == 0u ? s / 10u : s % 10u;
	// 3x5 glyphs, row-major, top row in the high bits
	uint glyph = digit == 0u ? 0x7b6fu : digit == 1u ? 0x2c97u : digit == 2u ? 0x73e7u :
	             digit == 3u ? 0x73cfu : digit == 4u ? 0x5bc9u : digit == 5u ? 0x79cfu :
	             digit == 6u ? 0x79efu : digit == 7u ? 0x7249u : digit == 8u ? 0x7befu : 0x7bcfu;
	uint row = (y - top) / cell;
	return ((glyph >> (14u - (row * 3u + col))) & 1u) != 0u;
}

void main()
{
	uint t = tile_list[gl_WorkGroupID.x];
	uint x0 = t % tiles_x() * TILE_W + gl_LocalInvocationID.x * 4u;
	uint y0 = t / tiles_x() * TILE_H + gl_LocalInvocationID.y * 2u;
	if (x0 >= params.width || y0 >= params.height)
		return;
	ivec2 lo = ivec2(x0, y0) * 16, hi = ivec2(x0 + 4u, y0 + 2u) * 16;
	uint mask = 0u;
	for (uint i = 0u; i < uint(NUM_OBJECTS); i++) {
		ivec4 o = circles[i];
		if (o.z > 0 && o.x + o.z >= lo.x && o.x - o.z < hi.x && o.y + o.z >= lo.y && o.y - o.z < hi.y)
			mask |= 1u << i;
	}
	uvec3 px[8];
	shade_floor(x0, y0, px);
	[[unroll]] for (uint k = 0u; k < 8u; k++) {
		uint x = x0 + (k & 3u), y = y0 + (k >> 2);
		px[k] = draw_objects(px[k], x, y, mask);
		if (score_pixel(x, y))
			px[k] = uvec3(235);
	}
	store_block(x0, y0, px);
}
