/* Snapshots restore a game exactly; injected GPU faults are reported the way the
 * shadow tracker expects: assert -> fault record, corrupt -> fails validation,
 * oob -> fault record kind 4 from the guard band after the particles (on every
 * driver; a restore re-arms its canaries), hang -> fence timeout (in a child
 * process, whose GPU thread never returns). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpu/game.h"
#include "gpu/game_validate.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

#define TICKS 120
#define SNAP_AT 60

static struct sc_input_event input_for(uint32_t t)
{
	struct sc_input_event ev = {.tick = t, .seq = t, .player = (uint8_t)(t % 2), .action = SC_INPUT_MOVE,
	                            .a = (int8_t)((t * 37) % 255 - 127), .b = (int8_t)((t * 91) % 255 - 127)};
	if (t % 9 == 0)
		ev.action = SC_INPUT_SHOOT;
	return ev;
}

static struct sc_game *make_game(struct sc_vk_device *dev, uint32_t hang_ms)
{
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = 128;
	cfg.height = 72;
	cfg.particles = 5000;
	cfg.frame_slots = 1;
	cfg.hang_timeout_ms = hang_ms;
	return sc_game_create(dev, &cfg);
}

static void test_snapshot(struct sc_vk_device *dev)
{
	struct sc_game *a = make_game(dev, 2000), *b = make_game(dev, 2000);
	size_t len = sc_game_snapshot_size(a);
	void *snap = malloc(len);
	uint64_t hashes[TICKS];
	struct sc_tick_result r;
	for (uint32_t t = 0; t < TICKS; t++) {
		if (t == SNAP_AT)
			CHECK(sc_game_snapshot(a, snap, len), "snapshot");
		struct sc_input_event ev = input_for(t);
		CHECK(sc_game_tick(a, &ev, 1, 0, 0, &r) == SC_GAME_OK, "tick");
		hashes[t] = r.hash;
	}
	const struct sc_game_state *st = snap;
	CHECK(st->hdr.tick == SNAP_AT, "snapshot holds the state before tick %d (hdr.tick %u)", SNAP_AT, st->hdr.tick);
	CHECK(sc_game_restore(b, snap, len), "restore");
	CHECK(sc_game_next_tick(b) == SNAP_AT, "restored game continues at tick %d", SNAP_AT);
	for (uint32_t t = SNAP_AT; t < TICKS; t++) {
		struct sc_input_event ev = input_for(t);
		CHECK(sc_game_tick(b, &ev, 1, 0, 0, &r) == SC_GAME_OK, "tick");
		CHECK(r.hash == hashes[t], "restored game tick %u hash %016llx, original %016llx", t,
		      (unsigned long long)r.hash, (unsigned long long)hashes[t]);
	}
	CHECK(!sc_game_restore(b, snap, len - 16), "a snapshot of the wrong size is refused");
	free(snap);
	sc_game_destroy(a);
	sc_game_destroy(b);
}

static void test_assert_and_corrupt(struct sc_vk_device *dev)
{
	struct sc_game *g = make_game(dev, 2000);
	struct sc_tick_result r;
	char why[128];
	for (uint32_t t = 0; t < 20; t++) {
		struct sc_input_event ev = input_for(t);
		CHECK(sc_game_tick(g, &ev, 1, 0, 0, &r) == SC_GAME_OK, "tick");
		CHECK(r.state.hdr.fault_kind == 0, "no fault in normal play (tick %u)", t);
		CHECK(sc_game_state_valid(&r.state, 2, 5000, why, sizeof(why)), "valid state: %s", why);
	}
	struct sc_input_event fault = {.tick = 20, .seq = 20, .action = SC_INPUT_FAULT, .a = SC_FAULT_ASSERT};
	CHECK(sc_game_tick(g, &fault, 1, 0, 0, &r) == SC_GAME_OK, "tick");
	CHECK(r.state.hdr.fault_kind == SC_FAULT_ASSERT && r.state.hdr.fault_tick == 20,
	      "assert: fault record kind %u tick %u", r.state.hdr.fault_kind, r.state.hdr.fault_tick);
	sc_game_destroy(g);

	g = make_game(dev, 2000);
	for (uint32_t t = 0; t < 5; t++)
		sc_game_tick(g, NULL, 0, 0, 0, &r);
	fault.tick = 5;
	fault.a = SC_FAULT_CORRUPT;
	CHECK(sc_game_tick(g, &fault, 1, 0, 0, &r) == SC_GAME_OK, "tick");
	CHECK(r.state.hdr.fault_kind == 0, "corrupt is not self-reported");
	CHECK(!sc_game_state_valid(&r.state, 2, 5000, why, sizeof(why)), "corrupt state fails validation");
	printf("corrupt caught: %s\n", why);
	sc_game_destroy(g);
}

static void test_oob(struct sc_vk_device *dev)
{
	struct sc_game *g = make_game(dev, 2000);
	size_t len = sc_game_snapshot_size(g);
	void *snap = malloc(len);
	struct sc_tick_result r;
	for (uint32_t t = 0; t < 8; t++) {
		struct sc_input_event ev = input_for(t);
		CHECK(sc_game_tick(g, &ev, 1, 0, 0, &r) == SC_GAME_OK, "tick");
	}
	CHECK(snap && sc_game_snapshot(g, snap, len), "snapshot");
	struct sc_input_event ev[2] = {input_for(8), {.tick = 8, .seq = 99, .action = SC_INPUT_FAULT, .a = SC_FAULT_OOB}};
	CHECK(sc_game_tick(g, ev, 2, 0, 0, &r) == SC_GAME_OK, "oob tick runs");
	/* entry 37 past the last particle (shaders/game_common.glsl OOB_GUARD_INDEX), word 0 */
	CHECK(r.state.hdr.fault_kind == SC_FAULT_OOB && r.state.hdr.fault_tick == 8 &&
	      r.state.hdr.fault_detail == 1 + 37 * 4, "oob: fault record kind %u tick %u detail %u (want 4, 8, %u)",
	      r.state.hdr.fault_kind, r.state.hdr.fault_tick, r.state.hdr.fault_detail, 1 + 37 * 4);
	/* the restored game has intact canaries: the same tick without the fault is clean */
	CHECK(sc_game_restore(g, snap, len), "restore");
	CHECK(sc_game_tick(g, ev, 1, 0, 0, &r) == SC_GAME_OK, "tick");
	CHECK(r.state.hdr.fault_kind == 0, "after a restore the guard band is re-armed (fault kind %u)",
	      r.state.hdr.fault_kind);
	/* and with it the fault comes back at the same tick */
	CHECK(sc_game_restore(g, snap, len), "restore");
	CHECK(sc_game_tick(g, ev, 2, 0, 0, &r) == SC_GAME_OK, "tick");
	CHECK(r.state.hdr.fault_kind == SC_FAULT_OOB && r.state.hdr.fault_tick == 8, "oob again after a restore");
	free(snap);
	sc_game_destroy(g);
}

