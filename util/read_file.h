/* Reading a whole (small) file into memory. */
#ifndef SC_UTIL_READ_FILE_H
#define SC_UTIL_READ_FILE_H
#include <stddef.h>

/* Reads a whole file, NUL-terminated; NULL with errno set on failure. */
char *sc_read_file(const char *path, size_t *len);

#endif
