#include "shadow/backlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ring_at(const struct sc_backlog_ring *r, size_t i)
{
	return r->buf + ((r->head + i) % r->cap) * r->elem;
}

/* Doubles the ring, oldest element first in the new buffer. */
static bool ring_grow(struct sc_backlog_ring *r)
{
	size_t cap = r->cap ? r->cap * 2 : 1024;
	uint8_t *buf = malloc(cap * r->elem);
	if (!buf)
		return false;
	for (size_t i = 0; i < r->count; i++)
		memcpy(buf + i * r->elem, ring_at(r, i), r->elem);
	free(r->buf);
	r->buf = buf;
	r->cap = cap;
	r->head = 0;
	return true;
}

static void ring_push(struct sc_backlog_ring *r, const void *e)
{
	memcpy(r->buf + ((r->head + r->count) % r->cap) * r->elem, e, r->elem);
	r->count++;
}

static void ring_drop(struct sc_backlog_ring *r, size_t n)
{
	r->head = (r->head + n) % (r->cap ? r->cap : 1);
	r->count -= n;
}

void sc_backlog_init(struct sc_backlog *b, size_t max_bytes, uint32_t first_tick, uint64_t first_seq)
{
	memset(b, 0, sizeof(*b));
	b->ticks.elem = sizeof(struct sc_tick_record);
	b->inputs.elem = sizeof(struct sc_input_event);
	b->max_bytes = max_bytes;
	b->next_tick = first_tick;
	b->next_seq = first_seq;
}

void sc_backlog_finish(struct sc_backlog *b)
{
	free(b->ticks.buf);
	free(b->inputs.buf);
	memset(b, 0, sizeof(*b));
}

size_t sc_backlog_ticks(const struct sc_backlog *b)
{
	return b->ticks.count;
}

size_t sc_backlog_bytes(const struct sc_backlog *b)
{
	return b->ticks.cap * b->ticks.elem + b->inputs.cap * b->inputs.elem;
}

static enum sc_backlog_result fail(enum sc_backlog_result r, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum sc_backlog_result fail(enum sc_backlog_result r, char *why, size_t len, const char *fmt, ...)
{
	if (why && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

enum sc_backlog_result sc_backlog_push(struct sc_backlog *b, const struct sc_tick_record *rec,
                                       const struct sc_input_event *ev, char *why, size_t why_len)
{
	if (rec->tick != b->next_tick || rec->seq_begin != b->next_seq)
		return fail(SC_BACKLOG_GAP, why, why_len,
		            "expected tick %u with inputs from seq %llu, got tick %u with inputs from seq %llu",
		            b->next_tick, (unsigned long long)b->next_seq, rec->tick, (unsigned long long)rec->seq_begin);
	/* fewer inputs than seqs: a restored primary dropped the offending ones */
	if (rec->seq_end < rec->seq_begin || rec->seq_end - rec->seq_begin > 2 * SC_MAX_INPUTS_PER_TICK ||
	    rec->n_inputs > rec->seq_end - rec->seq_begin || rec->n_inputs > SC_MAX_INPUTS_PER_TICK)
		return fail(SC_BACKLOG_BAD, why, why_len, "tick %u: %u inputs, seqs %llu..%llu", rec->tick,
		            rec->n_inputs, (unsigned long long)rec->seq_begin, (unsigned long long)rec->seq_end);
	uint32_t n = rec->n_inputs;
	bool grow_t = b->ticks.count == b->ticks.cap, grow_i = b->inputs.count + n > b->inputs.cap;
	size_t after = sc_backlog_bytes(b) + (grow_t ? (b->ticks.cap ? b->ticks.cap : 1024) * b->ticks.elem : 0) +
	               (grow_i ? (b->inputs.cap ? b->inputs.cap : 1024) * b->inputs.elem : 0);
	if ((grow_t || grow_i) && after > b->max_bytes)
		return fail(SC_BACKLOG_FULL, why, why_len, "%zu ticks (%zu bytes) waiting; the limit is %zu bytes",
		            b->ticks.count, sc_backlog_bytes(b), b->max_bytes);
	if ((grow_t && !ring_grow(&b->ticks)) || (grow_i && !ring_grow(&b->inputs)))
		return fail(SC_BACKLOG_NOMEM, why, why_len, "out of memory after %zu ticks", b->ticks.count);
	ring_push(&b->ticks, rec);
	for (uint32_t i = 0; i < n; i++)
		ring_push(&b->inputs, &ev[i]);
	b->next_tick = rec->tick + 1;
	b->next_seq = rec->seq_end;
	b->newest = *rec;
	b->have_newest = true;
	return SC_BACKLOG_OK;
}

/* Index of record i's first input: the inputs of the records before it. */
static size_t first_input(const struct sc_backlog *b, size_t i)
{
	size_t n = 0;
	for (size_t k = 0; k < i; k++)
		n += ((const struct sc_tick_record *)ring_at(&b->ticks, k))->n_inputs;
	return n;
}

void sc_backlog_get(const struct sc_backlog *b, size_t i, struct sc_tick_record *rec, struct sc_input_event *ev)
{
	*rec = *(const struct sc_tick_record *)ring_at(&b->ticks, i);
	if (!ev)
		return;
	size_t first = first_input(b, i);
	for (uint32_t k = 0; k < rec->n_inputs; k++)
		ev[k] = *(const struct sc_input_event *)ring_at(&b->inputs, first + k);
}

void sc_backlog_pop(struct sc_backlog *b)
{
	if (!b->ticks.count)
		return;
	const struct sc_tick_record *front = ring_at(&b->ticks, 0);
	ring_drop(&b->inputs, front->n_inputs);
	ring_drop(&b->ticks, 1);
}
