/* The sample store outlives the encoder process (issue 11;
 * session/shm/sample_store.h, server/sample_store.c):
 *  - a successor adopts what its predecessor stored: the samples API answers
 *    byte for byte as it did (metadata included), and seq goes on;
 *  - a kill between any two of the writer's stores: the successor keeps
 *    every whole sample, counts the torn slot as lost, never shows it;
 *  - exactly once through the sample ring: a record stored but not yet
 *    freed when the writer died is skipped by the successor (counted), one
 *    not yet stored is read and stored; no sample twice, none missing;
 *  - the metadata: keys changed but their version not published, a version
 *    whose JSON is not what the writer renders, a key that is not valid:
 *    refused or rendered anew, never shown as it was;
 *  - a block that is not a store of this layout and retention is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/arena.h"
#include "server/profile_metrics.h"
#include "server/sample_store.h"
#include "session/sample_ring.h"
#include "tests/lib/check.h"

#define RET 64u

static struct sc_sample sample(uint32_t inst, uint32_t tick)
{
	return (struct sc_sample){.tick = tick, .instance = inst, .flags = SC_SAMPLE_RENDERED,
	                          .tick_start_ns = 1000000000ull + tick * 16666667ull, .frame_ns = 16666667,
	                          .wall_ns = 2000000 + tick, .sample_every = 1, .score0 = tick / 10};
}

static struct sc_sample_meta meta(uint32_t inst, uint32_t tick, const char *key, const char *value)
{
	struct sc_sample_meta m = {.tick = tick, .instance = inst, .key_len = (uint8_t)strlen(key),
	                           .value_len = (uint8_t)strlen(value)};
	memcpy(m.key, key, m.key_len);
	memcpy(m.value, value, m.value_len);
	return m;
}

static char *api(struct sc_profile *p, const char *query)
{
	size_t n = 0;
	unsigned status = 0;
	char *body = sc_profile_api_json(p, "samples", query, &n, &status);
	check(body != NULL && status == 200);
	return body;
}

static struct sc_arena *arena_with_store(void)
{
	struct sc_arena *a = sc_arena_create("sc-test-sample-store", 8u << 20);
	check(a != NULL);
	check(sc_arena_register(a, "test") >= 0);
	struct sc_arena_block b;
	check(sc_arena_block_create(a, SC_SAMPLE_STORE_BLOCK, SC_BLOCK_RAW, sc_sample_store_block_size(RET), &b));
	check(sc_sample_store_format(sc_arena_ptr(a, b.off, b.size), b.size, RET));
	check(sc_sample_rings_create(a));
	return a;
}

static struct sc_sample_store_shm *block_of(struct sc_arena *a, size_t *size)
{
	struct sc_arena_block b;
	check(sc_arena_block_find(a, SC_SAMPLE_STORE_BLOCK, &b));
	*size = b.size;
	return sc_arena_ptr(a, b.off, b.size);
}

/* an encoder process's profile on the arena, the store adopted */
static void start(struct sc_profile *p, struct sc_arena *a, uint64_t adopted[3], uint32_t *lost)
{
	sc_profile_init(p, a, NULL);
	check(sc_profile_set_retention(p, RET, 16));
	check(sc_profile_adopt_sample_store(p, a, adopted, lost));
}

