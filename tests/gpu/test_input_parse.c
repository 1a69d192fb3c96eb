/* The input text format (docs/inputs.md): accepted lines, rejected lines, round trip. */
#include <stdio.h>
#include <string.h>

#include "net/shm/input_event.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

static enum sc_input_parse_result parse(const char *s, struct sc_input_event *ev, char *err)
{
	return sc_input_parse_line(s, strlen(s), ev, err, 128);
}

int main(void)
{
	struct sc_input_event ev;
	char err[128];

	CHECK(parse("12 3 move -127 127\n", &ev, err) == SC_INPUT_PARSE_EVENT, "move");
	CHECK(ev.tick == 12 && ev.player == 3 && ev.action == SC_INPUT_MOVE && ev.a == -127 && ev.b == 127, "move fields");
	CHECK(parse("\t7  0   shoot   # comment", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_SHOOT, "shoot");
	CHECK(parse("8 1 block on", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_BLOCK && ev.a == 1, "block on");
	CHECK(parse("8 1 block off\r\n", &ev, err) == SC_INPUT_PARSE_EVENT && ev.a == 0, "block off, CRLF");
	CHECK(parse("9 - fault hang", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_FAULT &&
	      ev.a == SC_FAULT_HANG, "fault");
	/* the system notices (docs/inputs.md "Notices") */
	CHECK(parse("10 2 join", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_JOIN && ev.player == 2 &&
	      ev.a == 0 && ev.b == 0, "join");
	CHECK(parse("11 3 leave left", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_LEAVE &&
	      ev.player == 3 && ev.a == 0, "leave left");
	CHECK(parse("11 0 leave disconnected", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_LEAVE &&
	      ev.a == 1, "leave disconnected");
	CHECK(parse("12 - spectators 0", &ev, err) == SC_INPUT_PARSE_EVENT && ev.action == SC_INPUT_SPECTATORS &&
	      ev.player == 0 && sc_input_spectators(&ev) == 0, "spectators 0");
	CHECK(parse("12 - spectators 300", &ev, err) == SC_INPUT_PARSE_EVENT && sc_input_spectators(&ev) == 300 &&
	      (uint8_t)ev.a == 44 && (uint8_t)ev.b == 1, "spectators 300: a low byte, b high byte");
	CHECK(parse("12 - spectators 65535", &ev, err) == SC_INPUT_PARSE_EVENT && sc_input_spectators(&ev) == 65535,
	      "spectators max");
	CHECK(sc_input_is_notice(SC_INPUT_JOIN) && sc_input_is_notice(SC_INPUT_LEAVE) &&
	      sc_input_is_notice(SC_INPUT_SPECTATORS) && !sc_input_is_notice(SC_INPUT_MOVE) &&
	      !sc_input_is_notice(SC_INPUT_FAULT) && !sc_input_is_notice(0), "notices");
	struct sc_input_event many = {0};
	sc_input_set_spectators(&many, 1000000);
	CHECK(sc_input_spectators(&many) == SC_SPECTATORS_MAX, "a count over the maximum is clamped");
	CHECK(parse("", &ev, err) == SC_INPUT_PARSE_NOTHING, "empty");
	CHECK(parse("   # only a comment", &ev, err) == SC_INPUT_PARSE_NOTHING, "comment");

	static const char *const bad[] = {
		"1 0", "1 0 move 1", "1 0 move 1 2 3", "1 0 move 128 0", "1 0 move 1 -128", "-1 0 shoot",
		"2147483648 0 shoot", "1 8 shoot", "1 -1 shoot", "1 0 shoot now", "1 0 block", "1 0 block 1",
		"1 0 dance", "1 - fault", "1 - fault meltdown", "1 0 fault assert", "1 0 move 0x10 0",
		"1 0 move 1e2 0", "1 0 move +5 0", "1 0 shoot\x7f", "1 0 sh\x01oot",
		"1 0 move 0000000000000000000000000000000001 0", "1 2 3 4 5 6 7",
		"1 0 join now", "1 - join", "1 8 join", "1 0 leave", "1 0 leave 1", "1 0 leave gone", "1 - leave left",
		"1 0 leave left x", "1 - spectators", "1 0 spectators 1", "1 - spectators -1", "1 - spectators 65536",
		"1 - spectators 1 2", "1 - spectators +1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(parse(bad[i], &ev, err) == SC_INPUT_PARSE_ERROR && err[0], "rejects '%s'", bad[i]);
	}
	/* never reads past len: the same bytes with a shorter length parse differently */
	CHECK(sc_input_parse_line("5 0 shoot", 3, &ev, err, sizeof(err)) == SC_INPUT_PARSE_ERROR, "len respected");

	/* round trip through the formatter */
	static const char *const good[] = {"0 0 move 1 -1", "99 7 shoot", "3 2 block on", "3 2 block off", "4 - fault oob",
	                                   "5 1 join", "6 1 leave left", "6 7 leave disconnected", "7 - spectators 0",
	                                   "7 - spectators 258", "7 - spectators 65535"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char buf[64];
		CHECK(parse(good[i], &ev, err) == SC_INPUT_PARSE_EVENT, "parses '%s'", good[i]);
		sc_input_format(&ev, buf, sizeof(buf));
		CHECK(strcmp(buf, good[i]) == 0, "round trip '%s' -> '%s'", good[i], buf);
	}
	enum sc_fault_kind k;
	CHECK(sc_fault_kind_parse("device-lost", &k) && k == SC_FAULT_DEVICE_LOST, "fault names");
	CHECK(!sc_fault_kind_parse("", &k), "empty fault name");
	if (failures)
		return 1;
	printf("input parse ok\n");
	return 0;
}
