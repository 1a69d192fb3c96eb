/* Strict parsing of command-line and config values. */
#ifndef SC_UTIL_PARSE_H
#define SC_UTIL_PARSE_H
#include <stdbool.h>
#include <stdint.h>

bool sc_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
/* "1280x720" */
bool sc_parse_size(const char *s, uint32_t *width, uint32_t *height);

#endif
