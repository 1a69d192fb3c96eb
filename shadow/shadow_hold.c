/* The paused shadow: the preserved pre-error state, captures of it, and
 * stepping one input or one tick from it (docs/captures.md). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/input_gather.h"
#include "shadow/delay.h"
#include "shadow/capture_quota.h"
#include "shadow/shadow_priv.h"
#include "shadow/step.h"
#include "util/clock.h"
#include "util/log.h"

static const uint8_t *frame_rgba(struct shadow *sh)
{
	return sc_game_frame(sh->game, 0) + sc_game_frame_layout(sh->game)->rgba_offset;
}

static size_t rgba_size(struct shadow *sh)
{
	return (size_t)sh->cfg->game.width * sh->cfg->game.height * 4;
}

/* The inputs not applied yet, with the tick each belongs to: first those of
 * the published ticks in the backlog (their exact ticks), then the input log
 * past them (a tick the primary never published, the error tick: the ticks
 * the primary would have given them). */
static void read_pending(struct shadow *sh)
{
	sh->n_pending = 0;
	const struct sc_backlog *b = &sh->backlog;
	bool truncated = false;
	for (size_t i = 0; i < sc_backlog_ticks(b) && !truncated; i++) {
		struct sc_tick_record r;
		struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
		sc_backlog_get(b, i, &r, ev);
		if (r.tick < shadow_next_tick(sh))
			continue;
		if (sh->n_pending + r.n_inputs > SHADOW_PENDING) {
			truncated = true; /* the rest later, once these are stepped through */
			break;
		}
		for (uint32_t k = 0; k < r.n_inputs; k++) {
			sh->pending[sh->n_pending] = ev[k];
			sh->pending_seq[sh->n_pending++] = r.seq_begin + k;
		}
	}
	if (sh->in_reader < 0 || truncated)
		return;
	size_t first = sh->n_pending;
	uint64_t seq = sc_input_log_cursor(&sh->inputs, sh->in_reader);
	while (sh->n_pending < SHADOW_PENDING) {
		struct sc_input_event ev;
		if (sc_input_log_peek(&sh->inputs, sh->in_reader, seq, &ev) != SC_RING_SUCCESS)
			break;
		ev.seq = (uint32_t)seq;
		sh->pending[sh->n_pending] = ev;
		sh->pending_seq[sh->n_pending++] = seq;
		seq++;
	}
	uint32_t after = b->have_newest ? b->newest.tick + 1 : shadow_next_tick(sh);
	if (after < shadow_next_tick(sh))
		after = shadow_next_tick(sh);
	sc_input_gather_assign(sh->pending + first, sh->n_pending - first, after);
}

size_t shadow_held_inputs(const struct shadow *sh)
{
	/* the held state's tick: the game itself may be one step further */
	uint32_t t = sh->held ? ((const struct sc_game_state *)sh->held)->hdr.tick : sc_game_next_tick(sh->game);
	size_t n = 0;
	while (n < sh->n_pending && sh->pending[n].tick == t)
		n++;
	return n;
}

/* Preserves the current state: snapshot, its frame when rendered, the pending inputs. */
bool shadow_hold(struct shadow *sh)
{
	size_t len = sc_game_snapshot_size(sh->game);
	if (!sh->held || sh->held_len != len) {
		free(sh->held);
		if (!(sh->held = malloc(len))) {
			sc_err("out of memory for a %zu-byte snapshot", len);
			return false;
		}
		sh->held_len = len;
	}
	if (!sc_game_snapshot(sh->game, sh->held, len))
		return false;
	sh->held_ns = sc_now_ns();
	/* the frame of the held tick for frame.png, drawn now rather than while
	 * catching up: the state is held first */
	free(sh->held_rgba);
	sh->held_rgba = NULL;
	uint32_t next = shadow_next_tick(sh);
	if (next > 0 && sh->rgba_tick != (int64_t)next - 1 && sc_game_render_last(sh->game, 0, SC_RENDER_RGBA) == SC_GAME_OK)
		sh->rgba_tick = (int64_t)next - 1;
	if (next > 0 && sh->rgba_tick == (int64_t)next - 1 && (sh->held_rgba = malloc(rgba_size(sh))))
		memcpy(sh->held_rgba, frame_rgba(sh), rgba_size(sh));
	read_pending(sh);
	sh->stepped = 0;
	sh->game_dirty = false;
	sh->paused = true;
	atomic_store(&sh->me->inputs_applied_in_held_tick, 0);
	return true;
}

