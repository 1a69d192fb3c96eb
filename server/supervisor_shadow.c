/* Shadow tracking in the supervisor: starting the shadow behind the primary,
 * the external monitor (signal 734 of the seed: a stalled tick heartbeat, the
 * primary's death) and what happens after an incident (--on-fault): the
 * shadow pauses itself before the error tick; restore starts a new primary from
 * the shadow's pre-error state and a new shadow behind it, while the paused
 * shadow stays for inspection in the other status block. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/fault_report.h"
#include "server/supervisor_priv.h"
#include "util/clock.h"
#include "util/log.h"

#define RECOVERY_POLL_MS 20

static struct sc_shadow_shm *slot_block(struct supervisor *sup, int slot)
{
	return slot ? &sup->session->shadow_alt : &sup->session->shadow;
}

static void set_restore_arg(struct sup_child *c, int first, const char *restore)
{
	c->n_extra = first;
	if (restore) {
		snprintf(c->extra_buf[1], sizeof(c->extra_buf[1]), "%s", restore);
		c->extra[c->n_extra++] = "--restore";
		c->extra[c->n_extra++] = c->extra_buf[1];
	}
}

static void start_shadow(struct supervisor *sup, int slot, const char *restore)
{
	struct sup_child *c = &sup->shadows[slot];
	memset(slot_block(sup, slot), 0, sizeof(struct sc_shadow_shm));
	snprintf(c->extra_buf[0], sizeof(c->extra_buf[0]), "%d", slot);
	c->extra[0] = "--shadow-slot";
	c->extra[1] = c->extra_buf[0];
	set_restore_arg(c, 2, restore);
	sup->tracking.active = slot;
	sup_child_start(sup, c);
}

/* A new shadow beside the running primary: from its checkpoint, not from
 * where the primary started (the logs have moved on since). */
static void start_follower(struct supervisor *sup)
{
	struct sup_tracking *t = &sup->tracking;
	int slot = t->active >= 0 ? t->active : (t->held == 0 ? 1 : 0);
	if (sup->shadows[slot].pid)
		return;
	struct sup_child *c = &sup->shadows[slot];
	memset(slot_block(sup, slot), 0, sizeof(struct sc_shadow_shm));
	snprintf(c->extra_buf[0], sizeof(c->extra_buf[0]), "%d", slot);
	c->extra[0] = "--shadow-slot";
	c->extra[1] = c->extra_buf[0];
	c->extra[2] = "--follow-checkpoint";
	c->n_extra = 3;
	t->active = slot;
	/* the shadow asks for the checkpoint itself once its device is ready:
	 * the primary's checkpoint holds both logs until the shadow adopts it */
	sc_info("a new shadow joins the primary from a checkpoint (slot %d)", slot);
	sup_child_start(sup, c);
}

void sup_tracking_shadow_exit(struct supervisor *sup, struct sup_child *c, int status)
{
	struct sup_tracking *t = &sup->tracking;
	if (t->active < 0 || c != &sup->shadows[t->active] || t->recovery_pending)
		return; /* a held shadow released, or one replaced on an incident */
	uint64_t now = sc_now_ns();
	/* a shadow that ran a while starts the back-off over */
	if (now - c->started_ns > 10ull * 1000000000ull)
		t->follower_backoff_ms = 0;
	t->follower_backoff_ms = t->follower_backoff_ms ? t->follower_backoff_ms * 2 : sup->cfg.restart_backoff_ms;
	if (t->follower_backoff_ms > sup->cfg.restart_backoff_max_ms)
		t->follower_backoff_ms = sup->cfg.restart_backoff_max_ms;
	t->follower_at_ns = now + (uint64_t)t->follower_backoff_ms * 1000000ull;
	sc_warn("the shadow following the primary stopped (%s %d); a new one joins from a checkpoint in %u ms",
	        WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
	        t->follower_backoff_ms);
}

