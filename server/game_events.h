/* The encoder process's side of the game's typed message rings
 * (session/shm/msg_ring.h): the primary writes each tick's events, haptics
 * and notices there; this pulls them into small local queues and lets them
 * out in step with the video: everything of a tick before the frame of that
 * tick (encode_one), as the `event`, `haptic` and `notice` messages of
 * docs/protocol.md §4. Each payload is range-checked before it is formatted
 * (a peer may be corrupt); a bad one is dropped and counted. */
#ifndef SC_SERVER_GAME_EVENTS_H
#define SC_SERVER_GAME_EVENTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/msg_ring.h"
#include "session/shm/game_msg.h"

#define SC_GAME_OUTBOX_PENDING 256 /* records held per ring, waiting for their frame */
/* a chat line's text may be all \u00XX escapes from a corrupt peer: 6 x 200;
 * an incident report: 6 x 255 of detail and 64 input lines */
#define SC_GAME_MSG_JSON_MAX 8192

/* the outbound rings, in the order of enum sc_session_msg_ring */
enum sc_outbox_ring { SC_OUTBOX_EVENT, SC_OUTBOX_HAPTIC, SC_OUTBOX_NOTICE, SC_OUTBOX_CHAT, SC_OUTBOX_RINGS };

/* the largest game payload (session/shm/game_msg.h: the incident report,
 * which comes through a payload block) */
#define SC_OUTBOX_PAYLOAD_MAX sizeof(struct sc_incident_report)

struct sc_outbox_entry {
	struct sc_msg_header hdr;
	uint8_t payload[SC_OUTBOX_PAYLOAD_MAX];
};

struct sc_outbox_queue {
	struct sc_msg_ring *ring; /* NULL: not attached */
	bool in_step;             /* held for the frame of their tick (events, haptics); notices are not */
	struct sc_outbox_entry pending[SC_GAME_OUTBOX_PENDING];
	uint32_t head, count;
	uint64_t superseded; /* queued records a restarted primary's start marker voided */
};

struct sc_game_outbox {
	struct sc_outbox_queue q[SC_OUTBOX_RINGS];
	uint64_t invalid; /* records whose payload failed the range checks (not sent) */
};

/* One message for the wire. */
struct sc_outbox_msg {
	enum sc_outbox_ring ring;
	uint32_t tick;
	int32_t player; /* SC_OUTBOX_HAPTIC: the player whose client gets it; else -1 (everyone) */
	/* EVENT: the value of the `event` key; HAPTIC, NOTICE, CHAT: the whole message */
	char json[SC_GAME_MSG_JSON_MAX];
	/* NOTICE with the full incident report: json goes to the developers'
	 * connections only, this brief notice (no report) to every other
	 * client; "" for every other message */
	char brief[160];
};

typedef void (*sc_outbox_send_fn)(void *ud, const struct sc_outbox_msg *m);

/* rings[i]: the ring of enum sc_outbox_ring i, or NULL. */
void sc_game_outbox_init(struct sc_game_outbox *o, struct sc_msg_ring *const rings[SC_OUTBOX_RINGS]);

/* Moves records from the rings into the local queues while they have room
 * (what does not fit stays in the ring; the primary drops on a full ring). */
void sc_game_outbox_pull(struct sc_game_outbox *o);

/* Sends, oldest first, ring by ring: every queued notice, and (with_video)
 * every queued event and haptic of a tick <= through_tick, the tick of the
 * frame about to be sent. Returns how many were sent.
 * A restarted primary's SC_MSG_PRODUCER_START marker at tick T voids the
 * queued events and haptics of its predecessor at ticks >= T (a restore
 * re-runs them, a new match never has them); older ones are still sent. */
uint32_t sc_game_outbox_flush(struct sc_game_outbox *o, bool with_video, uint32_t through_tick,
                              sc_outbox_send_fn fn, void *ud);

/* Formats one decoded record of ring `ring` into m (checks every field);
 * false if the payload is out of range. */
bool sc_game_msg_format(enum sc_outbox_ring ring, const struct sc_msg_header *h, const void *payload,
                        struct sc_outbox_msg *m);

#endif
