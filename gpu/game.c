#include "gpu/game.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu/compute_pipeline.h"
#include "gpu/hang_clock.h"
#include "gpu/vk_buffer.h"
#include "gpu/vk_result.h"
#include "util/clock.h"
#include "util/log.h"

/* a fence wait slice: short enough that a stopped process is noticed */
#define HANG_SLICE_NS (50ull * 1000000ull)
#define STATE_WORDS (sizeof(struct sc_game_state) / 4)

enum {
	BIND_PARAMS,
	BIND_STATE,
	BIND_PARTICLES,
	BIND_HEAT,
	BIND_FRAME,
	BIND_READBACK,
	BIND_CIRCLES,
	BIND_TILE_CONTENT,
	BIND_TILE_HISTORY,
	BIND_TILE_LIST,
	BIND_HANG,
	BIND_AUDIO,
	BIND_COUNT,
};

enum { PIPE_INIT, PIPE_TICK, PIPE_SPIN, PIPE_PARTICLES, PIPE_AUDIO, PIPE_FINALIZE, PIPE_BIN, PIPE_RENDER, PIPE_SEAL,
       PIPE_COUNT };
static const char *const pipe_names[PIPE_COUNT] = {
	"init", "tick_logic", "spin", "particles", "audio", "finalize", "bin", "render", "seal",
};

/* the audio buffer: the synthesis state, then one tick's PCM */
#define AUDIO_BUFFER_SIZE (sizeof(struct sc_game_audio) + (size_t)SC_AUDIO_MAX_SAMPLES * 2)

/* the rasteriser's tiles (shaders/game_common.glsl) */
#define TILE_W 32
#define TILE_H 16
#define RENDER_RGBA 1u
#define RENDER_ALL 2u

struct sc_game {
	struct sc_vk_device *dev;
	struct sc_game_config cfg;
	struct sc_frame_layout layout;
	struct sc_frame_memory frames;
	struct sc_vk_buffer params, state, particles, heat, readback, circles;
	struct sc_vk_buffer tile_content, tile_history, tile_list, hang;
	struct sc_vk_buffer audio; /* host-visible: struct sc_game_audio, then the tick's PCM */
	uint32_t n_tiles;
	uint32_t slots_rendered; /* bit per slot: holds a full frame (tiles can be skipped) */
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout pipeline_layout;
	VkDescriptorPool pool;
	VkDescriptorSet set;
	VkPipeline pipes[PIPE_COUNT];
	VkCommandBuffer cmd;     /* a tick: simulate, then render into the slot */
	VkCommandBuffer cmd_sim; /* a tick simulated only (SC_RENDER_NONE) */
	VkCommandBuffer cmd_render; /* the last tick's frame, drawn afterwards (sc_game_render_last) */
	uint32_t pipes_cmd, pipes_sim, pipes_render; /* bit per pipeline each one binds */
	uint32_t rec_pipes;  /* pipelines bound so far in the command buffer being recorded */
	uint32_t warm_pipes; /* pipelines a finished submission used (compiled, paged in) */
	bool started;        /* sc_game_create returned: submissions are judged by the hang timeout */
	VkFence fence;
	VkQueryPool queries;
	uint32_t next_tick;
	bool lost; /* hung or device lost: nothing may wait on the GPU any more */
	/* heat, tile content and circles are the last tick's (a tick ran since
	 * create or restore): sc_game_render_last can draw its frame */
	bool picture_valid;
	/* profiling: the last device/CLOCK_MONOTONIC calibration pair (host_ns_of) */
	bool calib_valid;
	uint32_t calib_tick;
	uint64_t calib_device, calib_host;
};

void sc_game_config_defaults(struct sc_game_config *cfg)
{
	*cfg = (struct sc_game_config){
		.width = 1280, .height = 720, .particles = 20000, .players = 2, .seed = 1, .frame_slots = 3,
		.hang_timeout_ms = 2000, .startup_timeout_ms = 120000, .fps = 60,
	};
}

const char *sc_game_config_check(const struct sc_game_config *cfg)
{
	if (cfg->width < 64 || cfg->height < 64 || cfg->width > 3840 || cfg->height > 2160)
		return "frame size must be between 64x64 and 3840x2160";
	if (cfg->width % 4 != 0 || cfg->height % 2 != 0)
		return "frame width must be a multiple of 4 and height a multiple of 2";
	if (cfg->players < 2 || cfg->players > SC_MAX_PLAYERS)
		return "players must be 2 to 8";
	if (cfg->particles > 4u * 1000 * 1000)
		return "particles must be at most 4000000";
	if (cfg->frame_slots < 1 || cfg->frame_slots > 16)
		return "frame slots must be 1 to 16";
	if (cfg->hang_timeout_ms < 10 || cfg->hang_timeout_ms > 600000)
		return "hang timeout must be 10 ms to 600 s";
	if (cfg->fps < 1 || cfg->fps > 1000)
		return "fps must be 1 to 1000";
	if (cfg->startup_timeout_ms < 1000 || cfg->startup_timeout_ms > 3600000)
		return "startup timeout must be 1 s to 1 h";
	if (cfg->test_slow_first_submit_ms > 600000)
		return "slow first submission must be at most 600 s";
	return NULL;
}

