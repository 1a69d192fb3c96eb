/* The sample store's block (issue 11): the samples the encoder process keeps
 * for the debug API and the WebSocket feed (--sample-retention per instance),
 * with the game's metadata versions they name, live in shared memory so that
 * they outlive the encoder process that reads them. A restarted encoder
 * adopts them: the same samples under the same seq numbers, and the seq goes
 * on from there (docs/protocol.md §10 and §11).
 *
 * Owners and order: the supervisor creates the block SC_SAMPLE_STORE_BLOCK
 * (kind SC_BLOCK_RAW) and writes the header's magic, version, retention and
 * sample_size once, before any child starts. Exactly one encoder process at a
 * time writes everything else; the supervisor starts its successor only after
 * it is dead, so nothing here is read while it is written, except by a
 * successor reading what a dead one left: every field is then untrusted and
 * checked (sc_sample_store_check in server/sample_store.c):
 *   - sample seq k (1, 2, ... per instance) goes in slot (k - 1) % retention:
 *     the writer stores the slot's stamp 0, the sample, its metadata version
 *     and the position in the instance's sample ring right after its record,
 *     then the stamp k, then the instance's n = k, and only then frees the
 *     record in the sample ring (sc_spsc_ring_release_to);
 *   - so a successor reads again the record of a sample whose slot was not
 *     whole, and skips the records up to the newest whole slot's position:
 *     every sample the instance wrote is stored exactly once (the encoder
 *     checks a sample's conditions before it stores it: a kill in between
 *     and the successor checks it again, so a hit is recorded twice, never
 *     not). With --sample-window, a sample waiting for a hit is held in the
 *     encoder process only (its record already freed): a kill loses those,
 *     and each kept one is stored with its own record's position;
 *   - the successor takes n (and n + 1 if that slot is whole), then keeps
 *     the newest run of slots whose stamps are exactly right and whose
 *     instance is theirs; anything older than a bad slot counts as lost;
 *   - metadata version v goes in meta[inst].ring[v % SC_META_VERSIONS]: its
 *     version 0, the JSON, then v; the successor keeps the versions whose
 *     index, range and JSON are right (the grammar meta_render writes), and
 *     the keys in force only if each is valid (else it renders what is left
 *     as a new version).
 * Layout version: SC_SAMPLE_STORE_VERSION (and the _Static_asserts below).
 * Memory: sc_sample_store_block_size(retention): 396,440 bytes of metadata
 * plus 124 bytes per sample and instance (3 instances): 1.74 MB at the
 * default 3600. */
#ifndef SC_SESSION_SHM_SAMPLE_STORE_H
#define SC_SESSION_SHM_SAMPLE_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "session/shm/sample.h"

#define SC_SAMPLE_STORE_BLOCK "sample-store"
#define SC_SAMPLE_STORE_MAGIC 0x53435353u /* "SCSS" */
#define SC_SAMPLE_STORE_VERSION 1u
/* a count past this is not a store's (2^48 samples: 150,000 years at 60/s):
 * the successor starts that instance again */
#define SC_SAMPLE_STORE_SEQ_MAX (1ull << 48)
#define SC_SAMPLE_STORE_INSTANCES 3 /* enum sc_sample_instance: the primary, shadow slots 0 and 1 */

/* The game's metadata (sc_sample_meta_set): per instance the keys in force
 * and, for each change (a version), their JSON object, kept for the newest
 * SC_META_VERSIONS changes; every stored sample names the version in force
 * when it was read. */
#define SC_META_VERSIONS 64
#define SC_META_JSON_MAX 2048 /* 8 keys of 23 bytes, values of 63 escaped up to 126: 1241 */
struct sc_profile_meta {
	uint32_t n;       /* keys in force (kv[0..n)) */
	uint32_t version; /* 0: nothing set yet */
	struct sc_sample_meta kv[SC_SAMPLE_META_KEYS];
	struct {
		uint32_t version;
		char json[SC_META_JSON_MAX]; /* NUL-terminated */
	} ring[SC_META_VERSIONS];
};
_Static_assert(offsetof(struct sc_profile_meta, kv) == 8, "sc_profile_meta layout");
_Static_assert(offsetof(struct sc_profile_meta, ring) == 8 + 96 * SC_SAMPLE_META_KEYS, "sc_profile_meta layout");
_Static_assert(sizeof(struct sc_profile_meta) == 776 + 2052 * SC_META_VERSIONS, "sc_profile_meta layout");

struct sc_sample_store_shm {
	uint32_t magic, version;     /* the supervisor's, once */
	uint32_t retention;          /* samples per instance */
	uint32_t sample_size;        /* sizeof(struct sc_sample) */
	uint64_t n[SC_SAMPLE_STORE_INSTANCES];    /* samples stored per instance: the newest seq */
	uint64_t lost[SC_SAMPLE_STORE_INSTANCES]; /* samples adoptions found torn or bad */
	uint64_t from[SC_SAMPLE_STORE_INSTANCES]; /* the last adoption's oldest seq held: no slot below it is counted lost again */
	uint8_t reserved[128 - 16 - 24 * SC_SAMPLE_STORE_INSTANCES];
	struct sc_profile_meta meta[SC_SAMPLE_STORE_INSTANCES];
	/* then, at sc_sample_store_offsets(): per instance, retention each:
	 *   uint64_t stamp[] (the seq of the sample in the slot, 0 while written),
	 *   uint64_t pos[] (the sample ring's position after its record),
	 *   uint32_t meta[] (the metadata version in force when it was read;
	 *     the array padded to 8 bytes),
	 *   struct sc_sample sample[] */
};
_Static_assert(offsetof(struct sc_sample_store_shm, n) == 16, "sc_sample_store_shm layout");
_Static_assert(offsetof(struct sc_sample_store_shm, lost) == 40, "sc_sample_store_shm layout");
_Static_assert(offsetof(struct sc_sample_store_shm, from) == 64, "sc_sample_store_shm layout");
_Static_assert(offsetof(struct sc_sample_store_shm, meta) == 128, "sc_sample_store_shm layout");
_Static_assert(sizeof(struct sc_sample_store_shm) % 8 == 0, "sc_sample_store_shm layout");

struct sc_sample_store_offsets {
	size_t stamp[SC_SAMPLE_STORE_INSTANCES], pos[SC_SAMPLE_STORE_INSTANCES];
	size_t meta[SC_SAMPLE_STORE_INSTANCES], sample[SC_SAMPLE_STORE_INSTANCES];
	size_t size; /* the whole block */
};

/* Offsets from the block's start; retention <= 2^20 (no overflow). */
static inline struct sc_sample_store_offsets sc_sample_store_offsets(uint32_t retention)
{
	struct sc_sample_store_offsets o;
	size_t at = sizeof(struct sc_sample_store_shm), r = retention;
	for (int i = 0; i < SC_SAMPLE_STORE_INSTANCES; i++) {
		o.stamp[i] = at;
		at += r * sizeof(uint64_t);
		o.pos[i] = at;
		at += r * sizeof(uint64_t);
		o.meta[i] = at;
		at += (r * sizeof(uint32_t) + 7) & ~(size_t)7;
		o.sample[i] = at;
		at += r * sizeof(struct sc_sample);
	}
	o.size = at;
	return o;
}

static inline size_t sc_sample_store_block_size(uint32_t retention)
{
	return sc_sample_store_offsets(retention).size;
}

#endif
