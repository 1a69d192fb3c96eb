#include "util/parse.h"

#include <errno.h>
#include <stdlib.h>

bool sc_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool sc_parse_size(const char *s, uint32_t *width, uint32_t *height)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long w = strtoul(s, &end, 10);
	if (errno || *end != 'x' || end[1] < '0' || end[1] > '9')
		return false;
	unsigned long h = strtoul(end + 1, &end, 10);
	if (errno || *end || w == 0 || h == 0 || w > 16384 || h > 16384)
		return false;
	*width = (uint32_t)w;
	*height = (uint32_t)h;
	return true;
}
