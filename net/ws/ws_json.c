/* Strict, allocation-free parser for /stream client messages: one flat JSON
 * object, known keys only, each at most once, typed and range-checked.
 *
 * Kept instead of jansson (which parses every other JSON of the project)
 * because it is the hot path and measurably faster: bench/bench_ws_json.c,
 * the same six messages (inputs, ping, join, keyframe), both reading the same
 * fields, RelWithDebInfo, 2 shared cores: this parser 312-346 ns a message,
 * jansson's json_loadb + typed reads 1412-1659 ns (4.5-4.8x), before the
 * range and unknown-key checks this one also does. */
#include "net/ws/ws_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sc_ws_key {
	KEY_TYPE = 1u << 0,
	KEY_PLAYER = 1u << 1,
	KEY_SPECTATE = 1u << 2,
	KEY_SEQ = 1u << 3,
	KEY_MOVE = 1u << 4,
	KEY_SHOOT = 1u << 5,
	KEY_BLOCK = 1u << 6,
	KEY_T = 1u << 7,
	KEY_TOKEN = 1u << 8,
	KEY_AUDIO = 1u << 9,
	KEY_TEXT = 1u << 10,
	KEY_INPUT_MS = 1u << 11,
	KEY_INSTANCE = 1u << 12,
	KEY_FROM = 1u << 13,
	KEY_EVENTS_FROM = 1u << 14,
	KEY_QUEUE = 1u << 15,
};

static const struct {
	const char *name;
	enum sc_ws_key key;
} sc_ws_keys[] = {
	{ "type", KEY_TYPE },   { "player", KEY_PLAYER }, { "spectate", KEY_SPECTATE },
	{ "seq", KEY_SEQ },     { "move", KEY_MOVE },     { "shoot", KEY_SHOOT },
	{ "block", KEY_BLOCK }, { "t", KEY_T },         { "token", KEY_TOKEN },
	{ "audio", KEY_AUDIO },
	{ "text", KEY_TEXT },
	{ "input_ms", KEY_INPUT_MS },
	{ "instance", KEY_INSTANCE }, { "from", KEY_FROM }, { "events_from", KEY_EVENTS_FROM },
	{ "queue", KEY_QUEUE },
};

struct sc_ws_parser {
	const char *p, *end;
	char *err;
	size_t errlen;
};

struct sc_ws_num {
	double d;
	bool is_int;
	long long i;
};

