#include "net/shm/spsc_ring.h"

#include <string.h>

struct ring_record_header {
	uint32_t length; /* header + body, unaligned */
	uint32_t type;
};
_Static_assert(sizeof(struct ring_record_header) == SC_RING_HEADER_LEN, "record header");

const char *sc_ring_result_str(enum sc_ring_result r)
{
	switch (r) {
	case SC_RING_SUCCESS: return "success";
	case SC_RING_FULL: return "full";
	case SC_RING_EMPTY: return "empty";
	case SC_RING_TOO_BIG: return "record too big";
	case SC_RING_INVALID_ARG: return "invalid argument";
	case SC_RING_CORRUPT: return "corrupt ring";
	case SC_RING_BAD_TYPE: return "bad record type";
	case SC_RING_TRUNCATED: return "buffer too small";
	case SC_RING_OVERRUN: return "overrun: the writer overwrote records this reader had not read";
	}
	return "unknown";
}

static inline uint64_t align_record(uint64_t len)
{
	return (len + SC_RING_RECORD_ALIGN - 1) & ~(uint64_t)(SC_RING_RECORD_ALIGN - 1);
}

size_t sc_spsc_ring_block_size(uint32_t capacity)
{
	return SC_RING_CTRL_SIZE + (size_t)capacity;
}

static bool ring_bind(struct sc_spsc_ring *ring, void *mem, size_t block_size)
{
	if (!ring || !mem || ((uintptr_t)mem % SC_CACHE_LINE) != 0 ||
	    block_size <= SC_RING_CTRL_SIZE)
		return false;
	uint64_t cap = block_size - SC_RING_CTRL_SIZE;
	if (cap < 64 || cap > (1ull << 31) || (cap & (cap - 1)) != 0)
		return false;
	memset(ring, 0, sizeof(*ring));
	ring->ctrl = mem;
	ring->buf = (uint8_t *)mem + SC_RING_CTRL_SIZE;
	ring->capacity = cap;
	ring->mask = cap - 1;
	ring->max_record = (uint32_t)(cap / 2 - SC_RING_HEADER_LEN);
	return true;
}

bool sc_spsc_ring_init(struct sc_spsc_ring *ring, void *mem, size_t block_size)
{
	if (!ring_bind(ring, mem, block_size))
		return false;
	memset(mem, 0, SC_RING_CTRL_SIZE);
	ring->ctrl->capacity = (uint32_t)ring->capacity;
	SC_STORE_RELEASE(&ring->ctrl->magic, SC_RING_MAGIC);
	return true;
}

bool sc_spsc_ring_attach(struct sc_spsc_ring *ring, void *mem, size_t block_size)
{
	struct sc_spsc_ring view;
	if (!ring_bind(&view, mem, block_size))
		return false;
	if (SC_LOAD_ACQUIRE(&view.ctrl->magic) != SC_RING_MAGIC ||
	    SC_LOAD_RELAXED(&view.ctrl->capacity) != view.capacity)
		return false;
	view.head_cache = SC_LOAD_ACQUIRE(&view.ctrl->head);
	*ring = view;
	return true;
}

void sc_spsc_ring_set_max_type(struct sc_spsc_ring *ring, uint32_t max_type)
{
	ring->max_type = max_type;
}

