#include "util/auth_limit.h"

#include <stdio.h>
#include <string.h>

#define WINDOW_NS ((uint64_t)SC_AUTH_LIMIT_WINDOW_S * 1000000000ull)

void sc_auth_limit_init(struct sc_auth_limit *l)
{
	memset(l, 0, sizeof(*l));
}

static const struct sc_auth_limit_entry *find(const struct sc_auth_limit *l, const char *addr)
{
	for (int i = 0; i < SC_AUTH_LIMIT_ADDRS; i++)
		if (l->e[i].failures && strcmp(l->e[i].addr, addr) == 0)
			return &l->e[i];
	return NULL;
}

uint32_t sc_auth_limit_wait_s(const struct sc_auth_limit *l, const char *addr, uint64_t now_ns)
{
	const struct sc_auth_limit_entry *e = find(l, addr ? addr : "");
	if (!e || e->failures < SC_AUTH_LIMIT_FAILURES || now_ns - e->window_start_ns >= WINDOW_NS)
		return 0;
	uint64_t left = WINDOW_NS - (now_ns - e->window_start_ns);
	return (uint32_t)((left + 999999999ull) / 1000000000ull);
}

void sc_auth_limit_failed(struct sc_auth_limit *l, const char *addr, uint64_t now_ns)
{
	if (!addr)
		addr = "";
	struct sc_auth_limit_entry *e = (struct sc_auth_limit_entry *)find(l, addr);
	if (!e) { /* a free entry, else the least recently failing one */
		e = &l->e[0];
		for (int i = 0; i < SC_AUTH_LIMIT_ADDRS && e->failures; i++)
			if (!l->e[i].failures || l->e[i].last_ns < e->last_ns)
				e = &l->e[i];
		memset(e, 0, sizeof(*e));
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
	}
	if (!e->failures || now_ns - e->window_start_ns >= WINDOW_NS) {
		e->window_start_ns = now_ns;
		e->failures = 0;
	}
	e->failures++;
	e->last_ns = now_ns;
}
