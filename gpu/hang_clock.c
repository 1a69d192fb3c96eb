#include "gpu/hang_clock.h"

void sc_hang_clock_start(struct sc_hang_clock *c, uint64_t bound_ns, uint64_t slice_ns, uint64_t now_ns)
{
	c->bound_ns = bound_ns;
	c->slice_ns = slice_ns ? slice_ns : 1;
	c->counted_ns = 0;
	c->last_ns = now_ns;
}

uint64_t sc_hang_clock_next_slice(const struct sc_hang_clock *c)
{
	uint64_t left = c->bound_ns > c->counted_ns ? c->bound_ns - c->counted_ns : 0;
	return left < c->slice_ns ? left : c->slice_ns;
}

bool sc_hang_clock_expired(struct sc_hang_clock *c, uint64_t now_ns)
{
	uint64_t took = now_ns > c->last_ns ? now_ns - c->last_ns : 0;
	c->last_ns = now_ns;
	/* more than two slices for one: the process was not running (see the header) */
	uint64_t most = 2 * c->slice_ns;
	c->counted_ns += took < most ? took : most;
	return c->counted_ns >= c->bound_ns;
}
