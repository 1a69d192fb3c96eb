#version 450
#extension GL_GOOGLE_include_directive : require
// One tick of game logic: this tick's inputs one at a time in log order, then
// players, puck, collisions, goals. A single invocation: ~10 objects, and a fixed
// order of operations is what makes the result bit-exact everywhere.
layout(local_size_x = 1) in;

#include "game_common.glsl"
#include "game_state.glsl"

// Only the oob fault touches it: an out-of-bounds write past its end, into the
// guard band (game_common.glsl) whose canaries finalize.comp checks.
layout(std430, set = 0, binding = 2) buffer Particles { uvec4 part[]; };
// Indirect dispatch of spin.comp: none, unless the hang fault fires.
layout(std430, set = 0, binding = 10) buffer HangDispatch { uint hang_dispatch[4]; };

int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Debug fault injection (a FAULT input, in the log like any other): crash and
// device-lost act on the host; these act here, on the GPU.
void inject_fault(uint kind)
{
	if (kind == FAULT_ASSERT) {
		raise_fault(FAULT_ASSERT, ASSERT_INJECTED);
	} else if (kind == FAULT_CORRUPT) {
		// invalid state the shader does not check: the host's validation must catch it
		st.players[0].team = 0xbadu;
		st.puck.last_touch = 1234;
	} else if (kind == FAULT_HANG) {
		// a long but finite loop: 65535 workgroups of spin.comp, far longer
		// than any hang timeout on any device (see spin.comp), never endless
		hang_dispatch[0] = 65535u;
		hang_dispatch[1] = 1u;
	} else if (kind == FAULT_OOB) {
		// out-of-bounds write past the last particle (robustness off); it lands
		// in the guard band, so it is caught this tick whatever the driver
		part[params.particle_count + OOB_GUARD_INDEX] = uvec4(0xdeadbeefu);
	}
}

// The guard band after the particles: a word that is not the canary any more was
// written out of bounds (this tick's inputs, or the passes of the tick before).
void check_guard_band()
{
	for (uint i = 0u; i < GUARD_PARTICLES; i++) {
		uvec4 g = part[params.particle_count + i];
		for (uint c = 0u; c < 4u; c++) {
			if (g[c] != GUARD_CANARY) {
				raise_fault(FAULT_OOB, 1u + i * 4u + c);
				return;
			}
		}
	}
}

// Invariants of a valid state; a failure is a self-reported assertion.
void check_invariants()
{
	if (st.hdr.kickoff == 0u && (st.puck.y < WALL || st.puck.y > WORLD_H - WALL))
		raise_fault(FAULT_ASSERT, ASSERT_PUCK_BOUNDS);
	for (uint p = 0u; p < st.hdr.n_players; p++)
		if (st.players[p].x < WALL || st.players[p].x > WORLD_W - WALL)
			raise_fault(FAULT_ASSERT, ASSERT_PLAYER_BOUNDS);
	if (st.hdr.score0 + st.hdr.score1 != st.hdr.goals)
		raise_fault(FAULT_ASSERT, ASSERT_SCORE);
}

void apply_input(uvec4 ev)
{
	st.hdr.input_digest = mix32(st.hdr.input_digest ^ ev.z) + ev.x;
	uint player = ev.z & 0xffu;
	uint action = (ev.z >> 8) & 0xffu;
	int a = sext8(ev.z >> 16);
	int b = sext8(ev.z >> 24);
	if (action == uint(ACTION_FAULT)) {
		inject_fault(uint(a));
		return;
	}
	if (action == uint(ACTION_SPECTATORS))
		return; // the count is in the input digest, nothing plays differently
	if (player >= st.hdr.n_players)
		return;
	if (action == uint(ACTION_JOIN) || action == uint(ACTION_LEAVE)) {
		// a slot changes hands: nobody holds its controls any more. The paddle
		// stops where it is (axis and velocity 0, shield down), so a player
		// whose connection broke while holding a move does not run on.
		st.players[player].ax = 0;
		st.players[player].ay = 0;
		st.players[player].vx = 0;
		st.players[player].vy = 0;
		st.players[player].flags &= ~uint(PF_BLOCK);
	} else if (action == uint(ACTION_MOVE)) {
		st.players[player].ax = clampi(a, -127, 127);
		st.players[player].ay = clampi(b, -127, 127);
	} else if (action == uint(ACTION_SHOOT)) {
		st.players[player].flags |= uint(PF_SHOOT);
	} else if (action == uint(ACTION_BLOCK)) {
		if (a != 0)
			st.players[player].flags |= uint(PF_BLOCK);
		else
			st.players[player].flags &= ~uint(PF_BLOCK);
	}
}

int player_radius(uint p)
{
	return (st.players[p].flags & uint(PF_BLOCK)) != 0u ? PLAYER_R + SHIELD_R : PLAYER_R;
}

void move_players()
{
	for (uint p = 0u; p < st.hdr.n_players; p++) {
		int maxv = (st.players[p].flags & uint(PF_BLOCK)) != 0u ? PLAYER_MAXV / 2 : PLAYER_MAXV;
		int tx = st.players[p].ax * maxv / 127;
		int ty = st.players[p].ay * maxv / 127;
		// ease towards the target velocity; snap when integer steps would stall
		int dvx = tx - st.players[p].vx, dvy = ty - st.players[p].vy;
		st.players[p].vx += abs(dvx) < 4 ? dvx : dvx / 4;
		st.players[p].vy += abs(dvy) < 4 ? dvy : dvy / 4;
		int r = player_radius(p);
		int nx = st.players[p].x + st.players[p].vx;
		int ny = st.players[p].y + st.players[p].vy;
		int cx = clampi(nx, WALL + r, WORLD_W - WALL - r);
		int cy = clampi(ny, WALL + r, WORLD_H - WALL - r);
		if (cx != nx) st.players[p].vx = 0;
		if (cy != ny) st.players[p].vy = 0;
		st.players[p].x = cx;
		st.players[p].y = cy;
		if (st.players[p].cooldown > 0u)
			st.players[p].cooldown--;
	}
}