static void test_hang(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sc_vk_device *dev = sc_vk_device_create("auto");
		struct sc_game *g = dev ? make_game(dev, 300) : NULL;
		struct sc_tick_result r;
		struct sc_input_event fault = {.tick = 0, .action = SC_INPUT_FAULT, .a = SC_FAULT_HANG};
		_exit(g && sc_game_tick(g, &fault, 1, 0, 0, &r) == SC_GAME_TIMEOUT ? 42 : 1);
	}
	/* the child's 300 ms hang timeout is what is tested; this bound only ends
	 * a child that never returns. Its start (a Vulkan device, the pipelines)
	 * took over 6 s under ASan with four tests at once on two cores. */
	int status = 0;
	for (int i = 0; i < 3000 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(20000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(false, "hang was not reported within 60 s");
		return;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "hang -> SC_GAME_TIMEOUT (status %d)", status);
}

int main(void)
{
	test_hang(); /* before this process opens Vulkan: the child forks clean */
	struct sc_vk_device *dev = sc_vk_device_create("auto");
	if (!dev)
		return 1;
	test_snapshot(dev);
	test_assert_and_corrupt(dev);
	test_oob(dev);
	sc_vk_device_destroy(dev);
	if (failures)
		return 1;
	printf("snapshot + faults ok\n");
	return 0;
}
