#include "server/input_drops.h"

const char *sc_input_drop_reason_name(uint32_t reason)
{
	switch (reason) {
	case SC_INPUT_DROP_FAULT_INPUT: return "fault_input";
	case SC_INPUT_DROP_OFFENDING_TICK: return "offending_tick";
	default: return "unknown";
	}
}

void sc_input_drops_publish(struct sc_session_shm *s, uint64_t log_seq, uint32_t tick, uint32_t reason)
{
	uint64_t n = atomic_load(&s->inputs_dropped);
	struct sc_input_drop_shm *e = &s->input_drops[n % SC_INPUT_DROPS_RING];
	atomic_store_explicit(&e->log_seq, log_seq, memory_order_release);
	atomic_store_explicit(&e->tick, tick, memory_order_release);
	atomic_store_explicit(&e->reason, reason, memory_order_release);
	atomic_fetch_add(&s->inputs_dropped, 1); /* seq_cst: the next entry's stores stay after it */
}

void sc_input_drops_reader_init(struct sc_input_drops_reader *r, const struct sc_session_shm *s)
{
	r->next = atomic_load(&s->inputs_dropped);
	r->lost = 0;
	r->corrupt = 0;
}

static void copy_entry(const struct sc_session_shm *s, uint64_t i, struct sc_input_drop *d)
{
	const struct sc_input_drop_shm *e = &s->input_drops[i % SC_INPUT_DROPS_RING];
	d->index = i;
	d->log_seq = atomic_load_explicit(&e->log_seq, memory_order_acquire);
	d->tick = atomic_load_explicit(&e->tick, memory_order_acquire);
	d->reason = atomic_load_explicit(&e->reason, memory_order_acquire);
}

/* Of out[0..n), copied while the count was count_before: *k = the first
 * still whole (the writer may be rewriting the slot of drop i once the count
 * reached i + RING; older ones go first). False if the count went backwards:
 * nothing copied can be trusted. */
static bool whole_from(const struct sc_session_shm *s, uint64_t count_before, const struct sc_input_drop *out,
                       size_t n, size_t *k)
{
	uint64_t count = atomic_load(&s->inputs_dropped);
	if (count < count_before)
		return false;
	*k = 0;
	while (*k < n && count - out[*k].index >= SC_INPUT_DROPS_RING)
		(*k)++;
	return true;
}

size_t sc_input_drops_read(struct sc_input_drops_reader *r, const struct sc_session_shm *s,
                           struct sc_input_drop *out, size_t max)
{
	uint64_t count = atomic_load(&s->inputs_dropped);
	if (count < r->next) {
		r->corrupt++; /* a count cannot go backwards: start over from here */
		r->next = count;
		return 0;
	}
	/* the oldest slot is the writer's next target: RING - 1 are readable */
	if (count - r->next >= SC_INPUT_DROPS_RING) {
		r->lost += count - r->next - (SC_INPUT_DROPS_RING - 1);
		r->next = count - (SC_INPUT_DROPS_RING - 1);
	}
	size_t n = 0;
	for (uint64_t i = r->next; i < count && n < max; i++)
		copy_entry(s, i, &out[n++]);
	size_t k;
	if (!whole_from(s, count, out, n, &k)) {
		r->corrupt++;
		r->next = atomic_load(&s->inputs_dropped);
		return 0;
	}
	r->lost += k;
	r->next += n;
	for (size_t j = k; j < n; j++)
		out[j - k] = out[j];
	return n - k;
}

void sc_input_drops_unread(struct sc_input_drops_reader *r, uint64_t index)
{
	if (index < r->next)
		r->next = index;
}

size_t sc_input_drops_find(const struct sc_session_shm *s, uint64_t begin, uint64_t end,
                           struct sc_input_drop *out, size_t max)
{
	uint64_t count = atomic_load(&s->inputs_dropped);
	uint64_t oldest = count >= SC_INPUT_DROPS_RING ? count - (SC_INPUT_DROPS_RING - 1) : 0;
	size_t n = 0;
	for (uint64_t i = oldest; i < count && n < max; i++) {
		struct sc_input_drop d;
		copy_entry(s, i, &d);
		if (d.log_seq >= begin && d.log_seq < end)
			out[n++] = d;
	}
	size_t k;
	if (!whole_from(s, count, out, n, &k))
		return 0;
	for (size_t j = k; j < n; j++)
		out[j - k] = out[j];
	return n - k;
}
