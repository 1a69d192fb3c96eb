/* Comparing secrets (tokens) without leaking where they differ through timing. */
#ifndef SC_UTIL_SECRET_H
#define SC_UTIL_SECRET_H
#include <stdbool.h>
#include <stddef.h>

/* True when given (given_len bytes) equals the NUL-terminated secret. The
 * time taken depends on the secret's length only, never on where the two
 * differ. An empty or NULL secret equals nothing. */
bool sc_secret_equal(const char *secret, const char *given, size_t given_len);

#endif
