#include "net/ws/ws_origin.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* The next comma-separated item of *list without surrounding blanks. */
static bool next_item(const char **list, const char **item, size_t *len)
{
	const char *p = *list;
	while (*p == ' ' || *p == ',')
		p++;
	if (!*p)
		return false;
	const char *end = strchr(p, ',');
	if (!end)
		end = p + strlen(p);
	size_t n = (size_t)(end - p);
	while (n && p[n - 1] == ' ')
		n--;
	*item = p;
	*len = n;
	*list = end;
	return true;
}

bool sc_ws_origin_allowed(const char *origin, const char *host, bool tls, const char *allowed)
{
	if (!origin)
		return true;
	const char *scheme = tls ? "https://" : "http://";
	size_t sl = strlen(scheme);
	if (host && *host && strncasecmp(origin, scheme, sl) == 0 && strcasecmp(origin + sl, host) == 0)
		return true;
	const char *item;
	size_t n;
	while (allowed && next_item(&allowed, &item, &n))
		if (n == strlen(origin) && strncasecmp(item, origin, n) == 0)
			return true;
	return false;
}

const char *sc_ws_origin_list_problem(const char *list)
{
	const char *item;
	size_t n;
	while (list && next_item(&list, &item, &n)) {
		size_t sl = strncasecmp(item, "https://", 8) == 0 ? 8 : strncasecmp(item, "http://", 7) == 0 ? 7 : 0;
		if (!sl)
			return "each origin starts with http:// or https://";
		if (n == sl)
			return "an origin needs a host after the scheme";
		for (size_t i = sl; i < n; i++)
			if (item[i] == '/' || item[i] == ' ' || item[i] == '?' || item[i] == '#')
				return "an origin is scheme://host[:port], without a path";
	}
	return NULL;
}
