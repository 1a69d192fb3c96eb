/* Reading and summarising a session profile (server/profile_read.h,
 * docs/profile-format.md). The whole file is checked before anything is
 * summarised: one bad record and the answer is an error, not a partial
 * summary. Percentiles are nearest-rank: p = the ceil(p/100 * n)-th smallest. */
#include "server/profile_read.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_event.h"
#include "server/profile_format.h"
#include "session/sample_ring.h"
#include "session/shm/fault_record.h"

static const char *const type_names[SC_PF_TYPES + 1] = {
	"?", "meta", "sample", "encode", "condition", "incident", "client", "measure", "end", "sample_meta"};
static const char *const pass_names[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;

__attribute__((format(printf, 3, 4)))
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool header_ok(const uint8_t *data, size_t len, struct sc_pf_header *h, char *err, size_t errlen)
{
	if (len == 0) {
		fail(err, errlen, "empty file: not a shadowcast profile");
		return false;
	}
	if (len < sizeof(*h)) {
		fail(err, errlen, "%zu bytes, shorter than its header (64): not a shadowcast profile, or truncated", len);
		return false;
	}
	memcpy(h, data, sizeof(*h));
	if (memcmp(h->magic, SC_PF_MAGIC, sizeof(h->magic)) != 0) {
		fail(err, errlen, "not a shadowcast profile (the first 8 bytes are not \"" SC_PF_MAGIC "\")");
		return false;
	}
	if (h->version < SC_PF_VERSION_MIN || h->version > SC_PF_VERSION) {
		fail(err, errlen, "profile format version %u (this shadowcast reads versions %u..%u)", h->version,
		     SC_PF_VERSION_MIN, SC_PF_VERSION);
		return false;
	}
	if (h->header_bytes != sizeof(*h) || h->sample_bytes != sizeof(struct sc_sample) ||
	    h->passes != SC_SAMPLE_PASSES) {
		fail(err, errlen, "header sizes %u/%u/%u differ from this version's (64/%zu/%u)", h->header_bytes,
		     h->sample_bytes, h->passes, sizeof(struct sc_sample), SC_SAMPLE_PASSES);
		return false;
	}
	return true;
}

/* The record at off: its header and payload checked against the file's
 * end and its type. */
static bool record_ok(const uint8_t *data, size_t len, size_t off, struct sc_pf_record *r, char *err, size_t errlen)
{
	if (len - off < sizeof(*r)) {
		fail(err, errlen, "truncated: %zu bytes at byte %zu, less than a record header (8)", len - off, off);
		return false;
	}
	memcpy(r, data + off, sizeof(*r));
	if (r->type == 0 || r->type > SC_PF_TYPES) {
		fail(err, errlen, "unknown record type %u at byte %zu", r->type, off);
		return false;
	}
	uint32_t want = sc_pf_fixed_size(r->type);
	if (r->type == SC_PF_META ? r->length < 2 || r->length > SC_PF_MAX_RECORD : r->length != want) {
		if (r->type == SC_PF_META)
			fail(err, errlen, "META record at byte %zu has length %u (2..%u)", off, r->length, SC_PF_MAX_RECORD);
		else
			fail(err, errlen, "%s record at byte %zu has length %u, not %u", type_names[r->type], off, r->length,
			     want);
		return false;
	}
	if (len - off - sizeof(*r) < r->length) {
		fail(err, errlen, "truncated: the %s record at byte %zu needs %u bytes, the file has %zu more",
		     type_names[r->type], off, r->length, len - off - sizeof(*r));
		return false;
	}
	return true;
}

size_t sc_profile_valid_prefix(const uint8_t *data, size_t len)
{
	struct sc_pf_header h;
	char err[8];
	if (!header_ok(data, len, &h, err, sizeof(err)))
		return 0;
	size_t off = sizeof(h);
	struct sc_pf_record r;
	/* an END is cut off too: the file goes on */
	while (off < len && record_ok(data, len, off, &r, err, sizeof(err)) && r.type != SC_PF_END)
		off += sizeof(r) + r.length;
	return off;
}

/* --- values and percentiles ------------------------------------------------------ */

struct vals {
	double *v;
	size_t n, cap;
};

static void push(struct vals *a, double x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		double *v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return; /* out of memory: the value is not counted */
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double rank(const struct vals *a, double p)
{
	size_t k = (size_t)ceil(p / 100.0 * (double)a->n);
	return a->v[k ? k - 1 : 0];
}

/* {count, p50, p99, max, mean}; sorts a. null values when empty. */
static json_t *metric(struct vals *a)
{
	if (a->n == 0)
		return json_pack("{s:i,s:n,s:n,s:n,s:n}", "count", 0, "p50", "p99", "max", "mean");
	qsort(a->v, a->n, sizeof(double), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < a->n; i++)
		sum += a->v[i];
	return json_pack("{s:I,s:f,s:f,s:f,s:f}", "count", (json_int_t)a->n, "p50", rank(a, 50), "p99", rank(a, 99),
	                 "max", a->v[a->n - 1], "mean", sum / (double)a->n);
}

static double sum_of(const struct vals *a)
{
	double s = 0;
	for (size_t i = 0; i < a->n; i++)
		s += a->v[i];
	return s;
}

/* --- the summary --------------------------------------------------------------- */

struct role {
	struct vals frame, tick, cpu, gpu, pass[SC_SAMPLE_PASSES];
};

struct client {
	uint64_t key;          /* encoder start << 32 | client id */
	struct sc_pf_client last;
	uint64_t records;
	struct vals rtt, input;
};

struct summary {
	struct role role[2];
	struct vals encode, bytes;
	uint64_t samples[SC_SAMPLE_INSTANCES];
	uint32_t first_tick, last_tick;
	bool have_tick;
	uint64_t counts[SC_PF_TYPES + 1];
	json_t *meta, *conditions, *incidents;
	json_t *game_meta; /* the game's metadata, the last value of each key per instance */
	struct client *clients;
	size_t n_clients;
	uint64_t last_ns;
	bool have_end;
	struct sc_pf_end end;
};

static struct client *client_of(struct summary *s, uint64_t key)
{
	for (size_t i = 0; i < s->n_clients; i++)
		if (s->clients[i].key == key)
			return &s->clients[i];
	struct client *c = realloc(s->clients, (s->n_clients + 1) * sizeof(*c));
	if (!c)
		return NULL;
	s->clients = c;
	c = &s->clients[s->n_clients++];
	memset(c, 0, sizeof(*c));
	c->key = key;
	return c;
}

static void seen_ns(struct summary *s, uint64_t ns)
{
	if (ns > s->last_ns)
		s->last_ns = ns;
}

static void add_sample(struct summary *s, const struct sc_sample *x)
{
	uint32_t inst = x->instance < SC_SAMPLE_INSTANCES ? x->instance : SC_SAMPLE_SHADOW1;
	struct role *r = &s->role[inst == SC_SAMPLE_PRIMARY ? 0 : 1];
	s->samples[inst]++;
	if (inst == SC_SAMPLE_PRIMARY) {
		if (!s->have_tick || x->tick < s->first_tick)
			s->first_tick = x->tick;
		if (!s->have_tick || x->tick > s->last_tick)
			s->last_tick = x->tick;
		s->have_tick = true;
	}
	if (x->frame_ns)
		push(&r->frame, x->frame_ns / 1e6);
	push(&r->tick, x->wall_ns / 1e6);
	push(&r->cpu, x->cpu_ns / 1e6);
	push(&r->gpu, x->gpu_total_ns / 1e6);
	for (int i = 0; i < SC_SAMPLE_PASSES; i++) {
		if (i >= 5 && !(x->flags & SC_SAMPLE_RENDERED))
			break; /* a simulate-only tick has no frame passes */
		push(&r->pass[i], x->gpu_pass_ns[i] / 1e6);
	}
	seen_ns(s, x->tick_start_ns);
}

static bool add_meta(struct summary *s, const uint8_t *p, uint32_t len, size_t off, char *err, size_t errlen)
{
	json_error_t je;
	json_t *m = json_loadb((const char *)p, len, 0, &je);
	if (!json_is_object(m)) {
		json_decref(m);
		fail(err, errlen, "the META record at byte %zu is not a JSON object%s%s", off, m ? "" : ": ",
		     m ? "" : je.text);
		return false;
	}
	if (!s->meta) {
		s->meta = m;
		json_t *c = json_object_get(m, "conditions");
		s->conditions = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(c, i, v) {
			json_t *name = json_object_get(v, "name"), *text = json_object_get(v, "condition");
			json_array_append_new(s->conditions,
			                      json_pack("{s:s,s:s,s:i,s:[]}", "name", json_is_string(name) ?
			                                json_string_value(name) : "?", "condition", json_is_string(text) ?
			                                json_string_value(text) : "?", "hits", 0, "ticks"));
		}
	} else {
		json_decref(m);
	}
	return true;
}

static void add_condition(struct summary *s, const struct sc_pf_condition *c)
{
	json_t *o = json_array_get(s->conditions, c->condition);
	if (!o) { /* not named in META: listed by its index */
		while (json_array_size(s->conditions) <= c->condition && json_array_size(s->conditions) < 64) {
			char name[24];
			snprintf(name, sizeof(name), "#%zu", json_array_size(s->conditions));
			json_array_append_new(s->conditions, json_pack("{s:s,s:s,s:i,s:[]}", "name", name, "condition", "?",
			                                               "hits", 0, "ticks"));
		}
		o = json_array_get(s->conditions, c->condition);
		if (!o)
			return;
	}
	json_object_set_new(o, "hits", json_integer(json_integer_value(json_object_get(o, "hits")) + 1));
	json_t *ticks = json_object_get(o, "ticks");
	if (json_array_size(ticks) < 100)
		json_array_append_new(ticks, json_integer(c->tick));
	seen_ns(s, c->time_ns);
}

static void add_incident(struct summary *s, const struct sc_pf_incident *x, uint64_t start_ns)
{
	json_t *inj = x->injected ? json_string(sc_fault_kind_name((enum sc_fault_kind)x->injected)) : json_null();
	json_array_append_new(s->incidents,
	                      json_pack("{s:I,s:s,s:I,s:o,s:I,s:I,s:f}", "incident", (json_int_t)x->incident, "detected",
	                                sc_fault_detected_name(x->detected), "path", (json_int_t)x->path, "injected", inj,
	                                "error_tick", (json_int_t)x->error_tick, "detected_tick",
	                                (json_int_t)x->detected_tick, "time_s",
	                                x->detected_ns > start_ns ? (x->detected_ns - start_ns) / 1e9 : 0.0));
	seen_ns(s, x->detected_ns);
}

static json_t *role_json(struct role *r, bool primary)
{
	json_t *passes = json_object();
	for (int i = 0; i < SC_SAMPLE_PASSES; i++)
		if (primary || r->pass[i].n)
			json_object_set_new(passes, pass_names[i], metric(&r->pass[i]));
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "frame_ms", metric(&r->frame), "tick_ms", metric(&r->tick), "cpu_ms",
	                 metric(&r->cpu), "gpu_ms", metric(&r->gpu), "gpu_pass_ms", passes);
}

struct hot {
	int pass;
	double total;
};

static int cmp_hot(const void *a, const void *b)
{
	double x = ((const struct hot *)a)->total, y = ((const struct hot *)b)->total;
	return x > y ? -1 : x < y;
}

/* The primary's passes by total GPU time (before role_json sorts them). */
static json_t *hottest(struct role *r)
{
	struct hot h[SC_SAMPLE_PASSES];
	int n = 0;
	double all = 0;
	for (int i = 0; i < SC_SAMPLE_PASSES; i++) {
		if (!r->pass[i].n)
			continue;
		h[n] = (struct hot){.pass = i, .total = sum_of(&r->pass[i])};
		all += h[n++].total;
	}
	qsort(h, (size_t)n, sizeof(h[0]), cmp_hot);
	json_t *a = json_array();
	for (int k = 0; k < n; k++) {
		struct vals *v = &r->pass[h[k].pass];
		qsort(v->v, v->n, sizeof(double), cmp_double);
		json_array_append_new(a, json_pack("{s:s,s:f,s:f,s:f,s:f}", "pass", pass_names[h[k].pass], "total_ms",
		                                   h[k].total, "share", all > 0 ? h[k].total / all : 0.0, "p50_ms",
		                                   rank(v, 50), "p99_ms", rank(v, 99)));
	}
	return a;
}

static int cmp_client(const void *a, const void *b)
{
	uint64_t x = ((const struct client *)a)->key, y = ((const struct client *)b)->key;
	return x < y ? -1 : x > y;
}

static void free_summary(struct summary *s)
{
	for (int r = 0; r < 2; r++) {
		struct role *x = &s->role[r];
		free(x->frame.v), free(x->tick.v), free(x->cpu.v), free(x->gpu.v);
		for (int i = 0; i < SC_SAMPLE_PASSES; i++)
			free(x->pass[i].v);
	}
	free(s->encode.v);
	free(s->bytes.v);
	for (size_t i = 0; i < s->n_clients; i++)
		free(s->clients[i].rtt.v), free(s->clients[i].input.v);
	free(s->clients);
	json_decref(s->meta);
	json_decref(s->conditions);
	json_decref(s->incidents);
	json_decref(s->game_meta);
}

json_t *sc_profile_summarize(const uint8_t *data, size_t len, char *err, size_t errlen)
{
	struct sc_pf_header h;
	if (!header_ok(data, len, &h, err, errlen))
		return NULL;
	struct summary s = {.incidents = json_array(), .game_meta = json_pack("{s:{},s:{},s:{}}", "primary", "shadow0",
	                                                                      "shadow1")};
	size_t off = sizeof(h);
	uint32_t starts = 0;
	while (off < len) {
		struct sc_pf_record r;
		if (!record_ok(data, len, off, &r, err, errlen))
			goto bad;
		if (s.have_end) {
			fail(err, errlen, "a %s record at byte %zu after the END record", type_names[r.type], off);
			goto bad;
		}
		if (off == sizeof(h) && r.type != SC_PF_META) {
			fail(err, errlen, "the first record (byte 64) is %s, not META", type_names[r.type]);
			goto bad;
		}
		const uint8_t *p = data + off + sizeof(r);
		s.counts[r.type]++;
		switch (r.type) {
		case SC_PF_META:
			if (!add_meta(&s, p, r.length, off, err, errlen))
				goto bad;
			starts++;
			break;
		case SC_PF_SAMPLE_META: {
			/* from the file as the encoder read it from shared memory: checked again */
			struct sc_sample_meta x;
			memcpy(&x, p, sizeof(x));
			if (h.version < 2 || !sc_sample_meta_valid(&x)) {
				fail(err, errlen, "SAMPLE_META record at byte %zu is not valid%s", off,
				     h.version < 2 ? " (a version 1 file has none)" : ": key, value or instance out of range");
				goto bad;
			}
			static const char *const inst[SC_SAMPLE_INSTANCES] = {"primary", "shadow0", "shadow1"};
			json_object_set_new(json_object_get(s.game_meta, inst[x.instance]), x.key, json_string(x.value));
			break;
		}
		case SC_PF_SAMPLE: {
			struct sc_sample x;
			memcpy(&x, p, sizeof(x));
			add_sample(&s, &x);
			break;
		}
		case SC_PF_ENCODE: {
			struct sc_pf_encode e;
			memcpy(&e, p, sizeof(e));
			push(&s.encode, e.encode_ns / 1e6);
			push(&s.bytes, e.bytes);
			seen_ns(&s, e.done_ns);
			break;
		}
		case SC_PF_CONDITION: {
			struct sc_pf_condition c;
			memcpy(&c, p, sizeof(c));
			add_condition(&s, &c);
			break;
		}
		case SC_PF_INCIDENT: {
			struct sc_pf_incident x;
			memcpy(&x, p, sizeof(x));
			add_incident(&s, &x, h.start_mono_ns);
			break;
		}
		case SC_PF_CLIENT: {
			struct sc_pf_client c;
			memcpy(&c, p, sizeof(c));
			struct client *cl = client_of(&s, (uint64_t)starts << 32 | c.client);
			if (cl) {
				cl->last = c;
				cl->records++;
			}
			seen_ns(&s, c.time_ns);
			break;
		}
		case SC_PF_MEASURE: {
			struct sc_pf_measure m;
			memcpy(&m, p, sizeof(m));
			struct client *cl = client_of(&s, (uint64_t)starts << 32 | m.client);
			if (cl && m.kind == SC_PF_RTT)
				push(&cl->rtt, m.value_ns / 1e6);
			else if (cl && m.kind == SC_PF_INPUT_DISPLAY)
				push(&cl->input, m.value_ns / 1e6);
			seen_ns(&s, m.time_ns);
			break;
		}
		case SC_PF_END:
			memcpy(&s.end, p, sizeof(s.end));
			s.have_end = true;
			seen_ns(&s, s.end.time_ns);
			break;
		}
		off += sizeof(r) + r.length;
	}
	if (!s.meta) {
		fail(err, errlen, "no records after the header: an empty profile");
		goto bad;
	}
	json_t *counts = json_object();
	for (int t = 1; t <= SC_PF_TYPES; t++)
		json_object_set_new(counts, type_names[t], json_integer((json_int_t)s.counts[t]));
	json_t *clients = json_array();
	if (s.n_clients > 1) /* qsort(NULL, 0) is undefined: a profile with no clients */
		qsort(s.clients, s.n_clients, sizeof(*s.clients), cmp_client);
	for (size_t i = 0; i < s.n_clients; i++) {
		struct client *c = &s.clients[i];
		json_array_append_new(clients, json_pack(
			"{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:b,s:o,s:o}", "client", (int)(c->key & 0xffffffffu), "player",
			c->last.player, "records", (json_int_t)c->records, "frames_sent", (json_int_t)c->last.frames_sent,
			"frames_dropped", (json_int_t)c->last.frames_dropped, "bytes_sent", (json_int_t)c->last.bytes_sent,
			"bytes_dropped", (json_int_t)c->last.bytes_dropped, "left", c->last.left != 0, "rtt_ms",
			metric(&c->rtt), "input_to_display_ms", metric(&c->input)));
	}
	json_t *hot = hottest(&s.role[0]);
	json_t *metrics = json_pack("{s:o,s:o,s:o,s:o}", "primary", role_json(&s.role[0], true), "shadow",
	                            role_json(&s.role[1], false), "encode_ms", metric(&s.encode), "encoded_bytes",
	                            metric(&s.bytes));
	json_t *out = json_pack(
		"{s:i,s:I,s:b,s:b,s:I,s:i,s:f,s:o,s:I,s:O,s:{s:I,s:I,s:I,s:i,s:i},s:o,s:o,s:O,s:O,s:o,s:O}", "version",
		h.version, "bytes", (json_int_t)len, "complete", s.have_end, "limit_reached",
		s.have_end && s.end.limit_reached, "max_bytes", (json_int_t)h.max_bytes, "encoder_starts", starts,
		"duration_s", s.last_ns > h.start_mono_ns ? (s.last_ns - h.start_mono_ns) / 1e9 : 0.0, "records", counts,
		"records_dropped", (json_int_t)(s.have_end ? s.end.records_dropped : 0), "meta", s.meta, "samples",
		"primary", (json_int_t)s.samples[0], "shadow0", (json_int_t)s.samples[1], "shadow1",
		(json_int_t)s.samples[2], "first_tick", s.first_tick, "last_tick", s.last_tick, "metrics", metrics,
		"hottest_passes", hot, "incidents", s.incidents, "conditions", s.conditions, "clients", clients,
		"game_meta", s.game_meta);
	free_summary(&s);
	if (!out)
		fail(err, errlen, "out of memory");
	return out;
bad:
	free_summary(&s);
	return NULL;
}

/* --- the table ----------------------------------------------------------------- */

static void row(FILE *out, const char *name, const json_t *m)
{
	if (!json_integer_value(json_object_get(m, "count"))) {
		fprintf(out, "  %-22s %9d %10s %10s %10s\n", name, 0, "-", "-", "-");
		return;
	}
	fprintf(out, "  %-22s %9lld %10.3f %10.3f %10.3f\n", name,
	        (long long)json_integer_value(json_object_get(m, "count")),
	        json_number_value(json_object_get(m, "p50")), json_number_value(json_object_get(m, "p99")),
	        json_number_value(json_object_get(m, "max")));
}

void sc_profile_print_table(FILE *out, const json_t *s)
{
	const json_t *smp = json_object_get(s, "samples"), *m = json_object_get(s, "metrics");
	fprintf(out, "profile: %.1f s, %lld bytes%s%s, %lld records dropped, %lld encoder start(s)\n",
	        json_number_value(json_object_get(s, "duration_s")), (long long)json_integer_value(json_object_get(s, "bytes")),
	        json_is_true(json_object_get(s, "complete")) ? "" : ", not closed (no END record)",
	        json_is_true(json_object_get(s, "limit_reached")) ? ", size limit reached" : "",
	        (long long)json_integer_value(json_object_get(s, "records_dropped")),
	        (long long)json_integer_value(json_object_get(s, "encoder_starts")));
	fprintf(out, "samples: primary %lld (ticks %lld..%lld), shadow0 %lld, shadow1 %lld\n\n",
	        (long long)json_integer_value(json_object_get(smp, "primary")),
	        (long long)json_integer_value(json_object_get(smp, "first_tick")),
	        (long long)json_integer_value(json_object_get(smp, "last_tick")),
	        (long long)json_integer_value(json_object_get(smp, "shadow0")),
	        (long long)json_integer_value(json_object_get(smp, "shadow1")));
	const json_t *gm = json_object_get(json_object_get(s, "game_meta"), "primary");
	if (json_object_size(gm)) {
		const char *key;
		const json_t *v;
		fprintf(out, "game metadata (primary, last values):");
		json_object_foreach((json_t *)gm, key, v)
			fprintf(out, " %s=%s", key, json_string_value(v));
		fprintf(out, "\n\n");
	}
	static const char *const roles[] = {"primary", "shadow"};
	for (int r = 0; r < 2; r++) {
		const json_t *x = json_object_get(m, roles[r]);
		fprintf(out, "%-24s %9s %10s %10s %10s\n", roles[r], "count", "p50", "p99", "max");
		static const char *const keys[] = {"frame_ms", "tick_ms", "cpu_ms", "gpu_ms"};
		for (int k = 0; k < 4; k++)
			row(out, keys[k], json_object_get(x, keys[k]));
		const char *name;
		const json_t *v;
		json_object_foreach((json_t *)json_object_get(x, "gpu_pass_ms"), name, v) {
			char label[40];
			snprintf(label, sizeof(label), "gpu %s_ms", name);
			row(out, label, v);
		}
		fputc('\n', out);
	}
	fprintf(out, "%-24s %9s %10s %10s %10s\n", "encoder", "count", "p50", "p99", "max");
	row(out, "encode_ms", json_object_get(m, "encode_ms"));
	row(out, "encoded_bytes", json_object_get(m, "encoded_bytes"));
	fprintf(out, "\nhottest passes (primary)   total ms   share    p50 ms    p99 ms\n");
	size_t i;
	const json_t *v;
	json_array_foreach((json_t *)json_object_get(s, "hottest_passes"), i, v)
		fprintf(out, "  %-22s %10.1f %6.1f%% %9.3f %9.3f\n", json_string_value(json_object_get(v, "pass")),
		        json_number_value(json_object_get(v, "total_ms")), 100 * json_number_value(json_object_get(v, "share")),
		        json_number_value(json_object_get(v, "p50_ms")), json_number_value(json_object_get(v, "p99_ms")));
	fprintf(out, "\nincidents: %zu\n", json_array_size(json_object_get(s, "incidents")));
	json_array_foreach((json_t *)json_object_get(s, "incidents"), i, v)
		fprintf(out, "  incident %lld: %s at tick %lld (detected at %lld, path %lld%s%s), %.1f s in\n",
		        (long long)json_integer_value(json_object_get(v, "incident")),
		        json_string_value(json_object_get(v, "detected")),
		        (long long)json_integer_value(json_object_get(v, "error_tick")),
		        (long long)json_integer_value(json_object_get(v, "detected_tick")),
		        (long long)json_integer_value(json_object_get(v, "path")),
		        json_is_string(json_object_get(v, "injected")) ? ", injected " : "",
		        json_is_string(json_object_get(v, "injected")) ? json_string_value(json_object_get(v, "injected")) : "",
		        json_number_value(json_object_get(v, "time_s")));
	fprintf(out, "\nconditions:\n");
	json_array_foreach((json_t *)json_object_get(s, "conditions"), i, v) {
		fprintf(out, "  %s (%s): %lld hits", json_string_value(json_object_get(v, "name")),
		        json_string_value(json_object_get(v, "condition")),
		        (long long)json_integer_value(json_object_get(v, "hits")));
		size_t k;
		const json_t *t;
		json_array_foreach((json_t *)json_object_get(v, "ticks"), k, t) {
			if (k == 10) {
				fprintf(out, " ...");
				break;
			}
			fprintf(out, "%s%lld", k ? ", " : " at ticks ", (long long)json_integer_value(t));
		}
		fputc('\n', out);
	}
	fprintf(out, "\nclients  player  frames sent  dropped   MB sent  MB dropped   rtt p50/p99 ms   input->display p50/p99 ms\n");
	json_array_foreach((json_t *)json_object_get(s, "clients"), i, v) {
		const json_t *rtt = json_object_get(v, "rtt_ms"), *in = json_object_get(v, "input_to_display_ms");
		fprintf(out, "  %5lld  %6lld  %11lld %8lld %9.2f %11.2f   %6.2f / %6.2f   %6.1f / %6.1f\n",
		        (long long)json_integer_value(json_object_get(v, "client")),
		        (long long)json_integer_value(json_object_get(v, "player")),
		        (long long)json_integer_value(json_object_get(v, "frames_sent")),
		        (long long)json_integer_value(json_object_get(v, "frames_dropped")),
		        json_integer_value(json_object_get(v, "bytes_sent")) / 1e6,
		        json_integer_value(json_object_get(v, "bytes_dropped")) / 1e6,
		        json_number_value(json_object_get(rtt, "p50")), json_number_value(json_object_get(rtt, "p99")),
		        json_number_value(json_object_get(in, "p50")), json_number_value(json_object_get(in, "p99")));
	}
}
