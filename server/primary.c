/* The primary instance process: runs the game at a fixed tick rate, takes each
 * tick's inputs from the shared input log, renders into the exported frame slots
 * and hands frames to the encoder through the mailbox in the session block
 * (session/session.h). It never waits for the encoder, and opens no sockets. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpu/device_fault.h"
#include "gpu/game.h"
#include "gpu/game_validate.h"
#include "gpu/input_file.h"
#include "gpu/input_gather.h"
#include "net/shm/arena.h"
#include "net/shm/doorbell.h"
#include "net/shm/fd_passing.h"
#include "net/shm/input_log.h"
#include "server/checkpoint_file.h"
#include "server/config.h"
#include "server/fault_report.h"
#include "server/input_drops.h"
#include "server/roles.h"
#include "server/script_wait.h"
#include "session/audio_ring.h"
#include "session/game_msgs.h"
#include "session/sample_ring.h"
#include "session/sample_writer.h"
#include "session/session_attach.h"
#include "session/session.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/stats.h"

/* A fault found after a tick, as it will be reported. */
struct fault_finding {
	enum sc_fault_detected detected;
	struct sc_fault_facts facts;
	char detail[200];
};

/* --test-detect-late K: a finding reported K ticks after its error tick, the
 * ticks between published as if nothing had been found (the late detection
 * of a real driver or a validation that runs every N ticks). */
struct late_fault {
	bool pending;
	uint32_t report_at; /* the tick after which it is reported */
	struct fault_finding finding;
};

struct primary {
	const struct sc_run_config *cfg;
	struct sc_arena *arena;
	struct sc_session_shm *session;
	struct sc_input_log inputs, ticks;
	struct sc_input_log chats; /* the chat log (session/shm/chat_record.h): this process is its writer */
	int reader;
	int doorbell_fd;
	struct sc_doorbell doorbell;
	struct sc_vk_device *dev;
	struct sc_game *game;
	uint64_t frame;      /* frames rendered by this process */
	uint64_t frame_base; /* frame numbers continue across restarts */
	uint64_t last_hash;  /* state hash after the last completed tick */
	double tick_us[256]; /* recent tick durations, for the published p50/p99 */
	uint32_t n_tick_us;
	int pin_in, pin_tick; /* log reader slots held for a checkpoint's follower, -1 = none */
	uint32_t pins_for;    /* the checkpoint they are held for */
	bool tick_log_full;   /* the last append failed (logged once per episode) */
	uint64_t drop_begin, drop_end; /* restore: the offending tick's inputs, seqs [begin, end) */
	bool drop_all;        /* drop all of them, not only the FAULT inputs */
	struct late_fault late; /* --test-detect-late: a finding held back */
	struct sc_spsc_ring audio; /* the audio ring (session/shm/audio_ring.h), when audio is on */
	bool have_audio;
	bool audio_full;        /* the last write found the ring full (logged once per episode) */
	/* the typed outbound rings (session/shm/msg_ring.h): this process is their producer */
	struct sc_msg_ring rings[SC_SESSION_MSG_RINGS];
	struct sc_game_state prev; /* the state after the previous tick, for its messages */
	bool have_prev;
	bool restored; /* started from a capture (--restore): the match-start notice says so */
	struct sc_spsc_ring sample_ring; /* profiling samples (session/shm/sample.h), --sample-every */
	struct sc_sample_writer sampler;
	bool meta_started;            /* the game's metadata set once (game_meta) */
	uint32_t meta_score[2];
};

/* Exit status of a primary that stopped on a detected fault (the supervisor
 * acts on the incident, not on the status). */
#define PRIMARY_EXIT_FAULT 3

