/* Unit tests of the debug API's pure pieces: the bearer token check, capture
 * name checks, delay / inject bodies, ?slot=, ?from=&count=, capture archives
 * (libarchive ustar: layout, header checksums, sizes, padding, end marker,
 * the size known before the first byte and exact, written in steps; the size
 * cap, names ustar cannot hold, nesting, a file that shrank), status's
 * manifest summary, and GET
 * /api/v1/ticks over in-memory tick and input logs: applied and dropped
 * inputs per record, the newest record of a re-run tick, 410 for ticks the
 * log no longer holds, 404 for ticks not published yet, impossible records;
 * a shadow command's answer from the mailbox's result fields (reproduced,
 * step_dir), never from the words of the shadow's message. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/capture_summary.h"
#include "server/capture_tar.h"
#include "server/debug_api.h"
#include "server/input_drops.h"

#include "tests/lib/check.h"
#define assert(c) check(c) /* also in release builds */

static unsigned checksum(const unsigned char *h)
{
	unsigned s = 0;
	for (int i = 0; i < 512; i++)
		s += (i >= 148 && i < 156) ? ' ' : h[i];
	return s;
}

static void test_token(void)
{
	assert(sc_debug_token_ok("Bearer abc123", "abc123"));
	assert(sc_debug_token_ok("bearer abc123", "abc123"));
	assert(sc_debug_token_ok("Bearer  abc123 ", "abc123"));
	assert(!sc_debug_token_ok("Bearer abc12", "abc123"));
	assert(!sc_debug_token_ok("Bearer abc1234", "abc123"));
	assert(!sc_debug_token_ok("Basic abc123", "abc123"));
	assert(!sc_debug_token_ok("", "abc123"));
	assert(!sc_debug_token_ok("Bearer ", ""));
	assert(!sc_debug_token_ok(NULL, "abc123"));
}

static void test_names(void)
{
	assert(sc_debug_name_ok("incident-1-tick-812", 19));
	assert(sc_debug_name_ok("frame.png", 9));
	assert(!sc_debug_name_ok("..", 2));
	assert(!sc_debug_name_ok(".", 1));
	assert(!sc_debug_name_ok("a/b", 3));
	assert(!sc_debug_name_ok("", 0));
	assert(!sc_debug_name_ok("a b", 3));
	assert(!sc_debug_name_ok("%2e", 3));
}

static void test_bodies(void)
{
	int64_t t;
	uint32_t k;
	char err[160];
	assert(sc_debug_parse_delay("{\"ticks\": 90}", 60, &t, err, sizeof(err)) && t == 90);
	assert(sc_debug_parse_delay("{\"ms\": 500}", 60, &t, err, sizeof(err)) && t == 30);
	assert(sc_debug_parse_delay("{\"ms\": 1}", 60, &t, err, sizeof(err)) && t == 1); /* rounded up */
	assert(!sc_debug_parse_delay("{\"ticks\": -1}", 60, &t, err, sizeof(err)));
	assert(sc_debug_parse_delay("{\"ticks\": 0}", 60, &t, err, sizeof(err)) && t == 0);
	assert(sc_debug_parse_delay("{\"ticks\": 36000}", 60, &t, err, sizeof(err)) && t == 36000);
	assert(!sc_debug_parse_delay("{\"ticks\": 36001}", 60, &t, err, sizeof(err)) && strstr(err, "0..36000"));
	assert(!sc_debug_parse_delay("{\"ms\": 600001}", 60, &t, err, sizeof(err)) && strstr(err, "36000 ticks"));
	assert(!sc_debug_parse_delay("{\"weeks\": 1}", 60, &t, err, sizeof(err)));
	assert(!sc_debug_parse_delay("90t", 60, &t, err, sizeof(err)) && strstr(err, "JSON object"));
	assert(sc_debug_parse_inject("{\"kind\":\"device-lost\"}", &k, err, sizeof(err)) && k == 6);
	assert(!sc_debug_parse_inject("{\"kind\":\"boom\"}", &k, err, sizeof(err)) && strstr(err, "boom"));
	assert(!sc_debug_parse_inject("{}", &k, err, sizeof(err)));
	/* a key nested in an object is not the body's key; the body is one whole object */
	assert(!sc_debug_parse_delay("{\"x\": {\"ticks\": 90}}", 60, &t, err, sizeof(err)));
	assert(!sc_debug_parse_delay("{\"ticks\": 90", 60, &t, err, sizeof(err)) && strstr(err, "JSON object"));
	assert(!sc_debug_parse_delay("{\"ticks\": 1.5}", 60, &t, err, sizeof(err)));
	assert(!sc_debug_parse_inject("{\"x\": {\"kind\": \"assert\"}}", &k, err, sizeof(err)));
	assert(sc_debug_parse_inject("{\"note\": \"\\\"kind\\\": x\", \"kind\": \"hang\"}", &k, err, sizeof(err)) && k == 3);
	assert(sc_debug_query_slot("") == -1);
	assert(sc_debug_query_slot("slot=1") == 1);
	assert(sc_debug_query_slot("x=2&slot=0") == 0);
	assert(sc_debug_query_slot("slot=2") == -2);
	assert(sc_debug_query_slot("slot=01") == -2);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
}

