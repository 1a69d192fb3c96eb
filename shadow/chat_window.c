#include "shadow/chat_window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_event.h" /* SC_MAX_PLAYERS */
#include "util/json_escape.h"

bool sc_chat_window_init(struct sc_chat_window *w, size_t cap)
{
	memset(w, 0, sizeof(*w));
	if (!cap || !(w->lines = calloc(cap, sizeof(*w->lines))))
		return false;
	w->cap = cap;
	return true;
}

void sc_chat_window_finish(struct sc_chat_window *w)
{
	free(w->lines);
	memset(w, 0, sizeof(*w));
}

static bool valid(const struct sc_chat_record *r)
{
	return r->player < SC_MAX_PLAYERS && r->len > 0 && r->len <= SC_CHAT_TEXT_MAX;
}

bool sc_chat_window_push(struct sc_chat_window *w, const struct sc_chat_record *r)
{
	if (!valid(r)) {
		w->invalid++;
		return false;
	}
	if (!w->cap)
		return false;
	w->lines[w->next] = *r;
	w->next = (w->next + 1) % w->cap;
	if (w->count < w->cap)
		w->count++;
	w->taken++;
	return true;
}

size_t sc_chat_window_copy(const struct sc_chat_window *w, struct sc_chat_record *out, size_t max)
{
	size_t n = w->count < max ? w->count : max;
	size_t first = (w->next + w->cap - w->count) % (w->cap ? w->cap : 1);
	/* the newest n when max is short: skip the oldest */
	first = (first + (w->count - n)) % (w->cap ? w->cap : 1);
	for (size_t i = 0; i < n; i++)
		out[i] = w->lines[(first + i) % w->cap];
	return n;
}

uint64_t sc_chat_window_missing(const struct sc_chat_window *w)
{
	return w->lost + (w->taken - w->count);
}

int sc_chat_line_format(const struct sc_chat_record *r, char *buf, size_t len)
{
	if (!valid(r))
		return -1;
	char *text = sc_json_quote(r->text, r->len);
	if (!text)
		return -1;
	int n = snprintf(buf, len, "%u %u %s", r->tick, r->player, text);
	free(text);
	return n;
}
