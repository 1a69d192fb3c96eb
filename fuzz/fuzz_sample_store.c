/* libFuzzer: a restarted encoder process takes over the sample store a dead
 * one left in its shared block (server/sample_store.c, sc_sample_store_check;
 * session/shm/sample_store.h). The block starts as a real writer leaves it
 * (samples of every instance, metadata versions), then the input patches it:
 * byte 0 picks the retention (1..8), then records of (offset: 3 bytes, len: 1
 * byte, len bytes) overwrite any part of it. The check must refuse a block
 * that is not a store or leave one where every sample it says is held is
 * whole and of its instance, every metadata version held is in its slot
 * with JSON of the writer's grammar, the keys in force are valid and their
 * version is their own JSON; then the writer goes on without reading or
 * writing past the block. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/sample_store.h"
#include "session/sample_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RET 8u
static _Alignas(64) uint8_t block[sizeof(struct sc_sample_store_shm) +
                                  SC_SAMPLE_STORE_INSTANCES * MAX_RET * (8 + 8 + 4 + sizeof(struct sc_sample)) + 64];

static void put_meta(struct sc_profile_meta *pm, uint32_t inst, const char *key, const char *value)
{
	uint32_t i = pm->n;
	struct sc_sample_meta *m = &pm->kv[i];
	memset(m, 0, sizeof(*m));
	m->instance = (uint16_t)inst;
	m->key_len = (uint8_t)strlen(key);
	m->value_len = (uint8_t)strlen(value);
	memcpy(m->key, key, m->key_len);
	memcpy(m->value, value, m->value_len);
	pm->n++;
	sc_profile_meta_publish(pm, pm->version + 1);
}

static void verify(struct sc_sample_store_view *v)
{
	for (uint32_t i = 0; i < SC_SAMPLE_STORE_INSTANCES; i++) {
		if (v->first[i] < 1 || v->first[i] > v->n[i] + 1 || v->n[i] + 1 - v->first[i] > v->retention)
			abort();
		for (uint64_t seq = v->first[i]; seq <= v->n[i]; seq++) {
			uint64_t k = (seq - 1) % v->retention;
			if (v->stamp[i][k] != seq || v->sample[i][k].instance != i)
				abort();
		}
		const struct sc_profile_meta *pm = &v->h->meta[i];
		if (pm->n > SC_SAMPLE_META_KEYS)
			abort();
		for (uint32_t k = 0; k < pm->n; k++)
			if (pm->kv[k].instance != i || !sc_sample_meta_valid(&pm->kv[k]))
				abort();
		for (uint32_t k = 0; k < SC_META_VERSIONS; k++) {
			uint32_t ver = pm->ring[k].version;
			if (ver && (ver % SC_META_VERSIONS != k ||
			            !sc_profile_meta_json_valid(pm->ring[k].json, sizeof(pm->ring[k].json))))
				abort();
		}
		char json[SC_META_JSON_MAX];
		sc_profile_meta_render(pm, json, sizeof(json));
		if (pm->version ? pm->ring[pm->version % SC_META_VERSIONS].version != pm->version ||
		                          strcmp(pm->ring[pm->version % SC_META_VERSIONS].json, json) != 0
		                : pm->n != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t ret = 1 + data[0] % MAX_RET;
	size_t len = sc_sample_store_block_size(ret);
	if (len > sizeof(block) || !sc_sample_store_format(block, len, ret))
		abort();
	struct sc_sample_store_view v;
	if (!sc_sample_store_check(block, len, ret, &v))
		abort();
	/* what a writer leaves: samples (some wrapped), metadata versions */
	for (uint32_t i = 0; i < SC_SAMPLE_STORE_INSTANCES; i++) {
		for (uint64_t seq = 1; seq <= 3 + i * 5; seq++) {
			struct sc_sample s = {.tick = (uint32_t)seq, .instance = (uint16_t)i};
			sc_sample_store_put(&v, i, seq, &s, 1, seq * 136);
		}
		put_meta(&v.h->meta[i], i, "phase", "play");
		put_meta(&v.h->meta[i], i, "score", "1:\"0\"");
	}
	/* the patches: a dead writer's torn stores, or anything else */
	for (size_t at = 1; at + 4 <= size;) {
		size_t off = ((size_t)data[at] | (size_t)data[at + 1] << 8 | (size_t)data[at + 2] << 16) % len;
		size_t n = data[at + 3];
		at += 4;
		if (n > size - at)
			n = size - at;
		if (n > len - off)
			n = len - off;
		memcpy(block + off, data + at, n);
		at += n;
	}
	if (!sc_sample_store_check(block, len, ret, &v))
		return 0;
	verify(&v);
	/* the successor writes on */
	for (uint32_t i = 0; i < SC_SAMPLE_STORE_INSTANCES; i++) {
		uint64_t n = v.n[i];
		for (uint64_t seq = n + 1; seq <= n + 3; seq++) {
			struct sc_sample s = {.tick = (uint32_t)seq, .instance = (uint16_t)i};
			sc_sample_store_put(&v, i, seq, &s, v.h->meta[i].version, seq * 136);
		}
	}
	struct sc_sample_store_view w;
	if (!sc_sample_store_check(block, len, ret, &w))
		abort();
	for (uint32_t i = 0; i < SC_SAMPLE_STORE_INSTANCES; i++) {
		if (v.n[i] + 4 > SC_SAMPLE_STORE_SEQ_MAX)
			continue; /* past the count a store can have: that instance starts again (checked above) */
		/* what it wrote is held (n + 1 more only where a patch moved n back
		 * and an older whole slot sits just past it) */
		if (w.n[i] < v.n[i] + 3 || w.n[i] > v.n[i] + 4 || w.meta_dropped[i] != 0)
			abort();
		for (uint64_t seq = v.n[i] + 1; seq <= v.n[i] + 3; seq++)
			if (seq >= w.first[i] && w.sample[i][(seq - 1) % ret].tick != (uint32_t)seq)
				abort();
		uint64_t newest_run = w.n[i] >= ret ? w.n[i] - ret + 1 : 1; /* what the retention can hold */
		if (w.first[i] > (newest_run > v.n[i] + 1 ? newest_run : v.n[i] + 1))
			abort();
	}
	verify(&w);
	return 0;
}
