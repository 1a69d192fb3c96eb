/* The encoder process's side of profiling: it drains the three sample rings
 * (session/shm/sample.h) on its encode thread, folds each sample into
 * histograms, adds its own encode time and bytes per frame, and writes the
 * histograms as Prometheus text for /metrics (service thread). */
#ifndef SC_SERVER_PROFILE_METRICS_H
#define SC_SERVER_PROFILE_METRICS_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/spsc_ring.h"
#include "server/condition.h"
#include "server/prom_hist.h"
#include "session/sample_ring.h"

struct sc_arena;
struct sc_session_shm;
struct sc_profile_file;

/* roles in the histograms' labels: the primary, and the shadows together */
#define SC_PROFILE_ROLES 2
#define SC_PROFILE_HISTORY 2048 /* the primary's last samples kept for /api/v1/events (~34 s at 60 Hz) */
#define SC_PROFILE_EVENTS 64    /* the last condition hits kept */

/* A condition hit: the sample where the condition started to hold. */
struct sc_profile_event {
	uint64_t id;        /* 1, 2, ... in this encoder process */
	uint64_t time_ns;   /* the tick's start, CLOCK_MONOTONIC */
	uint32_t tick;
	uint32_t condition; /* index in the conditions */
	double value;
};

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
	/* target conditions (set once before the encode thread starts) */
	const struct sc_condition *conds;
	uint32_t n_conds;
	bool holding[SC_MAX_CONDITIONS];           /* encode thread: held on the last sample */
	_Atomic uint64_t cond_hits[SC_MAX_CONDITIONS];
	/* the primary's last samples and the last hits, for the debug API:
	 * written by the encode thread, read by the service thread, under lock */
	pthread_mutex_t lock;
	bool inited;
	struct sc_sample *history;                 /* SC_PROFILE_HISTORY, sample n at [n % size]; NULL: none */
	uint64_t history_n;
	struct sc_profile_event events[SC_PROFILE_EVENTS];
	uint64_t events_n;
	uint32_t capture_seq;                      /* encode thread: anomaly capture requests made */
	/* --profile FILE: every sample read and every hit go there too (set
	 * before the encode thread starts; NULL: none) */
	struct sc_profile_file *file;
};

/* Attaches to the rings (a missing one is logged and skipped). */
void sc_profile_init(struct sc_profile *p, struct sc_arena *arena, struct sc_session_shm *session);

/* Frees the history. */
void sc_profile_finish(struct sc_profile *p);

/* The target conditions evaluated on each primary sample (the array must
 * outlive p); before the first sample. */
void sc_profile_set_conditions(struct sc_profile *p, const struct sc_condition *conds, uint32_t n);

/* GET /api/v1/events[?around=TICK[&before=N][&after=M]] as JSON into buf:
 * the last condition hits, and with `around` the samples of the primary
 * from N before that tick to M after it (default 30, at most 300 each).
 * Returns bytes written (0: did not fit); *status the HTTP status (400 for
 * a bad query, with an error object). */
size_t sc_profile_events_json(struct sc_profile *p, const char *query, char *buf, size_t len, unsigned *status);

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
