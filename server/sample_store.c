#include "server/sample_store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "net/shm/sc_atomic.h"
#include "session/sample_ring.h"

_Static_assert(SC_SAMPLE_STORE_INSTANCES == SC_SAMPLE_INSTANCES, "one store per instance");

#define STORE_RETENTION_MAX (1u << 20)

bool sc_sample_store_format(void *mem, size_t size, uint32_t retention)
{
	if (!mem || retention == 0 || retention > STORE_RETENTION_MAX || size < sc_sample_store_block_size(retention))
		return false;
	struct sc_sample_store_shm *h = mem;
	memset(h, 0, sc_sample_store_block_size(retention));
	h->magic = SC_SAMPLE_STORE_MAGIC;
	h->version = SC_SAMPLE_STORE_VERSION;
	h->retention = retention;
	h->sample_size = sizeof(struct sc_sample);
	return true;
}

/* --- the metadata's JSON ------------------------------------------------------ */

void sc_profile_meta_render(const struct sc_profile_meta *pm, char *out, size_t len)
{
	size_t at = 0;
	bool fits = true;
#define PUT(ch)                                                                                                        \
	do {                                                                                                           \
		if (at + 1 < len)                                                                                      \
			out[at++] = (ch);                                                                              \
		else                                                                                                   \
			fits = false;                                                                                  \
	} while (0)
	PUT('{');
	uint32_t n = pm->n < SC_SAMPLE_META_KEYS ? pm->n : SC_SAMPLE_META_KEYS;
	for (uint32_t i = 0; i < n; i++) {
		/* keys are [A-Za-z0-9_.-]; values printable ASCII: only " and \ need escapes */
		if (i)
			PUT(',');
		PUT('"');
		for (size_t k = 0; k < sizeof(pm->kv[i].key) && pm->kv[i].key[k]; k++)
			PUT(pm->kv[i].key[k]);
		PUT('"');
		PUT(':');
		PUT('"');
		for (size_t k = 0; k < sizeof(pm->kv[i].value) && pm->kv[i].value[k]; k++) {
			char c = pm->kv[i].value[k];
			if (c == '"' || c == '\\')
				PUT('\\');
			PUT(c);
		}
		PUT('"');
	}
	PUT('}');
#undef PUT
	if (len)
		out[at < len ? at : len - 1] = 0;
	if (!fits) /* cannot happen with SC_META_JSON_MAX: 8 keys of 23 + 63 escaped bytes fit */
		snprintf(out, len, "null");
}

void sc_profile_meta_publish(struct sc_profile_meta *pm, uint32_t version)
{
	char json[SC_META_JSON_MAX];
	sc_profile_meta_render(pm, json, sizeof(json));
	uint32_t *slot_version = &pm->ring[version % SC_META_VERSIONS].version;
	/* the order a successor checks: a kill between any two stores leaves a
	 * slot it can tell is not whole */
	SC_STORE_RELEASE(slot_version, 0u);
	atomic_thread_fence(memory_order_seq_cst); /* the JSON's plain stores after the 0 */
	memcpy(pm->ring[version % SC_META_VERSIONS].json, json, sizeof(json));
	SC_STORE_RELEASE(slot_version, version);
	SC_STORE_RELEASE(&pm->version, version);
}

static bool key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

bool sc_profile_meta_json_valid(const char *json, size_t max)
{
	size_t len = strnlen(json, max);
	if (len == max)
		return false; /* no NUL within the slot */
	if (strcmp(json, "null") == 0)
		return true;
	const char *c = json;
	if (*c++ != '{')
		return false;
	for (uint32_t keys = 0; *c != '}'; keys++) {
		if (keys == SC_SAMPLE_META_KEYS || (keys && *c++ != ','))
			return false;
		if (*c++ != '"')
			return false;
		size_t k = 0;
		for (; key_char(*c); c++)
			k++;
		if (k < 1 || k > SC_SAMPLE_META_KEY_MAX || *c++ != '"' || *c++ != ':' || *c++ != '"')
			return false;
		size_t v = 0;
		for (; *c != '"'; c++, v++) {
			if (*c == '\\') {
				c++;
				if (*c != '"' && *c != '\\')
					return false;
			} else if (*c < 0x20 || *c > 0x7e) {
				return false; /* the NUL among them */
			}
		}
		if (v > SC_SAMPLE_META_VALUE_MAX)
			return false;
		c++;
	}
	return c[1] == 0;
}

/* --- a successor's check ------------------------------------------------------ */

/* The keys in force: each valid and for this instance, no key twice; a bad
 * one goes (counted). true when anything went. */
static bool check_keys(struct sc_profile_meta *pm, uint32_t inst, uint32_t *dropped)
{
	uint32_t n = pm->n <= SC_SAMPLE_META_KEYS ? pm->n : SC_SAMPLE_META_KEYS, kept = 0;
	bool changed = pm->n != n;
	for (uint32_t i = 0; i < n; i++) {
		const struct sc_sample_meta *m = &pm->kv[i];
		bool ok = m->instance == inst && sc_sample_meta_valid(m);
		for (uint32_t j = 0; ok && j < kept; j++)
			ok = strcmp(pm->kv[j].key, m->key) != 0;
		if (!ok) {
			(*dropped)++;
			changed = true;
			continue;
		}
		if (kept != i)
			pm->kv[kept] = *m;
		kept++;
	}
	for (uint32_t i = kept; i < SC_SAMPLE_META_KEYS; i++)
		memset(&pm->kv[i], 0, sizeof(pm->kv[i]));
	pm->n = kept;
	return changed;
}

