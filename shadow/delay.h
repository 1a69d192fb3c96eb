/* The delay module: the shadow's lagging cursor over the primary's tick records
 * (the shadow-tracking seed's delay buffer). Pure decisions, no I/O, so the
 * rules are testable on their own:
 *  - no incident: apply the next record once the primary has completed
 *    `delay_ticks` more ticks after it;
 *  - an incident is being reported (CLAIMED): wait for its error tick;
 *  - an incident is READY: catch up on every record before the error tick
 *    without waiting, then pause before the error tick (the primary never
 *    publishes a record for the tick that faulted, so the pause also happens
 *    when no record for error_tick exists: died mid-tick). */
#ifndef SC_SHADOW_DELAY_H
#define SC_SHADOW_DELAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/input_event.h"

enum sc_delay_fault { SC_DELAY_FAULT_NONE, SC_DELAY_FAULT_CLAIMED, SC_DELAY_FAULT_READY };

struct sc_delay_view {
	uint32_t next_tick;          /* the shadow's next tick */
	uint32_t delay_ticks;
	enum sc_delay_fault fault;   /* of an incident not yet handled by this shadow */
	uint32_t error_tick;         /* when READY */
	bool have_record;            /* the next unconsumed tick record */
	uint32_t record_tick;
	bool have_latest;            /* the newest record in the log (the primary's last completed tick) */
	uint32_t latest_tick;
};

enum sc_delay_action {
	SC_DELAY_WAIT,   /* nothing to do yet */
	SC_DELAY_APPLY,  /* apply the next record */
	SC_DELAY_PAUSE,  /* pause before next_tick: it is the error tick */
	SC_DELAY_LATE,   /* the error tick is already behind the shadow (delay too short): pause now */
};

enum sc_delay_action sc_delay_decide(const struct sc_delay_view *v);

/* The ticks the primary would apply pending log entries at: the stamped-tick
 * rule, sc_input_gather_assign (gpu/input_gather.h). */

#endif
