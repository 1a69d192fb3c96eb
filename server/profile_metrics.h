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
#include "server/event_track.h"
#include "server/prom_hist.h"
#include "server/sample_store.h"
#include "server/sample_window.h"
#include "session/sample_ring.h"

struct sc_arena;
struct sc_session_shm;
struct sc_profile_file;

/* roles in the histograms' labels: the primary, and the shadows together */
#define SC_PROFILE_ROLES 2
/* samples kept per instance (primary, shadow slot 0, shadow slot 1) for the
 * debug API (--sample-retention): 1 minute at 60 ticks/s by default */
#define SC_SAMPLE_RETENTION_DEFAULT 3600u
#define SC_SAMPLE_RETENTION_MIN 64u
#define SC_SAMPLE_RETENTION_MAX 1048576u

struct sc_profile {
	struct sc_session_shm *session;
	struct sc_spsc_ring rings[SC_SAMPLE_INSTANCES];
	bool have[SC_SAMPLE_INSTANCES];
	/* encode thread writes, service thread reads */
	struct sc_hist frame_time;                 /* primary: tick start to tick start (exemplar: the tick) */
	struct sc_hist frame_latency;              /* a frame's tick start to encoded (exemplar: the tick) */
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
	bool holding[SC_SAMPLE_INSTANCES][SC_MAX_CONDITIONS]; /* encode thread: held on the instance's last sample */
	_Atomic uint64_t cond_hits[SC_MAX_CONDITIONS];
	/* each instance's last samples, for the debug API: written by the encode
	 * thread, read by the service thread, under lock */
	pthread_mutex_t lock;
	bool inited;
	uint32_t sample_retention;                 /* samples kept per instance */
	struct sc_sample *history[SC_SAMPLE_INSTANCES]; /* sample n at [n % retention]; NULL: none */
	uint64_t history_n[SC_SAMPLE_INSTANCES];   /* samples stored: sample n has seq n + 1 */
	uint64_t history_first[SC_SAMPLE_INSTANCES]; /* no n below it is held (an adopted store's bad slots) */
	uint32_t *history_meta[SC_SAMPLE_INSTANCES]; /* the metadata version of sample n at [n % retention] */
	struct sc_profile_meta *meta[SC_SAMPLE_INSTANCES]; /* under lock: meta_own, or in the store's block */
	struct sc_profile_meta meta_own[SC_SAMPLE_INSTANCES];
	/* the sample-store block the stores are in (store.h NULL: process memory) */
	struct sc_sample_store_view store;
	/* encode thread: the sample ring's position after the record being
	 * handled (stored with it), and after the newest sample an adopted store
	 * held (records up to it were stored by the predecessor: skipped) */
	uint64_t ring_next[SC_SAMPLE_INSTANCES], stored_pos[SC_SAMPLE_INSTANCES];
	_Atomic uint64_t samples_restored;         /* records skipped so: stored before a kill */
	_Atomic uint64_t meta_changes, meta_refused; /* metadata records applied; a key past SC_SAMPLE_META_KEYS */
	/* the session's events (condition hits among them) */
	struct sc_event_track events;
	uint32_t capture_seq;                      /* encode thread: anomaly capture requests made */
	/* --profile FILE: every sample read and every hit go there too (set
	 * before the encode thread starts; NULL: none) */
	struct sc_profile_file *file;
	/* --sample-window: only the samples around condition hits retained (off: all) */
	struct sc_sample_window window;
};

/* Attaches to the rings (a missing one is logged and skipped). */
void sc_profile_init(struct sc_profile *p, struct sc_arena *arena, struct sc_session_shm *session);

/* Sets how many samples are kept per instance and how many events
 * (clamped to their ranges); before the first sample (the stores are
 * allocated anew). false: no memory. */
bool sc_profile_set_retention(struct sc_profile *p, uint32_t samples, uint32_t events);
/* The encoder process, before its threads start: the event track moves into
 * the session's event-track block (created by the supervisor), taking over
 * what a dead predecessor recorded there (*adopted events, *lost bad ones).
 * false: no such block or not a track (the track stays in this process). */
