/* Every word of struct sc_game_state by name ("hdr.score0", "players[2].vx"):
 * logs that must say which field of the state differs, not just that the
 * hash does (the cross-driver golden check, tests/gpu/test_golden.py). */
#ifndef SC_GPU_STATE_FIELDS_H
#define SC_GPU_STATE_FIELDS_H
#include <stddef.h>
#include <stdio.h>

#include "gpu/game_state.h"

#define SC_STATE_WORDS (sizeof(struct sc_game_state) / 4)

/* The name of state word i (< SC_STATE_WORDS) into buf. */
void sc_state_field_name(size_t i, char *buf, size_t len);
/* One line: "tick" "hash" then every word's name, space-separated. */
void sc_state_fields_header(FILE *f);
/* One line: tick, hash (hex), then every state word (hex). */
void sc_state_fields_line(FILE *f, uint32_t tick, uint64_t hash, const struct sc_game_state *s);

#endif
