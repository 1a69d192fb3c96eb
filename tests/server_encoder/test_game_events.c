/* The game's outbound messages, from the producer to the wire:
 *  - session/game_msgs.c, the primary's pure function of (state before,
 *    state after) a tick: goal, kickoff, hit, block, wall bounce, haptics
 *    for the hitter and for the scoring team, baselines (no messages);
 *  - server/game_events.c, the encoder's side: the exact JSON of each
 *    message (docs/protocol.md §4), held until the frame of its tick, a
 *    restarted primary's start marker voiding its predecessor's records of
 *    that tick on, notices not held, and out-of-range payloads (a corrupt
 *    peer) never sent. Through a real ring in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/game_events.h"
#include "session/game_msgs.h"
#include "session/msg_ring.h"
#include "session/shm/fault_record.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct sc_game_state state(uint32_t tick, uint32_t score0, uint32_t score1, uint32_t kickoff)
{
	struct sc_game_state s;
	memset(&s, 0, sizeof(s));
	s.hdr.tick = tick + 1; /* the state after `tick` */
	s.hdr.n_players = 4;
	s.hdr.score0 = score0;
	s.hdr.score1 = score1;
	s.hdr.goals = score0 + score1;
	s.hdr.kickoff = kickoff;
	for (uint32_t p = 0; p < SC_MAX_PLAYERS; p++)
		s.players[p].team = p & 1;
	return s;
}

static void test_producer(void)
{
	struct sc_game_msgs m;
	struct sc_game_state a = state(10, 0, 0, 2), b = state(11, 0, 0, 1);

	/* no previous state, or not the one right before: a baseline */
	sc_game_msgs_diff(NULL, &b, &m);
	CHECK(m.n_events == 0 && m.n_haptics == 0 && m.tick == 11, "baseline: %u events", m.n_events);
	struct sc_game_state far = state(30, 0, 0, 0);
	sc_game_msgs_diff(&a, &far, &m);
	CHECK(m.n_events == 0, "a gap of ticks is a baseline");
	struct sc_game_state back = state(11, 0, 0, 0);
	a.hdr.goals = 3;
	a.hdr.score0 = 3;
	sc_game_msgs_diff(&a, &back, &m);
	CHECK(m.n_events == 0, "goals going back (a new match) is a baseline");

	/* kickoff: the freeze ends */
	a = state(58, 0, 0, 1);
	b = state(59, 0, 0, 0);
	sc_game_msgs_diff(&a, &b, &m);
	CHECK(m.n_events == 1 && m.events[0].kind == SC_GAME_EVENT_KICKOFF && m.events[0].player == -1 && m.tick == 59,
	      "kickoff: %u events", m.n_events);
	CHECK(m.n_haptics == 0, "no haptic for a kickoff");

	/* goal by team 1: a long pulse for players 1 and 3 */
	a = state(300, 0, 0, 0);
	b = state(301, 0, 1, SC_KICKOFF_TICKS);
	sc_game_msgs_diff(&a, &b, &m);
	CHECK(m.n_events == 1 && m.events[0].kind == SC_GAME_EVENT_GOAL && m.events[0].team == 1 &&
	          m.events[0].score0 == 0 && m.events[0].score1 == 1, "goal");
	CHECK(m.n_haptics == 2 && m.haptics[0].player == 1 && m.haptics[1].player == 3 &&
	          m.haptics[0].reason == SC_HAPTIC_GOAL && m.haptics[0].duration_ms >= 500 &&
	          m.haptics[0].strong == SC_HAPTIC_MAGNITUDE_MAX, "goal haptics: %u", m.n_haptics);

	/* a hit by player 2 at full speed, a block by player 1, a wall bounce */
	a = state(400, 1, 1, 0);
	b = state(401, 1, 1, 0);
	b.puck.vx = SC_PUCK_MAXV;
	b.players[2].touches = a.players[2].touches + 1;
	b.players[1].touches = 1;
	b.players[1].flags = 1; /* shield up */
	b.hdr.touches = 2;
	b.hdr.wall_bounces = 1;
	sc_game_msgs_diff(&a, &b, &m);
	CHECK(m.n_events == 3, "wall, block, hit: %u events", m.n_events);
	CHECK(m.events[0].kind == SC_GAME_EVENT_WALL_BOUNCE, "wall bounce first");
	CHECK(m.events[1].kind == SC_GAME_EVENT_BLOCK && m.events[1].player == 1 &&
	          m.events[1].speed == SC_PUCK_MAXV, "block by player 1");
	CHECK(m.events[2].kind == SC_GAME_EVENT_HIT && m.events[2].player == 2, "hit by player 2");
	CHECK(m.n_haptics == 2 && m.haptics[0].player == 1 && m.haptics[0].reason == SC_HAPTIC_BLOCK &&
	          m.haptics[1].player == 2 && m.haptics[1].reason == SC_HAPTIC_HIT &&
	          m.haptics[1].strong == SC_HAPTIC_MAGNITUDE_MAX, "haptics for the hitter and the blocker");
	/* a slow hit is a weak rumble */
	b.puck.vx = SC_PUCK_MAXV / 4;
	sc_game_msgs_diff(&a, &b, &m);
	CHECK(m.haptics[1].strong == SC_HAPTIC_MAGNITUDE_MAX / 4, "strength from speed: %u", m.haptics[1].strong);

	/* player 5 does not exist in a 4-player game: nothing for it */
	b = state(401, 1, 1, 0);
	b.players[5].touches = 1;
	sc_game_msgs_diff(&a, &b, &m);
	CHECK(m.n_events == 0 && m.n_haptics == 0, "only players of the game");
}

