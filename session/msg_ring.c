#include "session/msg_ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/arena.h"
#include "net/shm/buddy.h"

void (*sc_msg_block_test_hook)(enum sc_msg_block_step step);

static inline void step(enum sc_msg_block_step s)
{
	if (sc_msg_block_test_hook)
		sc_msg_block_test_hook(s);
}

#define MSG_RING_OFF sizeof(struct sc_msg_ring_shm)
_Static_assert(sizeof(struct sc_msg_ring_shm) % SC_CACHE_LINE == 0, "the spsc ring stays cache-line aligned");

size_t sc_msg_ring_block_size(uint32_t capacity)
{
	return MSG_RING_OFF + sc_spsc_ring_block_size(capacity);
}

static bool type_ok(uint16_t msg_type, uint32_t payload_max)
{
	return msg_type != SC_MSG_INVALID && msg_type < SC_MSG_TYPE_COUNT && payload_max <= SC_MSG_PAYLOAD_MAX;
}

bool sc_msg_ring_format(void *mem, size_t size, uint16_t msg_type, uint32_t payload_max)
{
	struct sc_spsc_ring ring;
	if (!mem || size <= MSG_RING_OFF || !type_ok(msg_type, payload_max) ||
	    !sc_spsc_ring_init(&ring, (uint8_t *)mem + MSG_RING_OFF, size - MSG_RING_OFF))
		return false;
	/* a record must always fit an empty ring */
	if ((uint64_t)payload_max + sizeof(struct sc_msg_header) > ring.max_record)
		return false;
	struct sc_msg_ring_shm *shm = mem;
	shm->msg_type = msg_type;
	shm->payload_max = payload_max;
	shm->capacity = (uint32_t)ring.capacity;
	atomic_store(&shm->written, 0);
	atomic_store(&shm->dropped, 0);
	atomic_store(&shm->read, 0);
	atomic_store(&shm->rejected, 0);
	atomic_store(&shm->discarded, 0);
	SC_STORE_RELEASE(&shm->magic, SC_MSG_RING_MAGIC);
	return true;
}

bool sc_msg_ring_attach(struct sc_msg_ring *r, void *mem, size_t size, uint16_t msg_type, uint32_t payload_max)
{
	if (!r || !mem || size <= MSG_RING_OFF || !type_ok(msg_type, payload_max))
		return false;
	memset(r, 0, sizeof(*r));
	struct sc_msg_ring_shm *shm = mem;
	if (SC_LOAD_ACQUIRE(&shm->magic) != SC_MSG_RING_MAGIC || shm->msg_type != msg_type ||
	    shm->payload_max != payload_max || (uint64_t)shm->capacity + MSG_RING_OFF + SC_RING_CTRL_SIZE != size)
		return false;
	if (!sc_spsc_ring_attach(&r->ring, (uint8_t *)mem + MSG_RING_OFF, size - MSG_RING_OFF))
		return false;
	r->shm = shm;
	r->msg_type = msg_type;
	r->payload_max = payload_max;
	r->seq = atomic_load(&shm->written); /* seqs go on across producer restarts */
	return true;
}

void sc_msg_ring_set_arena(struct sc_msg_ring *r, struct sc_arena *arena, const char *producer_role,
                           const char *consumer_role)
{
	r->arena = arena;
	snprintf(r->producer_role, sizeof(r->producer_role), "%s", producer_role ? producer_role : "");
	snprintf(r->consumer_role, sizeof(r->consumer_role), "%s", consumer_role ? consumer_role : "");
}

/* The low 16 bits of a payload block's gen: the producer role's first byte
 * and the ring's type, so the rings of one producer and the two chat rings
 * (same type, other producers) never share a generation. */
static uint64_t gen_tag(const struct sc_msg_ring *r)
{
	return (uint64_t)(uint8_t)r->producer_role[0] << 8 | (r->msg_type & 0xffu);
}

/* The buddy block that holds a payload of len bytes (len <=
 * SC_MSG_BLOCK_PAYLOAD_MAX: no overflow): header + payload, rounded up to a
 * power of two of at least the minimum block, as sc_buddy_alloc does. */
static uint64_t block_size_for(uint32_t len)
{
	uint64_t need = sizeof(struct sc_msg_block_hdr) + (uint64_t)len, size = SC_BUDDY_MIN_BLOCK;
	while (size < need)
		size <<= 1;
	return size;
}

