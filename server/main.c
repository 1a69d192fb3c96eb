/* shadowcast: one binary, several roles. Dispatches the subcommand. */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "server/commands.h"
#include "util/log.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
};

static const struct command commands[] = {
	{"sim", sc_cmd_sim, "run one headless game instance: hash log, frames, GPU timings"},
	{"devices", sc_cmd_devices, "list Vulkan devices, their memory-sharing extensions, the encoder"},
	{"bench", sc_bench_main, "run a benchmark (shadowcast bench --help)"},
	{"run", sc_cmd_run, "serve the game: supervisor, encoder process, primary instance"},
	{"inspect", sc_cmd_inspect, "print the game state a shadow capture preserves"},
	{"replay", sc_cmd_replay, "re-run a shadow capture offline and reproduce its error"},
	{"profile", sc_cmd_profile, "summarise a session profile (run --profile FILE): p50/p99, hot passes, incidents"},
	{"ctl", sc_cmd_ctl, "talk to a running server's debug API: status, step, inject, download"},
	{"__child", sc_cmd_child, NULL}, /* a process of `run`, started by the supervisor */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: shadowcast COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].what)
			fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(out, "\n'shadowcast COMMAND --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			sc_log_set_role(commands[i].name);
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "shadowcast: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
