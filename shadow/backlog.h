/* A shadow's backlog: the primary's tick records and their inputs, drained
 * from the shared logs as soon as they are published and kept here, in the
 * shadow's own memory, until the delay rule lets the shadow run them.
 *
 * Why: the shared logs are fixed rings that readers hold back. A shadow that a
 * developer pauses for an hour must neither stop the primary from publishing
 * its records nor the players' inputs from entering the log, and must still
 * be able to resume with exactly each tick's inputs. So the shared logs only
 * cover the moment between publish and drain; the backlog covers the pause,
 * bounded by max_bytes (--shadow-backlog).
 *
 * Records must arrive in order without a hole: tick t + 1 after tick t, and
 * each record's inputs starting where the previous record's ended. Anything
 * else is a gap (a record the primary could not publish): the shadow can no
 * longer know a tick's exact inputs and must stop, never guess. */
#ifndef SC_SHADOW_BACKLOG_H
#define SC_SHADOW_BACKLOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/game_state.h" /* SC_MAX_INPUTS_PER_TICK */
#include "net/shm/input_event.h"
#include "session/shm/tick_record.h"

enum sc_backlog_result {
	SC_BACKLOG_OK,
	SC_BACKLOG_GAP,  /* not the next tick, or its inputs do not follow the previous ones */
	SC_BACKLOG_FULL, /* max_bytes reached */
	SC_BACKLOG_BAD,  /* a record that cannot be right (more inputs than a tick takes) */
	SC_BACKLOG_NOMEM,
};

struct sc_backlog_ring {
	uint8_t *buf;
	size_t elem, cap, head, count;
};

struct sc_backlog {
	struct sc_backlog_ring ticks;  /* struct sc_tick_record */
	struct sc_backlog_ring inputs; /* struct sc_input_event, each record's in order */
	size_t max_bytes;
	uint32_t next_tick;  /* the tick the next pushed record must have */
	uint64_t next_seq;   /* the input seq its inputs must start at */
	bool have_newest;
	struct sc_tick_record newest; /* the last record pushed (the primary's newest tick) */
};

/* The first record pushed must be for first_tick with inputs from first_seq. */
void sc_backlog_init(struct sc_backlog *b, size_t max_bytes, uint32_t first_tick, uint64_t first_seq);
void sc_backlog_finish(struct sc_backlog *b);

/* Appends a record with its rec->n_inputs inputs (ev; at most the record's
 * seq range: a restored primary's first tick may drop some). On
 * anything but OK nothing is added and why says what (may be NULL). */
enum sc_backlog_result sc_backlog_push(struct sc_backlog *b, const struct sc_tick_record *rec,
                                       const struct sc_input_event *ev, char *why, size_t why_len);

size_t sc_backlog_ticks(const struct sc_backlog *b);
size_t sc_backlog_bytes(const struct sc_backlog *b);

/* The i-th oldest record (i < sc_backlog_ticks); its inputs are copied to ev
 * (room for SC_MAX_INPUTS_PER_TICK) when ev is not NULL. */
void sc_backlog_get(const struct sc_backlog *b, size_t i, struct sc_tick_record *rec, struct sc_input_event *ev);

/* Drops the oldest record and its inputs. */
void sc_backlog_pop(struct sc_backlog *b);

#endif
