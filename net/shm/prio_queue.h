/* Descriptor queue with priorities (seed US8935329), e.g. a per-client send
 * queue: stale video frames give way to control messages and keyframes.
 *
 * A fixed number of descriptors (struct sc_msg_header + payload reference).
 * Overrun (queue full) rules, applied by sc_prio_queue_push():
 *   1. the queue is examined for flushable descriptors of strictly lower
 *      priority than the new one; the oldest of the lowest priority is
 *      flushed (or all lower flushable ones, with flush_all_lower) and the
 *      new descriptor takes its place;
 *   2. descriptors with SC_MSG_NOT_FLUSHABLE are never flushed;
 *   3. with nothing lower and flushable, the overrun is counted and the new
 *      descriptor is refused (SC_PRIO_OVERRUN; the caller still owns it);
 *   4. flushed descriptors are counted and their payload handed to the
 *      release callback (e.g. sc_prio_queue_release_arena -> buddy free).
 * Scheduling (sc_prio_queue_pop): priorities >= high_threshold form the
 * high class, the rest the low class; within a class, highest priority
 * first, FIFO within a priority. Between classes: at least high_min_pkt
 * (highPriMinPkt) high descriptors are served before switching to a waiting
 * low class, then at most low_max_pkt (lowPriMaxPkt) low ones before going
 * back; an empty class never holds the other back.
 *
 * The state is offsets/indices only and guarded by a mutex: robust and
 * process-shared in the arena (several processes; sc_prio_queue_init), a
 * plain one on the heap (one process, several threads; _create), none for a
 * heap queue only one thread uses (one_thread: a WebSocket client's send
 * queue, on the service thread). The release callback is process-local. */
#ifndef SC_NET_SHM_PRIO_QUEUE_H
#define SC_NET_SHM_PRIO_QUEUE_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/msg_header.h"

#define SC_PRIO_LEVELS (SC_MSG_PRIORITY_MAX + 1)
#define SC_PRIO_QUEUE_MAGIC 0x53435051u /* "SCPQ" */

/* One queued message: header + where its payload is (an arena offset, or
 * any caller cookie such as a heap pointer cast to uint64_t). */
struct sc_prio_desc {
	struct sc_msg_header hdr;
	uint64_t payload;
	uint64_t payload_size;
};

struct sc_prio_queue_config {
	uint32_t capacity;       /* descriptors, 1..65535 */
	uint8_t high_threshold;  /* priority >= this is the high class (default 8) */
	uint32_t high_min_pkt;   /* highPriMinPkt, >= 1 */
	uint32_t low_max_pkt;    /* lowPriMaxPkt, >= 1 */
	bool flush_all_lower;    /* on overrun flush all lower flushable (seed), not one */
	bool one_thread;         /* heap queues only (_create): one thread uses it, so no lock */
};

/* Fills cfg with defaults: capacity 256, threshold 8, 4 high, 1 low. */
void sc_prio_queue_config_default(struct sc_prio_queue_config *cfg);

enum sc_prio_result {
	SC_PRIO_OK = 0,      /* queued, nothing flushed */
	SC_PRIO_FLUSHED,     /* queued after flushing lower-priority descriptors */
	SC_PRIO_OVERRUN,     /* full, nothing lower and flushable: refused (counted) */
	SC_PRIO_EMPTY,       /* pop: nothing queued */
	SC_PRIO_INVALID,     /* bad priority/type/argument */
	SC_PRIO_CORRUPT,     /* shared state failed validation: queue reset (counted) */
};

const char *sc_prio_result_str(enum sc_prio_result r);

/* Called for each flushed descriptor, in the process that flushed it. */
typedef void (*sc_prio_release_fn)(void *ud, const struct sc_prio_desc *desc);

struct sc_prio_queue_stats {
	uint64_t pushed, popped, flushed, overruns, recoveries, corrupt;
	uint32_t depth;
	uint32_t depth_by_prio[SC_PRIO_LEVELS];
};

struct sc_prio_queue_shm; /* opaque shared state, see prio_queue.c */

/* Process-local handle. */
struct sc_prio_queue {
	struct sc_prio_queue_shm *shm;
	size_t mem_size;
	sc_prio_release_fn release;
	void *release_ud;
	void *owned_mem; /* set by create: freed by destroy */
	bool unlocked;   /* created with one_thread: no mutex taken */
};

/* Bytes of memory for a queue of capacity descriptors. */
size_t sc_prio_queue_mem_size(uint32_t capacity);

/* Formats mem (sc_prio_queue_mem_size bytes, 64-byte aligned) as an empty
 * queue and binds q to it. release (may be NULL) gets flushed payloads. */
bool sc_prio_queue_init(struct sc_prio_queue *q, void *mem, size_t mem_size,
                        const struct sc_prio_queue_config *cfg,
                        sc_prio_release_fn release, void *release_ud);

/* Binds q to a queue another process formatted (checks magic and size). */
bool sc_prio_queue_attach(struct sc_prio_queue *q, void *mem, size_t mem_size,
                          sc_prio_release_fn release, void *release_ud);

/* Unbinds q; the memory stays formatted (other processes may still use it). */
void sc_prio_queue_finish(struct sc_prio_queue *q);

/* Heap queue for use inside one process (a plain mutex, not the robust,
 * process-shared one of sc_prio_queue_init). NULL on error. */
struct sc_prio_queue *sc_prio_queue_create(const struct sc_prio_queue_config *cfg,
                                           sc_prio_release_fn release, void *release_ud);
/* Releases every queued payload through the callback, then frees. NULL ok. */
void sc_prio_queue_destroy(struct sc_prio_queue *q);

/* Queues desc (copied). On SC_PRIO_FLUSHED, *nflushed (may be NULL) gets the
 * number of descriptors flushed; on SC_PRIO_OVERRUN/INVALID the caller keeps
 * ownership of the payload. */
enum sc_prio_result sc_prio_queue_push(struct sc_prio_queue *q, const struct sc_prio_desc *desc,
                                       uint32_t *nflushed);

/* Takes the next descriptor according to the scheduling rules. The caller
 * now owns its payload. SC_PRIO_EMPTY if nothing is queued. */
enum sc_prio_result sc_prio_queue_pop(struct sc_prio_queue *q, struct sc_prio_desc *out);

/* Descriptors queued now. */
uint32_t sc_prio_queue_depth(struct sc_prio_queue *q);

void sc_prio_queue_stats(struct sc_prio_queue *q, struct sc_prio_queue_stats *out);

/* Test hooks: hold the queue lock (what a crash mid-operation looks like). */
bool sc_prio_queue_lock(struct sc_prio_queue *q);
void sc_prio_queue_unlock(struct sc_prio_queue *q);

struct sc_arena;
/* Release callback for payloads allocated with sc_arena_alloc: ud is the
 * struct sc_arena *, desc->payload the offset. */
void sc_prio_queue_release_arena(void *ud, const struct sc_prio_desc *desc);

#endif
