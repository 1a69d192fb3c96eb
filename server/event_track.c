#include "server/event_track.h"

#include <stdlib.h>
#include <string.h>

#include "net/shm/sc_atomic.h"
#include "util/clock.h"

const char *const sc_event_tag_names[SC_EV_TAGS] = {
	[SC_EV_INPUT] = "input",         [SC_EV_JOIN] = "join",       [SC_EV_LEAVE] = "leave",
	[SC_EV_INCIDENT] = "incident",   [SC_EV_INJECT] = "inject",   [SC_EV_CONDITION] = "condition",
	[SC_EV_DELAY] = "delay",         [SC_EV_PAUSE] = "pause",     [SC_EV_RESUME] = "resume",
	[SC_EV_RESTORE] = "restore",     [SC_EV_RESTART] = "restart", [SC_EV_CAPTURE] = "capture",
	[SC_EV_ENCODER] = "encoder",
};

bool sc_event_track_init(struct sc_event_track *t, uint32_t retention)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	if (retention < SC_EVENT_RETENTION_MIN)
		retention = SC_EVENT_RETENTION_MIN;
	if (retention > SC_EVENT_RETENTION_MAX)
		retention = SC_EVENT_RETENTION_MAX;
	t->ring = calloc(retention, sizeof(*t->ring));
	t->retention = t->ring ? retention : 0;
	return t->ring != NULL;
}

bool sc_event_track_format(void *mem, size_t size, uint32_t retention)
{
	if (retention < SC_EVENT_RETENTION_MIN || retention > SC_EVENT_RETENTION_MAX ||
	    size < sc_event_track_block_size(retention))
		return false;
	struct sc_event_track_shm *h = mem;
	memset(h, 0, sc_event_track_block_size(retention));
	h->magic = SC_EVENT_TRACK_MAGIC;
	h->version = SC_EVENT_TRACK_VERSION;
	h->retention = retention;
	h->record_size = sizeof(struct sc_event);
	return true;
}

bool sc_event_track_adopt(struct sc_event_track *t, void *mem, size_t size, uint32_t *adopted, uint32_t *lost)
{
	struct sc_event_track_shm *h = mem;
	*adopted = *lost = 0;
	if (!mem || size < sizeof(*h) || h->magic != SC_EVENT_TRACK_MAGIC || h->version != SC_EVENT_TRACK_VERSION ||
	    h->record_size != sizeof(struct sc_event) || h->retention < SC_EVENT_RETENTION_MIN ||
	    h->retention > SC_EVENT_RETENTION_MAX || size < sc_event_track_block_size(h->retention))
		return false;
	uint32_t ret = h->retention;
	uint64_t n = h->n;
	if (n > UINT64_MAX / 4) { /* impossible: a fresh track, what it held lost */
		*lost = ret;
		n = 0;
	}
	/* a record whose slot was whole but whose header count was not stored */
	const struct sc_event *next = &h->ring[n % ret];
	if (next->id == n + 1 && next->tag < SC_EV_TAGS) {
		n++; /* and what its writer would have counted next */
		h->by_tag[next->tag]++;
		if (n > ret && n - ret >= h->from) /* not one an earlier adoption counted */
			h->dropped++;
	}
	/* the newest run of whole slots; a bad one ends it */
	uint64_t lo = n > ret ? n - ret + 1 : 1, first = n + 1;
	if (h->from > lo && h->from <= n + 1)
		lo = h->from; /* below it: counted as dropped by an earlier adoption */
	for (uint64_t id = n; id >= lo && id > 0; id--) {
		const struct sc_event *e = &h->ring[(id - 1) % ret];
		if (e->id != id || e->tag >= SC_EV_TAGS)
			break;
		first = id;
	}
	*lost += (uint32_t)(first - lo);
	*adopted = (uint32_t)(n + 1 - first);
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->shm = h;
	t->ring = h->ring;
	t->retention = ret;
	t->n = n;
	t->first = first;
	h->n = n;
	h->from = first;
	h->dropped += *lost;
	atomic_store(&t->dropped, h->dropped);
	for (uint32_t i = 0; i < SC_EV_TAGS; i++)
		atomic_store(&t->by_tag[i], h->by_tag[i]);
	return true;
}

