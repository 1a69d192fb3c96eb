/* Anomaly captures (issue 11, session/session.h): a target condition with
 * `capture` hit on the primary's sample of tick T; the shadow, running its
 * delay behind, writes a capture of the state after tick T when it gets
 * there, like a manual capture, and goes on following: it does not pause. */
#include <stdatomic.h>

#include "shadow/shadow_priv.h"
#include "util/log.h"

void shadow_anomaly_poll(struct shadow *sh)
{
	uint64_t req = atomic_load(&sh->session->anomaly_capture_req);
	if (req == sh->anomaly_seen)
		return;
	sh->anomaly_seen = req;
	uint32_t tick = (uint32_t)req, next = shadow_next_tick(sh);
	if (tick + 1 < next) {
		sc_warn("anomaly capture of tick %u missed: the shadow already holds tick %u (the condition was seen "
		        "after the shadow passed it: a longer --delay keeps more time)", tick, next - 1);
		return;
	}
	sh->anomaly_req = req;
	if (tick + 1 == next) /* it holds that tick right now */
		shadow_anomaly_after_tick(sh);
}

void shadow_anomaly_after_tick(struct shadow *sh)
{
	if (!sh->anomaly_req || shadow_next_tick(sh) != (uint32_t)sh->anomaly_req + 1)
		return;
	uint64_t req = sh->anomaly_req;
	sh->anomaly_req = 0;
	char msg[600];
	/* as the capture command does without pausing: hold, write, follow on */
	bool held = shadow_hold(sh);
	sh->paused = false;
	sh->anomaly_condition = (int)((req >> 32) & 0xff); /* session.h: seq << 40 | condition << 32 | tick */
	bool ok = held && shadow_write_capture(sh, false, msg, sizeof(msg));
	sh->anomaly_condition = -1;
	if (!ok) {
		sc_warn("anomaly capture of tick %u failed%s%s", (uint32_t)req, held ? ": " : "", held ? msg : "");
		return;
	}
	uint32_t c = (uint32_t)(req >> 32) & 0xff;
	sc_info("anomaly capture of tick %u (condition %s): %s; the shadow follows on", (uint32_t)req,
	        c < sh->cfg->n_conditions ? sh->cfg->conditions[c].name : "?", sh->capture_dir);
	atomic_store(&sh->session->anomaly_capture_done, req);
}
