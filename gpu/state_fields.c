#include "gpu/state_fields.h"

#include <inttypes.h>
#include <string.h>

static const char *const hdr_names[] = {
	"tick", "seed", "score0", "score1", "kickoff", "n_players", "particle_count", "next_emitter",
	"part_hash0", "part_hash1", "wall_bounces", "touches", "goals", "fault_kind", "fault_tick",
	"fault_detail", "input_digest",
};
static const char *const player_names[] = {"x", "y", "vx", "vy", "ax", "ay", "flags", "cooldown", "team", "touches"};
static const char *const puck_names[] = {"x", "y", "vx", "vy", "last_touch", "pad"};
static const char *const emitter_names[] = {"x", "y", "tick", "kind"};

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* a field added to the state without a name here fails the build */
_Static_assert(N(hdr_names) * 4 == sizeof(struct sc_game_header), "hdr_names: one per header word");
_Static_assert(N(player_names) * 4 == sizeof(struct sc_game_player), "player_names: one per player word");
_Static_assert(N(puck_names) * 4 == sizeof(struct sc_game_puck), "puck_names: one per puck word");
_Static_assert(N(emitter_names) * 4 == sizeof(struct sc_game_emitter), "emitter_names: one per emitter word");
_Static_assert(sizeof(struct sc_game_state) == sizeof(struct sc_game_header) +
               SC_MAX_PLAYERS * sizeof(struct sc_game_player) + sizeof(struct sc_game_puck) +
               SC_NUM_EMITTERS * sizeof(struct sc_game_emitter), "the state is header, players, puck, emitters");

void sc_state_field_name(size_t i, char *buf, size_t len)
{
	size_t np = N(player_names), ne = N(emitter_names);
	if (i < N(hdr_names)) {
		snprintf(buf, len, "hdr.%s", hdr_names[i]);
		return;
	}
	i -= N(hdr_names);
	if (i < SC_MAX_PLAYERS * np) {
		snprintf(buf, len, "players[%zu].%s", i / np, player_names[i % np]);
		return;
	}
	i -= SC_MAX_PLAYERS * np;
	if (i < N(puck_names)) {
		snprintf(buf, len, "puck.%s", puck_names[i]);
		return;
	}
	i -= N(puck_names);
	if (i < SC_NUM_EMITTERS * ne)
		snprintf(buf, len, "emitters[%zu].%s", i / ne, emitter_names[i % ne]);
	else
		snprintf(buf, len, "word%zu", i);
}

void sc_state_fields_header(FILE *f)
{
	char name[48];
	fputs("tick hash", f);
	for (size_t i = 0; i < SC_STATE_WORDS; i++) {
		sc_state_field_name(i, name, sizeof(name));
		fprintf(f, " %s", name);
	}
	fputc('\n', f);
}

void sc_state_fields_line(FILE *f, uint32_t tick, uint64_t hash, const struct sc_game_state *s)
{
	uint32_t w[SC_STATE_WORDS];
	memcpy(w, s, sizeof(w));
	fprintf(f, "%" PRIu32 " %016" PRIx64, tick, hash);
	for (size_t i = 0; i < SC_STATE_WORDS; i++)
		fprintf(f, " %" PRIx32, w[i]);
	fputc('\n', f);
}
