#include "shadow/step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game_validate.h"
#include "session/session.h"
#include "util/log.h"

const char *sc_step_outcome_name(enum sc_step_outcome o)
{
	switch (o) {
	case SC_STEP_OK: return "ok";
	case SC_STEP_ASSERT: return "assert";
	case SC_STEP_OOB: return "oob";
	case SC_STEP_INVALID: return "invalid-state";
	case SC_STEP_HANG: return "hang";
	case SC_STEP_DEVICE_LOST: return "device-lost";
	case SC_STEP_HOST_CRASH: return "crash";
	case SC_STEP_HOST_DEVICE_LOST: return "simulated-device-lost";
	case SC_STEP_NOT_RUN_HANG: return "hang-not-executed";
	case SC_STEP_ERROR: return "error";
	}
	return "unknown";
}

enum sc_step_outcome sc_step_danger(const struct sc_input_event *inputs, uint32_t k)
{
	enum sc_step_outcome d = SC_STEP_OK;
	for (uint32_t i = 0; i < k; i++) {
		if (inputs[i].action != SC_INPUT_FAULT)
			continue;
		/* host-side kinds act before any GPU work of the tick: they win */
		if (inputs[i].a == SC_FAULT_CRASH)
			return SC_STEP_HOST_CRASH;
		if (inputs[i].a == SC_FAULT_DEVICE_LOST)
			return SC_STEP_HOST_DEVICE_LOST;
		if (inputs[i].a == SC_FAULT_HANG)
			d = SC_STEP_NOT_RUN_HANG;
	}
	return d;
}

uint32_t sc_step_detected(const struct sc_step_result *res)
{
	switch (res->outcome) {
	case SC_STEP_ASSERT: return SC_DETECTED_ASSERT;
	case SC_STEP_OOB: return SC_DETECTED_OOB;
	case SC_STEP_INVALID: return SC_DETECTED_INVALID;
	case SC_STEP_HANG: return SC_DETECTED_HANG;
	case SC_STEP_DEVICE_LOST: return SC_DETECTED_DEVICE_LOST;
	case SC_STEP_HOST_CRASH: return SC_DETECTED_DEATH;
	case SC_STEP_HOST_DEVICE_LOST: return SC_DETECTED_DEVICE_LOST_SIMULATED;
	default: return 0;
	}
}

uint32_t sc_step_fault_tick(const struct sc_step_result *res)
{
	if (res->outcome == SC_STEP_ASSERT || res->outcome == SC_STEP_OOB)
		return res->state.hdr.fault_tick;
	return res->tick;
}

