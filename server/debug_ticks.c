/* GET /api/v1/ticks?from=T&count=N (or ?record_from=S&count=N, by record
 * sequence, superseded records included): the primary's published tick records
 * (the shared tick log) with the inputs each applied and dropped (the input
 * log, the dropped-inputs ring), for a checker that compares acks, inputs and
 * hashes (docs/protocol.md, Debug API). Both logs are read as an observer
 * (sc_input_log_observe): no reader slot, so this never holds a writer back;
 * a record or input the writer no longer keeps is reported as such. Every
 * value read from shared memory is range-checked before it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/debug_api.h"
#include "server/input_drops.h"

#define TICK_INPUTS_MAX 1024u /* a record's seq range longer than this is impossible */

bool sc_debug_parse_ticks_query(const char *query, struct sc_ticks_query *out, char *err, size_t errlen)
{
	bool have_from = false, have_record = false, have_count = false;
	const char *q = query ? query : "";
	*out = (struct sc_ticks_query){0};
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t klen = eq ? (size_t)(eq - q) : len;
		uint64_t v = 0;
		size_t digits = 0;
		for (const char *d = eq ? eq + 1 : q + len; d < q + len; d++, digits++) {
			if (*d < '0' || *d > '9' || v > (UINT64_MAX >> 1) / 10) {
				digits = 0;
				break;
			}
			v = v * 10 + (uint64_t)(*d - '0');
		}
		bool is_from = klen == 4 && strncmp(q, "from", 4) == 0;
		bool is_record = klen == 11 && strncmp(q, "record_from", 11) == 0;
		bool is_count = klen == 5 && strncmp(q, "count", 5) == 0;
		if (len && !is_from && !is_record && !is_count) {
			snprintf(err, errlen, "unknown query parameter '%.*s' (from, record_from, count)",
			         (int)(klen < 40 ? klen : 40), q);
			return false;
		}
		/* ticks and counts are 32-bit; a record sequence below 2^63 */
		uint64_t max = is_record ? (UINT64_MAX >> 1) : UINT32_MAX;
		if (len && (!eq || digits == 0 || digits > 19 || v > max)) {
			snprintf(err, errlen, "%s must be a non-negative integer below 2^%d",
			         is_from ? "from" : is_record ? "record_from" : "count", is_record ? 63 : 32);
			return false;
		}
		if (is_from) {
			out->from = v;
			have_from = true;
		} else if (is_record) {
			out->from = v;
			have_record = true;
		} else if (is_count) {
			out->count = (uint32_t)v;
			have_count = true;
		}
		q += len + (amp ? 1 : 0);
	}
	if (have_from == have_record || !have_count) {
		snprintf(err, errlen, "give from=TICK (or record_from=SEQ) and count=N (1..%u)", SC_DEBUG_TICKS_MAX);
		return false;
	}
	if (out->count == 0 || out->count > SC_DEBUG_TICKS_MAX) {
		snprintf(err, errlen, "count %u out of range: 1..%u", out->count, SC_DEBUG_TICKS_MAX);
		return false;
	}
	out->by_record = have_record;
	return true;
}

static const char *action_name(uint8_t action)
{
	switch (action) {
	case SC_INPUT_MOVE: return "move";
	case SC_INPUT_SHOOT: return "shoot";
	case SC_INPUT_BLOCK: return "block";
	case SC_INPUT_FAULT: return "fault";
	case SC_INPUT_JOIN: return "join";
	case SC_INPUT_LEAVE: return "leave";
	case SC_INPUT_SPECTATORS: return "spectators";
	default: return "unknown";
	}
}

/* The newest record of each requested tick: after a restore the restored
 * primary runs on from the held tick, so a tick the faulted primary had
 * published is published again, and the later record is the match's. */
struct tick_pick {
	bool have;
	bool by_record; /* ?record_from=: superseded is not counted (null) */
	uint64_t record_seq;
	uint32_t superseded;
	struct sc_tick_record r;
};

struct scan {
	bool any;
	uint32_t oldest, newest; /* lowest and highest tick held */
	uint64_t records;
};

