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

#define PAUSE_WAIT_NS (5ull * 1000 * 1000 * 1000)       /* for the shadow's capture before recovering */
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
		sc_fault_report(s, SC_DETECTED_DEATH, SC_FAULT_PATH_EXTERNAL, gathered_fault(sup, tick), tick, 0,
		                "primary process %s during tick %u", how, tick);
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
	if (sc_fault_report(s, SC_DETECTED_HANG, SC_FAULT_PATH_EXTERNAL, gathered_fault(sup, tick), tick, 0,
	                    "heartbeat stalled: no tick completed for %llu ms (tick %u)",
	                    (unsigned long long)((now - hb) / 1000000), tick))
		sup_child_kill(&sup->primary, SIGKILL);
}

/* Start the next primary (and a new shadow behind it) after an incident. */
static void recover(struct supervisor *sup)
{
	struct sup_tracking *t = &sup->tracking;
	struct sc_session_shm *s = sup->session;
	struct sc_shadow_shm *b = t->active >= 0 ? slot_block(sup, t->active) : NULL;
	bool paused = b && atomic_load(&b->state) == SC_SHADOW_PAUSED && atomic_load(&b->captures) > 0;
	char restore[600] = "";
	if (paused && sup->cfg.on_fault == SC_ON_FAULT_RESTORE)
		snprintf(restore, sizeof(restore), "%s/state.bin", b->capture_dir);
	if (sup->cfg.on_fault == SC_ON_FAULT_RESTORE && !restore[0])
		sc_warn("on-fault restore: the shadow did not pause with a capture; starting a new match instead");

	/* the paused shadow stays for inspection; an older one makes room */
	int keep = paused ? t->active : -1;
	if (!paused && t->active >= 0)
		sup_child_kill(&sup->shadows[t->active], SIGTERM);
	int next = keep == 0 ? 1 : 0;
	if (sup->shadows[next].pid) {
		sc_info("releasing the shadow held from an earlier incident (slot %d)", next);
		sup_child_kill(&sup->shadows[next], SIGTERM);
		sup_child_reap(sup, &sup->shadows[next], true);
	}
	t->held = keep;

	atomic_store(&s->fault.state, SC_FAULT_NONE);
	set_restore_arg(&sup->primary, 0, restore[0] ? restore : NULL);
	sc_info("%s the primary%s%s", restore[0] ? "restoring" : "restarting", restore[0] ? " from " : "", restore);
	sup_child_start(sup, &sup->primary);
	start_shadow(sup, next, restore[0] ? restore : NULL);
	t->recovery_pending = false;
}

int sup_tracking_poll(struct supervisor *sup)
{
	struct sup_tracking *t = &sup->tracking;
	struct sc_session_shm *s = sup->session;
	uint64_t now = sc_now_ns();
	check_heartbeat(sup, now);

	struct sc_fault_shm *f = &s->fault;
	if (atomic_load(&f->state) == SC_FAULT_READY && f->incident != t->handled_incident) {
		t->handled_incident = f->incident;
		t->fault_seen_ns = now;
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
		}
	}
	if (t->recovery_pending) {
		struct sc_shadow_shm *b = t->active >= 0 ? slot_block(sup, t->active) : NULL;
		bool paused = b && atomic_load(&b->state) == SC_SHADOW_PAUSED && atomic_load(&b->captures) > 0;
		bool primary_gone = !sup->primary.pid;
		if (primary_gone && (paused || now >= t->fault_seen_ns + PAUSE_WAIT_NS || !sup->shadows[t->active].pid))
			recover(sup);
		else
			return RECOVERY_POLL_MS;
	}
	if (sup->primary.pid) {
		/* the heartbeat check runs about once a tick */
		int ms = (int)(1000 / sup->cfg.fps);
		return ms < 5 ? 5 : ms;
	}
	return -1;
}
