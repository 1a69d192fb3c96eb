#include "bench/bench.h"

#include <stdio.h>
#include <string.h>

struct bench_entry {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
};

/* Terminated by an entry with a NULL name. */
static const struct bench_entry benches[] = {
	{NULL, NULL, NULL},
};

static void bench_usage(FILE *out)
{
	fprintf(out, "usage: shadowcast bench NAME [--json]\n\nbenchmarks:\n");
	for (const struct bench_entry *b = benches; b->name; b++)
		fprintf(out, "  %-10s %s\n", b->name, b->what);
}

int sc_bench_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		bench_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	for (const struct bench_entry *b = benches; b->name; b++)
		if (strcmp(argv[0], b->name) == 0)
			return b->fn(argc, argv);
	fprintf(stderr, "shadowcast bench: unknown benchmark '%s'\n", argv[0]);
	bench_usage(stderr);
	return 2;
}