void sup_tracking_init(struct supervisor *sup)
{
	for (int i = 0; i < SUP_N_SHADOWS; i++) {
		sup_child_init(&sup->shadows[i], "shadow", sup->cfg.restart_backoff_ms);
		/* a shadow cannot rejoin a running match: it is not restarted */
		sup->shadows[i].no_restart = true;
	}
	sup->tracking.active = -1;
	sup->tracking.held = -1;
}

void sup_tracking_start(struct supervisor *sup)
{
	if (sup->cfg.shadow)
		start_shadow(sup, 0, NULL);
	else
		sc_info("shadow tracking off (--no-shadow)");
}

/* The FAULT input among the inputs the primary had gathered for `tick` when it
 * died or stalled there, read back from the input log (the range it published):
 * a crash input first (that one kills the process), else the first FAULT
 * input; 0 when there is none or the tick's inputs were not gathered. */
static uint32_t gathered_fault(struct supervisor *sup, uint32_t tick)
{
	struct sc_session_shm *s = sup->session;
	if (atomic_load(&s->inputs_gathered_through) != tick + 1)
		return 0; /* it had not gathered this tick's inputs yet */
	uint64_t begin = atomic_load(&s->gathered_seq_begin), end = atomic_load(&s->gathered_seq_end);
	if (end <= begin)
		return 0;
	int reader;
	if (!sc_input_log_reader_attach(&sup->input_log, begin, &reader)) {
		sc_warn("the inputs of tick %u (seq %llu..%llu) are no longer in the input log: injected kind unknown",
		        tick, (unsigned long long)begin, (unsigned long long)end);
		return 0;
	}
	uint32_t kind = 0;
	for (uint64_t seq = begin; seq < end; seq++) {
		struct sc_input_event ev;
		if (sc_input_log_peek(&sup->input_log, reader, seq, &ev) != SC_RING_SUCCESS) {
			sc_warn("input log seq %llu of tick %u unreadable: injected kind may be unknown",
			        (unsigned long long)seq, tick);
			break;
		}
		if (ev.action != SC_INPUT_FAULT)
			continue;
		if (ev.a == SC_FAULT_CRASH) {
			kind = SC_FAULT_CRASH;
			break;
		}
		if (!kind)
			kind = (uint32_t)ev.a;
	}
	sc_input_log_reader_detach(&sup->input_log, reader);
	return kind;
}

bool sup_tracking_primary_exit(struct supervisor *sup, int status)
{
	struct sc_session_shm *s = sup->session;
	if (!atomic_load(&s->primary_ready))
		return false; /* died before its first tick: a plain crash restart */
	if (atomic_load(&s->fault.state) == SC_FAULT_NONE) {
		char how[48];
		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		uint32_t tick = atomic_load(&s->next_tick);
		struct sc_fault_facts facts = {.injected = gathered_fault(sup, tick), .error_tick = tick};
		sc_fault_report(s, SC_DETECTED_DEATH, SC_FAULT_PATH_EXTERNAL, &facts, "primary process %s during tick %u",
		                how, tick);
	}
	atomic_store(&s->primary_ready, 0);
	return sup->cfg.shadow;
}

/* The external monitor: no tick completed for longer than the hang timeout. */
static void check_heartbeat(struct supervisor *sup, uint64_t now)
{
	struct sc_session_shm *s = sup->session;
	if (!sup->primary.pid || !atomic_load(&s->primary_ready) || atomic_load(&s->fault.state) != SC_FAULT_NONE)
		return;
	uint64_t hb = atomic_load(&s->heartbeat_ns);
	uint64_t limit = ((uint64_t)sup->cfg.hang_timeout_ms + SC_MONITOR_SLACK_MS(sup->cfg.fps)) * 1000000ull;
	if (!hb || now < hb + limit)
		return;
	uint32_t tick = atomic_load(&s->next_tick);
	struct sc_fault_facts facts = {.injected = gathered_fault(sup, tick), .error_tick = tick};
	if (sc_fault_report(s, SC_DETECTED_HANG, SC_FAULT_PATH_EXTERNAL, &facts,
	                    "heartbeat stalled: no tick completed for %llu ms (tick %u)",
	                    (unsigned long long)((now - hb) / 1000000), tick))
		sup_child_kill(&sup->primary, SIGKILL);
}

