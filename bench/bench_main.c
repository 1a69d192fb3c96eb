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
	{"sim", sc_bench_sim, "game ticks/s and GPU ms per tick at 1280x720 and 640x360"},
	{"ring", sc_bench_ring, "shared-memory rings vs socketpair and pipe"},
	{"shadow", sc_bench_shadow, "shadow tracking: tick/frame p99 with and without, detection-to-pause, delay memory"},
	{"pipeline", sc_bench_pipeline, "input-to-frame latency, CPU copies, fan-out vs a Node ws relay (real server)"},
	{"profile", sc_bench_profile, "profiling samples: tick time with sampling off, every tick, every 10th; ring throughput"},
	{"messages", sc_bench_messages, "game -> client latency per message type (ring -> dispatch -> WebSocket) vs a socketpair"},
	{NULL, NULL, NULL},
};

static void bench_usage(FILE *out)
{
	fprintf(out, "usage: shadowcast bench NAME [--json]\n\nbenchmarks:\n");
	for (const struct bench_entry *b = benches; b->name; b++)
		fprintf(out, "  %-10s %s\n", b->name, b->what);
}

/* argv[0] is "bench", argv[1] the benchmark name. */
int sc_bench_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (const struct bench_entry *b = benches; b->name; b++)
		if (strcmp(argv[1], b->name) == 0)
			return b->fn(argc - 1, argv + 1);
	fprintf(stderr, "shadowcast bench: unknown benchmark '%s'\n", argv[1]);
	bench_usage(stderr);
	return 2;
}
