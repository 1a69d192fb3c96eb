/* util/prom_text.h: exact sample-name match, line by line. */
#include "util/prom_text.h"

#include <stdlib.h>
#include <string.h>

static bool parse_value(const char *p, const char *end, double *value)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	/* strtod needs a terminated string: copy the value token */
	char tok[64];
	size_t n = 0;
	while (p + n < end && p[n] != ' ' && p[n] != '\t' && p[n] != '\r')
		n++;
	if (n == 0 || n >= sizeof(tok))
		return false;
	memcpy(tok, p, n);
	tok[n] = '\0';
	char *e;
	double v = strtod(tok, &e);
	if (*e)
		return false;
	*value = v;
	return true;
}

bool sc_prom_value(const char *text, size_t len, const char *name, double *value)
{
	size_t nl = strlen(name);
	if (!text || nl == 0)
		return false;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nl && memcmp(p, name, nl) == 0 && (p[nl] == ' ' || p[nl] == '\t'))
			return parse_value(p + nl, eol, value);
		/* NAME{session="..."} VALUE: the session label alone */
		if ((size_t)(eol - p) > nl + 10 && memcmp(p, name, nl) == 0 && memcmp(p + nl, "{session=\"", 10) == 0) {
			const char *q = p + nl + 10;
			while (q < eol && *q != '"' && *q != '\\')
				q++;
			if (eol - q > 2 && q[0] == '"' && q[1] == '}' && (q[2] == ' ' || q[2] == '\t'))
				return parse_value(q + 2, eol, value);
		}
		p = eol + 1;
	}
	return false;
}