__attribute__((format(printf, 2, 3)))
static bool fail(struct sc_ws_parser *ps, const char *fmt, ...)
{
	if (ps->err && ps->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static void skip_ws(struct sc_ws_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	                           *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool expect(struct sc_ws_parser *ps, char c)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of message, expected '%c'", c);
	if (*ps->p != c)
		return fail(ps, "expected '%c'", c);
	ps->p++;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string literal; s and n give its raw (undecoded) contents. Escapes are
 * validated; an escaped string never equals a key or value we know. */
static bool parse_string(struct sc_ws_parser *ps, const char **s, size_t *n,
                         bool *escaped)
{
	if (!expect(ps, '"'))
		return false;
	*s = ps->p;
	*escaped = false;
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"') {
			*n = (size_t)(ps->p - *s);
			ps->p++;
			return true;
		}
		if (c < 0x20)
			return fail(ps, "control character in string");
		if (c == '\\') {
			*escaped = true;
			if (ps->end - ps->p < 2)
				break;
			char e = ps->p[1];
			if (e == 'u') {
				if (ps->end - ps->p < 6)
					break;
				for (int k = 2; k < 6; k++)
					if (!is_hex(ps->p[k]))
						return fail(ps, "bad \\u escape in string");
				ps->p += 6;
				continue;
			}
			if (e == '\0' || !strchr("\"\\/bfnrt", e))
				return fail(ps, "bad escape in string");
			ps->p += 2;
			continue;
		}
		ps->p++;
	}
	return fail(ps, "unterminated string");
}

static bool parse_number(struct sc_ws_parser *ps, struct sc_ws_num *num)
{
	skip_ws(ps);
	const char *start = ps->p;
	bool is_int = true;
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return fail(ps, "expected a number");
	if (*ps->p == '0') {
		ps->p++;
	} else {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		is_int = false;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number: digits expected after '.'");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		is_int = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "bad number: digits expected in exponent");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	size_t n = (size_t)(ps->p - start);
	char tmp[40];
	if (n >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	num->d = strtod(tmp, NULL);
	if (!isfinite(num->d))
		return fail(ps, "number out of range");
	num->is_int = is_int && n <= 19 - (tmp[0] == '-' ? 0 : 1);
	num->i = num->is_int ? strtoll(tmp, NULL, 10) : 0;
	if (is_int && !num->is_int)
		return fail(ps, "integer out of range");
	return true;
}

static bool parse_literal(struct sc_ws_parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static bool parse_bool(struct sc_ws_parser *ps, const char *key, bool *out)
{
	skip_ws(ps);
	if (parse_literal(ps, "true")) {
		*out = true;
		return true;
	}
	if (parse_literal(ps, "false")) {
		*out = false;
		return true;
	}
	return fail(ps, "\"%s\" must be true or false", key);
}

static bool parse_int(struct sc_ws_parser *ps, const char *key, long long lo,
                      long long hi, long long *out)
{
	struct sc_ws_num num;
	skip_ws(ps);
	if (ps->p >= ps->end || !(*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')))
		return fail(ps, "\"%s\" must be an integer", key);
	if (!parse_number(ps, &num))
		return false;
	if (!num.is_int)
		return fail(ps, "\"%s\" must be an integer", key);
	if (num.i < lo || num.i > hi)
		return fail(ps, "\"%s\" out of range %lld..%lld", key, lo, hi);
	*out = num.i;
	return true;
}

static bool str_is(const char *s, size_t n, bool escaped, const char *word)
{
	return !escaped && strlen(word) == n && memcmp(s, word, n) == 0;
}

static bool parse_type(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg)
{
	static const struct {
		const char *name;
		enum sc_ws_client_msg_type type;
	} types[] = {
		{ "join", SC_WS_CMSG_JOIN },
		{ "input", SC_WS_CMSG_INPUT },
		{ "keyframe", SC_WS_CMSG_KEYFRAME },
		{ "ping", SC_WS_CMSG_PING },
		{ "chat", SC_WS_CMSG_CHAT },
		{ "latency", SC_WS_CMSG_LATENCY },
		{ "subscribe", SC_WS_CMSG_SUBSCRIBE },
	};
	const char *s;
	size_t n;
	bool escaped;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "\"type\" must be a string");
	if (!parse_string(ps, &s, &n, &escaped))
		return false;
	for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		if (str_is(s, n, escaped, types[k].name)) {
			msg->type = types[k].type;
			return true;
		}
	}
	return fail(ps, "unknown message type");
}

static bool parse_player(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '"') {
		const char *s;
		size_t n;
		bool escaped;
		if (!parse_string(ps, &s, &n, &escaped))
			return false;
		if (!str_is(s, n, escaped, "auto"))
			return fail(ps, "\"player\" must be 0..7 or \"auto\"");
		msg->join_player = SC_WS_JOIN_AUTO;
		return true;
	}
	long long v;
	if (!parse_int(ps, "player", 0, 7, &v))
		return false;
	msg->join_player = (int)v;
	return true;
}

/* A role token: printable ASCII without blanks, written without escapes. */
static bool parse_token(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg)
{
	const char *s;
	size_t n;
	bool escaped;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "\"token\" must be a string");
	if (!parse_string(ps, &s, &n, &escaped))
		return false;
	if (escaped || n == 0 || n >= sizeof(msg->token))
		return fail(ps, "\"token\" must be 1..127 characters without escapes");
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return fail(ps, "\"token\" must be printable ASCII without blanks");
	memcpy(msg->token, s, n);
	msg->token[n] = '\0';
	return true;
}

static bool parse_move(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg)
{
	long long x, y;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '[')
		return fail(ps, "\"move\" must be [x, y]");
	ps->p++;
	if (!parse_int(ps, "move", -127, 127, &x) || !expect(ps, ',') ||
	    !parse_int(ps, "move", -127, 127, &y))
		return false;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ']')
		return fail(ps, "\"move\" must be [x, y]");
	ps->p++;
	msg->has_move = true;
	msg->move_x = (int8_t)x;
	msg->move_y = (int8_t)y;
	return true;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes): no overlong
 * forms, no surrogates, nothing above U+10FFFF; 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, *cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, *cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, *cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[k] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static bool put_cp(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x20 || cp == 0x7f)
		return fail(ps, "\"text\" has a control character");
	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	if (msg->text_len + n > SC_WS_CHAT_MAX)
		return fail(ps, "\"text\" over %d bytes", SC_WS_CHAT_MAX);
	memcpy(msg->text + msg->text_len, b, n);
	msg->text_len += (uint32_t)n;
	return true;
}

/* "text": a string, decoded (escapes, \u surrogate pairs) into msg->text;
 * valid UTF-8, no control characters, 1..SC_WS_CHAT_MAX bytes. */