/* --- the encoder's side ----------------------------------------------------- */

#define CAP 32768
static struct sc_msg_ring rings[SC_OUTBOX_RINGS];
static void *mem[SC_OUTBOX_RINGS];
static char sent[64][SC_GAME_MSG_JSON_MAX + 16];
static int sent_player[64];
static unsigned n_sent;

static void collect(void *ud, const struct sc_outbox_msg *m)
{
	(void)ud;
	if (n_sent < 64) {
		snprintf(sent[n_sent], sizeof(sent[0]), "%d:%s", (int)m->ring, m->json);
		sent_player[n_sent] = m->player;
	}
	n_sent++;
}

static void setup(struct sc_game_outbox *o)
{
	static const uint16_t types[SC_OUTBOX_RINGS] = {SC_MSG_EVENT, SC_MSG_HAPTIC, SC_MSG_NOTICE, SC_MSG_CHAT};
	static const uint32_t payloads[SC_OUTBOX_RINGS] = {32, 32, 32, sizeof(struct sc_chat_msg)};
	struct sc_msg_ring *rp[SC_OUTBOX_RINGS];
	for (int i = 0; i < SC_OUTBOX_RINGS; i++) {
		size_t size = sc_msg_ring_block_size(CAP);
		free(mem[i]);
		mem[i] = aligned_alloc(64, size);
		memset(mem[i], 0, size);
		if (!sc_msg_ring_format(mem[i], size, types[i], payloads[i]) ||
		    !sc_msg_ring_attach(&rings[i], mem[i], size, types[i], payloads[i])) {
			fprintf(stderr, "FAIL: ring set-up\n");
			exit(1);
		}
		rp[i] = &rings[i];
	}
	sc_game_outbox_init(o, rp);
}

static void ev(uint32_t tick, uint32_t kind, int32_t player, uint32_t team)
{
	struct sc_game_event_msg e = {.kind = kind, .player = player, .team = team, .score0 = 1, .speed = 77};
	sc_msg_ring_write(&rings[SC_OUTBOX_EVENT], tick, 1, SC_MSG_PRIORITY_GAME, 0, &e, sizeof(e));
}