/* The payload block path of sc_msg_ring_write (session/shm/msg_ring.h, steps 1-3). */
static bool write_block(struct sc_msg_ring *r, uint32_t tick, uint64_t timestamp_ns, uint8_t priority, uint8_t flags,
                        const void *payload, uint32_t len)
{
	/* an unregistered producer's block would have no owner to be reaped with */
	if (!r->arena || sc_arena_slot(r->arena) < 0 || len > SC_MSG_BLOCK_PAYLOAD_MAX ||
	    r->payload_max < sizeof(struct sc_msg_block_desc))
		return false;
	/* unique across producer restarts (the counter is shared) and across the
	 * rings (gen_tag, never 0): a stale descriptor of one ring never
	 * matches a block of another */
	const uint64_t gen = (atomic_fetch_add(&r->shm->payload_gen, 1) + 1) << 16 | gen_tag(r);
	uint64_t off;
	if (!sc_arena_alloc(r->arena, sizeof(struct sc_msg_block_hdr) + (uint64_t)len, &off))
		return false; /* 1: owned by this process from here */
	step(SC_MSG_STEP_ALLOCATED);
	uint8_t *blk = sc_arena_ptr(r->arena, off, sizeof(struct sc_msg_block_hdr) + (uint64_t)len);
	if (!blk) {
		sc_arena_free(r->arena, off);
		return false;
	}
	/* 2: everything but the check word, then the check word (release) */
	struct sc_msg_block_hdr bh = {.len = len, .msg_type = r->msg_type};
	memcpy(blk + offsetof(struct sc_msg_block_hdr, len), &bh.len, sizeof(bh) - offsetof(struct sc_msg_block_hdr, len));
	memcpy(blk + sizeof(bh), payload, len);
	__atomic_store_n((uint64_t *)(void *)blk, gen, __ATOMIC_RELEASE);
	step(SC_MSG_STEP_FILLED);
	/* 3: the descriptor, published by the commit */
	void *body;
	if (sc_spsc_ring_claim(&r->ring, r->msg_type,
	                       (uint32_t)(sizeof(struct sc_msg_header) + sizeof(struct sc_msg_block_desc)),
	                       &body) != SC_RING_SUCCESS) {
		sc_arena_free(r->arena, off);
		return false;
	}
	struct sc_msg_header h = {
		.type = r->msg_type,
		.priority = priority,
		.flags = (uint8_t)(flags | SC_MSG_PAYLOAD_BLOCK),
		.timestamp_ns = timestamp_ns,
		.seq = r->seq++,
		.payload_len = sizeof(struct sc_msg_block_desc),
		.tick = tick,
	};
	struct sc_msg_block_desc d = {.off = off, .gen = gen, .len = len};
	memcpy(body, &h, sizeof(h));
	memcpy((uint8_t *)body + sizeof(h), &d, sizeof(d));
	sc_spsc_ring_commit(&r->ring);
	atomic_fetch_add_explicit(&r->shm->written, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->shm->blocks_written, 1, memory_order_relaxed);
	step(SC_MSG_STEP_PUBLISHED);
	/* 3b: from now on the block dies with the consumer, not with us (a
	 * producer that stops on a fault right after publishing, as the primary
	 * does with its incident report, must not take the message with it);
	 * no-op if the consumer took it already or none is alive */
	if (r->consumer_role[0])
		sc_arena_give(r->arena, off, gen, r->consumer_role);
	step(SC_MSG_STEP_GIVEN);
	return true;
}

bool sc_msg_ring_write(struct sc_msg_ring *r, uint32_t tick, uint64_t timestamp_ns, uint8_t priority,
                       uint8_t flags, const void *payload, uint32_t len)
{
	void *body;
	if ((len > r->payload_max || (r->force_blocks && len)) && payload && priority <= SC_MSG_PRIORITY_MAX && !(flags & SC_MSG_PAYLOAD_BLOCK)) {
		if (write_block(r, tick, timestamp_ns, priority, flags, payload, len))
			return true;
		atomic_fetch_add_explicit(&r->shm->dropped, 1, memory_order_relaxed);
		return false;
	}
	if ((flags & SC_MSG_PAYLOAD_BLOCK) || len > r->payload_max || (len && !payload) || priority > SC_MSG_PRIORITY_MAX ||
	    sc_spsc_ring_claim(&r->ring, r->msg_type, (uint32_t)sizeof(struct sc_msg_header) + len, &body) !=
	        SC_RING_SUCCESS) {
		atomic_fetch_add_explicit(&r->shm->dropped, 1, memory_order_relaxed);
		return false;
	}
	struct sc_msg_header h = {
		.type = r->msg_type,
		.priority = priority,
		.flags = flags,
		.timestamp_ns = timestamp_ns,
		.seq = r->seq++,
		.payload_len = len,
		.tick = tick,
	};
	memcpy(body, &h, sizeof(h));
	if (len)
		memcpy((uint8_t *)body + sizeof(h), payload, len);
	sc_spsc_ring_commit(&r->ring);
	atomic_fetch_add_explicit(&r->shm->written, 1, memory_order_relaxed);
	return true;
}