enum tick_outcome { TICK_OK, TICK_FAULT, TICK_ERROR };

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static bool attach_session(struct primary *p, int ipc_fd)
{
	struct sc_session_view v;
	bool ok = sc_session_attach(&v, ipc_fd, SC_SESSION_ROLE_PRIMARY, true, 10000);
	p->arena = v.arena;
	p->doorbell_fd = v.doorbell_fd;
	if (!ok)
		return false;
	p->session = v.session;
	p->inputs = v.inputs;
	p->ticks = v.ticks;
	p->chats = v.chats;
	memcpy(p->rings, v.rings, sizeof(p->rings));
	for (int i = 0; i < SC_SESSION_OUT_RINGS; i++) /* --test-payload-blocks */
		p->rings[i].force_blocks = p->cfg->test_payload_blocks != 0;
	/* a restored primary reads on from the held tick's inputs (every acked
	 * input applied once); a new match from the inputs that arrive from now on
	 * (the session's first, from the log's start: below) */
	struct sc_session_shm *s = p->session;
	if (p->cfg->restore[0] && atomic_load(&s->restore_valid)) {
		p->drop_begin = s->restore_seq_begin;
		p->drop_end = s->restore_seq_end;
		p->drop_all = s->restore_drop_all;
		if (!sc_input_log_reader_attach(&p->inputs, p->drop_begin, &p->reader)) {
			sc_err("restore: the inputs from seq %llu on are gone from the input log; inputs acked since the "
			       "fault are lost", (unsigned long long)p->drop_begin);
			p->drop_begin = p->drop_end = 0;
		}
	}
	/* the session's first match (no primary has exported frames yet) takes
	 * what was logged before it started too: the joins of the players who
	 * were quicker than the GPU set-up (and their inputs, stamped tick 0) */
	if (p->reader < 0 && !p->cfg->restore[0] && atomic_load(&s->frame_generation) == 0 &&
	    sc_input_log_reader_attach(&p->inputs, p->inputs.ctrl->first_seq, &p->reader))
		sc_info("first match: reading the input log from its start (%llu records logged before it)",
		        (unsigned long long)(sc_input_log_tail(&p->inputs) - p->inputs.ctrl->first_seq));
	if (p->reader < 0 && !sc_input_log_reader_attach(&p->inputs, UINT64_MAX, &p->reader)) {
		sc_err("no free reader slot in the input log");
		return false;
	}
	sc_doorbell_init(&p->doorbell, p->doorbell_fd, &p->session->frame_doorbell_need_wakeup, 0);
	if (p->cfg->audio && !(p->have_audio = sc_audio_ring_attach(p->arena, &p->audio)))
		sc_warn("audio: no audio ring; the game's sound is not sent");
	bool sampling = p->cfg->sample_every && sc_sample_ring_attach(p->arena, SC_SAMPLE_PRIMARY, &p->sample_ring);
	sc_sample_writer_init(&p->sampler, sampling ? &p->sample_ring : NULL, SC_SAMPLE_PRIMARY, p->cfg->sample_every,
	                      &s->samples_written[SC_SAMPLE_PRIMARY], &s->samples_dropped[SC_SAMPLE_PRIMARY]);
	return true;
}

/* The tick's sound into the audio ring, before its frame is published; never
 * waits for the encoder (a full ring loses this tick's sound, counted). */
static void publish_audio(struct primary *p, const struct sc_tick_result *res, uint64_t capture_ns)
{
	struct sc_session_shm *s = p->session;
	atomic_store(&s->audio_last_hash, res->audio.hash);
	atomic_store(&s->audio_last_tick, res->tick);
	if (!p->have_audio)
		return;
	struct sc_audio_chunk chunk = {
		.tick = res->tick,
		.n_samples = res->audio.n_samples,
		.sample_pos = res->audio_pos,
		.sample_rate = SC_AUDIO_RATE,
		.channels = SC_AUDIO_CHANNELS,
		.format = SC_AUDIO_FORMAT_S16,
		.audio_hash = res->audio.hash,
	};
	enum sc_ring_result r = sc_audio_ring_write(&p->audio, &chunk, res->pcm, capture_ns);
	if (r == SC_RING_SUCCESS) {
		atomic_fetch_add(&s->audio_ticks_written, 1);
		if (p->audio_full)
			sc_info("audio: ring writable again at tick %u", res->tick);
		p->audio_full = false;
		return;
	}
	atomic_fetch_add(&s->audio_ticks_dropped, 1);
	if (!p->audio_full)
		sc_warn("audio: tick %u's sound dropped: %s (the encoder is not reading the audio ring)", res->tick,
		        sc_ring_result_str(r));
	p->audio_full = true;
}

/* --on-fault restore: continue the match from the shadow's pre-error state
 * (a capture's state.bin), without the inputs that caused the fault. */
static bool restore_game(struct primary *p, const char *path)
{
	if (!sc_game_restore_file(p->game, path))
		return false;
	p->last_hash = 0;
	sc_info("restored the match from %s: next tick %u", path, sc_game_next_tick(p->game));
	return true;
}

static bool start_game(struct primary *p, int ipc_fd)
{
	const struct sc_run_config *cfg = p->cfg;
	struct sc_game_config gc;
	sc_run_config_game(cfg, &gc);
	if (!(p->dev = sc_vk_device_create(cfg->device)) || !(p->game = sc_game_create(p->dev, &gc)))
		return false;
	if (cfg->restore[0] && !restore_game(p, cfg->restore))
		return false;
	p->restored = cfg->restore[0] != '\0';

	struct sc_session_shm *s = p->session;
	const struct sc_frame_layout *l = sc_game_frame_layout(p->game);
	struct sc_frame_memory *fm = sc_game_frame_memory(p->game);
	s->slot_size = l->slot_size;
	s->rgba_offset = l->rgba_offset;
	s->nv12_offset = l->nv12_offset;
	s->seal_offset = l->seal_offset;
	s->pitch = l->pitch;
	s->uv_offset = l->uv_offset;
	s->n_slots = gc.frame_slots;
	for (uint32_t i = 0; i < SC_MAX_FRAME_SLOTS; i++)
		atomic_store(&s->slots[i].frame, 0);
	/* frame numbers keep increasing across primary restarts: the encoder tells new from old */
	p->frame_base = atomic_load(&s->frames_rendered);
	atomic_store(&s->latest, 0);
	atomic_store(&s->primary_pid, (int32_t)getpid());
	snprintf(s->primary_device, sizeof(s->primary_device), "%.200s (%.200s)", p->dev->info.name,
	         p->dev->info.driver_name);
	atomic_fetch_add(&s->frame_generation, 1);
	if (!sc_fd_send(ipc_fd, SC_FD_KIND_FRAME, 0, (uint64_t)fm->kind, &fm->fd, 1))
		return false;
	/* where this primary starts in both logs: the shadow starts there too */
	atomic_store(&s->primary_start_seq, sc_input_log_cursor(&p->inputs, p->reader));
	atomic_store(&s->primary_tick_log_seq, sc_input_log_tail(&p->ticks));
	atomic_store(&s->primary_chat_seq, sc_input_log_tail(&p->chats));
	atomic_store(&s->primary_base_tick, sc_game_next_tick(p->game));
	atomic_store(&s->heartbeat_ns, sc_now_ns()); /* the monitor's clock starts now */
	atomic_store(&s->primary_ready, 1);
	sc_info("rendering %ux%u at %u Hz into %u frame slots (%s), %u players", gc.width, gc.height,
	        cfg->fps, gc.frame_slots, sc_frame_memory_kind_str(fm->kind), gc.players);
	return true;
}

