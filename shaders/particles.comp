#version 450
#extension GL_GOOGLE_include_directive : require
// Particle system: sparks from emitters and a trail behind the puck. Every particle
// depends only on itself and the game state, so the pass is order-free; its
// contribution to the state hash is an XOR (commutative) of per-particle hashes, and
// its contribution to the picture is an integer atomicAdd into a heat buffer.
layout(local_size_x = 64) in;

#include "game_common.glsl"
#include "game_state.glsl"

layout(std430, set = 0, binding = 2) buffer Particles { uvec4 part[]; };
layout(std430, set = 0, binding = 3) buffer Heat { uint heat[]; };
// Tiles with something on them this tick (bin.comp); every writer stores 1.
layout(std430, set = 0, binding = 7) buffer TileContent { uint tile_content[]; };

// Particle: x, y (subunits), velocity (int16 x | int16 y << 16), life << 8 | kind.
#define KIND_TRAIL 0u
#define KIND_SPARK 1u

void respawn(uint i, out ivec2 pos, out ivec2 vel, out uint life, out uint kind)
{
	uint r0 = rng(params.seed, params.tick, i, 1u);
	uint r1 = rng(params.seed, params.tick, i, 2u);
	uint e = (r0 >> 8) % uint(NUM_EMITTERS);
	bool spark_live = st.emitters[e].kind != 0u && params.tick - st.emitters[e].tick < uint(SPARK_TICKS);
	if ((r0 & 3u) != 0u && spark_live) {
		pos = ivec2(st.emitters[e].x, st.emitters[e].y);
		vel = ivec2(int(r1 & 0xfffu) - 2048, int((r1 >> 12) & 0xfffu) - 2048);
		life = 20u + ((r1 >> 24) & 31u);
		kind = KIND_SPARK;
	} else {
		pos = ivec2(st.puck.x, st.puck.y) + ivec2(int(r1 & 0xfffu) - 2048, int((r1 >> 12) & 0xfffu) - 2048);
		vel = ivec2(int((r1 >> 24) & 15u) - 8, int((r0 >> 24) & 15u) - 8) * 16;
		life = 30u + ((r0 >> 16) & 63u);
		kind = KIND_TRAIL;
	}
}

// The workgroup's share of the particle hash, folded into the state by one
// invocation: XOR is order-free, so the hash is the same as with one global
// atomic per particle, without every particle contending for the same word.
shared uint wg_hash0, wg_hash1;

void simulate(uint i);

void main()
{
	if (gl_LocalInvocationIndex == 0u) {
		wg_hash0 = 0u;
		wg_hash1 = 0u;
	}
	barrier();
	uint i = gl_GlobalInvocationID.x;
	if (i < params.particle_count)
		simulate(i);
	barrier();
	if (gl_LocalInvocationIndex == 0u) {
		atomicXor(st.hdr.part_hash0, wg_hash0);
		atomicXor(st.hdr.part_hash1, wg_hash1);
	}
}

void simulate(uint i)
{
	uvec4 p = part[i];
	ivec2 pos = ivec2(int(p.x), int(p.y));
	ivec2 vel = ivec2(int(p.z << 16) >> 16, int(p.z) >> 16);
	uint life = p.w >> 8;
	uint kind = p.w & 0xffu;

	if (life == 0u) {
		respawn(i, pos, vel, life, kind);
	} else {
		life--;
		pos += vel;
		vel -= vel / 16;
		if (pos.x < WALL || pos.x >= WORLD_W - WALL) { vel.x = -vel.x; pos.x = clamp(pos.x, WALL, WORLD_W - WALL - 1); }
		if (pos.y < WALL || pos.y >= WORLD_H - WALL) { vel.y = -vel.y; pos.y = clamp(pos.y, WALL, WORLD_H - WALL - 1); }
	}
	p = uvec4(uint(pos.x), uint(pos.y), (uint(vel.x) & 0xffffu) | (uint(vel.y) << 16), (life << 8) | kind);
	part[i] = p;

	uint h = mix32(p.x ^ mix32(p.y ^ mix32(p.z ^ mix32(p.w ^ i * 0x9e3779b9u))));
	atomicXor(wg_hash0, h);
	atomicXor(wg_hash1, mix32b(h ^ i));

	if (life > 0u) {
		uint px = uint(pos.x) / 256u * params.width / 1280u;
		uint py = uint(pos.y) / 256u * params.height / 720u;
		if (px < params.width && py < params.height) {
			uint amount = min(life, 63u) + 8u;
			atomicAdd(heat[py * params.width + px], kind == KIND_SPARK ? amount << 16 : amount);
			tile_content[(py / TILE_H) * tiles_x() + px / TILE_W] = 1u;
		}
	}
}
