/* A process's view of one typed message ring (the contract:
 * session/shm/msg_ring.h): format (supervisor), write (the primary, never
 * blocks), read and decode (the encoder, trusts nothing it reads). */
#ifndef SC_SESSION_MSG_RING_H
#define SC_SESSION_MSG_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/msg_header.h"
#include "net/shm/spsc_ring.h"
#include "session/shm/msg_ring.h"

/* Largest payload_max of any ring: the reader hands each payload over as a
 * private copy on its stack. */
#define SC_MSG_PAYLOAD_MAX 4096u

struct sc_arena;

struct sc_msg_ring {
	struct sc_msg_ring_shm *shm;
	/* payload blocks (session/shm/msg_ring.h): NULL = records only */
	struct sc_arena *arena;
	char producer_role[16]; /* the arena role of the producer (the consumer takes only its blocks) */
	char consumer_role[16]; /* the arena role of the consumer (the producer gives it published blocks) */
	struct sc_spsc_ring ring;
	uint16_t msg_type;    /* trusted: from the caller, checked against the block */
	uint32_t payload_max; /* trusted: from the caller */
	uint64_t seq;         /* producer: next header seq */
	bool force_blocks;    /* producer, tests: every payload goes through a payload block */
};

/* Bytes of a block holding a ring of capacity data bytes (a power of two >= 64). */
size_t sc_msg_ring_block_size(uint32_t capacity);

/* Supervisor: formats mem (size bytes from sc_msg_ring_block_size, 64-byte
 * aligned, zeroed) as an empty ring of msg_type records with payloads of at
 * most payload_max bytes. */
bool sc_msg_ring_format(void *mem, size_t size, uint16_t msg_type, uint32_t payload_max);

/* Producer and consumer: attaches to a formatted block; false (logged by the
 * caller) unless magic, type, payload_max and capacity match what this
 * process expects. */
bool sc_msg_ring_attach(struct sc_msg_ring *r, void *mem, size_t size, uint16_t msg_type, uint32_t payload_max);

/* Both sides: payload blocks of this ring come from arena (this process is
 * registered in it); producer_role and consumer_role are the arena roles of
 * the ring's producer and consumer (the consumer takes only blocks of the
 * producer's role, or given to it; the producer gives what it published to
 * the live process of the consumer's role). Without an arena a payload above
 * payload_max is dropped and a descriptor is refused. */
void sc_msg_ring_set_arena(struct sc_msg_ring *r, struct sc_arena *arena, const char *producer_role,
                           const char *consumer_role);

/* Producer: one record (header filled here: type, priority, flags, tick,
 * timestamp_ns, seq, payload_len). A payload above payload_max (up to
 * SC_MSG_BLOCK_PAYLOAD_MAX, with an arena set) goes into an arena payload
 * block and the record carries its descriptor (the protocol:
 * session/shm/msg_ring.h). Never blocks: false when the ring is full, the
 * pool has no block, or len is too big, counted in shm->dropped. */
bool sc_msg_ring_write(struct sc_msg_ring *r, uint32_t tick, uint64_t timestamp_ns, uint8_t priority,
                       uint8_t flags, const void *payload, uint32_t len);

/* Producer, once at its start: the SC_MSG_PRODUCER_START marker (no payload)
 * at the first tick it will write for. */
bool sc_msg_ring_write_start(struct sc_msg_ring *r, uint32_t tick, uint64_t timestamp_ns);

enum sc_msg_decode {
	SC_MSG_DECODE_OK = 0,
	SC_MSG_DECODE_SHORT,       /* record shorter than the header */
	SC_MSG_DECODE_BAD_HEADER,  /* type / priority out of range */
	SC_MSG_DECODE_WRONG_TYPE,  /* not the ring's type */
	SC_MSG_DECODE_BAD_LENGTH,  /* payload_len disagrees with the record length */
	SC_MSG_DECODE_TOO_BIG,     /* payload above payload_max */
};
const char *sc_msg_decode_str(enum sc_msg_decode d);

/* Decodes one ring record body (len bytes, as the ring delivered it) of a
 * ring of msg_type with payloads up to payload_max: copies the header into
 * *hdr and points *payload into body. Every check is overflow-safe; nothing
 * outside [body, body + len) is read. */
enum sc_msg_decode sc_msg_record_decode(const void *body, uint32_t len, uint16_t msg_type, uint32_t payload_max,
                                        struct sc_msg_header *hdr, const void **payload);

/* Consumer: one decoded record; payload valid during the call only. For a
 * record that came with a payload block, hdr->payload_len is the block's
 * payload length and SC_MSG_PAYLOAD_BLOCK is still set in hdr->flags; the
 * payload is a private copy either way. */
typedef void (*sc_msg_fn)(void *ud, const struct sc_msg_header *hdr, const void *payload);

/* Consumer: delivers up to max records, oldest first; bad records (and a
 * corrupt ring, and a payload block descriptor that does not validate) are
 * skipped and counted in shm->rejected. A valid payload block is taken,
 * copied and freed before the handler runs. Returns how many were delivered. */
size_t sc_msg_ring_read(struct sc_msg_ring *r, sc_msg_fn fn, void *ud, size_t max);

/* Consumer, at attach after a restart: drops every unread record (counted in
 * shm->discarded), taking and freeing the payload block of each descriptor
 * that still validates, and returns how many bytes that was. */
uint64_t sc_msg_ring_discard(struct sc_msg_ring *r);

/* Checks a payload block descriptor from a peer, takes the block (it becomes
 * this process's), copies its payload into out (out_max bytes at least
 * desc->len) and frees the block. false (nothing freed, nothing kept) if the
 * descriptor does not validate; see session/shm/msg_ring.h, step 4-5. */
bool sc_msg_block_consume(struct sc_msg_ring *r, const struct sc_msg_block_desc *desc, void *out, size_t out_max);

/* Test hook (tests/session): called at each step of the payload block
 * protocol, so a test can kill the process at exactly that instant. NULL in
 * the server. */
enum sc_msg_block_step {
	SC_MSG_STEP_ALLOCATED,  /* producer: block allocated, nothing written */
	SC_MSG_STEP_FILLED,     /* producer: payload and check word written, not published */
	SC_MSG_STEP_PUBLISHED,  /* producer: the record is committed, the block still the producer's */
	SC_MSG_STEP_GIVEN,      /* producer: the block handed to the live consumer (if there was one) */
	SC_MSG_STEP_TAKEN,      /* consumer: the block is its own, not copied */
	SC_MSG_STEP_COPIED,     /* consumer: copied, not freed */
	SC_MSG_STEP_FREED,      /* consumer: freed, the ring's head not yet moved */
};
extern void (*sc_msg_block_test_hook)(enum sc_msg_block_step step);

#endif
