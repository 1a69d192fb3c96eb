#ifndef SC_GPU_GAME_VALIDATE_H
#define SC_GPU_GAME_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>

#include "gpu/game_state.h"

/* Host-side validation of a tick's state (the external monitor's "output that
 * fails validation"): every field in its range and consistent. false with the
 * first problem found in why. */
bool sc_game_state_valid(const struct sc_game_state *s, uint32_t players, uint32_t particles,
                         char *why, size_t len);

#endif
