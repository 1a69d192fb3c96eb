/* One game instance on one Vulkan device: all state in GPU buffers, one command
 * buffer of compute passes per tick (inputs, logic, particles, hash, render+NV12). */
#ifndef SC_GPU_GAME_H
#define SC_GPU_GAME_H
#include <stdbool.h>
#include <stdint.h>

#include "gpu/frame_layout.h"
#include "gpu/frame_memory.h"
#include "gpu/game_audio.h"
#include "gpu/game_state.h"
#include "net/shm/input_event.h"
#include "gpu/vk_device.h"

struct sc_game_config {
	uint32_t width, height; /* width multiple of 4, height multiple of 2 */
	uint32_t particles;
	uint32_t players;       /* 2..8 */
	uint32_t seed;
	uint32_t frame_slots;   /* frames in the exported ring, >= 1 */
	uint32_t hang_timeout_ms; /* a tick's fence not signalled by then is a hang */
	uint32_t fps;           /* ticks a second: how many audio samples a tick makes (gpu/game_audio.h) */
	/* sc_game_create's own submissions (init, the warm-up of every pipeline:
	 * first-use shader compilation on drivers that compile late) have this
	 * bound instead; running past it fails the start, it is not a hang */
	uint32_t startup_timeout_ms;
	/* testing only: a submission that uses a pipeline no earlier submission
	 * used finishes this much later, as on a driver compiling at first use */
	uint32_t test_slow_first_submit_ms;
};

/* The compute passes of a tick, each timed by a timestamp after it. */
#define SC_GAME_PASSES 8
#define SC_GAME_PASS_NAMES {"tick_logic", "spin", "particles", "audio", "finalize", "bin", "render", "seal"}

struct sc_tick_result {
	uint32_t tick;          /* the tick just simulated */
	uint64_t hash;          /* state hash after it */
	double gpu_ms;          /* from timestamp queries */
	/* GPU time of each compute pass, ns (SC_GAME_PASS_NAMES order; bin,
	 * render and seal 0 in a simulate-only tick) */
	uint32_t pass_ns[SC_GAME_PASSES];
	/* the tick's first timestamp on CLOCK_MONOTONIC, where the device has
	 * VK_EXT_calibrated_timestamps with a monotonic host domain; else 0 */
	uint64_t gpu_begin_host_ns;
	struct sc_game_state state;
	/* the tick's sound (gpu/game_audio.h): audio.n_samples mono s16 samples
	 * at `pcm`, valid until the next tick, restore or destroy; audio.hash is
	 * folded into `hash` */
	struct sc_game_audio audio;
	uint64_t audio_pos;     /* sample position of pcm[0] (64-bit) */
	const int16_t *pcm;
};

enum sc_game_error {
	SC_GAME_OK,
	SC_GAME_BAD_INPUT,      /* too many inputs for one tick, bad player */
	SC_GAME_TIMEOUT,        /* fence not signalled in time: a hang */
	SC_GAME_DEVICE_LOST,
	SC_GAME_VULKAN_ERROR,
};

/* Fills cfg with the defaults: 1280x720, 20000 particles, 2 players, seed 1,
 * 3 slots, 2000 ms hang timeout, 120 s startup bound, 60 fps. */
void sc_game_config_defaults(struct sc_game_config *cfg);
/* NULL if valid, else why not. */
const char *sc_game_config_check(const struct sc_game_config *cfg);

/* Creates the pipelines and warms every one of them (a submission of each
 * recorded command buffer, then the state is initialised again: no effect on
 * the game), bounded by startup_timeout_ms and logged with its duration; only
 * then does the hang timeout apply, to work expected to finish quickly. */
struct sc_game *sc_game_create(struct sc_vk_device *dev, const struct sc_game_config *cfg);
void sc_game_destroy(struct sc_game *game);

/* true after a hang or device loss: the GPU may still run this game's work,
 * so neither the game nor its device can be torn down; the process should
 * end with _exit() (NULL: false). */
bool sc_game_lost(const struct sc_game *game);

/* render_flags for sc_game_tick: NV12 is rendered unless SC_RENDER_NONE,
 * RGBA8 on request. SC_RENDER_NONE: simulate only, the slot is left as it
 * was (the shadow, which shows no frames, while it follows or catches up). */
#define SC_RENDER_RGBA 1u
#define SC_RENDER_NONE 4u

/* Simulates the next tick with these inputs (applied in array order) and renders
 * into frame slot `slot`. After SC_GAME_TIMEOUT or SC_GAME_DEVICE_LOST the GPU
 * cannot be trusted: destroy the game (it will not wait) and exit the process. */
enum sc_game_error sc_game_tick(struct sc_game *game, const struct sc_input_event *inputs,
                                uint32_t n_inputs, uint32_t slot, uint32_t render_flags,
                                struct sc_tick_result *out);

/* Draws the frame of the tick last simulated (with SC_RENDER_NONE, say) into
 * `slot`, whole, exactly as a rendering tick would have (RGBA too with
 * SC_RENDER_RGBA), without simulating anything. SC_GAME_BAD_INPUT when no
 * tick ran since the game was created or restored. */
enum sc_game_error sc_game_render_last(struct sc_game *game, uint32_t slot, uint32_t render_flags);

/* Full GPU state, for captures and for restoring a match: the state block
 * (struct sc_game_state), every particle (16 bytes each), then the sound's
 * state (struct sc_game_audio). */
size_t sc_game_snapshot_size(const struct sc_game *game);
/* The same for a game of `particles` particles. */
size_t sc_game_snapshot_size_for(uint32_t particles);
bool sc_game_snapshot(struct sc_game *game, void *buf, size_t len);
/* Loads a snapshot taken from a game with the same configuration; the next
 * tick simulated is state.hdr.tick. */
bool sc_game_restore(struct sc_game *game, const void *buf, size_t len);
/* The same from a file holding exactly one snapshot (a capture's state.bin). */
bool sc_game_restore_file(struct sc_game *game, const char *path);

uint32_t sc_game_next_tick(const struct sc_game *game);
const struct sc_game_config *sc_game_config(const struct sc_game *game);
const struct sc_frame_layout *sc_game_frame_layout(const struct sc_game *game);
struct sc_frame_memory *sc_game_frame_memory(struct sc_game *game);
/* CPU view of a frame slot (valid after the tick that rendered it returned). */
const uint8_t *sc_game_frame(const struct sc_game *game, uint32_t slot);

#endif
