/* check(): a test assertion that also holds in release builds (assert() is
 * compiled out under NDEBUG): prints the file, line and condition, exits 1. */
#ifndef SC_TESTS_CHECK_H
#define SC_TESTS_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define check(c) \
	do { \
		if (!(c)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			exit(1); \
		} \
	} while (0)

#endif
