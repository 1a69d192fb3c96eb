/* An input file (docs/inputs.md) loaded into memory, events in file order. */
#ifndef SC_GPU_INPUT_FILE_H
#define SC_GPU_INPUT_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/shm/input_event.h"

struct sc_input_list {
	struct sc_input_event *events;
	size_t count, cap;
};

/* Parses path; on a malformed line logs "FILE:LINE: reason" and returns false.
 * Ticks must not decrease; seq numbers are assigned from 0 in file order. */
bool sc_input_list_load(struct sc_input_list *list, const char *path);
bool sc_input_list_append(struct sc_input_list *list, const struct sc_input_event *ev);
void sc_input_list_finish(struct sc_input_list *list);

/* Events for `tick`, starting the scan at *cursor (advanced past them). */
size_t sc_input_list_take(const struct sc_input_list *list, size_t *cursor, uint32_t tick,
                          const struct sc_input_event **first);

#endif
