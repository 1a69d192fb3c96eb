/* The shadow's chat record (shadow/chat_window.c) and chat.txt
 * (shadow/capture_write.c, docs/captures.md): records are range-checked
 * (a corrupt peer's player or length is not kept, and counted), the window
 * keeps the newest lines oldest first and counts what it no longer has, a
 * line is `TICK PLAYER "TEXT"` with the text a JSON string that parses back
 * to the bytes sent (quotes, backslashes, control characters escaped; bad
 * UTF-8 from a corrupt peer becomes U+FFFD), and a capture writes chat.txt
 * and the manifest's chat counts and files.chat. No GPU. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shadow/capture.h"
#include "shadow/chat_window.h"
#include "util/read_file.h"

#include "tests/lib/check.h"

static struct sc_chat_record rec(uint32_t tick, uint32_t player, const char *text)
{
	struct sc_chat_record r = {.tick = tick, .player = player, .len = (uint32_t)strlen(text)};
	memcpy(r.text, text, r.len);
	return r;
}

/* The JSON string of a formatted line, parsed back. */
static void check_line(const struct sc_chat_record *r, const char *want_prefix, const char *want_text)
{
	char line[SC_CHAT_TEXT_MAX * 6 + 64];
	int n = sc_chat_line_format(r, line, sizeof(line));
	check(n > 0 && (size_t)n < sizeof(line) && (size_t)n == strlen(line));
	check(strncmp(line, want_prefix, strlen(want_prefix)) == 0);
	check(!strchr(line, '\n'));
	json_error_t err;
	json_t *s = json_loads(line + strlen(want_prefix), JSON_DECODE_ANY, &err);
	check(json_is_string(s));
	check(strcmp(json_string_value(s), want_text) == 0);
	json_decref(s);
}

static void test_format(void)
{
	struct sc_chat_record r = rec(812, 3, "hi \"zero\" \\ <b> \xe2\x9c\x93");
	check_line(&r, "812 3 ", "hi \"zero\" \\ <b> \xe2\x9c\x93");
	/* a control character and bad UTF-8 can only come from a corrupt peer: escaped, replaced */
	r = rec(1, 0, "a\nb\x01\xff");
	check_line(&r, "1 0 ", "a\nb\x01\xef\xbf\xbd");
	/* the longest line: 200 quotes, each escaped */
	r.len = SC_CHAT_TEXT_MAX;
	memset(r.text, '"', sizeof(r.text));
	char big[SC_CHAT_TEXT_MAX + 1];
	memset(big, '"', SC_CHAT_TEXT_MAX);
	big[SC_CHAT_TEXT_MAX] = '\0';
	check_line(&r, "1 0 ", big);
	/* out of range: nothing */
	char line[64];
	struct sc_chat_record bad = rec(1, SC_MAX_PLAYERS, "x");
	check(sc_chat_line_format(&bad, line, sizeof(line)) == -1);
	bad = rec(1, 0, "x");
	bad.len = 0;
	check(sc_chat_line_format(&bad, line, sizeof(line)) == -1);
	bad.len = SC_CHAT_TEXT_MAX + 1;
	check(sc_chat_line_format(&bad, line, sizeof(line)) == -1);
	bad.len = 0xffffffffu;
	check(sc_chat_line_format(&bad, line, sizeof(line)) == -1);
}

static void test_window(void)
{
	struct sc_chat_window w;
	check(sc_chat_window_init(&w, 4));
	struct sc_chat_record out[8];
	check(sc_chat_window_copy(&w, out, 8) == 0 && sc_chat_window_missing(&w) == 0);
	struct sc_chat_record bad = rec(1, 9, "x");
	check(!sc_chat_window_push(&w, &bad) && w.invalid == 1 && w.count == 0);
	bad = rec(1, 0, "x");
	bad.len = 201;
	check(!sc_chat_window_push(&w, &bad) && w.invalid == 2);
	for (uint32_t t = 10; t < 13; t++) {
		struct sc_chat_record r = rec(t, t % 2, "line");
		check(sc_chat_window_push(&w, &r));
	}
	check(sc_chat_window_copy(&w, out, 8) == 3 && out[0].tick == 10 && out[2].tick == 12);
	check(sc_chat_window_missing(&w) == 0);
	/* full: the oldest go, counted as missing */
	for (uint32_t t = 13; t < 16; t++) {
		struct sc_chat_record r = rec(t, 0, "more");
		check(sc_chat_window_push(&w, &r));
	}
	check(sc_chat_window_copy(&w, out, 8) == 4);
	for (int i = 0; i < 4; i++)
		check(out[i].tick == 12u + (uint32_t)i);
	check(sc_chat_window_missing(&w) == 2);
	/* a short copy: the newest ones */
	check(sc_chat_window_copy(&w, out, 2) == 2 && out[0].tick == 14 && out[1].tick == 15);
	/* lines the log overwrote before the shadow read them */
	w.lost = 5;
	check(sc_chat_window_missing(&w) == 7);
	sc_chat_window_finish(&w);
	check(!sc_chat_window_init(&w, 0));
}

static void test_capture(void)
{
	char root[] = "/tmp/sc-test-chat-XXXXXX";
	check(mkdtemp(root));
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/incident-1-tick-812", root);
	struct sc_capture_info in = {
		.incident = 1, .detected = SC_DETECTED_ASSERT, .path = SC_FAULT_PATH_SELF, .error_tick = 812,
		.detected_tick = 812, .next_tick = 812,
		.game = {.width = 16, .height = 8, .seed = 1, .players = 2, .particles = 10, .hang_timeout_ms = 500},
	};
	struct sc_chat_record chat[2] = {rec(800, 0, "hello"), rec(811, 1, "say \"gg\"")};
	struct sc_capture_inputs inputs = {.chat = chat, .n_chat = 2, .chat_missing = 3};
	struct sc_capture_missing missing = {0};
	static const unsigned char snap[16] = {1};
	check(sc_capture_write(dir, &in, snap, sizeof(snap), NULL, 0, &inputs, &missing));
	char path[700];
	snprintf(path, sizeof(path), "%s/chat.txt", dir);
	char *text = sc_read_file(path, NULL);
	check(text);
	check(strstr(text, "state.bin holds the state after tick 811\n"));
	check(strstr(text, "\n800 0 \"hello\"\n811 1 \"say \\\"gg\\\"\"\n"));
	/* every line is a comment or a chat line */
	for (char *l = text; *l; l = strchr(l, '\n') + 1) {
		check(l[0] == '#' || (l[0] >= '0' && l[0] <= '9'));
		check(strchr(l, '\n'));
	}
	free(text);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	json_error_t err;
	json_t *m = json_load_file(path, 0, &err);
	check(m);
	check(json_integer_value(json_object_get(m, "format")) == SC_CAPTURE_FORMAT);
	check(json_integer_value(json_object_get(json_object_get(m, "chat"), "lines")) == 2);
	check(json_integer_value(json_object_get(json_object_get(m, "chat"), "missing")) == 3);
	check(strcmp(json_string_value(json_object_get(json_object_get(m, "files"), "chat")), "chat.txt") == 0);
	json_decref(m);
	snprintf(path, sizeof(path), "%s/missing.txt", dir);
	text = sc_read_file(path, NULL);
	check(text && strstr(text, "chat.txt: 3 older chat lines"));
	free(text);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	check(system(cmd) == 0);
}

int main(void)
{
	test_format();
	test_window();
	test_capture();
	printf("chat window tests passed\n");
	return 0;
}
