#include "server/fault_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

bool sc_fault_report(struct sc_session_shm *s, enum sc_fault_detected detected, enum sc_fault_path path,
                     const struct sc_fault_facts *facts, const char *fmt, ...)
{
	uint32_t error_tick = facts->error_tick;
	struct sc_fault_shm *f = &s->fault;
	uint32_t expected = SC_FAULT_NONE;
	if (!atomic_compare_exchange_strong(&f->state, &expected, SC_FAULT_CLAIMED))
		return false;
	f->incident = atomic_fetch_add(&s->incidents, 1) + 1;
	f->detected = detected;
	f->path = path;
	f->injected = facts->injected;
	f->error_tick = error_tick;
	uint32_t now_tick = atomic_load(&s->next_tick);
	f->detected_tick = now_tick > error_tick ? now_tick : error_tick;
	f->primary_hash_before = facts->hash_before;
	f->detected_ns = sc_now_ns();
	f->primary_pid = atomic_load(&s->primary_pid);
	f->record = facts->record;
	f->device_fault = facts->device_fault;
	f->reserved = 0;
	bool saved = facts->device_fault == SC_DEVICE_FAULT_SAVED && facts->device_fault_report;
	snprintf(f->device_fault_report, sizeof(f->device_fault_report), "%s", saved ? facts->device_fault_report : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	atomic_store(&f->state, SC_FAULT_READY);
	if (f->detected_tick > error_tick)
		sc_warn("incident %u: %s at tick %u, detected %u ticks late at tick %u (signal %u): %s", f->incident,
		        sc_fault_detected_name(detected), error_tick, f->detected_tick - error_tick, f->detected_tick,
		        (unsigned)path, f->detail);
	else
		sc_warn("incident %u: %s at tick %u (signal %u): %s", f->incident, sc_fault_detected_name(detected),
		        error_tick, (unsigned)path, f->detail);
	return true;
}
