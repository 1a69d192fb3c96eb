#include "server/pause_wait.h"

#include <stdio.h>

#include "session/session.h"

uint64_t sc_pause_wait_stall_ns(uint32_t hang_timeout_ms, uint32_t fps)
{
	uint64_t tick_ms = fps ? (1000u + fps - 1) / fps : 1000u;
	uint64_t ns = ((uint64_t)hang_timeout_ms + 2 * tick_ms) * 1000000ull;
	return ns > SC_PAUSE_WAIT_MIN_STALL_NS ? ns : SC_PAUSE_WAIT_MIN_STALL_NS;
}

void sc_pause_wait_start(struct sc_pause_wait *w, uint32_t error_tick, uint64_t detected_ns, uint64_t stall_ns,
                         const struct sc_pause_view *v, uint64_t now_ns)
{
	w->error_tick = error_tick;
	w->detected_ns = detected_ns;
	w->stall_ns = stall_ns;
	w->progress_ns = now_ns;
	w->last = *v;
}

/* Holding this incident's state and writing its capture (the shadow stores
 * paused_ns before the capture, its state PAUSED after it). */
static bool capturing(const struct sc_pause_wait *w, const struct sc_pause_view *v)
{
	return v->state != SC_SHADOW_PAUSED && v->paused_ns && v->paused_ns >= w->detected_ns;
}

enum sc_pause_wait_result sc_pause_wait_check(struct sc_pause_wait *w, const struct sc_pause_view *v, uint64_t now_ns,
                                              char *why, size_t len)
{
	if (v->paused)
		return SC_PAUSE_WAIT_PAUSED;
	if (!v->alive) {
		snprintf(why, len, "the shadow exited before it paused (it was at tick %u of %u)", v->next_tick,
		         w->error_tick);
		return SC_PAUSE_WAIT_GIVE_UP;
	}
	if (v->next_tick != w->last.next_tick || v->state != w->last.state || v->captures != w->last.captures ||
	    v->paused_ns != w->last.paused_ns) {
		w->progress_ns = now_ns;
		w->last = *v;
		return SC_PAUSE_WAIT_WAITING;
	}
	bool cap = capturing(w, v);
	uint64_t limit = cap ? SC_PAUSE_WAIT_CAPTURE_NS : w->stall_ns;
	uint64_t idle = now_ns > w->progress_ns ? now_ns - w->progress_ns : 0;
	if (idle <= limit)
		return SC_PAUSE_WAIT_WAITING;
	if (cap)
		snprintf(why, len, "the shadow holds tick %u but its capture is not written after %.1f s",
		         v->next_tick ? v->next_tick - 1 : 0, (double)idle / 1e9);
	else
		snprintf(why, len, "the shadow made no progress toward tick %u for %.1f s (it is at tick %u)", w->error_tick,
		         (double)idle / 1e9, v->next_tick);
	return SC_PAUSE_WAIT_GIVE_UP;
}
