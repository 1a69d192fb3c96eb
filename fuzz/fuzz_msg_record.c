/* libFuzzer: a hostile or crashed primary controls every byte of a typed
 * message ring (session/shm/msg_ring.h). The encoder's reader must never
 * crash or read outside the block: the ring positions, record lengths, the
 * 32-byte message header and the payload fields are all peer-written. Every
 * record the decoder accepts goes on through the encoder's formatter
 * (server/game_events.c), which range-checks the payload.
 *
 * Input: u8 ring (event, haptic, notice, chat), u8 flags, u64 head, u64 tail, then
 * the ring's data bytes (RING_CAP, zero-padded). The same bytes also go to
 * sc_msg_record_decode directly, at their own length.
 *
 * Payload block descriptors (session/shm/msg_ring.h, "Payload blocks"): the
 * ring is attached to a real arena, where a "primary" (a registered slot of
 * a process that exited) owns four planted payload blocks with their
 * headers, and a "shadow" slot a decoy block with a well-formed header;
 * this process is the consumer (the "encoder"). The input's bytes, read again as 32-byte descriptors
 * (an off below 16 or a gen below 16 is mapped onto a planted block's, so
 * exact hits, neighbours and stale gens are all reachable), go through
 * sc_msg_block_consume and, as records with SC_MSG_PAYLOAD_BLOCK, through
 * the reader or the restarted consumer's discard. After each input: every
 * planted block was freed once, by the consumer or by the harness after it
 * (never both, never twice), the decoy and the named ring block were never
 * freed through, a payload the consumer accepted is the planted one, and
 * the pool's free bytes are exactly what they were. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/shm/arena.h"
#include "server/game_events.h"
#include "session/msg_ring.h"

#define RING_CAP 512u

static _Alignas(64) uint8_t mem[sizeof(struct sc_msg_ring_shm) + SC_RING_CTRL_SIZE + RING_CAP];
static const uint16_t types[SC_OUTBOX_RINGS] = {SC_MSG_EVENT, SC_MSG_HAPTIC, SC_MSG_NOTICE, SC_MSG_CHAT};
static const uint32_t payloads[SC_OUTBOX_RINGS] = {32, 32, 32, sizeof(struct sc_chat_msg)};

static volatile uint8_t sink;

struct ctx {
	enum sc_outbox_ring ring;
	uint32_t n;
};

static void on_msg(void *ud, const struct sc_msg_header *h, const void *payload)
{
	struct ctx *c = ud;
	const uint8_t *p = payload;
	uint8_t sum = 0;
	for (uint32_t i = 0; i < h->payload_len; i++) /* ASan: every byte in bounds */
		sum ^= p[i];
	sink ^= sum;
	struct sc_outbox_msg m;
	if (sc_game_msg_format(c->ring, h, payload, &m))
		c->n += (uint32_t)strlen(m.json) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_msg_block(void *ud, const struct sc_msg_header *h, const void *payload)
{
	(void)ud;
	const uint8_t *p = payload;
	uint8_t sum = 0;
	for (uint32_t i = 0; i < h->payload_len; i++) /* ASan: every byte in bounds */
		sum ^= p[i];
	sink ^= sum;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

#define PLANTED 4
static struct sc_arena *arena;
static int primary_slot, shadow_slot;
static uint64_t free0;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena = sc_arena_create("fuzz-msg-record", 1u << 20);
	if (!arena || sc_arena_register(arena, "encoder") < 0)
		__builtin_trap();
	/* a producer slot of role "primary": a child registers and exits (never reaped) */
	pid_t pid = fork();
	if (pid == 0)
		_exit(sc_arena_register(arena, "primary"));
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) >= SC_ARENA_MAX_PROCS)
		__builtin_trap();
	primary_slot = WEXITSTATUS(st);
	pid = fork(); /* and one of role "shadow": the decoy's owner */
	if (pid == 0)
		_exit(sc_arena_register(arena, "shadow"));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) >= SC_ARENA_MAX_PROCS)
		__builtin_trap();
	shadow_slot = WEXITSTATUS(st);
	struct sc_arena_stats as;
	sc_arena_stats(arena, &as);
	free0 = as.free_bytes;
	return 0;
}

static void pattern(uint8_t *b, uint32_t len, uint32_t k)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(k * 37 + i);
}

/* a block with a well-formed header of gen for a ring of msg_type */
static uint64_t plant(uint16_t msg_type, uint32_t len, uint64_t gen, uint32_t k)
{
	uint64_t off;
	if (!sc_arena_alloc(arena, sizeof(struct sc_msg_block_hdr) + len, &off))
		__builtin_trap();
	uint8_t *b = sc_arena_ptr(arena, off, sizeof(struct sc_msg_block_hdr) + len);
	struct sc_msg_block_hdr h = {.check = gen, .len = len, .msg_type = msg_type};
	memcpy(b, &h, sizeof(h));
	pattern(b + sizeof(h), len, k);
	return off;
}