bool shadow_restore_held(struct shadow *sh)
{
	if (!sh->game_dirty)
		return true;
	if (!sc_game_restore(sh->game, sh->held, sh->held_len))
		return false;
	sh->game_dirty = false;
	sh->stepped = 0;
	atomic_store(&sh->me->inputs_applied_in_held_tick, 0);
	return true;
}

static void fill_info(struct shadow *sh, struct sc_capture_info *in)
{
	const struct sc_game_config *cfg = &sh->cfg->game;
	const struct sc_vk_physical_info *d = &sh->dev->info;
	const struct sc_game_state *st = sh->held;
	in->next_tick = st->hdr.tick;
	in->delay_ticks = sh->delay_ticks;
	in->shadow_hash = sh->hash;
	in->primary_hash = sh->primary_hash;
	in->primary_hash_known = sh->primary_hash_known;
	in->divergences = sh->divergences;
	snprintf(in->shadow_device, sizeof(in->shadow_device), "%s (%s %s)", d->name, d->driver_name, d->driver_info);
	sc_vk_uuid_str(d->uuid, in->shadow_device_uuid);
	in->game = (struct sc_capture_game){.width = cfg->width, .height = cfg->height, .seed = cfg->seed,
	                                    .players = cfg->players, .particles = cfg->particles,
	                                    .hang_timeout_ms = cfg->hang_timeout_ms, .fps = cfg->fps};
}

/* The captures' quota: the oldest go before this one is written; never the
 * captures this shadow or the other one holds (a developer may be reading
 * them). The new capture is written even when it alone is over the quota. */
static void make_room(struct shadow *sh, const char *dir)
{
	char other[2][sizeof(sh->me->capture_dir)];
	const struct sc_shadow_shm *slots[2] = {&sh->session->shadow, &sh->session->shadow_alt};
	for (int i = 0; i < 2; i++) {
		memcpy(other[i], slots[i]->capture_dir, sizeof(other[i])); /* another process's: bounded */
		other[i][sizeof(other[i]) - 1] = '\0';
	}
	const char *keep[] = {sh->capture_dir, other[0], other[1]};
	uint64_t need = (uint64_t)sh->held_len + (uint64_t)sh->cfg->game.width * sh->cfg->game.height * 4 + (64u << 10);
	struct sc_capture_quota_result r;
	if (!sc_capture_quota_make_room(sh->cfg->capture_root, sh->cfg->capture_quota_bytes, need, keep, 3, &r))
		return;
	if (r.removed)
		sc_info("capture quota: removed the %u oldest capture(s) (%.1f MiB) to keep %s within %.0f MiB",
		        r.removed, (double)(r.bytes_before - r.bytes_after) / (1 << 20), sh->cfg->capture_root,
		        (double)sh->cfg->capture_quota_bytes / (1 << 20));
	if (!r.fits)
		sc_warn("capture quota: %.1f MiB of captures that cannot go (held by a shadow) plus %s are over the "
		        "%.0f MiB quota; writing it anyway (the newest capture is always kept)",
		        (double)r.bytes_after / (1 << 20), dir, (double)sh->cfg->capture_quota_bytes / (1 << 20));
}