static void barrier(VkCommandBuffer cmd, VkPipelineStageFlags src, VkAccessFlags src_access,
                    VkPipelineStageFlags dst, VkAccessFlags dst_access)
{
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = src_access,
		.dstAccessMask = dst_access,
	};
	vkCmdPipelineBarrier(cmd, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
}

static void compute_barrier(VkCommandBuffer cmd)
{
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
	        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
}

static bool create_buffers(struct sc_game *g)
{
	struct sc_vk_device *dev = g->dev;
	VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
	                             VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
	size_t heat_size = (size_t)g->cfg.width * g->cfg.height * 4;
	/* the particles, then the guard band an out-of-bounds write lands in */
	size_t part_size = ((size_t)g->cfg.particles + SC_GUARD_PARTICLES) * 16;
	return sc_vk_buffer_init(&g->params, dev, sizeof(struct sc_game_params),
	                         VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, true) &&
	       sc_vk_buffer_init(&g->state, dev, sizeof(struct sc_game_state), storage, false) &&
	       sc_vk_buffer_init(&g->particles, dev, part_size, storage, false) &&
	       sc_vk_buffer_init(&g->heat, dev, heat_size, storage, false) &&
	       sc_vk_buffer_init(&g->readback, dev, 8 + sizeof(struct sc_game_state), storage, true) &&
	       sc_vk_buffer_init(&g->circles, dev, 16 * (SC_MAX_PLAYERS + 1), storage, false) &&
	       sc_vk_buffer_init(&g->tile_content, dev, 4ull * g->n_tiles, storage, false) &&
	       sc_vk_buffer_init(&g->tile_history, dev, 4ull * g->n_tiles * g->cfg.frame_slots, storage, false) &&
	       sc_vk_buffer_init(&g->tile_list, dev, 16 + 4ull * g->n_tiles,
	                         storage | VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT, false) &&
	       sc_vk_buffer_init(&g->hang, dev, 16, storage | VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT, false) &&
	       sc_vk_buffer_init(&g->audio, dev, AUDIO_BUFFER_SIZE, storage, true) &&
	       sc_frame_memory_init(&g->frames, dev, g->layout.slot_size * g->cfg.frame_slots);
}

static bool create_descriptors(struct sc_game *g)
{
	VkDevice d = g->dev->device;
	VkDescriptorSetLayoutBinding b[BIND_COUNT];
	for (uint32_t i = 0; i < BIND_COUNT; i++) {
		b[i] = (VkDescriptorSetLayoutBinding){
			.binding = i,
			.descriptorType = i == BIND_PARAMS ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER
			                                   : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.descriptorCount = 1,
			.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		};
	}
	VkDescriptorSetLayoutCreateInfo lci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = BIND_COUNT,
		.pBindings = b,
	};
	if (!sc_vk_ok(vkCreateDescriptorSetLayout(d, &lci, NULL, &g->set_layout), "vkCreateDescriptorSetLayout"))
		return false;
	VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &g->set_layout,
	};
	if (!sc_vk_ok(vkCreatePipelineLayout(d, &plci, NULL, &g->pipeline_layout), "vkCreatePipelineLayout"))
		return false;
	VkDescriptorPoolSize sizes[2] = {
		{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1},
		{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, BIND_COUNT - 1},
	};
	VkDescriptorPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 2,
		.pPoolSizes = sizes,
	};
	if (!sc_vk_ok(vkCreateDescriptorPool(d, &pci, NULL, &g->pool), "vkCreateDescriptorPool"))
		return false;
	VkDescriptorSetAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = g->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &g->set_layout,
	};
	if (!sc_vk_ok(vkAllocateDescriptorSets(d, &ai, &g->set), "vkAllocateDescriptorSets"))
		return false;
	VkBuffer bufs[BIND_COUNT] = {
		g->params.buffer, g->state.buffer, g->particles.buffer,
		g->heat.buffer, g->frames.buffer, g->readback.buffer, g->circles.buffer,
		g->tile_content.buffer, g->tile_history.buffer, g->tile_list.buffer, g->hang.buffer,
		g->audio.buffer,
	};
	VkDescriptorBufferInfo infos[BIND_COUNT];
	VkWriteDescriptorSet writes[BIND_COUNT];
	for (uint32_t i = 0; i < BIND_COUNT; i++) {
		infos[i] = (VkDescriptorBufferInfo){bufs[i], 0, VK_WHOLE_SIZE};
		writes[i] = (VkWriteDescriptorSet){
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = g->set,
			.dstBinding = i,
			.descriptorCount = 1,
			.descriptorType = b[i].descriptorType,
			.pBufferInfo = &infos[i],
		};
	}
	vkUpdateDescriptorSets(d, BIND_COUNT, writes, 0, NULL);
	return true;
}

