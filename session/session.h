/* The session block: the cross-process ABI between the supervisor, the
 * primary instance, the shadows and the encoder process. It lives in a named
 * block of the shared arena (net/shm/arena.h, SC_SESSION_BLOCK), created and
 * zeroed by the supervisor so that it survives a child's restart; offsets
 * only, never pointers. Beside it, two more blocks: the input log
 * (SC_INPUT_LOG_BLOCK, struct sc_input_event, net/shm/input_event.h) and the tick
 * log (SC_TICK_LOG_BLOCK, struct sc_tick_record).
 *
 * Each protocol inside it has its own header, with its hand-off rules (who
 * writes, who reads, in which order) where its struct is:
 *   session/shm/frame_mailbox.h    frame slots and the `latest` mailbox
 *   session/shm/tick_record.h      the tick log's records
 *   session/shm/chat_record.h      the chat log's records (its own block)
 *   session/shm/fault_record.h     the current incident
 *   session/shm/shadow_mailbox.h   the two shadows' status and command mailboxes
 *   session/shm/input_drop_ring.h  inputs a restored primary dropped
 *   session/shm/audio_ring.h       the game's sound, primary -> encoder (its own block)
 *   session/shm/msg_ring.h         the typed outbound message rings (blocks of
 *                                  their own), payloads in session/shm/game_msg.h
 *   session/shm/sample.h           profiling samples, each instance -> encoder (three blocks:
 *                                  SC_SAMPLE_RING_BLOCK, SC_SAMPLE_RING_SHADOW0_BLOCK,
 *                                  SC_SAMPLE_RING_SHADOW1_BLOCK)
 * and, below, the fields that are not a protocol of their own: settings the
 * supervisor writes once, the seqlocked game state, counters and gauges (each
 * atomic word on its own), the checkpoint and restore hand-offs.
 *
 * Layout version: SC_SESSION_LAYOUT_VERSION covers this block, the structs of
 * session/shm/ and the log records. The supervisor writes it with the magic
 * when it creates the block; every child checks both when it attaches
 * (session/session_attach.c) and refuses a mismatch. The _Static_asserts pin
 * every size and offset: when one fails you changed the layout; bump the
 * version and update the asserts. */
#ifndef SC_SESSION_SESSION_H
#define SC_SESSION_SESSION_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/game_state.h"
#include "session/shm/fault_record.h"
#include "session/shm/frame_mailbox.h"
#include "session/shm/input_drop_ring.h"
#include "session/shm/shadow_mailbox.h"
#include "session/shm/tick_record.h"
#include "session/shm/chat_record.h"

#define SC_SESSION_MAGIC 0x53435353u /* "SCSS" */
/* 3: the first numbered layout since ten changes went in under 2;
 * 4: the fault record's numbers (record, device_fault);
 * 5: the shadow mailbox's result fields (reproduced, step_dir) and
 *    capture_dir_incident;
 * 6: audio: the audio ring block, tick records with audio_hash, audio counters;
 * 7: the typed message rings (session/shm/msg_ring.h, game_msg.h) and the
 *    tick in struct sc_msg_header;
 * 8: profiling: the three sample ring blocks (session/shm/sample.h), sample counters,
 *    anomaly capture request/done;
 * 9: system notices in the input log (actions 5..7, net/shm/input_event.h),
 *    the notice payload's player and count, the chat log block
 *    (session/shm/chat_record.h) and primary_chat_seq;
 * 10: the --inputs script's cursor (script_next, script_pending_seq,
 *    script_pending_next);
 * 11: the sample rings also carry SC_MSG_SAMPLE_META records (struct
 *    sc_sample_meta, session/shm/sample.h: the game's profiling metadata);
 * 12: payload blocks on the typed rings (session/shm/msg_ring.h: flag
 *    SC_MSG_PAYLOAD_BLOCK, struct sc_msg_block_desc / sc_msg_block_hdr,
 *    payload_gen and block counters) and the incident report notice
 *    (struct sc_incident_report, session/shm/game_msg.h);
 * 13: script_wait_tick0 (a primary waiting for the script's tick 0; since
 *     named script_wait, any tick + 1: older encoders feed on any nonzero) */
#define SC_SESSION_LAYOUT_VERSION 13u
#define SC_SESSION_BLOCK "session"     /* struct sc_session_shm */
#define SC_INPUT_LOG_BLOCK "input-log" /* sc_input_log of struct sc_input_event */
#define SC_TICK_LOG_BLOCK "tick-log"   /* sc_input_log of struct sc_tick_record */
#define SC_CHAT_LOG_BLOCK "chat-log"   /* sc_input_log of struct sc_chat_record: primary -> shadows */
#define SC_CHAT_LOG_CAPACITY 1024      /* records (256 KiB): the chat of a capture's window and more */
/* Typed outbound message rings, primary -> encoder (session/shm/msg_ring.h),
 * one block each, kind SC_BLOCK_MSG_RING, created by the supervisor: */