bool shadow_write_capture(struct shadow *sh, bool incident, char *msg, size_t msglen)
{
	struct sc_capture_info in = incident ? sh->info : (struct sc_capture_info){0};
	fill_info(sh, &in);
	if (!incident && sh->anomaly_condition >= 0 && (uint32_t)sh->anomaly_condition < sh->cfg->n_conditions) {
		snprintf(in.condition, sizeof(in.condition), "%s", sh->cfg->conditions[sh->anomaly_condition].name);
		snprintf(in.condition_text, sizeof(in.condition_text), "%s", sh->cfg->conditions[sh->anomaly_condition].text);
		in.condition_tick = in.next_tick ? in.next_tick - 1 : 0;
	}
	if (!incident)
		sh->manual_captures++;
	char dir[512];
	if (!sc_capture_dir_name(sh->cfg->capture_root, &in, sh->manual_captures, dir, sizeof(dir))) {
		snprintf(msg, msglen, "no capture directory under %s", sh->cfg->capture_root);
		return false;
	}
	make_room(sh, dir);
	struct sc_capture_input_window {
		struct sc_input_event ev[SHADOW_WINDOW];
	} *win = malloc(sizeof(*win));
	if (!win) {
		snprintf(msg, msglen, "out of memory");
		return false;
	}
	size_t first = (sh->win_next + SHADOW_WINDOW - sh->win_count) % SHADOW_WINDOW;
	for (size_t i = 0; i < sh->win_count; i++)
		win->ev[i] = sh->window[(first + i) % SHADOW_WINDOW];
	/* the chat up to now: every line relayed before the fault is in the log */
	shadow_drain_chat(sh);
	struct sc_chat_record *chat = sh->chat.count ? malloc(sh->chat.count * sizeof(*chat)) : NULL;
	size_t n_chat = chat ? sc_chat_window_copy(&sh->chat, chat, sh->chat.count) : 0;
	struct sc_capture_inputs inputs = {.applied = win->ev, .n_applied = sh->win_count, .pending = sh->pending,
	                                   .n_pending = sh->n_pending, .chat = chat, .n_chat = n_chat,
	                                   .chat_missing = sc_chat_window_missing(&sh->chat) +
	                                                   (sh->chat.count - n_chat)};
	struct sc_capture_missing missing = {0};
	if (!sh->held_rgba)
		sc_capture_missing_add(&missing, "frame.png: the held tick %u could not be drawn (the shadow has run "
		                       "no tick since it started or restored this state)",
		                       in.next_tick ? in.next_tick - 1 : 0);
	if (incident && in.error_tick != in.next_tick)
		sc_capture_missing_add(&missing, "pre-error state: LATE: the shadow holds tick %u, not the error tick %u - 1: "
		                       "the fault was detected %u ticks after its error tick (at tick %u), more than the "
		                       "delay of %u ticks, so the shadow had already run the offending inputs",
		                       in.next_tick ? in.next_tick - 1 : 0, in.error_tick, in.detected_tick - in.error_tick,
		                       in.detected_tick, in.delay_ticks);
	if (sh->n_pending == SHADOW_PENDING)
		sc_capture_missing_add(&missing, "inputs.txt: only the first %d pending inputs", SHADOW_PENDING);
	if (sh->win_count == SHADOW_WINDOW)
		sc_capture_missing_add(&missing, "inputs.txt: only the last %d applied inputs", SHADOW_WINDOW);
	bool ok = sc_capture_write(dir, &in, sh->held, sh->held_len, sh->held_rgba, sh->cfg->game.width * 4, &inputs,
	                           &missing);
	int write_errno = errno;
	free(win);
	free(chat);
	if (!ok) {
		/* a full disk is normal operation: no half capture is left behind */
		snprintf(msg, msglen, "writing the capture %s failed (%s); the partial directory was removed", dir,
		         strerror(write_errno));
		if (!sc_capture_remove_tree(dir))
			sc_warn("cannot remove the partial capture %s: %s", dir, strerror(errno));
		return false;
	}
	if (!sc_audio_window_write(&sh->audio, dir))
		sc_warn("capture %s: audio.wav / audio_ticks.txt not written", dir);
	snprintf(sh->capture_dir, sizeof(sh->capture_dir), "%s", dir);
	snprintf(sh->me->capture_dir, sizeof(sh->me->capture_dir), "%s", dir);
	atomic_store(&sh->me->capture_dir_incident, incident ? in.incident : 0);
	atomic_fetch_add(&sh->me->captures, 1); /* publishes capture_dir and capture_dir_incident */
	snprintf(msg, msglen, "capture written: %s", dir);
	sc_info("%s", msg);
	return true;
}