static bool create_pipelines(struct sc_game *g)
{
	uint32_t words = STATE_WORDS;
	VkSpecializationMapEntry entry = {.constantID = 0, .offset = 0, .size = sizeof(words)};
	VkSpecializationInfo spec = {.mapEntryCount = 1, .pMapEntries = &entry, .dataSize = sizeof(words), .pData = &words};
	for (int i = 0; i < PIPE_COUNT; i++)
		if (!sc_compute_pipeline_create(g->dev, g->pipeline_layout, pipe_names[i],
		                                i == PIPE_FINALIZE ? &spec : NULL, &g->pipes[i]))
			return false;
	return true;
}

static void bind(struct sc_game *g, VkCommandBuffer cmd, int pipe)
{
	g->rec_pipes |= 1u << pipe;
	vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g->pipes[pipe]);
}

/* Timestamp query q: 0 before the first pass, pass i's end at i + 1 (the
 * bottom of the pipe: every command before it has finished). */
#define N_QUERIES (SC_GAME_PASSES + 1)
static void stamp(struct sc_game *g, VkCommandBuffer cmd, uint32_t q)
{
	vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, g->queries, q);
}

/* Binning, rasteriser (NV12, RGBA on request) and seal: the frame of the
 * state the last simulation passes left (heat, tile content, circles). */
static void record_frame_passes(struct sc_game *g, VkCommandBuffer cmd, bool timed)
{
	bind(g, cmd, PIPE_BIN);
	vkCmdDispatch(cmd, (g->n_tiles + 63) / 64, 1, 1);
	if (timed)
		stamp(g, cmd, 6);
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
	        VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	        VK_ACCESS_INDIRECT_COMMAND_READ_BIT | VK_ACCESS_SHADER_READ_BIT);
	bind(g, cmd, PIPE_RENDER);
	vkCmdDispatchIndirect(cmd, g->tile_list.buffer, 0);
	if (timed)
		stamp(g, cmd, 7);
	compute_barrier(cmd);
	bind(g, cmd, PIPE_SEAL);
	vkCmdDispatch(cmd, 1, 1, 1);
}

/* The command buffers are recorded once and submitted every tick (the
 * parameters live in a host-visible buffer). The state and its hash are
 * final after FINALIZE; binning, rendering and the seal only make the frame. */
static bool record_tick(struct sc_game *g, VkCommandBuffer cmd, bool render)
{
	VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
	if (!sc_vk_ok(vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer"))
		return false;
	vkCmdResetQueryPool(cmd, g->queries, 0, N_QUERIES);
	vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, g->queries, 0);
	vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g->pipeline_layout, 0, 1, &g->set, 0, NULL);
	/* the previous tick's host reads and render must be done before state changes */
	barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	        VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
	        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
	        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_UNIFORM_READ_BIT |
	        VK_ACCESS_TRANSFER_WRITE_BIT);
	/* heat is the particles' picture of this tick: cleared, then accumulated;
	 * likewise which tiles have content, and the list of tiles to render */
	static const uint32_t no_tiles[4] = {0, 1, 1, 0};
	vkCmdFillBuffer(cmd, g->heat.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->tile_content.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdUpdateBuffer(cmd, g->tile_list.buffer, 0, sizeof(no_tiles), no_tiles);
	bind(g, cmd, PIPE_TICK);
	vkCmdDispatch(cmd, 1, 1, 1);
	stamp(g, cmd, 1);
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
	        VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT, VK_ACCESS_INDIRECT_COMMAND_READ_BIT);
	bind(g, cmd, PIPE_SPIN); /* zero workgroups unless the hang fault fired */
	vkCmdDispatchIndirect(cmd, g->hang.buffer, 0);
	stamp(g, cmd, 2);
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
	        VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
	bind(g, cmd, PIPE_PARTICLES);
	vkCmdDispatch(cmd, (g->cfg.particles + 63) / 64, 1, 1);
	stamp(g, cmd, 3);
	compute_barrier(cmd);
	bind(g, cmd, PIPE_AUDIO); /* the tick's sound, from the state and events it left */
	vkCmdDispatch(cmd, 1, 1, 1);
	stamp(g, cmd, 4);
	compute_barrier(cmd);
	bind(g, cmd, PIPE_FINALIZE);
	vkCmdDispatch(cmd, 1, 1, 1);
	stamp(g, cmd, 5);
	if (!render) {
		barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
		        VK_ACCESS_HOST_READ_BIT);
		/* no frame passes: their stamps all at the end (sc_game_tick reports 0 for them) */
		for (uint32_t q = 6; q < N_QUERIES; q++)
			stamp(g, cmd, q);
		return sc_vk_ok(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
	}
	compute_barrier(cmd);
	record_frame_passes(g, cmd, true);
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
	        VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
	stamp(g, cmd, SC_GAME_PASSES); /* the seal's end, and the tick's */
	return sc_vk_ok(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
}

/* The frame of the tick just simulated, from what that tick left on the GPU
 * (heat, tile content, circles): binning, rasteriser and seal, as the end of
 * a rendering tick records them. */
