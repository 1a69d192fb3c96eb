#include "net/shm/buddy.h"

#include <string.h>

#define NIL UINT32_MAX

enum { NODE_NONE = 0, NODE_FREE = 1, NODE_ALLOC = 2 };

static inline uint32_t tag_make(uint32_t state, uint32_t order, uint32_t owner)
{
	return state | order << 8 | owner << 16;
}
static inline uint32_t tag_state(uint32_t tag) { return tag & 0xff; }
static inline uint32_t tag_order(uint32_t tag) { return (tag >> 8) & 0xff; }
static inline uint16_t tag_owner(uint32_t tag) { return (uint16_t)(tag >> 16); }

static inline uint32_t node_tag(const struct sc_buddy *b, uint32_t i)
{
	return __atomic_load_n(&b->nodes[i].tag, __ATOMIC_RELAXED);
}
/* Single store: the commit point of an alloc or free (see buddy.h). */
static inline void node_set_tag(struct sc_buddy *b, uint32_t i, uint32_t tag)
{
	__atomic_store_n(&b->nodes[i].tag, tag, __ATOMIC_RELEASE);
}

size_t sc_buddy_meta_size(uint64_t pool_size)
{
	uint64_t nnodes = pool_size / SC_BUDDY_MIN_BLOCK;
	return sizeof(struct sc_buddy) + nnodes * sizeof(struct sc_buddy_node);
}

static uint32_t max_order_for(uint64_t nnodes)
{
	uint32_t k = 0;
	while (k < SC_BUDDY_MAX_ORDER && (2ull << k) <= nnodes)
		k++;
	return k;
}

/* The header agrees with itself (the metadata is shared: any peer can write
 * it). Every operation starts here; indices are then checked against nnodes. */
static bool hdr_ok(const struct sc_buddy *b)
{
	uint32_t n = b->nnodes;
	return n != 0 && n != NIL && b->pool_size == (uint64_t)n * SC_BUDDY_MIN_BLOCK &&
	       b->max_order == max_order_for(n);
}

bool sc_buddy_header_ok(const struct sc_buddy *b, size_t meta_size)
{
	if (!b || meta_size < sizeof(*b) || !hdr_ok(b))
		return false;
	return b->nnodes <= (meta_size - sizeof(*b)) / sizeof(struct sc_buddy_node);
}

/* A link read from the metadata: none, or a node index. */
static inline bool link_ok(const struct sc_buddy *b, uint32_t i)
{
	return i == NIL || i < b->nnodes;
}

/* false: the list head is out of range (corrupt), nothing changed. */
static bool list_push(struct sc_buddy *b, uint32_t i, uint32_t order)
{
	struct sc_buddy_node *n = &b->nodes[i];
	uint32_t head = b->free_head[order];
	if (!link_ok(b, head) || head == i)
		return false;
	n->prev = NIL;
	n->next = head;
	if (head != NIL)
		b->nodes[head].prev = i;
	b->free_head[order] = i;
	node_set_tag(b, i, tag_make(NODE_FREE, order, 0));
	return true;
}

/* false: i's links are out of range or do not agree with its neighbours. */
static bool list_unlink(struct sc_buddy *b, uint32_t i, uint32_t order)
{
	struct sc_buddy_node *n = &b->nodes[i];
	uint32_t prev = n->prev, next = n->next;
	if (!link_ok(b, prev) || !link_ok(b, next))
		return false;
	if (prev != NIL ? b->nodes[prev].next != i : b->free_head[order] != i)
		return false;
	if (next != NIL && b->nodes[next].prev != i)
		return false;
	if (prev != NIL)
		b->nodes[prev].next = next;
	else
		b->free_head[order] = next;
	if (next != NIL)
		b->nodes[next].prev = prev;
	n->next = n->prev = NIL;
	node_set_tag(b, i, 0);
	return true;
}

static uint32_t order_for(uint64_t size)
{
	uint32_t order = 0;
	while (((uint64_t)SC_BUDDY_MIN_BLOCK << order) < size)
		order++;
	return order;
}

bool sc_buddy_init(struct sc_buddy *b, uint64_t pool_size)
{
	uint64_t nnodes = pool_size / SC_BUDDY_MIN_BLOCK;
	if (!b || nnodes == 0 || nnodes >= NIL)
		return false;
	memset(b, 0, sizeof(*b));
	b->pool_size = nnodes * SC_BUDDY_MIN_BLOCK;
	b->nnodes = (uint32_t)nnodes;
	b->max_order = max_order_for(nnodes);
	for (uint32_t i = 0; i < b->nnodes; i++)
		b->nodes[i] = (struct sc_buddy_node){0, NIL, NIL};
	sc_buddy_rebuild(b);
	return true;
}