static bool parse_text(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg)
{
	const char *s;
	size_t n;
	bool escaped;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "\"text\" must be a string");
	if (!parse_string(ps, &s, &n, &escaped)) /* the escapes' syntax is checked there */
		return false;
	const unsigned char *u = (const unsigned char *)s, *end = u + n;
	msg->text_len = 0;
	while (u < end) {
		unsigned cp;
		if (*u != '\\') {
			size_t k = utf8_seq(u, (size_t)(end - u), &cp);
			if (!k)
				return fail(ps, "\"text\" is not valid UTF-8");
			u += k;
		} else if (u[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			cp = (unsigned char)to[strchr(from, u[1]) - from];
			u += 2;
		} else {
			cp = hex4((const char *)u + 2);
			u += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(ps, "\"text\" has a lone surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - u < 6 || u[0] != '\\' || u[1] != 'u')
					return fail(ps, "\"text\" has a lone surrogate");
				unsigned lo = hex4((const char *)u + 2);
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(ps, "\"text\" has a lone surrogate");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				u += 6;
			}
		}
		if (!put_cp(ps, msg, cp))
			return false;
	}
	if (msg->text_len == 0)
		return fail(ps, "\"text\" is empty");
	msg->text[msg->text_len] = '\0';
	return true;
}

/* "input_ms": [ms, ...], 1..SC_WS_LATENCY_MAX numbers, each 0..SC_WS_LATENCY_MAX_MS. */
static bool parse_input_ms(struct sc_ws_parser *ps, struct sc_ws_client_msg *msg)
{
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '[')
		return fail(ps, "\"input_ms\" must be an array of numbers");
	ps->p++;
	for (;;) {
		struct sc_ws_num num;
		skip_ws(ps);
		if (ps->p >= ps->end || !(*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')))
			return fail(ps, "\"input_ms\" must be an array of numbers");
		if (!parse_number(ps, &num))
			return false;
		if (!(num.d >= 0 && num.d <= SC_WS_LATENCY_MAX_MS))
			return fail(ps, "\"input_ms\" values must be 0..%d", SC_WS_LATENCY_MAX_MS);
		if (msg->n_input_ms == SC_WS_LATENCY_MAX)
			return fail(ps, "\"input_ms\" has more than %d values", SC_WS_LATENCY_MAX);
		msg->input_ms[msg->n_input_ms++] = num.d;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return true;
		}
		return fail(ps, "\"input_ms\" must be an array of numbers");
	}
}

static bool parse_value(struct sc_ws_parser *ps, enum sc_ws_key key,
                        struct sc_ws_client_msg *msg)
{
	long long v;
	struct sc_ws_num num;
	bool spectate;

