/* Reporting a fault incident into the session (session/session.h sc_fault_shm):
 * the primary for what it detects itself, the supervisor for what it notices
 * from outside. The first report of an incident wins. */
#ifndef SC_SERVER_FAULT_REPORT_H
#define SC_SERVER_FAULT_REPORT_H
#include <stdbool.h>
#include <stdint.h>

#include "session/session.h"

/* false when an incident is already being reported or pending (nothing written). */
bool sc_fault_report(struct sc_session_shm *s, enum sc_fault_detected detected, enum sc_fault_path path,
                     uint32_t injected, uint32_t error_tick, uint64_t hash_before, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

#endif
