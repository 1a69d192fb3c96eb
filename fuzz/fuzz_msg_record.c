/* libFuzzer: a hostile or crashed primary controls every byte of a typed
 * message ring (session/shm/msg_ring.h). The encoder's reader must never
 * crash or read outside the block: the ring positions, record lengths, the
 * 32-byte message header and the payload fields are all peer-written. Every
 * record the decoder accepts goes on through the encoder's formatter
 * (server/game_events.c), which range-checks the payload.
 *
 * Input: u8 ring (event, haptic, notice, chat), u8 flags, u64 head, u64 tail, then
 * the ring's data bytes (RING_CAP, zero-padded). The same bytes also go to
 * sc_msg_record_decode directly, at their own length. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