/* Valid head of a block of order: aligned to its size and inside the pool. */
static bool block_fits(const struct sc_buddy *b, uint32_t i, uint32_t order)
{
	return order <= b->max_order && i < b->nnodes && (i & ((1u << order) - 1)) == 0 &&
	       (uint64_t)i + (1u << order) <= b->nnodes;
}

enum { TRY_OK, TRY_NONE, TRY_CORRUPT };

static int try_alloc(struct sc_buddy *b, uint32_t order, uint16_t owner, uint64_t *off)
{
	uint32_t k = order;
	while (k <= b->max_order && b->free_head[k] == NIL)
		k++;
	if (k > b->max_order)
		return TRY_NONE;
	const uint32_t i = b->free_head[k];
	if (!block_fits(b, i, k) || node_tag(b, i) != tag_make(NODE_FREE, k, 0) || !list_unlink(b, i, k))
		return TRY_CORRUPT;
	while (k > order) {
		k--;
		if (!list_push(b, i + (1u << k), k))
			return TRY_CORRUPT;
	}
	node_set_tag(b, i, tag_make(NODE_ALLOC, order, owner));
	b->free_bytes -= (uint64_t)SC_BUDDY_MIN_BLOCK << order;
	*off = (uint64_t)i * SC_BUDDY_MIN_BLOCK;
	return TRY_OK;
}

/* A link or list entry did not hold: recompute the lists from the tags (what
 * a crash mid-operation needs too). */
static void repair(struct sc_buddy *b)
{
	b->corrupt++;
	sc_buddy_rebuild(b);
}

bool sc_buddy_alloc(struct sc_buddy *b, uint64_t size, uint16_t owner, uint64_t *off)
{
	if (!hdr_ok(b) || size == 0 || size > ((uint64_t)SC_BUDDY_MIN_BLOCK << b->max_order) || !off)
		return false;
	const uint32_t order = order_for(size);
	for (int attempt = 0; attempt < 2; attempt++) {
		int r = try_alloc(b, order, owner, off);
		if (r == TRY_OK)
			return true;
		if (r == TRY_NONE)
			break;
		repair(b);
	}
	b->alloc_fail++;
	return false;
}

/* Node index of the allocated block starting at off, NIL if none. */
static uint32_t alloc_node(const struct sc_buddy *b, uint64_t off)
{
	if (!hdr_ok(b) || off % SC_BUDDY_MIN_BLOCK != 0 || off >= b->pool_size)
		return NIL;
	uint32_t i = (uint32_t)(off / SC_BUDDY_MIN_BLOCK);
	uint32_t tag = node_tag(b, i);
	return tag_state(tag) == NODE_ALLOC && block_fits(b, i, tag_order(tag)) ? i : NIL;
}

bool sc_buddy_free(struct sc_buddy *b, uint64_t off)
{
	uint32_t i = alloc_node(b, off);
	if (i == NIL) {
		b->bad_free++;
		return false;
	}
	uint32_t order = tag_order(node_tag(b, i));
	node_set_tag(b, i, 0);
	b->free_bytes += (uint64_t)SC_BUDDY_MIN_BLOCK << order;
	while (order < b->max_order) {
		uint32_t buddy = i ^ (1u << order);
		if ((uint64_t)buddy + (1u << order) > b->nnodes ||
		    node_tag(b, buddy) != tag_make(NODE_FREE, order, 0))
			break;
		if (!list_unlink(b, buddy, order)) {
			repair(b); /* the block is free (its tag is cleared): the rebuild lists it */
			return true;
		}
		if (buddy < i)
			i = buddy;
		order++;
	}
	if (!list_push(b, i, order))
		repair(b);
	return true;
}

uint64_t sc_buddy_block_size(const struct sc_buddy *b, uint64_t off)
{
	uint32_t i = alloc_node(b, off);
	return i == NIL ? 0 : (uint64_t)SC_BUDDY_MIN_BLOCK << tag_order(node_tag(b, i));
}

uint16_t sc_buddy_block_owner(const struct sc_buddy *b, uint64_t off)
{
	uint32_t i = alloc_node(b, off);
	return i == NIL ? SC_BUDDY_NO_OWNER : tag_owner(node_tag(b, i));
}

