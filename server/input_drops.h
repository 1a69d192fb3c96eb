/* Acked inputs a restored primary dropped (server/primary.c take_inputs):
 * published through a small ring in the session block so the encoder process
 * can tell each one's client (`input_dropped`, docs/protocol.md) and the debug
 * API can tell a tick record's applied inputs from its dropped ones.
 *
 * One writer at a time (the primary; the supervisor starts a restored one
 * only after the faulted one is gone). Drop number n goes to
 * input_drops[n % SC_INPUT_DROPS_RING]: the writer loads the count n, stores
 * the entry's fields (release), then bumps inputs_dropped to n + 1 with a
 * seq_cst RMW, so the next entry's stores stay after it. A reader copies
 * entries (acquire loads) and re-reads the count: an entry i is whole unless
 * the count has since reached i + SC_INPUT_DROPS_RING (the writer may be
 * rewriting its slot). Everything read is range-checked: a count that goes
 * backwards or jumps is survived, an unknown reason is reported as such. */
#ifndef SC_SERVER_INPUT_DROPS_H
#define SC_SERVER_INPUT_DROPS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"

/* Why an input was dropped (sc_input_drop_shm.reason). */
enum sc_input_drop_reason {
	SC_INPUT_DROP_FAULT_INPUT = 1,    /* the offending tick's injected FAULT input */
	SC_INPUT_DROP_OFFENDING_TICK = 2, /* an input of the offending tick, none of whose inputs was a FAULT */
};
const char *sc_input_drop_reason_name(uint32_t reason); /* "fault_input", "offending_tick", "unknown" */

/* One drop, as a reader copied it. */
struct sc_input_drop {
	uint64_t index;   /* drop number (0, 1, ...) over the session's life */
	uint64_t log_seq; /* input-log sequence of the dropped event */
	uint32_t tick;    /* the tick it would have been applied at */
	uint32_t reason;  /* enum sc_input_drop_reason (unchecked: see the name function) */
};

/* Writer (the primary): publishes one drop and counts it in inputs_dropped. */
void sc_input_drops_publish(struct sc_session_shm *s, uint64_t log_seq, uint32_t tick, uint32_t reason);

/* A reader's position in the ring. */
struct sc_input_drops_reader {
	uint64_t next;    /* the next drop number to read */
	uint64_t lost;    /* drops overwritten before they were read */
	uint64_t corrupt; /* impossible counts seen (went backwards) */
};

/* Starts reading at the drops published from now on. */
void sc_input_drops_reader_init(struct sc_input_drops_reader *r, const struct sc_session_shm *s);

/* Copies up to max drops published since the last call, oldest first, each
 * verified whole; returns how many. Drops overwritten before they could be
 * read are skipped and counted in r->lost. */
size_t sc_input_drops_read(struct sc_input_drops_reader *r, const struct sc_session_shm *s,
                           struct sc_input_drop *out, size_t max);

/* Puts the reader back to drop number index (a drop the caller could not
 * pass on yet: it is read again next time, unless overwritten by then). */
void sc_input_drops_unread(struct sc_input_drops_reader *r, uint64_t index);

/* The drops the ring still holds whose log_seq lies in [begin, end), up to
 * max of them into out, verified whole; returns how many were found (which
 * may be fewer than were dropped there: the ring keeps the last
 * SC_INPUT_DROPS_RING - 1 drops readable, the oldest slot being the writer's
 * next). */
size_t sc_input_drops_find(const struct sc_session_shm *s, uint64_t begin, uint64_t end,
                           struct sc_input_drop *out, size_t max);

#endif