/* Reads the tick log newest first; false (and res set) on a corrupt log. */
static bool scan_ticks(struct sc_debug_api *api, uint32_t from, uint32_t count, struct tick_pick *picks,
                       struct scan *sc, struct sc_http_response *res)
{
	const struct sc_input_log *tl = api->tick_log;
	uint64_t tail = sc_input_log_tail(tl);
	uint64_t lo = tail > tl->capacity ? tail - tl->capacity : 0;
	*sc = (struct scan){.oldest = UINT32_MAX};
	for (uint64_t rseq = tail; rseq-- > lo;) {
		struct sc_tick_record r;
		enum sc_input_log_observed o = sc_input_log_observe(tl, rseq, &r);
		if (o == SC_OBSERVE_GONE)
			break; /* overwritten oldest first: everything older is gone too */
		if (o == SC_OBSERVE_CORRUPT) {
			sc_debug_error(res, 500, "the tick log's control words are impossible (%s)",
			               sc_input_log_observed_str(o));
			return false;
		}
		if (o != SC_OBSERVE_OK)
			continue;
		sc->any = true;
		sc->records++;
		if (r.tick < sc->oldest)
			sc->oldest = r.tick;
		if (r.tick > sc->newest)
			sc->newest = r.tick;
		if (r.tick < from || r.tick - from >= count)
			continue;
		struct tick_pick *p = &picks[r.tick - from];
		if (p->have) {
			p->superseded++;
			continue;
		}
		p->have = true;
		p->record_seq = rseq;
		p->r = r;
	}
	return true;
}

static void input_json(struct sc_strbuf *sb, uint64_t seq, const struct sc_input_event *ev, const char *reason)
{
	sc_sb_printf(sb, "{\"seq\":%llu,\"player\":%u,\"action\":\"%s\",\"a\":%d,\"b\":%d", (unsigned long long)seq,
	             ev->player, action_name(ev->action), ev->a, ev->b);
	if (reason)
		sc_sb_printf(sb, ",\"reason\":\"%s\"", reason);
	sc_sb_printf(sb, "}");
}

static const struct sc_input_drop *find_drop(const struct sc_input_drop *d, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].log_seq == seq)
			return &d[i];
	return NULL;
}

/* Which seqs of [begin, end) the record applied and which a restore dropped;
 * false + why when that can no longer be told or the record is impossible. */
static bool record_drops(struct sc_debug_api *api, const struct sc_tick_record *r, struct sc_input_drop *drops,
                         size_t *n_drops, char *why, size_t len)
{
	*n_drops = 0;
	if (r->seq_end < r->seq_begin || r->seq_end - r->seq_begin > TICK_INPUTS_MAX ||
	    r->n_inputs > r->seq_end - r->seq_begin) {
		snprintf(why, len, "impossible record: inputs %llu..%llu, %u applied", (unsigned long long)r->seq_begin,
		         (unsigned long long)r->seq_end, r->n_inputs);
		return false;
	}
	uint64_t want = r->seq_end - r->seq_begin - r->n_inputs;
	if (want == 0)
		return true;
	size_t n = want < SC_INPUT_DROPS_RING ? sc_input_drops_find(api->session, r->seq_begin, r->seq_end, drops,
	                                                            SC_INPUT_DROPS_RING) : 0;
	for (size_t i = 0; i < n; i++)
		if (find_drop(drops, i, drops[i].log_seq))
			n = 0; /* the same seq twice: not a ring a primary wrote */
	if (n != want) {
		snprintf(why, len, "%llu of its inputs were dropped on a restore, and the drop ring no longer says which",
		         (unsigned long long)want);
		return false;
	}
	*n_drops = n;
	return true;
}

