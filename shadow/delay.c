#include "shadow/delay.h"

enum sc_delay_action sc_delay_decide(const struct sc_delay_view *v)
{
	if (v->fault == SC_DELAY_FAULT_CLAIMED)
		return SC_DELAY_WAIT; /* the error tick is being written: a moment */
	if (v->fault == SC_DELAY_FAULT_READY) {
		if (v->error_tick == v->next_tick)
			return SC_DELAY_PAUSE;
		if (v->error_tick < v->next_tick)
			return SC_DELAY_LATE;
		if (!v->have_record)
			return SC_DELAY_WAIT;
		/* a record at or past the error tick cannot come from the faulted
		 * primary: pause rather than run into it */
		return v->record_tick < v->error_tick ? SC_DELAY_APPLY : SC_DELAY_PAUSE;
	}
	if (!v->have_record || !v->have_latest)
		return SC_DELAY_WAIT;
	if ((uint64_t)v->record_tick + v->delay_ticks <= v->latest_tick)
		return SC_DELAY_APPLY;
	return SC_DELAY_WAIT;
}
