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
		return false; /* the encoder process says what is wrong with it */
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

/* Polls the session's script cursor every ms until it reaches `due`; false
 * when the bound or a stop came first. */
static bool wait_fed(struct sc_session_shm *session, uint64_t due, uint32_t bound_ms,
                     const volatile sig_atomic_t *stop)
{
	uint64_t end = sc_now_ns() + (uint64_t)bound_ms * 1000000ull;
	while (atomic_load(&session->script_next) < due) {
		if (*stop || sc_now_ns() > end)
			return false;
		struct timespec ts = {.tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
	return true;
}

void sc_script_wait_start(struct sc_script_wait *w, struct sc_session_shm *session, uint32_t next_tick,
                          const volatile sig_atomic_t *stop)
{
	atomic_store(&session->script_wait_tick0, 0); /* a primary that died waiting left it set */
	w->armed = false;
	if (next_tick != 0)
		return; /* a restored match: the encoder feeds after this process's first frame */
	uint64_t at_zero = due_through(w, 0);
	if (at_zero == 0 || atomic_load(&session->script_next) >= at_zero)
		return;
	atomic_store(&session->script_wait_tick0, 1); /* the encoder feeds tick 0 only while this is set */
	if (!wait_fed(session, at_zero, SC_SCRIPT_WAIT_TICK0_MS, stop) && !*stop)
		sc_warn("inputs: no encoder process fed the script's %llu events of tick 0 within %d s; the match "
		        "starts without them (they come late)", (unsigned long long)at_zero,
		        SC_SCRIPT_WAIT_TICK0_MS / 1000);
	/* from here the primary runs tick 0: the encoder feeds after frames again
	 * (one that fed on past this would only stamp what is due, as on_input) */
	atomic_store(&session->script_wait_tick0, 0);
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
	if (atomic_load(&session->script_next) >= due)
		return;
	/* only a tick with an event of its own is worth waiting for: events of
	 * earlier ticks are late already (their encoder was down) */
	if (due == 0 || w->ticks[due - 1] != tick)
		return;
	if (!wait_fed(session, due, SC_SCRIPT_WAIT_FEED_MS, stop) && !*stop)
		sc_dbg("inputs: the script's events of tick %u were not fed within %d ms; they come late", tick,
		       SC_SCRIPT_WAIT_FEED_MS);
}