/* A crash loop: --crash-loop incidents within SC_CRASH_LOOP_WINDOW_S. While in
 * one, shadows write no incident captures (the disk does not fill with copies
 * of the same fault), recovery starts a new match instead of restoring the
 * faulting state, with a back-off; it ends after a window without incidents. */
static void count_incident(struct supervisor *sup, uint64_t now)
{
	struct sup_tracking *t = &sup->tracking;
	uint32_t n = sup->cfg.crash_loop_incidents;
	t->incident_ns[t->n_incidents++ % SUP_CRASH_LOOP_MAX] = now;
	if (t->crash_loop || t->n_incidents < n)
		return;
	uint64_t oldest = t->incident_ns[(t->n_incidents - n) % SUP_CRASH_LOOP_MAX];
	uint64_t window = SC_CRASH_LOOP_WINDOW_S * 1000000000ull;
	if (now - oldest > window)
		return;
	t->crash_loop = true;
	t->loop_backoff_ms = sup->cfg.restart_backoff_ms;
	atomic_store(&sup->session->capture_last_incident, sup->session->fault.incident);
	struct sc_fault_shm *f = &sup->session->fault;
	sc_err("crash loop: %u incidents within %.1f s (latest: %s at tick %u: %s); no more captures or restores: "
	       "the primary restarts as a new match with back-off until %d s pass without an incident", n,
	       (double)(now - oldest) / 1e9, sc_fault_detected_name(f->detected), f->error_tick, f->detail,
	       SC_CRASH_LOOP_WINDOW_S);
}

static void check_loop_over(struct supervisor *sup, uint64_t now)
{
	struct sup_tracking *t = &sup->tracking;
	if (!t->crash_loop || t->recovery_pending)
		return;
	uint64_t last = t->incident_ns[(t->n_incidents - 1) % SUP_CRASH_LOOP_MAX];
	if (now - last < SC_CRASH_LOOP_WINDOW_S * 1000000000ull)
		return;
	t->crash_loop = false;
	atomic_store(&sup->session->capture_last_incident, 0);
	sc_info("crash loop over: no incident for %d s; captures and restores resume", SC_CRASH_LOOP_WINDOW_S);
}

/* Restore only from a state known good: the incident's own capture (not an
 * older one), paused on time (before the error tick), with the primary's
 * published hash for the tick it holds equal to its own. */
static bool verified_state(struct supervisor *sup, struct sc_shadow_shm *b, char *why, size_t len)
{
	struct sc_fault_shm *f = &sup->session->fault;
	if (!b || atomic_load(&b->state) != SC_SHADOW_PAUSED) {
		snprintf(why, len, "the shadow did not pause");
		return false;
	}
	if (atomic_load(&b->incident_captured) != f->incident) {
		snprintf(why, len, "no capture of incident %u before its error tick (captures of it: %u)", f->incident,
		         atomic_load(&b->captures));
		return false;
	}
	uint32_t held = atomic_load(&b->next_tick);
	if (!b->held_primary_hash_known) {
		snprintf(why, len, "the primary published no hash for tick %u, the state the shadow holds: unverified",
		         held ? held - 1 : 0);
		return false;
	}
	uint64_t mine = atomic_load(&b->hash);
	if (mine != b->held_primary_hash || atomic_load(&b->divergences)) {
		snprintf(why, len, "the shadow's state after tick %u (hash %016llx, %llu divergences) is not the "
		         "primary's (hash %016llx)", held ? held - 1 : 0, (unsigned long long)mine,
		         (unsigned long long)atomic_load(&b->divergences), (unsigned long long)b->held_primary_hash);
		return false;
	}
	return true;
}