#define SC_MSG_EVENT_BLOCK "msg-event"   /* SC_MSG_EVENT, struct sc_game_event_msg */
#define SC_MSG_HAPTIC_BLOCK "msg-haptic" /* SC_MSG_HAPTIC, struct sc_haptic_msg */
#define SC_MSG_NOTICE_BLOCK "msg-notice" /* SC_MSG_NOTICE, struct sc_notice_msg */
#define SC_MSG_CHAT_BLOCK "msg-chat"     /* SC_MSG_CHAT, struct sc_chat_msg: primary -> encoder */
/* and one the other way, encoder -> primary (the encoder writes, the primary reads): */
#define SC_MSG_CHAT_IN_BLOCK "msg-chat-in" /* SC_MSG_CHAT, struct sc_chat_msg: clients' chat */
#define SC_LOG_CAPACITY_DEFAULT 8192   /* records in each log (--log-capacity); power of two */
#define SC_CRASH_LOOP_WINDOW_S 60      /* --crash-loop N incidents within this many seconds */

struct sc_session_shm {
	/* written once by the supervisor, before any child starts; checked by
	 * every child at attach (session/session_attach.c) */
	uint32_t magic, version;

	/* written once by the supervisor, before any child starts */
	uint32_t width, height, fps, players;
	uint32_t n_slots;             /* frame slots in use */

	/* primary -> everyone. Frame mailbox (session/shm/frame_mailbox.h): the
	 * frame layout words are valid once frame_generation != 0 */
	_Atomic uint64_t frame_generation; /* bumped when a (re)started primary exports frames */
	uint64_t slot_size, rgba_offset, nv12_offset, seal_offset;
	uint32_t pitch, uv_offset;
	_Atomic int32_t primary_pid;
	_Atomic uint64_t heartbeat_ns;     /* last tick completed */
	_Atomic uint32_t next_tick;        /* the tick the primary simulates next */
	_Atomic uint64_t latest;           /* frame << 8 | slot; 0 = none yet */
	uint32_t frame_doorbell_need_wakeup; /* sc_doorbell flag, encoder sleeping */
	struct sc_frame_slot_shm slots[SC_MAX_FRAME_SLOTS];
	_Atomic uint64_t frames_rendered;
	_Atomic uint64_t frames_replaced;  /* encoder: replaced in the mailbox before it took them */
	_Atomic uint64_t ticks_late;       /* ticks that started after their deadline */
	_Atomic uint64_t inputs_applied;
	_Atomic uint32_t gpu_us_last;      /* GPU time of the last tick */
	_Atomic uint32_t tick_us_p50, tick_us_p99; /* primary's tick time (CPU wall), last 256 ticks */
	/* Latest small game state, a seqlock. One writer, the primary
	 * (publish_state): state_seq += 1 (odd: being written), copy state,
	 * state_seq += 1, both seq_cst RMWs so the copy stays between them.
	 * Readers (sc_session_state_read, the encoder): load state_seq, retry
	 * while odd, copy state, re-read state_seq with an RMW (fetch_add 0) and
	 * keep the copy only if it did not change. */
	_Atomic uint32_t state_seq;
	struct sc_game_state state;

	/* encoder -> everyone (counters and gauges: each word on its own) */
	_Atomic uint64_t frames_encoded;
	_Atomic uint64_t frames_bad_seal;  /* frames whose seal did not match: dropped, not encoded */
	_Atomic uint32_t encode_us_last;
	_Atomic uint32_t zero_copy;        /* the last frame encoded was read in place, no CPU copy (measured per frame) */
	_Atomic uint32_t http_port;        /* bound port, once listening; the supervisor
	                                    * clears it before each encoder start */

