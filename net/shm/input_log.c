#include "net/shm/input_log.h"

#include <string.h>
#include <unistd.h>

/* READER_ACTIVE holds the writer back; READER_LOSSY does not (it reads like
 * an observer and learns that it was overtaken). */
enum { READER_FREE = 0, READER_CLAIMED = 1, READER_ACTIVE = 2, READER_LOSSY = 3 };

#define CTRL_SIZE ((sizeof(struct sc_input_log_ctrl) + SC_CACHE_LINE - 1) & ~(size_t)(SC_CACHE_LINE - 1))

size_t sc_input_log_block_size(uint64_t capacity, uint32_t record_size)
{
	return CTRL_SIZE + (size_t)(capacity * record_size);
}

static bool log_bind(struct sc_input_log *log, void *mem, size_t block_size,
                     uint64_t capacity, uint32_t record_size)
{
	if (!log || !mem || ((uintptr_t)mem % SC_CACHE_LINE) != 0)
		return false;
	if (capacity < 2 || capacity > (1ull << 32) || (capacity & (capacity - 1)) != 0)
		return false;
	if (record_size < 8 || record_size > 4096 || record_size % 8 != 0)
		return false;
	if (block_size != sc_input_log_block_size(capacity, record_size))
		return false;
	memset(log, 0, sizeof(*log));
	log->ctrl = mem;
	log->slots = (uint8_t *)mem + CTRL_SIZE;
	log->capacity = capacity;
	log->record_size = record_size;
	return true;
}

bool sc_input_log_init(struct sc_input_log *log, void *mem, size_t block_size,
                       uint64_t capacity, uint32_t record_size, uint64_t first_seq)
{
	if (!log_bind(log, mem, block_size, capacity, record_size))
		return false;
	if (first_seq > UINT64_MAX / 2)
		return false;
	memset(mem, 0, CTRL_SIZE);
	log->ctrl->record_size = record_size;
	log->ctrl->capacity = capacity;
	log->ctrl->first_seq = first_seq;
	log->ctrl->tail = first_seq;
	log->ctrl->retain_from = first_seq;
	log->ctrl->write_end = first_seq;
	SC_STORE_RELEASE(&log->ctrl->magic, SC_INPUT_LOG_MAGIC);
	return true;
}

bool sc_input_log_attach(struct sc_input_log *log, void *mem, size_t block_size,
                         uint32_t expected_record_size)
{
	if (!log || !mem || block_size < CTRL_SIZE)
		return false;
	struct sc_input_log_ctrl *ctrl = mem;
	if (SC_LOAD_ACQUIRE(&ctrl->magic) != SC_INPUT_LOG_MAGIC ||
	    ctrl->record_size != expected_record_size)
		return false;
	return log_bind(log, mem, block_size, ctrl->capacity, ctrl->record_size);
}

static inline uint8_t *log_slot(const struct sc_input_log *log, uint64_t seq)
{
	return log->slots + (seq & (log->capacity - 1)) * log->record_size;
}

/* Writer: recomputes how far it may write. retain_from is first raised to
 * the tail, then lowered to the slowest reader: an attaching reader that
 * reads retain_from after publishing its cursor is then always safe
 * (docs/arena.md, "Attaching a reader"). */
static void log_refresh_limit(struct sc_input_log *log, uint64_t tail)
{
	struct sc_input_log_ctrl *ctrl = log->ctrl;
	SC_STORE_SEQ_CST(&ctrl->retain_from, tail);
	uint64_t lowest = tail;
	for (int i = 0; i < SC_INPUT_LOG_MAX_READERS; i++) {
		struct sc_input_log_reader_slot *r = &ctrl->readers[i];
		if (SC_LOAD_SEQ_CST(&r->active) != READER_ACTIVE)
			continue;
		uint64_t cursor = SC_LOAD_SEQ_CST(&r->cursor);
		if (cursor < lowest)
			lowest = cursor;
	}
	SC_STORE_SEQ_CST(&ctrl->retain_from, lowest);
	log->limit = lowest + log->capacity;
}

/* One record, word by word with release stores: an observer copying the
 * slot at the same time (acquire loads) then sees the announcement of this
 * write in write_end (sc_input_log_observe). */
