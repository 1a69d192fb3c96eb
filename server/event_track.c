#include "server/event_track.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

const char *const sc_event_tag_names[SC_EV_TAGS] = {
	[SC_EV_INPUT] = "input",         [SC_EV_JOIN] = "join",       [SC_EV_LEAVE] = "leave",
	[SC_EV_INCIDENT] = "incident",   [SC_EV_INJECT] = "inject",   [SC_EV_CONDITION] = "condition",
	[SC_EV_DELAY] = "delay",         [SC_EV_PAUSE] = "pause",     [SC_EV_RESUME] = "resume",
	[SC_EV_RESTORE] = "restore",     [SC_EV_RESTART] = "restart", [SC_EV_CAPTURE] = "capture",
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

void sc_event_track_finish(struct sc_event_track *t)
{
	free(t->ring);
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
	if (t->n > t->retention)
		atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed); /* the oldest goes */
	t->ring[(e->id - 1) % t->retention] = *e;
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
	return t->n > t->retention ? t->n - t->retention + 1 : 1;
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