void sc_step_run(struct sc_game *game, const void *snap, size_t snap_len, const struct sc_input_event *inputs,
                 uint32_t k, uint32_t n, uint32_t flags, struct sc_step_result *res)
{
	memset(res, 0, sizeof(*res));
	res->k = k;
	res->n = n;
	if (snap && !sc_game_restore(game, snap, snap_len)) {
		res->outcome = SC_STEP_ERROR;
		snprintf(res->why, sizeof(res->why), "could not restore the preserved state");
		return;
	}
	uint32_t tick = sc_game_next_tick(game);
	res->tick = tick;
	if (k > SC_MAX_INPUTS_PER_TICK) {
		res->outcome = SC_STEP_ERROR;
		snprintf(res->why, sizeof(res->why), "%u inputs at one tick (at most %d)", k, SC_MAX_INPUTS_PER_TICK);
		return;
	}
	struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
	for (uint32_t i = 0; i < k; i++) {
		ev[i] = inputs[i];
		ev[i].tick = tick;
	}

	enum sc_step_outcome danger = sc_step_danger(ev, k);
	bool dangerous_ok = flags & SC_STEP_DANGEROUS;
	switch (danger) {
	case SC_STEP_HOST_CRASH:
		if (dangerous_ok) {
			/* as the primary does: die before the tick's GPU work */
			fprintf(stdout, "tick %u: crash input applied: aborting as the primary does\n", tick);
			fflush(stdout);
			abort();
		}
		res->outcome = danger;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why),
		         "host-side fault: not executed in the shadow: a crash input makes the primary abort before "
		         "tick %u's GPU work", tick);
		return;
	case SC_STEP_HOST_DEVICE_LOST:
		res->outcome = danger;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why),
		         "host-side fault: %s: a device-lost input makes the primary simulate a device loss "
		         "(VK_ERROR_DEVICE_LOST) before tick %u's GPU work", dangerous_ok ? "simulated as the primary "
		         "does" : "not executed in the shadow", tick);
		return;
	case SC_STEP_NOT_RUN_HANG:
		if (dangerous_ok)
			break;
		res->outcome = danger;
		snprintf(res->why, sizeof(res->why),
		         "would hang: not executed in the shadow (run `shadowcast replay` on the capture: it runs the "
		         "tick in a child process)");
		return;
	default:
		break;
	}

	struct sc_tick_result tr;
	enum sc_game_error e = sc_game_tick(game, ev, k, 0, flags & SC_STEP_RGBA ? SC_RENDER_RGBA : 0, &tr);
	if (e == SC_GAME_TIMEOUT) {
		res->outcome = SC_STEP_HANG;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why), "fence of tick %u not signalled within %u ms", tick,
		         sc_game_config(game)->hang_timeout_ms);
		return;
	}
	if (e == SC_GAME_DEVICE_LOST) {
		res->outcome = SC_STEP_DEVICE_LOST;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why), "VK_ERROR_DEVICE_LOST at tick %u", tick);
		return;
	}
	if (e != SC_GAME_OK) {
		res->outcome = SC_STEP_ERROR;
		snprintf(res->why, sizeof(res->why), "tick %u failed (game error %d)", tick, (int)e);
		return;
	}
	res->executed = true;
	res->hash = tr.hash;
	res->state = tr.state;
	const struct sc_game_header *h = &tr.state.hdr;
	const struct sc_game_config *gc = sc_game_config(game);
	char why[160];
	if (h->fault_kind == SC_FAULT_OOB) {
		res->outcome = SC_STEP_OOB;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why), "fault record kind %u detail %u: out-of-bounds write caught by the "
		         "guard band after the particles", h->fault_kind, h->fault_detail);
	} else if (h->fault_kind) {
		res->outcome = SC_STEP_ASSERT;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why), "fault record kind %u detail %u", h->fault_kind, h->fault_detail);
	} else if (!sc_game_state_valid(&tr.state, gc->players, gc->particles, why, sizeof(why))) {
		res->outcome = SC_STEP_INVALID;
		res->reproduced = true;
		snprintf(res->why, sizeof(res->why), "%s", why);
	} else {
		res->outcome = SC_STEP_OK;
		snprintf(res->why, sizeof(res->why), "no fault");
	}
}

void sc_step_describe(const struct sc_step_result *res, char *buf, size_t len)
{
	switch (res->outcome) {
	case SC_STEP_ASSERT:
		snprintf(buf, len, "assert at tick %u (%s)", res->state.hdr.fault_tick, res->why);
		break;
	case SC_STEP_OOB:
		snprintf(buf, len, "oob at tick %u (%s)", res->state.hdr.fault_tick, res->why);
		break;
	case SC_STEP_INVALID:
		snprintf(buf, len, "invalid state at tick %u: %s", res->tick, res->why);
		break;
	case SC_STEP_HANG:
		snprintf(buf, len, "hang at tick %u (%s)", res->tick, res->why);
		break;
	case SC_STEP_DEVICE_LOST:
		snprintf(buf, len, "device-lost at tick %u (%s)", res->tick, res->why);
		break;
	case SC_STEP_HOST_CRASH:
		snprintf(buf, len, "crash at tick %u (%s)", res->tick, res->why);
		break;
	case SC_STEP_HOST_DEVICE_LOST:
		snprintf(buf, len, "simulated device-lost at tick %u (%s)", res->tick, res->why);
		break;
	default:
		snprintf(buf, len, "%s at tick %u: %s", sc_step_outcome_name(res->outcome), res->tick, res->why);
	}
}
