/* libFuzzer: what a debug API client controls in the profiling endpoints
 * (server/profile_events.c): the query of GET /api/v1/events,
 * /api/v1/events/ID and /api/v1/samples, and the ID; and the Accept header
 * /metrics negotiates with (net/ws/ws_prom.c). The input is split at the
 * first NUL: the part before is the query (and the Accept header); the byte
 * after picks the endpoint, the rest is the ID. Every answer must be one
 * JSON object that parses, with a status of 200, 400 or 404. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/ws/ws_prom.h"
#include "server/profile_metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sc_profile prof;
static struct sc_condition cond;

static void setup(void)
{
	sc_profile_init(&prof, NULL, NULL);
	sc_profile_set_retention(&prof, 64, 16);
	sc_condition_parse("late: tick >= 40", &cond);
	sc_profile_set_conditions(&prof, &cond, 1);
	for (uint32_t k = 0; k < 100; k++) {
		struct sc_sample s = {.tick = k % 70, .instance = k % 3, .tick_start_ns = 1000000ull * k};
		sc_profile_add(&prof, &s);
		struct sc_event e = {.tag = k % SC_EV_TAGS, .tick = k, .u.input = {.inputs = k}};
		if (k % 5 == 0)
			sc_event_record(&prof.events, &e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	size_t n = 0;
	while (n < size && data[n])
		n++;
	char *query = malloc(n + 1); /* exactly the string: reads past it are caught by ASan */
	if (!query)
		return 0;
	memcpy(query, data, n);
	query[n] = '\0';
	char what[64] = "events";
	if (n + 1 < size) {
		uint8_t pick = data[n + 1] % 3;
		if (pick == 1)
			strcpy(what, "samples");
		else if (pick == 2) {
			size_t m = size - n - 2 < 40 ? size - n - 2 : 40;
			memcpy(what, "events/", 7);
			memcpy(what + 7, data + n + 2, m);
			what[7 + m] = '\0';
		}
	}
	size_t len = 0;
	unsigned status = 0;
	char *body = sc_profile_api_json(&prof, what, query, &len, &status);
	if (body) {
		if (status != 200 && status != 400 && status != 404)
			abort();
		json_error_t err;
		json_t *j = json_loadb(body, len, 0, &err);
		if (!j || !json_is_object(j))
			abort();
		json_decref(j);
		free(body);
	}
	(void)sc_prom_wants_openmetrics(query);
	free(query);
	return 0;
}
