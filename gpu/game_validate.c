#include "gpu/game_validate.h"

#include <stdio.h>

bool sc_game_state_valid(const struct sc_game_state *s, uint32_t players, uint32_t particles,
                         char *why, size_t len)
{
	const struct sc_game_header *h = &s->hdr;
	if (h->n_players != players || h->particle_count != particles) {
		snprintf(why, len, "header says %u players / %u particles, the game has %u / %u", h->n_players,
		         h->particle_count, players, particles);
		return false;
	}
	if (h->score0 + h->score1 != h->goals) {
		snprintf(why, len, "score %u:%u does not add up to %u goals", h->score0, h->score1, h->goals);
		return false;
	}
	if (h->kickoff > SC_KICKOFF_TICKS || h->next_emitter >= SC_NUM_EMITTERS) {
		snprintf(why, len, "kickoff %u / emitter %u out of range", h->kickoff, h->next_emitter);
		return false;
	}
	for (uint32_t p = 0; p < players && p < SC_MAX_PLAYERS; p++) {
		const struct sc_game_player *pl = &s->players[p];
		if (pl->team != (p & 1)) {
			snprintf(why, len, "player %u has team %u, expected %u", p, pl->team, p & 1);
			return false;
		}
		if (pl->x < SC_WALL || pl->x > SC_WORLD_W - SC_WALL || pl->y < SC_WALL || pl->y > SC_WORLD_H - SC_WALL) {
			snprintf(why, len, "player %u outside the arena at (%d, %d)", p, pl->x, pl->y);
			return false;
		}
		if (pl->ax < -127 || pl->ax > 127 || pl->ay < -127 || pl->ay > 127) {
			snprintf(why, len, "player %u axis (%d, %d) out of range", p, pl->ax, pl->ay);
			return false;
		}
	}
	const struct sc_game_puck *k = &s->puck;
	if (k->x < 0 || k->x > SC_WORLD_W || k->y < SC_WALL || k->y > SC_WORLD_H - SC_WALL) {
		snprintf(why, len, "puck outside the arena at (%d, %d)", k->x, k->y);
		return false;
	}
	if (k->last_touch < -1 || k->last_touch >= (int32_t)players) {
		snprintf(why, len, "puck last touched by player %d of %u", k->last_touch, players);
		return false;
	}
	return true;
}
