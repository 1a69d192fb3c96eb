#include "util/secret.h"

#include <string.h>

bool sc_secret_equal(const char *secret, const char *given, size_t given_len)
{
	if (!secret || !secret[0] || !given)
		return false;
	size_t n = strlen(secret);
	unsigned diff = (unsigned)(n ^ given_len);
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)secret[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
	return diff == 0;
}
