#include "server/sample_feed.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "net/ws/ws_server.h"
#include "server/profile_metrics.h"
#include "util/log.h"

#define FEED_MSG_MAX 4096          /* one sample or event message, with room to spare */
#define FEED_COPY_PER_PUMP 4096u   /* samples copied out of the store under its lock at once */
#define FEED_EVENTS_PER_PUMP 64u

static const char *const roles[SC_SAMPLE_INSTANCES] = {"primary", "shadow", "shadow"};

void sc_sample_feed_init(struct sc_sample_feed *f, struct sc_profile *profile, uint32_t queue_capacity)
{
	memset(f, 0, sizeof(*f));
	f->profile = profile;
	f->queue_capacity = queue_capacity ? queue_capacity : SC_FEED_QUEUE_DEFAULT;
}

void sc_sample_feed_set_server(struct sc_sample_feed *f, struct sc_ws_server *ws)
{
	f->ws = ws;
}

void sc_sample_feed_finish(struct sc_sample_feed *f)
{
	for (uint32_t i = 0; i < SC_FEED_MAX_SUBSCRIBERS; i++)
		if (f->subs[i].used)
			sc_feed_queue_finish(&f->subs[i].q);
	memset(f->subs, 0, sizeof(f->subs));
}

static struct sc_feed_sub *find(struct sc_sample_feed *f, uint32_t client_id)
{
	for (uint32_t i = 0; i < SC_FEED_MAX_SUBSCRIBERS; i++)
		if (f->subs[i].used && f->subs[i].client_id == client_id)
			return &f->subs[i];
	return NULL;
}

static bool send_out(struct sc_sample_feed *f, struct sc_feed_sub *s, struct sc_prom_out *o)
{
	if (o->overflow)
		return false;
	return sc_ws_server_feed_send(f->ws, s->client_id, o->buf, o->used);
}

bool sc_sample_feed_subscribe(struct sc_sample_feed *f, uint32_t client_id, const struct sc_ws_subscribe *req,
                              char *why, size_t whylen)
{
	struct sc_profile *p = f->profile;
	if (req->instance >= SC_SAMPLE_INSTANCES) {
		snprintf(why, whylen, "instance must be 0..%d", SC_SAMPLE_INSTANCES - 1);
		return false;
	}
	struct sc_feed_sub *s = NULL;
	for (uint32_t i = 0; i < SC_FEED_MAX_SUBSCRIBERS && !s; i++)
		if (!f->subs[i].used)
			s = &f->subs[i];
	if (!s) {
		snprintf(why, whylen, "at most %d feed subscribers at once", SC_FEED_MAX_SUBSCRIBERS);
		return false;
	}
	/* the subscriber may ask for a smaller bound than the server's, not a larger one */
	uint32_t cap = req->queue && req->queue < f->queue_capacity ? req->queue : f->queue_capacity;
	if (!sc_feed_queue_init(&s->q, cap)) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	s->used = true;
	s->client_id = client_id;
	s->instance = req->instance;

	/* where it starts: `from` (the sample seq, history index + 1) when asked
	 * and not past the newest, else the next sample taken */
	pthread_mutex_lock(&p->lock);
	uint64_t taken = p->history_n[s->instance];
	pthread_mutex_unlock(&p->lock);
	s->next_n = taken;
	if (req->has_from && req->from <= taken)
		s->next_n = req->from ? req->from - 1 : 0;
	pthread_mutex_lock(&p->events.lock);
	uint64_t recorded = p->events.n;
	pthread_mutex_unlock(&p->events.lock);
	s->next_event = recorded + 1;
	if (req->has_events_from && req->events_from <= recorded)
		s->next_event = req->events_from ? req->events_from : 1;

	char buf[512];
	struct sc_prom_out o = {.buf = buf, .len = sizeof(buf)};
	sc_prom_put(&o, "{\"type\":\"subscribed\",\"instance\":%u,\"role\":\"%s\",\"slot\":", s->instance,
	            roles[s->instance]);
	if (s->instance == SC_SAMPLE_PRIMARY)
		sc_prom_put(&o, "null");
	else
		sc_prom_put(&o, "%u", s->instance - SC_SAMPLE_SHADOW0);
	sc_prom_put(&o, ",\"from\":%llu,\"events_from\":%llu,\"taken\":%llu,\"recorded\":%llu,\"queue\":%u,"
	               "\"sample_retention\":%u,\"event_retention\":%u}",
	            (unsigned long long)(s->next_n + 1), (unsigned long long)s->next_event, (unsigned long long)taken,
	            (unsigned long long)recorded, s->q.capacity, p->sample_retention, p->events.retention);
	send_out(f, s, &o);
	return true;
}