static void test_adopt_round_trip(void)
{
	struct sc_arena *a = arena_with_store();
	static struct sc_profile p1, p2;
	uint64_t adopted[3];
	uint32_t lost;
	start(&p1, a, adopted, &lost);
	check(adopted[0] == 0 && adopted[1] == 0 && adopted[2] == 0 && lost == 0);
	for (uint32_t t = 0; t < 100; t++) {
		if (t == 50) {
			struct sc_sample_meta m = meta(0, 50, "phase", "play \"now\"");
			sc_profile_meta(&p1, &m);
			m = meta(0, 50, "score", "1:0");
			sc_profile_meta(&p1, &m);
		}
		struct sc_sample s = sample(0, t);
		sc_profile_add(&p1, &s);
		if (t < 10) {
			s = sample(1, t);
			sc_profile_add(&p1, &s);
		}
	}
	char *before = api(&p1, "limit=1000");
	char *before_shadow = api(&p1, "role=shadow&slot=0&limit=1000");
	check(strstr(before, "\"taken\":100,\"held\":64") != NULL);
	check(strstr(before, "\"meta\":{\"phase\":\"play \\\"now\\\"\",\"score\":\"1:0\"}") != NULL);
	/* the predecessor dies (nothing of it runs again); the successor adopts */
	start(&p2, a, adopted, &lost);
	check(adopted[0] == 64 && adopted[1] == 10 && adopted[2] == 0 && lost == 0);
	char *after = api(&p2, "limit=1000");
	char *after_shadow = api(&p2, "role=shadow&slot=0&limit=1000");
	if (strcmp(before, after) != 0)
		fprintf(stderr, "before: %.300s\nafter:  %.300s\n", before, after);
	check(strcmp(before, after) == 0);
	check(strcmp(before_shadow, after_shadow) == 0);
	/* seq goes on, the metadata in force too */
	struct sc_sample s = sample(0, 100);
	sc_profile_add(&p2, &s);
	check(p2.history_n[0] == 101 && p2.meta[0]->version == 2);
	free(after);
	after = api(&p2, "from=100");
	check(strstr(after, "\"taken\":101") != NULL && strstr(after, "\"score\":\"1:0\"") != NULL);
	free(before);
	free(after);
	free(before_shadow);
	free(after_shadow);
	sc_profile_finish(&p1);
	sc_profile_finish(&p2);
	sc_arena_destroy(a);
}

/* A kill after `steps` of the writer's stores of seq 101 (stamp 0, body,
 * stamp, n): the successor's view. */
static void test_kill_between_stores(void)
{
	for (int steps = 0; steps <= 4; steps++) {
		static _Alignas(64) uint8_t mem[1u << 20];
		check(sc_sample_store_block_size(RET) <= sizeof(mem));
		check(sc_sample_store_format(mem, sizeof(mem), RET));
		struct sc_sample_store_view v;
		check(sc_sample_store_check(mem, sizeof(mem), RET, &v));
		for (uint64_t seq = 1; seq <= 100; seq++) {
			struct sc_sample s = sample(0, (uint32_t)seq - 1);
			sc_sample_store_put(&v, 0, seq, &s, 0, seq * 128);
		}
		uint64_t k = 100 % RET; /* seq 101's slot, where seq 37 was */
		struct sc_sample s = sample(0, 100);
		if (steps >= 1)
			v.stamp[0][k] = 0;
		if (steps >= 2) {
			v.sample[0][k] = s;
			v.pos[0][k] = 101 * 128;
		}
		if (steps >= 3)
			v.stamp[0][k] = 101;
		if (steps >= 4)
			v.h->n[0] = 101;
		struct sc_sample_store_view w;
		check(sc_sample_store_check(mem, sizeof(mem), RET, &w));
		uint64_t want_n = steps >= 3 ? 101 : 100;
		uint64_t want_first = steps == 0 ? 37 : 38;
		if (w.n[0] != want_n || w.first[0] != want_first)
			fprintf(stderr, "steps %d: n %llu first %llu lost %u\n", steps, (unsigned long long)w.n[0],
			        (unsigned long long)w.first[0], w.lost[0]);
		check(w.n[0] == want_n && w.first[0] == want_first);
		check(w.lost[0] == (steps == 1 || steps == 2 ? 1u : 0u));
		check(w.ring_pos[0] == want_n * 128); /* the successor skips the records up to here */
		for (uint64_t seq = w.first[0]; seq <= w.n[0]; seq++)
			check(w.stamp[0][(seq - 1) % RET] == seq && w.sample[0][(seq - 1) % RET].tick == seq - 1);
		check(w.h->n[0] == want_n);
		check(w.n[1] == 0 && w.first[1] == 1 && w.ring_pos[1] == 0);
	}
}

