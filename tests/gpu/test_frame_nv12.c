/* The GPU's NV12 planes agree with its RGBA frame (converted back on the CPU), and
 * another process sees the same frame through the exported memory without a copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpu/frame_seal.h"
#include "gpu/game.h"

#define W 320
#define H 180

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

static int clamp255(int v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void check_planes(const uint8_t *slot, const struct sc_frame_layout *l)
{
	const uint8_t *rgba = slot + l->rgba_offset;
	const uint8_t *y_plane = slot + l->nv12_offset;
	const uint8_t *uv_plane = y_plane + l->uv_offset;
	size_t flat = 0, blocks = 0, luma_off = 0;
	int worst = 0;
	for (uint32_t by = 0; by < H; by += 2) {
		for (uint32_t bx = 0; bx < W; bx += 2) {
			blocks++;
			const uint8_t *px[4];
			for (int k = 0; k < 4; k++)
				px[k] = rgba + ((size_t)(by + k / 2) * W + bx + k % 2) * 4;
			for (int k = 0; k < 4; k++) {
				int r = px[k][0], g = px[k][1], b = px[k][2];
				int y_ref = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
				int y = y_plane[(size_t)(by + k / 2) * l->pitch + bx + k % 2];
				if (abs(y - y_ref) > 1)
					luma_off++;
				CHECK(px[k][3] == 255, "alpha is opaque");
			}
			bool same = !memcmp(px[0], px[1], 3) && !memcmp(px[0], px[2], 3) && !memcmp(px[0], px[3], 3);
			if (!same)
				continue;
			flat++;
			/* BT.601 limited range back to RGB */
			int c = y_plane[(size_t)by * l->pitch + bx] - 16;
			int d = uv_plane[(size_t)(by / 2) * l->pitch + bx] - 128;
			int e = uv_plane[(size_t)(by / 2) * l->pitch + bx + 1] - 128;
			int rgb[3] = {
				clamp255((298 * c + 409 * e + 128) >> 8),
				clamp255((298 * c - 100 * d - 208 * e + 128) >> 8),
				clamp255((298 * c + 516 * d + 128) >> 8),
			};
			for (int ch = 0; ch < 3; ch++) {
				int diff = abs(rgb[ch] - px[0][ch]);
				if (diff > worst)
					worst = diff;
			}
		}
	}
	CHECK(luma_off == 0, "%zu pixels whose Y is not the BT.601 luma of their RGBA", luma_off);
	CHECK(flat > blocks * 8 / 10, "most 2x2 blocks are flat (%zu of %zu)", flat, blocks);
	CHECK(worst <= 4, "NV12 converted back to RGB within 4 of the RGBA frame (worst %d)", worst);
	printf("planes: %zu blocks, %zu flat, worst round-trip error %d\n", blocks, flat, worst);
}

/* A child process maps the exported fd itself and hashes the NV12 bytes. */
static void check_shared_view(const struct sc_frame_memory *fm, const struct sc_frame_layout *l,
                              uint32_t slot_index, const uint8_t *slot)
{
	int pipefd[2];
	if (pipe(pipefd) != 0) {
		CHECK(false, "pipe");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t h = 0;
		void *map = mmap(NULL, fm->size, PROT_READ, MAP_SHARED, fm->fd, 0);
		if (map != MAP_FAILED)
			h = fnv((const uint8_t *)map + l->slot_size * slot_index + l->nv12_offset, l->nv12_size);
		ssize_t n = write(pipefd[1], &h, sizeof(h));
		_exit(n == sizeof(h) && map != MAP_FAILED ? 0 : 1);
	}
	uint64_t child = 0;
	ssize_t n = read(pipefd[0], &child, sizeof(child));
	int status = 0;
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	CHECK(n == sizeof(child) && WIFEXITED(status) && WEXITSTATUS(status) == 0, "child mapped the frame fd");
	CHECK(child == fnv(slot + l->nv12_offset, l->nv12_size), "child sees the same NV12 bytes");
}

