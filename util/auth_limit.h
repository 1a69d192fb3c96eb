/* Wrong bearer tokens, rate limited per client address: after
 * SC_AUTH_LIMIT_FAILURES wrong tokens within SC_AUTH_LIMIT_WINDOW_S seconds,
 * an address gets 429 for what is left of that window, right token or not,
 * so guessing costs a minute per few tries. A fixed table: the least recently
 * failing address gives way when it is full (an attacker with many addresses
 * is a network-level problem; this stops one machine guessing). Caller-owned
 * memory (sc_auth_limit_init), one thread (the service thread). */
#ifndef SC_UTIL_AUTH_LIMIT_H
#define SC_UTIL_AUTH_LIMIT_H
#include <stdbool.h>
#include <stdint.h>

#define SC_AUTH_LIMIT_FAILURES 10
#define SC_AUTH_LIMIT_WINDOW_S 60
#define SC_AUTH_LIMIT_ADDRS 256

struct sc_auth_limit_entry {
	char addr[64];
	uint64_t window_start_ns; /* first failure of the current window */
	uint64_t last_ns;         /* latest failure (eviction order) */
	uint32_t failures;
};

struct sc_auth_limit {
	struct sc_auth_limit_entry e[SC_AUTH_LIMIT_ADDRS];
	uint64_t refused;         /* requests answered 429 */
};

void sc_auth_limit_init(struct sc_auth_limit *l);
/* 0 when addr may try a token now, else the seconds until it may (>= 1). */
uint32_t sc_auth_limit_wait_s(const struct sc_auth_limit *l, const char *addr, uint64_t now_ns);
/* A wrong token from addr. */
void sc_auth_limit_failed(struct sc_auth_limit *l, const char *addr, uint64_t now_ns);

#endif
