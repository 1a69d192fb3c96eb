/* The shadow's command mailbox (session/shm/shadow_mailbox.h sc_shadow_shm):
 * the debug API fills cmd/arg and bumps cmd_seq; the shadow answers with
 * result, message, reproduced and step_dir, then done_seq = cmd_seq. Polled
 * every loop iteration (1-2 ms). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shadow/shadow_priv.h"
#include "util/clock.h"
#include "util/log.h"

/* The held state's own tick is the longest a RESUME after an incident runs. */
#define RESUME_MAX_TICKS 100000

static int cmd_pause(struct shadow *sh, char *msg, size_t len)
{
	if (sh->paused) {
		snprintf(msg, len, "already paused before tick %u", shadow_next_tick(sh));
		return 0;
	}
	if (!shadow_hold(sh)) {
		snprintf(msg, len, "could not preserve the state");
		return EIO;
	}
	sh->incident_pause = false;
	atomic_store(&sh->me->paused_ns, sc_now_ns());
	shadow_publish(sh, SC_SHADOW_PAUSED);
	snprintf(msg, len, "paused before tick %u (%zu inputs of it held)", shadow_next_tick(sh),
	         shadow_held_inputs(sh));
	return 0;
}

/* After an incident the logs have moved on without this shadow: it runs on
 * through the inputs it holds, tick by tick, until they are used up or a tick
 * faults or cannot run here. After a developer's pause it follows the log again. */
static int cmd_resume(struct shadow *sh, struct shadow_step_out *out, char *msg, size_t len)
{
	if (!sh->paused) {
		snprintf(msg, len, "not paused");
		return EALREADY;
	}
	if (!shadow_restore_held(sh)) {
		snprintf(msg, len, "could not restore the held state");
		return EIO;
	}
	if (!sh->incident_pause) {
		sh->paused = false;
		shadow_publish(sh, SC_SHADOW_RESUMED);
		snprintf(msg, len, "resumed at tick %u, following the log %u ticks behind", shadow_next_tick(sh),
		         sh->delay_ticks);
		return 0;
	}
	uint32_t ticks = 0;
	char step[512] = "";
	while (sh->n_pending && ticks < RESUME_MAX_TICKS) {
		struct shadow_step_out step_out;
		int r = shadow_step_tick(sh, false, &step_out, step, sizeof(step));
		if (r != 0 || step_out.reproduced) {
			shadow_publish(sh, SC_SHADOW_PAUSED);
			snprintf(msg, len, "resumed for %u ticks, paused again: %s", ticks, step);
			out->reproduced = step_out.reproduced; /* the tick it stopped at */
			return r;
		}
		ticks++;
	}
	shadow_publish(sh, SC_SHADOW_RESUMED);
	snprintf(msg, len, "resumed: ran %u ticks through the held inputs; holds tick %u (no more inputs: the primary "
	         "of this incident is gone)", ticks, shadow_next_tick(sh) - 1);
	return 0;
}

static int cmd_set_delay(struct shadow *sh, int64_t arg, char *msg, size_t len)
{
	/* no minimum: a tick's record exists only once it completed, so the shadow
	 * never passes a tick that hangs or kills the primary (config.c) */
	if (arg < 0 || arg > 36000) {
		snprintf(msg, len, "delay %lld ticks refused: must be 0..36000", (long long)arg);
		return EINVAL;
	}
	sh->delay_ticks = (uint32_t)arg;
	atomic_store(&sh->me->delay_ticks, sh->delay_ticks);
	snprintf(msg, len, "delay set to %u ticks", sh->delay_ticks);
	return 0;
}

static int run_command(struct shadow *sh, uint32_t cmd, int64_t arg, struct shadow_step_out *out, char *msg,
                       size_t len)
{
	switch (cmd) {
	case SC_SHADOW_CMD_PAUSE: return cmd_pause(sh, msg, len);
	case SC_SHADOW_CMD_RESUME: return cmd_resume(sh, out, msg, len);
	case SC_SHADOW_CMD_STEP_INPUT:
	case SC_SHADOW_CMD_STEP_TICK:
		if (!sh->paused) {
			snprintf(msg, len, "not paused: pause first");
			return EAGAIN;
		}
		if (cmd == SC_SHADOW_CMD_STEP_INPUT)
			return shadow_step_input(sh, out, msg, len);
		if (!sh->incident_pause) {
			/* the log is still ours: step = apply the next tick record */
			if (!shadow_restore_held(sh))
				return EIO;
			uint32_t before = shadow_next_tick(sh);
			if (!shadow_apply_next_record(sh) || !shadow_hold(sh)) {
				snprintf(msg, len, "stepping tick %u failed", before);
				return EIO;
			}
			if (shadow_next_tick(sh) == before) {
				snprintf(msg, len, "no tick record for tick %u yet", before);
				return EAGAIN;
			}
			shadow_publish(sh, SC_SHADOW_PAUSED);
			snprintf(msg, len, "tick %u applied from the log, hash %016llx", before, (unsigned long long)sh->hash);
			return 0;
		}
		{
			int r = shadow_step_tick(sh, true, out, msg, len);
			shadow_publish(sh, SC_SHADOW_PAUSED);
			return r;
		}
	case SC_SHADOW_CMD_SET_DELAY: return cmd_set_delay(sh, arg, msg, len);
	case SC_SHADOW_CMD_CAPTURE:
		if (!sh->paused) {
			/* a capture of the state now, without stopping */
			if (!shadow_hold(sh))
				return EIO;
			sh->paused = false;
			bool ok = shadow_write_capture(sh, false, msg, len);
			return ok ? 0 : EIO;
		}
		if (!shadow_restore_held(sh))
			return EIO;
		return shadow_write_capture(sh, false, msg, len) ? 0 : EIO;
	default:
		snprintf(msg, len, "unknown command %u", cmd);
		return ENOSYS;
	}
}

void shadow_poll_commands(struct shadow *sh)
{
	struct sc_shadow_shm *m = sh->me;
	uint32_t seq = atomic_load(&m->cmd_seq);
	if (seq == sh->last_cmd_seq)
		return;
	uint32_t cmd = m->cmd;
	int64_t arg = m->arg;
	char msg[sizeof(m->message)] = "";
	struct shadow_step_out out = {0};
	int r = run_command(sh, cmd, arg, &out, msg, sizeof(msg));
	if (r && !msg[0])
		snprintf(msg, sizeof(msg), "%s", strerror(r));
	/* every result field, for every command: none is left from the last one */
	m->result = r;
	snprintf(m->message, sizeof(m->message), "%s", msg);
	m->reproduced = out.reproduced;
	snprintf(m->step_dir, sizeof(m->step_dir), "%s", out.dir);
	sh->last_cmd_seq = seq;
	atomic_store(&m->done_seq, seq);
	shadow_publish(sh, (enum sc_shadow_state)atomic_load(&m->state));
}