enum sc_ring_result sc_spsc_ring_claim(struct sc_spsc_ring *ring, uint32_t type,
                                       uint32_t len, void **body)
{
	if (type == SC_RING_TYPE_PAD || ring->claimed || !body)
		return SC_RING_INVALID_ARG;
	if (len > ring->max_record)
		return SC_RING_TOO_BIG;

	const uint64_t record_len = align_record((uint64_t)len + SC_RING_HEADER_LEN);
	const uint64_t tail = SC_LOAD_RELAXED(&ring->ctrl->tail);
	/* the tail is the producer's, but it lives in the shared block: aligned,
	 * every header fits before the end (capacity is a multiple of 8) */
	if (tail & (SC_RING_RECORD_ALIGN - 1)) {
		ring->corrupt_count++;
		return SC_RING_CORRUPT;
	}
	uint64_t index = tail & ring->mask;
	const uint64_t to_end = ring->capacity - index;
	const uint64_t padding = record_len > to_end ? to_end : 0;
	const uint64_t needed = record_len + padding;

	if (tail + needed - ring->head_cache > ring->capacity) {
		ring->head_cache = SC_LOAD_ACQUIRE(&ring->ctrl->head);
		if (tail + needed - ring->head_cache > ring->capacity)
			return SC_RING_FULL;
	}
	if (padding) {
		struct ring_record_header pad = {(uint32_t)padding, SC_RING_TYPE_PAD};
		memcpy(ring->buf + index, &pad, sizeof(pad));
		index = 0;
	}
	struct ring_record_header hdr = {len + SC_RING_HEADER_LEN, type};
	memcpy(ring->buf + index, &hdr, sizeof(hdr));
	*body = ring->buf + index + SC_RING_HEADER_LEN;
	ring->claimed = tail + needed;
	return SC_RING_SUCCESS;
}

void sc_spsc_ring_commit(struct sc_spsc_ring *ring)
{
	if (!ring->claimed)
		return;
	SC_STORE_RELEASE(&ring->ctrl->tail, ring->claimed);
	ring->claimed = 0;
}

enum sc_ring_result sc_spsc_ring_write(struct sc_spsc_ring *ring, uint32_t type,
                                       const void *data, uint32_t len)
{
	void *body;
	if (len && !data)
		return SC_RING_INVALID_ARG;
	enum sc_ring_result r = sc_spsc_ring_claim(ring, type, len, &body);
	if (r != SC_RING_SUCCESS)
		return r;
	if (len)
		memcpy(body, data, len);
	sc_spsc_ring_commit(ring);
	return SC_RING_SUCCESS;
}

bool sc_spsc_ring_readable(const struct sc_spsc_ring *ring)
{
	return SC_LOAD_ACQUIRE(&ring->ctrl->tail) != SC_LOAD_RELAXED(&ring->ctrl->head);
}

uint64_t sc_spsc_ring_used(const struct sc_spsc_ring *ring)
{
	uint64_t tail = SC_LOAD_ACQUIRE(&ring->ctrl->tail);
	uint64_t head = SC_LOAD_ACQUIRE(&ring->ctrl->head);
	return tail - head;
}

/* One step of the reader from *head towards tail: skips padding, validates
 * the record at *head. On SUCCESS type, body and len describe it and *head
 * is past it. Everything the peer wrote is checked against the trusted
 * capacity before use, so corrupt input never leads outside the buffer. */
static enum sc_ring_result ring_next(struct sc_spsc_ring *ring, uint64_t *head, uint64_t tail,
                                     uint32_t *type, const uint8_t **body, uint32_t *len)
{
	for (int pads = 0; pads < 2; pads++) {
		if (*head == tail)
			return SC_RING_EMPTY;
		const uint64_t available = tail - *head;
		const uint64_t index = *head & ring->mask;
		/* head is in shared memory too: a misaligned one would put the
		 * header across the buffer's end */
		if (available < SC_RING_HEADER_LEN || (index & (SC_RING_RECORD_ALIGN - 1)) != 0)
			return SC_RING_CORRUPT;
		struct ring_record_header hdr;
		memcpy(&hdr, ring->buf + index, sizeof(hdr));
		const uint64_t record_len = align_record(hdr.length);
		if (hdr.length < SC_RING_HEADER_LEN || record_len > available ||
		    record_len > ring->capacity - index)
			return SC_RING_CORRUPT;
		if (hdr.type == SC_RING_TYPE_PAD) {
			if (record_len != ring->capacity - index)
				return SC_RING_CORRUPT;
			*head += record_len;
			continue;
		}
		if (hdr.length - SC_RING_HEADER_LEN > ring->max_record)
			return SC_RING_CORRUPT;
		*head += record_len;
		*type = hdr.type;
		*len = hdr.length - SC_RING_HEADER_LEN;
		*body = ring->buf + index + SC_RING_HEADER_LEN;
		if (ring->max_type && hdr.type > ring->max_type)
			return SC_RING_BAD_TYPE;
		return SC_RING_SUCCESS;
	}
	return SC_RING_CORRUPT; /* two paddings in a row */
}

