#include "server/sample_window.h"

#include <stdlib.h>
#include <string.h>

bool sc_sample_window_init(struct sc_sample_window *w, uint32_t before, uint32_t after)
{
	sc_sample_window_finish(w);
	w->before = before < SC_SAMPLE_WINDOW_BEFORE_MAX ? before : SC_SAMPLE_WINDOW_BEFORE_MAX;
	w->after = after < SC_SAMPLE_WINDOW_AFTER_MAX ? after : SC_SAMPLE_WINDOW_AFTER_MAX;
	w->cap = w->before + 1;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		w->pending[i] = calloc(w->cap, sizeof(*w->pending[i]));
		if (!w->pending[i]) {
			sc_sample_window_finish(w);
			return false;
		}
	}
	w->on = true;
	return true;
}

void sc_sample_window_finish(struct sc_sample_window *w)
{
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++)
		free(w->pending[i]);
	memset(w, 0, sizeof(*w));
}

void sc_sample_window_hit(struct sc_sample_window *w, uint32_t tick)
{
	uint32_t lo = tick > w->before ? tick - w->before : 0;
	uint32_t hi = tick > UINT32_MAX - w->after ? UINT32_MAX : tick + w->after;
	w->win[w->next_win].lo = lo;
	w->win[w->next_win].hi = hi;
	w->next_win = (w->next_win + 1) % SC_SAMPLE_WINDOWS;
	if (w->n_win < SC_SAMPLE_WINDOWS)
		w->n_win++;
}

static bool in_window(const struct sc_sample_window *w, uint32_t tick)
{
	for (uint32_t i = 0; i < w->n_win; i++)
		if (tick >= w->win[i].lo && tick <= w->win[i].hi)
			return true;
	return false;
}

void sc_sample_window_flush(struct sc_sample_window *w,
                            void (*keep)(void *ud, const struct sc_sample *x, uint32_t tag, uint64_t pos), void *ud)
{
	if (!w->on)
		return;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		/* up to the newest waiting one in a window: the ones before it that
		 * are in none go (as in take: kept samples stay in order) */
		uint64_t upto = w->head[i];
		for (uint64_t k = w->head[i]; k != w->tail[i]; k++)
			if (in_window(w, w->pending[i][k % w->cap].s.tick))
				upto = k + 1;
		for (; w->head[i] != upto; w->head[i]++) {
			const struct sc_window_pending *pf = &w->pending[i][w->head[i] % w->cap];
			if (in_window(w, pf->s.tick)) {
				keep(ud, &pf->s, pf->tag, pf->pos);
				atomic_fetch_add_explicit(&w->retained[i], 1, memory_order_relaxed);
			} else {
				atomic_fetch_add_explicit(&w->discarded[i], 1, memory_order_relaxed);
			}
		}
	}
}

void sc_sample_window_take(struct sc_sample_window *w, const struct sc_sample *s, uint32_t tag, uint64_t pos,
                           void (*keep)(void *ud, const struct sc_sample *x, uint32_t tag, uint64_t pos), void *ud)
{
	uint32_t i = s->instance;
	if (!w->on || i >= SC_SAMPLE_INSTANCES)
		return;
	bool now = in_window(w, s->tick);
	/* the pending ones first, in order: in a window, kept; else gone when s
	 * is kept (they would come after it) or when no later hit's window can
	 * reach back to them (a later hit is at s's tick or after) */
	while (w->head[i] != w->tail[i]) {
		const struct sc_window_pending *pf = &w->pending[i][w->head[i] % w->cap];
		const struct sc_sample *f = &pf->s;
		if (in_window(w, f->tick)) {
			keep(ud, f, pf->tag, pf->pos);
			atomic_fetch_add_explicit(&w->retained[i], 1, memory_order_relaxed);
		} else if (now || (uint64_t)f->tick + w->before < s->tick) {
			atomic_fetch_add_explicit(&w->discarded[i], 1, memory_order_relaxed);
		} else {
			break;
		}
		w->head[i]++;
	}
	if (now) {
		keep(ud, s, tag, pos);
		atomic_fetch_add_explicit(&w->retained[i], 1, memory_order_relaxed);
		return;
	}
	if (w->tail[i] - w->head[i] == w->cap) { /* full: the oldest goes */
		w->head[i]++;
		atomic_fetch_add_explicit(&w->discarded[i], 1, memory_order_relaxed);
	}
	w->pending[i][w->tail[i] % w->cap].s = *s;
	w->pending[i][w->tail[i] % w->cap].pos = pos;
	w->pending[i][w->tail[i]++ % w->cap].tag = tag;
}