static bool record_render(struct sc_game *g, VkCommandBuffer cmd)
{
	VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
	if (!sc_vk_ok(vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer"))
		return false;
	vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g->pipeline_layout, 0, 1, &g->set, 0, NULL);
	static const uint32_t no_tiles[4] = {0, 1, 1, 0};
	barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	        VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
	        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
	        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_UNIFORM_READ_BIT |
	        VK_ACCESS_TRANSFER_WRITE_BIT);
	vkCmdUpdateBuffer(cmd, g->tile_list.buffer, 0, sizeof(no_tiles), no_tiles);
	barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	        VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
	record_frame_passes(g, cmd, false);
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
	        VK_ACCESS_HOST_READ_BIT);
	return sc_vk_ok(vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
}

static void fill_params(struct sc_game *g, uint32_t tick, uint32_t slot, uint32_t flags,
                        const struct sc_input_event *inputs, uint32_t n)
{
	struct sc_game_params *p = g->params.map;
	size_t base = g->layout.slot_size * slot;
	p->tick = tick;
	p->n_inputs = n;
	p->width = g->cfg.width;
	p->height = g->cfg.height;
	p->rgba_word = (uint32_t)((base + g->layout.rgba_offset) / 4);
	p->y_word = (uint32_t)((base + g->layout.nv12_offset) / 4);
	p->uv_word = (uint32_t)((base + g->layout.nv12_offset + g->layout.uv_offset) / 4);
	p->pitch = g->layout.pitch;
	p->particle_count = g->cfg.particles;
	p->n_players = g->cfg.players;
	p->seed = g->cfg.seed;
	p->flags = flags;
	p->seal_word = (uint32_t)((base + g->layout.seal_offset) / 4);
	p->slot = slot;
	p->audio_samples = sc_audio_tick_samples(tick, g->cfg.fps);
	p->audio_pos = (uint32_t)sc_audio_tick_pos(tick, g->cfg.fps);
	if (n)
		memcpy(p->inputs, inputs, n * sizeof(*inputs));
}

/* --test-slow-first-submit: the fence of a submission using a pipeline for
 * the first time signals late_ms after the submission at the earliest, as
 * on a driver that compiles shaders at first use. */
static VkResult wait_fence(struct sc_game *g, uint32_t bound_ms, uint32_t late_ms)
{
	if (late_ms) {
		uint32_t ms = late_ms < bound_ms ? late_ms : bound_ms;
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		if (late_ms >= bound_ms)
			return VK_TIMEOUT;
		bound_ms -= late_ms;
	}
	/* in slices, counting only time this process ran (gpu/hang_clock.h): a
	 * process stopped in a debugger or by SIGSTOP is not a hung GPU */
	struct sc_hang_clock clock;
	sc_hang_clock_start(&clock, (uint64_t)bound_ms * 1000000ull, HANG_SLICE_NS, sc_now_ns());
	for (;;) {
		VkResult r = vkWaitForFences(g->dev->device, 1, &g->fence, VK_TRUE, sc_hang_clock_next_slice(&clock));
		if (r != VK_TIMEOUT || sc_hang_clock_expired(&clock, sc_now_ns()))
			return r;
	}
}

/* `pipes`: the pipelines cmd binds. Before sc_game_create returns, the
 * startup bound applies (first use may compile); after it, the hang timeout. */
static enum sc_game_error submit_and_wait(struct sc_game *g, VkCommandBuffer cmd, uint32_t pipes)
{
	VkDevice d = g->dev->device;
	if (!sc_vk_ok(vkResetFences(d, 1, &g->fence), "vkResetFences"))
		return SC_GAME_VULKAN_ERROR;
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};
	uint32_t bound_ms = g->started ? g->cfg.hang_timeout_ms : g->cfg.startup_timeout_ms;
	uint32_t late_ms = (pipes & ~g->warm_pipes) ? g->cfg.test_slow_first_submit_ms : 0;
	VkResult r = vkQueueSubmit(g->dev->queue, 1, &si, g->fence);
	if (r == VK_SUCCESS)
		r = wait_fence(g, bound_ms, late_ms);
	if (r == VK_SUCCESS) {
		g->warm_pipes |= pipes;
		return SC_GAME_OK;
	}
	if (r != VK_TIMEOUT && r != VK_ERROR_DEVICE_LOST) {
		sc_vk_ok(r, "vkQueueSubmit/vkWaitForFences");
		return SC_GAME_VULKAN_ERROR;
	}
	g->lost = true;
	if (r == VK_TIMEOUT && !g->started) {
		sc_err("game start: a warm-up or init submission not finished after %u ms (the startup bound, "
		       "not the hang timeout): the GPU or its driver is stuck", bound_ms);
		return SC_GAME_TIMEOUT;
	}
	if (r == VK_TIMEOUT) {
		sc_err("tick %u: GPU fence not signalled after %u ms: the GPU is hung", g->next_tick,
		       g->cfg.hang_timeout_ms);
		return SC_GAME_TIMEOUT;
	}
	sc_err("tick %u: VK_ERROR_DEVICE_LOST", g->next_tick);
	return SC_GAME_DEVICE_LOST;
}

