/* GPU time per compute pass (sc_tick_result.pass_ns, issue 11): the passes
 * add up to no more than the tick's total; a simulate-only tick has 0 for
 * the frame passes (bin, render, seal) and a rendering tick has them; and the
 * particle pass's time moves with the particles: the median over a few ticks
 * of a game with 100x the particles is greater (no thresholds: only
 * "greater"). Where the device has VK_EXT_calibrated_timestamps, the tick's
 * first GPU timestamp on CLOCK_MONOTONIC lies between the host's clock
 * before the submit and after the result (1 ms of calibration slack); where
 * it lacks it, it is 0. */
#include <stdio.h>
#include <stdlib.h>

#include "gpu/game.h"
#include "util/clock.h"
#include "tests/lib/check.h"

#define TICKS 15

static struct sc_game *make_game(struct sc_vk_device *dev, uint32_t particles)
{
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = 256;
	cfg.height = 144;
	cfg.particles = particles;
	cfg.frame_slots = 1;
	cfg.hang_timeout_ms = 60000; /* a loaded CI machine is not a hang */
	return sc_game_create(dev, &cfg);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Median particle-pass ns over TICKS rendering ticks. */
static uint32_t particles_median(struct sc_vk_device *dev, uint32_t particles)
{
	struct sc_game *g = make_game(dev, particles);
	check(g);
	uint32_t v[TICKS];
	for (int i = 0; i < TICKS; i++) {
		struct sc_tick_result r;
		uint64_t before = sc_now_ns();
		check(sc_game_tick(g, NULL, 0, 0, 0, &r) == SC_GAME_OK);
		uint64_t after = sc_now_ns();
		if (dev->get_calibrated_timestamps)
			check(r.gpu_begin_host_ns + 1000000 >= before && r.gpu_begin_host_ns <= after + 1000000);
		else
			check(r.gpu_begin_host_ns == 0);
		uint64_t sum = 0;
		for (int p = 0; p < SC_GAME_PASSES; p++)
			sum += r.pass_ns[p];
		check(sum <= (uint64_t)(r.gpu_ms * 1e6) + SC_GAME_PASSES); /* rounding of each pass */
		check(r.pass_ns[6] > 0); /* render ran */
		v[i] = r.pass_ns[2];
	}
	struct sc_tick_result r;
	check(sc_game_tick(g, NULL, 0, 0, SC_RENDER_NONE, &r) == SC_GAME_OK);
	check(r.pass_ns[5] == 0 && r.pass_ns[6] == 0 && r.pass_ns[7] == 0);
	sc_game_destroy(g);
	qsort(v, TICKS, sizeof(v[0]), cmp_u32);
	return v[TICKS / 2];
}

int main(void)
{
	struct sc_vk_device *dev = sc_vk_device_create("auto");
	if (!dev)
		return 1;
	printf("VK_EXT_calibrated_timestamps: %s\n", dev->get_calibrated_timestamps ? "yes (host-clock GPU times)" : "no");
	uint32_t few = particles_median(dev, 2000);
	uint32_t many = particles_median(dev, 200000);
	printf("particle pass median: %u ns with 2000 particles, %u ns with 200000\n", few, many);
	check(many > few);
	sc_vk_device_destroy(dev);
	printf("game passes: ok\n");
	return 0;
}
