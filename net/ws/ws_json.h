/* Strict parsing of the JSON messages a /stream client sends, and escaping
 * for the JSON the server sends back. The parser never reads past len bytes,
 * never allocates. The grammar is documented in docs/protocol.md. */
#ifndef SC_NET_WS_WS_JSON_H
#define SC_NET_WS_WS_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


enum sc_ws_client_msg_type {
	SC_WS_CMSG_JOIN = 1,
	SC_WS_CMSG_INPUT,
	SC_WS_CMSG_KEYFRAME,
	SC_WS_CMSG_PING,
	SC_WS_CMSG_CHAT,
	SC_WS_CMSG_LATENCY,
	SC_WS_CMSG_SUBSCRIBE, /* the developer's sample feed (docs/protocol.md §11) */
};

/* `subscribe`: instance 0 primary, 1 and 2 the shadow slots; from and
 * events_from: 0..2^53-1 (a JSON number a browser holds exactly) */
#define SC_WS_SUBSCRIBE_INSTANCES 3
#define SC_WS_SUBSCRIBE_SEQ_MAX 9007199254740991ll
#define SC_WS_SUBSCRIBE_QUEUE_MIN 16
#define SC_WS_SUBSCRIBE_QUEUE_MAX 65536

/* `latency`: input-to-display latencies the page measured, ms */
#define SC_WS_LATENCY_MAX 32
#define SC_WS_LATENCY_MAX_MS 60000

/* Longest chat text, in UTF-8 bytes after the JSON escapes are decoded. */
#define SC_WS_CHAT_MAX 200

/* "player" in a join message: a slot number, "auto", or absent (spectator). */
#define SC_WS_JOIN_SPECTATE (-1)
#define SC_WS_JOIN_AUTO (-2)

struct sc_ws_client_msg {
	enum sc_ws_client_msg_type type;
	int join_player;      /* join: 0..7, SC_WS_JOIN_AUTO or SC_WS_JOIN_SPECTATE */
	bool join_audio;      /* join: "audio": true, the client wants the audio packets */
	uint32_t seq;         /* input */
	bool has_move;        /* input: "move":[x,y] */
	int8_t move_x, move_y;
	bool has_shoot, shoot;
	bool has_block, block;
	bool has_t;           /* input, ping: client timestamp echoed back */
	double t;
	char token[128];      /* join, subscribe: "token" (printable ASCII, no escapes), "" if absent */
	uint32_t sub_instance; /* subscribe: "instance" (default 0) */
	bool sub_has_from, sub_has_events_from;
	uint64_t sub_from, sub_events_from; /* subscribe: the first sample seq / event id wanted */
	uint32_t sub_queue;   /* subscribe: "queue", its bound in samples; 0 = the server's */
	/* chat: the decoded text, valid UTF-8 without control characters,
	 * 1..SC_WS_CHAT_MAX bytes, NUL-terminated */
	uint32_t text_len;
	char text[SC_WS_CHAT_MAX + 1];
	/* latency: "input_ms": 1..SC_WS_LATENCY_MAX numbers, 0..SC_WS_LATENCY_MAX_MS */
	uint32_t n_input_ms;
	double input_ms[SC_WS_LATENCY_MAX];
};

/* Parses one client message. On failure returns false and writes a short
 * reason (suitable for a close frame, < 100 bytes) into err. */
bool sc_ws_json_parse_client_msg(const char *buf, size_t len,
                                 struct sc_ws_client_msg *msg,
                                 char *err, size_t errlen);

/* Writes s as a JSON string literal (with the quotes) into out; returns the
 * length written, or 0 if it does not fit (out is then ""). NULL -> null.
 * jansson's spelling (net/ws/ws_json_quote.c); this one allocates. */
size_t sc_ws_json_quote(const char *s, char *out, size_t outlen);

#endif
