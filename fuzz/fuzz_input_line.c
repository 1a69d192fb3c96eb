/* libFuzzer: the input text format parser (net/shm/input_event.c). Every line of
 * the input is parsed with its exact length (no terminator), as the file
 * loader and captures do; an accepted event must format and parse back to the
 * same event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;
	while (start <= size) {
		size_t end = start;
		while (end < size && data[end] != '\n')
			end++;
		/* a private copy of exactly the line: reads past it are caught by ASan */
		size_t len = end - start;
		char *line = malloc(len ? len : 1);
		if (!line)
			return 0;
		memcpy(line, data + start, len);
		struct sc_input_event ev;
		char err[128];
		if (sc_input_parse_line(line, len, &ev, err, sizeof(err)) == SC_INPUT_PARSE_EVENT) {
			char buf[128];
			int n = sc_input_format(&ev, buf, sizeof(buf));
			struct sc_input_event again;
			if (n <= 0 || (size_t)n >= sizeof(buf) ||
			    sc_input_parse_line(buf, (size_t)n, &again, err, sizeof(err)) != SC_INPUT_PARSE_EVENT ||
			    memcmp(&ev, &again, sizeof(ev)) != 0)
				abort(); /* the formatter and the parser disagree */
		}
		free(line);
		start = end + 1;
	}
	return 0;
}