static void log_write_record(struct sc_input_log *log, uint64_t seq, const uint8_t *src)
{
	uint64_t *dst = (uint64_t *)(void *)log_slot(log, seq);
	for (uint32_t i = 0; i < log->record_size / 8; i++) {
		uint64_t v;
		memcpy(&v, src + (size_t)i * 8, sizeof(v));
		SC_STORE_RELEASE(&dst[i], v);
	}
}

enum sc_ring_result sc_input_log_append_n(struct sc_input_log *log, const void *records, uint32_t n,
                                          uint64_t *first_seq)
{
	if (!records || n == 0 || n > log->capacity)
		return SC_RING_INVALID_ARG;
	const uint64_t tail = SC_LOAD_RELAXED(&log->ctrl->tail);
	if (log->limit < n || tail > log->limit - n) {
		log_refresh_limit(log, tail);
		if (log->limit < n || tail > log->limit - n)
			return SC_RING_FULL; /* all or nothing: none written */
	}
	/* announce before writing: a seq_cst RMW, so no write below moves above it */
	__atomic_exchange_n(&log->ctrl->write_end, tail + n, __ATOMIC_SEQ_CST);
	const uint8_t *src = records;
	for (uint32_t k = 0; k < n; k++)
		log_write_record(log, tail + k, src + (size_t)k * log->record_size);
	SC_STORE_RELEASE(&log->ctrl->tail, tail + n);
	if (first_seq)
		*first_seq = tail;
	return SC_RING_SUCCESS;
}

enum sc_ring_result sc_input_log_append(struct sc_input_log *log, const void *record,
                                        uint64_t *seq)
{
	return sc_input_log_append_n(log, record, 1, seq);
}

uint64_t sc_input_log_tail(const struct sc_input_log *log)
{
	return SC_LOAD_ACQUIRE(&log->ctrl->tail);
}

/* A free reader slot, marked claimed (not yet counted by the writer), or -1. */
static int claim_reader_slot(struct sc_input_log_ctrl *ctrl)
{
	for (int i = 0; i < SC_INPUT_LOG_MAX_READERS; i++) {
		uint32_t expected = READER_FREE;
		if (__atomic_compare_exchange_n(&ctrl->readers[i].active, &expected, READER_CLAIMED,
		                                false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return i;
	}
	return -1;
}

bool sc_input_log_reader_attach(struct sc_input_log *log, uint64_t start_seq, int *reader)
{
	struct sc_input_log_ctrl *ctrl = log->ctrl;
	int slot = claim_reader_slot(ctrl);
	if (slot < 0)
		return false;
	struct sc_input_log_reader_slot *r = &ctrl->readers[slot];
	SC_STORE_RELAXED(&r->pid, (int32_t)getpid());

	/* A few rounds: at the tail, the writer may move retain_from past us. */
	for (int attempt = 0; attempt < 16; attempt++) {
		uint64_t tail = SC_LOAD_SEQ_CST(&ctrl->tail);
		uint64_t start = start_seq == UINT64_MAX ? tail : start_seq;
		if (start > tail)
			break;
		SC_STORE_SEQ_CST(&r->cursor, start);
		SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_ACTIVE);
		if (start >= SC_LOAD_SEQ_CST(&ctrl->retain_from) &&
		    SC_LOAD_SEQ_CST(&ctrl->tail) - start <= log->capacity) {
			*reader = slot;
			return true;
		}
		SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_CLAIMED);
		if (start_seq != UINT64_MAX)
			break;
	}
	SC_STORE_RELAXED(&r->pid, 0);
	SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_FREE);
	return false;
}

bool sc_input_log_reader_attach_lossy(struct sc_input_log *log, uint64_t start_seq, int *reader)
{
	struct sc_input_log_ctrl *ctrl = log->ctrl;
	int slot = claim_reader_slot(ctrl);
	if (slot < 0)
		return false;
	struct sc_input_log_reader_slot *r = &ctrl->readers[slot];
	uint64_t tail = SC_LOAD_SEQ_CST(&ctrl->tail);
	uint64_t start = start_seq == UINT64_MAX ? tail : start_seq;
	/* still held when attaching; if overwritten right after, peek says so */
	if (start > tail || tail - start > log->capacity || start < SC_LOAD_RELAXED(&ctrl->first_seq)) {
		SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_FREE);
		return false;
	}
	SC_STORE_RELAXED(&r->pid, (int32_t)getpid());
	SC_STORE_SEQ_CST(&r->cursor, start);
	SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_LOSSY);
	*reader = slot;
	return true;
}

