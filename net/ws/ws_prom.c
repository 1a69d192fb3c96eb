#include "net/ws/ws_prom.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- Accept ------------------------------------------------------------------- */

/* q of one media range ("type/sub;a=b;q=0.5"): 1 when absent. */
static double range_q(const char *p, size_t n)
{
	const char *end = p + n;
	for (const char *s = p; s < end; s++) {
		if (*s != ';')
			continue;
		const char *k = s + 1;
		while (k < end && *k == ' ')
			k++;
		if (end - k >= 2 && (k[0] == 'q' || k[0] == 'Q') && k[1] == '=') {
			char num[16];
			size_t m = 0;
			for (const char *v = k + 2; v < end && *v != ';' && m + 1 < sizeof(num); v++)
				num[m++] = *v;
			num[m] = '\0';
			return atof(num);
		}
	}
	return 1.0;
}

bool sc_prom_wants_openmetrics(const char *accept)
{
	if (!accept)
		return false;
	double om = -1, text = -1;
	const char *p = accept;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		size_t t = 0;
		while (t < n && p[t] != ';' && p[t] != ' ')
			t++;
		double q = range_q(p, n);
		if (t == 28 && strncasecmp(p, "application/openmetrics-text", 28) == 0)
			om = q > om ? q : om;
		else if ((t == 10 && strncasecmp(p, "text/plain", 10) == 0) || (t == 3 && strncmp(p, "*/*", 3) == 0))
			text = q > text ? q : text;
		p += n;
	}
	return om > 0 && om >= text;
}

/* --- the rewrite ---------------------------------------------------------------- */

struct out {
	char *buf;
	size_t len, used;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->used + n + 1 > o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->used, s, n);
	o->used += n;
	o->buf[o->used] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* the escaped label value: \ " and newline */
static void label_value(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(o, "\\\\");
		else if (*s == '"')
			puts_(o, "\\\"");
		else if (*s == '\n')
			puts_(o, "\\n");
		else
			put(o, s, 1);
	}
}

static size_t name_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
		i++;
	return i;
}

static bool ends_with_total(const char *name, size_t n)
{
	return n > 6 && memcmp(name + n - 6, "_total", 6) == 0;
}

/* the type the line after this HELP line gives name ("" when none) */
static void next_type(const char *next, const char *end, const char *name, size_t nlen, char *type, size_t tlen)
{
	type[0] = '\0';
	if (!next || next >= end || (size_t)(end - next) < 7 + nlen + 1 || memcmp(next, "# TYPE ", 7) != 0 ||
	    memcmp(next + 7, name, nlen) != 0 || next[7 + nlen] != ' ')
		return;
	const char *t = next + 8 + nlen;
	size_t i = 0;
	while (t + i < end && t[i] != '\n' && i + 1 < tlen) {
		type[i] = t[i];
		i++;
	}
	type[i] = '\0';
}

/* HELP and TYPE lines: OpenMetrics names a counter family without _total
 * (its sample is NAME_total); a counter whose name lacks the suffix becomes
 * `unknown` there. HELP's quotes are escaped. */
static void meta_line(struct out *o, const char *line, size_t n, const char *next, const char *end)
{
	bool help = n > 7 && memcmp(line, "# HELP ", 7) == 0;
	const char *name = line + 7;
	size_t nlen = name_len(name, n - 7);
	const char *rest = name + nlen; /* " text" or " type" */
	size_t rlen = n - 7 - nlen;
	char type[32];
	if (help)
		next_type(next, end, name, nlen, type, sizeof(type));
	else {
		size_t i = 0;
		for (; i + 1 < rlen && i + 1 < sizeof(type); i++)
			type[i] = rest[i + 1];
		type[i] = '\0';
	}
	bool counter = strcmp(type, "counter") == 0;
	size_t shown = counter && ends_with_total(name, nlen) ? nlen - 6 : nlen;
	put(o, line, 7);
	put(o, name, shown);
	if (help) {
		for (size_t i = 0; i < rlen; i++) {
			if (rest[i] == '"')
				puts_(o, "\\\"");
			else
				put(o, rest + i, 1);
		}
	} else if (counter && shown == nlen) {
		puts_(o, " unknown");
	} else {
		put(o, rest, rlen);
	}
	puts_(o, "\n");
}

/* a sample: NAME, then {session="...",labels} (or {session="..."}), then the rest */
static void sample_line(struct out *o, const char *line, size_t n, const char *session)
{
	size_t nlen = name_len(line, n);
	put(o, line, nlen);
	if (!session || !session[0]) {
		put(o, line + nlen, n - nlen);
		puts_(o, "\n");
		return;
	}
	puts_(o, "{session=\"");
	label_value(o, session);
	puts_(o, "\"");
	if (nlen < n && line[nlen] == '{') {
		if (nlen + 1 < n && line[nlen + 1] != '}')
			puts_(o, ",");
		put(o, line + nlen + 1, n - nlen - 1);
	} else {
		puts_(o, "}");
		put(o, line + nlen, n - nlen);
	}
	puts_(o, "\n");
}

size_t sc_prom_rewrite(const char *in, size_t in_len, const char *session, bool openmetrics, char *out,
                       size_t out_len)
{
	struct out o = {.buf = out, .len = out_len};
	const char *end = in + in_len;
	if (out_len == 0)
		return 0;
	out[0] = '\0';
	for (const char *line = in; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		const char *next = nl ? nl + 1 : end;
		if (n == 0) {
			if (!openmetrics) /* OpenMetrics has no blank lines */
				puts_(&o, "\n");
		} else if (line[0] == '#') {
			bool meta = n > 7 && (memcmp(line, "# HELP ", 7) == 0 || memcmp(line, "# TYPE ", 7) == 0);
			if (openmetrics && meta)
				meta_line(&o, line, n, next, end);
			else if (!openmetrics) {
				put(&o, line, n);
				puts_(&o, "\n");
			} /* OpenMetrics has no other comments */
		} else {
			sample_line(&o, line, n, session);
		}
		line = next;
	}
	if (openmetrics)
		puts_(&o, "# EOF\n");
	return o.overflow ? 0 : o.used;
}

size_t sc_prom_rewrite_bound(const char *in, size_t in_len, const char *session)
{
	size_t lines = 1;
	for (size_t i = 0; i < in_len; i++)
		lines += in[i] == '\n';
	/* per line: the label (each character escaped at worst), a quote per
	 * HELP character escaped at worst is bounded by doubling the input */
	size_t label = session ? 2 * strlen(session) + 16 : 0;
	return 2 * in_len + lines * (label + 16) + 64;
}
