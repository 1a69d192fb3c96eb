#include "server/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_escape.h"

static bool reserve(struct sc_strbuf *sb, size_t n)
{
	if (sb->failed)
		return false;
	if (sb->max && sb->len + n > sb->max) {
		sb->failed = true;
		return false;
	}
	if (sb->len + n + 1 <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 1024;
	while (cap < sb->len + n + 1)
		cap *= 2;
	char *b = realloc(sb->buf, cap);
	if (!b) {
		sb->failed = true;
		return false;
	}
	sb->buf = b;
	sb->cap = cap;
	return true;
}

void sc_sb_append(struct sc_strbuf *sb, const void *data, size_t n)
{
	if (!reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sc_sb_printf(struct sc_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(sb, (size_t)n)) {
		sb->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sc_sb_json_str(struct sc_strbuf *sb, const char *s)
{
	char *q = sc_json_quote(s, strlen(s));
	if (!q) {
		sb->failed = true;
		return;
	}
	sc_sb_append(sb, q, strlen(q));
	free(q);
}

char *sc_sb_take(struct sc_strbuf *sb, size_t *len)
{
	if (sb->failed) {
		sc_sb_free(sb);
		return NULL;
	}
	if (!sb->buf && !reserve(sb, 0))
		return NULL;
	char *b = sb->buf;
	*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return b;
}

void sc_sb_free(struct sc_strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}
