/* The encoder process's side of profiling: it drains the three sample rings
 * (session/shm/sample.h) on its encode thread, folds each sample into
 * histograms, adds its own encode time and bytes per frame, and writes the
 * histograms as Prometheus text for /metrics (service thread). */
#ifndef SC_SERVER_PROFILE_METRICS_H
#define SC_SERVER_PROFILE_METRICS_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/spsc_ring.h"
#include "server/prom_hist.h"
#include "session/sample_ring.h"

struct sc_arena;
struct sc_session_shm;

/* roles in the histograms' labels: the primary, and the shadows together */
#define SC_PROFILE_ROLES 2

struct sc_profile {
	struct sc_session_shm *session;
	struct sc_spsc_ring rings[SC_SAMPLE_INSTANCES];
	bool have[SC_SAMPLE_INSTANCES];
	/* encode thread writes, service thread reads */
	struct sc_hist frame_time;                 /* primary: tick start to tick start */
	struct sc_hist tick_wall[SC_PROFILE_ROLES]; /* tick, start to published */
	struct sc_hist tick_cpu[SC_PROFILE_ROLES];  /* the tick thread's CPU time */
	struct sc_hist gpu_pass[SC_PROFILE_ROLES][SC_SAMPLE_PASSES];
	struct sc_hist encode;                     /* one frame through the video encoder */
	_Atomic uint64_t samples_read[SC_SAMPLE_INSTANCES];
	_Atomic uint64_t samples_bad;              /* records refused (corrupt) */
	_Atomic uint64_t encoded_bytes;            /* video bytes out of the encoder */
	_Atomic uint32_t input_depth, shadow_lag;  /* from the primary's last sample */
	_Atomic uint32_t last_tick;                /* the primary's last sample's tick */
};

/* Attaches to the rings (a missing one is logged and skipped). */
void sc_profile_init(struct sc_profile *p, struct sc_arena *arena, struct sc_session_shm *session);

/* Folds one sample into the histograms (the ring reader's step; tests call it). */
void sc_profile_add(struct sc_profile *p, const struct sc_sample *s);

/* Encode thread: drains every ring (at most `max` samples each); returns how
 * many samples it folded in. */
size_t sc_profile_drain(struct sc_profile *p, size_t max);

/* Encode thread: one frame encoded in `ns`, `bytes` long. */
void sc_profile_encoded(struct sc_profile *p, uint64_t ns, uint64_t bytes);

/* Prometheus text into buf (appended by /metrics); returns bytes written. */
size_t sc_profile_metrics_text(const struct sc_profile *p, char *buf, size_t len);

#endif
