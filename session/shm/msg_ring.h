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
 *                   (the spsc tail) and `written` / `dropped` / `payload_gen`
 *                   / `blocks_written`. It never
 *                   waits: a full ring drops the message and counts it in
 *                   `dropped`;
 *   the encoder     the single consumer of the outbound rings: reads records
 *                   (the spsc head) and `read` / `rejected` / `discarded` /
 *                   `blocks_freed` / `blocks_refused`.
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
 *   clients they were for were connections of the dead process. A discarded
 *   record that carries a payload block descriptor has its block taken and
 *   freed (below).
 *
 * Payload blocks (a payload larger than the ring's payload_max, up to
 * SC_MSG_BLOCK_PAYLOAD_MAX bytes; session/msg_ring.c). The record carries
 * flag SC_MSG_PAYLOAD_BLOCK and, as its payload, a struct sc_msg_block_desc
 * (32 bytes: arena offset, generation, length); the real payload lives in an
 * arena payload block (net/shm/arena.h, sc_arena_alloc):
 *   [0, 16)          struct sc_msg_block_hdr: check word (= the descriptor's
 *                    gen), len, msg_type
 *   [16, 16 + len)   the payload
 * Who owns the block (its buddy owner tag) at each step, and what a kill -9
 * at that instant leaves:
 *   1. producer: gen := ++payload_gen << 16 | the producer role's first
 *      byte << 8 | msg_type (never 0; unique across producer restarts, the
 *      counter lives here, and across rings: the two chat rings share a
 *      type, not a producer); sc_arena_alloc: owned by
 *      the producer, check word 0 (zeroed under the arena lock). Killed now
 *      or in 2-3: the block is reclaimed with it (sc_arena_reap, or the
 *      EOWNERDEAD recovery of the arena lock); nothing refers to it.
 *   2. producer writes header + payload, then the check word (release).
 *   3. producer claims a record (a full ring: it frees the block, counts
 *      `dropped`), writes the descriptor, commits (release of the tail):
 *      published, still owned by the producer. Killed now: the block is
 *      reclaimed with it; the descriptor stays in the ring and no longer
 *      validates (4 refuses it).
 *   3b. producer gives the block to the live process of the consumer's role
 *      (sc_arena_give, under the arena lock: only if the block is still its
 *      own with check word gen; none alive, or already taken: nothing
 *      changes). From now on it dies with the consumer: a producer that
 *      stops right after publishing (the primary after its incident report)
 *      no longer takes the message with it. Killed between 3 and 3b: as 3.
 *   4. consumer (or a restarted consumer's discard): sc_arena_take(off,
 *      block size, producer role, gen) under the arena lock: the block is
 *      allocated, of exactly the buddy size for 16 + len, not a named block,
 *      owned by a registered slot of the producer's role or given to this
 *      very process, and its check word is gen. Then (one store) it is the
 *      consumer's. Killed now (or with blocks given and not yet taken):
 *      reclaimed with the consumer; its successor's discard finds the
 *      descriptors again and 4 refuses them (owned by another slot of the
 *      consumer's role, or gone), while blocks published when no consumer
 *      was alive (never given) are taken and freed by that discard. A
 *      refused descriptor is counted in `blocks_refused` (and in `rejected`
 *      when the reader met it), never freed through.
 *   5. consumer copies header and payload out of the block (a private copy:
 *      the handler never sees shared bytes), checks the copied header
 *      (check word, len, msg_type agree with the descriptor), frees the
 *      block (`blocks_freed`), then hands the copy to its handler. Killed
 *      after the free and before the head moved: 4 refuses the descriptor
 *      (the block is free, or reallocated: its check word is 0 or another
 *      gen).
 * So each block is freed exactly once: by the consumer that took it, or by
 * the reaper with its owner (the producer before 3b, the consumer after); a descriptor that does not pass 4 is never
 * freed through. The consumer also checks gen's low 16 bits (producer role,
 * msg_type) before the take. The consumer's arithmetic on the descriptor is
 * overflow-safe (off + 16 + len inside the arena; len <=
 * SC_MSG_BLOCK_PAYLOAD_MAX before any sum).
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
/* largest payload a record may carry through an arena payload block */
#define SC_MSG_BLOCK_PAYLOAD_MAX (16u * 1024)