bool sc_input_log_reader_hold(struct sc_input_log *log, int reader)
{
	if (reader < 0 || reader >= SC_INPUT_LOG_MAX_READERS)
		return false;
	struct sc_input_log_ctrl *ctrl = log->ctrl;
	struct sc_input_log_reader_slot *r = &ctrl->readers[reader];
	uint32_t state = SC_LOAD_SEQ_CST(&r->active);
	if (state == READER_ACTIVE)
		return true;
	if (state != READER_LOSSY)
		return false;
	/* the attach protocol (log_refresh_limit): visible first, then safe only
	 * if the writer's bound cannot be past us and nothing at or after the
	 * cursor has been (or is being) overwritten */
	SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_ACTIVE);
	uint64_t cursor = SC_LOAD_SEQ_CST(&r->cursor);
	uint64_t end = SC_LOAD_SEQ_CST(&ctrl->write_end);
	if (cursor >= SC_LOAD_SEQ_CST(&ctrl->retain_from) && end >= cursor && end - cursor <= log->capacity)
		return true;
	SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_LOSSY);
	return false;
}

void sc_input_log_reader_detach(struct sc_input_log *log, int reader)
{
	if (reader < 0 || reader >= SC_INPUT_LOG_MAX_READERS)
		return;
	struct sc_input_log_reader_slot *r = &log->ctrl->readers[reader];
	SC_STORE_RELAXED(&r->pid, 0);
	SC_STORE_SEQ_CST(&r->active, (uint32_t)READER_FREE);
}

int sc_input_log_detach_pid(struct sc_input_log *log, pid_t pid)
{
	int n = 0;
	for (int i = 0; i < SC_INPUT_LOG_MAX_READERS; i++) {
		struct sc_input_log_reader_slot *r = &log->ctrl->readers[i];
		if (SC_LOAD_ACQUIRE(&r->active) != READER_FREE && SC_LOAD_RELAXED(&r->pid) == pid) {
			sc_input_log_reader_detach(log, i);
			n++;
		}
	}
	return n;
}

static struct sc_input_log_reader_slot *log_reader(struct sc_input_log *log, int reader, bool *lossy)
{
	if (reader < 0 || reader >= SC_INPUT_LOG_MAX_READERS)
		return NULL;
	struct sc_input_log_reader_slot *r = &log->ctrl->readers[reader];
	uint32_t state = SC_LOAD_RELAXED(&r->active);
	*lossy = state == READER_LOSSY;
	return state == READER_ACTIVE || state == READER_LOSSY ? r : NULL;
}

uint64_t sc_input_log_cursor(const struct sc_input_log *log, int reader)
{
	if (reader < 0 || reader >= SC_INPUT_LOG_MAX_READERS)
		return 0;
	return SC_LOAD_ACQUIRE(&log->ctrl->readers[reader].cursor);
}

/* The writer's tail as this reader may trust it; false if impossible. */
static bool log_reader_tail(struct sc_input_log *log, uint64_t cursor, uint64_t *tail)
{
	*tail = SC_LOAD_ACQUIRE(&log->ctrl->tail);
	if (*tail >= cursor && *tail - cursor <= log->capacity)
		return true;
	log->corrupt_count++;
	return false;
}

