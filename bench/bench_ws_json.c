/* bench_ws_json: the /stream client-message parser (net/ws/ws_json.c, strict,
 * allocation-free) against jansson on the same messages. The jansson side
 * does the least a replacement would: json_loadb with duplicate keys refused,
 * then the typed fields read out (no range or unknown-key checks), then
 * json_decref. Prints ns per message for each; the numbers are quoted in
 * net/ws/ws_json.c. Usage: bench_ws_json [iterations] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/ws/ws_json.h"

static const char *const msgs[] = {
	/* what a playing client sends most: inputs, then pings */
	"{\"type\":\"input\",\"seq\":48213,\"move\":[-127,64],\"shoot\":true,\"block\":false,\"t\":171234.5}",
	"{\"type\":\"input\",\"seq\":48214,\"move\":[0,0],\"t\":171251.25}",
	"{\"type\":\"input\",\"seq\":48215,\"shoot\":false}",
	"{\"type\":\"ping\",\"t\":171260.75}",
	"{\"type\":\"join\",\"player\":\"auto\"}",
	"{\"type\":\"keyframe\"}",
};
#define N_MSGS (sizeof(msgs) / sizeof(msgs[0]))

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile long sink;

static int parse_jansson(const char *buf, size_t len, struct sc_ws_client_msg *m)
{
	json_error_t err;
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(o)) {
		json_decref(o);
		return 0;
	}
	memset(m, 0, sizeof(*m));
	const char *type = json_string_value(json_object_get(o, "type"));
	int ok = type != NULL;
	if (ok && strcmp(type, "input") == 0) {
		m->type = SC_WS_CMSG_INPUT;
		m->seq = (uint32_t)json_integer_value(json_object_get(o, "seq"));
		json_t *mv = json_object_get(o, "move");
		if (json_is_array(mv) && json_array_size(mv) == 2) {
			m->has_move = true;
			m->move_x = (int8_t)json_integer_value(json_array_get(mv, 0));
			m->move_y = (int8_t)json_integer_value(json_array_get(mv, 1));
		}
		json_t *b = json_object_get(o, "shoot");
		if ((m->has_shoot = json_is_boolean(b)))
			m->shoot = json_is_true(b);
		b = json_object_get(o, "block");
		if ((m->has_block = json_is_boolean(b)))
			m->block = json_is_true(b);
	} else if (ok && strcmp(type, "join") == 0) {
		m->type = SC_WS_CMSG_JOIN;
		json_t *p = json_object_get(o, "player");
		m->join_player = json_is_integer(p) ? (int)json_integer_value(p) : json_is_string(p) ? SC_WS_JOIN_AUTO
		                                                                                     : SC_WS_JOIN_SPECTATE;
	} else if (ok) {
		m->type = strcmp(type, "ping") == 0 ? SC_WS_CMSG_PING : SC_WS_CMSG_KEYFRAME;
	}
	json_t *t = json_object_get(o, "t");
	if ((m->has_t = json_is_number(t)))
		m->t = json_number_value(t);
	json_decref(o);
	return ok;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 2000000;
	size_t lens[N_MSGS];
	for (size_t i = 0; i < N_MSGS; i++)
		lens[i] = strlen(msgs[i]);
	struct sc_ws_client_msg m, j;
	char err[100];
	/* both read the same fields out of every message */
	for (size_t i = 0; i < N_MSGS; i++) {
		if (!sc_ws_json_parse_client_msg(msgs[i], lens[i], &m, err, sizeof(err)) ||
		    !parse_jansson(msgs[i], lens[i], &j) || m.type != j.type || m.seq != j.seq || m.move_x != j.move_x ||
		    m.move_y != j.move_y || m.shoot != j.shoot || m.t != j.t) {
			fprintf(stderr, "bench_ws_json: the two parsers disagree on %s\n", msgs[i]);
			return 1;
		}
	}
	double best_own = 1e9, best_js = 1e9;
	for (int round = 0; round < 3; round++) {
		double t0 = now_s();
		for (long k = 0; k < iters; k++) {
			size_t i = (size_t)k % N_MSGS;
			sink += sc_ws_json_parse_client_msg(msgs[i], lens[i], &m, err, sizeof(err));
		}
		double t1 = now_s();
		for (long k = 0; k < iters; k++) {
			size_t i = (size_t)k % N_MSGS;
			sink += parse_jansson(msgs[i], lens[i], &j);
		}
		double t2 = now_s();
		if (t1 - t0 < best_own)
			best_own = t1 - t0;
		if (t2 - t1 < best_js)
			best_js = t2 - t1;
	}
	printf("client messages (%zu kinds, %ld parses, best of 3): net/ws/ws_json %.0f ns/msg, jansson %.0f ns/msg "
	       "(%.1fx)\n", N_MSGS, iters, best_own / (double)iters * 1e9, best_js / (double)iters * 1e9,
	       best_js / best_own);
	return 0;
}