static uint32_t flush(struct sc_game_outbox *o, bool video, uint32_t tick)
{
	n_sent = 0;
	sc_game_outbox_pull(o);
	return sc_game_outbox_flush(o, video, tick, collect, NULL);
}

static void test_outbox(void)
{
	struct sc_game_outbox *o = calloc(1, sizeof(*o));
	setup(o);

	/* held until the frame of their tick, exact JSON */
	ev(100, SC_GAME_EVENT_GOAL, -1, 0);
	ev(101, SC_GAME_EVENT_HIT, 3, 0);
	ev(102, SC_GAME_EVENT_KICKOFF, -1, 0);
	ev(102, SC_GAME_EVENT_WALL_BOUNCE, -1, 0);
	ev(103, SC_GAME_EVENT_BLOCK, 0, 0);
	struct sc_haptic_msg h = {.player = 3, .reason = SC_HAPTIC_HIT, .duration_ms = 80, .strong = 750, .weak = 1000};
	sc_msg_ring_write(&rings[SC_OUTBOX_HAPTIC], 101, 1, SC_MSG_PRIORITY_GAME, 0, &h, sizeof(h));
	CHECK(flush(o, false, 0) == 0, "events are not sent without a frame");
	CHECK(flush(o, true, 99) == 0, "nothing before the frame of tick 100");
	CHECK(flush(o, true, 101) == 3, "ticks 100 and 101: %u", n_sent);
	CHECK(strcmp(sent[0], "0:{\"kind\":\"goal\",\"tick\":100,\"team\":0,\"score\":[1,0]}") == 0, "%s", sent[0]);
	CHECK(strcmp(sent[1], "0:{\"kind\":\"hit\",\"tick\":101,\"player\":3,\"speed\":77}") == 0, "%s", sent[1]);
	CHECK(strcmp(sent[2], "1:{\"type\":\"haptic\",\"tick\":101,\"player\":3,\"reason\":\"hit\",\"duration_ms\":80,"
	                      "\"strong\":0.750,\"weak\":1.000}") == 0, "%s", sent[2]);
	CHECK(sent_player[2] == 3 && sent_player[0] == -1, "haptic for player 3 only");
	CHECK(flush(o, true, 105) == 3, "the rest: %u", n_sent);
	CHECK(strcmp(sent[0], "0:{\"kind\":\"kickoff\",\"tick\":102}") == 0, "%s", sent[0]);
	CHECK(strcmp(sent[1], "0:{\"kind\":\"wall_bounce\",\"tick\":102}") == 0, "%s", sent[1]);
	CHECK(strcmp(sent[2], "0:{\"kind\":\"block\",\"tick\":103,\"player\":0,\"speed\":77}") == 0, "%s", sent[2]);

	/* notices go at once, without a frame */
	struct sc_notice_msg n = {.kind = SC_NOTICE_INCIDENT, .incident = 4};
	sc_msg_ring_write(&rings[SC_OUTBOX_NOTICE], 500, 1, SC_MSG_PRIORITY_GAME, 0, &n, sizeof(n));
	CHECK(flush(o, false, 0) == 1 &&
	          strcmp(sent[0], "2:{\"type\":\"notice\",\"notice\":{\"kind\":\"incident\",\"tick\":500,\"incident\":4}}") ==
	              0, "incident notice: %s", sent[0]);

	/* the system notices of the input log, with the tick that applied them */
	static const struct {
		struct sc_input_event in;
		const char *json;
	} sys[] = {
		{{.action = SC_INPUT_JOIN, .player = 1},
		 "2:{\"type\":\"notice\",\"notice\":{\"kind\":\"player_joined\",\"player\":1,\"tick\":510}}"},
		{{.action = SC_INPUT_LEAVE, .player = 0, .a = 0},
		 "2:{\"type\":\"notice\",\"notice\":{\"kind\":\"player_left\",\"player\":0,\"tick\":510}}"},
		{{.action = SC_INPUT_LEAVE, .player = 7, .a = 1},
		 "2:{\"type\":\"notice\",\"notice\":{\"kind\":\"player_disconnected\",\"player\":7,\"tick\":510}}"},
		{{.action = SC_INPUT_SPECTATORS, .a = (int8_t)0x2c, .b = 1},
		 "2:{\"type\":\"notice\",\"notice\":{\"kind\":\"spectators\",\"count\":300,\"tick\":510}}"},
	};
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		struct sc_notice_msg sn;
		CHECK(sc_game_notice_of_input(&sys[i].in, &sn), "notice of input %zu", i);
		sc_msg_ring_write(&rings[SC_OUTBOX_NOTICE], 510, 1, SC_MSG_PRIORITY_GAME, 0, &sn, sizeof(sn));
		CHECK(flush(o, false, 0) == 1 && strcmp(sent[0], sys[i].json) == 0, "system notice %zu: %s", i, sent[0]);
	}
	struct sc_notice_msg none;
	struct sc_input_event move = {.action = SC_INPUT_MOVE}, fault = {.action = SC_INPUT_FAULT},
	                      far = {.action = SC_INPUT_JOIN, .player = SC_MAX_PLAYERS};
	CHECK(!sc_game_notice_of_input(&move, &none) && !sc_game_notice_of_input(&fault, &none) &&
	      !sc_game_notice_of_input(&far, &none), "inputs are not notices; nor is a player out of range");

	/* a restarted primary at tick 200: its predecessor's records of 200 on are void */
	ev(199, SC_GAME_EVENT_HIT, 1, 0);
	ev(200, SC_GAME_EVENT_HIT, 1, 0);
	ev(230, SC_GAME_EVENT_HIT, 1, 0);
	CHECK(flush(o, true, 198) == 0, "held");
	sc_msg_ring_write_start(&rings[SC_OUTBOX_EVENT], 200, 2);
	ev(200, SC_GAME_EVENT_WALL_BOUNCE, -1, 0);
	CHECK(flush(o, true, 200) == 2, "the old 199 and the new 200: %u", n_sent);
	CHECK(strstr(sent[0], "\"tick\":199") && strstr(sent[1], "wall_bounce"), "%s / %s", sent[0], sent[1]);
	CHECK(o->q[SC_OUTBOX_EVENT].superseded == 2, "two voided: %llu",
	      (unsigned long long)o->q[SC_OUTBOX_EVENT].superseded);
	CHECK(flush(o, true, 1000) == 0, "the voided 230 is never sent");

	/* out-of-range payloads from a corrupt peer: dropped, counted, never sent */
	uint64_t invalid = o->invalid;
	ev(300, 99, -1, 0);                       /* unknown kind */
	ev(300, SC_GAME_EVENT_HIT, 8, 0);         /* no such player */
	ev(300, SC_GAME_EVENT_HIT, -5, 0);
	ev(300, SC_GAME_EVENT_GOAL, -1, 2);       /* no such team */
	ev(300, SC_GAME_EVENT_KICKOFF, 4, 0);     /* a kickoff has no player */
	struct sc_haptic_msg bad[] = {
		{.player = 8, .reason = SC_HAPTIC_HIT, .duration_ms = 80},
		{.player = 0, .reason = 0, .duration_ms = 80},
		{.player = 0, .reason = SC_HAPTIC_GOAL, .duration_ms = 0},
		{.player = 0, .reason = SC_HAPTIC_GOAL, .duration_ms = 99999},
		{.player = 0, .reason = SC_HAPTIC_GOAL, .duration_ms = 10, .strong = 1001},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		sc_msg_ring_write(&rings[SC_OUTBOX_HAPTIC], 300, 1, SC_MSG_PRIORITY_GAME, 0, &bad[i], sizeof(bad[i]));
	struct sc_notice_msg badn[] = {
		{.kind = 77},
		{.kind = SC_NOTICE_PLAYER_JOINED, .player = 8},
		{.kind = SC_NOTICE_PLAYER_DISCONNECTED, .player = 0xffffffffu},
		{.kind = SC_NOTICE_SPECTATORS, .count = SC_SPECTATORS_MAX + 1},
	};
	for (size_t i = 0; i < sizeof(badn) / sizeof(badn[0]); i++)
		sc_msg_ring_write(&rings[SC_OUTBOX_NOTICE], 300, 1, SC_MSG_PRIORITY_GAME, 0, &badn[i], sizeof(badn[i]));
	CHECK(flush(o, true, 300) == 0, "none of them sent: %u (%s)", n_sent, n_sent ? sent[0] : "");
	CHECK(o->invalid - invalid == 14, "all counted: %llu", (unsigned long long)(o->invalid - invalid));

	/* more than the local queue holds: the rest waits in the ring, in order */
	for (uint32_t i = 0; i < SC_GAME_OUTBOX_PENDING + 20; i++)
		ev(400 + i, SC_GAME_EVENT_WALL_BOUNCE, -1, 0);
	CHECK(flush(o, true, 400 + SC_GAME_OUTBOX_PENDING + 20) == SC_GAME_OUTBOX_PENDING, "a queue's worth: %u",
	      n_sent);
	CHECK(flush(o, true, 400 + SC_GAME_OUTBOX_PENDING + 20) == 20, "then the rest: %u", n_sent);
	char want[64];
	snprintf(want, sizeof(want), "\"tick\":%u}", 400 + SC_GAME_OUTBOX_PENDING + 19);
	CHECK(n_sent == 20 && strstr(sent[19], want), "in order: %s", sent[19]);

	/* chat: in step with the video, quoted; a corrupt length or player is not sent */
	struct sc_chat_msg chat = {.player = 1, .len = 13};
	memcpy(chat.text, "a \"quote\" <b>", 13);
	sc_msg_ring_write(&rings[SC_OUTBOX_CHAT], 900, 1, SC_MSG_PRIORITY_GAME, 0, &chat, sizeof(chat));
	CHECK(flush(o, true, 899) == 0, "chat held for its frame");
	CHECK(flush(o, true, 900) == 1 &&
	          strcmp(sent[0], "3:{\"type\":\"chat\",\"tick\":900,\"player\":1,\"text\":\"a \\\"quote\\\" <b>\"}") == 0,
	      "chat JSON: %s", sent[0]);
	invalid = o->invalid;
	chat.len = 201;
	sc_msg_ring_write(&rings[SC_OUTBOX_CHAT], 901, 1, SC_MSG_PRIORITY_GAME, 0, &chat, sizeof(chat));
	chat.len = 0;
	sc_msg_ring_write(&rings[SC_OUTBOX_CHAT], 901, 1, SC_MSG_PRIORITY_GAME, 0, &chat, sizeof(chat));
	chat.len = 3;
	chat.player = 8;
	sc_msg_ring_write(&rings[SC_OUTBOX_CHAT], 901, 1, SC_MSG_PRIORITY_GAME, 0, &chat, sizeof(chat));
	chat.player = 0;
	memcpy(chat.text, "\xff\x01z", 3); /* bad UTF-8 and a control character from a corrupt peer: escaped */
	sc_msg_ring_write(&rings[SC_OUTBOX_CHAT], 901, 1, SC_MSG_PRIORITY_GAME, 0, &chat, sizeof(chat));
	CHECK(flush(o, true, 901) == 1 && o->invalid - invalid == 3, "bad chats dropped: %u sent, %llu invalid", n_sent,
	      (unsigned long long)(o->invalid - invalid));
	CHECK(n_sent == 1 && strstr(sent[0], "\"text\":\"\xef\xbf\xbd\\u0001z\"}"), "escaped: %s", sent[0]);
	free(o);
}

