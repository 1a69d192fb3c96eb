/* Reading a session profile (docs/profile-format.md): checks the whole file
 * and summarises it (`shadowcast profile FILE`): p50/p99 per metric, the
 * hottest GPU passes, the incidents, condition hits and clients. */
#ifndef SC_SERVER_PROFILE_READ_H
#define SC_SERVER_PROFILE_READ_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The bytes at the start of data that are the header and whole, well-formed
 * records (the writer continues a file from there); 0 when the header is
 * not a profile header of this version. */
size_t sc_profile_valid_prefix(const uint8_t *data, size_t len);

/* The summary object (docs/profile-format.md "shadowcast profile"), or NULL
 * with the reason in err: not a profile, another version, a record cut
 * short, an unknown record type, a record of the wrong length, a META that
 * is not a JSON object. The caller json_decref()s it. */
json_t *sc_profile_summarize(const uint8_t *data, size_t len, char *err, size_t errlen);

/* The summary as tables for people. */
void sc_profile_print_table(FILE *out, const json_t *summary);

#endif