bool sc_msg_ring_write_start(struct sc_msg_ring *r, uint32_t tick, uint64_t timestamp_ns)
{
	return sc_msg_ring_write(r, tick, timestamp_ns, SC_MSG_PRIORITY_MAX, SC_MSG_PRODUCER_START | SC_MSG_NOT_FLUSHABLE,
	                         NULL, 0);
}

const char *sc_msg_decode_str(enum sc_msg_decode d)
{
	switch (d) {
	case SC_MSG_DECODE_OK: return "ok";
	case SC_MSG_DECODE_SHORT: return "record shorter than its header";
	case SC_MSG_DECODE_BAD_HEADER: return "header type or priority out of range";
	case SC_MSG_DECODE_WRONG_TYPE: return "a record of another type";
	case SC_MSG_DECODE_BAD_LENGTH: return "payload length disagrees with the record";
	case SC_MSG_DECODE_TOO_BIG: return "payload above the ring's maximum";
	}
	return "unknown";
}

enum sc_msg_decode sc_msg_record_decode(const void *body, uint32_t len, uint16_t msg_type, uint32_t payload_max,
                                        struct sc_msg_header *hdr, const void **payload)
{
	if (len < sizeof(*hdr))
		return SC_MSG_DECODE_SHORT;
	memcpy(hdr, body, sizeof(*hdr)); /* a copy: the peer cannot change it under the checks */
	if (!sc_msg_header_valid(hdr))
		return SC_MSG_DECODE_BAD_HEADER;
	if (hdr->type != msg_type)
		return SC_MSG_DECODE_WRONG_TYPE;
	/* len >= sizeof(*hdr): no wrap */
	if (hdr->payload_len != len - (uint32_t)sizeof(*hdr))
		return SC_MSG_DECODE_BAD_LENGTH;
	if (hdr->payload_len > payload_max)
		return SC_MSG_DECODE_TOO_BIG;
	*payload = (const uint8_t *)body + sizeof(*hdr);
	return SC_MSG_DECODE_OK;
}

/* Steps 4-5 of session/shm/msg_ring.h; out NULL: take and free only (discard). */
static bool block_consume(struct sc_msg_ring *r, const struct sc_msg_block_desc *desc, void *out, size_t out_max)
{
	/* every word of desc is the peer's: bounds before any sum */
	if (!r->arena || (desc->gen & 0xffffu) != gen_tag(r) || desc->len == 0 || desc->len > SC_MSG_BLOCK_PAYLOAD_MAX ||
	    (out && desc->len > out_max))
		goto refused;
	const uint64_t bsize = block_size_for(desc->len);
	if (!sc_arena_ptr(r->arena, desc->off, bsize) ||
	    !sc_arena_take(r->arena, desc->off, bsize, r->producer_role, desc->gen))
		goto refused;
	step(SC_MSG_STEP_TAKEN);
	const uint8_t *blk = sc_arena_ptr(r->arena, desc->off, bsize);
	struct sc_msg_block_hdr bh;
	memcpy(&bh, blk, sizeof(bh));
	if (out)
		memcpy(out, blk + sizeof(bh), desc->len);
	step(SC_MSG_STEP_COPIED);
	/* ours now: freed whatever it holds */
	sc_arena_free(r->arena, desc->off);
	atomic_fetch_add_explicit(&r->shm->blocks_freed, 1, memory_order_relaxed);
	step(SC_MSG_STEP_FREED);
	return bh.check == desc->gen && bh.len == desc->len && bh.msg_type == r->msg_type;

refused:
	atomic_fetch_add_explicit(&r->shm->blocks_refused, 1, memory_order_relaxed);
	return false;
}

bool sc_msg_block_consume(struct sc_msg_ring *r, const struct sc_msg_block_desc *desc, void *out, size_t out_max)
{
	return out && block_consume(r, desc, out, out_max);
}

struct read_ctx {
	struct sc_msg_ring *r;
	sc_msg_fn fn;
	void *ud;
	size_t delivered;
};

