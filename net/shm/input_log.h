/* The input log: one writer, several readers, each with its own cursor, in
 * shared memory. Fixed-size records (record_size bytes, a multiple of 8, e.g.
 * 16 for struct sc_input_event) addressed by a 64-bit sequence number: the
 * record with sequence s lives in slot s % capacity.
 *
 * The writer never overwrites a record that an attached reader has not
 * consumed: when the slowest reader is capacity records behind, append
 * returns SC_RING_FULL (back-pressure). Readers can peek at any sequence
 * between their cursor and the tail without consuming (the shadow reads D
 * ticks behind and stops before a given tick), then consume up to a sequence.
 * With no reader attached the writer keeps only the last capacity records.
 *
 * Reader slots are attached/detached at run time (a restarted process, or the
 * supervisor detaching a dead reader). Attaching races safely with the
 * writer through the published retain_from bound (see docs/arena.md).
 *
 * Observers read without a reader slot (a debug endpoint must never hold the
 * writer back): they copy a record while the writer still keeps it and check
 * afterwards that the writer had not started to overwrite it (the writer
 * announces the records it is about to write in write_end before writing). */
#ifndef SC_NET_SHM_INPUT_LOG_H
#define SC_NET_SHM_INPUT_LOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/shm/sc_atomic.h"
#include "net/shm/spsc_ring.h"

#define SC_INPUT_LOG_MAX_READERS 8
#define SC_INPUT_LOG_MAGIC 0x5343494cu /* "SCIL" */

struct sc_input_log_reader_slot {
	_Alignas(SC_CACHE_LINE) uint64_t cursor; /* next sequence this reader consumes */
	uint32_t active;                          /* 1 while attached */
	int32_t pid;                              /* attaching process, for reaping */
};

struct sc_input_log_ctrl {
	_Alignas(SC_CACHE_LINE) uint32_t magic;
	uint32_t record_size;
	uint64_t capacity; /* records, power of two */
	uint64_t first_seq; /* the first record's sequence: nothing below it was ever written */
	_Alignas(SC_CACHE_LINE) uint64_t tail;         /* writer: next sequence to write */
	uint64_t retain_from;                           /* writer: lowest seq it may still keep */
	uint64_t write_end;                             /* writer: records below it may be being written */
	struct sc_input_log_reader_slot readers[SC_INPUT_LOG_MAX_READERS];
};

/* Process-local view. */
struct sc_input_log {
	struct sc_input_log_ctrl *ctrl;
	uint8_t *slots;
	uint64_t capacity; /* trusted copies */
	uint32_t record_size;
	uint64_t limit;         /* writer: may write sequences < limit without re-checking */
	uint64_t corrupt_count; /* reader: impossible tail/cursor seen from a peer */
};

/* Bytes of a shared block for capacity records of record_size bytes. */
size_t sc_input_log_block_size(uint64_t capacity, uint32_t record_size);

/* Formats mem (64-byte aligned, block_size bytes) as an empty log whose first
 * record will get sequence first_seq. capacity: power of two; record_size:
 * multiple of 8, 8..4096. */
bool sc_input_log_init(struct sc_input_log *log, void *mem, size_t block_size,
                       uint64_t capacity, uint32_t record_size, uint64_t first_seq);

/* Attaches to a log another process formatted; false if magic, capacity or
 * record_size do not match block_size / expected_record_size. */
bool sc_input_log_attach(struct sc_input_log *log, void *mem, size_t block_size,
                         uint32_t expected_record_size);

/* Writer: appends one record (record_size bytes); its sequence goes to *seq
 * (may be NULL). SC_RING_FULL when a reader is capacity records behind. */
enum sc_ring_result sc_input_log_append(struct sc_input_log *log, const void *record,
                                        uint64_t *seq);

/* Writer: appends n records (n * record_size bytes, 1 <= n <= capacity) as
 * one unit: readers see all of them or none, and when fewer than n fit the
 * log is left unchanged (SC_RING_FULL). The first one's sequence goes to
 * *first_seq (may be NULL); the others follow it. */
enum sc_ring_result sc_input_log_append_n(struct sc_input_log *log, const void *records, uint32_t n,
                                          uint64_t *first_seq);

/* Next sequence the writer will assign (= records published so far + first_seq). */
uint64_t sc_input_log_tail(const struct sc_input_log *log);

/* Reader: takes a free reader slot whose cursor starts at start_seq
 * (UINT64_MAX = at the tail). Fails if no slot is free or start_seq is
 * older than what the writer still keeps. Slot index goes to *reader. */
bool sc_input_log_reader_attach(struct sc_input_log *log, uint64_t start_seq, int *reader);

/* Reader that never holds the writer back (a shadow: it copies what it needs
 * at once, and a stalled one must not make the writer refuse players): like
 * reader_attach, but the writer may overwrite records it has not consumed;
 * peek then returns SC_RING_OVERRUN (validated as sc_input_log_observe does,
 * so a record being overwritten is never returned torn). Fails if start_seq
 * is no longer held. */
bool sc_input_log_reader_attach_lossy(struct sc_input_log *log, uint64_t start_seq, int *reader);

/* Turns a lossy reader into one that holds the writer back from its cursor
 * on (a paused shadow keeping an incident's inputs for a restored primary).
 * false, and still lossy, if records at or after its cursor may already be
 * overwritten. true for a reader that already holds. */
bool sc_input_log_reader_hold(struct sc_input_log *log, int reader);

/* Frees a reader slot (its own, or a dead process's, by the supervisor). */
void sc_input_log_reader_detach(struct sc_input_log *log, int reader);

/* Detaches every reader slot held by pid; returns how many. */
int sc_input_log_detach_pid(struct sc_input_log *log, pid_t pid);

/* Reader: its cursor (next sequence it will consume). */
uint64_t sc_input_log_cursor(const struct sc_input_log *log, int reader);

/* Reader: copies the record with sequence seq without consuming.
 * SC_RING_EMPTY if seq >= tail (not written yet), SC_RING_INVALID_ARG if
 * seq < the reader's cursor (already consumed) or bad reader,
 * SC_RING_CORRUPT if the writer's tail is impossible (counted). */
enum sc_ring_result sc_input_log_peek(struct sc_input_log *log, int reader, uint64_t seq,
                                      void *record);

/* Reader: marks every sequence < upto as consumed (cursor = upto).
 * upto must lie in [cursor, tail]; false otherwise. */
bool sc_input_log_consume(struct sc_input_log *log, int reader, uint64_t upto);

/* Reader: peek at the cursor + consume one. *seq (may be NULL) gets its sequence. */
enum sc_ring_result sc_input_log_read(struct sc_input_log *log, int reader, void *record,
                                      uint64_t *seq);

/* Observer (no reader slot, never holds the writer back). */
enum sc_input_log_observed {
	SC_OBSERVE_OK,       /* *record is the record with sequence seq, whole */
	SC_OBSERVE_NOT_YET,  /* seq >= tail: not written yet */
	SC_OBSERVE_GONE,     /* overwritten (or being overwritten), or below the first record */
	SC_OBSERVE_CORRUPT,  /* the writer's control words are impossible */
};
const char *sc_input_log_observed_str(enum sc_input_log_observed r);

/* Copies the record with sequence seq into record (record_size bytes) if the
 * writer still keeps it, validating after the copy that the writer had not
 * begun to overwrite it meanwhile. Any thread or process; overflow-safe on
 * whatever the shared control words hold. */
enum sc_input_log_observed sc_input_log_observe(const struct sc_input_log *log, uint64_t seq, void *record);

#endif
