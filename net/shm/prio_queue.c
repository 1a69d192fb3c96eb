#include "net/shm/prio_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/arena.h"
#include "net/shm/sc_atomic.h"
#include "util/log.h"

#define NIL UINT32_MAX

enum { SLOT_FREE = 0, SLOT_QUEUED = 1 };
enum { PHASE_HIGH = 0, PHASE_LOW = 1 };

struct prio_slot {
	struct sc_prio_desc desc;
	uint64_t order; /* push counter: FIFO order within a priority */
	uint32_t next;  /* next in its priority list or the free list */
	uint32_t state; /* the truth the lists are rebuilt from */
};

struct sc_prio_queue_shm {
	uint32_t magic;
	uint32_t capacity;
	uint32_t high_threshold;
	uint32_t high_min_pkt;
	uint32_t low_max_pkt;
	uint32_t flush_all_lower;
	_Alignas(SC_CACHE_LINE) pthread_mutex_t lock;
	uint64_t next_order;
	uint32_t free_head;
	uint32_t depth;
	uint32_t head[SC_PRIO_LEVELS];
	uint32_t tail[SC_PRIO_LEVELS];
	uint32_t count[SC_PRIO_LEVELS];
	uint32_t phase;
	uint32_t served; /* served in the current phase */
	uint64_t pushed, popped, flushed, overruns, recoveries, corrupt;
	_Alignas(SC_CACHE_LINE) struct prio_slot slots[];
};

const char *sc_prio_result_str(enum sc_prio_result r)
{
	switch (r) {
	case SC_PRIO_OK: return "ok";
	case SC_PRIO_FLUSHED: return "queued after flushing";
	case SC_PRIO_OVERRUN: return "overrun";
	case SC_PRIO_EMPTY: return "empty";
	case SC_PRIO_INVALID: return "invalid";
	case SC_PRIO_CORRUPT: return "corrupt";
	}
	return "unknown";
}

void sc_prio_queue_config_default(struct sc_prio_queue_config *cfg)
{
	*cfg = (struct sc_prio_queue_config){
		.capacity = 256, .high_threshold = 8, .high_min_pkt = 4, .low_max_pkt = 1,
	};
}

size_t sc_prio_queue_mem_size(uint32_t capacity)
{
	return sizeof(struct sc_prio_queue_shm) + (size_t)capacity * sizeof(struct prio_slot);
}

/* Rebuilds the free list and per-priority FIFO lists from the slot states
 * (after a process died holding the lock, or a list failed validation). */
static void prio_rebuild(struct sc_prio_queue_shm *s)
{
	s->free_head = NIL;
	s->depth = 0;
	for (int p = 0; p < SC_PRIO_LEVELS; p++) {
		s->head[p] = s->tail[p] = NIL;
		s->count[p] = 0;
	}
	/* Insertion by push order; capacity is small (per-client queues). */
	for (uint32_t i = s->capacity; i-- > 0;) {
		struct prio_slot *slot = &s->slots[i];
		if (slot->state != SLOT_QUEUED || slot->desc.hdr.priority > SC_MSG_PRIORITY_MAX) {
			slot->state = SLOT_FREE;
			slot->next = s->free_head;
			s->free_head = i;
			continue;
		}
		int p = slot->desc.hdr.priority;
		uint32_t *link = &s->head[p];
		while (*link != NIL && s->slots[*link].order < slot->order)
			link = &s->slots[*link].next;
		slot->next = *link;
		*link = i;
		if (slot->next == NIL)
			s->tail[p] = i;
		s->count[p]++;
		s->depth++;
	}
}

static void prio_corrupt(struct sc_prio_queue_shm *s, const char *what)
{
	s->corrupt++;
	sc_warn("prio queue: %s; rebuilding from descriptor states", what);
	prio_rebuild(s);
}