/* The incident notice's full report (it comes through a payload block: the
 * formatter sees the copied payload): exact JSON, and out-of-range fields
 * from a corrupt peer never sent. */
static void test_incident_report(void)
{
	struct sc_incident_report *r = calloc(1, sizeof(*r));
	r->notice = (struct sc_notice_msg){.kind = SC_NOTICE_INCIDENT, .incident = 3, .detail = SC_DETECTED_ASSERT};
	r->path = 724;
	r->injected = SC_FAULT_ASSERT;
	r->error_tick = 812;
	r->detected_tick = 812;
	r->record_kind = 1;
	r->record_detail = 9;
	r->record_tick = 812;
	snprintf(r->detail, sizeof(r->detail), "shader assert \"x\"\n");
	r->inputs_known = 1;
	r->n_inputs = 2;
	r->inputs[0] = (struct sc_input_event){.tick = 812, .player = 1, .action = SC_INPUT_MOVE, .a = -3, .b = 2};
	r->inputs[1] = (struct sc_input_event){.tick = 812, .action = SC_INPUT_FAULT, .a = SC_FAULT_ASSERT};
	struct sc_msg_header h = {.type = SC_MSG_NOTICE, .tick = 812, .payload_len = sizeof(*r),
	                          .flags = SC_MSG_PAYLOAD_BLOCK};
	struct sc_outbox_msg *m = malloc(sizeof(*m));
	CHECK(sc_game_msg_format(SC_OUTBOX_NOTICE, &h, r, m), "report formatted");
	CHECK(strcmp(m->json, "{\"type\":\"notice\",\"notice\":{\"kind\":\"incident\",\"tick\":812,\"incident\":3,"
	                      "\"report\":{\"detected\":\"assert\",\"path\":724,\"injected\":\"assert\",\"error_tick\":812,"
	                      "\"detected_tick\":812,\"fault_record\":{\"kind\":1,\"detail\":9,\"tick\":812},"
	                      "\"detail\":\"shader assert \\\"x\\\"\\n\",\"inputs\":[\"812 1 move -3 2\",\"812 - fault assert\"]}}}") == 0,
	      "%s", m->json);
	/* no inputs known, no record, not injected */
	struct sc_incident_report *q = malloc(sizeof(*q));
	memcpy(q, r, sizeof(*q));
	q->inputs_known = 0;
	q->n_inputs = 0;
	q->record_kind = 0;
	q->injected = 0;
	CHECK(sc_game_msg_format(SC_OUTBOX_NOTICE, &h, q, m) &&
	          strstr(m->json, "\"injected\":null,") && strstr(m->json, "\"fault_record\":null,") &&
	          strstr(m->json, "\"inputs\":null}}}"),
	      "%s", m->json);
	/* every out-of-range field: not sent */
	for (int i = 0; i < 7; i++) {
		memcpy(q, r, sizeof(*q));
		switch (i) {
		case 0: q->n_inputs = SC_MAX_INPUTS_PER_TICK + 1; break;
		case 1: memset(q->detail, 'x', sizeof(q->detail)); break; /* no NUL */
		case 2: q->notice.detail = SC_DETECTED_LAST + 1; break;
		case 3: q->path = 1; break;
		case 4: q->injected = 99; break;
		case 5: q->inputs_known = 0; break; /* inputs that are not known */
		case 6: q->notice.kind = SC_NOTICE_MATCH_START; break;
		}
		CHECK(!sc_game_msg_format(SC_OUTBOX_NOTICE, &h, q, m), "bad report %d sent: %s", i, m->json);
	}
	free(q);
	free(m);
	free(r);
}

int main(void)
{
	test_producer();
	test_outbox();
	test_incident_report();
	for (int i = 0; i < SC_OUTBOX_RINGS; i++)
		free(mem[i]);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