/* The payload block half: see the comment at the top. */
static void fuzz_blocks(struct sc_msg_ring *r, uint16_t type, uint8_t flags, const uint8_t *body, size_t body_len)
{
	static const uint32_t lens[PLANTED] = {1, 100, 3000, 5000};
	uint64_t off[PLANTED], gen[PLANTED];
	for (uint32_t k = 0; k < PLANTED; k++) {
		gen[k] = (1000 + k) << 16 | (uint64_t)'p' << 8 | type; /* "primary"'s blocks of this ring */
		off[k] = plant(type, lens[k], gen[k], k);
		if (!sc_arena_set_owner(arena, off[k], primary_slot))
			__builtin_trap();
	}
	const uint64_t decoy = plant(type, 3000, gen[0], 9); /* a third role's: never taken */
	if (!sc_arena_set_owner(arena, decoy, shadow_slot))
		__builtin_trap();
	r->ring.ctrl->head = r->ring.ctrl->tail = 0; /* the first half left any positions */
	r->ring.head_cache = 0;
	sc_msg_ring_set_arena(r, arena, "primary", "encoder");
	const uint64_t freed0 = atomic_load(&r->shm->blocks_freed);

	static uint8_t out[SC_MSG_BLOCK_PAYLOAD_MAX];
	static uint8_t want[SC_MSG_BLOCK_PAYLOAD_MAX];
	size_t n = body_len / sizeof(struct sc_msg_block_desc);
	for (size_t i = 0; i < n && i < 16; i++) {
		struct sc_msg_block_desc d;
		memcpy(&d, body + i * sizeof(d), sizeof(d));
		if (d.off < 16)
			d.off = d.off < 12 ? off[d.off % PLANTED] : decoy;
		if (d.gen < 16)
			d.gen = gen[d.gen % PLANTED];
		if (i % 2 == 0) {
			if (sc_msg_block_consume(r, &d, out, sizeof(out))) {
				/* accepted: exactly a planted block's payload */
				uint32_t k = 0;
				while (k < PLANTED && off[k] != d.off)
					k++;
				if (k == PLANTED || d.len != lens[k] || d.gen != gen[k])
					__builtin_trap();
				pattern(want, d.len, k);
				if (memcmp(out, want, d.len) != 0)
					__builtin_trap();
			}
			continue;
		}
		/* as a record: header from the input, flagged as a block descriptor */
		struct {
			struct sc_msg_header h;
			struct sc_msg_block_desc d;
		} rec;
		memset(&rec, 0, sizeof(rec));
		rec.h.type = type;
		rec.h.priority = (uint8_t)(d.reserved[0] & 15);
		rec.h.flags = (uint8_t)(SC_MSG_PAYLOAD_BLOCK | (d.reserved[1] & ~SC_MSG_PAYLOAD_BLOCK & 0xff));
		rec.h.payload_len = d.reserved[2] & 1 ? sizeof(d) : d.reserved[2]; /* a wrong length too */
		rec.d = d;
		r->ring.ctrl->head = r->ring.ctrl->tail; /* an empty ring at a sane position */
		r->ring.head_cache = r->ring.ctrl->head;
		sc_spsc_ring_write(&r->ring, type, &rec, sizeof(rec));
		if (flags & 4)
			sc_msg_ring_discard(r);
		else
			sc_msg_ring_read(r, on_msg_block, NULL, 4);
	}
	/* every planted block freed once: by the consumer, else now */
	uint64_t consumer = atomic_load(&r->shm->blocks_freed) - freed0, harness = 0;
	for (uint32_t k = 0; k < PLANTED; k++)
		harness += sc_arena_free(arena, off[k]);
	if (consumer + harness != PLANTED || !sc_arena_free(arena, decoy))
		__builtin_trap();
	struct sc_arena_stats as;
	sc_arena_stats(arena, &as);
	if (as.free_bytes != free0)
		__builtin_trap();
	sc_msg_ring_set_arena(r, NULL, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 18)
		return 0;
	struct ctx c = {.ring = (enum sc_outbox_ring)(data[0] % SC_OUTBOX_RINGS)};
	uint16_t type = types[c.ring];
	uint32_t payload_max = payloads[c.ring];
	uint8_t flags = data[1];
	uint64_t head, tail;
	memcpy(&head, data + 2, 8);
	memcpy(&tail, data + 10, 8);
	const uint8_t *body = data + 18;
	size_t body_len = size - 18;

	/* the decoder alone, on exactly the input's bytes */
	struct sc_msg_header h;
	const void *payload;
	if (sc_msg_record_decode(body, (uint32_t)(body_len > UINT32_MAX ? UINT32_MAX : body_len), type, payload_max, &h,
	                         &payload) == SC_MSG_DECODE_OK)
		on_msg(&c, &h, payload);

	/* the whole ring */
	memset(mem, 0, sizeof(mem));
	struct sc_msg_ring r;
	if (!sc_msg_ring_format(mem, sizeof(mem), type, payload_max) ||
	    !sc_msg_ring_attach(&r, mem, sizeof(mem), type, payload_max))
		__builtin_trap();
	memcpy(r.ring.buf, body, body_len < RING_CAP ? body_len : RING_CAP);
	if (flags & 1) {
		/* plausible positions: mostly valid records behind them */
		head %= RING_CAP;
		tail = head + tail % (RING_CAP + 1);
	}
	r.ring.ctrl->head = head;
	r.ring.ctrl->tail = tail;
	if (flags & 2)
		sc_msg_ring_discard(&r);
	sc_msg_ring_read(&r, on_msg, &c, 1000);
	fuzz_blocks(&r, type, flags, body, body_len);
	/* the reader's state stays usable: a good record from a sane producer
	 * (its positions are aligned, and far from 2^64: it starts at 0) goes
	 * through, wherever in the buffer it lands */
	struct sc_chat_msg e = {.player = 0, .len = 1, .text = "x"}; /* at least as big as any other payload */
	r.ring.ctrl->tail = (r.ring.ctrl->tail % RING_CAP) & ~(uint64_t)(SC_RING_RECORD_ALIGN - 1);
	r.ring.ctrl->head = r.ring.ctrl->tail;
	r.ring.head_cache = r.ring.ctrl->head;
	if (sc_msg_ring_write(&r, 1, 1, 1, 0, &e, payload_max) && sc_msg_ring_read(&r, on_msg, &c, 1) != 1)
		__builtin_trap();
	return 0;
}
