/* The shadow's record of the players' chat: the lines the primary relayed,
 * drained from the shared chat log (session/shm/chat_record.h) as they come,
 * the last `cap` kept in the shadow's own memory. A capture writes them as
 * chat.txt (docs/captures.md), one line each:
 *
 *     TICK PLAYER "TEXT"
 *
 * TICK the tick the game took the line at, PLAYER 0..7, TEXT a JSON string
 * (quotes, backslashes and control characters escaped, UTF-8 as is; bytes
 * that are not UTF-8, from a corrupt peer only, become U+FFFD). */
#ifndef SC_SHADOW_CHAT_WINDOW_H
#define SC_SHADOW_CHAT_WINDOW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/shm/chat_record.h"

struct sc_chat_window {
	struct sc_chat_record *lines; /* ring of cap */
	size_t cap, count, next;
	uint64_t taken;   /* lines pushed */
	uint64_t lost;    /* lines this shadow never got (the log overwrote them before it read them) */
	uint64_t invalid; /* records that failed the range checks (not kept) */
};

bool sc_chat_window_init(struct sc_chat_window *w, size_t cap);
void sc_chat_window_finish(struct sc_chat_window *w);

/* Keeps r (the oldest line goes when the window is full); false, counted in
 * invalid, for a record out of range (player >= SC_MAX_PLAYERS, len 0 or
 * over SC_CHAT_TEXT_MAX). */
bool sc_chat_window_push(struct sc_chat_window *w, const struct sc_chat_record *r);

/* Copies the kept lines, oldest first, into out (room for max); returns how many. */
size_t sc_chat_window_copy(const struct sc_chat_window *w, struct sc_chat_record *out, size_t max);

/* Lines older than the window's (pushed out of it, or never got): what a
 * capture of it is missing. */
uint64_t sc_chat_window_missing(const struct sc_chat_window *w);

/* Formats r as one chat.txt line, without the newline: the length (as
 * snprintf), or -1 for a record out of range or out of memory. */
int sc_chat_line_format(const struct sc_chat_record *r, char *buf, size_t len);

#endif