bool sc_profile_adopt_event_track(struct sc_profile *p, struct sc_arena *arena, uint32_t *adopted, uint32_t *lost);

/* The encoder process, before its threads start (after the retention is
 * set): the sample stores and the metadata move into the session's
 * sample-store block (created by the supervisor), taking over what a dead
 * predecessor kept there: the same samples under the same seq, and the seq
 * goes on. adopted[i]: samples taken over per instance; *lost: torn or bad
 * slots and metadata. false: no such block or not a store of this layout
 * and retention (the stores stay in this process). */
bool sc_profile_adopt_sample_store(struct sc_profile *p, struct sc_arena *arena, uint64_t adopted[SC_SAMPLE_INSTANCES],
                                   uint32_t *lost);

/* Under p->lock: the oldest sample n of an instance still held. */
uint64_t sc_profile_oldest_n_locked(const struct sc_profile *p, uint32_t inst);

/* Bytes the sample stores and the event track hold: the bound the two
 * retentions set (fixed once allocated). */
size_t sc_profile_store_bytes(const struct sc_profile *p);

/* --sample-window BEFORE:AFTER (docs/profiling.md): before the first
 * sample. false: no memory (the mode stays off). */
bool sc_profile_set_window(struct sc_profile *p, uint32_t before, uint32_t after);

/* Frees the history. */
void sc_profile_finish(struct sc_profile *p);

/* The target conditions evaluated on each primary sample (the array must
 * outlive p); before the first sample. */
void sc_profile_set_conditions(struct sc_profile *p, const struct sc_condition *conds, uint32_t n);

/* The profiling part of the debug API, as JSON (docs/protocol.md):
 * what = "events" (GET /api/v1/events), "events/ID" (one event and the
 * samples around it), "samples" (GET /api/v1/samples). Returns a malloc'd
 * body (*len bytes) or NULL (out of memory, or over 64 MiB); *status the HTTP status (400
 * for a bad query, 404 for an event not held, with an error object). */
char *sc_profile_api_json(struct sc_profile *p, const char *what, const char *query, size_t *len, unsigned *status);

/* One sample / one event as the debug API writes it (docs/protocol.md §10);
 * the feed (server/sample_feed.c) writes the same. */
struct sc_prom_out;
void sc_profile_sample_json(struct sc_prom_out *o, const struct sc_sample *s, const char *meta);
/* Under p->lock: the metadata JSON object of version v of an instance ("{}"
 * for 0), NULL when no longer held (then written as null). */
const char *sc_profile_meta_json_locked(const struct sc_profile *p, uint32_t inst, uint32_t v);
/* A metadata record read from an instance's ring (drain; tests call it). */
void sc_profile_meta(struct sc_profile *p, const struct sc_sample_meta *m);
void sc_profile_event_json(struct sc_prom_out *o, const struct sc_profile *p, const struct sc_event *e);

/* Folds one sample into the histograms (the ring reader's step; tests call it). */
void sc_profile_add(struct sc_profile *p, const struct sc_sample *s);

/* Encode thread: drains every ring (at most `max` samples each); returns how
 * many samples it folded in. */
size_t sc_profile_drain(struct sc_profile *p, size_t max);

/* Encode thread: one frame encoded in `ns`, `bytes` long. */
void sc_profile_encoded(struct sc_profile *p, uint64_t ns, uint64_t bytes);
/* Encode thread: the frame of `tick` was encoded `ns` after its tick started. */
void sc_profile_frame_latency(struct sc_profile *p, uint64_t ns, uint32_t tick);

/* Prometheus text into buf (appended by /metrics); returns bytes written.
 * openmetrics: the histograms carry exemplars (the rest is the same text;
 * net/ws/ws_prom.h turns it into OpenMetrics). */
size_t sc_profile_metrics_text(const struct sc_profile *p, char *buf, size_t len, bool openmetrics);

#endif