/* Loads the peer's tail; false (and the ring skipped to it) if impossible. */
static bool ring_load_tail(struct sc_spsc_ring *ring, uint64_t head, uint64_t *tail)
{
	*tail = SC_LOAD_ACQUIRE(&ring->ctrl->tail);
	if (*tail - head <= ring->capacity)
		return true;
	ring->corrupt_count++;
	SC_STORE_RELEASE(&ring->ctrl->head, *tail);
	return false;
}

size_t sc_spsc_ring_read(struct sc_spsc_ring *ring, sc_ring_handler_fn fn, void *ud,
                         size_t max_records)
{
	uint64_t head = SC_LOAD_RELAXED(&ring->ctrl->head);
	uint64_t tail;
	if (!ring_load_tail(ring, head, &tail))
		return 0;
	size_t delivered = 0;
	while (delivered < max_records) {
		uint32_t type, len;
		const uint8_t *body;
		enum sc_ring_result r = ring_next(ring, &head, tail, &type, &body, &len);
		if (r == SC_RING_EMPTY)
			break;
		if (r == SC_RING_CORRUPT) {
			ring->corrupt_count++;
			head = tail;
			break;
		}
		if (r == SC_RING_BAD_TYPE) {
			ring->bad_type_count++;
			continue;
		}
		fn(ud, type, body, len);
		delivered++;
	}
	SC_STORE_RELEASE(&ring->ctrl->head, head);
	return delivered;
}

enum sc_ring_result sc_spsc_ring_peek_one(struct sc_spsc_ring *ring, uint32_t *type, void *buf, uint32_t cap,
                                          uint32_t *len, uint64_t *next)
{
	uint64_t head = SC_LOAD_RELAXED(&ring->ctrl->head);
	uint64_t tail;
	if (!ring_load_tail(ring, head, &tail))
		return SC_RING_CORRUPT;
	const uint8_t *body;
	uint32_t t, n;
	enum sc_ring_result r = ring_next(ring, &head, tail, &t, &body, &n);
	switch (r) {
	case SC_RING_EMPTY:
		SC_STORE_RELEASE(&ring->ctrl->head, head); /* may have passed padding */
		return r;
	case SC_RING_CORRUPT:
		ring->corrupt_count++;
		SC_STORE_RELEASE(&ring->ctrl->head, tail);
		return r;
	case SC_RING_BAD_TYPE:
		ring->bad_type_count++;
		SC_STORE_RELEASE(&ring->ctrl->head, head);
		return r;
	default:
		break;
	}
	if (n > cap) {
		ring->truncated_count++;
		SC_STORE_RELEASE(&ring->ctrl->head, head);
		return SC_RING_TRUNCATED;
	}
	if (n)
		memcpy(buf, body, n);
	if (type)
		*type = t;
	if (len)
		*len = n;
	*next = head;
	return SC_RING_SUCCESS;
}

void sc_spsc_ring_release_to(struct sc_spsc_ring *ring, uint64_t next)
{
	SC_STORE_RELEASE(&ring->ctrl->head, next);
}

enum sc_ring_result sc_spsc_ring_read_one(struct sc_spsc_ring *ring, uint32_t *type,
                                          void *buf, uint32_t cap, uint32_t *len)
{
	uint64_t next;
	enum sc_ring_result r = sc_spsc_ring_peek_one(ring, type, buf, cap, len, &next);
	if (r == SC_RING_SUCCESS)
		sc_spsc_ring_release_to(ring, next);
	return r;
}
