#include "gpu/input_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

bool sc_input_list_append(struct sc_input_list *list, const struct sc_input_event *ev)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 256;
		struct sc_input_event *e = realloc(list->events, cap * sizeof(*e));
		if (!e)
			return false;
		list->events = e;
		list->cap = cap;
	}
	list->events[list->count++] = *ev;
	return true;
}

void sc_input_list_finish(struct sc_input_list *list)
{
	free(list->events);
	memset(list, 0, sizeof(*list));
}

bool sc_input_list_load(struct sc_input_list *list, const char *path)
{
	memset(list, 0, sizeof(*list));
	FILE *f = fopen(path, "r");
	if (!f) {
		sc_err("%s: %s", path, strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	bool ok = true;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		char err[128];
		struct sc_input_event ev;
		enum sc_input_parse_result r = sc_input_parse_line(line, (size_t)len, &ev, err, sizeof(err));
		if (r == SC_INPUT_PARSE_NOTHING)
			continue;
		if (r == SC_INPUT_PARSE_EVENT && list->count && ev.tick < list->events[list->count - 1].tick) {
			snprintf(err, sizeof(err), "tick %u is before the previous line's tick %u", ev.tick,
			         list->events[list->count - 1].tick);
			r = SC_INPUT_PARSE_ERROR;
		}
		if (r == SC_INPUT_PARSE_ERROR) {
			sc_err("%s:%lu: %s", path, lineno, err);
			ok = false;
			break;
		}
		ev.seq = (uint32_t)list->count;
		if (!sc_input_list_append(list, &ev)) {
			sc_err("%s: out of memory", path);
			ok = false;
			break;
		}
	}
	if (ok && ferror(f)) {
		sc_err("%s: read error", path);
		ok = false;
	}
	free(line);
	fclose(f);
	if (!ok)
		sc_input_list_finish(list);
	return ok;
}

size_t sc_input_list_take(const struct sc_input_list *list, size_t *cursor, uint32_t tick,
                          const struct sc_input_event **first)
{
	size_t i = *cursor;
	while (i < list->count && list->events[i].tick < tick)
		i++;
	*first = list->events + i;
	size_t n = 0;
	while (i + n < list->count && list->events[i + n].tick == tick)
		n++;
	*cursor = i + n;
	return n;
}
