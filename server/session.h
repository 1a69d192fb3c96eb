/* The session's shared state between processes: the contract between the
 * supervisor, the primary instance and the encoder process. All of it lives in
 * named blocks of the shared arena (net/arena.h), created by the supervisor so
 * that they survive a child's restart; offsets only, never pointers.
 *
 * Start-up (AF_UNIX socketpair per child, net/fd_passing.h):
 *   supervisor -> child  SC_FD_KIND_ARENA     fds = {arena memfd, frame doorbell eventfd}
 *   primary -> supervisor SC_FD_KIND_FRAME    fds = {frame memory fd}, arg = enum
 *                                             sc_frame_memory_kind; layout in sc_session_shm
 *   supervisor -> encoder SC_FD_KIND_FRAME    the same, forwarded (again after each
 *                                             primary restart: frame_generation changes)
 *
 * Frames: the primary renders into frame slots of its exported memory and never
 * waits for the encoder. Slot hand-off is a mailbox (`latest`) plus a per-slot
 * reader word holding the reading process's pid, Dekker style with
 * sequentially consistent atomics:
 *   primary: pick s != latest.slot with reader[s] == 0; store slot[s].frame = f;
 *            re-check reader[s] == 0 (else pick another); render; fill slot[s];
 *            store latest = f << 8 | s; ring the frame doorbell.
 *   encoder: load latest (f, s); store reader[s] = its pid; re-check
 *            slot[s].frame == f (else clear and retry); read / encode in place;
 *            store reader[s] = 0.
 * A reader that dies holding a slot (kill -9 mid-frame) does not keep it: the
 * supervisor clears every reader word holding the dead pid when it reaps it,
 * and the primary, finding a slot held by a pid that no longer exists, takes
 * it back itself (compare-and-swap pid -> 0; counted in slots_reclaimed).
 * A frame replaced in the mailbox before the encoder took it is not waited for;
 * the encoder counts it (a gap in the frame numbers it takes). Each frame carries a GPU-written seal (tick + checksum of sampled
 * words, gpu/frame_seal.h) in the slot trailer, which the encoder verifies before
 * encoding (a frame that fails is dropped, never encoded); the encoder rebuilds the layout with sc_frame_layout_init(width, height). */
#ifndef SC_SERVER_SESSION_H
#define SC_SERVER_SESSION_H
#include <stdatomic.h>
#include <stdint.h>

#include "gpu/game_state.h"

#define SC_SESSION_MAGIC 0x53435353u /* "SCSS" */
#define SC_SESSION_VERSION 2u
#define SC_SESSION_BLOCK "session"     /* struct sc_session_shm */
#define SC_INPUT_LOG_BLOCK "input-log" /* sc_input_log of struct sc_input_event */
#define SC_TICK_LOG_BLOCK "tick-log"   /* sc_input_log of struct sc_tick_record */
#define SC_LOG_CAPACITY_DEFAULT 8192   /* records in each log (--log-capacity); power of two */
#define SC_CRASH_LOOP_WINDOW_S 60      /* --crash-loop N incidents within this many seconds */
#define SC_MAX_FRAME_SLOTS 8

/* Published by the primary after each tick: which inputs it applied (log
 * sequence range [seq_begin, seq_end)) and the state hash after it. The shadow
 * (a later issue) replays these records, so stamps are advisory, records exact. */
struct sc_tick_record {
	uint32_t tick;
	uint32_t n_inputs;
	uint64_t seq_begin, seq_end;
	uint64_t hash;
	uint64_t done_ns;
};

/* One input a restored primary dropped (server/input_drops.h). */
#define SC_INPUT_DROPS_RING 256
struct sc_input_drop_shm {
	_Atomic uint64_t log_seq; /* input-log sequence of the dropped event */
	_Atomic uint32_t tick;    /* the tick it would have been applied at */
	_Atomic uint32_t reason;  /* enum sc_input_drop_reason */
};

struct sc_frame_slot_shm {
	_Atomic uint64_t frame;       /* frame number being / last rendered here */
	_Atomic uint32_t reader;      /* pid of the process reading this slot, 0 = none */
	uint32_t tick;                /* game tick rendered */
	uint64_t capture_ns;          /* tick start (CLOCK_MONOTONIC) */
	uint64_t render_done_ns;      /* GPU work complete */
};

/* Shadow tracking (the shadow-tracking seed, FIG. 7-10). */

/* How a fault was detected: the seed's signals. */
enum sc_fault_path {
	/* the primary found it itself: a shader fault record (assert, the oob guard
	 * band), its own validation of the state, its own fence timeout, a device loss */
	SC_FAULT_PATH_SELF = 724,
	/* the supervisor saw it from outside: a stalled heartbeat, the process's death */
	SC_FAULT_PATH_EXTERNAL = 734,
};

