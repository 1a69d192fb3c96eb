/* libFuzzer: reading a session profile (server/profile_read.c), as
 * `shadowcast profile FILE` does with a file someone sent, and as a
 * restarted encoder process does to continue one (sc_profile_valid_prefix).
 * A read ends in a summary or a refusal with a reason; a summary's file is
 * whole: its valid prefix is all of it (but the END record, which a
 * continuing writer cuts off). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/profile_format.h"
#include "server/profile_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	size_t prefix = sc_profile_valid_prefix(data, size);
	if (prefix > size)
		abort();
	json_t *s = sc_profile_summarize(data, size, err, sizeof(err));
	if (!s) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort(); /* a refusal always says why */
		return 0;
	}
	bool complete = json_is_true(json_object_get(s, "complete"));
	if (prefix != (complete ? size - sizeof(struct sc_pf_record) - sizeof(struct sc_pf_end) : size))
		abort();
	char *text = json_dumps(s, 0);
	if (!text)
		abort();
	free(text);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		sc_profile_print_table(null, s);
		fclose(null);
	}
	json_decref(s);
	return 0;
}