static void check_meta(struct sc_profile_meta *pm, uint32_t inst, uint32_t *dropped)
{
	uint32_t cur = pm->version;
	/* the versions held: the newest SC_META_VERSIONS up to the one in force,
	 * each in its own slot with the JSON the writer renders */
	for (uint32_t k = 0; k < SC_META_VERSIONS; k++) {
		uint32_t v = pm->ring[k].version;
		if (v == 0)
			continue;
		/* the newest up to cur, counted modulo 2^32 without 0 (the version
		 * wraps from UINT32_MAX to 1): 64, or 65 across a wrap, as version
		 * 0 never takes slot 0 from the one before it */
		uint32_t back = (uint32_t)(cur - v) - (v > cur ? 1u : 0u);
		bool ok = v % SC_META_VERSIONS == k && cur != 0 && back < SC_META_VERSIONS + (v > cur ? 1u : 0u) &&
		          sc_profile_meta_json_valid(pm->ring[k].json, sizeof(pm->ring[k].json));
		if (!ok) {
			pm->ring[k].version = 0;
			(*dropped)++;
		}
	}
	bool keys_changed = check_keys(pm, inst, dropped);
	/* the version in force must be the keys' own JSON: else (a kill between
	 * the keys and the version, or keys dropped) they get a new version */
	char json[SC_META_JSON_MAX];
	sc_profile_meta_render(pm, json, sizeof(json));
	bool whole = cur == 0 ? pm->n == 0
	                      : pm->ring[cur % SC_META_VERSIONS].version == cur &&
	                                strcmp(pm->ring[cur % SC_META_VERSIONS].json, json) == 0;
	if (keys_changed || !whole) {
		uint32_t next = cur == UINT32_MAX ? 1 : cur + 1;
		sc_profile_meta_publish(pm, next);
	}
}

bool sc_sample_store_check(void *mem, size_t size, uint32_t expect_retention, struct sc_sample_store_view *v)
{
	struct sc_sample_store_shm *h = mem;
	memset(v, 0, sizeof(*v));
	if (!mem || size < sizeof(*h) || h->magic != SC_SAMPLE_STORE_MAGIC || h->version != SC_SAMPLE_STORE_VERSION ||
	    h->sample_size != sizeof(struct sc_sample) || h->retention == 0 || h->retention > STORE_RETENTION_MAX ||
	    (expect_retention && h->retention != expect_retention) || size < sc_sample_store_block_size(h->retention))
		return false;
	uint32_t ret = h->retention;
	struct sc_sample_store_offsets off = sc_sample_store_offsets(ret);
	v->h = h;
	v->retention = ret;
	for (uint32_t i = 0; i < SC_SAMPLE_INSTANCES; i++) {
		v->stamp[i] = (uint64_t *)((char *)mem + off.stamp[i]);
		v->pos[i] = (uint64_t *)((char *)mem + off.pos[i]);
		v->meta[i] = (uint32_t *)((char *)mem + off.meta[i]);
		v->sample[i] = (struct sc_sample *)((char *)mem + off.sample[i]);
		uint64_t n = h->n[i];
		if (n > SC_SAMPLE_STORE_SEQ_MAX) { /* impossible: a fresh store, what it held lost */
			v->lost[i] = ret;
			n = 0;
		}
		/* a sample whose slot was whole but whose count was not stored */
		uint64_t at = n % ret;
		if (v->stamp[i][at] == n + 1 && v->sample[i][at].instance == i)
			n++;
		/* the newest run of whole slots; a bad one ends it */
		uint64_t lo = n > ret ? n - ret + 1 : 1, first = n + 1;
		if (h->from[i] > lo && h->from[i] <= n + 1)
			lo = h->from[i]; /* below it: counted lost by an earlier adoption */
		for (uint64_t seq = n; seq >= lo && seq > 0; seq--) {
			uint64_t k = (seq - 1) % ret;
			if (v->stamp[i][k] != seq || v->sample[i][k].instance != i)
				break;
			first = seq;
		}
		v->lost[i] += (uint32_t)(first - lo);
		v->n[i] = n;
		v->ring_pos[i] = first <= n ? v->pos[i][(n - 1) % ret] : 0;
		v->first[i] = first;
		h->n[i] = n;
		h->from[i] = first;
		h->lost[i] += v->lost[i];
		check_meta(&h->meta[i], i, &v->meta_dropped[i]);
	}
	return true;
}

void sc_sample_store_put(struct sc_sample_store_view *v, uint32_t inst, uint64_t seq, const struct sc_sample *s,
                         uint32_t meta_version, uint64_t ring_pos)
{
	uint64_t k = (seq - 1) % v->retention;
	/* the order sc_sample_store_check expects: a kill between any two stores
	 * leaves a slot it can tell is not whole */
	SC_STORE_RELEASE(&v->stamp[inst][k], (uint64_t)0);
	atomic_thread_fence(memory_order_seq_cst); /* the body's plain stores after the 0 */
	v->sample[inst][k] = *s;
	v->meta[inst][k] = meta_version;
	v->pos[inst][k] = ring_pos;
	SC_STORE_RELEASE(&v->stamp[inst][k], seq);
	SC_STORE_RELEASE(&v->h->n[inst], seq);
}