static bool to_strbuf(void *ud, const void *data, size_t len)
{
	sc_sb_append(ud, data, len);
	return !((struct sc_strbuf *)ud)->failed;
}

/* The whole archive of dir in steps of budget bytes; its size said up front. */
static void archive(const char *dir, size_t budget, struct sc_strbuf *sb, int *steps)
{
	struct sc_capture_tar *t;
	char err[256];
	assert(sc_capture_tar_open(dir, "cap", 1u << 30, to_strbuf, sb, &t, err, sizeof(err)) == SC_CAPTURE_TAR_OK);
	uint64_t size = sc_capture_tar_size(t);
	int r;
	*steps = 0;
	while ((r = sc_capture_tar_step(t, budget, err, sizeof(err))) == 1)
		(*steps)++;
	assert(r == 0);
	assert(sb->len == size);
	sc_capture_tar_close(t);
}

static const unsigned char *entry(const struct sc_strbuf *sb, size_t *off, const char *name, char type,
                                  size_t size)
{
	const unsigned char *h = (const unsigned char *)sb->buf + *off;
	assert(*off + 512 <= sb->len);
	if (strcmp((const char *)h, name) != 0) {
		fprintf(stderr, "entry at %zu is '%.100s', expected '%s'\n", *off, (const char *)h, name);
		exit(1);
	}
	assert(h[156] == (unsigned char)type);
	assert(memcmp(h + 257, "ustar", 6) == 0 && memcmp(h + 263, "00", 2) == 0);
	assert(strtoul((const char *)h + 124, NULL, 8) == size);
	assert(strtoul((const char *)h + 148, NULL, 8) == checksum(h));
	assert(strcmp((const char *)h + 265, "shadowcast") == 0);
	*off += 512 + (size + 511) / 512 * 512;
	return h + 512;
}