/* The supervisor's heartbeat monitor gives the primary this long beyond the
 * hang timeout before it calls a tick hung: two ticks, at least 250 ms. The
 * primary's own fence timeout starts at most a tick after the last heartbeat,
 * so it normally wins (724) by a tick or more, at least ~230 ms. */
#define SC_MONITOR_SLACK_MS(fps) (2u * 1000u / (fps) > 250u ? 2u * 1000u / (fps) : 250u)

/* What was detected (a superset of the injectable enum sc_fault_kind). */
enum sc_fault_detected {
	SC_DETECTED_ASSERT = 1,      /* shader fault record */
	SC_DETECTED_INVALID = 2,     /* state failed host validation */
	SC_DETECTED_HANG = 3,        /* fence timeout / heartbeat stall */
	SC_DETECTED_DEVICE_LOST = 4, /* VK_ERROR_DEVICE_LOST */
	SC_DETECTED_DEATH = 5,       /* the primary process died */
	SC_DETECTED_DIVERGENCE = 6,  /* shadow hash != primary hash (alarm only, no pause) */
	SC_DETECTED_OOB = 7,         /* an out-of-bounds write hit the guard band (fault record kind 4) */
	SC_DETECTED_DEVICE_LOST_SIMULATED = 8, /* a device-lost input: the primary simulated the loss */
};
#define SC_DETECTED_LAST SC_DETECTED_DEVICE_LOST_SIMULATED

static inline const char *sc_fault_detected_name(uint32_t detected)
{
	switch (detected) {
	case 0: return "none";
	case SC_DETECTED_ASSERT: return "assert";
	case SC_DETECTED_INVALID: return "invalid-state";
	case SC_DETECTED_HANG: return "hang";
	case SC_DETECTED_DEVICE_LOST: return "device-lost";
	case SC_DETECTED_DEATH: return "process-death";
	case SC_DETECTED_DIVERGENCE: return "divergence";
	case SC_DETECTED_OOB: return "oob";
	case SC_DETECTED_DEVICE_LOST_SIMULATED: return "simulated-device-lost";
	default: return "unknown";
	}
}

enum sc_fault_state {
	SC_FAULT_NONE = 0,
	SC_FAULT_CLAIMED = 1, /* a detector won the CAS from NONE and is filling it in */
	SC_FAULT_READY = 2,   /* complete: the shadow pauses before error_tick */
};

/* The current incident. The first detector CASes state NONE -> CLAIMED, fills the
 * fields, then stores READY; later detectors of the same incident do nothing. The
 * supervisor resets it to NONE when it starts a new primary + shadow pair. */
struct sc_fault_shm {
	_Atomic uint32_t state;   /* enum sc_fault_state */
	uint32_t incident;        /* 1, 2, ... over the server's life */
	uint32_t detected;        /* enum sc_fault_detected */
	uint32_t path;            /* enum sc_fault_path */
	uint32_t injected;        /* enum sc_fault_kind if a FAULT input caused it, else 0 */
	uint32_t error_tick;      /* the tick whose inputs caused it; the shadow holds error_tick - 1 */
	/* the primary's tick when it was detected: error_tick, or later when found
	 * late (the ticks between were published; docs/captures.md) */
	uint32_t detected_tick;
	uint64_t primary_hash_before; /* primary's hash after error_tick - 1 (from the tick log) */
	uint64_t detected_ns;
	int32_t primary_pid;
	uint32_t device_fault_available; /* VK_EXT_device_fault report saved at device_fault_report */
	char detail[256];         /* human-readable: fault record, validation message, signal */
	char device_fault_report[640]; /* path of the JSON report the primary saved */
};

enum sc_shadow_state {
	SC_SHADOW_OFF = 0,
	SC_SHADOW_STARTING = 1,
	SC_SHADOW_RUNNING = 2, /* following the tick log `delay_ticks` behind */
	SC_SHADOW_PAUSED = 3,  /* holding the state before the error tick; accepts commands */
	SC_SHADOW_RESUMED = 4, /* resumed by a developer: runs on to the end of the log */
};

enum sc_shadow_cmd {
	SC_SHADOW_CMD_NONE = 0,
	SC_SHADOW_CMD_PAUSE = 1,      /* pause now (at the next tick boundary) */
	SC_SHADOW_CMD_RESUME = 2,
	SC_SHADOW_CMD_STEP_INPUT = 3, /* re-run the held tick with one more of its inputs */
	SC_SHADOW_CMD_STEP_TICK = 4,  /* run the held tick whole, hold the next */
	SC_SHADOW_CMD_SET_DELAY = 5,  /* arg = ticks */
	SC_SHADOW_CMD_CAPTURE = 6,    /* write a capture of the held state now */
};

/* The shadow's status and its command mailbox (the debug API in the encoder
 * process is the client: it bumps cmd_seq after filling cmd/arg; the shadow
 * answers by setting result fields and then done_seq = cmd_seq). */
