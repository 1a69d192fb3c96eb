#version 450
#extension GL_GOOGLE_include_directive : require
// Tile binning: which tiles the rasteriser must shade this tick. A tile is
// re-rendered when something is on it now (particles, players, puck, score) or
// was on it the last time this frame slot was rendered; every other tile of the
// slot still holds the bare floor, which never changes. The list order depends
// on atomics, but each tile's pixels depend only on the tile: the frame is
// deterministic. lavapipe runs both sides of every branch, so skipping work
// has to happen here, in the dispatch size, not in the shader.
layout(local_size_x = 64) in;

#include "game_common.glsl"
#include "game_state.glsl"

layout(std430, set = 0, binding = 6) readonly buffer Circles { ivec4 circles[NUM_OBJECTS]; };
layout(std430, set = 0, binding = 7) buffer TileContent { uint tile_content[]; };
// Per slot: what was on each tile when the slot was last rendered.
layout(std430, set = 0, binding = 8) buffer TileHistory { uint tile_history[]; };
// x, y, z: vkCmdDispatchIndirect arguments (x = tiles listed), then the list.
layout(std430, set = 0, binding = 9) buffer TileList { uint dispatch[4]; uint tile_list[]; };

uint score_cell() { return max(params.height / 72u, 1u); }

void main()
{
	uint n = tiles_x() * tiles_y();
	uint t = gl_GlobalInvocationID.x;
	if (t >= n)
		return;
	ivec2 lo = ivec2(t % tiles_x() * TILE_W, t / tiles_x() * TILE_H);
	ivec2 hi = lo + ivec2(TILE_W, TILE_H);
	uint content = tile_content[t];
	for (uint i = 0u; i < uint(NUM_OBJECTS); i++) {
		ivec4 o = circles[i]; // 1/16 px
		if (o.z > 0 && o.x + o.z >= lo.x * 16 && o.x - o.z < hi.x * 16 && o.y + o.z >= lo.y * 16 &&
		    o.y - o.z < hi.y * 16)
			content = 1u;
	}
	int cell = int(score_cell()), mid = int(params.width / 2u);
	if (hi.y > 2 * cell && lo.y < 7 * cell && hi.x > mid - 9 * cell && lo.x < mid + 9 * cell)
		content = 1u;
	uint h = params.slot * n + t;
	bool needed = content != 0u || tile_history[h] != 0u || (params.flags & RENDER_ALL) != 0u;
	tile_history[h] = content;
	if (needed)
		tile_list[atomicAdd(dispatch[0], 1u)] = t;
}
