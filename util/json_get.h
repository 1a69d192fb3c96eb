/* Reading JSON documents (manifests, request bodies) with jansson: parse a
 * whole object, then typed access by path. A path names keys from the top
 * level down, separated by '.': "incident" is the top-level key only (never
 * one inside a nested object), "fault.detected" the key "detected" of the
 * object "fault". */
#ifndef SC_UTIL_JSON_GET_H
#define SC_UTIL_JSON_GET_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The JSON object held by the len bytes at text; NULL when they do not parse
 * or are not an object. json_decref it. */
json_t *sc_json_parse_object(const char *text, size_t len);

/* The value at path, NULL when a key on the way is missing. */
json_t *sc_json_at(const json_t *obj, const char *path);

/* false when the value is missing, null, or of another type (an integer for
 * the number readers: 1.5 is not one, nor is -1 for an unsigned one). */
bool sc_json_get_u64(const json_t *obj, const char *path, uint64_t *out);
bool sc_json_get_i64(const json_t *obj, const char *path, int64_t *out);
bool sc_json_get_bool(const json_t *obj, const char *path, bool *out);
/* Copies the string (truncated to len - 1 bytes); false for a string with a
 * NUL inside. */
bool sc_json_get_str(const json_t *obj, const char *path, char *out, size_t len);
/* A "0x..." string holding a 64-bit value (hashes do not fit a JSON number). */
bool sc_json_get_hex(const json_t *obj, const char *path, uint64_t *out);

#endif
