/* The sample rings' records (session/shm/sample.h): writing a sample or a
 * metadata record (instances, never waiting) and reading them back checked
 * (encoder process). Apart from session/sample_ring.c (the blocks in the
 * arena) so the fuzz target links only this and the ring. */
#include "session/sample_ring.h"

#include <string.h>

enum sc_ring_result sc_sample_ring_write(struct sc_spsc_ring *ring, const struct sc_sample *s)
{
	void *body;
	const uint32_t len = sizeof(struct sc_msg_header) + sizeof(*s);
	enum sc_ring_result r = sc_spsc_ring_claim(ring, SC_MSG_SAMPLE, len, &body);
	if (r != SC_RING_SUCCESS)
		return r;
	struct sc_msg_header hdr = {
		.type = SC_MSG_SAMPLE,
		.timestamp_ns = s->tick_start_ns,
		.seq = s->tick,
		.payload_len = sizeof(*s),
	};
	memcpy(body, &hdr, sizeof(hdr));
	memcpy((uint8_t *)body + sizeof(hdr), s, sizeof(*s));
	sc_spsc_ring_commit(ring); /* release: the record is whole before the consumer can see it */
	return SC_RING_SUCCESS;
}

enum sc_ring_result sc_sample_ring_read(struct sc_spsc_ring *ring, struct sc_sample *out)
{
	_Alignas(8) uint8_t buf[sizeof(struct sc_msg_header) + sizeof(struct sc_sample)];
	uint32_t type, len;
	enum sc_ring_result r = sc_spsc_ring_read_one(ring, &type, buf, sizeof(buf), &len);
	if (r != SC_RING_SUCCESS)
		return r;
	struct sc_msg_header hdr;
	memcpy(&hdr, buf, sizeof(hdr));
	if (type != SC_MSG_SAMPLE || len != sizeof(buf) || hdr.type != SC_MSG_SAMPLE ||
	    hdr.payload_len != sizeof(*out)) {
		ring->corrupt_count++;
		return SC_RING_CORRUPT;
	}
	memcpy(out, buf + sizeof(hdr), sizeof(*out));
	if (out->tick != hdr.seq || out->instance >= SC_SAMPLE_INSTANCES) {
		ring->corrupt_count++;
		return SC_RING_CORRUPT;
	}
	return SC_RING_SUCCESS;
}

enum sc_ring_result sc_sample_meta_ring_write(struct sc_spsc_ring *ring, const struct sc_sample_meta *m)
{
	void *body;
	const uint32_t len = sizeof(struct sc_msg_header) + sizeof(*m);
	enum sc_ring_result r = sc_spsc_ring_claim(ring, SC_MSG_SAMPLE_META, len, &body);
	if (r != SC_RING_SUCCESS)
		return r;
	struct sc_msg_header hdr = {.type = SC_MSG_SAMPLE_META, .seq = m->tick, .payload_len = sizeof(*m)};
	memcpy(body, &hdr, sizeof(hdr));
	memcpy((uint8_t *)body + sizeof(hdr), m, sizeof(*m));
	sc_spsc_ring_commit(ring);
	return SC_RING_SUCCESS;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

static bool text_ok(const char *s, size_t n, size_t lo, size_t hi, bool key)
{
	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++)
		if (key ? !key_char(s[i]) : (s[i] < 0x20 || s[i] > 0x7e))
			return false;
	return true;
}

bool sc_sample_meta_key_ok(const char *key)
{
	return key && text_ok(key, strnlen(key, SC_SAMPLE_META_KEY_MAX + 1), 1, SC_SAMPLE_META_KEY_MAX, true);
}

bool sc_sample_meta_value_ok(const char *value)
{
	return value && text_ok(value, strnlen(value, SC_SAMPLE_META_VALUE_MAX + 1), 0, SC_SAMPLE_META_VALUE_MAX, false);
}

bool sc_sample_meta_valid(const struct sc_sample_meta *m)
{
	if (m->instance >= SC_SAMPLE_INSTANCES || m->key_len > SC_SAMPLE_META_KEY_MAX ||
	    m->value_len > SC_SAMPLE_META_VALUE_MAX)
		return false;
	if (!text_ok(m->key, m->key_len, 1, SC_SAMPLE_META_KEY_MAX, true) ||
	    !text_ok(m->value, m->value_len, 0, SC_SAMPLE_META_VALUE_MAX, false))
		return false;
	/* the rest zero: key and value are C strings of their lengths */
	for (size_t i = m->key_len; i < sizeof(m->key); i++)
		if (m->key[i])
			return false;
	for (size_t i = m->value_len; i < sizeof(m->value); i++)
		if (m->value[i])
			return false;
	return true;
}

enum sc_ring_result sc_sample_ring_read_rec(struct sc_spsc_ring *ring, struct sc_sample *s, struct sc_sample_meta *m,
                                            uint32_t *kind)
{
	uint64_t next;
	enum sc_ring_result r = sc_sample_ring_peek_rec(ring, s, m, kind, &next);
	if (r == SC_RING_SUCCESS)
		sc_spsc_ring_release_to(ring, next);
	return r;
}

enum sc_ring_result sc_sample_ring_peek_rec(struct sc_spsc_ring *ring, struct sc_sample *s, struct sc_sample_meta *m,
                                            uint32_t *kind, uint64_t *next)
{
	_Alignas(8) uint8_t buf[sizeof(struct sc_msg_header) + sizeof(struct sc_sample)];
	_Static_assert(sizeof(struct sc_sample) >= sizeof(struct sc_sample_meta), "the buffer holds either");
	uint32_t type, len;
	enum sc_ring_result r = sc_spsc_ring_peek_one(ring, &type, buf, sizeof(buf), &len, next);
	if (r != SC_RING_SUCCESS)
		return r;
	struct sc_msg_header hdr;
	memcpy(&hdr, buf, sizeof(hdr));
	if (type == SC_MSG_SAMPLE && len == sizeof(hdr) + sizeof(*s) && hdr.type == SC_MSG_SAMPLE &&
	    hdr.payload_len == sizeof(*s)) {
		memcpy(s, buf + sizeof(hdr), sizeof(*s));
		if (s->tick == hdr.seq && s->instance < SC_SAMPLE_INSTANCES) {
			*kind = SC_MSG_SAMPLE;
			return SC_RING_SUCCESS;
		}
	} else if (type == SC_MSG_SAMPLE_META && len == sizeof(hdr) + sizeof(*m) && hdr.type == SC_MSG_SAMPLE_META &&
	           hdr.payload_len == sizeof(*m)) {
		memcpy(m, buf + sizeof(hdr), sizeof(*m));
		if (m->tick == hdr.seq && sc_sample_meta_valid(m)) {
			*kind = SC_MSG_SAMPLE_META;
			return SC_RING_SUCCESS;
		}
	}
	ring->corrupt_count++;
	sc_spsc_ring_release_to(ring, *next); /* a bad record is not found again */
	return SC_RING_CORRUPT;
}
