#include "util/json_escape.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at p (n bytes left), 0 if none
 * starts there: no overlong forms, surrogates or code points past U+10FFFF
 * (the sequences jansson accepts). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len;
	unsigned cp;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *sc_json_string_lossy(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	/* each invalid byte grows to the 3 bytes of U+FFFD at most */
	char *clean = malloc(n * 3 + 1);
	if (!clean)
		return NULL;
	size_t m = 0;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_len(p + i, n - i);
		if (l) {
			memcpy(clean + m, p + i, l);
			m += l;
			i += l;
		} else {
			memcpy(clean + m, "\xef\xbf\xbd", 3);
			m += 3;
			i++;
		}
	}
	json_t *str = json_stringn_nocheck(clean, m);
	free(clean);
	return str;
}

json_t *sc_json_text(const char *s)
{
	return sc_json_string_lossy(s, strlen(s));
}

char *sc_json_quote(const char *s, size_t n)
{
	json_t *str = sc_json_string_lossy(s, n);
	if (!str)
		return NULL;
	char *out = json_dumps(str, JSON_ENCODE_ANY);
	json_decref(str);
	return out;
}

void sc_json_fput_strn(FILE *f, const char *s, size_t max)
{
	char *q = sc_json_quote(s, strnlen(s, max));
	fputs(q ? q : "\"\"", f);
	free(q);
}

void sc_json_fput_str(FILE *f, const char *s)
{
	sc_json_fput_strn(f, s, strlen(s));
}