void sc_sample_feed_unsubscribe(struct sc_sample_feed *f, uint32_t client_id)
{
	struct sc_feed_sub *s = find(f, client_id);
	if (!s)
		return;
	sc_feed_queue_finish(&s->q);
	memset(s, 0, sizeof(*s));
}

/* The store's new samples into the subscriber's queue (never waits for the
 * lock: busy, it is tried at the next pump). */
static void copy_samples(struct sc_sample_feed *f, struct sc_feed_sub *s)
{
	struct sc_profile *p = f->profile;
	if (pthread_mutex_trylock(&p->lock) != 0) {
		f->lock_busy++;
		return;
	}
	const struct sc_sample *h = p->history[s->instance];
	uint64_t end = p->history_n[s->instance], r = p->sample_retention;
	if (h && r && end > s->next_n) {
		uint64_t oldest = sc_profile_oldest_n_locked(p, s->instance);
		if (s->next_n < oldest) {
			/* gone from the store before this subscriber got them */
			sc_feed_queue_gap(&s->q, oldest - s->next_n);
			f->samples_dropped_retention += oldest - s->next_n;
			s->next_n = oldest;
		}
		uint64_t overflow0 = s->q.overflow_dropped;
		uint64_t n = end - s->next_n;
		if (n > FEED_COPY_PER_PUMP)
			n = FEED_COPY_PER_PUMP;
		for (uint64_t i = 0; i < n; i++, s->next_n++)
			sc_feed_queue_push(&s->q, s->next_n + 1, &h[s->next_n % r],
			                   p->history_meta[s->instance][s->next_n % r]);
		f->samples_dropped_queue += s->q.overflow_dropped - overflow0;
	}
	pthread_mutex_unlock(&p->lock);
}

static bool send_dropped(struct sc_sample_feed *f, struct sc_feed_sub *s, const char *what, uint64_t first,
                         uint64_t count)
{
	char buf[256];
	struct sc_prom_out o = {.buf = buf, .len = sizeof(buf)};
	sc_prom_put(&o, "{\"type\":\"dropped\",\"what\":\"%s\",\"instance\":%u,\"count\":%llu,\"first\":%llu,\"last\":%llu}",
	            what, s->instance, (unsigned long long)count, (unsigned long long)first,
	            (unsigned long long)(first + count - 1));
	return send_out(f, s, &o);
}

/* Events in id order while the client has room; returns the room left. */
static size_t send_events(struct sc_sample_feed *f, struct sc_feed_sub *s, size_t room)
{
	struct sc_profile *p = f->profile;
	struct sc_event ev[FEED_EVENTS_PER_PUMP];
	uint32_t n = 0;
	uint64_t lost_first = 0, lost = 0;
	if (room < FEED_MSG_MAX)
		return room;
	if (pthread_mutex_trylock(&p->events.lock) != 0) {
		f->lock_busy++;
		return room;
	}
	uint64_t oldest = sc_event_oldest_locked(&p->events);
	if (s->next_event < oldest && s->next_event <= p->events.n) {
		lost_first = s->next_event;
		lost = oldest - s->next_event;
	}
	uint64_t id = lost ? oldest : s->next_event;
	for (; n < FEED_EVENTS_PER_PUMP && id <= p->events.n; id++) {
		const struct sc_event *e = sc_event_get_locked(&p->events, id);
		if (!e)
			break;
		ev[n++] = *e;
	}
	pthread_mutex_unlock(&p->events.lock); /* formatted outside the lock */
	if (lost) {
		if (!send_dropped(f, s, "events", lost_first, lost))
			return 0;
		f->events_dropped += lost;
		s->next_event = oldest;
		room = room > 256 ? room - 256 : 0;
	}
	char buf[FEED_MSG_MAX];
	for (uint32_t i = 0; i < n && room >= FEED_MSG_MAX; i++) {
		struct sc_prom_out o = {.buf = buf, .len = sizeof(buf)};
		sc_prom_put(&o, "{\"type\":\"track_event\",\"event\":");
		sc_profile_event_json(&o, p, &ev[i]);
		sc_prom_put(&o, "}");
		if (!send_out(f, s, &o))
			return 0;
		s->next_event = ev[i].id + 1;
		f->events_sent++;
		room -= o.used;
	}
	return room;
}

/* The metadata JSON of version v into the subscriber's cache; false when
 * the store's lock is busy (tried at the next pump). */