bool shadow_pause_incident(struct shadow *sh, bool late)
{
	struct sc_fault_shm *f = &sh->session->fault;
	uint64_t now = sc_now_ns();
	struct sc_capture_info *in = &sh->info;
	memset(in, 0, sizeof(*in));
	in->incident = f->incident;
	in->detected = f->detected;
	in->path = f->path;
	in->injected = f->injected;
	in->error_tick = f->error_tick;
	in->detected_tick = f->detected_tick > f->error_tick ? f->detected_tick : f->error_tick;
	in->detected_ns = f->detected_ns;
	in->paused_ns = now;
	in->armed_ns = sh->armed_incident == f->incident ? sh->armed_ns : now;
	in->armed_margin = sh->armed_incident == f->incident ? sh->armed_margin : 0;
	in->primary_pid = f->primary_pid;
	in->record = f->record;
	in->device_fault = f->device_fault;
	if (in->device_fault == SC_DEVICE_FAULT_SAVED)
		snprintf(in->device_fault_report, sizeof(in->device_fault_report), "%s", f->device_fault_report);
	snprintf(in->primary_device, sizeof(in->primary_device), "%s", sh->session->primary_device);
	snprintf(in->detail, sizeof(in->detail), "%s", f->detail);
	sh->handled_incident = f->incident;
	if (!shadow_hold(sh))
		return false;
	in->held_ns = sh->held_ns;
	atomic_store(&sh->me->paused_ns, now);
	/* what the incident needs is in memory now: the tick log goes on without
	 * us; the input reader stays at the held tick's inputs until a restored
	 * primary has attached there (shadow_process.c), so none is overwritten */
	if (sh->tick_reader >= 0)
		sc_input_log_reader_detach(&sh->ticks, sh->tick_reader);
	sh->tick_reader = -1;
	if (sh->in_reader >= 0 && !sc_input_log_reader_hold(&sh->inputs, sh->in_reader))
		sc_warn("incident %u: the input log may already have overwritten inputs after the held tick; a "
		        "restored primary may not find them all", f->incident);
	sh->incident_pause = true;
	size_t n_held = shadow_held_inputs(sh);
	sh->me->held_seq_begin = sh->n_pending ? sh->pending_seq[0] : sh->backlog.next_seq;
	sh->me->held_seq_end = n_held ? sh->pending_seq[n_held - 1] + 1 : sh->me->held_seq_begin;
	uint32_t held = shadow_next_tick(sh);
	if (!sh->primary_hash_known && f->primary_hash_before && f->error_tick == held) {
		sh->primary_hash = f->primary_hash_before;
		sh->primary_hash_known = true;
	}
	sh->me->held_primary_hash = sh->primary_hash;
	sh->me->held_primary_hash_known = sh->primary_hash_known;
	if (late)
		sc_err("incident %u: LATE: detected %u ticks after its error tick %u, more than the shadow's delay of %u "
		       "ticks: the shadow had already run tick %u; it holds tick %u, a state after the fault, not the "
		       "pre-error state", f->incident, in->detected_tick - f->error_tick, f->error_tick, sh->delay_ticks,
		       f->error_tick, held ? held - 1 : 0);
	sc_warn("incident %u: paused before tick %u (%s), state held %.1f ms after detection; %zu offending inputs held",
	        f->incident, held, sc_fault_detected_name(f->detected), (double)(in->held_ns - f->detected_ns) / 1e6,
	        shadow_held_inputs(sh));
	char msg[600];
	uint32_t last = atomic_load(&sh->session->capture_last_incident);
	if (last && f->incident > last) {
		/* the supervisor saw a crash loop: no disk filled with copies of it */
		sc_warn("incident %u: no capture (captures suspended in a crash loop)", f->incident);
	} else if (!shadow_write_capture(sh, true, msg, sizeof(msg))) {
		sc_err("incident %u: %s", f->incident, msg);
	} else if (!late) {
		atomic_store(&sh->me->incident_captured, f->incident);
	}
	shadow_publish(sh, SC_SHADOW_PAUSED);
	return true; /* a failed capture does not stop the shadow */
}

static bool ensure_capture(struct shadow *sh, char *msg, size_t len)
{
	return sh->capture_dir[0] || shadow_write_capture(sh, false, msg, len);
}

static void step_dir(struct shadow *sh, const struct sc_step_result *res, const char *name)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", sh->capture_dir, name);
	void *snap = NULL;
	if (res->executed && (snap = malloc(sh->held_len)) && !sc_game_snapshot(sh->game, snap, sh->held_len)) {
		free(snap);
		snap = NULL;
	}
	sc_capture_write_step(dir, res, snap, sh->held_len, res->executed ? frame_rgba(sh) : NULL, sh->cfg->game.width,
	                      sh->cfg->game.height, sh->cfg->game.width * 4);
	free(snap);
}