bool sc_prio_queue_lock(struct sc_prio_queue *q)
{
	struct sc_prio_queue_shm *s = q->shm;
	if (q->unlocked)
		return true;
	int r = pthread_mutex_lock(&s->lock);
	if (r == EOWNERDEAD) {
		s->recoveries++;
		sc_warn("prio queue: a process died holding the queue lock; recovering");
		prio_rebuild(s);
		r = pthread_mutex_consistent(&s->lock);
	}
	if (r != 0) {
		sc_err("prio queue: lock: %s", strerror(r));
		return false;
	}
	return true;
}

void sc_prio_queue_unlock(struct sc_prio_queue *q)
{
	if (!q->unlocked)
		pthread_mutex_unlock(&q->shm->lock);
}

static bool prio_config_valid(const struct sc_prio_queue_config *cfg)
{
	return cfg && cfg->capacity >= 1 && cfg->capacity <= 65535 &&
	       cfg->high_threshold <= SC_PRIO_LEVELS && cfg->high_min_pkt >= 1 &&
	       cfg->low_max_pkt >= 1;
}

/* process_shared: a robust, process-shared mutex (the arena: a process may
 * die holding it). Otherwise a plain one: a heap queue lives and dies with
 * its process, and the robust lock's bookkeeping cost the network thread
 * about 2 % of its CPU at 32 clients (two locks per client per frame); none
 * for a heap queue one thread uses (cfg->one_thread): even the plain lock and
 * unlock were about 3 % of the network thread's samples at 32 clients. */
static bool prio_init(struct sc_prio_queue *q, void *mem, size_t mem_size,
                      const struct sc_prio_queue_config *cfg,
                      sc_prio_release_fn release, void *release_ud, bool process_shared)
{
	if (!q || !mem || ((uintptr_t)mem % SC_CACHE_LINE) != 0 || !prio_config_valid(cfg) ||
	    mem_size < sc_prio_queue_mem_size(cfg->capacity) || (process_shared && cfg->one_thread))
		return false;
	struct sc_prio_queue_shm *s = mem;
	memset(s, 0, sc_prio_queue_mem_size(cfg->capacity));
	s->capacity = cfg->capacity;
	s->high_threshold = cfg->high_threshold;
	s->high_min_pkt = cfg->high_min_pkt;
	s->low_max_pkt = cfg->low_max_pkt;
	s->flush_all_lower = cfg->flush_all_lower;
	if (!cfg->one_thread) {
		pthread_mutexattr_t attr;
		pthread_mutexattr_init(&attr);
		if (process_shared) {
			pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
			pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
		}
		int r = pthread_mutex_init(&s->lock, &attr);
		pthread_mutexattr_destroy(&attr);
		if (r != 0) {
			sc_err("prio queue: mutex init: %s", strerror(r));
			return false;
		}
	}
	prio_rebuild(s);
	*q = (struct sc_prio_queue){.shm = s, .mem_size = mem_size, .release = release,
	                            .release_ud = release_ud, .unlocked = cfg->one_thread};
	SC_STORE_RELEASE(&s->magic, SC_PRIO_QUEUE_MAGIC);
	return true;
}

bool sc_prio_queue_init(struct sc_prio_queue *q, void *mem, size_t mem_size,
                        const struct sc_prio_queue_config *cfg,
                        sc_prio_release_fn release, void *release_ud)
{
	return prio_init(q, mem, mem_size, cfg, release, release_ud, true);
}

bool sc_prio_queue_attach(struct sc_prio_queue *q, void *mem, size_t mem_size,
                          sc_prio_release_fn release, void *release_ud)
{
	struct sc_prio_queue_shm *s = mem;
	if (!q || !mem || mem_size < sizeof(*s) || SC_LOAD_ACQUIRE(&s->magic) != SC_PRIO_QUEUE_MAGIC ||
	    s->capacity == 0 || mem_size < sc_prio_queue_mem_size(s->capacity))
		return false;
	*q = (struct sc_prio_queue){.shm = s, .mem_size = mem_size, .release = release,
	                            .release_ud = release_ud};
	return true;
}

void sc_prio_queue_finish(struct sc_prio_queue *q)
{
	if (q)
		memset(q, 0, sizeof(*q));
}

