/* Reporting a fault incident into the session (session/shm/fault_record.h
 * sc_fault_shm): the primary for what it detects itself, the supervisor for
 * what it notices from outside. The first report of an incident wins. */
#ifndef SC_SERVER_FAULT_REPORT_H
#define SC_SERVER_FAULT_REPORT_H
#include <stdbool.h>
#include <stdint.h>

#include "session/session.h"

/* What a detector knows of the incident besides what and how: published with
 * it as numbers (readers never parse the detail text back). */
struct sc_fault_facts {
	uint32_t injected;       /* enum sc_fault_kind of the FAULT input that caused it, 0 none */
	uint32_t error_tick;
	uint64_t hash_before;    /* the primary's hash after error_tick - 1, 0 unknown */
	struct sc_shader_fault_record record; /* kind 0: not a shader fault record */
	enum sc_device_fault_status device_fault;
	const char *device_fault_report; /* the saved report's path (device_fault SAVED), else NULL */
};

/* Claims the fault record, fills it from facts and the human-readable detail
 * (fmt: logs and display only), publishes it (READY) and logs it. false when
 * an incident is already being reported or pending (nothing written). */
bool sc_fault_report(struct sc_session_shm *s, enum sc_fault_detected detected, enum sc_fault_path path,
                     const struct sc_fault_facts *facts, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