/* Start the next primary (and a new shadow behind it) after an incident. */
static void recover(struct supervisor *sup)
{
	struct sup_tracking *t = &sup->tracking;
	struct sc_session_shm *s = sup->session;
	struct sc_shadow_shm *b = t->active >= 0 ? slot_block(sup, t->active) : NULL;
	bool paused = b && atomic_load(&b->state) == SC_SHADOW_PAUSED && atomic_load(&b->captures) > 0;
	char restore[600] = "", why[300] = "";
	if (sup->cfg.on_fault == SC_ON_FAULT_RESTORE && !t->crash_loop && verified_state(sup, b, why, sizeof(why)))
		snprintf(restore, sizeof(restore), "%s/state.bin", b->capture_dir);
	else if (sup->cfg.on_fault == SC_ON_FAULT_RESTORE && !t->crash_loop)
		sc_warn("on-fault restore: %s; starting a new match instead", why);
	atomic_store(&s->restore_valid, 0);
	if (restore[0]) {
		/* the new primary reads the inputs from the held tick on: every acked
		 * input is applied once; the offending tick's FAULT inputs are dropped,
		 * or all of that tick's inputs when no injected fault explains it */
		s->restore_seq_begin = b->held_seq_begin;
		s->restore_seq_end = b->held_seq_end;
		s->restore_drop_all = s->fault.injected == 0;
		atomic_store(&s->restore_valid, 1);
	}

	/* the paused shadow stays for inspection and an older one makes room;
	 * with no new pause (none in time, or none captured in a crash loop) the
	 * one held from an earlier incident stays */
	int keep = paused ? t->active : t->held;
	if (!paused && t->active >= 0)
		sup_child_kill(&sup->shadows[t->active], SIGTERM);
	int next = keep == 0 ? 1 : 0;
	if (sup->shadows[next].pid) {
		if (next != t->active)
			sc_info("releasing the shadow held from an earlier incident (slot %d)", next);
		sup_child_kill(&sup->shadows[next], SIGTERM);
		sup_child_reap(sup, &sup->shadows[next], true);
	}
	t->held = keep;

	atomic_store(&s->fault.state, SC_FAULT_NONE);
	t->follower_at_ns = 0; /* the new pair has its own shadow */
	set_restore_arg(&sup->primary, 0, restore[0] ? restore : NULL);
	sc_info("%s the primary%s%s", restore[0] ? "restoring" : "restarting", restore[0] ? " from " : "", restore);
	sup_child_start(sup, &sup->primary);
	start_shadow(sup, next, restore[0] ? restore : NULL);
	t->recovery_pending = false;
}

/* What the pause wait needs from the shadow following the primary. */
static struct sc_pause_view pause_view(struct supervisor *sup)
{
	struct sup_tracking *t = &sup->tracking;
	struct sc_pause_view v = {0};
	if (t->active < 0)
		return v;
	struct sc_shadow_shm *b = slot_block(sup, t->active);
	v.alive = sup->shadows[t->active].pid != 0;
	v.state = atomic_load(&b->state);
	v.captures = atomic_load(&b->captures);
	v.paused = v.state == SC_SHADOW_PAUSED && v.captures > 0;
	v.next_tick = atomic_load(&b->next_tick);
	v.paused_ns = atomic_load(&b->paused_ns);
	return v;
}

/* In a crash loop the next match starts no sooner than the back-off after
 * the incident was seen. */
static bool loop_backoff_over(const struct sup_tracking *t, uint64_t now)
{
	return !t->crash_loop || now >= t->fault_seen_ns + (uint64_t)t->loop_backoff_ms * 1000000ull;
}

/* Recovery waits for the shadow's pause while it makes progress toward it;
 * returns the poll timeout, or 0 once it recovered. */