struct sc_shadow_shm {
	_Atomic int32_t pid;
	_Atomic uint32_t state;        /* enum sc_shadow_state */
	_Atomic uint32_t next_tick;    /* it holds the state after next_tick - 1 */
	_Atomic uint64_t hash;         /* its state hash after next_tick - 1 */
	_Atomic uint32_t delay_ticks;
	_Atomic uint32_t inputs_applied_in_held_tick; /* stepping by input */
	_Atomic uint64_t divergences;
	_Atomic uint32_t first_divergence_tick;
	_Atomic uint32_t captures;     /* captures written */
	_Atomic uint64_t paused_ns;    /* when it paused (detection-to-pause = paused_ns - fault.detected_ns) */
	char capture_dir[512];         /* the latest capture (absolute path) */
	/* an incident pause: what a restore from it needs (server/supervisor_shadow.c) */
	_Atomic uint32_t incident_captured; /* the incident whose capture capture_dir is, 0 = none */
	uint64_t held_primary_hash;    /* the primary's published hash for next_tick - 1 */
	uint32_t held_primary_hash_known;
	uint64_t held_seq_begin, held_seq_end; /* input-log seqs of the held tick's inputs */
	/* command mailbox */
	_Atomic uint32_t cmd_seq;
	uint32_t cmd;                  /* enum sc_shadow_cmd */
	int64_t arg;
	_Atomic uint32_t done_seq;
	int32_t result;                /* 0 ok, else an errno-style code */
	char message[256];             /* what happened, for the API's JSON */
};

struct sc_session_shm {
	uint32_t magic, version;

	/* written once by the supervisor */
	uint32_t width, height, fps, players;
	uint32_t n_slots;             /* frame slots in use */

	/* primary -> everyone; frame layout valid once frame_generation != 0 */
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
	/* latest small game state, seqlock: odd while being written */
	_Atomic uint32_t state_seq;
	struct sc_game_state state;

	/* encoder -> everyone */
	_Atomic uint64_t frames_encoded;
	_Atomic uint64_t frames_bad_seal;  /* frames whose seal did not match: dropped, not encoded */
	_Atomic uint32_t encode_us_last;
	_Atomic uint32_t zero_copy;        /* the last frame encoded was read in place, no CPU copy (measured per frame) */
	_Atomic uint32_t http_port;        /* bound port, once listening; the supervisor
	                                    * clears it before each encoder start */

	/* shadow tracking */
	struct sc_fault_shm fault;
	/* Two shadow status blocks: the supervisor starts each shadow with
	 * `--shadow-slot 0|1`. After a restore the paused shadow keeps its block
	 * (inspection, stepping) and the new shadow behind the new primary takes
	 * the other one. `shadow` is slot 0, kept by that name for the API. */
	struct sc_shadow_shm shadow;
	struct sc_shadow_shm shadow_alt;
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
	 * lost track or crashed). The supervisor bumps checkpoint_req; the primary,
	 * between two ticks, writes its state to checkpoint_path, pins both logs at
	 * the positions of the next tick (reader slots of its own), fills the fields
	 * and stores checkpoint_done = req. The shadow restores the file, attaches
	 * at those positions and stores checkpoint_adopted = done; the primary then
	 * drops its pins. */
	_Atomic uint32_t checkpoint_req;
	_Atomic uint32_t checkpoint_done;
	_Atomic uint32_t checkpoint_adopted;
	uint32_t checkpoint_tick;           /* the file holds the state before this tick */
	uint64_t checkpoint_in_seq;         /* input-log seq that tick's inputs start at */
	uint64_t checkpoint_tick_seq;       /* tick-log seq of that tick's record */
	char checkpoint_path[512];
	/* supervisor -> restored primary: where its input reader starts and which
	 * inputs of its first tick it drops (the offending tick's FAULT inputs, or
	 * all of that tick's inputs when no injected fault explains the incident) */
	uint64_t restore_seq_begin, restore_seq_end;
	uint32_t restore_drop_all;
	_Atomic uint32_t restore_valid;
	/* acked inputs dropped on a restore (counted, logged); also the write
	 * index of input_drops[] at the end (server/input_drops.h) */
	_Atomic uint64_t inputs_dropped;
	/* The game state each frame slot shows (the state after slots[i].tick):
	 * the primary writes it with the slot, before it publishes `latest`; the
	 * encoder copies it while it holds the slot (the state that belongs to
	 * the frame it sends: events, /api/v1/state). */
	struct sc_game_state slot_state[SC_MAX_FRAME_SLOTS];
	/* The last SC_INPUT_DROPS_RING dropped inputs, drop n at [n % RING]
	 * (server/input_drops.h): which clients to tell (`input_dropped`) and
	 * which inputs of a tick record were not applied (GET /api/v1/ticks). */
	struct sc_input_drop_shm input_drops[SC_INPUT_DROPS_RING];
};

#endif