static void record_json(struct sc_debug_api *api, const struct tick_pick *p, struct sc_strbuf *sb)
{
	const struct sc_tick_record *r = &p->r;
	sc_sb_printf(sb, "{\"tick\":%u,\"record_seq\":%llu,\"hash\":\"0x%016llx\",\"done_ns\":%llu,\"seq_begin\":%llu,"
	             "\"seq_end\":%llu,\"n_inputs\":%u,", r->tick, (unsigned long long)p->record_seq,
	             (unsigned long long)r->hash, (unsigned long long)r->done_ns, (unsigned long long)r->seq_begin,
	             (unsigned long long)r->seq_end, r->n_inputs);
	if (p->by_record)
		sc_sb_printf(sb, "\"superseded\":null,");
	else
		sc_sb_printf(sb, "\"superseded\":%u,", p->superseded);
	sc_sb_printf(sb, "\"audio_hash\":\"0x%08x\",", r->audio_hash);
	struct sc_input_drop drops[SC_INPUT_DROPS_RING];
	size_t n_drops;
	char why[200];
	if (!record_drops(api, r, drops, &n_drops, why, sizeof(why))) {
		sc_sb_printf(sb, "\"inputs\":null,\"dropped\":null,\"inputs_error\":");
		sc_sb_json_str(sb, why);
		sc_sb_printf(sb, "}");
		return;
	}
	/* copy every input first: one the input log no longer holds spoils the lot */
	struct sc_input_event ev[TICK_INPUTS_MAX];
	uint64_t n = r->seq_end - r->seq_begin;
	for (uint64_t i = 0; i < n; i++) {
		enum sc_input_log_observed o = sc_input_log_observe(api->input_log, r->seq_begin + i, &ev[i]);
		if (o != SC_OBSERVE_OK) {
			snprintf(why, sizeof(why), "input seq %llu: %s (the input log keeps the last %llu inputs)",
			         (unsigned long long)(r->seq_begin + i), sc_input_log_observed_str(o),
			         (unsigned long long)api->input_log->capacity);
			sc_sb_printf(sb, "\"inputs\":null,\"dropped\":null,\"inputs_error\":");
			sc_sb_json_str(sb, why);
			sc_sb_printf(sb, "}");
			return;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		sc_sb_printf(sb, pass ? ",\"dropped\":[" : "\"inputs\":[");
		bool first = true;
		for (uint64_t i = 0; i < n; i++) {
			const struct sc_input_drop *d = find_drop(drops, n_drops, r->seq_begin + i);
			if ((d != NULL) != (pass == 1))
				continue;
			if (!first)
				sc_sb_printf(sb, ",");
			first = false;
			input_json(sb, r->seq_begin + i, &ev[i], d ? sc_input_drop_reason_name(d->reason) : NULL);
		}
		sc_sb_printf(sb, "]");
	}
	sc_sb_printf(sb, "}");
}

/* ?record_from=S&count=N: the held records S..S+N-1 in publication order,
 * superseded or not, so a checker can read every record of a match that a
 * new match (tick numbers from 0 again) has since shadowed in ?from=. */
static void records_get(struct sc_debug_api *api, uint64_t from, uint32_t count, struct sc_http_response *res)
{
	const struct sc_input_log *tl = api->tick_log;
	uint64_t tail = sc_input_log_tail(tl);
	uint64_t lo = tail > tl->capacity ? tail - tl->capacity : 0;
	if (tail == 0) {
		sc_debug_error(res, 404, "the primary has published no tick record yet");
		return;
	}
	if (from >= tail) {
		sc_debug_error(res, 404, "record %llu is not published yet: the newest is record %llu",
		               (unsigned long long)from, (unsigned long long)(tail - 1));
		return;
	}
	if (from < lo) {
		sc_debug_error(res, 410, "record %llu is no longer in the tick log: it holds records %llu..%llu; ask "
		               "record_from=%llu", (unsigned long long)from, (unsigned long long)lo,
		               (unsigned long long)(tail - 1), (unsigned long long)lo);
		return;
	}
	uint64_t end = tail - from > count ? from + count : tail;
	struct sc_strbuf sb = {0};
	sc_sb_printf(&sb, "{\"record_from\":%llu,\"count\":%u,\"oldest_record\":%llu,\"newest_record\":%llu,"
	             "\"next_tick\":%u,\"inputs_dropped\":%llu,\"records\":[", (unsigned long long)from, count,
	             (unsigned long long)lo, (unsigned long long)(tail - 1), atomic_load(&api->session->next_tick),
	             (unsigned long long)atomic_load(&api->session->inputs_dropped));
	bool first = true;
	uint64_t gone_from = end;
	for (uint64_t rseq = from; rseq < end; rseq++) {
		struct tick_pick p = {.have = true, .by_record = true, .record_seq = rseq};
		enum sc_input_log_observed o = sc_input_log_observe(tl, rseq, &p.r);
		if (o == SC_OBSERVE_CORRUPT) {
			sc_sb_free(&sb);
			sc_debug_error(res, 500, "the tick log's control words are impossible (%s)",
			               sc_input_log_observed_str(o));
			return;
		}
		if (o != SC_OBSERVE_OK) {
			/* overwritten while this answer was made: the records after it
			 * are newer still, but the answer stays a run without holes */
			gone_from = rseq;
			break;
		}
		if (!first)
			sc_sb_printf(&sb, ",");
		first = false;
		record_json(api, &p, &sb);
	}
	/* "overtaken": the first record of the range the writer overwrote while read (null: none) */
	if (gone_from < end)
		sc_sb_printf(&sb, "],\"overtaken\":%llu}\n", (unsigned long long)gone_from);
	else
		sc_sb_printf(&sb, "],\"overtaken\":null}\n");
	sc_debug_json(res, 200, &sb);
}

void sc_debug_ticks_get(struct sc_debug_api *api, const char *query, struct sc_http_response *res)
{
	struct sc_ticks_query tq;
	char err[160];
	if (!sc_debug_parse_ticks_query(query, &tq, err, sizeof(err))) {
		sc_debug_error(res, 400, "%s", err);
		return;
	}
	if (!api->tick_log) {
		sc_debug_error(res, 503, "this process has no view of the tick log");
		return;
	}
	if (tq.by_record) {
		records_get(api, tq.from, tq.count, res);
		return;
	}
	uint32_t from = (uint32_t)tq.from, count = tq.count;
	struct tick_pick *picks = calloc(count, sizeof(*picks));
	if (!picks) {
		sc_debug_error(res, 500, "out of memory");
		return;
	}
	struct scan sc;
	if (!scan_ticks(api, from, count, picks, &sc, res))
		goto out;
	if (!sc.any) {
		sc_debug_error(res, 404, "the primary has published no tick record yet");
		goto out;
	}
	if (from < sc.oldest) {
		sc_debug_error(res, 410, "tick %u is no longer in the tick log: it holds ticks %u..%u (its last %llu "
		               "records); ask from=%u", from, sc.oldest, sc.newest, (unsigned long long)sc.records,
		               sc.oldest);
		goto out;
	}
	if (from > sc.newest) {
		sc_debug_error(res, 404, "tick %u is not published yet: the newest tick record is tick %u", from, sc.newest);
		goto out;
	}
	struct sc_strbuf sb = {0};
	sc_sb_printf(&sb, "{\"from\":%u,\"count\":%u,\"oldest_tick\":%u,\"newest_tick\":%u,\"next_tick\":%u,"
	             "\"inputs_dropped\":%llu,\"records\":[", from, count, sc.oldest, sc.newest,
	             atomic_load(&api->session->next_tick), (unsigned long long)atomic_load(&api->session->inputs_dropped));
	bool first = true;
	for (uint32_t i = 0; i < count; i++) {
		if (!picks[i].have)
			continue;
		if (!first)
			sc_sb_printf(&sb, ",");
		first = false;
		record_json(api, &picks[i], &sb);
	}
	sc_sb_printf(&sb, "],\"missing\":[");
	first = true;
	for (uint32_t i = 0; i < count && from + i <= sc.newest; i++) {
		if (picks[i].have)
			continue;
		sc_sb_printf(&sb, "%s%u", first ? "" : ",", from + i);
		first = false;
	}
	sc_sb_printf(&sb, "]}\n");
	sc_debug_json(res, 200, &sb);
out:
	free(picks);
}