size_t sc_buddy_free_owner(struct sc_buddy *b, uint16_t owner)
{
	size_t n = 0;
	if (!hdr_ok(b))
		return 0;
	for (uint32_t i = 0; i < b->nnodes; i++) {
		uint32_t tag = node_tag(b, i);
		if (tag_state(tag) == NODE_ALLOC && tag_owner(tag) == owner) {
			sc_buddy_free(b, (uint64_t)i * SC_BUDDY_MIN_BLOCK);
			n++;
		}
	}
	return n;
}

static bool alloc_head_in(const struct sc_buddy *b, uint32_t from, uint32_t count)
{
	for (uint32_t i = from; i < from + count; i++)
		if (tag_state(node_tag(b, i)) == NODE_ALLOC)
			return true;
	return false;
}

/* Valid allocated head: aligned to its size and inside the pool. */
static bool alloc_tag_sane(const struct sc_buddy *b, uint32_t i, uint32_t tag)
{
	uint32_t order = tag_order(tag);
	return order <= b->max_order && (i & ((1u << order) - 1)) == 0 &&
	       (uint64_t)i + (1u << order) <= b->nnodes;
}

void sc_buddy_rebuild(struct sc_buddy *b)
{
	if (!hdr_ok(b))
		return; /* nothing in it can be trusted: the caller checks the header */
	for (uint32_t k = 0; k <= SC_BUDDY_MAX_ORDER; k++)
		b->free_head[k] = NIL;
	for (uint32_t i = 0; i < b->nnodes; i++) {
		uint32_t tag = node_tag(b, i);
		if (tag_state(tag) != NODE_ALLOC || !alloc_tag_sane(b, i, tag))
			node_set_tag(b, i, 0);
		b->nodes[i].next = b->nodes[i].prev = NIL;
	}
	b->free_bytes = 0;
	uint32_t i = 0;
	while (i < b->nnodes) {
		uint32_t tag = node_tag(b, i);
		if (tag_state(tag) == NODE_ALLOC) {
			uint32_t size = 1u << tag_order(tag);
			for (uint32_t j = i + 1; j < i + size; j++) /* nested heads are stale */
				node_set_tag(b, j, 0);
			i += size;
			continue;
		}
		/* The largest aligned block at i holding no allocated block. */
		uint32_t order = 0;
		while (order < b->max_order && (i & ((2u << order) - 1)) == 0 &&
		       (uint64_t)i + (2u << order) <= b->nnodes &&
		       !alloc_head_in(b, i + (1u << order), 1u << order))
			order++;
		(void)list_push(b, i, order); /* the heads were reset above: cannot fail */
		b->free_bytes += (uint64_t)SC_BUDDY_MIN_BLOCK << order;
		i += 1u << order;
	}
}

bool sc_buddy_check(const struct sc_buddy *b)
{
	uint64_t listed = 0, free_bytes = 0;
	if (!hdr_ok(b))
		return false;
	for (uint32_t k = 0; k <= SC_BUDDY_MAX_ORDER; k++) {
		uint32_t prev = NIL, steps = 0;
		for (uint32_t i = b->free_head[k]; i != NIL; i = b->nodes[i].next) {
			if (i >= b->nnodes || ++steps > b->nnodes || k > b->max_order)
				return false;
			if (node_tag(b, i) != tag_make(NODE_FREE, k, 0) || b->nodes[i].prev != prev)
				return false;
			prev = i;
			listed++;
		}
	}
	uint64_t heads = 0;
	uint32_t i = 0;
	while (i < b->nnodes) {
		uint32_t tag = node_tag(b, i);
		uint32_t state = tag_state(tag), order = tag_order(tag);
		if (state == NODE_NONE || !alloc_tag_sane(b, i, tag))
			return false;
		if (state == NODE_FREE) {
			heads++;
			free_bytes += (uint64_t)SC_BUDDY_MIN_BLOCK << order;
			uint32_t buddy = i ^ (1u << order);
			if (order < b->max_order && (uint64_t)buddy + (1u << order) <= b->nnodes &&
			    node_tag(b, buddy) == tag_make(NODE_FREE, order, 0))
				return false; /* two free buddies: not coalesced */
		}
		for (uint32_t j = i + 1; j < i + (1u << order); j++)
			if (tag_state(node_tag(b, j)) != NODE_NONE)
				return false;
		i += 1u << order;
	}
	return heads == listed && free_bytes == b->free_bytes;
}
