/* Fault record: the current incident, how it was detected and where. Part of
 * the session block (session/session.h, layout version
 * SC_SESSION_LAYOUT_VERSION); the hand-off rules are on struct sc_fault_shm. */
#ifndef SC_SESSION_SHM_FAULT_RECORD_H
#define SC_SESSION_SHM_FAULT_RECORD_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Shadow tracking (the shadow-tracking seed, FIG. 7-10). */

/* How a fault was detected: the seed's signals. */
enum sc_fault_path {
	/* the primary found it itself: a shader fault record (assert, the oob guard
	 * band), its own validation of the state, its own fence timeout, a device loss */
	SC_FAULT_PATH_SELF = 724,
	/* the supervisor saw it from outside: a stalled heartbeat, the process's death */
	SC_FAULT_PATH_EXTERNAL = 734,
};

/* The supervisor's heartbeat monitor gives the primary this long beyond the
 * hang timeout before it calls a tick hung: two ticks, at least 250 ms. The
 * primary's own fence timeout starts at most a tick after the last heartbeat,
 * so it normally wins (724) by a tick or more, at least ~230 ms. */
#define SC_MONITOR_SLACK_MS(fps) (2u * 1000u / (fps) > 250u ? 2u * 1000u / (fps) : 250u)

/* What was detected (a superset of the injectable enum sc_fault_kind). */
enum sc_fault_detected {
	SC_DETECTED_ASSERT = 1,      /* shader fault record */
	SC_DETECTED_INVALID = 2,     /* state failed host validation */
	SC_DETECTED_HANG = 3,        /* fence timeout / heartbeat stall */
	SC_DETECTED_DEVICE_LOST = 4, /* VK_ERROR_DEVICE_LOST */
	SC_DETECTED_DEATH = 5,       /* the primary process died */
	SC_DETECTED_DIVERGENCE = 6,  /* shadow hash != primary hash (alarm only, no pause) */
	SC_DETECTED_OOB = 7,         /* an out-of-bounds write hit the guard band (fault record kind 4) */
	SC_DETECTED_DEVICE_LOST_SIMULATED = 8, /* a device-lost input: the primary simulated the loss */
};
#define SC_DETECTED_LAST SC_DETECTED_DEVICE_LOST_SIMULATED

static inline const char *sc_fault_detected_name(uint32_t detected)
{
	switch (detected) {
	case 0: return "none";
	case SC_DETECTED_ASSERT: return "assert";
	case SC_DETECTED_INVALID: return "invalid-state";
	case SC_DETECTED_HANG: return "hang";
	case SC_DETECTED_DEVICE_LOST: return "device-lost";
	case SC_DETECTED_DEATH: return "process-death";
	case SC_DETECTED_DIVERGENCE: return "divergence";
	case SC_DETECTED_OOB: return "oob";
	case SC_DETECTED_DEVICE_LOST_SIMULATED: return "simulated-device-lost";
	default: return "unknown";
	}
}

/* The shaders' own fault record (gpu/game_state.h hdr.fault_kind /
 * fault_detail / fault_tick) as the primary read it after the tick. */
struct sc_shader_fault_record {
	uint32_t kind;   /* 0: none (the incident is not a shader fault record) */
	uint32_t detail;
	uint32_t tick;
};

/* What became of VK_EXT_device_fault's report for this incident. */
enum sc_device_fault_status {
	SC_DEVICE_FAULT_NONE = 0,        /* no device loss: no report was asked for */
	SC_DEVICE_FAULT_SAVED = 1,       /* saved as JSON at device_fault_report */
	SC_DEVICE_FAULT_NOT_OFFERED = 2, /* the primary's driver does not offer the extension (lavapipe) */
	SC_DEVICE_FAULT_FAILED = 3,      /* offered, but the report could not be read or saved (the log says why) */
};

static inline const char *sc_device_fault_status_name(uint32_t status)
{
	switch (status) {
	case SC_DEVICE_FAULT_NONE: return "none";
	case SC_DEVICE_FAULT_SAVED: return "saved";
	case SC_DEVICE_FAULT_NOT_OFFERED: return "not-offered";
	case SC_DEVICE_FAULT_FAILED: return "failed";
	default: return "unknown";
	}
}

enum sc_fault_state {
	SC_FAULT_NONE = 0,
	SC_FAULT_CLAIMED = 1, /* a detector won the CAS from NONE and is filling it in */
	SC_FAULT_READY = 2,   /* complete: the shadow pauses before error_tick */
};

/* The current incident (sc_session_shm.fault).
 * Writers: whichever detector comes first: the primary (SELF path: shader fault
 * record, validation, fence timeout, device loss) or the supervisor (EXTERNAL:
 * heartbeat stall, death); server/fault_report.c. It CASes state NONE ->
 * CLAIMED (seq_cst), fills every plain field (the device fault report too:
 * the primary saves it before it reports), then stores READY (seq_cst:
 * publishes them); later detectors of the same incident lose the CAS and do
 * nothing; nobody writes them again until the next incident.
 * Readers (the shadow, the supervisor, the encoder's debug API) read the plain
 * fields only after loading state == READY. Readers take the numbers from
 * the numeric fields; `detail` is for logs and display only. The supervisor resets state to
 * NONE when it starts a new primary + shadow pair, when no detector runs. */
struct sc_fault_shm {
	_Atomic uint32_t state;   /* enum sc_fault_state */
	uint32_t incident;        /* 1, 2, ... over the server's life */
	uint32_t detected;        /* enum sc_fault_detected */
	uint32_t path;            /* enum sc_fault_path */
	uint32_t injected;        /* enum sc_fault_kind if a FAULT input caused it, else 0 */
	uint32_t error_tick;      /* the tick whose inputs caused it; the shadow holds error_tick - 1 */
	/* the primary's tick when it was detected: error_tick, or later when found
	 * late (the ticks between were published; docs/captures.md) */
	uint32_t detected_tick;
	uint64_t primary_hash_before; /* primary's hash after error_tick - 1 (from the tick log) */
	uint64_t detected_ns;
	int32_t primary_pid;
	struct sc_shader_fault_record record; /* the shader fault record; kind 0 when the incident is none */
	uint32_t device_fault;    /* enum sc_device_fault_status */
	uint32_t reserved;        /* 0 */
	char detail[256];         /* human-readable, for logs and display: fault record, validation message, signal */
	char device_fault_report[640]; /* path of the JSON report the primary saved (device_fault SAVED) */
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_shader_fault_record) == 12, "sc_shader_fault_record layout");
_Static_assert(sizeof(struct sc_fault_shm) == 968, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, state) == 0, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, incident) == 4, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, detected) == 8, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, path) == 12, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, injected) == 16, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, error_tick) == 20, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, detected_tick) == 24, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, primary_hash_before) == 32, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, detected_ns) == 40, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, primary_pid) == 48, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, record) == 52, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, device_fault) == 64, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, reserved) == 68, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, detail) == 72, "sc_fault_shm layout");
_Static_assert(offsetof(struct sc_fault_shm, device_fault_report) == 328, "sc_fault_shm layout");

#endif
