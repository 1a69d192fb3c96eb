/* Test harness: plays a game with pseudo-random inputs and a FAULT input at a
 * random error tick, then writes a capture of the state before the error tick
 * through the shadow's capture writer, as the paused shadow would.
 *   make_capture DIR KIND SEED [--drop-fault]
 * KIND: assert | corrupt | hang | oob | crash | device-lost. Prints one JSON
 * line: {"error_tick": E, "fault_index": K, "inputs_at_error_tick": N}
 * (K is 1-based: stepping K inputs applies the fault). --drop-fault leaves the
 * offending input out of the capture (replay must then not reproduce). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game.h"
#include "session/session.h"
#include "shadow/capture.h"

static uint32_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

static struct sc_input_event random_input(uint32_t tick, uint32_t seq)
{
	struct sc_input_event ev = {.tick = tick, .seq = seq, .player = (uint8_t)(rnd() % 2)};
	uint32_t r = rnd() % 10;
	if (r < 7) {
		ev.action = SC_INPUT_MOVE;
		ev.a = (int8_t)((int)(rnd() % 255) - 127);
		ev.b = (int8_t)((int)(rnd() % 255) - 127);
	} else if (r < 9) {
		ev.action = SC_INPUT_SHOOT;
	} else {
		ev.action = SC_INPUT_BLOCK;
		ev.a = (int8_t)(rnd() % 2);
	}
	return ev;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: make_capture DIR KIND SEED [--drop-fault]\n");
		return 2;
	}
	enum sc_fault_kind kind;
	if (!sc_fault_kind_parse(argv[2], &kind)) {
		fprintf(stderr, "unknown fault kind %s\n", argv[2]);
		return 2;
	}
	bool drop = argc > 4 && strcmp(argv[4], "--drop-fault") == 0;
	rng_state = (uint32_t)strtoul(argv[3], NULL, 10) * 2654435761u + 1;
	uint32_t error_tick = 20 + rnd() % 60;

	struct sc_game_config gc;
	sc_game_config_defaults(&gc);
	gc.width = 160;
	gc.height = 96;
	gc.particles = 3000;
	gc.seed = 7;
	gc.frame_slots = 1;
	gc.hang_timeout_ms = 10000; /* a loaded test machine is slow; the capture says 2000 */
	struct sc_vk_device *dev = sc_vk_device_create("auto");
	struct sc_game *game = dev ? sc_game_create(dev, &gc) : NULL;
	if (!game)
		return 1;

	struct sc_input_event applied[256];
	size_t n_applied = 0;
	uint32_t seq = 0;
	uint64_t hash = 0;
	struct sc_tick_result res;
	for (uint32_t t = 0; t < error_tick; t++) {
		struct sc_input_event ev[3];
		uint32_t n = rnd() % 3;
		for (uint32_t i = 0; i < n; i++)
			ev[i] = random_input(t, seq++);
		if (sc_game_tick(game, ev, n, 0, t + 1 == error_tick ? SC_RENDER_RGBA : 0, &res) != SC_GAME_OK)
			return 1;
		hash = res.hash;
		for (uint32_t i = 0; i < n && n_applied < 256; i++)
			applied[n_applied++] = ev[i];
	}
	size_t snap_len = sc_game_snapshot_size(game);
	void *snap = malloc(snap_len);
	if (!snap || !sc_game_snapshot(game, snap, snap_len))
		return 1;

	/* the error tick: a few moves, the fault, a few more; then later ticks */
	struct sc_input_event pending[16];
	size_t np = 0;
	uint32_t before = 1 + rnd() % 3, after = rnd() % 3;
	for (uint32_t i = 0; i < before; i++)
		pending[np++] = random_input(error_tick, seq++);
	uint32_t fault_index = (uint32_t)np + 1;
	if (!drop)
		pending[np++] = (struct sc_input_event){.tick = error_tick, .seq = seq++, .player = 0,
		                                        .action = SC_INPUT_FAULT, .a = (int8_t)kind};
	for (uint32_t i = 0; i < after; i++)
		pending[np++] = random_input(error_tick, seq++);
	uint32_t at_error = (uint32_t)np;
	pending[np++] = random_input(error_tick + 2, seq++);
	pending[np++] = random_input(error_tick + 5, seq++);

	/* what the server detects for each injected kind, and how (docs/captures.md) */
	static const uint32_t detected[] = {0, SC_DETECTED_ASSERT, SC_DETECTED_INVALID, SC_DETECTED_HANG,
	                                    SC_DETECTED_OOB, SC_DETECTED_DEATH, SC_DETECTED_DEVICE_LOST_SIMULATED};
	struct sc_capture_info in = {
		.incident = 1, .detected = detected[kind], .injected = kind, .error_tick = error_tick,
		.path = kind == SC_FAULT_CRASH ? SC_FAULT_PATH_EXTERNAL : SC_FAULT_PATH_SELF,
		.next_tick = error_tick, .delay_ticks = 30, .shadow_hash = hash, .primary_hash = hash,
		.primary_hash_known = true, .detected_ns = 1000, .paused_ns = 2000, .primary_pid = 1,
		.game = {.width = gc.width, .height = gc.height, .seed = gc.seed, .players = gc.players,
		         .particles = gc.particles, .hang_timeout_ms = 2000, .fps = gc.fps},
	};
	snprintf(in.detail, sizeof(in.detail), "test harness: injected %s \"quoted\" \\ detail", argv[2]);
	snprintf(in.shadow_device, sizeof(in.shadow_device), "%s (%s)", dev->info.name, dev->info.driver_name);
	struct sc_capture_inputs inputs = {.applied = applied, .n_applied = n_applied, .pending = pending,
	                                   .n_pending = np};
	struct sc_capture_missing missing = {0};
	const struct sc_frame_layout *l = sc_game_frame_layout(game);
	bool ok = sc_capture_write(argv[1], &in, snap, snap_len, sc_game_frame(game, 0) + l->rgba_offset, gc.width * 4,
	                           &inputs, &missing);
	printf("{\"error_tick\": %u, \"fault_index\": %u, \"inputs_at_error_tick\": %u, \"hash\": \"0x%016llx\"}\n",
	       error_tick, fault_index, at_error, (unsigned long long)hash);
	free(snap);
	sc_game_destroy(game);
	sc_vk_device_destroy(dev);
	return ok ? 0 : 1;
}