/* This tick's inputs: every pending log record stamped at or before `tick`, in
 * log order (the tick record says exactly which ones were applied). */
static uint32_t take_inputs(struct primary *p, uint32_t tick, struct sc_input_event *ev,
                            uint64_t *seq_begin, uint64_t *seq_end)
{
	uint64_t seq = sc_input_log_cursor(&p->inputs, p->reader);
	*seq_begin = seq;
	struct sc_input_gather g = sc_input_gather_start(tick);
	uint32_t n = 0;
	while (!sc_input_gather_full(&g)) { /* the stamped-tick rule, gpu/input_gather.h */
		struct sc_input_event rec;
		enum sc_ring_result r = sc_input_log_peek(&p->inputs, p->reader, seq, &rec);
		if (r != SC_RING_SUCCESS) {
			if (r != SC_RING_EMPTY)
				sc_warn("input log read at seq %llu failed (%d)", (unsigned long long)seq, (int)r);
			break;
		}
		if (!sc_input_gather_accepts(&g, rec.tick))
			break; /* stamped for a later tick */
		if (seq >= p->drop_begin && seq < p->drop_end && !sc_input_is_notice(rec.action) &&
		    (p->drop_all || rec.action == SC_INPUT_FAULT)) {
			/* the offending tick's: never applied again (a system notice is a
			 * fact about the session, not a suspect: always applied) */
			char line[64];
			sc_input_format(&rec, line, sizeof(line));
			sc_warn("restore: dropped input seq %llu of the offending tick (%s)", (unsigned long long)seq, line);
			sc_input_drops_publish(p->session, seq, tick, rec.action == SC_INPUT_FAULT ? SC_INPUT_DROP_FAULT_INPUT
			                                                                          : SC_INPUT_DROP_OFFENDING_TICK);
			seq++;
			continue;
		}
		sc_input_gather_take(&g);
		rec.tick = tick;
		rec.seq = (uint32_t)seq;
		ev[n++] = rec;
		seq++;
	}
	if (seq != *seq_begin)
		sc_input_log_consume(&p->inputs, p->reader, seq);
	*seq_end = seq;
	return n;
}

/* A slot whose reader died holding it (kill -9 mid-frame) is taken back: the
 * supervisor does the same when it reaps the reader, whoever comes first. */
static bool reader_gone(struct sc_session_shm *s, uint32_t slot)
{
	uint32_t pid = atomic_load(&s->slots[slot].reader);
	if (pid == 0)
		return true;
	if (pid > INT32_MAX || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
		if (atomic_compare_exchange_strong(&s->slots[slot].reader, &pid, 0)) {
			atomic_fetch_add(&s->slots_reclaimed, 1);
			sc_warn("frame slot %u: its reader (pid %u) is gone; slot taken back", slot, pid);
		}
		return atomic_load(&s->slots[slot].reader) == 0;
	}
	return false;
}

/* Mailbox protocol of session/session.h: a slot that is neither the latest frame
 * nor being read by the encoder. */
static int claim_slot(struct primary *p, uint64_t frame)
{
	struct sc_session_shm *s = p->session;
	uint64_t latest = atomic_load(&s->latest);
	int latest_slot = latest ? (int)(latest & 0xff) : -1;
	for (uint32_t i = 0; i < s->n_slots; i++) {
		uint32_t slot = (uint32_t)((frame + i) % s->n_slots);
		if ((int)slot == latest_slot || !reader_gone(s, slot))
			continue;
		atomic_store(&s->slots[slot].frame, frame);
		if (atomic_load(&s->slots[slot].reader) == 0)
			return (int)slot;
	}
	return -1;
}

static void release_pins(struct primary *p)
{
	if (p->pin_in >= 0)
		sc_input_log_reader_detach(&p->inputs, p->pin_in);
	if (p->pin_tick >= 0)
		sc_input_log_reader_detach(&p->ticks, p->pin_tick);
	p->pin_in = p->pin_tick = -1;
	p->pins_for = 0;
}