/* Exactly once through the ring: the writer died after it stored the 5th
 * sample and before it freed its record. */
static void test_exactly_once_through_ring(void)
{
	struct sc_arena *a = arena_with_store();
	struct sc_spsc_ring w;
	check(sc_sample_ring_attach(a, 0, &w));
	for (uint32_t t = 0; t < 10; t++) {
		struct sc_sample s = sample(0, t);
		check(sc_sample_ring_write(&w, &s) == SC_RING_SUCCESS);
	}
	static struct sc_profile p1, p2;
	uint64_t adopted[3];
	uint32_t lost;
	start(&p1, a, adopted, &lost);
	check(p1.have[0]);
	check(sc_profile_drain(&p1, 4) == 4);
	uint64_t head4 = p1.rings[0].ctrl->head;
	check(sc_profile_drain(&p1, 1) == 1);
	p1.rings[0].ctrl->head = head4; /* stored, not freed: the kill */
	start(&p2, a, adopted, &lost);
	check(adopted[0] == 5 && lost == 0);
	check(sc_profile_drain(&p2, 100) == 5);
	check(p2.samples_restored == 1);
	char *body = api(&p2, "limit=1000");
	check(strstr(body, "\"taken\":10,\"held\":10") != NULL);
	for (uint32_t t = 0; t < 10; t++) { /* each tick once, in order */
		char needle[32];
		snprintf(needle, sizeof(needle), "{\"tick\":%u,", t);
		const char *at = strstr(body, needle);
		check(at != NULL && strstr(at + 1, needle) == NULL);
	}
	free(body);
	sc_profile_finish(&p1);
	sc_profile_finish(&p2);
	sc_arena_destroy(a);
}

static void test_metadata_checked(void)
{
	struct sc_arena *a = arena_with_store();
	static struct sc_profile p1, p2;
	uint64_t adopted[3];
	uint32_t lost;
	start(&p1, a, adopted, &lost);
	struct sc_sample_meta m = meta(0, 0, "level", "one");
	sc_profile_meta(&p1, &m); /* version 1 */
	struct sc_sample s = sample(0, 0);
	sc_profile_add(&p1, &s);
	m = meta(0, 1, "level", "two");
	sc_profile_meta(&p1, &m); /* version 2 */
	s = sample(0, 1);
	sc_profile_add(&p1, &s);
	size_t size;
	struct sc_sample_store_shm *h = block_of(a, &size);
	/* version 1's JSON changed under it (not what the writer renders), and
	 * the keys changed without their version: a kill between the two */
	strcpy(h->meta[0].ring[1].json, "{\"level\":\"<b>x</b>\u00e9\"}");
	h->meta[0].kv[0] = meta(0, 2, "level", "three");
	start(&p2, a, adopted, &lost);
	check(adopted[0] == 2 && lost == 1);
	check(p2.meta[0]->version == 3);
	char *body = api(&p2, "limit=10");
	check(strstr(body, "<b>") == NULL);
	check(strstr(body, "\"tick\":0,") != NULL && strstr(body, "\"meta\":null}") != NULL); /* version 1: gone */
	check(strstr(body, "\"meta\":{\"level\":\"two\"}") != NULL);                          /* version 2: kept */
	free(body);
	s = sample(0, 2);
	sc_profile_add(&p2, &s);
	body = api(&p2, "from=2");
	check(strstr(body, "\"meta\":{\"level\":\"three\"}") != NULL); /* the keys, rendered anew */
	free(body);
	/* a key that is not valid (a quote in it) is dropped, the rest kept */
	sc_profile_finish(&p2);
	h->meta[0].kv[1] = meta(0, 3, "ok", "1");
	h->meta[0].kv[1].key[0] = '"';
	h->meta[0].n = 2;
	start(&p2, a, adopted, &lost);
	check(lost == 1 && p2.meta[0]->n == 1 && p2.meta[0]->version == 4);
	check(strcmp(p2.meta[0]->ring[4].json, "{\"level\":\"three\"}") == 0);
	sc_profile_finish(&p1);
	sc_profile_finish(&p2);
	sc_arena_destroy(a);
}

