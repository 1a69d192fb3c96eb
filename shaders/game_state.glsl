layout(std430, set = 0, binding = 1) buffer State {
	Header hdr;
	Player players[MAX_PLAYERS];
	Puck puck;
	Emitter emitters[NUM_EMITTERS];
} st;

void emit_spark(int x, int y)
{
	uint k = st.hdr.next_emitter;
	st.emitters[k].x = x;
	st.emitters[k].y = y;
	st.emitters[k].tick = params.tick;
	st.emitters[k].kind = 1u;
	st.hdr.next_emitter = (k + 1u) % uint(NUM_EMITTERS);
}

ivec2 spawn_position(uint p, uint n)
{
	uint team = p & 1u;
	uint per_team = (n + 1u - team) / 2u;
	uint slot = p >> 1;
	int x = team == 0u ? 320 * 256 : 960 * 256;
	int y = int((720u * 256u / (per_team + 1u)) * (slot + 1u));
	return ivec2(x, y);
}

void kickoff_reset()
{
	st.puck.x = WORLD_W / 2;
	st.puck.y = WORLD_H / 2;
	st.puck.vx = 0;
	st.puck.vy = 0;
	st.puck.last_touch = -1;
	st.hdr.kickoff = uint(KICKOFF_TICKS);
	for (uint p = 0u; p < st.hdr.n_players; p++) {
		ivec2 s = spawn_position(p, st.hdr.n_players);
		st.players[p].x = s.x;
		st.players[p].y = s.y;
		st.players[p].vx = 0;
		st.players[p].vy = 0;
	}
}

// The self-reported fault record (signal 724 of the shadow-tracking seed): the
// first fault of a tick wins; the host reads it with the tick's results.
void raise_fault(uint kind, uint detail)
{
	if (st.hdr.fault_kind == 0u) {
		st.hdr.fault_kind = kind;
		st.hdr.fault_tick = params.tick;
		st.hdr.fault_detail = detail;
	}
}
