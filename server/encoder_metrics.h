/* The encoder process's status for HTTP: its Prometheus lines (appended to
 * the WebSocket server's /metrics) and GET /api/v1/state, the game state the
 * latest video frame sent shows. */
#ifndef SC_SERVER_ENCODER_METRICS_H
#define SC_SERVER_ENCODER_METRICS_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"

struct sc_arena;

/* Counters of this encoder process (the session holds the shared ones). */
struct sc_encoder_stats {
	_Atomic uint64_t inputs_logged;        /* events appended to the input log */
	_Atomic uint64_t input_log_full;       /* events refused (clients) or delayed (--inputs) by SC_RING_FULL */
	_Atomic uint64_t cpu_copy_bytes_last;  /* CPU bytes copied for the last frame */
	_Atomic uint64_t cpu_copy_bytes_total;
	_Atomic uint64_t frames_in_place;      /* frames encoded with no CPU copy (encode_one measures it) */
	_Atomic uint64_t frame_mappings;       /* frame memory generations mapped */
	_Atomic uint64_t encode_errors;
	_Atomic uint64_t input_drops_told;     /* dropped events whose client was sent input_dropped */
	_Atomic uint64_t input_drops_untold;   /* dropped events without a known client */
	_Atomic uint64_t inputs_discarded;      /* logged events a new match never applied */
	_Atomic uint64_t inputs_discarded_told; /* of those, the ones whose client was sent input_dropped */
	/* capture (tick start) -> encoded, µs, the last SC_FRAME_LAT_RING frames */
	_Atomic uint32_t frame_lat_us[256];
	_Atomic uint64_t frame_lat_n;
};
#define SC_FRAME_LAT_RING 256u

/* p50 / p99 of the frame latencies in stats (0 with no frames yet). */
void sc_encoder_frame_latency(const struct sc_encoder_stats *stats, uint32_t *p50_us, uint32_t *p99_us);

struct sc_msg_ring;

struct sc_encoder_status {
	struct sc_session_shm *session;
	struct sc_arena *arena;
	const struct sc_encoder_stats *stats;
	/* the typed message rings (session/shm/msg_ring.h): their counters, by block name */
	const struct sc_msg_ring *rings;
	const char *const *ring_names;
	unsigned n_rings;
};

/* Prometheus text into buf; returns bytes written (< len). */
size_t sc_encoder_metrics_text(const struct sc_encoder_status *st, char *buf, size_t len);

/* Copies the session's game state under its seqlock; false when the writer
 * kept it busy for every try (the copy is then not consistent). */
bool sc_session_state_read(struct sc_session_shm *session, struct sc_game_state *out,
                           uint32_t *seq);

/* GET /api/v1/state as JSON into buf: shown is the state the latest video
 * frame sent shows and tick that frame's tick (NULL before the first frame:
 * "valid":false). Returns bytes written, 0 if it does not fit. */
size_t sc_encoder_state_json(struct sc_session_shm *session, const struct sc_game_state *shown, uint32_t tick,
                             char *buf, size_t len);

#endif
