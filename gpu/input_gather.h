/* The stamped-tick rule: which tick each input of the log is applied at. The
 * primary applies, at tick t, every pending input stamped at or before t, in
 * log order, at most SC_MAX_INPUTS_PER_TICK of them; the rest wait for the
 * next tick. The primary gathers with it (server/primary.c take_inputs), the
 * shadow predicts with it the ticks of inputs the primary never published
 * (shadow/shadow_hold.c), and the shadow-process test's stand-in primary uses
 * it too. Pure: no I/O, no shared memory; the caller walks its log. */
#ifndef SC_GPU_INPUT_GATHER_H
#define SC_GPU_INPUT_GATHER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/game_state.h"
#include "net/shm/input_event.h"

/* Gathering one tick's inputs. */
struct sc_input_gather {
	uint32_t tick;  /* the tick being gathered */
	uint32_t taken; /* inputs given to it so far */
};

static inline struct sc_input_gather sc_input_gather_start(uint32_t tick)
{
	return (struct sc_input_gather){.tick = tick, .taken = 0};
}

/* Whether g->tick has no room left: it takes no more inputs, whatever their stamp. */
static inline bool sc_input_gather_full(const struct sc_input_gather *g)
{
	return g->taken >= SC_MAX_INPUTS_PER_TICK;
}

/* Whether the next pending input in log order, stamped `stamp`, belongs to
 * g->tick. When it does not, g->tick is complete: no later input of the log
 * belongs to it either (log order is kept). Does not count the input: a caller
 * that drops an accepted input instead of applying it (a restored primary,
 * take_inputs) skips sc_input_gather_take. */
static inline bool sc_input_gather_accepts(const struct sc_input_gather *g, uint32_t stamp)
{
	return !sc_input_gather_full(g) && stamp <= g->tick;
}

/* Counts an accepted input as applied at g->tick. */
static inline void sc_input_gather_take(struct sc_input_gather *g)
{
	g->taken++;
}

/* The tick the next pending input, stamped `stamp`, is applied at, counted;
 * moves g on to the tick that takes it when g->tick does not: the later of
 * g->tick + 1 and its stamp (the ticks between take nothing). */
uint32_t sc_input_gather_place(struct sc_input_gather *g, uint32_t stamp);

/* Rewrites ev[i].tick of n pending inputs in log order to the tick each is
 * applied at, from first_tick on (nothing gathered for it yet). */
void sc_input_gather_assign(struct sc_input_event *ev, size_t n, uint32_t first_tick);

#endif
