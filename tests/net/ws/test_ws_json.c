/* The /stream client message parser: every accepted form, and rejection of
 * malformed JSON, schema violations and out-of-range values, with a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/ws_json.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct sc_ws_client_msg ok(const char *s)
{
	struct sc_ws_client_msg m;
	char err[100];
	bool r = sc_ws_json_parse_client_msg(s, strlen(s), &m, err, sizeof(err));
	CHECK(r, "'%s' rejected: %s", s, err);
	return m;
}

static void bad(const char *s, size_t len, const char *want)
{
	struct sc_ws_client_msg m;
	char err[100];
	bool r = sc_ws_json_parse_client_msg(s, len, &m, err, sizeof(err));
	CHECK(!r, "'%.*s' accepted", (int)len, s);
	CHECK(!r && strstr(err, want), "'%.*s': reason '%s' lacks '%s'", (int)len, s, err, want);
}

#define BAD(s, want) bad(s, strlen(s), want)

int main(void)
{
	struct sc_ws_client_msg m;

	m = ok("{\"type\":\"join\",\"player\":3}");
	CHECK(m.type == SC_WS_CMSG_JOIN && m.join_player == 3, "join 3");
	m = ok(" { \"player\" : \"auto\" , \"type\" : \"join\" } \n");
	CHECK(m.type == SC_WS_CMSG_JOIN && m.join_player == SC_WS_JOIN_AUTO, "join auto");
	m = ok("{\"type\":\"join\",\"player\":1,\"token\":\"abc-DEF_123~\"}");
	CHECK(m.join_player == 1 && strcmp(m.token, "abc-DEF_123~") == 0, "join with a token");
	m = ok("{\"type\":\"join\",\"player\":1}");
	CHECK(m.token[0] == '\0', "no token: empty");
	BAD("{\"type\":\"join\",\"player\":1,\"token\":\"a b\"}", "printable ASCII without blanks");
	BAD("{\"type\":\"join\",\"player\":1,\"token\":\"a\\u0041\"}", "without escapes");
	BAD("{\"type\":\"join\",\"player\":1,\"token\":\"\"}", "1..127 characters");
	BAD("{\"type\":\"join\",\"player\":1,\"token\":7}", "must be a string");
	BAD("{\"type\":\"ping\",\"token\":\"abc\"}", "\"token\" not allowed in ping");
	{
		char big[300];
		int n = snprintf(big, sizeof(big), "{\"type\":\"join\",\"spectate\":true,\"token\":\"%0128d\"}", 0);
		CHECK(n > 0, "format");
		bad(big, (size_t)n, "1..127 characters");
	}
	m = ok("{\"type\":\"join\",\"spectate\":true}");
	CHECK(m.join_player == SC_WS_JOIN_SPECTATE, "spectate");
	CHECK(!m.join_audio, "no audio unless asked");
	m = ok("{\"type\":\"join\",\"player\":\"auto\",\"audio\":true}");
	CHECK(m.join_player == SC_WS_JOIN_AUTO && m.join_audio, "join auto with audio");
	m = ok("{\"type\":\"join\",\"spectate\":true,\"audio\":false}");
	CHECK(m.join_player == SC_WS_JOIN_SPECTATE && !m.join_audio, "spectate, audio false");
	m = ok("{\"type\":\"input\",\"seq\":4294967295,\"move\":[-127,127],\"t\":12.5e1}");
	CHECK(m.type == SC_WS_CMSG_INPUT && m.seq == 4294967295u && m.has_move &&
	      m.move_x == -127 && m.move_y == 127 && m.has_t && m.t == 125.0, "input move");
	CHECK(!m.has_shoot && !m.has_block, "no shoot/block");
	m = ok("{\"type\":\"input\",\"seq\":0,\"shoot\":true,\"block\":false}");
	CHECK(m.has_shoot && m.shoot && m.has_block && !m.block && !m.has_move, "shoot/block");
	m = ok("{\"type\":\"keyframe\"}");
	CHECK(m.type == SC_WS_CMSG_KEYFRAME, "keyframe");
	m = ok("{\"type\":\"ping\",\"t\":-0.25}");
	CHECK(m.type == SC_WS_CMSG_PING && m.t == -0.25, "ping");

	BAD("", "empty");
	BAD("   ", "JSON object");
	BAD("[]", "JSON object");
	BAD("{", "key");
	BAD("{}", "missing \"type\"");
	BAD("{\"type\":\"join\"", "unterminated");
	BAD("{\"type\":\"join\",}", "key");
	BAD("{\"type\":\"nope\"}", "unknown message type");
	BAD("{\"type\":1}", "must be a string");
	BAD("{\"type\":\"ping\",\"x\":1}", "unknown key");
	BAD("{\"type\":\"ping\",\"type\":\"ping\"}", "duplicate key");
	BAD("{\"type\":\"ping\"}{}", "trailing data");
	BAD("{\"type\":\"pi\\u006eg\"}", "unknown message type"); /* escapes never match */
	BAD("{\"type\":\"ping\\x\"}", "bad escape");
	BAD("{\"type\":\"ping\\u12\"}", "bad \\u escape");
	BAD("{\"type\":\"pi\nng\"}", "control character");
	BAD("{\"type\":\"join\"}", "join needs");
	BAD("{\"type\":\"join\",\"player\":8}", "out of range");
	BAD("{\"type\":\"join\",\"player\":-1}", "out of range");
	BAD("{\"type\":\"join\",\"player\":\"two\"}", "\"auto\"");
	BAD("{\"type\":\"join\",\"player\":1,\"spectate\":true}", "not both");
	BAD("{\"type\":\"join\",\"spectate\":false}", "only be true");
	BAD("{\"type\":\"join\",\"spectate\":true,\"audio\":1}", "audio");
	BAD("{\"type\":\"ping\",\"audio\":true}", "audio");
	BAD("{\"type\":\"input\",\"seq\":1}", "input needs");
	BAD("{\"type\":\"input\",\"shoot\":true}", "needs \"seq\"");
	BAD("{\"type\":\"input\",\"seq\":-1,\"shoot\":true}", "out of range");
	BAD("{\"type\":\"input\",\"seq\":4294967296,\"shoot\":true}", "out of range");
	BAD("{\"type\":\"input\",\"seq\":1.5,\"shoot\":true}", "integer");
	BAD("{\"type\":\"input\",\"seq\":01,\"shoot\":true}", "expected ',' or '}'");
	BAD("{\"type\":\"input\",\"seq\":1,\"move\":[128,0]}", "out of range");
	BAD("{\"type\":\"input\",\"seq\":1,\"move\":[1]}", "expected ','");
	BAD("{\"type\":\"input\",\"seq\":1,\"move\":[1,2,3]}", "[x, y]");
	BAD("{\"type\":\"input\",\"seq\":1,\"move\":{\"x\":1}}", "[x, y]");
	BAD("{\"type\":\"input\",\"seq\":1,\"shoot\":1}", "true or false");
	BAD("{\"type\":\"input\",\"seq\":1,\"shoot\":tru}", "true or false");
	BAD("{\"type\":\"input\",\"seq\":1,\"fault\":4}", "unknown key");
	BAD("{\"type\":\"keyframe\",\"seq\":1}", "not allowed in keyframe");
	BAD("{\"type\":\"ping\",\"spectate\":true}", "not allowed in ping");
	BAD("{\"type\":\"ping\",\"t\":1e999}", "out of range");
	BAD("{\"type\":\"ping\",\"t\":\"1\"}", "must be a number");
	BAD("{\"type\":\"ping\",\"t\":1.}", "digits expected");
	BAD("{\"type\":\"ping\",\"t\":123456789012345678901234567890123456789012}", "too long");
	/* chat: text decoded to UTF-8; invalid UTF-8, control characters, lone
	 * surrogates, empty or over 200 bytes refused */
	m = ok("{\"type\":\"chat\",\"text\":\"hello <b>world</b> & \\\"you\\\"\"}");
	CHECK(m.type == SC_WS_CMSG_CHAT && strcmp(m.text, "hello <b>world</b> & \"you\"") == 0 && m.text_len == 26,
	      "chat: '%s' (%u)", m.text, m.text_len);
	m = ok("{\"type\":\"chat\",\"text\":\"gr\u00fc\\u00df \\ud83d\\ude00 \\/ \\\\\"}");
	CHECK(strcmp(m.text, "gr\u00fc\u00df \xf0\x9f\x98\x80 / \\") == 0, "chat escapes: '%s'", m.text);
	m = ok("{\"text\":\"\xe2\x82\xac\",\"type\":\"chat\"}");
	CHECK(m.text_len == 3, "raw UTF-8 euro sign");
	char chat[400];
	snprintf(chat, sizeof(chat), "{\"type\":\"chat\",\"text\":\"%0200d\"}", 7);
	m = ok(chat);
	CHECK(m.text_len == 200, "200 bytes fit");
	snprintf(chat, sizeof(chat), "{\"type\":\"chat\",\"text\":\"%0201d\"}", 7);
	BAD(chat, "over 200 bytes");
	/* 100 two-byte letters fit, 101 do not (bytes, not characters) */
	strcpy(chat, "{\"type\":\"chat\",\"text\":\"");
	for (int i = 0; i < 101; i++)
		strcat(chat, "\xc3\xa9");
	strcat(chat, "\"}");
	BAD(chat, "over 200 bytes");
	BAD("{\"type\":\"chat\",\"text\":\"\"}", "empty");
	BAD("{\"type\":\"chat\"}", "chat needs \"text\"");
	BAD("{\"type\":\"chat\",\"text\":5}", "must be a string");
	BAD("{\"type\":\"chat\",\"text\":\"a\\nb\"}", "control character");
	BAD("{\"type\":\"chat\",\"text\":\"a\\u0007b\"}", "control character");
	BAD("{\"type\":\"chat\",\"text\":\"a\x7f\"}", "control character");
	BAD("{\"type\":\"chat\",\"text\":\"\xff\"}", "not valid UTF-8");
	BAD("{\"type\":\"chat\",\"text\":\"\xc0\xaf\"}", "not valid UTF-8");          /* overlong '/' */
	BAD("{\"type\":\"chat\",\"text\":\"\xed\xa0\x80\"}", "not valid UTF-8");      /* UTF-8 surrogate */
	BAD("{\"type\":\"chat\",\"text\":\"\xf4\x90\x80\x80\"}", "not valid UTF-8"); /* above U+10FFFF */
	BAD("{\"type\":\"chat\",\"text\":\"\xe2\x82\"}", "not valid UTF-8");          /* truncated */
	BAD("{\"type\":\"chat\",\"text\":\"\\ud83d\"}", "lone surrogate");
	BAD("{\"type\":\"chat\",\"text\":\"\\ude00x\"}", "lone surrogate");
	BAD("{\"type\":\"chat\",\"text\":\"\\ud83d\\u0041\"}", "lone surrogate");
	BAD("{\"type\":\"chat\",\"text\":\"hi\",\"seq\":1}", "not allowed in chat");
	BAD("{\"type\":\"ping\",\"text\":\"hi\"}", "not allowed in ping");

	/* latency: 1..32 input-to-display latencies, ms, 0..60000 */
	m = ok("{\"type\":\"latency\",\"input_ms\":[12.5, 30,47.5e0 ]}");
	CHECK(m.type == SC_WS_CMSG_LATENCY && m.n_input_ms == 3 && m.input_ms[0] == 12.5 && m.input_ms[1] == 30 &&
	      m.input_ms[2] == 47.5, "latency: %u values", m.n_input_ms);
	m = ok("{\"input_ms\":[0,60000],\"type\":\"latency\"}");
	CHECK(m.n_input_ms == 2 && m.input_ms[1] == 60000, "latency bounds");
	char lat[400] = "{\"type\":\"latency\",\"input_ms\":[1";
	for (int i = 1; i < 32; i++)
		strcat(lat, ",1");
	m = ok(strcat(lat, "]}"));
	CHECK(m.n_input_ms == 32, "32 values fit");
	lat[strlen(lat) - 2] = '\0';
	BAD(strcat(lat, ",1]}"), "more than 32 values");
	BAD("{\"type\":\"latency\"}", "latency needs \"input_ms\"");
	BAD("{\"type\":\"latency\",\"input_ms\":[]}", "array of numbers");
	BAD("{\"type\":\"latency\",\"input_ms\":5}", "array of numbers");
	BAD("{\"type\":\"latency\",\"input_ms\":[1,\"2\"]}", "array of numbers");
	BAD("{\"type\":\"latency\",\"input_ms\":[1,2}", "array of numbers");
	BAD("{\"type\":\"latency\",\"input_ms\":[-1]}", "0..60000");
	BAD("{\"type\":\"latency\",\"input_ms\":[60000.5]}", "0..60000");
	BAD("{\"type\":\"latency\",\"input_ms\":[1],\"t\":1}", "not allowed in latency");

	/* subscribe (the sample feed): token, instance, from, events_from, queue */
	m = ok("{\"type\":\"subscribe\",\"token\":\"abcdef0123456789\",\"instance\":2,\"from\":9007199254740991,"
	       "\"events_from\":0,\"queue\":16}");
	CHECK(m.type == SC_WS_CMSG_SUBSCRIBE && m.sub_instance == 2 && m.sub_has_from &&
	      m.sub_from == 9007199254740991ull && m.sub_has_events_from && m.sub_events_from == 0 && m.sub_queue == 16 &&
	      strcmp(m.token, "abcdef0123456789") == 0, "subscribe fields");
	m = ok("{\"type\":\"subscribe\"}");
	CHECK(m.type == SC_WS_CMSG_SUBSCRIBE && m.sub_instance == 0 && !m.sub_has_from && !m.sub_has_events_from &&
	      m.sub_queue == 0 && m.token[0] == 0, "subscribe defaults");
	BAD("{\"type\":\"subscribe\",\"instance\":3}", "out of range 0..2");
	BAD("{\"type\":\"subscribe\",\"from\":9007199254740992}", "out of range");
	BAD("{\"type\":\"subscribe\",\"from\":-1}", "out of range");
	BAD("{\"type\":\"subscribe\",\"queue\":15}", "out of range 16..65536");
	BAD("{\"type\":\"subscribe\",\"from\":1.5}", "must be an integer");
	BAD("{\"type\":\"subscribe\",\"player\":0}", "not allowed in subscribe");
	BAD("{\"type\":\"join\",\"spectate\":true,\"from\":1}", "not allowed in join");
	BAD("{\"type\":\"ping\",\"input_ms\":[1]}", "not allowed in ping");

	bad("{\"type\":\"ping\"}\0", 16, "trailing data");
	bad("{\"type\":\"ping\"", 12, "unterminated"); /* never reads past len */

	/* quoting */
	char out[64];
	CHECK(sc_ws_json_quote("a\"b\\c\n", out, sizeof(out)) == 11 &&
	      strcmp(out, "\"a\\\"b\\\\c\\n\"") == 0, "quote: %s", out);
	CHECK(sc_ws_json_quote("\r\t\x01\x7f\xc3\xa9", out, sizeof(out)) == 15 &&
	      strcmp(out, "\"\\r\\t\\u0001\x7f\xc3\xa9\"") == 0, "quote: %s", out);
	CHECK(sc_ws_json_quote("a\xffz", out, sizeof(out)) == 5 && strcmp(out, "\"a?z\"") == 0, "quote: %s", out);
	CHECK(sc_ws_json_quote("0123456", out, 10) == 9 && strcmp(out, "\"0123456\"") == 0, "quote fits: %s", out);
	CHECK(sc_ws_json_quote("01234567", out, 10) == 0 && out[0] == '\0', "quote one over");
	CHECK(sc_ws_json_quote(NULL, out, sizeof(out)) == 4 && strcmp(out, "null") == 0, "quote null");
	CHECK(sc_ws_json_quote("0123456789", out, 8) == 0 && out[0] == '\0', "quote overflow");

	if (failures) {
		fprintf(stderr, "test_ws_json: %d failures\n", failures);
		return 1;
	}
	printf("test_ws_json: ok\n");
	return 0;
}
