#include "gpu/input_gather.h"

uint32_t sc_input_gather_place(struct sc_input_gather *g, uint32_t stamp)
{
	if (!sc_input_gather_accepts(g, stamp))
		*g = sc_input_gather_start(stamp > g->tick ? stamp : g->tick + 1);
	sc_input_gather_take(g);
	return g->tick;
}

void sc_input_gather_assign(struct sc_input_event *ev, size_t n, uint32_t first_tick)
{
	struct sc_input_gather g = sc_input_gather_start(first_tick);
	for (size_t i = 0; i < n; i++)
		ev[i].tick = sc_input_gather_place(&g, ev[i].tick);
}