static void on_record(void *ud, uint32_t type, const void *body, uint32_t len)
{
	struct read_ctx *c = ud;
	struct sc_msg_header h;
	const void *payload;
	if (type != c->r->msg_type ||
	    sc_msg_record_decode(body, len, c->r->msg_type, c->r->payload_max, &h, &payload) != SC_MSG_DECODE_OK) {
		atomic_fetch_add_explicit(&c->r->shm->rejected, 1, memory_order_relaxed);
		return;
	}
	if (h.flags & SC_MSG_PAYLOAD_BLOCK) {
		struct sc_msg_block_desc d;
		void *big = NULL;
		if (h.payload_len != sizeof(d))
			goto reject;
		memcpy(&d, payload, sizeof(d));
		if (d.len == 0 || d.len > SC_MSG_BLOCK_PAYLOAD_MAX || !(big = malloc(d.len)) ||
		    !block_consume(c->r, &d, big, d.len)) {
			if (!big) /* counted like a refusal: the block stays where it is (reclaimed with its owner) */
				atomic_fetch_add_explicit(&c->r->shm->blocks_refused, 1, memory_order_relaxed);
			free(big);
			goto reject;
		}
		h.payload_len = d.len;
		c->fn(c->ud, &h, big);
		free(big);
		c->delivered++;
		return;
	}
	/* the handler gets a private copy of the payload: the peer may write the
	 * shared bytes while it looks at them */
	_Alignas(8) uint8_t copy[SC_MSG_PAYLOAD_MAX];
	memcpy(copy, payload, h.payload_len);
	c->fn(c->ud, &h, copy);
	c->delivered++;
	return;
reject:
	atomic_fetch_add_explicit(&c->r->shm->rejected, 1, memory_order_relaxed);
}

size_t sc_msg_ring_read(struct sc_msg_ring *r, sc_msg_fn fn, void *ud, size_t max)
{
	struct read_ctx c = {.r = r, .fn = fn, .ud = ud};
	uint64_t corrupt = r->ring.corrupt_count, bad_type = r->ring.bad_type_count;
	sc_spsc_ring_read(&r->ring, on_record, &c, max);
	uint64_t bad = (r->ring.corrupt_count - corrupt) + (r->ring.bad_type_count - bad_type);
	if (bad)
		atomic_fetch_add_explicit(&r->shm->rejected, bad, memory_order_relaxed);
	if (c.delivered)
		atomic_fetch_add_explicit(&r->shm->read, c.delivered, memory_order_relaxed);
	return c.delivered;
}

/* A discarded record: its payload block, if any, is taken and freed. */
static void discard_record(void *ud, uint32_t type, const void *body, uint32_t len)
{
	struct sc_msg_ring *r = ud;
	struct sc_msg_header h;
	const void *payload;
	if (type != r->msg_type ||
	    sc_msg_record_decode(body, len, r->msg_type, r->payload_max, &h, &payload) != SC_MSG_DECODE_OK ||
	    !(h.flags & SC_MSG_PAYLOAD_BLOCK))
		return;
	struct sc_msg_block_desc d;
	if (h.payload_len != sizeof(d)) {
		atomic_fetch_add_explicit(&r->shm->blocks_refused, 1, memory_order_relaxed);
		return;
	}
	memcpy(&d, payload, sizeof(d));
	block_consume(r, &d, NULL, 0); /* refused: counted, never freed */
}

uint64_t sc_msg_ring_discard(struct sc_msg_ring *r)
{
	struct sc_spsc_ring_ctrl *ctrl = r->ring.ctrl;
	const uint64_t tail = SC_LOAD_ACQUIRE(&ctrl->tail);
	uint64_t head = SC_LOAD_RELAXED(&ctrl->head);
	if (tail - head > r->ring.capacity) {
		/* impossible positions: a corrupt ring, skipped whole */
		atomic_fetch_add_explicit(&r->shm->rejected, 1, memory_order_relaxed);
		SC_STORE_RELEASE(&ctrl->head, tail);
		return 0;
	}
	const uint64_t bytes = tail - head;
	/* count the records up to the tail seen now (the producer may add more:
	 * those are new, not discarded); each step moves head forward */
	uint64_t n = 0, bad_type = r->ring.bad_type_count;
	/* one record a call: the head moves past a record only after its block
	 * was taken and freed (killed in between, the successor sees it again) */
	while (tail - SC_LOAD_RELAXED(&ctrl->head) - 1 < r->ring.capacity) {
		size_t got = sc_spsc_ring_read(&r->ring, discard_record, r, 1);
		if (!got)
			break;
		n += got;
	}
	n += r->ring.bad_type_count - bad_type;
	atomic_fetch_add_explicit(&r->shm->discarded, n, memory_order_relaxed);
	return bytes;
}
