/* libFuzzer: the `run` config file (server/config.c, --config FILE): any
 * bytes as the file; parsing must end in a configuration or a refusal, never
 * a crash, and an accepted one must be within the documented ranges. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char path[] = "/tmp/sc-fuzz-config-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	setenv("SHADOWCAST_WEB_ROOT", "/tmp", 1); /* no web root search */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct sc_run_config cfg;
	sc_run_config_defaults(&cfg);
	char *argv[] = {"run", "--config", path, NULL};
	if (sc_run_config_parse(&cfg, 3, argv, false)) {
		if (cfg.fps < 1 || cfg.fps > 240 || cfg.players < 2 || cfg.players > 8 || cfg.width % 16 ||
		    cfg.height % 8 || cfg.delay_ticks > 36000 * 240 || cfg.captures_quota_mib < 16)
			abort();
		if (memchr(cfg.listen_addr, 0, sizeof(cfg.listen_addr)) == NULL ||
		    memchr(cfg.capture_root, 0, sizeof(cfg.capture_root)) == NULL)
			abort();
	}
	return 0;
}
