/* JSON string literals for the /stream messages the server sends (error
 * texts, encoder names), written by jansson's encoder like every other JSON
 * string of the project (util/json_escape.c): \" \\ \n \r \t \b \f, \u00XX
 * for other control characters, UTF-8 and 0x7f as they are. */
#include "net/ws/ws_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

size_t sc_ws_json_quote(const char *s, char *out, size_t outlen)
{
	if (outlen == 0)
		return 0;
	out[0] = '\0';
	json_t *str = s ? json_string(s) : json_null();
	if (s && !str) {
		/* not UTF-8 (a server text cut mid-character): such bytes become '?' */
		char *copy = strdup(s);
		if (!copy)
			return 0;
		for (char *p = copy; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		str = json_string(copy);
		free(copy);
		if (!str)
			return 0;
	}
	size_t n = json_dumpb(str, out, outlen - 1, JSON_ENCODE_ANY);
	json_decref(str);
	if (n == 0 || n > outlen - 1) {
		out[0] = '\0';
		return 0;
	}
	out[n] = '\0';
	return n;
}
