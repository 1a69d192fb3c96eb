/* libFuzzer target: the /stream client message parser (net/ws/ws_json.c).
 * Must never read past the input, crash or accept out-of-range values; the
 * JSON quoting must always produce a parseable string for any C string. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/ws_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_ws_client_msg m;
	char err[100];

	/* exact-size heap copy so ASan catches any read past the end */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	if (sc_ws_json_parse_client_msg(buf, size, &m, err, sizeof(err))) {
		if (m.type < SC_WS_CMSG_JOIN || m.type > SC_WS_CMSG_SUBSCRIBE)
			abort(); /* (it said PING until the seed corpus had a latency message: chat and latency were new) */
		if (m.type == SC_WS_CMSG_SUBSCRIBE &&
		    (m.sub_instance >= SC_WS_SUBSCRIBE_INSTANCES || m.sub_from > (uint64_t)SC_WS_SUBSCRIBE_SEQ_MAX ||
		     m.sub_events_from > (uint64_t)SC_WS_SUBSCRIBE_SEQ_MAX ||
		     (m.sub_queue && (m.sub_queue < SC_WS_SUBSCRIBE_QUEUE_MIN || m.sub_queue > SC_WS_SUBSCRIBE_QUEUE_MAX))))
			abort();
		if (m.type != SC_WS_CMSG_SUBSCRIBE && (m.sub_has_from || m.sub_has_events_from || m.sub_queue))
			abort(); /* subscribe's keys belong to it only */
		if (m.type == SC_WS_CMSG_CHAT && (m.text_len < 1 || m.text_len > SC_WS_CHAT_MAX || m.text[m.text_len]))
			abort();
		if (m.type == SC_WS_CMSG_LATENCY) {
			if (m.n_input_ms < 1 || m.n_input_ms > SC_WS_LATENCY_MAX)
				abort();
			for (uint32_t i = 0; i < m.n_input_ms; i++)
				if (!(m.input_ms[i] >= 0 && m.input_ms[i] <= SC_WS_LATENCY_MAX_MS))
					abort();
		}
		if (m.type == SC_WS_CMSG_JOIN && (m.join_player < SC_WS_JOIN_AUTO || m.join_player > 7))
			abort();
		if (m.has_move && (m.move_x < -127 || m.move_y < -127))
			abort();
		if (m.type == SC_WS_CMSG_INPUT && !m.has_move && !m.has_shoot && !m.has_block)
			abort();
	} else if (strnlen(err, sizeof(err)) == 0 || strnlen(err, sizeof(err)) == sizeof(err)) {
		abort(); /* every rejection has a reason */
	}

	/* quoting: {"type":"ping","t":1} with the input as an unknown key must be
	 * rejected as an unknown key, never as malformed JSON */
	char *s = malloc(size + 1), out[2048], msg[2100];
	if (!s) {
		free(buf);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	size_t n = sc_ws_json_quote(s, out, sizeof(out));
	if (n) {
		size_t len = (size_t)snprintf(msg, sizeof(msg), "{\"type\":\"ping\",%s:1}", out);
		if (len < sizeof(msg) &&
		    !sc_ws_json_parse_client_msg(msg, len, &m, err, sizeof(err)) &&
		    !strstr(err, "unknown key") && !strstr(err, "duplicate key") &&
		    !strstr(err, "not allowed") && !strstr(err, "must be") && !strstr(err, "out of range"))
			abort();
	}
	free(s);
	free(buf);
	return 0;
}
