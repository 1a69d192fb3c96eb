/* The sample store in its shared block (session/shm/sample_store.h): the
 * supervisor formats it, the encoder process writes each retained sample and
 * metadata version in the order a successor checks, and a restarted encoder
 * checks (and repairs) what a dead one left before it takes it over. The
 * store's reader side is server/profile_metrics.h (struct sc_profile). */
#ifndef SC_SERVER_SAMPLE_STORE_H
#define SC_SERVER_SAMPLE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/shm/sample_store.h"

/* The supervisor, before any child starts: zeroes the block and writes its
 * header. false: retention out of 1..2^20 or size too small. */
bool sc_sample_store_format(void *mem, size_t size, uint32_t retention);

/* Where an instance's arrays are in a checked block. */
struct sc_sample_store_view {
	struct sc_sample_store_shm *h;
	uint32_t retention;
	uint64_t *stamp[SC_SAMPLE_STORE_INSTANCES];
	uint64_t *pos[SC_SAMPLE_STORE_INSTANCES];
	uint32_t *meta[SC_SAMPLE_STORE_INSTANCES];
	struct sc_sample *sample[SC_SAMPLE_STORE_INSTANCES];
	/* what the check found, per instance: the samples held are seq
	 * first..n (first = n + 1: none) */
	uint64_t n[SC_SAMPLE_STORE_INSTANCES], first[SC_SAMPLE_STORE_INSTANCES];
	/* the sample ring's position after the newest stored sample's record
	 * (0: none): a successor skips the records up to it */
	uint64_t ring_pos[SC_SAMPLE_STORE_INSTANCES];
	uint32_t lost[SC_SAMPLE_STORE_INSTANCES];       /* slots found torn or bad now */
	uint32_t meta_dropped[SC_SAMPLE_STORE_INSTANCES]; /* metadata versions or keys found bad now */
};

/* A successor, before it writes anything: checks the block a dead encoder
 * left (every field untrusted, sizes overflow-safe) and repairs it in place
 * (the header's n, bad metadata versions zeroed, the keys in force kept only
 * where valid, rendered anew as a new version when that changed them).
 * expect_retention: the configured --sample-retention (0: any). false: not a
 * sample store of this layout (then nothing was written). */
bool sc_sample_store_check(void *mem, size_t size, uint32_t expect_retention, struct sc_sample_store_view *v);

/* The writer (one encoder process, its encode thread under the profile's
 * lock): sample seq = n + 1 of inst into its slot, in the order the check
 * expects (stamp 0, body, stamp, the header's n); ring_pos: the sample
 * ring's position after its record (the caller frees the record after). */
void sc_sample_store_put(struct sc_sample_store_view *v, uint32_t inst, uint64_t seq, const struct sc_sample *s,
                         uint32_t meta_version, uint64_t ring_pos);

/* The metadata's keys in force as the JSON object every sample shows
 * ({"key":"value",...}; out gets "null" if it does not fit). */
void sc_profile_meta_render(const struct sc_profile_meta *pm, char *out, size_t len);

/* The writer: the new version's JSON into its ring slot (version 0, JSON,
 * version), rendered from pm's keys. */
void sc_profile_meta_publish(struct sc_profile_meta *pm, uint32_t version);

/* Whether json (at most max bytes, NUL included) is exactly what
 * sc_profile_meta_render writes for some valid keys. */
bool sc_profile_meta_json_valid(const char *json, size_t max);

#endif