static int wait_for_pause(struct supervisor *sup, uint64_t now)
{
	struct sup_tracking *t = &sup->tracking;
	struct sc_pause_view v = pause_view(sup);
	char why[200] = "no shadow was following the primary";
	enum sc_pause_wait_result r = SC_PAUSE_WAIT_GIVE_UP;
	if (t->active >= 0)
		r = sc_pause_wait_check(&t->pause_wait, &v, now, why, sizeof(why));
	if (r == SC_PAUSE_WAIT_WAITING || sup->primary.pid || !loop_backoff_over(t, now))
		return RECOVERY_POLL_MS; /* (the faulted primary is being killed) */
	if (r == SC_PAUSE_WAIT_GIVE_UP) {
		sc_warn("incident %u: recovering without a paused shadow: %s", sup->session->fault.incident, why);
		if (t->active >= 0 && v.alive)
			sup_child_kill(&sup->shadows[t->active], SIGKILL); /* stalled: it may not even take a SIGTERM */
	}
	recover(sup);
	return 0;
}

int sup_tracking_poll(struct supervisor *sup)
{
	struct sup_tracking *t = &sup->tracking;
	struct sc_session_shm *s = sup->session;
	uint64_t now = sc_now_ns();
	check_heartbeat(sup, now);
	check_loop_over(sup, now);

	struct sc_fault_shm *f = &s->fault;
	if (atomic_load(&f->state) == SC_FAULT_READY && f->incident != t->handled_incident) {
		t->handled_incident = f->incident;
		t->fault_seen_ns = now;
		if (t->crash_loop)
			t->loop_backoff_ms = t->loop_backoff_ms * 2 > sup->cfg.restart_backoff_max_ms ?
			                     sup->cfg.restart_backoff_max_ms : t->loop_backoff_ms * 2;
		count_incident(sup, now);
		if (sup->primary.pid)
			sup_child_kill(&sup->primary, SIGKILL); /* its state is no longer trusted */
		if (!sup->cfg.shadow) {
			/* the plain crash restart (with its back-off) brings the primary back */
			atomic_store(&f->state, SC_FAULT_NONE);
			sc_warn("incident %u: no shadow (--no-shadow) to pause", f->incident);
		} else if (sup->cfg.on_fault == SC_ON_FAULT_STOP) {
			/* the primary's exit is not a crash restart (sup_tracking_primary_exit) */
			sc_warn("incident %u: --on-fault stop: the primary stays down, the shadow holds tick %u",
			        f->incident, f->error_tick ? f->error_tick - 1 : 0);
		} else {
			t->recovery_pending = true;
			if (t->crash_loop && f->incident > atomic_load(&s->capture_last_incident))
				sc_warn("incident %u: no capture or restore (a crash loop since incident %u); a new match "
				        "in %u ms", f->incident, atomic_load(&s->capture_last_incident), t->loop_backoff_ms);
			struct sc_pause_view v = pause_view(sup);
			sc_pause_wait_start(&t->pause_wait, f->error_tick, f->detected_ns,
			                    sc_pause_wait_stall_ns(sup->cfg.hang_timeout_ms, sup->cfg.fps), &v, now);
		}
	}
	if (t->recovery_pending) {
		/* the incident that starts a crash loop is still captured, so its
		 * shadow's pause is waited for like any other; later ones are not */
		uint32_t last_captured = atomic_load(&s->capture_last_incident);
		if (t->crash_loop && f->incident > last_captured) {
			/* no capture to wait for: a new match after the back-off */
			if (!sup->primary.pid && loop_backoff_over(t, now))
				recover(sup);
			else
				return RECOVERY_POLL_MS;
		} else {
			int ms = wait_for_pause(sup, now);
			if (ms)
				return ms;
		}
	}
	if (t->follower_at_ns && !t->recovery_pending && atomic_load(&f->state) == SC_FAULT_NONE) {
		if (now >= t->follower_at_ns && sup->primary.pid && atomic_load(&s->primary_ready)) {
			t->follower_at_ns = 0;
			start_follower(sup);
		} else if (now < t->follower_at_ns) {
			int ms = (int)((t->follower_at_ns - now) / 1000000 + 1);
			return ms < RECOVERY_POLL_MS ? ms : RECOVERY_POLL_MS;
		}
	}
	if (sup->primary.pid) {
		/* the heartbeat check runs about once a tick */
		int ms = (int)(1000 / sup->cfg.fps);
		return ms < 5 ? 5 : ms;
	}
	return -1;
}