void sc_event_track_finish(struct sc_event_track *t)
{
	if (!t->shm)
		free(t->ring);
	t->shm = NULL;
	t->ring = NULL;
	t->retention = 0;
	pthread_mutex_destroy(&t->lock);
}

static uint64_t record_locked(struct sc_event_track *t, struct sc_event *e)
{
	if (!t->ring)
		return 0;
	if (!e->time_ns)
		e->time_ns = sc_now_ns();
	e->id = ++t->n;
	/* the oldest goes, unless an adoption already counted it as lost */
	if (t->n > t->retention && t->n - t->retention >= t->first)
		atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
	struct sc_event *slot = &t->ring[(e->id - 1) % t->retention];
	if (t->shm) {
		/* the order a successor checks (session/shm/event_track.h): a kill
		 * between any two stores leaves a slot it can tell is not whole */
		SC_STORE_RELEASE(&slot->id, 0);
		/* a release store orders what came before it: this keeps the body's
		 * plain stores after the id's 0 */
		atomic_thread_fence(memory_order_seq_cst);
		struct sc_event body = *e;
		body.id = 0;
		*slot = body;
		SC_STORE_RELEASE(&slot->id, e->id);
		SC_STORE_RELEASE(&t->shm->n, t->n);
		t->shm->dropped = atomic_load_explicit(&t->dropped, memory_order_relaxed);
		if (e->tag < SC_EV_TAGS)
			t->shm->by_tag[e->tag]++;
	} else {
		*slot = *e;
	}
	if (e->tag < SC_EV_TAGS)
		atomic_fetch_add_explicit(&t->by_tag[e->tag], 1, memory_order_relaxed);
	return e->id;
}

uint64_t sc_event_record(struct sc_event_track *t, struct sc_event *e)
{
	pthread_mutex_lock(&t->lock);
	uint64_t id = record_locked(t, e);
	pthread_mutex_unlock(&t->lock);
	return id;
}

void sc_event_inputs(struct sc_event_track *t, uint32_t tick, uint32_t player, uint32_t actions, uint32_t n)
{
	pthread_mutex_lock(&t->lock);
	if (t->have_pending && t->pending_input.tick != tick) {
		record_locked(t, &t->pending_input);
		t->have_pending = false;
	}
	if (!t->have_pending) {
		memset(&t->pending_input, 0, sizeof(t->pending_input));
		t->pending_input.tag = SC_EV_INPUT;
		t->pending_input.tick = tick;
		t->pending_input.time_ns = sc_now_ns(); /* the first input of the tick */
		t->have_pending = true;
	}
	t->pending_input.u.input.inputs += n;
	t->pending_input.u.input.players |= 1u << (player & 31);
	t->pending_input.u.input.actions |= actions;
	pthread_mutex_unlock(&t->lock);
}

void sc_event_inputs_flush(struct sc_event_track *t, uint32_t before)
{
	pthread_mutex_lock(&t->lock);
	if (t->have_pending && t->pending_input.tick < before) {
		record_locked(t, &t->pending_input);
		t->have_pending = false;
	}
	pthread_mutex_unlock(&t->lock);
}

uint64_t sc_event_oldest_locked(const struct sc_event_track *t)
{
	uint64_t oldest = t->n > t->retention ? t->n - t->retention + 1 : 1;
	return t->first > oldest ? t->first : oldest;
}

const struct sc_event *sc_event_get_locked(const struct sc_event_track *t, uint64_t id)
{
	if (!t->ring || id == 0 || id > t->n || id < sc_event_oldest_locked(t))
		return NULL;
	return &t->ring[(id - 1) % t->retention];
}

size_t sc_event_track_bytes(const struct sc_event_track *t)
{
	return (size_t)t->retention * sizeof(struct sc_event);
}

bool sc_event_tags_parse(const char *list, size_t len, uint32_t *mask)
{
	*mask = 0;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		bool known = false;
		for (uint32_t k = 0; k < SC_EV_TAGS; k++)
			if (strlen(sc_event_tag_names[k]) == j - i && memcmp(list + i, sc_event_tag_names[k], j - i) == 0) {
				*mask |= 1u << k;
				known = true;
			}
		if (!known)
			return false;
		i = j + 1;
	}
	return *mask != 0;
}
