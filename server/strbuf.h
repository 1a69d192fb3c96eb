/* A growing, NUL-terminated string buffer for JSON answers and archives:
 * every append checks its size; a failed allocation or the cap sets `failed`
 * and later appends do nothing, so callers check once at the end. */
#ifndef SC_SERVER_STRBUF_H
#define SC_SERVER_STRBUF_H
#include <stdbool.h>
#include <stddef.h>

struct sc_strbuf {
	char *buf;
	size_t len, cap;
	size_t max;   /* 0 = no limit beyond memory */
	bool failed;  /* out of memory or over max */
};

void sc_sb_append(struct sc_strbuf *sb, const void *data, size_t n);
void sc_sb_printf(struct sc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string literal (util/json_escape.h: the project's one escaper). */
void sc_sb_json_str(struct sc_strbuf *sb, const char *s);
/* Hands the buffer over (caller frees); NULL if it failed. */
char *sc_sb_take(struct sc_strbuf *sb, size_t *len);
void sc_sb_free(struct sc_strbuf *sb);

#endif