static void test_refused(void)
{
	static _Alignas(64) uint8_t mem[1u << 20];
	size_t need = sc_sample_store_block_size(RET);
	struct sc_sample_store_view v;
	check(!sc_sample_store_format(mem, need - 1, RET));
	check(!sc_sample_store_format(mem, sizeof(mem), 0));
	check(sc_sample_store_format(mem, need, RET));
	check(sc_sample_store_check(mem, need, RET, &v));
	check(!sc_sample_store_check(mem, need - 1, RET, &v));     /* the block is smaller than it says */
	check(!sc_sample_store_check(mem, need, RET * 2, &v));     /* another --sample-retention */
	struct sc_sample_store_shm *h = (void *)mem;
	h->retention = 1u << 30;
	check(!sc_sample_store_check(mem, sizeof(mem), 0, &v));    /* over 2^20 samples: refused */
	h->retention = RET;
	h->magic ^= 1;
	check(!sc_sample_store_check(mem, need, RET, &v));
	h->magic ^= 1;
	h->sample_size = 96;
	check(!sc_sample_store_check(mem, need, RET, &v));
	h->sample_size = sizeof(struct sc_sample);
	h->n[2] = UINT64_MAX; /* impossible: the instance starts again, what it held counted lost */
	check(sc_sample_store_check(mem, need, RET, &v));
	check(v.n[2] == 0 && v.first[2] == 1 && v.lost[2] == RET);
	/* the metadata versions across the wrap from UINT32_MAX to 1: the ones
	 * a live writer still serves are kept (a check that compared v <= cur
	 * dropped them all) */
	check(sc_sample_store_format(mem, need, RET));
	struct sc_profile_meta *pm = &h->meta[0];
	pm->kv[0] = (struct sc_sample_meta){.instance = 0, .key_len = 1, .value_len = 1, .key = "a", .value = "1"};
	pm->n = 1;
	pm->version = 1;
	pm->ring[1].version = 1;
	strcpy(pm->ring[1].json, "{\"a\":\"1\"}");
	pm->ring[0].version = UINT32_MAX - 63; /* the oldest a live writer still has: version 0 never replaced it */
	strcpy(pm->ring[0].json, "{\"a\":\"0\"}");
	pm->ring[63].version = UINT32_MAX;
	strcpy(pm->ring[63].json, "{}");
	pm->ring[2].version = 2; /* ahead of the version in force: not held */
	strcpy(pm->ring[2].json, "{}");
	check(sc_sample_store_check(mem, need, RET, &v));
	check(v.meta_dropped[0] == 1 && pm->version == 1 && pm->ring[2].version == 0);
	check(pm->ring[0].version == UINT32_MAX - 63 && pm->ring[63].version == UINT32_MAX && pm->ring[1].version == 1);
	/* the JSON grammar the check accepts is exactly what the writer renders */
	check(sc_profile_meta_json_valid("{}", 8));
	check(sc_profile_meta_json_valid("{\"a.b-c_1\":\"x \\\" \\\\ y\"}", 64));
	check(!sc_profile_meta_json_valid("{\"a\":\"x\"", 64));
	check(!sc_profile_meta_json_valid("{\"a\":\"x\"}", 5));       /* no NUL within the slot */
	check(!sc_profile_meta_json_valid("{\"a\":\"\\n\"}", 64));
	check(!sc_profile_meta_json_valid("{\"a\":1}", 64));
	check(!sc_profile_meta_json_valid("{\"\":\"x\"}", 64));
	check(!sc_profile_meta_json_valid("{\"a\":\"x\"}}", 64));
	check(!sc_profile_meta_json_valid("{\"a\":\"x\",}", 64));
}

int main(void)
{
	test_adopt_round_trip();
	test_kill_between_stores();
	test_exactly_once_through_ring();
	test_metadata_checked();
	test_refused();
	printf("sample store: adopted byte for byte, a kill at each store, exactly once through the ring, "
	       "metadata checked, bad blocks refused\n");
	return 0;
}