static bool meta_of(struct sc_sample_feed *f, struct sc_feed_sub *s, uint32_t v)
{
	if (s->meta_have && s->meta_ver == v)
		return true;
	struct sc_profile *p = f->profile;
	if (pthread_mutex_trylock(&p->lock) != 0) {
		f->lock_busy++;
		return false;
	}
	const char *json = sc_profile_meta_json_locked(p, s->instance, v);
	_Static_assert(sizeof(s->meta_json) == SC_META_JSON_MAX, "a feed subscriber holds any instance's metadata");
	snprintf(s->meta_json, sizeof(s->meta_json), "%s", json ? json : "null");
	pthread_mutex_unlock(&p->lock);
	s->meta_ver = v;
	s->meta_have = true;
	return true;
}

static void send_samples(struct sc_sample_feed *f, struct sc_feed_sub *s, size_t room)
{
	char buf[FEED_MSG_MAX];
	struct sc_feed_item *it;
	while (room >= FEED_MSG_MAX && (it = sc_feed_queue_peek(&s->q))) {
		if (!meta_of(f, s, it->meta))
			return;
		if (it->dropped_before) {
			if (!send_dropped(f, s, "samples", it->seq - it->dropped_before, it->dropped_before))
				return;
			/* told once: the sample itself follows */
			it->dropped_before = 0;
			room -= 256;
		}
		struct sc_prom_out o = {.buf = buf, .len = sizeof(buf)};
		sc_prom_put(&o, "{\"type\":\"sample\",\"seq\":%llu,\"sample\":", (unsigned long long)it->seq);
		sc_profile_sample_json(&o, &it->s, s->meta_json);
		sc_prom_put(&o, "}");
		if (!send_out(f, s, &o))
			return;
		sc_feed_queue_pop(&s->q);
		f->samples_sent++;
		room -= o.used;
	}
}

void sc_sample_feed_pump(struct sc_sample_feed *f)
{
	if (!f->ws)
		return;
	for (uint32_t i = 0; i < SC_FEED_MAX_SUBSCRIBERS; i++) {
		struct sc_feed_sub *s = &f->subs[i];
		if (!s->used)
			continue;
		/* into the bounded queue first, also when the client has no room:
		 * a subscriber that does not keep up loses its oldest samples */
		copy_samples(f, s);
		size_t room = sc_ws_server_feed_room(f->ws, s->client_id);
		room = send_events(f, s, room);
		send_samples(f, s, room);
	}
}

size_t sc_sample_feed_metrics_text(const struct sc_sample_feed *f, char *buf, size_t len)
{
	uint32_t subs = 0;
	for (uint32_t i = 0; i < SC_FEED_MAX_SUBSCRIBERS; i++)
		subs += f->subs[i].used;
	struct sc_prom_out o = {.buf = buf, .len = len};
	sc_prom_put(&o,
	            "# HELP shadowcast_feed_subscribers Clients subscribed to the sample feed (docs/protocol.md 11).\n"
	            "# TYPE shadowcast_feed_subscribers gauge\nshadowcast_feed_subscribers %u\n"
	            "# HELP shadowcast_feed_samples_sent_total Samples sent to feed subscribers.\n"
	            "# TYPE shadowcast_feed_samples_sent_total counter\nshadowcast_feed_samples_sent_total %llu\n"
	            "# HELP shadowcast_feed_events_sent_total Event-track events sent to feed subscribers.\n"
	            "# TYPE shadowcast_feed_events_sent_total counter\nshadowcast_feed_events_sent_total %llu\n"
	            "# HELP shadowcast_feed_samples_dropped_total Samples a feed subscriber missed: pushed out of its "
	            "bounded queue (reason queue) or gone from the sample store before it got them (reason retention).\n"
	            "# TYPE shadowcast_feed_samples_dropped_total counter\n"
	            "shadowcast_feed_samples_dropped_total{reason=\"queue\"} %llu\n"
	            "shadowcast_feed_samples_dropped_total{reason=\"retention\"} %llu\n"
	            "# HELP shadowcast_feed_events_dropped_total Events a feed subscriber missed (gone from the event "
	            "track before it got them).\n"
	            "# TYPE shadowcast_feed_events_dropped_total counter\nshadowcast_feed_events_dropped_total %llu\n",
	            subs, (unsigned long long)f->samples_sent, (unsigned long long)f->events_sent,
	            (unsigned long long)f->samples_dropped_queue, (unsigned long long)f->samples_dropped_retention,
	            (unsigned long long)f->events_dropped);
	if (o.overflow) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return o.used;
}