int shadow_step_input(struct shadow *sh, struct shadow_step_out *out, char *msg, size_t len)
{
	*out = (struct shadow_step_out){0};
	size_t n = shadow_held_inputs(sh);
	uint32_t tick = ((const struct sc_game_state *)sh->held)->hdr.tick;
	uint32_t k = sh->stepped + 1;
	if (k > n) {
		snprintf(msg, len, "all %zu inputs of tick %u are applied; step a tick to go on", n, tick);
		return EALREADY; /* nothing left to step: 409 */
	}
	if (!ensure_capture(sh, msg, len))
		return EIO;
	struct sc_step_result res;
	sc_step_run(sh->game, sh->held, sh->held_len, sh->pending, k, (uint32_t)n, SC_STEP_RGBA, &res);
	if (res.outcome == SC_STEP_ERROR) {
		snprintf(msg, len, "step failed: %s", res.why);
		return EIO;
	}
	sh->game_dirty = res.executed;
	sh->stepped = k;
	atomic_store(&sh->me->inputs_applied_in_held_tick, k);
	char name[32], input[64], desc[320];
	snprintf(name, sizeof(name), "step-%u", k);
	step_dir(sh, &res, name);
	sc_input_format(&sh->pending[k - 1], input, sizeof(input));
	sc_step_describe(&res, desc, sizeof(desc));
	snprintf(msg, len, "step %u/%zu of tick %u (%s): %s%s; %s/%s", k, n, tick, input,
	         res.reproduced ? "reproduced: " : "", res.reproduced ? desc : res.why, sh->capture_dir, name);
	sc_info("%s", msg);
	out->reproduced = res.reproduced;
	snprintf(out->dir, sizeof(out->dir), "%s", name);
	return 0;
}

int shadow_step_tick(struct shadow *sh, bool write_dir, struct shadow_step_out *out, char *msg, size_t len)
{
	*out = (struct shadow_step_out){0};
	size_t n = shadow_held_inputs(sh);
	uint32_t tick = ((const struct sc_game_state *)sh->held)->hdr.tick;
	if (write_dir && !ensure_capture(sh, msg, len))
		return EIO;
	struct sc_step_result res;
	sc_step_run(sh->game, sh->held, sh->held_len, sh->pending, (uint32_t)n, (uint32_t)n, SC_STEP_RGBA, &res);
	char desc[320];
	sc_step_describe(&res, desc, sizeof(desc));
	char name[32];
	snprintf(name, sizeof(name), "tick-%u", tick);
	if (!res.executed) {
		/* the held state stays; the outcome is written like a step's */
		sh->game_dirty = false;
		if (res.outcome == SC_STEP_ERROR) {
			snprintf(msg, len, "tick %u not run: %s", tick, res.why);
			return EIO;
		}
		if (write_dir)
			step_dir(sh, &res, name);
		snprintf(msg, len, "tick %u not run: %s%s%s%s%s", tick, res.reproduced ? "reproduced: " : "",
		         res.reproduced ? desc : res.why, write_dir ? "; " : "", write_dir ? sh->capture_dir : "",
		         write_dir ? "/" : "");
		if (write_dir)
			snprintf(msg + strlen(msg), len - strlen(msg), "%s", name);
		sc_info("%s", msg);
		out->reproduced = res.reproduced;
		if (write_dir)
			snprintf(out->dir, sizeof(out->dir), "%s", name);
		/* a host-side fault reproduced is an answer; a tick that would hang or
		 * write out of bounds here is not run (ECANCELED: resume stops) */
		return res.reproduced ? 0 : ECANCELED;
	}
	if (write_dir)
		step_dir(sh, &res, name);
	/* the new held state */
	sh->rgba_tick = tick;
	sh->hash = res.hash;
	sh->primary_hash_known = false; /* past what the primary published */
	if (!sc_game_snapshot(sh->game, sh->held, sh->held_len)) {
		snprintf(msg, len, "snapshot after tick %u failed", tick);
		return EIO;
	}
	free(sh->held_rgba);
	if ((sh->held_rgba = malloc(rgba_size(sh))))
		memcpy(sh->held_rgba, frame_rgba(sh), rgba_size(sh));
	memmove(sh->pending, sh->pending + n, (sh->n_pending - n) * sizeof(sh->pending[0]));
	memmove(sh->pending_seq, sh->pending_seq + n, (sh->n_pending - n) * sizeof(sh->pending_seq[0]));
	sh->n_pending -= n;
	sh->stepped = 0;
	sh->game_dirty = false;
	atomic_store(&sh->me->inputs_applied_in_held_tick, 0);
	snprintf(msg, len, "tick %u run with its %zu inputs: %s%s%s%s", tick, n, res.reproduced ? "reproduced: " : "",
	         res.reproduced ? desc : "no fault", write_dir ? "; " : "", write_dir ? sh->capture_dir : "");
	if (write_dir)
		snprintf(msg + strlen(msg), len - strlen(msg), "/%s", name);
	sc_info("%s", msg);
	out->reproduced = res.reproduced;
	if (write_dir)
		snprintf(out->dir, sizeof(out->dir), "%s", name);
	return 0;
}
