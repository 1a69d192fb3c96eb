/* A capture: a self-contained directory holding the shadow's preserved state
 * (layout in docs/captures.md): manifest.json, state.bin (sc_game_snapshot),
 * frame.png, inputs.txt, chat.txt, error.json, missing.txt, audio.wav and
 * audio_ticks.txt, and step-K/ / tick-T/
 * subdirectories written while stepping. Written by the shadow process (and
 * tests), read by `shadowcast inspect` and `shadowcast replay`. */
#ifndef SC_SHADOW_CAPTURE_H
#define SC_SHADOW_CAPTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/game_state.h"
#include "net/shm/input_event.h"
#include "session/session.h" /* sc_fault_detected_name, the fault record's types; the chat record */

/* 2: state.bin ends in the sound's state (struct sc_game_audio); game.fps;
 * audio.wav and audio_ticks.txt
 * 3: inputs.txt may hold the system notices (join, leave, spectators:
 * docs/inputs.md); chat.txt and the manifest's `chat`. The loader takes 2
 * and 3 (a format 2 capture is a format 3 one without notices or chat). */
#define SC_CAPTURE_FORMAT 3
#define SC_CAPTURE_FORMAT_MIN 2

struct sc_capture_game {
	uint32_t width, height, seed, players, particles;
	uint32_t hang_timeout_ms;
	uint32_t fps;             /* the tick rate: how many audio samples a tick makes (format 2) */
};

struct sc_capture_info {
	uint32_t incident;          /* 0: a capture asked for by a developer, no incident */
	uint32_t detected;          /* enum sc_fault_detected (session/session.h), 0 none */
	uint32_t path;              /* 724 self-reported, 734 external monitor, 0 none */
	uint32_t injected;          /* enum sc_fault_kind of the FAULT input, 0 none */
	uint32_t error_tick;        /* the primary's error tick (incident captures) */
	uint32_t detected_tick;     /* the primary's tick when it was detected (>= error_tick; late when >) */
	uint32_t next_tick;         /* state.bin's next tick (= state hdr.tick); holds next_tick - 1 */
	uint32_t delay_ticks;
	uint64_t shadow_hash;       /* the shadow's hash after next_tick - 1 */
	uint64_t primary_hash;      /* the primary's hash for next_tick - 1 (tick log) */
	bool primary_hash_known;
	uint64_t detected_ns, paused_ns; /* CLOCK_MONOTONIC */
	uint64_t held_ns;                /* the state is held (snapshot taken), before the capture is written */
	uint64_t armed_ns;               /* the shadow saw the incident (stops short of error_tick) */
	uint32_t armed_margin;           /* ticks it was short of the error tick then */
	int32_t primary_pid;
	struct sc_shader_fault_record record; /* the shader fault record (kind 0: none): error.json's fault_record */
	uint32_t device_fault;      /* enum sc_device_fault_status: the VK_EXT_device_fault report */
	char detail[256];           /* the primary's incident detail: for display only, never parsed */
	char shadow_device[800];    /* "NAME (DRIVER DRIVER_INFO)" */
	char shadow_device_uuid[40];
	char primary_device[512];   /* "" when unknown */
	char device_fault_report[640]; /* the primary's VK_EXT_device_fault JSON (device_fault SAVED), else "" */
	uint64_t divergences;
	struct sc_capture_game game;
	/* an anomaly capture (a target condition hit on the primary's sample of
	 * condition_tick): the condition's name and "METRIC OP THRESHOLD"; "" for
	 * other captures */
	char condition[32];
	char condition_text[96];
	uint32_t condition_tick;
};

/* The input-log window: inputs already applied (ticks < info.next_tick, in
 * state.bin) and pending ones (ticks >= next_tick: the offending inputs of the
 * error tick first). Each event's tick is the tick it was / would be applied at. */
struct sc_capture_inputs {
	const struct sc_input_event *applied;
	size_t n_applied;
	const struct sc_input_event *pending;
	size_t n_pending;
	/* the chat the shadow kept (shadow/chat_window.h), oldest first: chat.txt */
	const struct sc_chat_record *chat;
	size_t n_chat;
	uint64_t chat_missing; /* older lines it does not have (manifest chat.missing) */
};

/* Lines for missing.txt: what could not be captured and why. */
struct sc_capture_missing {
	char text[2048];
	size_t len;
};
void sc_capture_missing_add(struct sc_capture_missing *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes a capture into dir (created; must not exist yet). rgba: the frame of
 * the held state (RGBA8, width*height, rows stride bytes apart), or NULL (then
 * missing.txt says why, via missing). */
bool sc_capture_write(const char *dir, const struct sc_capture_info *info, const void *snap, size_t snap_len,
                      const uint8_t *rgba, uint32_t stride, const struct sc_capture_inputs *inputs,
                      struct sc_capture_missing *missing);

/* "<root>/incident-<N>-tick-<T>" or "<root>/manual-<K>-tick-<T>", made unique
 * with a "-2", "-3" suffix; the root is created. Absolute when root resolves. */
bool sc_capture_dir_name(const char *root, const struct sc_capture_info *info, uint32_t manual_n, char *out,
                         size_t len);

/* A loaded capture. */
struct sc_capture {
	char dir[512];
	char *manifest;             /* manifest.json text */
	struct sc_capture_info info;
	void *snap;                 /* state.bin */
	size_t snap_len;
	struct sc_input_event *inputs; /* inputs.txt in file order, applied then pending */
	size_t n_inputs;
};

bool sc_capture_load(struct sc_capture *cap, const char *dir);
void sc_capture_finish(struct sc_capture *cap);

/* state.bin's state block. */
static inline const struct sc_game_state *sc_capture_state(const struct sc_capture *cap)
{
	return (const struct sc_game_state *)cap->snap;
}

/* Step results (step-K/result.json, tick-T/result.json). */
struct sc_step_result;
bool sc_capture_write_step(const char *dir, const struct sc_step_result *res, const void *snap, size_t snap_len,
                           const uint8_t *rgba, uint32_t width, uint32_t height, uint32_t stride);


#endif
