/* util/json_escape and util/json_get: every byte 0x00..0xff through the one
 * escaper and back through jansson's parser; keys found by path, never at
 * another depth. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/check.h"
#include "util/json_escape.h"
#include "util/json_get.h"

/* The string the literal q parses back to (jansson, as a JSON value). */
static json_t *parse_literal(const char *q)
{
	json_error_t err;
	json_t *v = json_loads(q, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!json_is_string(v)) {
		fprintf(stderr, "does not parse as a string: %s (%s)\n", q, err.text);
		exit(1);
	}
	return v;
}

static bool round_trips(const char *s, size_t n)
{
	char *q = sc_json_quote(s, n);
	check(q);
	json_t *v = parse_literal(q);
	bool ok = json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
	json_decref(v);
	free(q);
	return ok;
}

static void test_every_byte(void)
{
	/* each byte alone between two letters: 0x00..0x7f (control characters,
	 * '"', '\\', 0x7f) come back exactly */
	for (unsigned b = 0; b < 0x80; b++) {
		char s[3] = {'a', (char)b, 'z'};
		if (!round_trips(s, 3)) {
			fprintf(stderr, "byte 0x%02x does not round-trip\n", b);
			exit(1);
		}
	}
	/* bytes 0x80..0xff: as UTF-8 (U+0080..U+00FF are 0xc2/0xc3 + 0x80..0xbf)
	 * they come back exactly, all in one string too */
	char all[2 * 128];
	for (unsigned cp = 0x80; cp <= 0xff; cp++) {
		char s[2] = {(char)(0xc0 | (cp >> 6)), (char)(0x80 | (cp & 0x3f))};
		check(round_trips(s, 2));
		memcpy(all + 2 * (cp - 0x80), s, 2);
	}
	check(round_trips(all, sizeof(all)));
	/* every byte 0x01..0xff is a UTF-8 byte of some code point: 3 and 4 bytes */
	const char *multi = "\xe2\x82\xac \xef\xbf\xbf \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
	check(round_trips(multi, strlen(multi)));
	/* a byte >= 0x80 that is not UTF-8 (alone, overlong, a surrogate, past
	 * U+10FFFF, cut short) becomes U+FFFD: the output still parses */
	for (unsigned b = 0x80; b <= 0xff; b++) {
		char s[3] = {'a', (char)b, 'z'};
		char *q = sc_json_quote(s, 3);
		json_t *v = parse_literal(q);
		check(strcmp(json_string_value(v), "a\xef\xbf\xbdz") == 0);
		json_decref(v);
		free(q);
	}
	const char *bad[] = {"\xc0\x80", "\xed\xa0\x80", "\xf5\x80\x80\x80", "\xe2\x82"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *q = sc_json_quote(bad[i], strlen(bad[i]));
		json_t *v = parse_literal(q);
		check(strncmp(json_string_value(v), "\xef\xbf\xbd", 3) == 0);
		json_decref(v);
		free(q);
	}
}

static void test_one_spelling(void)
{
	/* what every writer now writes (the four escapers disagreed on these) */
	char *q = sc_json_quote("\"\\\n\r\t\x01\x7f/\xc3\xa9", 10);
	check(q && strcmp(q, "\"\\\"\\\\\\n\\r\\t\\u0001\x7f/\xc3\xa9\"") == 0);
	free(q);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sc_json_fput_str(f, "x \"width\": 5 \\ \n\t\x01 end");
	sc_json_fput_strn(f, "abcdef", 3);
	fclose(f);
	check(strcmp(buf, "\"x \\\"width\\\": 5 \\\\ \\n\\t\\u0001 end\"\"abc\"") == 0);
	free(buf);
}

static void test_get(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fputs("{\"a\": {\"detail\": ", f);
	sc_json_fput_str(f, "x \"width\": 5 \\ \n\t\x01 end");
	fputs(", \"width\": 320, \"neg\": -4, \"h\": \"0x00000000000000ff\", \"n\": null, \"r\": 1.5, \"t\": true}, "
	      "\"top\": 7}", f);
	fclose(f);
	json_t *o = sc_json_parse_object(buf, len);
	check(o);
	uint64_t u;
	int64_t i;
	bool b;
	char s[64];
	/* a key nested in an object is not a top-level key */
	check(!sc_json_get_u64(o, "width", &u));
	check(!sc_json_get_str(o, "detail", s, sizeof(s)));
	check(!sc_json_get_hex(o, "h", &u));
	check(sc_json_get_u64(o, "a.width", &u) && u == 320);
	check(sc_json_get_u64(o, "top", &u) && u == 7);
	check(!sc_json_get_u64(o, "a.top", &u));
	check(sc_json_get_i64(o, "a.neg", &i) && i == -4);
	check(!sc_json_get_u64(o, "a.neg", &u));
	check(sc_json_get_hex(o, "a.h", &u) && u == 255);
	check(!sc_json_get_u64(o, "a.n", &u));
	check(!sc_json_get_i64(o, "a.r", &i));
	check(!sc_json_get_u64(o, "a.missing", &u) && !sc_json_get_u64(o, "a.width.x", &u));
	check(sc_json_get_bool(o, "a.t", &b) && b);
	check(!sc_json_get_bool(o, "top", &b));
	check(sc_json_get_str(o, "a.detail", s, sizeof(s)) && strcmp(s, "x \"width\": 5 \\ \n\t\x01 end") == 0);
	check(sc_json_get_str(o, "a.detail", s, 4) && strcmp(s, "x \"") == 0); /* truncated */
	json_decref(o);
	free(buf);
	/* only a whole object parses */
	const char *not_objects[] = {"", "90t", "[1]", "\"s\"", "{\"a\": 1", "{\"a\": 1}}", "{\"a\": 1} x"};
	for (size_t k = 0; k < sizeof(not_objects) / sizeof(not_objects[0]); k++)
		check(!sc_json_parse_object(not_objects[k], strlen(not_objects[k])));
	check(!sc_json_parse_object(NULL, 0));
	o = sc_json_parse_object(" {\"a\": 1}\n", 10);
	check(o);
	json_decref(o);
}

int main(void)
{
	test_every_byte();
	test_one_spelling();
	test_get();
	puts("json: ok");
	return 0;
}
