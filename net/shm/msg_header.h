/* The header every shadowcast message carries, in rings and priority queues.
 * 32 bytes, naturally aligned, no pointers: valid in any process's mapping. */
#ifndef SC_NET_SHM_MSG_HEADER_H
#define SC_NET_SHM_MSG_HEADER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_MSG_PRIORITY_MAX 15

enum sc_msg_flags {
	SC_MSG_NOT_FLUSHABLE = 1u << 0, /* never dropped to make room (keyframes, control) */
	SC_MSG_KEYFRAME = 1u << 1,      /* video: an independently decodable frame */
	SC_MSG_LAST_FRAGMENT = 1u << 2, /* last piece of a message split over records */
	SC_MSG_PRODUCER_START = 1u << 3, /* a (re)started producer's first record (no payload):
	                                  * its predecessor's records from this tick on are void */
	SC_MSG_PAYLOAD_BLOCK = 1u << 4,  /* the record's payload is a descriptor of an arena payload
	                                  * block holding the real one (session/shm/msg_ring.h) */
};

/* Message type tags (the intermediation seed's per-type queues). 0 is invalid. */
enum sc_msg_type {
	SC_MSG_INVALID = 0,
	SC_MSG_INPUT = 1,       /* struct sc_input_event, browser -> game */
	SC_MSG_VIDEO = 2,       /* encoded video, game/encoder -> browser */
	SC_MSG_CONTROL = 3,     /* control / debug command */
	SC_MSG_TICK_RECORD = 4, /* primary's per-tick record */
	SC_MSG_SAMPLE = 5,      /* profiling sample */
	SC_MSG_EVENT = 6,       /* game event (goal, kickoff, hit, ...), game -> clients */
	SC_MSG_HAPTIC = 7,      /* rumble command for one player, game -> that player's client */
	SC_MSG_CHAT = 8,        /* chat line */
	SC_MSG_NOTICE = 9,      /* system notice (incident, pause, player joined/left) */
	SC_MSG_AUDIO = 10,      /* the game's sound, one tick a record (session/shm/audio_ring.h) */
	SC_MSG_SAMPLE_META = 11, /* a profiling metadata key/value the game set (session/shm/sample.h) */
	SC_MSG_TYPE_COUNT
};

struct sc_msg_header {
	uint16_t type;         /* enum sc_msg_type */
	uint8_t priority;      /* 0 (lowest) .. SC_MSG_PRIORITY_MAX */
	uint8_t flags;         /* enum sc_msg_flags */
	uint32_t client_id;    /* session / client the message belongs to, 0 = none */
	uint64_t timestamp_ns; /* sc_now_ns() of the sender (CLOCK_MONOTONIC) */
	uint64_t seq;          /* per-sender sequence number */
	uint32_t payload_len;  /* bytes that follow the header (or in the payload block) */
	uint32_t tick;         /* game tick the message belongs to (0 when none) */
};
_Static_assert(sizeof(struct sc_msg_header) == 32, "message header is 32 bytes");
_Static_assert(offsetof(struct sc_msg_header, type) == 0, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, priority) == 2, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, flags) == 3, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, client_id) == 4, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, timestamp_ns) == 8, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, seq) == 16, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, payload_len) == 24, "sc_msg_header layout");
_Static_assert(offsetof(struct sc_msg_header, tick) == 28, "sc_msg_header layout");

/* True when the header fields a peer sent are in range (type, priority). */
static inline bool sc_msg_header_valid(const struct sc_msg_header *h)
{
	return h->type != SC_MSG_INVALID && h->type < SC_MSG_TYPE_COUNT &&
	       h->priority <= SC_MSG_PRIORITY_MAX;
}

#endif