static void test_tar(void)
{
	char root[] = "/tmp/sc-test-tar-XXXXXX", p[1024];
	assert(mkdtemp(root));
	char dir[200];
	snprintf(dir, sizeof(dir), "%s/cap", root);
	assert(mkdir(dir, 0755) == 0);
	snprintf(p, sizeof(p), "%s/manifest.json", dir);
	write_file(p, "{\"a\":1}\n", 8);
	snprintf(p, sizeof(p), "%s/empty", dir);
	write_file(p, "", 0);
	snprintf(p, sizeof(p), "%s/.hidden", dir);
	write_file(p, "x", 1);
	static unsigned char big[200001];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + i / 251);
	snprintf(p, sizeof(p), "%s/big", dir);
	write_file(p, big, sizeof(big));
	snprintf(p, sizeof(p), "%s/link", dir);
	assert(symlink("big", p) == 0);
	snprintf(p, sizeof(p), "%s/step-1", dir);
	assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/step-1/frame.png", dir);
	write_file(p, "\x89PNG", 4);

	/* in small steps and in one: the same bytes */
	struct sc_strbuf a = {0}, b = {0};
	int steps_a, steps_b;
	archive(dir, 4096, &a, &steps_a);
	archive(dir, 1u << 30, &b, &steps_b);
	assert(steps_a > 40 && steps_b <= 1);
	assert(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);

	/* sorted, a directory before what it holds; no dot files, no symlinks */
	size_t off = 0;
	entry(&a, &off, "cap/", '5', 0);
	const unsigned char *d = entry(&a, &off, "cap/big", '0', sizeof(big));
	assert(memcmp(d, big, sizeof(big)) == 0);
	for (size_t i = sizeof(big); i % 512; i++)
		assert(d[i] == 0);
	entry(&a, &off, "cap/empty", '0', 0);
	d = entry(&a, &off, "cap/manifest.json", '0', 8);
	assert(memcmp(d, "{\"a\":1}\n", 8) == 0 && d[8] == 0);
	entry(&a, &off, "cap/step-1/", '5', 0);
	entry(&a, &off, "cap/step-1/frame.png", '0', 4);
	/* the end: two zero blocks, nothing after them */
	assert(off + 1024 == a.len);
	for (size_t i = off; i < a.len; i++)
		assert(a.buf[i] == 0);
	sc_sb_free(&a);
	sc_sb_free(&b);

	/* over the size cap: refused before anything is written */
	struct sc_capture_tar *t;
	char err[256];
	struct sc_strbuf c = {0};
	assert(sc_capture_tar_open(dir, "cap", 100000, to_strbuf, &c, &t, err, sizeof(err)) == SC_CAPTURE_TAR_TOO_BIG);
	assert(strstr(err, "over the limit") && c.len == 0);
	/* the data fits, the headers do not */
	assert(sc_capture_tar_open(dir, "cap", sizeof(big) + 13, to_strbuf, &c, &t, err, sizeof(err)) ==
	       SC_CAPTURE_TAR_TOO_BIG);
	assert(strstr(err, "the archive would be") && c.len == 0);

	/* a file that shrank after the listing: the step fails, no made-up bytes */
	assert(sc_capture_tar_open(dir, "cap", 1u << 30, to_strbuf, &c, &t, err, sizeof(err)) == SC_CAPTURE_TAR_OK);
	snprintf(p, sizeof(p), "%s/big", dir);
	assert(truncate(p, 1000) == 0);
	int r;
	while ((r = sc_capture_tar_step(t, 4096, err, sizeof(err))) == 1)
		;
	assert(r == -1 && strstr(err, "shorter than when it was listed"));
	assert(c.len < sizeof(big));
	sc_capture_tar_close(t);
	sc_sb_free(&c);

	/* a name ustar cannot hold (no '/' to split it at within 100 bytes) */
	char longname[140];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(p, sizeof(p), "%s/%s", dir, longname);
	write_file(p, "x", 1);
	assert(sc_capture_tar_open(dir, "cap", 1u << 30, to_strbuf, &c, &t, err, sizeof(err)) == SC_CAPTURE_TAR_ERROR);
	assert(strstr(err, longname) && c.len == 0);
	assert(unlink(p) == 0);

	/* nested deeper than SC_CAPTURE_TAR_MAX_DEPTH */
	snprintf(p, sizeof(p), "%s/d1", dir);
	for (int i = 0; i < SC_CAPTURE_TAR_MAX_DEPTH + 1; i++) {
		assert(mkdir(p, 0755) == 0);
		strcat(p, "/dx");
	}
	assert(sc_capture_tar_open(dir, "cap", 1u << 30, to_strbuf, &c, &t, err, sizeof(err)) == SC_CAPTURE_TAR_ERROR);
	assert(strstr(err, "nested too deep"));
	sc_sb_free(&c);

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert(system(cmd) == 0);
}

