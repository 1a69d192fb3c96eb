/* libFuzzer: a hostile or crashed peer controls every byte of a shared ring
 * or input log. The reader must never crash or read out of bounds: bad
 * lengths and types are rejected and counted. The input log's observer
 * (sc_input_log_observe) gets hostile tail, write_end and first_seq too.
 *
 * Input: u64 head, u64 tail, u8 max_type, u8 flags, then the data buffer
 * (ring: 256 bytes, 1024 as a sample ring; input log: 8 records of 16 bytes), zero-padded; for the
 * log, the first 8 data bytes are also write_end and max_type picks
 * first_seq (0, cursor, tail or UINT64_MAX). With flags bit 2 the ring is
 * read as a sample ring (session/sample_ring.c: samples and the game's
 * metadata records), and every record it accepts must be in range. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_log.h"
#include "net/shm/spsc_ring.h"
#include "session/sample_ring.h"

#define RING_CAP 256u
#define LOG_CAP 8u
#define LOG_REC 16u

static _Alignas(64) uint8_t ring_mem[SC_RING_CTRL_SIZE + RING_CAP];
/* a sample ring's records (136 bytes) need a ring of 1024: max_record is half of it */
#define SAMPLE_RING_CAP 1024u
static _Alignas(64) uint8_t sample_mem[SC_RING_CTRL_SIZE + SAMPLE_RING_CAP];
static _Alignas(64) uint8_t log_mem[4096];

static void on_record(void *ud, uint32_t type, const void *body, uint32_t len)
{
	/* Touch every byte: ASan flags any out-of-bounds body. */
	const uint8_t *p = body;
	uint32_t *sum = ud;
	for (uint32_t i = 0; i < len; i++)
		*sum += p[i];
	*sum += type;
}

static void fuzz_ring(uint64_t head, uint64_t tail, uint8_t max_type, uint8_t flags,
                      const uint8_t *data, size_t size)
{
	struct sc_spsc_ring ring;
	uint8_t *mem = (flags & 4) ? sample_mem : ring_mem;
	size_t cap = (flags & 4) ? SAMPLE_RING_CAP : RING_CAP;
	memset(mem, 0, SC_RING_CTRL_SIZE + cap);
	if (!sc_spsc_ring_init(&ring, mem, SC_RING_CTRL_SIZE + cap))
		abort();
	memcpy(ring.buf, data, size < cap ? size : cap);
	ring.ctrl->head = head;
	ring.ctrl->tail = tail;
	sc_spsc_ring_set_max_type(&ring, max_type);
	uint32_t sum = 0;
	for (int i = 0; i < 64; i++) {
		if (flags & 4) {
			struct sc_sample smp;
			struct sc_sample_meta m;
			uint32_t kind = 0;
			enum sc_ring_result r = sc_sample_ring_read_rec(&ring, &smp, &m, &kind);
			if (r == SC_RING_EMPTY)
				break;
			if (r == SC_RING_SUCCESS && kind == SC_MSG_SAMPLE && smp.instance >= SC_SAMPLE_INSTANCES)
				abort();
			if (r == SC_RING_SUCCESS && kind == SC_MSG_SAMPLE_META &&
			    (m.instance >= SC_SAMPLE_INSTANCES || m.key_len < 1 || m.key_len > SC_SAMPLE_META_KEY_MAX ||
			     m.value_len > SC_SAMPLE_META_VALUE_MAX || strlen(m.key) != m.key_len ||
			     strlen(m.value) != m.value_len || !sc_sample_meta_key_ok(m.key) ||
			     !sc_sample_meta_value_ok(m.value)))
				abort();
			if (r == SC_RING_SUCCESS && kind != SC_MSG_SAMPLE && kind != SC_MSG_SAMPLE_META)
				abort();
		} else if (flags & 1) {
			uint8_t out[RING_CAP];
			uint32_t type, len;
			enum sc_ring_result r = sc_spsc_ring_read_one(&ring, &type, out,
			                                              (flags & 2) ? 16 : sizeof(out), &len);
			if (r == SC_RING_EMPTY)
				break;
			if (r == SC_RING_SUCCESS && len > sizeof(out))
				abort();
		} else if (sc_spsc_ring_read(&ring, on_record, &sum, 8) == 0 &&
		           !sc_spsc_ring_readable(&ring)) {
			break;
		}
	}
	/* After the reader is done the ring must still be usable by a writer. */
	ring.head_cache = ring.ctrl->head;
	if (ring.ctrl->tail - ring.ctrl->head <= cap)
		(void)sc_spsc_ring_write(&ring, 1, "x", 1);
}

/* Observer reads at and around the hostile bounds: an answer OK must lie in
 * what the control words claim is held. */
static void fuzz_observe(struct sc_input_log *log, uint64_t cursor, uint64_t tail, uint8_t pick,
                         const uint8_t *data, size_t size)
{
	uint64_t end = 0;
	memcpy(&end, data, size < 8 ? size : 8);
	const uint64_t firsts[4] = {0, cursor, tail, UINT64_MAX};
	log->ctrl->write_end = end;
	log->ctrl->first_seq = firsts[pick & 3];
	const uint64_t probes[8] = {0, cursor, tail, tail - 1, tail - LOG_CAP, end - LOG_CAP - 1, end, UINT64_MAX};
	uint8_t rec[LOG_REC];
	for (int i = 0; i < 8; i++) {
		uint64_t seq = probes[i];
		if (sc_input_log_observe(log, seq, rec) == SC_OBSERVE_OK &&
		    (seq < log->ctrl->first_seq || seq >= tail || tail - seq > LOG_CAP || end < tail || end - seq > LOG_CAP))
			abort();
	}
}

static void fuzz_log(uint64_t cursor, uint64_t tail, uint8_t pick, uint8_t flags, const uint8_t *data,
                     size_t size)
{
	struct sc_input_log log;
	size_t bsize = sc_input_log_block_size(LOG_CAP, LOG_REC);
	if (bsize > sizeof(log_mem) || !sc_input_log_init(&log, log_mem, bsize, LOG_CAP, LOG_REC, 0))
		abort();
	int reader;
	if (!sc_input_log_reader_attach(&log, 0, &reader))
		abort();
	memcpy(log.slots, data, size < LOG_CAP * LOG_REC ? size : LOG_CAP * LOG_REC);
	log.ctrl->readers[reader].cursor = cursor;
	log.ctrl->tail = tail;
	uint8_t rec[LOG_REC];
	for (int i = 0; i < 16; i++) {
		uint64_t seq = cursor + (uint64_t)(flags >> 4) + (uint64_t)i;
		(void)sc_input_log_peek(&log, reader, seq, rec);
		if (sc_input_log_read(&log, reader, rec, NULL) != SC_RING_SUCCESS)
			break;
	}
	(void)sc_input_log_consume(&log, reader, tail);
	fuzz_observe(&log, cursor, tail, pick, data, size);
	(void)sc_input_log_append(&log, rec, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 18)
		return 0;
	uint64_t head, tail;
	memcpy(&head, data, 8);
	memcpy(&tail, data + 8, 8);
	uint8_t max_type = data[16], flags = data[17];
	if (flags & 0x80)
		fuzz_log(head, tail, max_type, flags, data + 18, size - 18);
	else
		fuzz_ring(head, tail, max_type, flags, data + 18, size - 18);
	return 0;
}
