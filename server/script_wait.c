#include "server/script_wait.h"

#include <stdlib.h>
#include <time.h>

#include "gpu/input_file.h"
#include "util/clock.h"
#include "util/log.h"

bool sc_script_wait_init(struct sc_script_wait *w, const char *path)
{
	*w = (struct sc_script_wait){0};
	if (!path || !path[0])
		return true;
	struct sc_input_list script = {0};
	if (!sc_input_list_load(&script, path))
		return false; /* sc_input_list_load logged why */
	if (script.count) {
		w->ticks = malloc(script.count * sizeof(*w->ticks));
		if (!w->ticks) {
			sc_warn("inputs: out of memory for the script's ticks; the primary does not wait for its feed");
			sc_input_list_finish(&script);
			return false;
		}
		for (size_t i = 0; i < script.count; i++)
			w->ticks[i] = script.events[i].tick;
		w->n = script.count;
	}
	sc_input_list_finish(&script);
	return true;
}

void sc_script_wait_finish(struct sc_script_wait *w)
{
	free(w->ticks);
	*w = (struct sc_script_wait){0};
}

/* Events with tick <= tick: the script's ticks never decrease. */
static uint64_t due_through(const struct sc_script_wait *w, uint32_t tick)
{
	size_t lo = 0, hi = w->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->ticks[mid] <= tick)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Asks the encoder for the script's events through `tick` (due of them in
 * all) and polls the session's script cursor every ms until it has fed
 * them; false when the bound or a stop came first. */
static bool wait_fed(struct sc_session_shm *session, uint32_t tick, uint64_t due, uint32_t bound_ms,
                     const volatile sig_atomic_t *stop)
{
	uint64_t end = sc_now_ns() + (uint64_t)bound_ms * 1000000ull;
	bool fed = true;
	atomic_store(&session->script_wait, tick + 1);
	while (atomic_load(&session->script_next) < due) {
		uint64_t now = sc_now_ns();
		if (*stop || now > end) {
			fed = false;
			break;
		}
		atomic_store(&session->heartbeat_ns, now); /* between ticks, not hung */
		struct timespec ts = {.tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
	atomic_store(&session->script_wait, 0);
	return fed;
}

void sc_script_wait_start(struct sc_script_wait *w, struct sc_session_shm *session, uint32_t next_tick,
                          const volatile sig_atomic_t *stop)
{
	atomic_store(&session->script_wait, 0); /* a primary that died waiting left it set */
	w->armed = false;
	w->behind = 0;
	if (next_tick != 0)
		return; /* a restored match: the encoder feeds after this process's first frame */
	uint64_t at_zero = due_through(w, 0);
	if (at_zero == 0 || atomic_load(&session->script_next) >= at_zero)
		return;
	if (!wait_fed(session, 0, at_zero, SC_SCRIPT_WAIT_TICK0_MS, stop) && !*stop)
		sc_warn("inputs: no encoder process fed the script's %llu events of tick 0 within %d s; the match "
		        "starts without them (they come late)", (unsigned long long)at_zero,
		        SC_SCRIPT_WAIT_TICK0_MS / 1000);
}

void sc_script_wait_tick(struct sc_script_wait *w, struct sc_session_shm *session, uint32_t tick,
                         const volatile sig_atomic_t *stop)
{
	if (!w->armed) {
		w->armed = true; /* this process's first tick: no frame of it the encoder could feed after */
		return;
	}
	if (!w->n)
		return;
	uint64_t due = due_through(w, tick);
	uint64_t fed = atomic_load(&session->script_next);
	/* only a tick with an event of its own is worth waiting for (events of
	 * earlier ticks are late already), and not while the feed is still behind
	 * a wait that ran out */
	if (fed >= due || due == 0 || w->ticks[due - 1] != tick || fed < w->behind)
		return;
	if (!wait_fed(session, tick, due, SC_SCRIPT_WAIT_FEED_MS, stop) && !*stop) {
		w->behind = due;
		sc_dbg("inputs: the script's events of tick %u were not fed within %d ms; they come late, and the "
		       "primary does not wait again until the feed caught up", tick, SC_SCRIPT_WAIT_FEED_MS);
	}
}
