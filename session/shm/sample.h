/* The sample rings: one fixed-layout profiling sample per sampled tick, from
 * a game instance to the encoder process (issue 11). One ring per producer,
 * each an sc_spsc_ring (net/shm/spsc_ring.h) in its own arena block; one ring
 * per producer, carrying SC_MSG_SAMPLE and SC_MSG_SAMPLE_META (the game's
 * metadata, below). Layout version: SC_SESSION_LAYOUT_VERSION.
 *
 *   SC_SAMPLE_RING_BLOCK          primary -> encoder
 *   SC_SAMPLE_RING_SHADOW0_BLOCK  shadow slot 0 -> encoder
 *   SC_SAMPLE_RING_SHADOW1_BLOCK  shadow slot 1 -> encoder
 *
 * Record (ring type SC_MSG_SAMPLE): struct sc_msg_header (net/shm/msg_header.h:
 * type SC_MSG_SAMPLE, timestamp_ns = the tick's start (CLOCK_MONOTONIC), seq =
 * the tick, payload_len = sizeof(struct sc_sample)), then struct sc_sample.
 * Record (ring type SC_MSG_SAMPLE_META): the header (type SC_MSG_SAMPLE_META,
 * seq = the tick it applies from, payload_len = sizeof(struct
 * sc_sample_meta)), then struct sc_sample_meta: one key's new value, written
 * before that tick's sample (so it applies to it and the samples after).
 *
 * Owners and order: the supervisor creates and formats the three rings once,
 * before any child starts (they outlive every child). Each instance is the
 * only producer of its ring: after a sampled tick it claims a record, fills
 * it and commits (release store of the tail), never waits: a full ring drops
 * the sample and counts it (samples_dropped in the session block). The
 * encoder process is the only consumer of all three: it drains them on its
 * encode thread (acquire load of the tail, then the record, then a release
 * store of the head), folds them into the /metrics histograms and keeps the
 * last SC_SAMPLE_HISTORY of them for the debug API. A producer killed
 * mid-record leaves nothing visible; a restarted one attaches as it is. */
#ifndef SC_SESSION_SHM_SAMPLE_H
#define SC_SESSION_SHM_SAMPLE_H
#include <stddef.h>
#include <stdint.h>

#include "net/shm/msg_header.h"

#define SC_SAMPLE_RING_BLOCK "sample-ring"
#define SC_SAMPLE_RING_SHADOW0_BLOCK "sample-ring-shadow0"
#define SC_SAMPLE_RING_SHADOW1_BLOCK "sample-ring-shadow1"
#define SC_SAMPLE_RING_CAPACITY (64u * 1024) /* data bytes: 455 records, ~7.5 s of 60 Hz ticks */

/* GPU passes timed in each tick (gpu/game.c records a timestamp after each;
 * SC_SAMPLE_PASS_NAMES in that order). A simulate-only tick (the shadow)
 * has 0 for bin, render and seal. */
#define SC_SAMPLE_PASSES 8
#define SC_SAMPLE_PASS_NAMES {"tick_logic", "spin", "particles", "audio", "finalize", "bin", "render", "seal"}

enum sc_sample_instance {
	SC_SAMPLE_PRIMARY = 0,
	SC_SAMPLE_SHADOW0 = 1,
	SC_SAMPLE_SHADOW1 = 2,
};

enum sc_sample_flags {
	SC_SAMPLE_RENDERED = 1u << 0,       /* the tick rendered a frame (bin/render/seal timed) */
	SC_SAMPLE_GPU_CALIBRATED = 1u << 1, /* gpu_begin_host_ns is on the host clock (VK_EXT_calibrated_timestamps) */
};

struct sc_sample {
	uint32_t tick;
	uint16_t instance;          /* enum sc_sample_instance */
	uint16_t flags;             /* enum sc_sample_flags */
	uint64_t tick_start_ns;     /* CLOCK_MONOTONIC */
	uint32_t wall_ns;           /* the tick, start to published (CPU wall time) */
	uint32_t cpu_ns;            /* CPU time of the tick's thread (CLOCK_THREAD_CPUTIME_ID) */
	uint32_t frame_ns;          /* this tick's start - the previous tick's start; 0 for the first */
	uint32_t gpu_total_ns;      /* first to last timestamp of the tick's command buffer */
	uint32_t gpu_pass_ns[SC_SAMPLE_PASSES];
	uint32_t input_depth;       /* primary: inputs in the log not gathered yet, after gathering */
	uint32_t shadow_lag;        /* primary: ticks the running shadow is behind; shadow: 0 */
	uint32_t score0, score1;
	uint32_t players, particles;
	uint32_t n_inputs;          /* inputs applied in the tick */
	uint32_t sample_every;      /* the sampling period in force (1 = every tick) */
	uint64_t gpu_begin_host_ns; /* GPU start on CLOCK_MONOTONIC when calibrated, else 0 */
};

/* The game's metadata (sc_sample_meta_set, session/sample_writer.h): a key
 * of 1..SC_SAMPLE_META_KEY_MAX bytes of [A-Za-z0-9_.-] and a value of
 * 0..SC_SAMPLE_META_VALUE_MAX bytes of printable ASCII (0x20..0x7e), both
 * zero-padded; at most SC_SAMPLE_META_KEYS keys per instance. The reader
 * checks all of it (sc_sample_meta_valid). */
#define SC_SAMPLE_META_KEY_MAX 23
#define SC_SAMPLE_META_VALUE_MAX 63
#define SC_SAMPLE_META_KEYS 8

struct sc_sample_meta {
	uint32_t tick;     /* the first tick (sample) it applies to */
	uint16_t instance; /* enum sc_sample_instance */
	uint8_t key_len, value_len;
	char key[SC_SAMPLE_META_KEY_MAX + 1];
	char value[SC_SAMPLE_META_VALUE_MAX + 1];
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_sample_meta) == 96, "sc_sample_meta layout");
_Static_assert(offsetof(struct sc_sample_meta, key) == 8, "sc_sample_meta layout");
_Static_assert(offsetof(struct sc_sample_meta, value) == 32, "sc_sample_meta layout");
_Static_assert(sizeof(struct sc_sample) == 104, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, tick_start_ns) == 8, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, wall_ns) == 16, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, gpu_total_ns) == 28, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, gpu_pass_ns) == 32, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, input_depth) == 64, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, sample_every) == 92, "sc_sample layout");
_Static_assert(offsetof(struct sc_sample, gpu_begin_host_ns) == 96, "sc_sample layout");

#endif
