/* libFuzzer: what a debug API client controls (server/debug_api.c,
 * server/debug_ticks.c): the inject and delay bodies, ?slot=, ?from=&count=,
 * capture names and the Authorization header. The input is split at the
 * first NUL: the part before is the body / query / header, the byte after it
 * picks the fps for the delay body. Accepted values must be in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/debug_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	while (n < size && data[n])
		n++;
	uint32_t fps = n + 1 < size ? 1u + data[n + 1] % 240u : 60u;
	char *s = malloc(n + 1); /* exactly the string: reads past it are caught by ASan */
	if (!s)
		return 0;
	memcpy(s, data, n);
	s[n] = '\0';
	char err[256];
	uint32_t kind;
	if (sc_debug_parse_inject(s, &kind, err, sizeof(err)) && (kind == 0 || kind > 255))
		abort();
	int64_t ticks;
	if (sc_debug_parse_delay(s, fps, &ticks, err, sizeof(err)) && (ticks < 0 || ticks > SC_DEBUG_DELAY_MAX_TICKS))
		abort();
	int slot = sc_debug_query_slot(s);
	if (slot < -2 || slot > 1)
		abort();
	struct sc_ticks_query tq;
	if (sc_debug_parse_ticks_query(s, &tq, err, sizeof(err)) &&
	    (tq.count < 1 || tq.count > SC_DEBUG_TICKS_MAX || (!tq.by_record && tq.from > UINT32_MAX) ||
	     tq.from > (UINT64_MAX >> 1)))
		abort();
	(void)sc_debug_name_ok(s, n);
	(void)sc_debug_token_ok(s, "fuzz-token-0123456789");
	free(s);
	return 0;
}