static bool write_checkpoint(struct primary *p, const char *path)
{
	size_t len = sc_game_snapshot_size(p->game);
	void *buf = malloc(len);
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = NULL;
	bool ok = buf && sc_game_snapshot(p->game, buf, len) && (f = fopen(tmp, "wb")) && fwrite(buf, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = false;
	ok = ok && rename(tmp, path) == 0;
	if (!ok) {
		sc_err("checkpoint: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(buf);
	return ok;
}

/* Between two ticks: a checkpoint for a new shadow (session/session.h). */
static void serve_checkpoint(struct primary *p)
{
	struct sc_session_shm *s = p->session;
	if (p->pins_for && atomic_load(&s->checkpoint_adopted) == p->pins_for) {
		release_pins(p);
		unlink(s->checkpoint_path); /* the new shadow has loaded it */
	}
	uint32_t req = atomic_load(&s->checkpoint_req);
	if (req == atomic_load(&s->checkpoint_done))
		return;
	release_pins(p); /* an older request nobody adopted */
	uint64_t in_seq = sc_input_log_cursor(&p->inputs, p->reader), tick_seq = sc_input_log_tail(&p->ticks);
	uint32_t tick = sc_game_next_tick(p->game);
	char path[512];
	if (mkdir(p->cfg->capture_root, 0755) != 0 && errno != EEXIST)
		sc_err("checkpoint: cannot create %s: %s", p->cfg->capture_root, strerror(errno));
	if (!sc_checkpoint_path(path, sizeof(path), p->cfg->capture_root, getpid()) || !write_checkpoint(p, path))
		return; /* asked again by the supervisor's next try */
	if (!sc_input_log_reader_attach(&p->inputs, in_seq, &p->pin_in) ||
	    !sc_input_log_reader_attach(&p->ticks, tick_seq, &p->pin_tick)) {
		sc_err("checkpoint: no free log reader slot to hold the logs for the new shadow");
		release_pins(p);
		return;
	}
	p->pins_for = req;
	s->checkpoint_tick = tick;
	s->checkpoint_in_seq = in_seq;
	s->checkpoint_tick_seq = tick_seq;
	snprintf(s->checkpoint_path, sizeof(s->checkpoint_path), "%s", path);
	atomic_store(&s->checkpoint_done, req);
	sc_info("checkpoint %u: the state before tick %u in %s", req, tick, path);
}

static void publish_state(struct sc_session_shm *s, const struct sc_game_state *state)
{
	/* seqlock writer: the RMWs are seq_cst (acquire + release), so the copy
	 * stays between them; no bare fences (TSan does not model them) */
	atomic_fetch_add(&s->state_seq, 1); /* odd: being written */
	memcpy(&s->state, state, sizeof(*state));
	atomic_fetch_add(&s->state_seq, 1);
}

/* VK_EXT_device_fault's report after a device loss, as JSON in the capture
 * directory (the shadow copies it into the incident's capture). Saved before
 * the incident is reported, so the report's status and path are published
 * with it; why says what went wrong when it is not SAVED. */
static enum sc_device_fault_status save_device_fault(struct primary *p, uint32_t tick, char *path, size_t len,
                                                     char *why, size_t whylen)
{
	if (!sc_device_fault_offered(p->dev)) {
		snprintf(why, whylen, "VK_EXT_device_fault not offered by this driver (%.100s)", p->dev->info.driver_name);
		return SC_DEVICE_FAULT_NOT_OFFERED;
	}
	if (mkdir(p->cfg->capture_root, 0755) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "cannot create the captures directory: %s", strerror(errno));
		return SC_DEVICE_FAULT_FAILED;
	}
	int n = snprintf(path, len, "%s/device-fault-pid%d-tick%u.json", p->cfg->capture_root, (int)getpid(), tick);
	if (n < 0 || (size_t)n >= len) {
		snprintf(why, whylen, "the captures directory's path is too long for the report");
		return SC_DEVICE_FAULT_FAILED;
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write the device fault report: %s", strerror(errno));
		return SC_DEVICE_FAULT_FAILED;
	}
	bool ok = sc_device_fault_write(p->dev, f, why, whylen);
	if (fclose(f) != 0 && ok) {
		snprintf(why, whylen, "cannot write the device fault report: %s", strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(path);
	return ok ? SC_DEVICE_FAULT_SAVED : SC_DEVICE_FAULT_FAILED;
}

/* Faults injected on the host side (crash, device-lost) act before the GPU work
 * of their tick; the GPU ones act inside it. */
static void host_side_faults(struct primary *p, const struct sc_input_event *ev, uint32_t n, uint32_t tick)
{
	for (uint32_t i = 0; i < n; i++) {
		if (ev[i].action != SC_INPUT_FAULT)
			continue;
		if (ev[i].a == SC_FAULT_CRASH) {
			/* dies without a word: the supervisor's pidfd notices (signal 734) */
			sc_err("injected crash at tick %u: aborting", tick);
			abort();
		}
		if (ev[i].a == SC_FAULT_DEVICE_LOST) {
			/* a device cannot be lost on purpose (lavapipe cannot lose it at
			 * all): take the VK_ERROR_DEVICE_LOST path, report included, and
			 * call it simulated wherever it shows */
			char path[640], why[160];
			struct sc_fault_facts facts = {.injected = SC_FAULT_DEVICE_LOST, .error_tick = tick,
			                               .hash_before = p->last_hash, .device_fault_report = path};
			facts.device_fault = save_device_fault(p, tick, path, sizeof(path), why, sizeof(why));
			bool saved = facts.device_fault == SC_DEVICE_FAULT_SAVED;
			sc_fault_report(p->session, SC_DETECTED_DEVICE_LOST_SIMULATED, SC_FAULT_PATH_SELF, &facts,
			                "simulated device loss: a device-lost input, the driver did not lose the device (%s)",
			                saved ? path : why);
			_exit(PRIMARY_EXIT_FAULT);
		}
	}
}

static uint32_t injected_kind(const struct sc_input_event *ev, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (ev[i].action == SC_INPUT_FAULT)
			return (uint32_t)ev[i].a;
	return 0;
}

/* After a tick: the shaders' own fault record (an assert, or kind 4: the guard
 * band after the particles caught an out-of-bounds write), then the primary's
 * own validation of the state it produced; both are self-reported (724). */
static bool find_fault(struct primary *p, const struct sc_tick_result *res, const struct sc_input_event *ev,
                       uint32_t n, struct fault_finding *out)
{
	const struct sc_game_header *h = &res->state.hdr;
	*out = (struct fault_finding){.facts = {.injected = injected_kind(ev, n), .hash_before = p->last_hash}};
	if (h->fault_kind) {
		bool oob = h->fault_kind == SC_FAULT_OOB;
		out->detected = oob ? SC_DETECTED_OOB : SC_DETECTED_ASSERT;
		out->facts.error_tick = h->fault_tick;
		out->facts.record = (struct sc_shader_fault_record){.kind = h->fault_kind, .detail = h->fault_detail,
		                                                    .tick = h->fault_tick};
		snprintf(out->detail, sizeof(out->detail), "shader fault record: kind %u detail %u at tick %u%s",
		         h->fault_kind, h->fault_detail, h->fault_tick,
		         oob ? " (out-of-bounds write: a guard band canary was overwritten)" : "");
		return true;
	}
	char why[160];
	const struct sc_game_config *gc = sc_game_config(p->game);
	if (!sc_game_state_valid(&res->state, gc->players, gc->particles, why, sizeof(why))) {
		out->detected = SC_DETECTED_INVALID;
		out->facts.error_tick = res->tick;
		snprintf(out->detail, sizeof(out->detail), "state after tick %u failed validation: %s", res->tick, why);
		return true;
	}
	return false;
}

static void report_finding(struct primary *p, const struct fault_finding *f)
{
	sc_fault_report(p->session, f->detected, SC_FAULT_PATH_SELF, &f->facts, "%s", f->detail);
}

/* true when the primary stops on a fault after this tick. With
 * --test-detect-late the first finding is held back and the ticks after it
 * run and are published until it is reported. */
static bool tick_faulted(struct primary *p, const struct sc_tick_result *res, const struct sc_input_event *ev,
                         uint32_t n)
{
	struct late_fault *late = &p->late;
	if (late->pending) {
		/* the faulty state runs on; what it finds now is that same fault */
		if (res->tick < late->report_at)
			return false;
		report_finding(p, &late->finding);
		return true;
	}
	struct fault_finding f;
	if (!find_fault(p, res, ev, n, &f))
		return false;
	uint32_t k = p->cfg->test_detect_late;
	if (k == 0) {
		report_finding(p, &f);
		return true;
	}
	late->pending = true;
	late->report_at = f.facts.error_tick + k;
	late->finding = f;
	sc_warn("--test-detect-late: %s at tick %u held back; reported after tick %u", sc_fault_detected_name(f.detected),
	        f.facts.error_tick, late->report_at);
	return false;
}

/* The tick's events and haptics, from the state before and after it, into
 * the typed rings, before its frame is published (the encoder sends them
 * before that frame). Never waits: a full ring drops and counts. */
static void write_messages(struct primary *p, uint32_t tick, const struct sc_game_state *st, uint64_t capture_ns)
{
	struct sc_game_msgs m;
	sc_game_msgs_diff(p->have_prev ? &p->prev : NULL, st, &m);
	if (!p->have_prev) {
		/* this process's first tick: what its predecessor left unsent from
		 * this tick on is void (session/shm/msg_ring.h) */
		for (int i = 0; i < SC_SESSION_OUT_RINGS; i++) /* not chat-in: the encoder writes that one */
			sc_msg_ring_write_start(&p->rings[i], tick, capture_ns);
		struct sc_notice_msg n = {.kind = SC_NOTICE_MATCH_START, .incident = p->restored};
		sc_msg_ring_write(&p->rings[SC_SESSION_RING_NOTICE], tick, capture_ns, SC_MSG_PRIORITY_GAME, 0, &n,
		                  sizeof(n));
	}
	for (uint32_t i = 0; i < m.n_events; i++)
		sc_msg_ring_write(&p->rings[SC_SESSION_RING_EVENT], tick, capture_ns, SC_MSG_PRIORITY_GAME, 0, &m.events[i],
		                  sizeof(m.events[i]));
	for (uint32_t i = 0; i < m.n_haptics; i++)
		sc_msg_ring_write(&p->rings[SC_SESSION_RING_HAPTIC], tick, capture_ns, SC_MSG_PRIORITY_GAME, 0,
		                  &m.haptics[i], sizeof(m.haptics[i]));
	p->prev = *st;
	p->have_prev = true;
}

/* The system notices this tick applied (a player joined, left or
 * disconnected; the spectator count), to the clients with this tick,
 * after write_messages (its start marker first). */
static void write_notices(struct primary *p, uint32_t tick, const struct sc_input_event *ev, uint32_t n,
                          uint64_t capture_ns)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sc_notice_msg m;
		if (sc_game_notice_of_input(&ev[i], &m))
			sc_msg_ring_write(&p->rings[SC_SESSION_RING_NOTICE], tick, capture_ns, SC_MSG_PRIORITY_GAME, 0, &m,
			                  sizeof(m));
	}
}

/* Players' chat, from the encoder process's inbound ring, relayed to
 * everyone through the outbound chat ring, stamped with this tick: the game
 * puts it in its stream in tick order. Each line also enters the chat log,
 * the session's record of it (the shadows keep it for captures: chat.txt),
 * before this tick's tick record. What a dead primary left unread is
 * relayed by its successor. */
struct chat_relay {
	struct primary *p;
	uint32_t tick;
	uint64_t capture_ns;
};

static void relay_chat(void *ud, const struct sc_msg_header *h, const void *payload)
{
	struct chat_relay *r = ud;
	struct sc_chat_msg c;
	if (h->payload_len != sizeof(c))
		return;
	memcpy(&c, payload, sizeof(c));
	if (c.player >= SC_MAX_PLAYERS || c.len == 0 || c.len > sizeof(c.text))
		return; /* the encoder's side checks the text again before it sends it */
	sc_msg_ring_write(&r->p->rings[SC_SESSION_RING_CHAT], r->tick, r->capture_ns, SC_MSG_PRIORITY_GAME, 0, &c,
	                  sizeof(c));
	struct sc_chat_record rec = {.tick = r->tick, .player = c.player, .len = c.len, .capture_ns = r->capture_ns};
	memcpy(rec.text, c.text, c.len);
	/* lossy readers only: the writer never waits, and never finds it full */
	if (sc_input_log_append(&r->p->chats, &rec, NULL) != SC_RING_SUCCESS)
		sc_warn("chat log: the line of player %u at tick %u is not in the record (a reader holds the log)",
		        c.player, r->tick);
}

#define PRIMARY_CHATS_PER_TICK 32

static void write_chat(struct primary *p, uint32_t tick, uint64_t capture_ns)
{
	struct chat_relay r = {.p = p, .tick = tick, .capture_ns = capture_ns};
	sc_msg_ring_read(&p->rings[SC_SESSION_RING_CHAT_IN], relay_chat, &r, PRIMARY_CHATS_PER_TICK);
}

/* The primary stops on a fault it found: a notice for the clients (sent by
 * the encoder when a later frame or a new primary comes), with the full
 * report (session/shm/game_msg.h: struct sc_incident_report), which goes in
 * an arena payload block; the short notice alone when no block was had.
 * ev/n: the inputs of tick, the one it ran last. */
static void write_incident_notice(struct primary *p, uint32_t tick, const struct sc_input_event *ev, uint32_t n)
{
	struct sc_fault_shm *f = &p->session->fault;
	if (atomic_load(&f->state) != SC_FAULT_READY || f->primary_pid != (int32_t)getpid())
		return;
	const uint32_t at = f->error_tick ? f->error_tick : tick;
	struct sc_incident_report *r = calloc(1, sizeof(*r));
	if (r) {
		r->notice = (struct sc_notice_msg){.kind = SC_NOTICE_INCIDENT, .incident = f->incident, .detail = f->detected};
		r->path = f->path;
		r->injected = f->injected;
		r->error_tick = at;
		r->detected_tick = f->detected_tick;
		r->record_kind = f->record.kind;
		r->record_detail = f->record.detail;
		r->record_tick = f->record.tick;
		snprintf(r->detail, sizeof(r->detail), "%.*s", (int)sizeof(f->detail) - 1, f->detail);
		/* the inputs are known when the fault is this tick's (a late
		 * finding, --test-detect-late, points further back) */
		if (at == tick) {
			r->inputs_known = 1;
			r->n_inputs = n < SC_MAX_INPUTS_PER_TICK ? n : SC_MAX_INPUTS_PER_TICK;
			memcpy(r->inputs, ev, r->n_inputs * sizeof(ev[0]));
		}
		bool sent = sc_msg_ring_write(&p->rings[SC_SESSION_RING_NOTICE], at, sc_now_ns(), SC_MSG_PRIORITY_GAME, 0, r,
		                              sizeof(*r));
		free(r);
		if (sent)
			return;
		sc_warn("incident %u: no arena block for the full report; the clients get the short notice", f->incident);
	}
	struct sc_notice_msg m = {.kind = SC_NOTICE_INCIDENT, .incident = f->incident, .detail = f->detected};
	sc_msg_ring_write(&p->rings[SC_SESSION_RING_NOTICE], at, sc_now_ns(), SC_MSG_PRIORITY_GAME, 0, &m, sizeof(m));
}

/* The game's profiling metadata (docs/profiling.md "Metadata"): what the
 * samples from this tick on are about. A key set to the value it has costs
 * a compare; a changed one is a record in the sample ring. */
static void game_meta(struct primary *p, uint32_t tick, const struct sc_game_header *h)
{
	char v[64];
	snprintf(v, sizeof(v), "%u:%u", h->score0, h->score1);
	sc_sample_meta_set(&p->sampler, "score", v);
	sc_sample_meta_set(&p->sampler, "phase", h->kickoff ? "kickoff" : "play");
	if (!p->meta_started) {
		snprintf(v, sizeof(v), "%s at tick %u", p->restored ? "match restored" : "match start", tick);
		sc_sample_meta_set(&p->sampler, "last_event", v);
	} else if (h->score0 != p->meta_score[0] || h->score1 != p->meta_score[1]) {
		snprintf(v, sizeof(v), "goal for team %u at tick %u", h->score0 != p->meta_score[0] ? 0u : 1u, tick);
		sc_sample_meta_set(&p->sampler, "last_event", v);
	}
	p->meta_started = true;
	p->meta_score[0] = h->score0;
	p->meta_score[1] = h->score1;
}

static enum tick_outcome run_tick(struct primary *p, uint64_t capture_ns)
{
	struct sc_session_shm *s = p->session;
	serve_checkpoint(p);
	uint32_t tick = sc_game_next_tick(p->game);
	atomic_store(&s->next_tick, tick);

	struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
	struct sc_tick_record rec = {.tick = tick};
	rec.n_inputs = take_inputs(p, tick, ev, &rec.seq_begin, &rec.seq_end);
	atomic_store(&s->gathered_seq_begin, rec.seq_begin); /* the monitor's view after a death */
	atomic_store(&s->gathered_seq_end, rec.seq_end);
	atomic_store(&s->inputs_gathered_through, tick + 1);

	host_side_faults(p, ev, rec.n_inputs, tick);

	uint64_t frame = p->frame_base + p->frame + 1;
	int slot = claim_slot(p, frame);
	if (slot < 0) {
		sc_err("no free frame slot among %u: encoder holding more than one?", s->n_slots);
		return TICK_ERROR;
	}
	struct sc_tick_result res;
	enum sc_game_error e = sc_game_tick(p->game, ev, rec.n_inputs, (uint32_t)slot, 0, &res);
	struct sc_fault_facts facts = {.injected = injected_kind(ev, rec.n_inputs), .error_tick = tick,
	                               .hash_before = p->last_hash};
	if (e == SC_GAME_TIMEOUT) {
		sc_fault_report(s, SC_DETECTED_HANG, SC_FAULT_PATH_SELF, &facts, "fence of tick %u not signalled within %u ms",
		                tick, sc_game_config(p->game)->hang_timeout_ms);
		_exit(PRIMARY_EXIT_FAULT); /* a hung GPU: nothing can be torn down */
	}
	if (e == SC_GAME_DEVICE_LOST) {
		char path[640], why[160];
		facts.device_fault = save_device_fault(p, tick, path, sizeof(path), why, sizeof(why));
		facts.device_fault_report = path;
		sc_fault_report(s, SC_DETECTED_DEVICE_LOST, SC_FAULT_PATH_SELF, &facts, "VK_ERROR_DEVICE_LOST at tick %u (%s)",
		                tick, facts.device_fault == SC_DEVICE_FAULT_SAVED ? path : why);
		return TICK_FAULT;
	}
	if (e != SC_GAME_OK) {
		sc_err("tick %u failed (%d); exiting so the supervisor restarts the primary", tick, (int)e);
		return TICK_ERROR;
	}
	if (tick_faulted(p, &res, ev, rec.n_inputs)) {
		write_incident_notice(p, tick, ev, rec.n_inputs);
		return TICK_FAULT;
	}
	sc_sample_result(&p->sampler, &res, rec.n_inputs, sc_game_config(p->game)->particles, true);
	game_meta(p, res.tick, &res.state.hdr);
	publish_audio(p, &res, capture_ns); /* before the frame: the encoder finds a frame's sound with it */
	write_messages(p, tick, &res.state, capture_ns);
	write_notices(p, tick, ev, rec.n_inputs, capture_ns);
	write_chat(p, tick, capture_ns);
	uint64_t done = sc_now_ns();
	struct sc_frame_slot_shm *fs = &s->slots[slot];
	fs->tick = tick;
	fs->capture_ns = capture_ns;
	fs->render_done_ns = done;
	s->slot_state[slot] = res.state; /* the state this frame shows, published with it */
	atomic_store(&s->latest, frame << 8 | (uint64_t)slot);
	sc_doorbell_ring(&p->doorbell);
	p->frame++;

	rec.hash = res.hash;
	rec.done_ns = done;
	rec.audio_hash = res.audio.hash;
	p->last_hash = res.hash;
	if (sc_input_log_append(&p->ticks, &rec, NULL) != SC_RING_SUCCESS) {
		/* never waits for a reader: the shadow that misses this record stops at the gap */
		if (!p->tick_log_full)
			sc_warn("tick log full at tick %u: a tick-log reader is more than %llu records behind; its "
			        "records are dropped until it catches up", tick, (unsigned long long)p->ticks.capacity);
		p->tick_log_full = true;
	} else if (p->tick_log_full) {
		sc_info("tick log: records published again from tick %u", tick);
		p->tick_log_full = false;
	}
	publish_state(s, &res.state);
	atomic_store(&s->next_tick, tick + 1);
	atomic_store(&s->heartbeat_ns, done);
	atomic_fetch_add(&s->frames_rendered, 1);
	atomic_fetch_add(&s->inputs_applied, rec.n_inputs);
	atomic_store(&s->gpu_us_last, (uint32_t)(res.gpu_ms * 1000.0));
	return TICK_OK;
}

/* Inputs in the log the primary has not gathered yet (after this tick's). */
static uint32_t sample_input_depth(struct primary *p)
{
	uint64_t tail = sc_input_log_tail(&p->inputs), cur = sc_input_log_cursor(&p->inputs, p->reader);
	return tail > cur ? (uint32_t)(tail - cur) : 0;
}

/* Ticks the running shadow (either slot) is behind the primary; 0 with none. */
static uint32_t sample_shadow_lag(struct sc_session_shm *s)
{
	uint32_t next = atomic_load(&s->next_tick);
	const struct sc_shadow_shm *sh[2] = {&s->shadow, &s->shadow_alt};
	for (int i = 0; i < 2; i++) {
		if (atomic_load(&sh[i]->state) != SC_SHADOW_RUNNING)
			continue;
		uint32_t t = atomic_load(&sh[i]->next_tick);
		return next > t ? next - t : 0;
	}
	return 0;
}

static void record_tick_time(struct primary *p, uint64_t ns)
{
	p->tick_us[p->n_tick_us++ % 256] = (double)ns / 1000.0;
	if (p->n_tick_us % 64 != 0)
		return;
	double sorted[256];
	uint32_t n = p->n_tick_us < 256 ? p->n_tick_us : 256;
	memcpy(sorted, p->tick_us, n * sizeof(double));
	atomic_store(&p->session->tick_us_p50, (uint32_t)sc_percentile(sorted, n, 50));
	atomic_store(&p->session->tick_us_p99, (uint32_t)sc_percentile(sorted, n, 99));
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop_requested)
		;
}

int sc_primary_main(int ipc_fd, const struct sc_run_config *cfg)
{
	sc_log_set_role("primary");
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct primary p = {.cfg = cfg, .reader = -1, .doorbell_fd = -1, .pin_in = -1, .pin_tick = -1};
	struct sc_script_wait script = {0};
	int rc = 1;
	sc_script_wait_init(&script, cfg->inputs); /* before the heartbeat starts (start_game) */
	if (!attach_session(&p, ipc_fd) || !start_game(&p, ipc_fd))
		goto out;
	sc_script_wait_start(&script, p.session, sc_game_next_tick(p.game), &stop_requested);

	const uint64_t period = 1000000000ull / cfg->fps;
	uint64_t deadline = sc_now_ns();
	while (!stop_requested) {
		sc_script_wait_tick(&script, p.session, sc_game_next_tick(p.game), &stop_requested);
		uint64_t now = sc_now_ns();
		if (now > deadline + period) {
			/* more than a tick late (GPU slower than the tick rate): do not
			 * burst to catch up, keep the cadence from now */
			atomic_fetch_add(&p.session->ticks_late, 1);
			deadline = now;
		}
		sc_sample_begin(&p.sampler, sc_game_next_tick(p.game), now);
		enum tick_outcome o = run_tick(&p, now);
		uint64_t end = sc_now_ns();
		record_tick_time(&p, end - now);
		if (p.sampler.due)
			sc_sample_end(&p.sampler, end, sample_input_depth(&p), sample_shadow_lag(p.session));
		if (o == TICK_FAULT) {
			/* the state can no longer be trusted; the supervisor decides what next */
			rc = PRIMARY_EXIT_FAULT;
			goto out;
		}
		if (o == TICK_ERROR)
			goto out;
		deadline += period;
		sleep_until(deadline);
	}
	sc_info("stopping after %llu frames", (unsigned long long)p.frame);
	rc = 0;
out:
	sc_script_wait_finish(&script);
	if (p.reader >= 0)
		sc_input_log_reader_detach(&p.inputs, p.reader);
	if (p.arena) {
		if (p.pins_for)
			unlink(p.session->checkpoint_path); /* nobody adopted it */
		release_pins(&p);
	}
	sc_game_destroy(p.game);
	sc_vk_device_destroy(p.dev);
	if (p.arena) {
		sc_arena_unregister(p.arena);
		sc_arena_destroy(p.arena);
	}
	if (p.doorbell_fd >= 0)
		close(p.doorbell_fd);
	return rc;
}
