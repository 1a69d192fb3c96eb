/* The event track's block (issue 11): the session's event track
 * (server/event_track.h) lives in shared memory so that it outlives the
 * encoder process that records it. A restarted encoder adopts what its
 * predecessor recorded: the same event ids, the same retention, and what it
 * had seen in the session block (so an incident or a pause already on the
 * track is not recorded twice).
 *
 * Owners and order: the supervisor creates the block SC_EVENT_TRACK_BLOCK
 * (kind SC_BLOCK_RAW) and writes the header's magic, version, retention and
 * record_size once, before any child starts. Exactly one encoder process at a
 * time writes everything else; the supervisor starts its successor only after
 * it is dead, so nothing here is read while it is written, except by a
 * successor reading what a dead one left: every field is then untrusted and
 * checked (sc_event_track_adopt in server/event_track.c):
 *   - event id n goes in ring[(n - 1) % retention]; the writer stores the
 *     slot's id 0, the record, then the slot's id n, then the header's n;
 *   - the successor takes the header's n (and n + 1 if that slot is whole),
 *     then keeps the newest run of slots whose ids are exactly right and
 *     whose tag is known; anything older than a bad slot counts as dropped,
 *     once: it stores the oldest id it kept in `from`, and a later
 *     successor does not count what lies below it again.
 * Layout version: SC_EVENT_TRACK_VERSION (and the _Static_asserts below).
 * Memory: 256 + retention * 40 bytes (--event-retention, 16..1048576). */
#ifndef SC_SESSION_SHM_EVENT_TRACK_H
#define SC_SESSION_SHM_EVENT_TRACK_H
#include <stddef.h>
#include <stdint.h>

#define SC_EVENT_TRACK_BLOCK "event-track"
#define SC_EVENT_TRACK_MAGIC 0x53434554u /* "SCET" */
#define SC_EVENT_TRACK_VERSION 2u
#define SC_EVENT_TRACK_MAX_TAGS 16u

/* One event (40 bytes). tag: enum sc_event_tag (server/event_track.h). */
struct sc_event {
	uint64_t id;      /* 1, 2, ... in this session (across encoder restarts) */
	uint64_t time_ns; /* CLOCK_MONOTONIC, the clock of the samples' start_ns */
	uint32_t tick;    /* the primary's tick it concerns */
	uint32_t tag;     /* enum sc_event_tag */
	union {
		struct { uint32_t inputs, players, actions; } input; /* players, actions: bit masks */
		struct { int32_t player; uint32_t client; uint32_t disconnected; } join; /* join and leave */
		struct { uint32_t incident, detected, injected, detected_tick; } incident;
		struct { uint32_t kind; uint64_t seq; } inject;
		struct { uint32_t index, instance; double value; } condition; /* instance: the sample's */
		struct { uint32_t slot, ticks, previous; } delay;
		struct { uint32_t slot, held_tick, incident; } pause; /* pause and resume */
		struct { uint32_t base_tick; int32_t pid; } restore;  /* restore and restart */
		struct { uint32_t index; } capture; /* the condition */
		/* an encoder process took the track over: events adopted and lost,
		 * samples (all instances, saturating) taken over from the sample store */
		struct { int32_t pid; uint32_t adopted, lost, samples; } encoder;
	} u;
};
_Static_assert(sizeof(struct sc_event) == 40, "sc_event layout");
_Static_assert(offsetof(struct sc_event, id) == 0, "sc_event layout");
_Static_assert(offsetof(struct sc_event, time_ns) == 8, "sc_event layout");
_Static_assert(offsetof(struct sc_event, tick) == 16, "sc_event layout");
_Static_assert(offsetof(struct sc_event, tag) == 20, "sc_event layout");
_Static_assert(offsetof(struct sc_event, u) == 24, "sc_event layout");

/* What the recording encoder last saw in the session block (its watch of
 * incidents, shadow pauses, primaries and anomaly captures). */
struct sc_event_seen {
	uint32_t incident, incident_error_tick;
	uint32_t shadow_state[2];
	uint32_t pause_incident[2]; /* the incident a slot's shadow paused for, 0 none */
	int32_t primary_pid;
	uint32_t baselined; /* 1 once the session's first encoder took the session as it found it */
	uint64_t capture_done;
};
_Static_assert(sizeof(struct sc_event_seen) == 40, "sc_event_seen layout");

struct sc_event_track_shm {
	uint32_t magic, version; /* the supervisor's, once */
	uint32_t retention;      /* records in ring[] */
	uint32_t record_size;    /* sizeof(struct sc_event) */
	uint64_t n;              /* events recorded: the newest id */
	uint64_t dropped;        /* events the retention (or a bad slot on adoption) pushed out */
	uint64_t by_tag[SC_EVENT_TRACK_MAX_TAGS];
	struct sc_event_seen seen;
	uint64_t from;           /* the last adoption's oldest id held: no slot below it is counted lost again */
	uint8_t reserved[256 - 32 - 8 * SC_EVENT_TRACK_MAX_TAGS - 40 - 8];
	struct sc_event ring[];  /* retention records */
};
_Static_assert(offsetof(struct sc_event_track_shm, n) == 16, "sc_event_track_shm layout");
_Static_assert(offsetof(struct sc_event_track_shm, dropped) == 24, "sc_event_track_shm layout");
_Static_assert(offsetof(struct sc_event_track_shm, by_tag) == 32, "sc_event_track_shm layout");
_Static_assert(offsetof(struct sc_event_track_shm, seen) == 160, "sc_event_track_shm layout");
_Static_assert(offsetof(struct sc_event_track_shm, from) == 200, "sc_event_track_shm layout");
_Static_assert(offsetof(struct sc_event_track_shm, ring) == 256, "sc_event_track_shm layout");

static inline size_t sc_event_track_block_size(uint32_t retention)
{
	return offsetof(struct sc_event_track_shm, ring) + (size_t)retention * sizeof(struct sc_event);
}

#endif