/* One-off work (init, snapshots): a command buffer recorded, submitted and
 * waited for, then freed. */
static bool one_shot_begin(struct sc_game *g, VkCommandBuffer *cmd)
{
	VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = g->dev->cmd_pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	if (!sc_vk_ok(vkAllocateCommandBuffers(g->dev->device, &ai, cmd), "vkAllocateCommandBuffers"))
		return false;
	g->rec_pipes = 0;
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	if (sc_vk_ok(vkBeginCommandBuffer(*cmd, &bi), "vkBeginCommandBuffer"))
		return true;
	vkFreeCommandBuffers(g->dev->device, g->dev->cmd_pool, 1, cmd);
	return false;
}

static bool one_shot_end(struct sc_game *g, VkCommandBuffer cmd)
{
	bool ok = sc_vk_ok(vkEndCommandBuffer(cmd), "vkEndCommandBuffer") &&
	          submit_and_wait(g, cmd, g->rec_pipes) == SC_GAME_OK;
	vkFreeCommandBuffers(g->dev->device, g->dev->cmd_pool, 1, &cmd);
	return ok;
}

/* Canaries into the guard band after the particles (init, restore). */
static void fill_guard_band(struct sc_game *g, VkCommandBuffer cmd)
{
	vkCmdFillBuffer(cmd, g->particles.buffer, (VkDeviceSize)g->cfg.particles * 16, SC_GUARD_PARTICLES * 16,
	                SC_GUARD_CANARY);
}

static bool run_init(struct sc_game *g)
{
	VkCommandBuffer cmd;
	fill_params(g, 0, 0, 0, NULL, 0);
	if (!one_shot_begin(g, &cmd))
		return false;
	/* every state word is hashed: none may start as whatever the allocator
	 * left there (a padding word did once, and two games in one process
	 * disagreed) */
	vkCmdFillBuffer(cmd, g->state.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->heat.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->frames.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->tile_history.buffer, 0, VK_WHOLE_SIZE, 0);
	/* the rest too: a game after the warm-up starts exactly as a fresh one */
	vkCmdFillBuffer(cmd, g->particles.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->circles.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->tile_content.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->tile_list.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->hang.buffer, 0, VK_WHOLE_SIZE, 0);
	vkCmdFillBuffer(cmd, g->audio.buffer, 0, VK_WHOLE_SIZE, 0);
	fill_guard_band(g, cmd);
	barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
	        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
	vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, g->pipeline_layout, 0, 1, &g->set, 0, NULL);
	bind(g, cmd, PIPE_INIT);
	vkCmdDispatch(cmd, (g->cfg.particles + 64) / 64, 1, 1);
	return one_shot_end(g, cmd);
}

/* The three command buffers every tick submits, and which pipelines each binds. */
static bool record_all(struct sc_game *g)
{
	g->rec_pipes = 0;
	if (!record_tick(g, g->cmd, true))
		return false;
	g->pipes_cmd = g->rec_pipes;
	g->rec_pipes = 0;
	if (!record_tick(g, g->cmd_sim, false))
		return false;
	g->pipes_sim = g->rec_pipes;
	g->rec_pipes = 0;
	if (!record_render(g, g->cmd_render))
		return false;
	g->pipes_render = g->rec_pipes;
	return true;
}

/* Every recorded command buffer submitted once (a tick 0 with no inputs,
 * rendered whole, RGBA too) under the startup bound, then the state is
 * initialised again: drivers that compile shaders or page memory in at first
 * use do it here, before any tick is judged by the hang timeout. A pass added
 * to any of the command buffers is warmed with them; a pipeline none of them
 * binds fails the start loudly. */
static bool warm_up(struct sc_game *g, uint64_t t0)
{
	uint64_t t1 = sc_now_ns();
	if (!run_init(g))
		return false;
	fill_params(g, 0, 0, RENDER_ALL | RENDER_RGBA, NULL, 0);
	if (submit_and_wait(g, g->cmd, g->pipes_cmd) != SC_GAME_OK ||
	    submit_and_wait(g, g->cmd_sim, g->pipes_sim) != SC_GAME_OK ||
	    submit_and_wait(g, g->cmd_render, g->pipes_render) != SC_GAME_OK || !run_init(g))
		return false;
	for (int i = 0; i < PIPE_COUNT; i++)
		if (!(g->warm_pipes & (1u << i))) {
			sc_err("game start: pipeline '%s' is used by no warm-up submission; its first use would be "
			       "judged by the hang timeout", pipe_names[i]);
			return false;
		}
	uint64_t t2 = sc_now_ns();
	sc_info("game: %d pipelines created in %.0f ms and warmed in %.0f ms (first use, bound %u ms) before the "
	        "hang timeout of %u ms applies", PIPE_COUNT, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6,
	        g->cfg.startup_timeout_ms, g->cfg.hang_timeout_ms);
	return true;
}