struct sc_prio_queue *sc_prio_queue_create(const struct sc_prio_queue_config *cfg,
                                           sc_prio_release_fn release, void *release_ud)
{
	if (!prio_config_valid(cfg))
		return NULL;
	struct sc_prio_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	size_t size = (sc_prio_queue_mem_size(cfg->capacity) + SC_CACHE_LINE - 1) &
	              ~(size_t)(SC_CACHE_LINE - 1);
	void *mem = aligned_alloc(SC_CACHE_LINE, size);
	if (!mem)
		goto error_q;
	if (!prio_init(q, mem, size, cfg, release, release_ud, false))
		goto error_mem;
	q->owned_mem = mem;
	return q;

error_mem:
	free(mem);
error_q:
	free(q);
	return NULL;
}

void sc_prio_queue_destroy(struct sc_prio_queue *q)
{
	if (!q)
		return;
	struct sc_prio_desc d;
	while (sc_prio_queue_pop(q, &d) == SC_PRIO_OK)
		if (q->release)
			q->release(q->release_ud, &d);
	if (!q->unlocked)
		pthread_mutex_destroy(&q->shm->lock);
	free(q->owned_mem);
	free(q);
}

/* Index from shared memory, checked before use. */
static inline bool prio_index_ok(const struct sc_prio_queue_shm *s, uint32_t i)
{
	return i < s->capacity;
}

/* Removes the slot after `prev` (NIL: the head) from priority list p. */
static void prio_unlink(struct sc_prio_queue_shm *s, int p, uint32_t prev, uint32_t i)
{
	uint32_t next = s->slots[i].next;
	if (prev == NIL)
		s->head[p] = next;
	else
		s->slots[prev].next = next;
	if (s->tail[p] == i)
		s->tail[p] = prev;
	s->count[p]--;
	s->depth--;
	s->slots[i].state = SLOT_FREE;
	s->slots[i].next = s->free_head;
	s->free_head = i;
}

/* Flushes flushable descriptors below priority `below`: the oldest of the
 * lowest priority, or all of them with flush_all_lower. Returns how many;
 * false from *ok if a list was corrupt. */
static uint32_t prio_flush_lower(struct sc_prio_queue *q, int below, bool *ok)
{
	struct sc_prio_queue_shm *s = q->shm;
	uint32_t flushed = 0;
	*ok = true;
	for (int p = 0; p < below; p++) {
		uint32_t prev = NIL, steps = 0;
		uint32_t i = s->head[p];
		while (i != NIL) {
			if (!prio_index_ok(s, i) || ++steps > s->capacity) {
				*ok = false;
				return flushed;
			}
			struct prio_slot *slot = &s->slots[i];
			uint32_t next = slot->next;
			if (slot->desc.hdr.flags & SC_MSG_NOT_FLUSHABLE) {
				prev = i;
				i = next;
				continue;
			}
			struct sc_prio_desc victim = slot->desc;
			prio_unlink(s, p, prev, i);
			flushed++;
			s->flushed++;
			if (q->release)
				q->release(q->release_ud, &victim);
			if (!s->flush_all_lower)
				return flushed;
			i = next;
		}
	}
	return flushed;
}