enum sc_ring_result sc_input_log_peek(struct sc_input_log *log, int reader, uint64_t seq,
                                      void *record)
{
	bool lossy;
	struct sc_input_log_reader_slot *r = log_reader(log, reader, &lossy);
	if (!r || !record)
		return SC_RING_INVALID_ARG;
	const uint64_t cursor = SC_LOAD_RELAXED(&r->cursor);
	if (seq < cursor)
		return SC_RING_INVALID_ARG;
	if (lossy) {
		switch (sc_input_log_observe(log, seq, record)) {
		case SC_OBSERVE_OK: return SC_RING_SUCCESS;
		case SC_OBSERVE_NOT_YET: return SC_RING_EMPTY;
		case SC_OBSERVE_GONE: return SC_RING_OVERRUN;
		case SC_OBSERVE_CORRUPT: break;
		}
		log->corrupt_count++;
		return SC_RING_CORRUPT;
	}
	uint64_t tail;
	if (!log_reader_tail(log, cursor, &tail))
		return SC_RING_CORRUPT;
	if (seq >= tail)
		return SC_RING_EMPTY;
	memcpy(record, log_slot(log, seq), log->record_size);
	return SC_RING_SUCCESS;
}

bool sc_input_log_consume(struct sc_input_log *log, int reader, uint64_t upto)
{
	bool lossy;
	struct sc_input_log_reader_slot *r = log_reader(log, reader, &lossy);
	if (!r)
		return false;
	const uint64_t cursor = SC_LOAD_RELAXED(&r->cursor);
	uint64_t tail = SC_LOAD_ACQUIRE(&log->ctrl->tail);
	if (lossy && upto >= cursor && upto <= tail) {
		SC_STORE_RELEASE(&r->cursor, upto); /* however far behind: the writer does not wait */
		return true;
	}
	if (upto < cursor || !log_reader_tail(log, cursor, &tail) || upto > tail)
		return false;
	SC_STORE_RELEASE(&r->cursor, upto);
	return true;
}

enum sc_ring_result sc_input_log_read(struct sc_input_log *log, int reader, void *record,
                                      uint64_t *seq)
{
	bool lossy;
	struct sc_input_log_reader_slot *r = log_reader(log, reader, &lossy);
	if (!r)
		return SC_RING_INVALID_ARG;
	(void)lossy; /* peek knows */
	const uint64_t cursor = SC_LOAD_RELAXED(&r->cursor);
	enum sc_ring_result res = sc_input_log_peek(log, reader, cursor, record);
	if (res != SC_RING_SUCCESS)
		return res;
	SC_STORE_RELEASE(&r->cursor, cursor + 1);
	if (seq)
		*seq = cursor;
	return SC_RING_SUCCESS;
}

const char *sc_input_log_observed_str(enum sc_input_log_observed r)
{
	switch (r) {
	case SC_OBSERVE_OK: return "ok";
	case SC_OBSERVE_NOT_YET: return "not written yet";
	case SC_OBSERVE_GONE: return "no longer held";
	case SC_OBSERVE_CORRUPT: return "corrupt log control words";
	}
	return "unknown";
}

enum sc_input_log_observed sc_input_log_observe(const struct sc_input_log *log, uint64_t seq, void *record)
{
	const struct sc_input_log_ctrl *ctrl = log->ctrl;
	if (!record)
		return SC_OBSERVE_CORRUPT;
	if (seq < SC_LOAD_RELAXED(&ctrl->first_seq))
		return SC_OBSERVE_GONE;
	const uint64_t tail = SC_LOAD_ACQUIRE(&ctrl->tail);
	if (seq >= tail)
		return SC_OBSERVE_NOT_YET;
	if (tail - seq > log->capacity)
		return SC_OBSERVE_GONE;
	/* acquire loads: the write_end load below stays after every one of them,
	 * and one that read an overwriting store sees that overwrite announced */
	const uint64_t *src = (const uint64_t *)(const void *)log_slot(log, seq);
	uint8_t *dst = record;
	for (uint32_t i = 0; i < log->record_size / 8; i++) {
		uint64_t v = SC_LOAD_ACQUIRE(&src[i]);
		memcpy(dst + (size_t)i * 8, &v, sizeof(v));
	}
	const uint64_t end = SC_LOAD_SEQ_CST(&ctrl->write_end);
	if (end < tail)
		return SC_OBSERVE_CORRUPT; /* the writer announces before it publishes */
	if (end - seq > log->capacity)
		return SC_OBSERVE_GONE; /* seq + capacity, in seq's slot, may be written */
	return SC_OBSERVE_OK;
}
