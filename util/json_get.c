#include "util/json_get.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *sc_json_parse_object(const char *text, size_t len)
{
	if (!text)
		return NULL;
	json_error_t err;
	json_t *v = json_loadb(text, len, 0, &err);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

json_t *sc_json_at(const json_t *obj, const char *path)
{
	json_t *v = (json_t *)obj;
	while (v && json_is_object(v)) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		char key[128];
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		v = json_object_get(v, key); /* json_object_getn is jansson >= 2.14 */
		if (!dot)
			return v;
		path = dot + 1;
	}
	return NULL;
}

bool sc_json_get_i64(const json_t *obj, const char *path, int64_t *out)
{
	json_t *v = sc_json_at(obj, path);
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

bool sc_json_get_u64(const json_t *obj, const char *path, uint64_t *out)
{
	int64_t x;
	if (!sc_json_get_i64(obj, path, &x) || x < 0)
		return false;
	*out = (uint64_t)x;
	return true;
}

bool sc_json_get_bool(const json_t *obj, const char *path, bool *out)
{
	json_t *v = sc_json_at(obj, path);
	if (!json_is_boolean(v))
		return false;
	*out = json_is_true(v);
	return true;
}

bool sc_json_get_str(const json_t *obj, const char *path, char *out, size_t len)
{
	json_t *v = sc_json_at(obj, path);
	if (!json_is_string(v) || len == 0)
		return false;
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (memchr(s, 0, n))
		return false;
	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = 0;
	return true;
}

bool sc_json_get_hex(const json_t *obj, const char *path, uint64_t *out)
{
	json_t *v = sc_json_at(obj, path);
	const char *s = json_string_value(v);
	if (!s || strncmp(s, "0x", 2) != 0 || !s[2] || strlen(s) > 18)
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s + 2, &end, 16);
	if (errno || *end || s[2] == '-' || s[2] == '+' || s[2] == ' ')
		return false;
	*out = x;
	return true;
}