enum sc_prio_result sc_prio_queue_push(struct sc_prio_queue *q, const struct sc_prio_desc *desc,
                                       uint32_t *nflushed)
{
	if (nflushed)
		*nflushed = 0;
	if (!q || !desc || desc->hdr.priority > SC_MSG_PRIORITY_MAX)
		return SC_PRIO_INVALID;
	if (!sc_prio_queue_lock(q))
		return SC_PRIO_INVALID;
	struct sc_prio_queue_shm *s = q->shm;
	enum sc_prio_result res = SC_PRIO_OK;
	if (s->free_head != NIL && !prio_index_ok(s, s->free_head))
		prio_corrupt(s, "bad free list");
	if (s->free_head == NIL) {
		bool ok;
		uint32_t flushed = prio_flush_lower(q, desc->hdr.priority, &ok);
		if (!ok) {
			prio_corrupt(s, "bad priority list");
			res = SC_PRIO_CORRUPT;
			goto out;
		}
		if (flushed == 0) {
			s->overruns++;
			res = SC_PRIO_OVERRUN;
			goto out;
		}
		if (nflushed)
			*nflushed = flushed;
		res = SC_PRIO_FLUSHED;
	}
	const uint32_t i = s->free_head;
	struct prio_slot *slot = &s->slots[i];
	const int p = desc->hdr.priority;
	s->free_head = slot->next;
	slot->desc = *desc;
	slot->order = s->next_order++;
	slot->next = NIL;
	slot->state = SLOT_QUEUED; /* commit point for a rebuild */
	if (s->tail[p] != NIL && prio_index_ok(s, s->tail[p]))
		s->slots[s->tail[p]].next = i;
	else
		s->head[p] = i;
	s->tail[p] = i;
	s->count[p]++;
	s->depth++;
	s->pushed++;
out:
	sc_prio_queue_unlock(q);
	return res;
}

/* Highest non-empty priority in [lo, hi), -1 if none. */
static int prio_highest(const struct sc_prio_queue_shm *s, int lo, int hi)
{
	for (int p = hi - 1; p >= lo; p--)
		if (s->count[p])
			return p;
	return -1;
}

enum sc_prio_result sc_prio_queue_pop(struct sc_prio_queue *q, struct sc_prio_desc *out)
{
	if (!q || !out)
		return SC_PRIO_INVALID;
	if (!sc_prio_queue_lock(q))
		return SC_PRIO_INVALID;
	struct sc_prio_queue_shm *s = q->shm;
	enum sc_prio_result res = SC_PRIO_OK;
	const int thr = (int)(s->high_threshold <= SC_PRIO_LEVELS ? s->high_threshold : SC_PRIO_LEVELS);
	const int high = prio_highest(s, thr, SC_PRIO_LEVELS);
	const int low = prio_highest(s, 0, thr);
	int p;
	if (high < 0 && low < 0) {
		res = SC_PRIO_EMPTY;
		goto out;
	}
	if (s->phase == PHASE_HIGH) {
		if (high >= 0 && (s->served < s->high_min_pkt || low < 0)) {
			p = high;
			s->served++;
		} else {
			s->phase = PHASE_LOW;
			s->served = 1;
			p = low;
		}
	} else {
		if (low >= 0 && (s->served < s->low_max_pkt || high < 0)) {
			p = low;
			s->served++;
		} else {
			s->phase = PHASE_HIGH;
			s->served = 1;
			p = high;
		}
	}
	uint32_t i = s->head[p];
	if (!prio_index_ok(s, i) || s->slots[i].state != SLOT_QUEUED) {
		prio_corrupt(s, "bad list head");
		res = SC_PRIO_CORRUPT;
		goto out;
	}
	*out = s->slots[i].desc;
	prio_unlink(s, p, NIL, i);
	s->popped++;
out:
	sc_prio_queue_unlock(q);
	return res;
}

uint32_t sc_prio_queue_depth(struct sc_prio_queue *q)
{
	if (!sc_prio_queue_lock(q))
		return 0;
	uint32_t depth = q->shm->depth;
	sc_prio_queue_unlock(q);
	return depth;
}

void sc_prio_queue_stats(struct sc_prio_queue *q, struct sc_prio_queue_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!sc_prio_queue_lock(q))
		return;
	struct sc_prio_queue_shm *s = q->shm;
	out->pushed = s->pushed;
	out->popped = s->popped;
	out->flushed = s->flushed;
	out->overruns = s->overruns;
	out->recoveries = s->recoveries;
	out->corrupt = s->corrupt;
	out->depth = s->depth;
	for (int p = 0; p < SC_PRIO_LEVELS; p++)
		out->depth_by_prio[p] = s->count[p];
	sc_prio_queue_unlock(q);
}

void sc_prio_queue_release_arena(void *ud, const struct sc_prio_desc *desc)
{
	sc_arena_free(ud, desc->payload);
}
