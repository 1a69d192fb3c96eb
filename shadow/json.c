#include "shadow/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sc_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* The first character of the value of "key", skipping keys inside strings. */
static const char *find_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	bool in_str = false;
	for (const char *p = text; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p != '"')
			continue;
		/* a string starts here: a key if it matches and a ':' follows */
		if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"') {
			const char *q = p + 2 + klen;
			while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
				q++;
			if (*q == ':') {
				q++;
				while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
					q++;
				return q;
			}
		}
		in_str = true;
	}
	return NULL;
}

bool sc_json_get_i64(const char *text, const char *key, int64_t *out)
{
	const char *v = find_value(text, key);
	if (!v || !(*v == '-' || (*v >= '0' && *v <= '9')))
		return false;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end == '.' || *end == 'e' || *end == 'E')
		return false;
	*out = x;
	return true;
}

bool sc_json_get_u64(const char *text, const char *key, uint64_t *out)
{
	const char *v = find_value(text, key);
	if (!v || !(*v >= '0' && *v <= '9'))
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *end == '.' || *end == 'e' || *end == 'E')
		return false;
	*out = x;
	return true;
}

bool sc_json_get_str(const char *text, const char *key, char *out, size_t len)
{
	const char *v = find_value(text, key);
	if (!v || *v != '"' || len == 0)
		return false;
	size_t n = 0;
	for (v++; *v && *v != '"'; v++) {
		char c = *v;
		if (c == '\\') {
			v++;
			switch (*v) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned x = 0;
				for (int i = 1; i <= 4; i++) {
					char h = v[i];
					if (!h)
						return false;
					x = x * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
				}
				v += 4;
				c = x < 0x80 ? (char)x : '?';
				break;
			}
			case 0: return false;
			default: c = *v;
			}
		}
		if (n + 1 < len)
			out[n++] = c;
	}
	out[n] = 0;
	return *v == '"';
}

bool sc_json_get_hex(const char *text, const char *key, uint64_t *out)
{
	char buf[32];
	if (!sc_json_get_str(text, key, buf, sizeof(buf)) || strncmp(buf, "0x", 2) != 0 || !buf[2])
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf + 2, &end, 16);
	if (errno || *end)
		return false;
	*out = x;
	return true;
}

char *sc_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *nb = realloc(buf, cap * 2 + 1);
		if (!nb) {
			free(buf);
			buf = NULL;
			errno = ENOMEM;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	bool err = ferror(f);
	fclose(f);
	if (!buf)
		return NULL;
	if (err) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}