/* Tiles are re-rendered only where something changed; the frame must still be
 * exactly what a full render gives, in every slot, tick after tick. */
static void check_partial_render(struct sc_vk_device *dev)
{
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = W;
	cfg.height = H;
	cfg.players = 4;
	cfg.frame_slots = 3;
	struct sc_game *partial = sc_game_create(dev, &cfg), *full = sc_game_create(dev, &cfg);
	if (!partial || !full) {
		CHECK(false, "games");
		return;
	}
	const struct sc_frame_layout *l = sc_game_frame_layout(partial);
	struct sc_tick_result a, b;
	uint32_t mismatches = 0;
	for (uint32_t t = 0; t < 150; t++) {
		struct sc_input_event ev[2] = {
			{.tick = t, .seq = 2 * t, .player = (uint8_t)(t % 4), .action = SC_INPUT_MOVE,
			 .a = (int8_t)((t * 53) % 255 - 127), .b = (int8_t)((t * 29) % 255 - 127)},
			{.tick = t, .seq = 2 * t + 1, .player = (uint8_t)((t + 1) % 4), .action = SC_INPUT_SHOOT},
		};
		uint32_t slot = t % 3;
		CHECK(sc_game_tick(partial, ev, 2, slot, 0, &a) == SC_GAME_OK, "partial tick");
		CHECK(sc_game_tick(full, ev, 2, slot, SC_RENDER_RGBA, &b) == SC_GAME_OK, "full tick");
		if (a.hash != b.hash) {
			const uint32_t *wa = (const uint32_t *)&a.state, *wb = (const uint32_t *)&b.state;
			size_t w = 0;
			while (w < sizeof(a.state) / 4 && wa[w] == wb[w])
				w++;
			CHECK(false, "tick %u: states differ (first at word %zu: %08x vs %08x)", t, w,
			      w < sizeof(a.state) / 4 ? wa[w] : 0, w < sizeof(a.state) / 4 ? wb[w] : 0);
		}
		if (memcmp(sc_game_frame(partial, slot) + l->nv12_offset, sc_game_frame(full, slot) + l->nv12_offset,
		           l->nv12_size) != 0)
			mismatches++;
	}
	CHECK(mismatches == 0, "%u of 150 partially rendered frames differ from a full render", mismatches);
	sc_game_destroy(partial);
	sc_game_destroy(full);
}

/* The shadow's way: ticks simulated only (SC_RENDER_NONE), and the frame of
 * the last one drawn afterwards (sc_game_render_last) is byte for byte the
 * frame a rendering tick gives, RGBA, NV12 and seal; same states and hashes.
 * After a restore there is nothing to draw until a tick ran. */