struct sc_game *sc_game_create(struct sc_vk_device *dev, const struct sc_game_config *cfg)
{
	const char *bad = sc_game_config_check(cfg);
	if (bad) {
		sc_err("game config: %s", bad);
		return NULL;
	}
	struct sc_game *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->dev = dev;
	g->cfg = *cfg;
	g->frames.fd = -1;
	sc_frame_layout_init(&g->layout, cfg->width, cfg->height);
	g->n_tiles = ((cfg->width + TILE_W - 1) / TILE_W) * ((cfg->height + TILE_H - 1) / TILE_H);
	uint64_t t0 = sc_now_ns();
	if (!create_buffers(g) || !create_descriptors(g) || !create_pipelines(g))
		goto err;

	VkCommandBufferAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = dev->cmd_pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 3,
	};
	VkCommandBuffer cmds[3] = {VK_NULL_HANDLE, VK_NULL_HANDLE, VK_NULL_HANDLE};
	VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
	VkQueryPoolCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
		.queryType = VK_QUERY_TYPE_TIMESTAMP,
		.queryCount = N_QUERIES,
	};
	if (!sc_vk_ok(vkAllocateCommandBuffers(dev->device, &ai, cmds), "vkAllocateCommandBuffers"))
		goto err;
	g->cmd = cmds[0];
	g->cmd_sim = cmds[1];
	g->cmd_render = cmds[2];
	if (
	    !sc_vk_ok(vkCreateFence(dev->device, &fci, NULL, &g->fence), "vkCreateFence") ||
	    !sc_vk_ok(vkCreateQueryPool(dev->device, &qci, NULL, &g->queries), "vkCreateQueryPool"))
		goto err;
	if (!record_all(g) || !warm_up(g, t0))
		goto err;
	g->started = true;
	return g;
err:
	sc_game_destroy(g);
	return NULL;
}

bool sc_game_lost(const struct sc_game *g)
{
	return g && g->lost;
}

void sc_game_destroy(struct sc_game *g)
{
	if (!g)
		return;
	VkDevice d = g->dev->device;
	if (g->lost) {
		/* the GPU may still run (a hang): freeing what it uses would be worse
		 * than leaking it; the process is expected to exit */
		sc_warn("game destroyed after a GPU hang or device loss: its Vulkan objects are left to the exit");
		free(g);
		return;
	}
	if (vkDeviceWaitIdle(d) != VK_SUCCESS)
		sc_warn("vkDeviceWaitIdle failed while destroying the game");
	if (g->queries)
		vkDestroyQueryPool(d, g->queries, NULL);
	if (g->fence)
		vkDestroyFence(d, g->fence, NULL);
	if (g->cmd)
		vkFreeCommandBuffers(d, g->dev->cmd_pool, 1, &g->cmd);
	if (g->cmd_sim)
		vkFreeCommandBuffers(d, g->dev->cmd_pool, 1, &g->cmd_sim);
	if (g->cmd_render)
		vkFreeCommandBuffers(d, g->dev->cmd_pool, 1, &g->cmd_render);
	for (int i = 0; i < PIPE_COUNT; i++)
		if (g->pipes[i])
			vkDestroyPipeline(d, g->pipes[i], NULL);
	if (g->pool)
		vkDestroyDescriptorPool(d, g->pool, NULL);
	if (g->pipeline_layout)
		vkDestroyPipelineLayout(d, g->pipeline_layout, NULL);
	if (g->set_layout)
		vkDestroyDescriptorSetLayout(d, g->set_layout, NULL);
	sc_vk_buffer_finish(&g->params, g->dev);
	sc_vk_buffer_finish(&g->state, g->dev);
	sc_vk_buffer_finish(&g->particles, g->dev);
	sc_vk_buffer_finish(&g->heat, g->dev);
	sc_vk_buffer_finish(&g->readback, g->dev);
	sc_vk_buffer_finish(&g->circles, g->dev);
	sc_vk_buffer_finish(&g->tile_content, g->dev);
	sc_vk_buffer_finish(&g->tile_history, g->dev);
	sc_vk_buffer_finish(&g->tile_list, g->dev);
	sc_vk_buffer_finish(&g->hang, g->dev);
	sc_vk_buffer_finish(&g->audio, g->dev);
	sc_frame_memory_finish(&g->frames, g->dev);
	free(g);
}

/* A device timestamp on CLOCK_MONOTONIC, through a calibration pair taken
 * every CALIBRATE_EVERY ticks (VK_EXT_calibrated_timestamps); 0 where the
 * device has no such calibration. */
