/* Unit tests of the debug API's pure pieces: the bearer token check, capture
 * name checks, delay / inject bodies, ?slot=, and the ustar writer (header
 * checksum, sizes, padding, end marker, size cap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/debug_api.h"
#include "server/tar_writer.h"

/* not assert(): the tests run in release builds (NDEBUG) too */
#define assert(c) \
	do { \
		if (!(c)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			exit(1); \
		} \
	} while (0)

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
	assert(!sc_debug_parse_delay("{\"weeks\": 1}", 60, &t, err, sizeof(err)));
	assert(!sc_debug_parse_delay("90t", 60, &t, err, sizeof(err)) && strstr(err, "JSON object"));
	assert(sc_debug_parse_inject("{\"kind\":\"device-lost\"}", &k, err, sizeof(err)) && k == 6);
	assert(!sc_debug_parse_inject("{\"kind\":\"boom\"}", &k, err, sizeof(err)) && strstr(err, "boom"));
	assert(!sc_debug_parse_inject("{}", &k, err, sizeof(err)));
	assert(sc_debug_query_slot("") == -1);
	assert(sc_debug_query_slot("slot=1") == 1);
	assert(sc_debug_query_slot("x=2&slot=0") == 0);
	assert(sc_debug_query_slot("slot=2") == -2);
	assert(sc_debug_query_slot("slot=01") == -2);
}

static void test_tar(void)
{
	struct sc_strbuf sb = {0};
	assert(sc_tar_add_dir(&sb, "cap", 0));
	assert(sc_tar_add_file(&sb, "cap/manifest.json", "{\"a\":1}\n", 8, 1700000000));
	assert(sc_tar_add_file(&sb, "cap/empty", "", 0, 0));
	assert(sc_tar_finish(&sb));
	assert(sb.len == 512 * 3 + 512 + 1024);
	const unsigned char *h = (const unsigned char *)sb.buf;
	assert(strcmp((const char *)h, "cap/") == 0 && h[156] == '5');
	h += 512;
	assert(strcmp((const char *)h, "cap/manifest.json") == 0 && h[156] == '0');
	assert(memcmp(h + 257, "ustar", 6) == 0 && memcmp(h + 263, "00", 2) == 0);
	assert(strtoul((const char *)h + 124, NULL, 8) == 8);
	assert(strtoul((const char *)h + 148, NULL, 8) == checksum(h));
	assert(memcmp(h + 512, "{\"a\":1}\n", 8) == 0 && h[520] == 0);
	for (size_t i = sb.len - 1024; i < sb.len; i++)
		assert(sb.buf[i] == 0);
	sc_sb_free(&sb);

	char longname[120];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	struct sc_strbuf sb2 = {0};
	assert(!sc_tar_add_file(&sb2, longname, "x", 1, 0)); /* over 100 bytes */
	sc_sb_free(&sb2);

	struct sc_strbuf capped = {.max = 1024};
	assert(!sc_tar_add_file(&capped, "big", longname, sizeof(longname), 0) || !sc_tar_finish(&capped));
	assert(capped.failed);
	sc_sb_free(&capped);
}

int main(void)
{
	test_token();
	test_names();
	test_bodies();
	test_tar();
	printf("debug API unit tests passed\n");
	return 0;
}