static void check_render_last(struct sc_vk_device *dev)
{
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = W;
	cfg.height = H;
	cfg.players = 4;
	cfg.frame_slots = 1;
	struct sc_game *sim = sc_game_create(dev, &cfg), *full = sc_game_create(dev, &cfg);
	if (!sim || !full) {
		CHECK(false, "games");
		return;
	}
	const struct sc_frame_layout *l = sc_game_frame_layout(sim);
	CHECK(sc_game_render_last(sim, 0, SC_RENDER_RGBA) == SC_GAME_BAD_INPUT, "nothing to draw before a tick");
	struct sc_tick_result a, b;
	uint32_t compared = 0;
	for (uint32_t t = 0; t < 120; t++) {
		struct sc_input_event ev[2] = {
			{.tick = t, .seq = 2 * t, .player = (uint8_t)(t % 4), .action = SC_INPUT_MOVE,
			 .a = (int8_t)((t * 37) % 255 - 127), .b = (int8_t)((t * 61) % 255 - 127)},
			{.tick = t, .seq = 2 * t + 1, .player = (uint8_t)((t + 2) % 4), .action = SC_INPUT_SHOOT},
		};
		CHECK(sc_game_tick(sim, ev, 2, 0, SC_RENDER_NONE, &a) == SC_GAME_OK, "simulated tick");
		CHECK(sc_game_tick(full, ev, 2, 0, SC_RENDER_RGBA, &b) == SC_GAME_OK, "rendering tick");
		CHECK(a.hash == b.hash, "tick %u: the same state with and without a frame", t);
		if (t % 17 != 16)
			continue;
		CHECK(sc_game_render_last(sim, 0, SC_RENDER_RGBA) == SC_GAME_OK, "draw tick %u afterwards", t);
		CHECK(memcmp(sc_game_frame(sim, 0), sc_game_frame(full, 0), l->slot_size) == 0,
		      "tick %u: the frame drawn afterwards equals the rendering tick's (RGBA, NV12, seal)", t);
		CHECK(sc_frame_seal_verify(sc_game_frame(sim, 0), l, t), "tick %u: its seal verifies", t);
		compared++;
	}
	CHECK(compared == 7, "7 frames compared, got %u", compared);
	size_t len = sc_game_snapshot_size(sim);
	void *snap = malloc(len);
	CHECK(snap && sc_game_snapshot(sim, snap, len) && sc_game_restore(sim, snap, len), "snapshot, restore");
	CHECK(sc_game_render_last(sim, 0, SC_RENDER_RGBA) == SC_GAME_BAD_INPUT, "nothing to draw after a restore");
	free(snap);
	sc_game_destroy(sim);
	sc_game_destroy(full);
}

int main(void)
{
	struct sc_vk_device *dev = sc_vk_device_create("auto");
	if (!dev)
		return 1;
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = W;
	cfg.height = H;
	cfg.players = 4;
	cfg.frame_slots = 2;
	struct sc_game *game = sc_game_create(dev, &cfg);
	if (!game)
		return 1;
	const struct sc_frame_layout *l = sc_game_frame_layout(game);
	CHECK(l->pitch % 256 == 0 && l->pitch >= W, "pitch %u", l->pitch);
	struct sc_tick_result res;
	for (uint32_t t = 0; t < 90; t++) {
		struct sc_input_event ev = {.tick = t, .seq = t, .player = t % 4, .action = SC_INPUT_MOVE,
		                            .a = (int8_t)(t % 2 ? 127 : -60), .b = 40};
		bool last = t == 89;
		CHECK(sc_game_tick(game, &ev, 1, t % 2, last ? SC_RENDER_RGBA : 0, &res) == SC_GAME_OK, "tick %u", t);
	}
	const uint8_t *slot = sc_game_frame(game, 89 % 2);
	check_planes(slot, l);
	check_shared_view(sc_game_frame_memory(game), l, 89 % 2, slot);
	CHECK(sc_game_frame_memory(game)->fd >= 0, "exported fd");
	/* the seal: right tick and checksum; a stale tick, a torn or black frame fail it */
	CHECK(sc_frame_seal_verify(slot, l, 89), "GPU seal of tick 89 verifies on the CPU");
	CHECK(sc_frame_seal_verify(sc_game_frame(game, 0), l, 88), "the other slot holds tick 88, sealed");
	CHECK(!sc_frame_seal_verify(slot, l, 88), "a stale tick does not verify");
	uint8_t *copy = malloc(l->slot_size);
	memcpy(copy, slot, l->slot_size);
	memset(copy + l->nv12_offset + l->uv_offset / 2, 0, l->uv_offset / 2); /* torn: bottom half black */
	CHECK(!sc_frame_seal_verify(copy, l, 89), "a half-black frame does not verify");
	free(copy);
	/* the other slot holds the previous tick's frame, not this one */
	CHECK(memcmp(sc_game_frame(game, 0) + l->nv12_offset, slot + l->nv12_offset, l->nv12_size) != 0,
	      "frame slots are separate");
	sc_game_destroy(game);
	check_partial_render(dev);
	check_render_last(dev);
	sc_vk_device_destroy(dev);
	if (failures)
		return 1;
	printf("frame nv12 ok\n");
	return 0;
}
