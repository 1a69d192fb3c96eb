/* libFuzzer: loading a capture (shadow/capture_read.c), as `inspect` and
 * `replay` do with a directory someone sent: manifest.json, state.bin and
 * inputs.txt come from the input: two little-endian u32 lengths (manifest,
 * state; clamped to what is there), then the three files back to back. A load
 * ends in a capture whose state size matches its particle count, or a
 * refusal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shadow/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[] = "/tmp/sc-fuzz-capture-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	return 0;
}

static void put(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	size_t len[3];
	const uint8_t *p = data + 8;
	size_t left = size - 8;
	for (int i = 0; i < 2; i++) {
		uint32_t l = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 | (uint32_t)data[4 * i + 2] << 16 |
		             (uint32_t)data[4 * i + 3] << 24;
		len[i] = l < left ? l : left;
		left -= len[i];
	}
	len[2] = left;
	static const char *const names[3] = {"manifest.json", "state.bin", "inputs.txt"};
	for (int i = 0; i < 3; i++) {
		put(names[i], p, len[i]);
		p += len[i];
	}
	struct sc_capture cap;
	if (sc_capture_load(&cap, dir)) {
		if (cap.snap_len != sizeof(struct sc_game_state) + (size_t)cap.info.game.particles * 16)
			abort();
		sc_capture_finish(&cap);
	}
	return 0;
}
