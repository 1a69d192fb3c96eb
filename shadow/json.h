/* Small JSON helpers for captures: careful string escaping on output, and a
 * key lookup for reading back the flat-keyed manifest.json this code writes
 * (every key in a manifest is unique, so a lookup by key name is exact). */
#ifndef SC_SHADOW_JSON_H
#define SC_SHADOW_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string literal (quotes, escapes, control characters). */
void sc_json_str(FILE *f, const char *s);

/* Finds "key": at any depth of text (not inside a string value) and parses
 * the value that follows: an unsigned or signed integer, or a string. false
 * when the key is missing, null, or of another type. */
bool sc_json_get_u64(const char *text, const char *key, uint64_t *out);
bool sc_json_get_i64(const char *text, const char *key, int64_t *out);
bool sc_json_get_str(const char *text, const char *key, char *out, size_t len);
/* A "0x..." string holding a 64-bit value (hashes do not fit a JSON number). */
bool sc_json_get_hex(const char *text, const char *key, uint64_t *out);

/* Reads a whole file, NUL-terminated; NULL with errno set on failure. */
char *sc_read_file(const char *path, size_t *len);

#endif