static void test_summary(void)
{
	struct sc_strbuf sb = {0};
	sc_capture_summary_render(NULL, &sb);
	sc_capture_summary_render("{\"incident\": 0}", &sb);
	assert(sb.len == 8 && strcmp(sb.buf, "nullnull") == 0);
	sc_sb_free(&sb);
	/* the manifest's shape (docs/captures.md): keys under "fault" and "timestamps" */
	sc_capture_summary_render("{\"format\": 1, \"incident\": 3, \"fault\": {\"detected\": \"assert\", "
	                          "\"injected\": \"assert\", \"detection_path\": 724, \"detail\": \"held_tick 1\"}, "
	                          "\"primary_error_tick\": 90, \"held_tick\": 89, \"hashes_match\": true, "
	                          "\"timestamps\": {\"detected_ns\": 1000000, \"paused_ns\": 3500000}}",
	                          &sb);
	assert(strcmp(sb.buf, "{\"incident\":3,\"detected\":\"assert\",\"injected\":\"assert\",\"path\":724,"
	                      "\"error_tick\":90,\"held_tick\":89,\"detected_ns\":1000000,\"paused_ns\":3500000,"
	                      "\"detect_to_pause_ms\":2.500,\"hashes_match\":true}") == 0);
	sc_sb_free(&sb);
	/* hashes_match is read as a value, not found as text; a torn manifest is null */
	sc_capture_summary_render("{\"incident\": 3, \"fault\": {\"detail\": \"\\\"hashes_match\\\": true\"}, "
	                          "\"hashes_match\": false}", &sb);
	assert(strstr(sb.buf, "\"hashes_match\":false}"));
	sc_sb_free(&sb);
	sc_capture_summary_render("{\"incident\": 3, \"hashes_match\": true", &sb);
	assert(strcmp(sb.buf, "null") == 0);
	sc_sb_free(&sb);
}

