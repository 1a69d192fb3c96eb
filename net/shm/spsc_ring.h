/* Single-producer single-consumer record ring in shared memory (Aeron C style).
 *
 * Records are {u32 length, u32 type} + body, 8-byte aligned; a padding record
 * fills the end of the buffer when a record would wrap. head (consumer) and
 * tail (producer) are 64-bit positions on their own cache lines; the producer
 * publishes with a release store of tail, the consumer frees space with a
 * release store of head. Nothing blocks: a full ring returns SC_RING_FULL.
 *
 * The shared block is laid out by sc_spsc_ring_init(); the other process calls
 * sc_spsc_ring_attach() on the same bytes. struct sc_spsc_ring is the
 * process-local view: capacity comes from the caller's mapping, never from
 * the peer, and a peer that corrupts head/tail or a record is detected,
 * counted and never makes the reader read out of bounds. */
#ifndef SC_NET_SHM_SPSC_RING_H
#define SC_NET_SHM_SPSC_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/sc_atomic.h"

enum sc_ring_result {
	SC_RING_SUCCESS = 0,
	SC_RING_FULL,        /* not enough free space now; retry later (back-pressure) */
	SC_RING_EMPTY,       /* nothing to read */
	SC_RING_TOO_BIG,     /* record can never fit (larger than max_record) */
	SC_RING_INVALID_ARG, /* bad type (0 is reserved), NULL, ... */
	SC_RING_CORRUPT,     /* peer wrote impossible head/tail/length: unread data dropped */
	SC_RING_BAD_TYPE,    /* a record with a type outside 1..max_type was skipped */
	SC_RING_TRUNCATED,   /* caller's buffer too small: record skipped */
	SC_RING_OVERRUN,     /* a lossy reader was overtaken: the record was overwritten */
};

const char *sc_ring_result_str(enum sc_ring_result r);

#define SC_RING_RECORD_ALIGN 8
#define SC_RING_HEADER_LEN 8
#define SC_RING_TYPE_PAD 0 /* reserved: padding record at the wrap point */
#define SC_RING_MAGIC 0x53435247u /* "SCRG" */

/* Bytes of the shared control block that precedes the data buffer. */
#define SC_RING_CTRL_SIZE (4 * SC_CACHE_LINE)

/* Shared part, at the start of the ring's block. */
struct sc_spsc_ring_ctrl {
	_Alignas(SC_CACHE_LINE) uint32_t magic;
	uint32_t capacity; /* data bytes, power of two */
	_Alignas(SC_CACHE_LINE) uint64_t tail;       /* producer writes */
	_Alignas(SC_CACHE_LINE) uint64_t head;       /* consumer writes */
	_Alignas(SC_CACHE_LINE) uint32_t need_wakeup; /* consumer writes: sleeping on doorbell */
};
_Static_assert(sizeof(struct sc_spsc_ring_ctrl) == SC_RING_CTRL_SIZE, "ring ctrl size");

/* Process-local view of one ring. */
struct sc_spsc_ring {
	struct sc_spsc_ring_ctrl *ctrl;
	uint8_t *buf;
	uint64_t capacity; /* trusted: from the caller's block size */
	uint64_t mask;
	uint32_t max_record; /* largest body accepted: capacity/2 - 8 (always fits an empty ring) */
	uint32_t max_type;   /* reader rejects types above this (0 = any) */
	uint64_t head_cache; /* producer's last seen head */
	uint64_t claimed;    /* producer: position after a claimed record, 0 = none */
	/* counters of bad input from the peer (corrupt_count also counts a
	 * producer's refused write on a scribbled-over tail) */
	uint64_t corrupt_count;
	uint64_t bad_type_count;
	uint64_t truncated_count;
};

/* Size of a shared block holding a ring with `capacity` data bytes
 * (capacity: power of two, >= 64). */
size_t sc_spsc_ring_block_size(uint32_t capacity);

/* Formats `mem` (block_size bytes, 64-byte aligned) as an empty ring and
 * attaches `ring` to it. Returns false if the size is not
 * SC_RING_CTRL_SIZE + a power of two >= 64. */
bool sc_spsc_ring_init(struct sc_spsc_ring *ring, void *mem, size_t block_size);

/* Attaches to a ring another process formatted. Checks magic and that the
 * stored capacity matches block_size; false (no side effect) if not. */
bool sc_spsc_ring_attach(struct sc_spsc_ring *ring, void *mem, size_t block_size);

/* Reader rejects (skips and counts) records whose type is above max_type. */
void sc_spsc_ring_set_max_type(struct sc_spsc_ring *ring, uint32_t max_type);

/* Producer: copies one record. SC_RING_FULL when there is no room now,
 * SC_RING_TOO_BIG when len > max_record, SC_RING_INVALID_ARG for type 0,
 * SC_RING_CORRUPT (counted) when the tail in the shared block is not record
 * aligned: someone wrote over it, and a record there would run past the
 * buffer. */
enum sc_ring_result sc_spsc_ring_write(struct sc_spsc_ring *ring, uint32_t type,
                                       const void *data, uint32_t len);

/* Producer, two-part write: like write but the caller fills *body (len bytes)
 * in place, then calls commit. Only one claim may be outstanding. */
enum sc_ring_result sc_spsc_ring_claim(struct sc_spsc_ring *ring, uint32_t type,
                                       uint32_t len, void **body);
void sc_spsc_ring_commit(struct sc_spsc_ring *ring);

/* Consumer: handler for each record; body is only valid during the call. */
typedef void (*sc_ring_handler_fn)(void *ud, uint32_t type, const void *body, uint32_t len);

/* Consumer: delivers up to max_records records to fn, frees their space and
 * returns how many were delivered. Corrupt or bad-type input is counted in
 * the ring (see counters); a corrupt ring is skipped up to the peer's tail. */
size_t sc_spsc_ring_read(struct sc_spsc_ring *ring, sc_ring_handler_fn fn, void *ud,
                         size_t max_records);

/* Consumer: copies the next record into buf (cap bytes). SC_RING_EMPTY if
 * none, SC_RING_TRUNCATED (record skipped) if cap is too small,
 * SC_RING_BAD_TYPE / SC_RING_CORRUPT for bad peer input (counted). */
enum sc_ring_result sc_spsc_ring_read_one(struct sc_spsc_ring *ring, uint32_t *type,
                                          void *buf, uint32_t cap, uint32_t *len);

/* Consumer, two-part read: like read_one, but on SC_RING_SUCCESS the record
 * stays in the ring until sc_spsc_ring_release_to(ring, *next): a consumer
 * killed in between finds it again (the caller's own record of what it
 * took, e.g. the position, makes that exactly once). Every other result
 * frees what it passed, as read_one does. */
enum sc_ring_result sc_spsc_ring_peek_one(struct sc_spsc_ring *ring, uint32_t *type, void *buf, uint32_t cap,
                                          uint32_t *len, uint64_t *next);
/* Consumer: frees everything before position next (a peeked record's end). */
void sc_spsc_ring_release_to(struct sc_spsc_ring *ring, uint64_t next);

/* True when the consumer has something to read (acquire load of tail). */
bool sc_spsc_ring_readable(const struct sc_spsc_ring *ring);

/* Bytes currently queued (producer view, approximate for the other side). */
uint64_t sc_spsc_ring_used(const struct sc_spsc_ring *ring);

#endif