/* A record's payload when its header has SC_MSG_PAYLOAD_BLOCK. */
struct sc_msg_block_desc {
	uint64_t off; /* arena offset of the payload block */
	uint64_t gen; /* the block's check word: payload_gen << 16 | producer role[0] << 8 | msg_type */
	uint32_t len; /* payload bytes, 1..SC_MSG_BLOCK_PAYLOAD_MAX, after the block header */
	uint32_t reserved[3]; /* 0 */
};
_Static_assert(sizeof(struct sc_msg_block_desc) == 32, "sc_msg_block_desc layout");
_Static_assert(offsetof(struct sc_msg_block_desc, off) == 0, "sc_msg_block_desc layout");
_Static_assert(offsetof(struct sc_msg_block_desc, gen) == 8, "sc_msg_block_desc layout");
_Static_assert(offsetof(struct sc_msg_block_desc, len) == 16, "sc_msg_block_desc layout");

/* The start of a payload block; the payload follows. */
struct sc_msg_block_hdr {
	uint64_t check;    /* = the descriptor's gen (written last, release; 0 while being filled) */
	uint32_t len;      /* = the descriptor's len */
	uint16_t msg_type; /* = the ring's msg_type */
	uint16_t reserved; /* 0 */
};
_Static_assert(sizeof(struct sc_msg_block_hdr) == 16, "sc_msg_block_hdr layout");
_Static_assert(offsetof(struct sc_msg_block_hdr, check) == 0, "sc_msg_block_hdr layout");
_Static_assert(offsetof(struct sc_msg_block_hdr, len) == 8, "sc_msg_block_hdr layout");
_Static_assert(offsetof(struct sc_msg_block_hdr, msg_type) == 12, "sc_msg_block_hdr layout");

struct sc_msg_ring_shm {
	/* supervisor, once (before any child starts) */
	_Alignas(64) uint32_t magic;
	uint32_t msg_type;    /* enum sc_msg_type of every record */
	uint32_t payload_max; /* largest payload a record may carry */
	uint32_t capacity;    /* data bytes of the spsc ring that follows */
	/* producer (primary) */
	_Alignas(64) _Atomic uint64_t written; /* records committed */
	_Atomic uint64_t dropped;              /* records dropped: the ring was full */
	_Atomic uint64_t payload_gen;          /* payload block generations handed out (see sc_msg_block_desc.gen) */
	_Atomic uint64_t blocks_written;       /* records published with a payload block */
	/* consumer (encoder) */
	_Alignas(64) _Atomic uint64_t read;    /* records delivered */
	_Atomic uint64_t rejected;             /* records skipped: failed the decoder, or a corrupt ring */
	_Atomic uint64_t discarded;            /* records a restarted consumer found unread and dropped */
	_Atomic uint64_t blocks_freed;         /* payload blocks taken and freed (read or discarded) */
	_Atomic uint64_t blocks_refused;       /* descriptors that did not validate (block gone or forged) */
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_msg_ring_shm) == 192, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, magic) == 0, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, msg_type) == 4, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, payload_max) == 8, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, capacity) == 12, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, written) == 64, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, dropped) == 72, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, payload_gen) == 80, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, blocks_written) == 88, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, read) == 128, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, rejected) == 136, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, discarded) == 144, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, blocks_freed) == 152, "sc_msg_ring_shm layout");
_Static_assert(offsetof(struct sc_msg_ring_shm, blocks_refused) == 160, "sc_msg_ring_shm layout");

#endif