static void test_ticks_query(void)
{
	struct sc_ticks_query q;
	char err[160];
	assert(sc_debug_parse_ticks_query("from=10&count=5", &q, err, sizeof(err)));
	assert(!q.by_record && q.from == 10 && q.count == 5);
	assert(sc_debug_parse_ticks_query("count=1024&from=0", &q, err, sizeof(err)));
	assert(q.from == 0 && q.count == 1024);
	assert(sc_debug_parse_ticks_query("from=4294967295&count=1", &q, err, sizeof(err)));
	assert(q.from == 4294967295u);
	assert(!sc_debug_parse_ticks_query("from=1&count=1025", &q, err, sizeof(err)));
	assert(strstr(err, "1..1024"));
	assert(!sc_debug_parse_ticks_query("from=1&count=0", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=4294967296&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=99999999999999999999999&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=-1&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=1x&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("from=1&count=1&slot=0", &q, err, sizeof(err)));
	/* by record sequence: 64-bit (below 2^63), never together with from */
	assert(sc_debug_parse_ticks_query("record_from=5000000000&count=3", &q, err, sizeof(err)));
	assert(q.by_record && q.from == 5000000000ull && q.count == 3);
	assert(sc_debug_parse_ticks_query("record_from=9223372036854775807&count=1", &q, err, sizeof(err)));
	assert(q.from == 9223372036854775807ull);
	assert(!sc_debug_parse_ticks_query("record_from=9223372036854775808&count=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("record_from=1&from=1&count=1", &q, err, sizeof(err)));
	assert(strstr(err, "record_from"));
	assert(!sc_debug_parse_ticks_query("record_from=1", &q, err, sizeof(err)));
	assert(!sc_debug_parse_ticks_query("record_from=1&count=1025", &q, err, sizeof(err)));
}

/* --- GET /api/v1/ticks over in-memory logs ---------------------------------- */

#define T_CAP 16

struct ticks_fixture {
	struct sc_session_shm *s;
	struct sc_input_log in, ticks;
	void *in_mem, *tick_mem;
	struct sc_debug_api api;
	struct sc_run_config cfg;
};

static void *aligned(size_t size)
{
	void *p = NULL;
	assert(posix_memalign(&p, 64, size) == 0);
	memset(p, 0, size);
	return p;
}

static void fixture_init(struct ticks_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->s = calloc(1, sizeof(*f->s));
	size_t in_size = sc_input_log_block_size(64, sizeof(struct sc_input_event));
	size_t tick_size = sc_input_log_block_size(T_CAP, sizeof(struct sc_tick_record));
	f->in_mem = aligned(in_size);
	f->tick_mem = aligned(tick_size);
	assert(f->s && sc_input_log_init(&f->in, f->in_mem, in_size, 64, sizeof(struct sc_input_event), 0));
	assert(sc_input_log_init(&f->ticks, f->tick_mem, tick_size, T_CAP, sizeof(struct sc_tick_record), 0));
	f->api = (struct sc_debug_api){.cfg = &f->cfg, .session = f->s, .input_log = &f->in, .tick_log = &f->ticks};
}

static void fixture_finish(struct ticks_fixture *f)
{
	free(f->s);
	free(f->in_mem);
	free(f->tick_mem);
}

static void add_input(struct ticks_fixture *f, uint8_t player, uint8_t action, int8_t a)
{
	struct sc_input_event ev = {.player = player, .action = action, .a = a, .b = -1};
	assert(sc_input_log_append(&f->in, &ev, NULL) == SC_RING_SUCCESS);
}

static void add_record(struct ticks_fixture *f, uint32_t tick, uint64_t begin, uint64_t end, uint32_t n)
{
	struct sc_tick_record r = {.tick = tick, .n_inputs = n, .seq_begin = begin, .seq_end = end,
	                           .hash = 0xabc0000000000000ull + tick, .done_ns = 1000 + tick};
	assert(sc_input_log_append(&f->ticks, &r, NULL) == SC_RING_SUCCESS);
}

static struct sc_http_response get_ticks(struct ticks_fixture *f, const char *query)
{
	struct sc_http_response res = {0};
	sc_debug_ticks_get(&f->api, query, &res);
	assert(res.body && res.len == strlen(res.body));
	return res;
}

static void test_ticks_endpoint(void)
{
	struct ticks_fixture f;
	fixture_init(&f);
	struct sc_http_response res = get_ticks(&f, "from=0&count=4");
	assert(res.status == 404 && strstr(res.body, "no tick record yet"));
	free(res.body);

	/* ticks 10, 11 (two inputs), 12 (faults here; the faulted primary's
	 * record is never published), then the restored primary re-runs 12
	 * dropping the FAULT input (seq 3) and applying the move (seq 4) */
	add_input(&f, 0, SC_INPUT_MOVE, 5);  /* seq 0: tick 10 */
	add_input(&f, 1, SC_INPUT_BLOCK, 1); /* seq 1: tick 11 */
	add_input(&f, 0, SC_INPUT_SHOOT, 0); /* seq 2: tick 11 */
	add_input(&f, 0, SC_INPUT_FAULT, SC_FAULT_ASSERT); /* seq 3: tick 12 */
	add_input(&f, 1, SC_INPUT_MOVE, -7); /* seq 4: tick 12 */
	add_record(&f, 10, 0, 1, 1);
	add_record(&f, 11, 1, 3, 2);
	add_record(&f, 12, 3, 5, 2);         /* (a primary that died after publishing 12) */
	sc_input_drops_publish(f.s, 3, 12, SC_INPUT_DROP_FAULT_INPUT);
	add_record(&f, 12, 3, 5, 1);         /* the restored primary's */
	add_record(&f, 13, 5, 5, 0);

	res = get_ticks(&f, "from=10&count=5");
	assert(res.status == 200);
	assert(strstr(res.body, "\"oldest_tick\":10,\"newest_tick\":13"));
	assert(strstr(res.body, "{\"tick\":10,\"record_seq\":0,\"hash\":\"0xabc000000000000a\",\"done_ns\":1010,"
	                        "\"seq_begin\":0,\"seq_end\":1,\"n_inputs\":1,\"superseded\":0,\"audio_hash\":\"0x00000000\","
	                        "\"inputs\":[{\"seq\":0,\"player\":0,\"action\":\"move\",\"a\":5,\"b\":-1}],"
	                        "\"dropped\":[]}"));
	assert(strstr(res.body, "\"inputs\":[{\"seq\":1,\"player\":1,\"action\":\"block\",\"a\":1,\"b\":-1},"
	                        "{\"seq\":2,\"player\":0,\"action\":\"shoot\",\"a\":0,\"b\":-1}]"));
	assert(strstr(res.body, "{\"tick\":12,\"record_seq\":3,"));
	assert(strstr(res.body, "\"n_inputs\":1,\"superseded\":1,\"audio_hash\":\"0x00000000\",\"inputs\":[{\"seq\":4,\"player\":1,"
	                        "\"action\":\"move\",\"a\":-7,\"b\":-1}],\"dropped\":[{\"seq\":3,\"player\":0,"
	                        "\"action\":\"fault\",\"a\":1,\"b\":-1,\"reason\":\"fault_input\"}]}"));
	assert(strstr(res.body, "{\"tick\":13,"));
	assert(strstr(res.body, "\"missing\":[]"));
	free(res.body);

	/* by record: the superseded record of tick 12 (record 2, the faulted
	 * primary's) is read too, in publication order, superseded null */
	res = get_ticks(&f, "record_from=1&count=3");
	assert(res.status == 200);
	assert(strstr(res.body, "{\"record_from\":1,\"count\":3,\"oldest_record\":0,\"newest_record\":4,"));
	assert(strstr(res.body, "[{\"tick\":11,\"record_seq\":1,"));
	assert(strstr(res.body, "{\"tick\":12,\"record_seq\":2,\"hash\":\"0xabc000000000000c\",\"done_ns\":1012,"
	                        "\"seq_begin\":3,\"seq_end\":5,\"n_inputs\":2,\"superseded\":null,"));
	assert(strstr(res.body, "{\"tick\":12,\"record_seq\":3,"));
	assert(!strstr(res.body, "\"record_seq\":4,") && !strstr(res.body, "\"record_seq\":0,"));
	assert(strstr(res.body, "\"overtaken\":null}"));
	free(res.body);
	res = get_ticks(&f, "record_from=4&count=1024");
	assert(res.status == 200 && strstr(res.body, "[{\"tick\":13,\"record_seq\":4,") &&
	       !strstr(res.body, "\"record_seq\":5"));
	free(res.body);
	res = get_ticks(&f, "record_from=5&count=1");
	assert(res.status == 404 && strstr(res.body, "record 5 is not published yet: the newest is record 4"));
	free(res.body);
	res = get_ticks(&f, "record_from=1&from=1&count=1");
	assert(res.status == 400);
	free(res.body);

	/* not published yet */
	res = get_ticks(&f, "from=14&count=2");
	assert(res.status == 404 && strstr(res.body, "tick 14 is not published yet"));
	free(res.body);
	/* a range past the newest: what is there */
	res = get_ticks(&f, "from=13&count=100");
	assert(res.status == 200 && strstr(res.body, "{\"tick\":13,") && !strstr(res.body, "{\"tick\":12,"));
	free(res.body);
	/* a bad query */
	res = get_ticks(&f, "from=1&count=2000");
	assert(res.status == 400);
	free(res.body);

	/* the tick log goes on (a gap at tick 20: records not published) and
	 * overwrites its oldest records: 410 with the oldest it still holds */
	for (uint32_t t = 14; t < 30; t++)
		if (t != 20)
			add_record(&f, t, 5, 5, 0);
	res = get_ticks(&f, "from=10&count=3");
	assert(res.status == 410);
	assert(strstr(res.body, "tick 10 is no longer in the tick log: it holds ticks 13..29 (its last 16 records)"));
	assert(strstr(res.body, "ask from=13"));
	free(res.body);
	/* 20 records published into 16: records 0..3 are gone */
	res = get_ticks(&f, "record_from=3&count=2");
	assert(res.status == 410 && strstr(res.body, "record 3 is no longer in the tick log: it holds records 4..19; "
	                                             "ask record_from=4"));
	free(res.body);
	res = get_ticks(&f, "from=18&count=4");
	assert(res.status == 200 && strstr(res.body, "\"missing\":[20]"));
	free(res.body);

	/* an impossible record: reported, not trusted, nothing read out of bounds */
	add_record(&f, 30, 9, 3, 0);          /* end before begin */
	add_record(&f, 31, 0, 100000, 1);     /* a range no tick can have */
	add_record(&f, 32, 0, 2, 1);          /* a drop the ring does not know */
	res = get_ticks(&f, "from=30&count=3");
	assert(res.status == 200);
	assert(strstr(res.body, "\"tick\":30,") && strstr(res.body, "impossible record: inputs 9..3"));
	assert(strstr(res.body, "impossible record: inputs 0..100000"));
	assert(strstr(res.body, "1 of its inputs were dropped on a restore, and the drop ring no longer says which"));
	free(res.body);

	/* inputs the input log no longer holds */
	for (int i = 0; i < 70; i++)
		add_input(&f, 0, SC_INPUT_MOVE, 1);
	res = get_ticks(&f, "from=30&count=1");
	assert(res.status == 200);
	free(res.body);
	add_record(&f, 33, 1, 3, 2);
	res = get_ticks(&f, "from=33&count=1");
	assert(res.status == 200 && strstr(res.body, "input seq 1: no longer held"));
	free(res.body);
	fixture_finish(&f);
}

static unsigned int request_as(struct ticks_fixture *f, const char *peer, const char *auth)
{
	struct sc_http_request req = {.method = "GET", .path = "/api/v1/ticks", .query = "from=0&count=1",
	                              .authorization = auth, .peer = peer, .body = ""};
	struct sc_http_response res = {.content_type = "application/json"};
	sc_debug_api_request(&f->api, &req, &res);
	assert(res.status && !res.pending);
	if (res.status == 429)
		assert(strstr(res.body, "too many wrong tokens") && strstr(res.body, "try again in"));
	free(res.body);
	return res.status;
}

/* Wrong tokens are rate limited per address through the real request path;
 * the limiter's window on an explicit clock. */
static void test_wrong_token_limit(void)
{
	struct ticks_fixture f;
	fixture_init(&f);
	f.api.api_token = "the-right-token-0123";
	/* the right token reaches the endpoint (404: no tick record yet) */
	assert(request_as(&f, "10.0.0.1", "Bearer the-right-token-0123") == 404);
	for (int i = 0; i < SC_AUTH_LIMIT_FAILURES; i++)
		assert(request_as(&f, "10.0.0.1", "Bearer guess") == 401);
	/* then 429 for that address, right token or not; a missing token does not count */
	assert(request_as(&f, "10.0.0.1", "Bearer the-right-token-0123") == 429);
	assert(request_as(&f, "10.0.0.1", "Bearer guess") == 429);
	/* other addresses are untouched */
	assert(request_as(&f, "10.0.0.2", "Bearer the-right-token-0123") == 404);
	for (int i = 0; i < 3 * SC_AUTH_LIMIT_FAILURES; i++)
		assert(request_as(&f, "10.0.0.3", "") == 401);
	assert(request_as(&f, "10.0.0.3", "Bearer the-right-token-0123") == 404);
	fixture_finish(&f);

	/* the window: SC_AUTH_LIMIT_FAILURES within it lock the rest of it */
	struct sc_auth_limit *l = malloc(sizeof(*l));
	assert(l);
	sc_auth_limit_init(l);
	const uint64_t s = 1000000000ull, t0 = 5 * s;
	for (int i = 0; i < SC_AUTH_LIMIT_FAILURES - 1; i++)
		sc_auth_limit_failed(l, "a", t0 + (uint64_t)i * s);
	assert(sc_auth_limit_wait_s(l, "a", t0 + 20 * s) == 0); /* one short */
	sc_auth_limit_failed(l, "a", t0 + 20 * s);
	assert(sc_auth_limit_wait_s(l, "a", t0 + 20 * s) == SC_AUTH_LIMIT_WINDOW_S - 20);
	assert(sc_auth_limit_wait_s(l, "a", t0 + (SC_AUTH_LIMIT_WINDOW_S - 1) * s) == 1);
	assert(sc_auth_limit_wait_s(l, "a", t0 + SC_AUTH_LIMIT_WINDOW_S * s) == 0);
	/* failures spread over more than a window never lock */
	sc_auth_limit_init(l);
	for (int i = 0; i < 5 * SC_AUTH_LIMIT_FAILURES; i++) {
		sc_auth_limit_failed(l, "b", t0 + (uint64_t)i * 7 * s);
		assert(sc_auth_limit_wait_s(l, "b", t0 + (uint64_t)i * 7 * s) == 0);
	}
	/* a full table: the least recently failing address gives way, the others keep their count */
	sc_auth_limit_init(l);
	for (int i = 0; i < SC_AUTH_LIMIT_FAILURES; i++)
		sc_auth_limit_failed(l, "locked", t0 + s);
	for (int i = 0; i < SC_AUTH_LIMIT_ADDRS + 10; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.1.%d.%d", i / 256, i % 256);
		sc_auth_limit_failed(l, a, t0 + 2 * s + (uint64_t)i);
	}
	assert(sc_auth_limit_wait_s(l, "locked", t0 + 3 * s) == 0); /* evicted: the oldest */
	sc_auth_limit_init(l);
	for (int i = 0; i < SC_AUTH_LIMIT_FAILURES; i++)
		sc_auth_limit_failed(l, "locked", t0 + 10 * s);
	for (int i = 0; i < SC_AUTH_LIMIT_ADDRS - 1; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.2.%d.%d", i / 256, i % 256);
		sc_auth_limit_failed(l, a, t0 + (uint64_t)i);
	}
	assert(sc_auth_limit_wait_s(l, "locked", t0 + 11 * s) > 0); /* the table had room */
	free(l);
}

/* --- a shadow command's answer, the shadow played by the test ---------------- */

/* Posts path to a paused shadow in slot 0, answers it as the shadow would
 * (result 0, this message and these result fields), returns the answer. */
static json_t *command_answer(struct ticks_fixture *f, const char *path, const char *message, bool reproduced,
                              const char *step_dir)
{
	struct sc_shadow_shm *m = &f->s->shadow;
	atomic_store(&m->pid, (int32_t)getpid());
	atomic_store(&m->state, SC_SHADOW_PAUSED);
	snprintf(m->capture_dir, sizeof(m->capture_dir), "/tmp/caps/incident-1-tick-90");
	struct sc_http_request req = {.method = "POST", .path = path, .query = "", .authorization = "Bearer t0k",
	                              .body = ""};
	struct sc_http_response res = {0};
	sc_debug_api_request(&f->api, &req, &res);
	assert(res.pending && res.status == 202);
	uint32_t seq = atomic_load(&m->cmd_seq);
	assert(seq == atomic_load(&m->done_seq) + 1);
	sc_debug_api_poll(&f->api, &res);
	assert(res.pending); /* not answered yet */
	m->result = 0;
	snprintf(m->message, sizeof(m->message), "%s", message);
	m->reproduced = reproduced;
	snprintf(m->step_dir, sizeof(m->step_dir), "%s", step_dir);
	atomic_store(&m->done_seq, seq);
	sc_debug_api_poll(&f->api, &res);
	assert(!res.pending && res.status == 200 && res.body);
	json_error_t err;
	json_t *a = json_loadb(res.body, res.len, 0, &err);
	if (!json_is_object(a)) {
		fprintf(stderr, "answer is not a JSON object (%s): %s\n", err.text, res.body);
		exit(1);
	}
	free(res.body);
	return a;
}

static void test_command_answer(void)
{
	struct ticks_fixture f;
	fixture_init(&f);
	f.api.api_token = "t0k";
	f.cfg.shadow = true;
	/* reproduced, and the step's directory, though the message has neither */
	json_t *a = command_answer(&f, "/api/v1/shadow/step-input", "step 2/3 of tick 90 (0 move 1 2): assert", true,
	                           "step-2");
	assert(json_is_true(json_object_get(a, "ok")));
	assert(json_is_true(json_object_get(a, "reproduced")));
	assert(json_is_string(json_object_get(a, "step_dir")) &&
	       strcmp(json_string_value(json_object_get(a, "step_dir")), "step-2") == 0);
	assert(strcmp(json_string_value(json_object_get(a, "message")), "step 2/3 of tick 90 (0 move 1 2): assert") == 0);
	json_decref(a);
	/* neither, though the message has the words and the path */
	a = command_answer(&f, "/api/v1/shadow/step-tick",
	                   "tick 90 run with its 3 inputs: reproduced: no; /tmp/caps/incident-1-tick-90/tick-90", false, "");
	assert(json_is_false(json_object_get(a, "reproduced")));
	assert(json_is_null(json_object_get(a, "step_dir")));
	json_decref(a);
	/* a step directory name the API would not serve is not passed on */
	a = command_answer(&f, "/api/v1/shadow/step-tick", "x", true, "../etc");
	assert(json_is_true(json_object_get(a, "reproduced")) && json_is_null(json_object_get(a, "step_dir")));
	json_decref(a);
	fixture_finish(&f);
}

int main(void)
{
	test_token();
	test_names();
	test_bodies();
	test_tar();
	test_summary();
	test_ticks_query();
	test_ticks_endpoint();
	test_wrong_token_limit();
	test_command_answer();
	printf("debug API unit tests passed\n");
	return 0;
}