	/* shadow tracking: the fault record (session/shm/fault_record.h) */
	struct sc_fault_shm fault;
	/* Two shadow status blocks: the supervisor starts each shadow with
	 * `--shadow-slot 0|1`. After a restore the paused shadow keeps its block
	 * (inspection, stepping) and the new shadow behind the new primary takes
	 * the other one. `shadow` is slot 0, kept by that name for the API.
	 * Rules: session/shm/shadow_mailbox.h. */
	struct sc_shadow_shm shadow;
	struct sc_shadow_shm shadow_alt;
	/* primary -> supervisor, shadow, encoder: where the current primary
	 * started. It stores the three, then primary_ready = 1 (seq_cst:
	 * publishes them); the supervisor clears primary_ready when the primary
	 * is gone. */
	_Atomic uint32_t primary_base_tick; /* tick the current primary started at (restore) */
	_Atomic uint64_t primary_start_seq; /* input-log seq the current primary started reading at */
	_Atomic uint64_t primary_tick_log_seq; /* tick-log seq of its first tick record */
	_Atomic uint32_t primary_ready;     /* the three above are valid for this primary */
	_Atomic uint32_t incidents;         /* incidents so far (sc_fault_shm.incident) */
	char primary_device[512];           /* "NAME (driver)" of the current primary's device */
	/* ticks below this have had their inputs gathered by the primary: an input
	 * stamped with it is applied at that tick (the encoder's stamp) */
	_Atomic uint32_t inputs_gathered_through;
	/* the input-log range [begin, end) the primary gathered for tick
	 * inputs_gathered_through - 1 (stored before it): after the primary's death
	 * the supervisor finds the FAULT input that killed it there */
	_Atomic uint64_t gathered_seq_begin, gathered_seq_end;
	_Atomic uint64_t slots_reclaimed;   /* frame slots taken back from a dead reader */
	/* supervisor, in a crash loop: incidents numbered above this get no capture
	 * (0 = no limit); set while it handles the incident that made the loop,
	 * before the next incident can exist, so which ones get a capture is exact */
	_Atomic uint32_t capture_last_incident;
	/* Checkpoints: how a new shadow joins a running primary (its predecessor
	 * lost track or crashed). The new shadow, once its device and pipelines
	 * are ready, bumps checkpoint_req (so the logs are held only from then
	 * on, not through a slow start); the primary,
	 * between two ticks, writes its state to checkpoint_path, pins both logs at
	 * the positions of the next tick (reader slots of its own), fills the fields
	 * and stores checkpoint_done = req. The shadow restores the file, attaches
	 * at those positions and stores checkpoint_adopted = done; the primary then
	 * drops its pins. Ordering: the plain checkpoint_* fields are written by
	 * the primary before the seq_cst store of checkpoint_done, and read by the
	 * shadow only after it loaded checkpoint_done == the req it waits for. */
	_Atomic uint32_t checkpoint_req;
	_Atomic uint32_t checkpoint_done;
	_Atomic uint32_t checkpoint_adopted;
	uint32_t checkpoint_tick;           /* the file holds the state before this tick */
	uint64_t checkpoint_in_seq;         /* input-log seq that tick's inputs start at */
	uint64_t checkpoint_tick_seq;       /* tick-log seq of that tick's record */
	char checkpoint_path[512];
	/* supervisor -> restored primary: where its input reader starts and which
	 * inputs of its first tick it drops (the offending tick's FAULT inputs, or
	 * all of that tick's inputs when no injected fault explains the incident).
	 * The supervisor stores restore_valid = 0, writes the plain fields, then
	 * restore_valid = 1 (seq_cst), before it starts the restored primary; the
	 * primary and the shadow behind it read them after loading restore_valid. */
	uint64_t restore_seq_begin, restore_seq_end;
	uint32_t restore_drop_all;
	_Atomic uint32_t restore_valid;
	/* acked inputs dropped on a restore (counted, logged); also the write
	 * index of input_drops[] at the end (session/shm/input_drop_ring.h) */
	_Atomic uint64_t inputs_dropped;
	/* The game state each frame slot shows (the state after slots[i].tick):
	 * the primary writes it with the slot, before it publishes `latest`; the
	 * encoder copies it while it holds the slot (the state that belongs to
	 * the frame it sends: events, /api/v1/state). Frame mailbox rules:
	 * session/shm/frame_mailbox.h. */
	struct sc_game_state slot_state[SC_MAX_FRAME_SLOTS];
	/* The last SC_INPUT_DROPS_RING dropped inputs, drop n at [n % RING]
	 * (session/shm/input_drop_ring.h): which clients to tell (`input_dropped`)
	 * and which inputs of a tick record were not applied (GET /api/v1/ticks). */
	struct sc_input_drop_shm input_drops[SC_INPUT_DROPS_RING];

	/* audio (session/shm/audio_ring.h): counters, each word on its own */
	_Atomic uint64_t audio_ticks_written;  /* primary: tick records written to the audio ring */
	_Atomic uint64_t audio_ticks_dropped;  /* primary: ticks whose sound found the ring full */
	_Atomic uint64_t audio_packets_encoded; /* encoder: Opus packets made */
	_Atomic uint32_t audio_last_hash;      /* primary: the last tick's sound hash */
	_Atomic uint32_t audio_last_tick;