	switch (key) {
	case KEY_TYPE:
		return parse_type(ps, msg);
	case KEY_PLAYER:
		return parse_player(ps, msg);
	case KEY_SPECTATE:
		if (!parse_bool(ps, "spectate", &spectate))
			return false;
		if (!spectate)
			return fail(ps, "\"spectate\" may only be true");
		return true;
	case KEY_SEQ:
		if (!parse_int(ps, "seq", 0, UINT32_MAX, &v))
			return false;
		msg->seq = (uint32_t)v;
		return true;
	case KEY_MOVE:
		return parse_move(ps, msg);
	case KEY_TOKEN:
		return parse_token(ps, msg);
	case KEY_SHOOT:
		msg->has_shoot = true;
		return parse_bool(ps, "shoot", &msg->shoot);
	case KEY_BLOCK:
		msg->has_block = true;
		return parse_bool(ps, "block", &msg->block);
	case KEY_AUDIO:
		return parse_bool(ps, "audio", &msg->join_audio);
	case KEY_T:
		skip_ws(ps);
		if (ps->p >= ps->end || !(*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')))
			return fail(ps, "\"t\" must be a number");
		if (!parse_number(ps, &num))
			return false;
		msg->has_t = true;
		msg->t = num.d;
		return true;
	case KEY_TEXT:
		return parse_text(ps, msg);
	case KEY_INPUT_MS:
		return parse_input_ms(ps, msg);
	case KEY_INSTANCE:
		if (!parse_int(ps, "instance", 0, SC_WS_SUBSCRIBE_INSTANCES - 1, &v))
			return false;
		msg->sub_instance = (uint32_t)v;
		return true;
	case KEY_FROM:
		if (!parse_int(ps, "from", 0, SC_WS_SUBSCRIBE_SEQ_MAX, &v))
			return false;
		msg->sub_has_from = true;
		msg->sub_from = (uint64_t)v;
		return true;
	case KEY_EVENTS_FROM:
		if (!parse_int(ps, "events_from", 0, SC_WS_SUBSCRIBE_SEQ_MAX, &v))
			return false;
		msg->sub_has_events_from = true;
		msg->sub_events_from = (uint64_t)v;
		return true;
	case KEY_QUEUE:
		if (!parse_int(ps, "queue", SC_WS_SUBSCRIBE_QUEUE_MIN, SC_WS_SUBSCRIBE_QUEUE_MAX, &v))
			return false;
		msg->sub_queue = (uint32_t)v;
		return true;
	}
	return fail(ps, "internal: unknown key");
}

/* Which keys each message type allows and requires. */
static bool check_schema(struct sc_ws_parser *ps, unsigned seen,
                         struct sc_ws_client_msg *msg)
{
	unsigned allowed = KEY_TYPE, required = KEY_TYPE;
	const char *name = "";

	if (!(seen & KEY_TYPE))
		return fail(ps, "missing \"type\"");
	switch (msg->type) {
	case SC_WS_CMSG_JOIN:
		name = "join";
		allowed |= KEY_PLAYER | KEY_SPECTATE | KEY_TOKEN | KEY_AUDIO;
		if (!(seen & (KEY_PLAYER | KEY_SPECTATE)))
			return fail(ps, "join needs \"player\" or \"spectate\"");
		if ((seen & KEY_PLAYER) && (seen & KEY_SPECTATE))
			return fail(ps, "join takes \"player\" or \"spectate\", not both");
		if (seen & KEY_SPECTATE)
			msg->join_player = SC_WS_JOIN_SPECTATE;
		break;
	case SC_WS_CMSG_INPUT:
		name = "input";
		allowed |= KEY_SEQ | KEY_MOVE | KEY_SHOOT | KEY_BLOCK | KEY_T;
		required |= KEY_SEQ;
		if (!(seen & (KEY_MOVE | KEY_SHOOT | KEY_BLOCK)))
			return fail(ps, "input needs \"move\", \"shoot\" or \"block\"");
		break;
	case SC_WS_CMSG_KEYFRAME:
		name = "keyframe";
		break;
	case SC_WS_CMSG_PING:
		name = "ping";
		allowed |= KEY_T;
		break;
	case SC_WS_CMSG_CHAT:
		name = "chat";
		allowed |= KEY_TEXT;
		if (!(seen & KEY_TEXT))
			return fail(ps, "chat needs \"text\"");
		break;
	case SC_WS_CMSG_LATENCY:
		name = "latency";
		allowed |= KEY_INPUT_MS;
		if (!(seen & KEY_INPUT_MS))
			return fail(ps, "latency needs \"input_ms\"");
		break;
	case SC_WS_CMSG_SUBSCRIBE:
		name = "subscribe";
		allowed |= KEY_TOKEN | KEY_INSTANCE | KEY_FROM | KEY_EVENTS_FROM | KEY_QUEUE;
		break;
	}
	if (seen & ~allowed) {
		for (size_t k = 0; k < sizeof(sc_ws_keys) / sizeof(sc_ws_keys[0]); k++)
			if (seen & ~allowed & sc_ws_keys[k].key)
				return fail(ps, "\"%s\" not allowed in %s", sc_ws_keys[k].name, name);
	}
	if ((seen & required) != required)
		return fail(ps, "%s needs \"seq\"", name);
	return true;
}

bool sc_ws_json_parse_client_msg(const char *buf, size_t len,
                                 struct sc_ws_client_msg *msg,
                                 char *err, size_t errlen)
{
	struct sc_ws_parser ps = { .p = buf, .end = buf + len, .err = err, .errlen = errlen };
	unsigned seen = 0;

	memset(msg, 0, sizeof(*msg));
	msg->join_player = SC_WS_JOIN_SPECTATE;
	if (err && errlen)
		err[0] = '\0';
	if (!buf || len == 0)
		return fail(&ps, "empty message");

	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{')
		return fail(&ps, "message must be a JSON object");
	ps.p++;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
	} else {
		for (;;) {
			const char *s;
			size_t n;
			bool escaped;
			enum sc_ws_key key = 0;

			skip_ws(&ps);
			if (ps.p >= ps.end || *ps.p != '"')
				return fail(&ps, "expected a key string");
			if (!parse_string(&ps, &s, &n, &escaped))
				return false;
			for (size_t k = 0; k < sizeof(sc_ws_keys) / sizeof(sc_ws_keys[0]); k++)
				if (str_is(s, n, escaped, sc_ws_keys[k].name))
					key = sc_ws_keys[k].key;
			if (!key)
				return fail(&ps, "unknown key");
			if (seen & key)
				return fail(&ps, "duplicate key");
			seen |= key;
			if (!expect(&ps, ':') || !parse_value(&ps, key, msg))
				return false;
			skip_ws(&ps);
			if (ps.p >= ps.end)
				return fail(&ps, "unterminated object");
			if (*ps.p == ',') {
				ps.p++;
				continue;
			}
			if (*ps.p == '}') {
				ps.p++;
				break;
			}
			return fail(&ps, "expected ',' or '}'");
		}
	}
	skip_ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "trailing data after object");
	return check_schema(&ps, seen, msg);
}
