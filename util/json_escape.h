/* The project's one JSON string writer, for output streamed piecewise (files
 * and HTTP answers) and for strings put into jansson documents. Built on
 * jansson's encoder so every writer agrees: '"' and '\\' escaped, \n \r \t \b
 * \f and \u00XX for the other control characters, everything else (0x7f and
 * UTF-8 multi-byte sequences) passed through as is. Bytes that are not valid
 * UTF-8 become U+FFFD, so the output always parses. */
#ifndef SC_UTIL_JSON_ESCAPE_H
#define SC_UTIL_JSON_ESCAPE_H
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* A jansson string of the n bytes at s, invalid UTF-8 bytes replaced by
 * U+FFFD (json_string refuses them); NULL when out of memory. sc_json_text:
 * of the NUL-terminated s. */
json_t *sc_json_string_lossy(const char *s, size_t n);
json_t *sc_json_text(const char *s);

/* The literal, quotes included, of the n bytes at s (a NUL among them is
 * \u0000); malloc'd, NUL-terminated; NULL when out of memory. */
char *sc_json_quote(const char *s, size_t n);

/* Writes the literal of s (up to its NUL, at most max bytes) to f. */
void sc_json_fput_strn(FILE *f, const char *s, size_t max);
void sc_json_fput_str(FILE *f, const char *s);

#endif