	/* profiling samples (session/shm/sample.h), per instance (enum
	 * sc_sample_instance): each word written by that instance only */
	_Atomic uint64_t samples_written[3];  /* records committed to its sample ring */
	_Atomic uint64_t samples_dropped[3];  /* samples that found its ring full */
	/* Anomaly captures (docs/profiling.md): the encoder process, the only
	 * writer, stores seq << 40 | condition << 32 | tick (seq 1..2^24-1, the
	 * condition's index in the config, which every process parses alike)
	 * when a condition with `capture` hits
	 * on the primary's sample of that tick (a newer request replaces one not
	 * taken yet). The running shadow loads it between ticks; when it holds
	 * the state after that tick it writes a capture without pausing and
	 * stores anomaly_capture_done = the request (after the capture's
	 * directory is published in its status block); a shadow already past the
	 * tick logs that it missed it and stores nothing. */
	_Atomic uint64_t anomaly_capture_req;
	_Atomic uint64_t anomaly_capture_done;
	/* primary -> shadow: the chat log's tail when the current primary
	 * started (stored with primary_start_seq, before primary_ready): a
	 * shadow that starts with it reads the chat log from there */
	_Atomic uint64_t primary_chat_seq;
	/* encoder -> its successor: how far the --inputs script got, so that a
	 * restarted encoder feeds every scripted event exactly once. Written by
	 * the feeding thread while it holds the input log's writer lock: before
	 * it appends event K at log seq S, script_pending_next = K, then
	 * script_pending_seq = S + 1; after, script_next = K + 1 (on success),
	 * then script_pending_seq = 0. Read only by the next encoder, after the
	 * previous one is dead and before it appends anything itself: with a
	 * pending S + 1 and the log's tail past S, that append happened and the
	 * script goes on at script_pending_next + 1; else at script_next. */
	_Atomic uint64_t script_next;
	_Atomic uint64_t script_pending_seq;
	_Atomic uint64_t script_pending_next;
	/* primary -> encoder: T + 1 while a primary waits for the script's events
	 * up to tick T before running tick T (server/script_wait.c), 0 when not;
	 * while it is set the encoder feeds without waiting for a frame. Before
	 * tick 0 the encoder feeds only then (a primary that restores a state
	 * file starts past tick 0 and reads the log from its tail: events fed for
	 * tick 0 would be skipped) */
	_Atomic uint32_t script_wait;
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_game_state) == 540, "sc_game_state embedded in the session block");
_Static_assert(sizeof(struct sc_session_shm) == 13536, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, magic) == 0, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, version) == 4, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, width) == 8, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, height) == 12, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, fps) == 16, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, players) == 20, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, n_slots) == 24, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, frame_generation) == 32, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, slot_size) == 40, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, rgba_offset) == 48, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, nv12_offset) == 56, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, seal_offset) == 64, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, pitch) == 72, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, uv_offset) == 76, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_pid) == 80, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, heartbeat_ns) == 88, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, next_tick) == 96, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, latest) == 104, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, frame_doorbell_need_wakeup) == 112, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, slots) == 120, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, frames_rendered) == 376, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, frames_replaced) == 384, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, ticks_late) == 392, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, inputs_applied) == 400, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, gpu_us_last) == 408, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, tick_us_p50) == 412, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, tick_us_p99) == 416, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, state_seq) == 420, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, state) == 424, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, frames_encoded) == 968, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, frames_bad_seal) == 976, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, encode_us_last) == 984, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, zero_copy) == 988, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, http_port) == 992, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, fault) == 1000, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, shadow) == 1968, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, shadow_alt) == 2896, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_base_tick) == 3824, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_start_seq) == 3832, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_tick_log_seq) == 3840, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_ready) == 3848, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, incidents) == 3852, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_device) == 3856, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, inputs_gathered_through) == 4368, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, gathered_seq_begin) == 4376, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, gathered_seq_end) == 4384, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, slots_reclaimed) == 4392, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, capture_last_incident) == 4400, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_req) == 4404, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_done) == 4408, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_adopted) == 4412, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_tick) == 4416, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_in_seq) == 4424, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_tick_seq) == 4432, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, checkpoint_path) == 4440, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, restore_seq_begin) == 4952, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, restore_seq_end) == 4960, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, restore_drop_all) == 4968, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, restore_valid) == 4972, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, inputs_dropped) == 4976, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, slot_state) == 4984, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, input_drops) == 9304, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, audio_ticks_written) == 13400, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, audio_last_tick) == 13428, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, samples_written) == 13432, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, samples_dropped) == 13456, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, anomaly_capture_req) == 13480, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, anomaly_capture_done) == 13488, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, primary_chat_seq) == 13496, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, script_next) == 13504, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, script_pending_seq) == 13512, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, script_pending_next) == 13520, "sc_session_shm layout");
_Static_assert(offsetof(struct sc_session_shm, script_wait) == 13528, "sc_session_shm layout");

#endif