#define CALIBRATE_EVERY 256
static uint64_t host_ns_of(struct sc_game *g, uint64_t device_ts)
{
	struct sc_vk_device *dev = g->dev;
	if (!dev->get_calibrated_timestamps)
		return 0;
	if (!g->calib_valid || g->next_tick - g->calib_tick >= CALIBRATE_EVERY) {
		VkCalibratedTimestampInfoEXT info[2] = {
			{.sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_EXT, .timeDomain = VK_TIME_DOMAIN_DEVICE_EXT},
			{.sType = VK_STRUCTURE_TYPE_CALIBRATED_TIMESTAMP_INFO_EXT,
			 .timeDomain = VK_TIME_DOMAIN_CLOCK_MONOTONIC_EXT},
		};
		uint64_t ts[2], dev_max;
		VkResult r = dev->get_calibrated_timestamps(dev->device, 2, info, ts, &dev_max);
		if (r != VK_SUCCESS) {
			sc_vk_ok(r, "vkGetCalibratedTimestampsEXT");
			return 0;
		}
		g->calib_device = ts[0];
		g->calib_host = ts[1];
		g->calib_tick = g->next_tick;
		g->calib_valid = true;
	}
	double d = ((double)device_ts - (double)g->calib_device) * dev->info.timestamp_period_ns;
	double host = (double)g->calib_host + d;
	return host > 0 ? (uint64_t)host : 0;
}

enum sc_game_error sc_game_tick(struct sc_game *g, const struct sc_input_event *inputs,
                                uint32_t n_inputs, uint32_t slot, uint32_t render_flags,
                                struct sc_tick_result *out)
{
	if (n_inputs > SC_MAX_INPUTS_PER_TICK) {
		sc_err("tick %u: %u inputs, at most %d per tick", g->next_tick, n_inputs, SC_MAX_INPUTS_PER_TICK);
		return SC_GAME_BAD_INPUT;
	}
	if (slot >= g->cfg.frame_slots) {
		sc_err("frame slot %u out of range (%u slots)", slot, g->cfg.frame_slots);
		return SC_GAME_BAD_INPUT;
	}
	/* a slot is rendered whole the first time (and for RGBA frames); after that
	 * only the tiles whose content changed */
	bool render = !(render_flags & SC_RENDER_NONE);
	uint32_t flags = render_flags & SC_RENDER_RGBA;
	if (!(g->slots_rendered & (1u << slot)) || (flags & RENDER_RGBA))
		flags |= RENDER_ALL;
	fill_params(g, g->next_tick, slot, flags, inputs, n_inputs);
	enum sc_game_error e = render ? submit_and_wait(g, g->cmd, g->pipes_cmd)
	                              : submit_and_wait(g, g->cmd_sim, g->pipes_sim);
	if (e != SC_GAME_OK)
		return e;

