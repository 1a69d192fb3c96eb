/* The shadow instance process, shared between its files:
 * shadow_process.c (start-up, the delayed follow loop), shadow_hold.c (pause,
 * captures, stepping) and shadow_commands.c (the command mailbox). */
#ifndef SC_SHADOW_SHADOW_PRIV_H
#define SC_SHADOW_SHADOW_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/game.h"
#include "net/shm/arena.h"
#include "net/shm/input_log.h"
#include "session/sample_writer.h"
#include "session/session.h"
#include "shadow/audio_window.h"
#include "shadow/backlog.h"
#include "shadow/capture.h"
#include "shadow/chat_window.h"
#include "shadow/shadow_process.h"

#define SHADOW_WINDOW 256  /* applied inputs kept for the capture's input window */
#define SHADOW_PENDING 512 /* not-yet-applied inputs read at a pause */
#define SHADOW_AUDIO_SECONDS 5 /* the game's sound kept for a capture (audio.wav) */
#define SHADOW_CHAT_LINES 256  /* chat lines kept for a capture (chat.txt) */

struct shadow {
	const struct sc_shadow_config *cfg;
	struct sc_arena *arena;
	struct sc_session_shm *session;
	struct sc_shadow_shm *me;     /* this shadow's status block (--shadow-slot) */
	struct sc_input_log inputs, ticks;
	int in_reader, tick_reader;   /* -1 when detached */
	struct sc_backlog backlog;    /* published ticks drained from the logs, not run yet */
	uint64_t drop_begin, drop_end; /* behind a restored primary: the inputs it dropped */
	bool drop_all;
	struct sc_vk_device *dev;
	struct sc_game *game;
	uint32_t delay_ticks;
	uint64_t hash;                /* after next_tick - 1 */
	bool primary_hash_known;      /* the primary's hash for next_tick - 1 */
	uint64_t primary_hash;
	int64_t rgba_tick;            /* tick whose RGBA frame slot 0 holds, -1 = none */
	uint32_t handled_incident;    /* the incident this shadow paused for */
	uint32_t armed_incident;   /* the incident the follow loop last saw become READY */
	uint64_t armed_ns;         /* when it did: from then on it will not apply the error tick */
	uint32_t armed_margin;     /* error tick - its next tick at that moment */
	uint64_t divergences;
	struct sc_spsc_ring sample_ring; /* its profiling samples (session/shm/sample.h) */
	struct sc_sample_writer sampler;
	uint64_t anomaly_seen;         /* the last anomaly_capture_req looked at */
	uint64_t anomaly_req;          /* the one armed, 0 = none */
	int anomaly_condition;         /* shadow_write_capture: the condition of the anomaly capture, -1 none */

	/* the last seconds of sound the follow loop made, for a capture */
	struct sc_audio_window audio;
	/* the chat the primary relayed, drained from the chat log, for a capture */
	struct sc_input_log chats;
	int chat_reader;              /* -1 when detached */
	struct sc_chat_window chat;

	/* applied inputs, a ring, for the capture window */
	struct sc_input_event window[SHADOW_WINDOW];
	size_t win_next, win_count;

	/* held state (paused) */
	bool paused;
	bool incident_pause;          /* paused for an incident (readers detached) */
	void *held;                   /* sc_game_snapshot of the held state */
	size_t held_len;
	uint8_t *held_rgba;           /* its frame, NULL when not rendered */
	uint64_t held_ns;             /* when the state was held (snapshot taken; its frame is drawn after) */
	struct sc_input_event pending[SHADOW_PENDING];
	uint64_t pending_seq[SHADOW_PENDING];
	size_t n_pending;
	uint32_t stepped;             /* inputs of the held tick applied by STEP_INPUT */
	bool game_dirty;              /* the game no longer holds `held` (a step ran) */
	char capture_dir[512];        /* "" before the first capture */
	struct sc_capture_info info;  /* of the incident being held */
	uint32_t manual_captures;
	uint32_t last_cmd_seq;
};

uint32_t shadow_next_tick(const struct shadow *sh);
void shadow_publish(struct shadow *sh, enum sc_shadow_state state);
/* Exit status of a shadow that stopped because it can no longer know a tick's
 * exact inputs (a gap in the tick log, its backlog over --shadow-backlog): the
 * supervisor starts a new shadow from the primary's checkpoint. */
#define SHADOW_EXIT_LOST_TRACK 4

/* Moves the chat lines the primary has relayed from the chat log into the
 * shadow's chat window (never fails: a line it cannot read is counted). */
void shadow_drain_chat(struct shadow *sh);

/* Runs the oldest backlog record (and pops it); false on a fatal error. */
bool shadow_apply_next_record(struct shadow *sh);
void shadow_detach_readers(struct shadow *sh);
/* Anomaly captures (session.h): arm a new request; after a tick, write the
 * armed capture if the shadow now holds its tick (without pausing). */
void shadow_anomaly_poll(struct shadow *sh);
void shadow_anomaly_after_tick(struct shadow *sh);

/* shadow_hold.c */
bool shadow_hold(struct shadow *sh);
bool shadow_pause_incident(struct shadow *sh, bool late);
bool shadow_write_capture(struct shadow *sh, bool incident, char *msg, size_t msglen);
size_t shadow_held_inputs(const struct shadow *sh);
/* What a step tells the command mailbox besides its message
 * (session/shm/shadow_mailbox.h: reproduced, step_dir). */
struct shadow_step_out {
	bool reproduced;   /* the step reproduced a fault (or would have, for a host-side one) */
	char dir[36];      /* "step-K" / "tick-T" it wrote under capture_dir, "" none */
};
/* The steps (shadow_hold.c): out says what the step did (zeroed when it ran nothing). */
int shadow_step_input(struct shadow *sh, struct shadow_step_out *out, char *msg, size_t len);
int shadow_step_tick(struct shadow *sh, bool write_dir, struct shadow_step_out *out, char *msg, size_t len);
bool shadow_restore_held(struct shadow *sh);

/* shadow_commands.c */
void shadow_poll_commands(struct shadow *sh);

#endif