void goal(uint scoring_team, int gx)
{
	if (scoring_team == 0u) st.hdr.score0++; else st.hdr.score1++;
	st.hdr.goals++;
	emit_spark(gx, WORLD_H / 2);
	kickoff_reset();
}

// Returns true when a goal was scored (the puck was reset).
bool move_puck()
{
	st.puck.x += st.puck.vx;
	st.puck.y += st.puck.vy;
	bool in_mouth = abs(st.puck.y - WORLD_H / 2) < GOAL_HALF - PUCK_R;
	if (in_mouth && st.puck.x < WALL) { goal(1u, WALL); return true; }
	if (in_mouth && st.puck.x > WORLD_W - WALL) { goal(0u, WORLD_W - WALL); return true; }
	bool bounced = false;
	if (st.puck.y - PUCK_R < WALL) {
		st.puck.y = 2 * (WALL + PUCK_R) - st.puck.y; st.puck.vy = -st.puck.vy; bounced = true;
	} else if (st.puck.y + PUCK_R > WORLD_H - WALL) {
		st.puck.y = 2 * (WORLD_H - WALL - PUCK_R) - st.puck.y; st.puck.vy = -st.puck.vy; bounced = true;
	}
	if (!in_mouth) {
		if (st.puck.x - PUCK_R < WALL) {
			st.puck.x = 2 * (WALL + PUCK_R) - st.puck.x; st.puck.vx = -st.puck.vx; bounced = true;
		} else if (st.puck.x + PUCK_R > WORLD_W - WALL) {
			st.puck.x = 2 * (WORLD_W - WALL - PUCK_R) - st.puck.x; st.puck.vx = -st.puck.vx; bounced = true;
		}
	}
	if (bounced) {
		st.hdr.wall_bounces++;
		emit_spark(st.puck.x, st.puck.y);
	}
	st.puck.vx -= st.puck.vx / 64;
	st.puck.vy -= st.puck.vy / 64;
	return false;
}

void collide(uint p)
{
	int dx = st.puck.x - st.players[p].x;
	int dy = st.puck.y - st.players[p].y;
	int R = player_radius(p) + PUCK_R;
	bool shoot = (st.players[p].flags & uint(PF_SHOOT)) != 0u && st.players[p].cooldown == 0u;
	int reach = shoot ? R + SHOOT_REACH : R;
	if (abs(dx) >= reach || abs(dy) >= reach)
		return;
	uint d2 = uint(dx * dx + dy * dy);
	if (d2 >= uint(reach * reach))
		return;
	int d = int(isqrt(d2));
	int nx = 256, ny = 0;
	if (d > 0) { nx = dx * 256 / d; ny = dy * 256 / d; }
	if (shoot) {
		st.puck.vx = nx * SHOOT_SPEED / 256 + st.players[p].vx;
		st.puck.vy = ny * SHOOT_SPEED / 256 + st.players[p].vy;
		st.players[p].cooldown = uint(SHOOT_COOLDOWN);
	} else {
		int rvx = st.puck.vx - st.players[p].vx;
		int rvy = st.puck.vy - st.players[p].vy;
		int vn = (rvx * nx + rvy * ny) / 256;
		if (vn < 0) {
			// Elastic bounce off a moving player; a raised shield absorbs half.
			int k = (st.players[p].flags & uint(PF_BLOCK)) != 0u ? 3 : 4;
			st.puck.vx -= k * vn * nx / (2 * 256);
			st.puck.vy -= k * vn * ny / (2 * 256);
		}
	}
	if (d < R) {
		st.puck.x = st.players[p].x + nx * R / 256 + (nx > 0 ? 1 : -1);
		st.puck.y = st.players[p].y + ny * R / 256;
	}
	st.puck.last_touch = int(p);
	st.players[p].touches++;
	st.hdr.touches++;
	emit_spark(st.puck.x, st.puck.y);
}

void main()
{
	hang_dispatch[0] = 0u;
	hang_dispatch[1] = 1u;
	hang_dispatch[2] = 1u;
	for (uint i = 0u; i < params.n_inputs && i < uint(MAX_INPUTS); i++)
		apply_input(params.inputs[i]);
	check_guard_band();

	move_players();
	if (st.hdr.kickoff > 0u) {
		st.hdr.kickoff--;
	} else if (!move_puck()) {
		for (uint p = 0u; p < st.hdr.n_players; p++)
			collide(p);
		st.puck.x = clampi(st.puck.x, 0, WORLD_W);
		st.puck.y = clampi(st.puck.y, WALL + PUCK_R, WORLD_H - WALL - PUCK_R);
		st.puck.vx = clampi(st.puck.vx, -PUCK_MAXV, PUCK_MAXV);
		st.puck.vy = clampi(st.puck.vy, -PUCK_MAXV, PUCK_MAXV);
	}
	for (uint p = 0u; p < st.hdr.n_players; p++)
		st.players[p].flags &= ~uint(PF_SHOOT); // a shot is an edge: it lasts one tick
	check_invariants();
	st.hdr.part_hash0 = 0u;
	st.hdr.part_hash1 = 0u;
	st.hdr.tick = params.tick + 1u;
}