	uint64_t ts[N_QUERIES];
	VkResult r = vkGetQueryPoolResults(g->dev->device, g->queries, 0, N_QUERIES, sizeof(ts), ts, sizeof(ts[0]),
	                                   VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
	if (!sc_vk_ok(r, "vkGetQueryPoolResults"))
		return r == VK_ERROR_DEVICE_LOST ? SC_GAME_DEVICE_LOST : SC_GAME_VULKAN_ERROR;
	const uint32_t *rb = g->readback.map;
	out->tick = g->next_tick;
	out->hash = (uint64_t)rb[0] | ((uint64_t)rb[1] << 32);
	double period = g->dev->info.timestamp_period_ns;
	out->gpu_ms = (double)(ts[SC_GAME_PASSES] - ts[0]) * period / 1e6;
	for (uint32_t i = 0; i < SC_GAME_PASSES; i++) {
		double ns = ts[i + 1] >= ts[i] ? (double)(ts[i + 1] - ts[i]) * period : 0.0;
		out->pass_ns[i] = !render && i >= 5 ? 0 : ns > 4e9 ? UINT32_MAX : (uint32_t)ns;
	}
	out->gpu_begin_host_ns = host_ns_of(g, ts[0]);
	memcpy(&out->state, rb + 2, sizeof(out->state));
	memcpy(&out->audio, g->audio.map, sizeof(out->audio));
	out->audio_pos = sc_audio_tick_pos(out->tick, g->cfg.fps);
	out->pcm = (const int16_t *)((const uint8_t *)g->audio.map + sizeof(struct sc_game_audio));
	if (render)
		g->slots_rendered |= 1u << slot; /* a skipped tick leaves the slot and its tile history as they were */
	g->next_tick++;
	g->picture_valid = true;
	return SC_GAME_OK;
}

enum sc_game_error sc_game_render_last(struct sc_game *g, uint32_t slot, uint32_t render_flags)
{
	if (!g->picture_valid || g->next_tick == 0 || slot >= g->cfg.frame_slots)
		return SC_GAME_BAD_INPUT;
	fill_params(g, g->next_tick - 1, slot, (render_flags & SC_RENDER_RGBA) | RENDER_ALL, NULL, 0);
	enum sc_game_error e = submit_and_wait(g, g->cmd_render, g->pipes_render);
	if (e == SC_GAME_OK)
		g->slots_rendered |= 1u << slot;
	return e;
}

size_t sc_game_snapshot_size_for(uint32_t particles)
{
	return sizeof(struct sc_game_state) + (size_t)particles * 16 + sizeof(struct sc_game_audio);
}

size_t sc_game_snapshot_size(const struct sc_game *g)
{
	return sc_game_snapshot_size_for(g->cfg.particles);
}

/* Copies state + particles + the sound's state to (to_host) or from a
 * staging buffer, one submit. */
static bool snapshot_copy(struct sc_game *g, struct sc_vk_buffer *staging, bool to_host)
{
	VkCommandBuffer cmd;
	if (!one_shot_begin(g, &cmd))
		return false;
	VkBufferCopy state = {.srcOffset = 0, .dstOffset = 0, .size = sizeof(struct sc_game_state)};
	VkBufferCopy parts = {.srcOffset = 0, .dstOffset = sizeof(struct sc_game_state),
	                      .size = (VkDeviceSize)g->cfg.particles * 16};
	VkBufferCopy audio = {.srcOffset = 0, .dstOffset = parts.dstOffset + parts.size,
	                      .size = sizeof(struct sc_game_audio)};
	barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
	        VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
	        VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
	if (to_host) {
		vkCmdCopyBuffer(cmd, g->state.buffer, staging->buffer, 1, &state);
		if (parts.size)
			vkCmdCopyBuffer(cmd, g->particles.buffer, staging->buffer, 1, &parts);
		vkCmdCopyBuffer(cmd, g->audio.buffer, staging->buffer, 1, &audio);
	} else {
		VkBufferCopy aback = {.srcOffset = audio.dstOffset, .dstOffset = 0, .size = audio.size};
		VkBufferCopy pback = {.srcOffset = parts.dstOffset, .dstOffset = 0, .size = parts.size};
		vkCmdCopyBuffer(cmd, staging->buffer, g->state.buffer, 1, &state);
		if (parts.size)
			vkCmdCopyBuffer(cmd, staging->buffer, g->particles.buffer, 1, &pback);
		vkCmdCopyBuffer(cmd, staging->buffer, g->audio.buffer, 1, &aback);
		fill_guard_band(g, cmd); /* a restored game starts with intact canaries */
	}
	barrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
	        VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
	        VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
	return one_shot_end(g, cmd);
}

bool sc_game_snapshot(struct sc_game *g, void *buf, size_t len)
{
	size_t need = sc_game_snapshot_size(g);
	if (len < need) {
		sc_err("snapshot buffer of %zu bytes, need %zu", len, need);
		return false;
	}
	struct sc_vk_buffer staging;
	if (!sc_vk_buffer_init(&staging, g->dev, need, VK_BUFFER_USAGE_TRANSFER_DST_BIT |
	                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true))
		return false;
	bool ok = snapshot_copy(g, &staging, true);
	if (ok)
		memcpy(buf, staging.map, need);
	sc_vk_buffer_finish(&staging, g->dev);
	return ok;
}

bool sc_game_restore(struct sc_game *g, const void *buf, size_t len)
{
	size_t need = sc_game_snapshot_size(g);
	const struct sc_game_state *st = buf;
	if (len != need) {
		sc_err("snapshot of %zu bytes, this game needs %zu (other size or particle count?)", len, need);
		return false;
	}
	if (st->hdr.n_players != g->cfg.players || st->hdr.particle_count != g->cfg.particles ||
	    st->hdr.seed != g->cfg.seed) {
		sc_err("snapshot is of a game with %u players, %u particles, seed %u; this one has %u, %u, %u",
		       st->hdr.n_players, st->hdr.particle_count, st->hdr.seed, g->cfg.players, g->cfg.particles,
		       g->cfg.seed);
		return false;
	}
	struct sc_vk_buffer staging;
	if (!sc_vk_buffer_init(&staging, g->dev, need, VK_BUFFER_USAGE_TRANSFER_DST_BIT |
	                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true))
		return false;
	memcpy(staging.map, buf, need);
	bool ok = snapshot_copy(g, &staging, false);
	sc_vk_buffer_finish(&staging, g->dev);
	if (ok)
		g->next_tick = st->hdr.tick;
	g->picture_valid = false; /* what is on the GPU for drawing is another state's */
	return ok;
}

bool sc_game_restore_file(struct sc_game *g, const char *path)
{
	size_t len = sc_game_snapshot_size(g);
	uint8_t *buf = malloc(len + 1);
	FILE *f = fopen(path, "rb");
	size_t got = f && buf ? fread(buf, 1, len + 1, f) : 0;
	bool ok = false;
	if (!f)
		sc_err("restore: %s: %s", path, strerror(errno));
	else if (!buf)
		sc_err("restore: out of memory");
	else if (got != len)
		sc_err("restore: %s holds %zu bytes, a snapshot of this game is %zu", path, got, len);
	else
		ok = sc_game_restore(g, buf, len);
	if (f)
		fclose(f);
	free(buf);
	return ok;
}

const struct sc_game_config *sc_game_config(const struct sc_game *g)
{
	return &g->cfg;
}

uint32_t sc_game_next_tick(const struct sc_game *g)
{
	return g->next_tick;
}

const struct sc_frame_layout *sc_game_frame_layout(const struct sc_game *g)
{
	return &g->layout;
}

struct sc_frame_memory *sc_game_frame_memory(struct sc_game *g)
{
	return &g->frames;
}

const uint8_t *sc_game_frame(const struct sc_game *g, uint32_t slot)
{
	return (const uint8_t *)g->frames.map + g->layout.slot_size * slot;
}
