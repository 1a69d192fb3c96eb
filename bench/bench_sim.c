/* `shadowcast bench sim`: game ticks/s and GPU ms per tick at 1280x720 and
 * 640x360 (or the --size given), against the baseline of a plain GPU fill of the same frame slot (the
 * least any renderer must spend writing that frame), measured in the same run;
 * and the same ticks simulated only (SC_RENDER_NONE: how the shadow follows
 * and catches up), whose ticks_per_s bounds how fast a shadow reaches the
 * pre-error state. */
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/bench_report.h"
#include "gpu/game.h"
#include "gpu/vk_result.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/stats.h"

#define WARMUP_TICKS 30

struct sim_run {
	double ticks_per_s, p50_ms, p99_ms, fill_p50_ms;
};

/* GPU ms of vkCmdFillBuffer over the game's frame memory, p50 of n runs. */
static bool time_fill(struct sc_vk_device *dev, struct sc_game *game, uint32_t n, double *p50)
{
	VkCommandBuffer cmd = VK_NULL_HANDLE;
	VkQueryPool pool = VK_NULL_HANDLE;
	VkFence fence = VK_NULL_HANDLE;
	double *ms = calloc(n, sizeof(*ms));
	bool ok = false;
	VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = dev->cmd_pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkQueryPoolCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
		.queryType = VK_QUERY_TYPE_TIMESTAMP,
		.queryCount = 2,
	};
	VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
	if (!ms || !sc_vk_ok(vkAllocateCommandBuffers(dev->device, &ai, &cmd), "vkAllocateCommandBuffers") ||
	    !sc_vk_ok(vkCreateQueryPool(dev->device, &qci, NULL, &pool), "vkCreateQueryPool") ||
	    !sc_vk_ok(vkCreateFence(dev->device, &fci, NULL, &fence), "vkCreateFence"))
		goto out;
	const struct sc_frame_memory *fm = sc_game_frame_memory(game);
	const struct sc_frame_layout *l = sc_game_frame_layout(game);
	VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
	if (!sc_vk_ok(vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer"))
		goto out;
	vkCmdResetQueryPool(cmd, pool, 0, 2);
	vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool, 0);
	vkCmdFillBuffer(cmd, fm->buffer, 0, l->slot_size, 0x10203040u);
	vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, 1);
	if (!sc_vk_ok(vkEndCommandBuffer(cmd), "vkEndCommandBuffer"))
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
		uint64_t ts[2];
		if (!sc_vk_ok(vkResetFences(dev->device, 1, &fence), "vkResetFences") ||
		    !sc_vk_ok(vkQueueSubmit(dev->queue, 1, &si, fence), "vkQueueSubmit") ||
		    !sc_vk_ok(vkWaitForFences(dev->device, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences") ||
		    !sc_vk_ok(vkGetQueryPoolResults(dev->device, pool, 0, 2, sizeof(ts), ts, sizeof(ts[0]),
		                                    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
		              "vkGetQueryPoolResults"))
			goto out;
		ms[i] = (double)(ts[1] - ts[0]) * dev->info.timestamp_period_ns / 1e6;
	}
	*p50 = sc_percentile(ms, n, 50);
	ok = true;
out:
	if (fence)
		vkDestroyFence(dev->device, fence, NULL);
	if (pool)
		vkDestroyQueryPool(dev->device, pool, NULL);
	if (cmd)
		vkFreeCommandBuffers(dev->device, dev->cmd_pool, 1, &cmd);
	free(ms);
	return ok;
}

static bool run_size(struct sc_vk_device *dev, uint32_t w, uint32_t h, uint32_t particles,
                     uint32_t ticks, uint32_t render_flags, struct sim_run *out)
{
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = w;
	cfg.height = h;
	cfg.particles = particles;
	cfg.frame_slots = 1;
	struct sc_game *game = sc_game_create(dev, &cfg);
	double *ms = calloc(ticks, sizeof(*ms));
	bool ok = false;
	if (!game || !ms)
		goto out;
	/* a scripted pair of players chasing the puck, so the picture is not static */
	struct sc_tick_result res;
	uint64_t start = 0;
	for (uint32_t t = 0; t < WARMUP_TICKS + ticks; t++) {
		if (t == WARMUP_TICKS)
			start = sc_now_ns();
		struct sc_input_event ev[2] = {
			{.tick = t, .seq = 2 * t, .player = 0, .action = SC_INPUT_MOVE,
			 .a = (int8_t)((t / 40) % 2 ? 100 : -100), .b = (int8_t)((t / 25) % 2 ? 90 : -90)},
			{.tick = t, .seq = 2 * t + 1, .player = 1, .action = SC_INPUT_SHOOT},
		};
		if (sc_game_tick(game, ev, 2, 0, render_flags, &res) != SC_GAME_OK)
			goto out;
		if (t >= WARMUP_TICKS)
			ms[t - WARMUP_TICKS] = res.gpu_ms;
	}
	double secs = (double)(sc_now_ns() - start) / 1e9;
	out->ticks_per_s = ticks / secs;
	out->p50_ms = sc_percentile(ms, ticks, 50);
	out->p99_ms = sc_percentile(ms, ticks, 99);
	ok = render_flags & SC_RENDER_NONE ? true : time_fill(dev, game, 50, &out->fill_p50_ms);
out:
	free(ms);
	sc_game_destroy(game);
	return ok;
}

int sc_bench_sim(int argc, char **argv)
{
	bool json = false;
	uint32_t ticks = 300, particles = 20000;
	const char *device = "auto";
	/* --size WxH, up to 4 times: the frame sizes measured (default 1280x720 and 640x360) */
	uint32_t sizes[4][2] = {{1280, 720}, {640, 360}};
	size_t n_sizes = 2, n_given = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc && n_given < 4 &&
		           sc_parse_size(argv[i + 1], &sizes[n_given][0], &sizes[n_given][1]) &&
		           sizes[n_given][0] % 16 == 0 && sizes[n_given][1] % 8 == 0) {
			n_sizes = ++n_given;
			i++;
		} else if (strcmp(argv[i], "--ticks") == 0 && i + 1 < argc &&
		           sc_parse_u32(argv[i + 1], 10, 1000000, &ticks)) {
			i++;
		} else if (strcmp(argv[i], "--particles") == 0 && i + 1 < argc &&
		           sc_parse_u32(argv[i + 1], 0, 4000000, &particles)) {
			i++;
		} else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
			device = argv[++i];
		} else {
			fprintf(stderr, "usage: shadowcast bench sim [--json] [--ticks N] [--particles N] [--device SPEC] "
			                "[--size WxH]...\n  --size: up to 4 frame sizes, width a multiple of 16, height of 8 "
			                "(default 1280x720 and 640x360)\n");
			return 2;
		}
	}
	struct sc_vk_device *dev = sc_vk_device_create(device);
	if (!dev)
		return 1;
	struct sc_bench_report report;
	sc_bench_report_init(&report, "sim");
	int rc = 0;
	for (size_t i = 0; i < n_sizes; i++) {
		struct sim_run run;
		char name[32];
		snprintf(name, sizeof(name), "%ux%u", sizes[i][0], sizes[i][1]);
		struct sim_run sim;
		if (!run_size(dev, sizes[i][0], sizes[i][1], particles, ticks, 0, &run) ||
		    !run_size(dev, sizes[i][0], sizes[i][1], particles, ticks, SC_RENDER_NONE, &sim)) {
			rc = 1;
			break;
		}
		struct sc_bench_row *row = sc_bench_report_row(&report, name);
		sc_bench_row_set(row, "ticks_per_s", run.ticks_per_s);
		sc_bench_row_set(row, "p50_ms", run.p50_ms);
		sc_bench_row_set(row, "p99_ms", run.p99_ms);
		snprintf(name, sizeof(name), "fill_%ux%u", sizes[i][0], sizes[i][1]);
		row = sc_bench_report_row(&report, name);
		sc_bench_row_set(row, "p50_ms", run.fill_p50_ms);
		snprintf(name, sizeof(name), "sim_only_%ux%u", sizes[i][0], sizes[i][1]);
		row = sc_bench_report_row(&report, name);
		sc_bench_row_set(row, "ticks_per_s", sim.ticks_per_s);
		sc_bench_row_set(row, "p50_ms", sim.p50_ms);
		sc_bench_row_set(row, "p99_ms", sim.p99_ms);
	}
	if (rc == 0) {
		if (!json)
			printf("device: %s, %u particles, %u ticks per size; fill_* = GPU fill of the same frame slot; "
			       "sim_only_* = ticks simulated without a frame (the shadow)\n",
			       dev->info.name, particles, ticks);
		if (!sc_bench_report_print(&report, json, stdout))
			rc = 1;
	}
	sc_vk_device_destroy(dev);
	return rc;
}
