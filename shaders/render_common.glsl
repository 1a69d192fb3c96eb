// Shading for the rasteriser (render.comp). Each invocation shades a 4x2 pixel
// block: one 32-bit word per NV12 luma row and one for its chroma.

// width is a multiple of 4, so a block row of heat is one uvec4
layout(std430, set = 0, binding = 3) readonly buffer Heat { uvec4 heat4[]; };
layout(std430, set = 0, binding = 4) buffer Frame { uint fw[]; };
// Screen-space circles of the players and the puck, from the finalize pass:
// centre x, y and radius in 1/16 px (radius 0 = absent), colour index.
layout(std430, set = 0, binding = 6) readonly buffer Circles { ivec4 circles[NUM_OBJECTS]; };

// wx, wy: pixel centre in world subunits
uvec3 background(int wx, int wy)
{
	const int line = 2 * 256;
	int cx = wx - WORLD_W / 2;
	int cy = wy - WORLD_H / 2;
	// centre circle, radius 120 px, in 1/16 px to stay within 32 bits
	int d2 = (cx >> 4) * (cx >> 4) + (cy >> 4) * (cy >> 4);
	const int r_in = (120 * 256 - line) >> 4, r_out = (120 * 256 + line) >> 4;
	bool marking = abs(cx) < line || (d2 >= r_in * r_in && d2 < r_out * r_out);
	bool wall = wx < WALL || wx >= WORLD_W - WALL || wy < WALL || wy >= WORLD_H - WALL;
	bool mouth = abs(cy) < GOAL_HALF;
	uvec3 goal = cx < 0 ? uvec3(160, 50, 40) : uvec3(40, 90, 160);
	uvec3 c = marking ? uvec3(90, 110, 140) : uvec3(18, 28, 44);
	return wall ? (mouth ? goal : uvec3(70, 78, 92)) : c;
}

uvec3 add_particles(uvec3 c, uint h)
{
	uint trail = h & 0xffffu, spark = h >> 16;
	return c + uvec3(trail, trail * 3u, trail * 4u) / 2u + uvec3(spark * 4u, spark * 3u, spark);
}

uvec3 unpack_rgb(uint c) { return uvec3(c >> 16, (c >> 8) & 0xffu, c & 0xffu); }

// The floor and this tick's particles for the block at (x0, y0), pixel k at
// (x0 + k % 4, y0 + k / 4). Recomputed every tick: on lavapipe that is cheaper
// than loading a pre-drawn floor (measured: 15 vs 22 CPU ms per 720p tick).
void shade_floor(uint x0, uint y0, out uvec3 px[8])
{
	// world subunits per pixel, 8 fractional bits: one division per block
	uint step_x = uint(WORLD_W) * 256u / params.width;
	uint step_y = uint(WORLD_H) * 256u / params.height;
	uvec4 h[2] = uvec4[2](heat4[(y0 * params.width + x0) / 4u], heat4[((y0 + 1u) * params.width + x0) / 4u]);
	[[unroll]] for (uint k = 0u; k < 8u; k++) {
		uint x = x0 + (k & 3u), y = y0 + (k >> 2);
		int wx = int(((2u * x + 1u) * step_x) >> 9);
		int wy = int(((2u * y + 1u) * step_y) >> 9);
		px[k] = add_particles(background(wx, wy), h[k >> 2][k & 3u]);
	}
}

uint rgba(uvec3 c) { return c.r | (c.g << 8) | (c.b << 16) | (255u << 24); }

uint luma(uvec3 c) { return ((66u * c.r + 129u * c.g + 25u * c.b + 128u) >> 8) + 16u; }

uvec2 chroma(uvec3 sum) // sum of four pixels
{
	ivec3 c = ivec3(sum);
	int u = ((-38 * c.r - 74 * c.g + 112 * c.b + 512) >> 10) + 128;
	int v = ((112 * c.r - 94 * c.g - 18 * c.b + 512) >> 10) + 128;
	return uvec2(clamp(u, 0, 255), clamp(v, 0, 255));
}

// BT.601 limited range, chroma from the 2x2 average.
void store_block(uint x0, uint y0, uvec3 px[8])
{
	uint ywords[2] = uint[2](0u, 0u);
	uvec3 csum[2] = uvec3[2](uvec3(0), uvec3(0));
	[[unroll]] for (uint k = 0u; k < 8u; k++) {
		uvec3 c = min(px[k], uvec3(255));
		uint x = x0 + (k & 3u), y = y0 + (k >> 2);
		if ((params.flags & RENDER_RGBA) != 0u)
			fw[params.rgba_word + y * params.width + x] = rgba(c);
		ywords[k >> 2] |= luma(c) << (8u * (k & 3u));
		csum[(k & 3u) >> 1] += c;
	}
	uint row_words = params.pitch / 4u;
	fw[params.y_word + y0 * row_words + x0 / 4u] = ywords[0];
	fw[params.y_word + (y0 + 1u) * row_words + x0 / 4u] = ywords[1];
	uvec2 uv0 = chroma(csum[0]), uv1 = chroma(csum[1]);
	fw[params.uv_word + (y0 / 2u) * row_words + x0 / 4u] = uv0.x | (uv0.y << 8) | (uv1.x << 16) | (uv1.y << 24);
}
