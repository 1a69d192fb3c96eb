/* Typed outbound message rings (seed US9467526, claims 5-9): the game writes
 * every outbound message that is not video into shared memory, one ring per
 * message type, each message time-stamped with its tick, so the encoder
 * process sends it in step with the video frame of the same tick. One named
 * arena block per type (session/session.h: SC_MSG_EVENT_BLOCK,
 * SC_MSG_HAPTIC_BLOCK, SC_MSG_NOTICE_BLOCK, SC_MSG_CHAT_BLOCK; another type,
 * e.g. audio, is one more block of this same kind, SC_BLOCK_MSG_RING), and
 * one inbound ring of the same kind, SC_MSG_CHAT_IN_BLOCK, whose roles are
 * swapped (the encoder writes players' chat, the primary reads it and relays
 * it through SC_MSG_CHAT_BLOCK). Layout version: SC_SESSION_LAYOUT_VERSION.
 * Code: session/msg_ring.{h,c}.
 *
 * Block layout:
 *   [0, 192)                 struct sc_msg_ring_shm: what the ring carries and
 *                            its counters (each side's on its own cache line)
 *   [192, 192 + 256 + cap)   an sc_spsc_ring (net/shm/spsc_ring.h): control
 *                            block, then cap data bytes (a power of two)
 * Each ring record: spsc type = the ring's msg_type, body = struct
 * sc_msg_header (net/shm/msg_header.h: type, priority, tick, capture
 * timestamp, seq, payload_len) followed by payload_len payload bytes (the
 * payload structs of session/shm/game_msg.h).
 *
 * Owners:
 *   the supervisor  creates and formats the block once per session
 *                   (sc_msg_ring_format: magic, msg_type, payload_max, an
 *                   empty ring), before any child starts; it never frees it,
 *                   so the ring outlives every child;
 *   the primary     the single producer of the outbound rings: writes records
 *                   (the spsc tail) and `written` / `dropped`. It never
 *                   waits: a full ring drops the message and counts it in
 *                   `dropped`;
 *   the encoder     the single consumer of the outbound rings: reads records
 *                   (the spsc head) and `read` / `rejected` / `discarded`.
 *   msg-chat-in     the other way round: the encoder's network thread is the
 *                   producer, the primary (between two ticks) the consumer;
 *                   a restarted primary reads on (no discard), a restarted
 *                   encoder writes on.
 * Hand-off order: the primary writes a tick's records (release store of the
 * spsc tail) before it publishes that tick's frame (`latest`, seq_cst, see
 * frame_mailbox.h); the encoder takes the frame, then reads the ring
 * (acquire load of the tail), so it sees every record of that tick and sends
 * them before the frame. Records of later ticks wait in the encoder until the
 * frame of their tick (or a later one) is taken.
 *
 * Crashes (kill -9):
 *   of the primary: a record it claimed but never committed does not exist
 *   (the tail moves only after the whole record is written); the restarted
 *   primary attaches and writes on from the tail.
 *   of the encoder: records it had not read stay in the ring; its successor,
 *   at attach, discards them all (head := tail, counted in `discarded`): the
 *   clients they were for were connections of the dead process. Nothing is
 *   allocated per message, so nothing leaks.
 * Corruption: the consumer trusts nothing in the block but its own mapping's
 * size: the spsc ring checks head/tail/lengths, and every record is decoded
 * with overflow-safe checks (sc_msg_record_decode); a bad one is skipped and
 * counted in `rejected`. */
#ifndef SC_SESSION_SHM_MSG_RING_H
#define SC_SESSION_SHM_MSG_RING_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SC_MSG_RING_MAGIC 0x5343524du /* "MRCS" */
#define SC_MSG_RING_CAPACITY (64u * 1024) /* data bytes of each game ring */
/* priority of each type in the header (net/shm/msg_header.h: 0..15): control
 * and acks > events, chat, haptics and notices > audio > video */
#define SC_MSG_PRIORITY_GAME 8

struct sc_msg_ring_shm {
	/* supervisor, once (before any child starts) */
	_Alignas(64) uint32_t magic;
	uint32_t msg_type;    /* enum sc_msg_type of every record */
	uint32_t payload_max; /* largest payload a record may carry */
	uint32_t capacity;    /* data bytes of the spsc ring that follows */
	/* producer (primary) */
	_Alignas(64) _Atomic uint64_t written; /* records committed */
	_Atomic uint64_t dropped;              /* records dropped: the ring was full */
	/* consumer (encoder) */
	_Alignas(64) _Atomic uint64_t read;    /* records delivered */
	_Atomic uint64_t rejected;             /* records skipped: failed the decoder, or a corrupt ring */
	_Atomic uint64_t discarded;            /* records a restarted consumer found unread and dropped */
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_msg_ring_shm) == 192, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, magic) == 0, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, msg_type) == 4, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, payload_max) == 8, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, capacity) == 12, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, written) == 64, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, dropped) == 72, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, read) == 128, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, rejected) == 136, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, discarded) == 144, "sc_msg_ring_shm layout");

#endif
