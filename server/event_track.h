/* The session's event track (issue 11): timestamped, tagged events the
 * encoder process records as they happen (inputs per tick, joins and leaves,
 * incidents, injected faults, condition hits, delay changes, shadow pauses
 * and resumes, restores and restarts of the primary, anomaly captures), kept
 * in a ring of --event-retention records: the oldest is dropped first and
 * counted. GET /api/v1/events lists them (server/profile_events.c); every
 * event has a tick, so the samples around any of them can be asked for.
 *
 * Thread-safe: every call takes the track's lock (the service thread records
 * joins, leaves, inputs and API commands; the encode thread conditions and
 * what it sees change in the session block). Memory: retention records of
 * sizeof(struct sc_event), in the session's event-track block (the
 * supervisor's, so the track outlives an encoder process: a restarted one
 * adopts it, session/shm/event_track.h), or allocated once where there is
 * no block (unit tests). */
#ifndef SC_SERVER_EVENT_TRACK_H
#define SC_SERVER_EVENT_TRACK_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/shm/event_track.h" /* struct sc_event, the block it lives in */

#define SC_EVENT_RETENTION_DEFAULT 4096u
#define SC_EVENT_RETENTION_MIN 16u
#define SC_EVENT_RETENTION_MAX 1048576u

enum sc_event_tag {
	SC_EV_INPUT,     /* inputs stamped with one tick: count, players, actions */
	SC_EV_JOIN,      /* a client joined (player or spectator) */
	SC_EV_LEAVE,     /* a joined client left */
	SC_EV_INCIDENT,  /* a fault was detected (the session's incident) */
	SC_EV_INJECT,    /* POST /api/v1/inject: a FAULT input was logged */
	SC_EV_CONDITION, /* a target condition started to hold */
	SC_EV_DELAY,     /* a shadow's delay changed (POST /api/v1/delay) */
	SC_EV_PAUSE,     /* a shadow paused (an incident or a developer) */
	SC_EV_RESUME,    /* a paused shadow resumed */
	SC_EV_RESTORE,   /* a primary started from a shadow's state */
	SC_EV_RESTART,   /* a primary started anew (a new match) */
	SC_EV_CAPTURE,   /* an anomaly capture was written by the shadow */
	SC_EV_ENCODER,   /* an encoder process took the track over (a restart) */
	SC_EV_TAGS
};

extern const char *const sc_event_tag_names[SC_EV_TAGS];


_Static_assert(SC_EV_TAGS <= SC_EVENT_TRACK_MAX_TAGS, "the block counts every tag");

struct sc_event_track {
	pthread_mutex_t lock;
	struct sc_event *ring; /* retention records, event id n at [(n - 1) % retention] */
	struct sc_event_track_shm *shm; /* the block the ring is in (NULL: process memory) */
	uint64_t first;        /* no id below it is held (an adopted track's bad slots) */
	uint32_t retention;
	uint64_t n;            /* events recorded, the newest id */
	_Atomic uint64_t dropped;          /* events the retention pushed out */
	_Atomic uint64_t by_tag[SC_EV_TAGS];
	struct sc_event pending_input;     /* the tick being counted (tag SC_EV_INPUT when open) */
	bool have_pending;
};

/* In process memory. false: no memory (the track then records nothing). */
bool sc_event_track_init(struct sc_event_track *t, uint32_t retention);
/* The supervisor: formats a block of size bytes for retention events. */
bool sc_event_track_format(void *mem, size_t size, uint32_t retention);
/* An encoder process: the track in a block (session/shm/event_track.h),
 * adopting the events a dead predecessor recorded there, checked as
 * untrusted: *adopted the events taken over, *lost those dropped as bad.
 * t: not initialised, or finished. false for a block that is not a
 * formatted track (t untouched). */
bool sc_event_track_adopt(struct sc_event_track *t, void *mem, size_t size, uint32_t *adopted, uint32_t *lost);
void sc_event_track_finish(struct sc_event_track *t);

/* Records e (id assigned, time_ns 0 = now); returns the id. */
uint64_t sc_event_record(struct sc_event_track *t, struct sc_event *e);

/* n inputs stamped with tick by player (0..7) with actions (bit i =
 * enum sc_input_action i): counted into one SC_EV_INPUT event per tick,
 * recorded when another tick's inputs come or sc_event_inputs_flush. */
void sc_event_inputs(struct sc_event_track *t, uint32_t tick, uint32_t player, uint32_t actions, uint32_t n);
/* Records the tick being counted if it is below `before` (the primary
 * gathered it). */
void sc_event_inputs_flush(struct sc_event_track *t, uint32_t before);

/* Under t->lock: the event with this id, NULL when not held. */
const struct sc_event *sc_event_get_locked(const struct sc_event_track *t, uint64_t id);
/* Under t->lock: the oldest id held (n + 1 when none). Every id from it
 * to n is held. */
uint64_t sc_event_oldest_locked(const struct sc_event_track *t);

/* Bytes the track holds (the ring): the bound --event-retention sets. */
size_t sc_event_track_bytes(const struct sc_event_track *t);

/* "input,join" -> a mask of tags; false for an unknown name. */
bool sc_event_tags_parse(const char *list, size_t len, uint32_t *mask);

#endif
