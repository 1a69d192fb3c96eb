/* The shadow instance process (the shadow-tracking seed, FIG. 7-10): its own
 * VkDevice and game, following the primary's tick records `delay_ticks`
 * behind with exactly the inputs the primary applied at each tick, comparing
 * state hashes (divergence alarm), and pausing before the error tick of an
 * incident with a capture of the preserved state (shadow_hold.c). Commands
 * arrive in the session's mailbox (shadow_commands.c). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/shm/fd_passing.h"
#include "session/sample_ring.h"
#include "session/session_attach.h"
#include "shadow/delay.h"
#include "shadow/shadow_priv.h"
#include "util/clock.h"
#include "util/log.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

static bool attach_session(struct shadow *sh, int ipc_fd)
{
	/* the frame doorbell is not kept: the shadow sends no frames */
	struct sc_session_view v;
	bool ok = sc_session_attach(&v, ipc_fd, "shadow", false, 10000);
	sh->arena = v.arena;
	if (!ok)
		return false;
	sh->session = v.session;
	sh->me = sh->cfg->slot ? &sh->session->shadow_alt : &sh->session->shadow;
	sh->inputs = v.inputs;
	sh->ticks = v.ticks;
	sh->chats = v.chats;
	uint16_t inst = sh->cfg->slot ? SC_SAMPLE_SHADOW1 : SC_SAMPLE_SHADOW0;
	bool sampling = sh->cfg->sample_every && sc_sample_ring_attach(sh->arena, inst, &sh->sample_ring);
	sc_sample_writer_init(&sh->sampler, sampling ? &sh->sample_ring : NULL, inst, sh->cfg->sample_every,
	                      &sh->session->samples_written[inst], &sh->session->samples_dropped[inst]);
	sh->anomaly_seen = atomic_load(&sh->session->anomaly_capture_req); /* requests before it started are not its */
	sh->anomaly_condition = -1;
	return true;
}


/* A new shadow beside a running primary: asks for a checkpoint, waits for it
 * and loads it. It asks only now, with its device and pipelines ready: the
 * primary holds both logs at the checkpoint until it is adopted, and a start
 * slower than the logs hold (a driver's first use can take seconds) would
 * otherwise find them overrun. */
static bool join_checkpoint(struct shadow *sh, uint32_t *tick, uint64_t *in_seq, uint64_t *tick_seq)
{
	struct sc_session_shm *s = sh->session;
	uint32_t req = atomic_fetch_add(&s->checkpoint_req, 1) + 1;
	sc_info("ready: asking the primary for checkpoint %u", req);
	uint64_t deadline = sc_now_ns() + 20ull * 1000000000ull;
	while (atomic_load(&s->checkpoint_done) != req) {
		if (stop_requested || sc_now_ns() > deadline) {
			sc_err("no checkpoint %u from the primary within 20 s", req);
			return false;
		}
		sleep_ms(2);
	}
	*tick = s->checkpoint_tick;
	*in_seq = s->checkpoint_in_seq;
	*tick_seq = s->checkpoint_tick_seq;
	if (!sc_game_restore_file(sh->game, s->checkpoint_path))
		return false;
	if (sc_game_next_tick(sh->game) != *tick) {
		sc_err("checkpoint %s holds tick %u, expected %u", s->checkpoint_path, sc_game_next_tick(sh->game), *tick);
		return false;
	}
	sc_info("joining the running primary from its checkpoint at tick %u", *tick);
	return true;
}

/* Waits for the primary, then starts a game where it started, in both logs. */
static bool start_game(struct shadow *sh)
{
	const struct sc_shadow_config *cfg = sh->cfg;
	const char *spec = cfg->device;
	struct sc_game_config gc = cfg->game;
	gc.frame_slots = 1; /* rendered RGBA only around a pause */
	if (!(sh->dev = sc_vk_device_create(spec)) || !(sh->game = sc_game_create(sh->dev, &gc)))
		return false;
	if (cfg->restore[0] && !sc_game_restore_file(sh->game, cfg->restore))
		return false;

	struct sc_session_shm *s = sh->session;
	atomic_store(&sh->me->pid, (int32_t)getpid());
	atomic_store(&sh->me->delay_ticks, sh->delay_ticks);
	shadow_publish(sh, SC_SHADOW_STARTING);
	while (!atomic_load(&s->primary_ready)) {
		if (stop_requested)
			return false;
		sleep_ms(1);
	}
	uint32_t base;
	uint64_t in_seq, tick_seq;
	if (cfg->follow_checkpoint) {
		if (!join_checkpoint(sh, &base, &in_seq, &tick_seq))
			return false;
	} else {
		base = atomic_load(&s->primary_base_tick);
		if (base != sc_game_next_tick(sh->game)) {
			sc_err("the primary started at tick %u but this shadow is at tick %u (%s)", base,
			       sc_game_next_tick(sh->game), cfg->restore[0] ? "a different --restore state" : "no --restore");
			return false;
		}
		in_seq = atomic_load(&s->primary_start_seq);
		tick_seq = atomic_load(&s->primary_tick_log_seq);
		if (cfg->restore[0] && atomic_load(&s->restore_valid)) {
			/* the restored primary's rule for the offending tick's inputs (server/primary.c) */
			sh->drop_begin = s->restore_seq_begin;
			sh->drop_end = s->restore_seq_end;
			sh->drop_all = s->restore_drop_all;
		}
	}
	/* lossy readers: a shadow drains both logs into its backlog at once, and a
	 * stalled one (stopped in a debugger, starved) must never make the
	 * encoder refuse players or the primary drop tick records; if the logs
	 * overtake it, it knows (SC_RING_OVERRUN) and stops */
	if (!sc_input_log_reader_attach_lossy(&sh->inputs, in_seq, &sh->in_reader)) {
		sc_err("cannot read the input log from seq %" PRIu64 " (no free reader slot, or already overwritten)",
		       in_seq);
		return false;
	}
	if (!sc_input_log_reader_attach_lossy(&sh->ticks, tick_seq, &sh->tick_reader)) {
		sc_err("cannot read the tick log from seq %" PRIu64, tick_seq);
		return false;
	}
	/* the chat from where this primary started (a shadow that joins from a
	 * checkpoint: from now); lossy like the logs, and not needed to follow */
	uint64_t chat_seq = cfg->follow_checkpoint ? UINT64_MAX : atomic_load(&s->primary_chat_seq);
	if (!sc_input_log_reader_attach_lossy(&sh->chats, chat_seq, &sh->chat_reader) &&
	    (chat_seq == UINT64_MAX || !sc_input_log_reader_attach_lossy(&sh->chats, UINT64_MAX, &sh->chat_reader))) {
		sh->chat_reader = -1;
		sc_warn("cannot read the chat log (no free reader slot): captures will have no chat");
	}
	if (cfg->follow_checkpoint)
		atomic_store(&s->checkpoint_adopted, atomic_load(&s->checkpoint_done)); /* the primary drops its pins */
	sc_backlog_init(&sh->backlog, (size_t)cfg->backlog_mib << 20, base, in_seq);
	sh->handled_incident = 0;
	sc_info("following the primary %u ticks behind from tick %u on %s (%s)", sh->delay_ticks, base,
	        sh->dev->info.name, sh->dev->info.driver_name);
	shadow_publish(sh, SC_SHADOW_RUNNING);
	return true;
}

uint32_t shadow_next_tick(const struct shadow *sh)
{
	return sc_game_next_tick(sh->game);
}

void shadow_publish(struct shadow *sh, enum sc_shadow_state state)
{
	struct sc_shadow_shm *m = sh->me;
	atomic_store(&m->next_tick, shadow_next_tick(sh));
	atomic_store(&m->hash, sh->hash);
	atomic_store(&m->delay_ticks, sh->delay_ticks);
	atomic_store(&m->divergences, sh->divergences);
	atomic_store(&m->state, state);
}

void shadow_detach_readers(struct shadow *sh)
{
	if (sh->in_reader >= 0)
		sc_input_log_reader_detach(&sh->inputs, sh->in_reader);
	if (sh->tick_reader >= 0)
		sc_input_log_reader_detach(&sh->ticks, sh->tick_reader);
	sh->in_reader = sh->tick_reader = -1;
}

static void log_state(const struct sc_game_state *st)
{
	const struct sc_game_header *h = &st->hdr;
	sc_warn("  shadow state: tick %u score %u:%u kickoff %u puck (%d,%d) v (%d,%d) touches %u goals %u "
	        "bounces %u particles hash %08x%08x input digest %08x fault %u", h->tick, h->score0, h->score1,
	        h->kickoff, st->puck.x, st->puck.y, st->puck.vx, st->puck.vy, h->touches, h->goals, h->wall_bounces,
	        h->part_hash1, h->part_hash0, h->input_digest, h->fault_kind);
	for (uint32_t i = 0; i < h->n_players && i < SC_MAX_PLAYERS; i++) {
		const struct sc_game_player *p = &st->players[i];
		sc_warn("  player %u: pos (%d,%d) v (%d,%d) axis (%d,%d) flags %u cooldown %u", i, p->x, p->y, p->vx,
		        p->vy, p->ax, p->ay, p->flags, p->cooldown);
	}
}

static void window_push(struct shadow *sh, const struct sc_input_event *ev)
{
	sh->window[sh->win_next] = *ev;
	sh->win_next = (sh->win_next + 1) % SHADOW_WINDOW;
	if (sh->win_count < SHADOW_WINDOW)
		sh->win_count++;
}

/* Moves every published tick record, with its inputs, from the shared logs
 * into the backlog, so that neither log waits for this shadow (shadow/backlog.h).
 * false when the shadow cannot go on: *lost_track when it can no longer know
 * a tick's exact inputs. */
static bool drain_logs(struct shadow *sh, bool *lost_track)
{
	*lost_track = false;
	if (sh->tick_reader < 0)
		return true;
	for (int i = 0; i < 4096; i++) {
		struct sc_tick_record r;
		uint64_t rseq = sc_input_log_cursor(&sh->ticks, sh->tick_reader);
		enum sc_ring_result rr = sc_input_log_peek(&sh->ticks, sh->tick_reader, rseq, &r);
		if (rr == SC_RING_EMPTY)
			return true;
		if (rr == SC_RING_OVERRUN) {
			sc_err("tick log gap: the primary overwrote tick record %" PRIu64 " before this shadow read it (the "
			       "shadow was stalled for more than --log-capacity ticks); stopping rather than run a tick "
			       "with inputs that are not its own", rseq);
			*lost_track = true;
			return false;
		}
		if (rr != SC_RING_SUCCESS) {
			sc_err("tick log: record %" PRIu64 " is not readable (%s)", rseq, sc_ring_result_str(rr));
			return false;
		}
		const struct sc_backlog *b = &sh->backlog;
		if (r.tick != b->next_tick || r.seq_begin != b->next_seq) {
			sc_err("tick log gap: expected tick %u with inputs from seq %" PRIu64 ", the log has tick %u with "
			       "inputs from seq %" PRIu64 " (the primary could not publish the records between: this shadow "
			       "was stalled for more than --log-capacity ticks); stopping rather than run a tick with "
			       "inputs that are not its own", b->next_tick, b->next_seq, r.tick, r.seq_begin);
			*lost_track = true;
			return false;
		}
		struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK];
		uint32_t n = 0;
		for (uint64_t seq = r.seq_begin; seq < r.seq_end && n < SC_MAX_INPUTS_PER_TICK; seq++) {
			rr = sc_input_log_peek(&sh->inputs, sh->in_reader, seq, &ev[n]);
			if (rr != SC_RING_SUCCESS) {
				/* the tick record can still be there while its inputs are not: a
				 * shadow stopped between reading the two finds the gap here */
				if (rr == SC_RING_OVERRUN)
					sc_err("input log gap: the primary overwrote input seq %" PRIu64 " of tick %u before this "
					       "shadow read it (the shadow was stalled for more than --log-capacity inputs); "
					       "stopping rather than run a tick with inputs that are not its own", seq, r.tick);
				else
					sc_err("input seq %" PRIu64 " of tick %u is not readable (%s)", seq, r.tick,
					       sc_ring_result_str(rr));
				*lost_track = rr == SC_RING_OVERRUN;
				return false;
			}
			if (seq >= sh->drop_begin && seq < sh->drop_end && !sc_input_is_notice(ev[n].action) &&
			    (sh->drop_all || ev[n].action == SC_INPUT_FAULT))
				continue; /* dropped by the restored primary (never a notice: server/primary.c) */
			ev[n].tick = r.tick; /* as the primary applied it (take_inputs) */
			ev[n].seq = (uint32_t)seq;
			n++;
		}
		if (n != r.n_inputs) {
			sc_err("tick %u: the record says %u inputs, its seqs %" PRIu64 "..%" PRIu64 " give %u", r.tick,
			       r.n_inputs, r.seq_begin, r.seq_end, n);
			return false;
		}
		char why[200];
		enum sc_backlog_result br = sc_backlog_push(&sh->backlog, &r, ev, why, sizeof(why));
		if (br == SC_BACKLOG_FULL) {
			sc_err("backlog full: %s (--shadow-backlog %u MiB; paused too long); this shadow cannot resume and "
			       "stops", why, sh->cfg->backlog_mib);
			*lost_track = true;
			return false;
		}
		if (br != SC_BACKLOG_OK) {
			sc_err("tick record %" PRIu64 " refused: %s", rseq, why);
			*lost_track = br == SC_BACKLOG_GAP;
			return false;
		}
		if (!sc_input_log_consume(&sh->inputs, sh->in_reader, r.seq_end) ||
		    !sc_input_log_consume(&sh->ticks, sh->tick_reader, rseq + 1)) {
			sc_err("cannot consume tick record %" PRIu64 " (inputs up to %" PRIu64 ")", rseq, r.seq_end);
			return false;
		}
	}
	return true;
}

void shadow_drain_chat(struct shadow *sh)
{
	if (sh->chat_reader < 0)
		return;
	for (int i = 0; i < 4096; i++) {
		struct sc_chat_record r;
		uint64_t seq = sc_input_log_cursor(&sh->chats, sh->chat_reader);
		enum sc_ring_result rr = sc_input_log_peek(&sh->chats, sh->chat_reader, seq, &r);
		if (rr == SC_RING_EMPTY)
			return;
		if (rr == SC_RING_OVERRUN) {
			/* the primary overwrote lines this shadow had not read: read on
			 * from half a log behind its tail, and count what was lost */
			uint64_t tail = sc_input_log_tail(&sh->chats), half = sh->chats.capacity / 2;
			uint64_t to = tail > seq + half ? tail - half : seq + 1;
			if (!sc_input_log_consume(&sh->chats, sh->chat_reader, to))
				return;
			if (sh->chat.lost == 0)
				sc_warn("chat log: %" PRIu64 " lines were overwritten before this shadow read them", to - seq);
			sh->chat.lost += to - seq;
			continue;
		}
		if (rr != SC_RING_SUCCESS) {
			if (sh->chat.invalid++ == 0)
				sc_warn("chat log: record %" PRIu64 " is not readable (%s); this shadow stops reading chat", seq,
				        sc_ring_result_str(rr));
			sc_input_log_reader_detach(&sh->chats, sh->chat_reader);
			sh->chat_reader = -1;
			return;
		}
		if (!sc_chat_window_push(&sh->chat, &r) && sh->chat.invalid == 1)
			sc_warn("chat log: record %" PRIu64 " is out of range (player %u, %u bytes): not kept", seq, r.player,
			        r.len);
		sc_input_log_consume(&sh->chats, sh->chat_reader, seq + 1);
	}
}

bool shadow_apply_next_record(struct shadow *sh)
{
	struct sc_tick_record r;
	struct sc_input_event ev[SC_MAX_INPUTS_PER_TICK + 1];
	if (!sc_backlog_ticks(&sh->backlog))
		return true;
	sc_backlog_get(&sh->backlog, 0, &r, ev);
	uint32_t tick = shadow_next_tick(sh);
	if (r.tick < tick) {
		/* a developer stepped the paused shadow past it */
		sc_backlog_pop(&sh->backlog);
		return true;
	}
	if (r.tick > tick) {
		sc_err("the next published tick is %u but the shadow is at %u: stopping", r.tick, tick);
		return false;
	}
	uint32_t n = r.n_inputs;
	uint32_t n_run = n;
	if (sh->cfg->desync_tick && sh->cfg->desync_tick == tick) {
		/* test only: an input the primary never saw */
		ev[n_run++] = (struct sc_input_event){.tick = tick, .player = 0, .action = SC_INPUT_MOVE, .a = 1, .b = 1};
		sc_warn("--desync-shadow: extra input at tick %u", tick);
	}
	struct sc_tick_result res;
	sc_sample_begin(&sh->sampler, tick, sc_now_ns());
	/* simulated only: following and catching up cost the simulation alone;
	 * the frame of a state the shadow holds is drawn afterwards (shadow_hold) */
	enum sc_game_error e = sc_game_tick(sh->game, ev, n_run, 0, SC_RENDER_NONE, &res);
	if (e != SC_GAME_OK) {
		sc_err("the shadow's own tick %u failed (%d): the shadow cannot go on", tick, (int)e);
		return false;
	}
	sc_sample_result(&sh->sampler, &res, n_run, sh->cfg->game.particles, false);
	if (sh->sampler.due) /* frame time here: between the ticks it ran (catching up: back to back) */
		sc_sample_end(&sh->sampler, sc_now_ns(), (uint32_t)sc_backlog_ticks(&sh->backlog), 0);
	sh->rgba_tick = -1;
	sh->hash = res.hash;
	sh->primary_hash = r.hash;
	sh->primary_hash_known = true;
	if (res.hash != r.hash) {
		if (sh->divergences++ == 0)
			atomic_store(&sh->me->first_divergence_tick, tick);
		/* every divergence is counted; the log gets the first ones in full and then a line now and then */
		if (sh->divergences <= 3 || sh->divergences % 300 == 0)
			sc_warn("divergence at tick %u: shadow %016" PRIx64 " primary %016" PRIx64 " (%" PRIu64 " so far)",
			        tick, res.hash, r.hash, sh->divergences);
		if (sh->divergences == 1)
			log_state(&res.state);
	}
	struct sc_audio_tick at = {.tick = tick, .n_samples = res.audio.n_samples, .pos = res.audio_pos,
	                           .hash = res.audio.hash, .primary_hash = r.audio_hash};
	if (res.audio.hash != r.audio_hash && sh->audio.mismatches < 3)
		sc_warn("tick %u: the shadow's sound (hash %08x) differs from the primary's (%08x)", tick, res.audio.hash,
		        r.audio_hash);
	sc_audio_window_push(&sh->audio, &at, res.pcm);
	for (uint32_t i = 0; i < n; i++)
		window_push(sh, &ev[i]);
	sc_backlog_pop(&sh->backlog);
	return true;
}

/* The current incident, as the delay module sees it. */
static void fault_view(struct shadow *sh, struct sc_delay_view *v)
{
	struct sc_fault_shm *f = &sh->session->fault;
	uint32_t st = atomic_load(&f->state);
	v->fault = SC_DELAY_FAULT_NONE;
	if (st == SC_FAULT_CLAIMED) {
		v->fault = SC_DELAY_FAULT_CLAIMED;
	} else if (st == SC_FAULT_READY && f->incident != sh->handled_incident) {
		v->fault = SC_DELAY_FAULT_READY;
		v->error_tick = f->error_tick;
		if (sh->armed_incident != f->incident) {
			/* the shadow's reaction: from here on it stops short of the error tick */
			sh->armed_incident = f->incident;
			sh->armed_ns = sc_now_ns();
			sh->armed_margin = f->error_tick > v->next_tick ? f->error_tick - v->next_tick : 0;
		}
	}
}

/* One step of the follow loop; false on a fatal error. *idle when nothing happened. */
static bool follow(struct shadow *sh, bool *idle)
{
	struct sc_delay_view v = {.next_tick = shadow_next_tick(sh), .delay_ticks = sh->delay_ticks};
	fault_view(sh, &v);
	*idle = false;
	if (sh->tick_reader < 0) {
		*idle = true;
		return true;
	}
	if (sc_backlog_ticks(&sh->backlog)) {
		struct sc_tick_record r;
		sc_backlog_get(&sh->backlog, 0, &r, NULL);
		v.have_record = true;
		v.record_tick = r.tick;
	}
	if (sh->backlog.have_newest) {
		v.have_latest = true;
		v.latest_tick = sh->backlog.newest.tick;
	}
	switch (sc_delay_decide(&v)) {
	case SC_DELAY_WAIT:
		*idle = true;
		return true;
	case SC_DELAY_APPLY:
		if (!shadow_apply_next_record(sh))
			return false;
		shadow_anomaly_after_tick(sh);
		return true;
	case SC_DELAY_PAUSE:
		return shadow_pause_incident(sh, false);
	case SC_DELAY_LATE:
		return shadow_pause_incident(sh, true);
	}
	return true;
}

/* After an incident pause the input reader holds the held tick's inputs for
 * a restored primary; it lets go once a newer primary runs (or after 30 s). */
static bool release_input_hold(struct shadow *sh)
{
	struct sc_session_shm *s = sh->session;
	if (atomic_load(&s->primary_ready) && atomic_load(&s->primary_pid) != sh->info.primary_pid)
		return true;
	return sc_now_ns() > atomic_load(&sh->me->paused_ns) + 30ull * 1000000000ull;
}

int sc_shadow_main(int ipc_fd, const struct sc_shadow_config *cfg)
{
	sc_log_set_role("shadow");
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct shadow sh = {.cfg = cfg, .in_reader = -1, .tick_reader = -1, .chat_reader = -1, .rgba_tick = -1,
	                    .delay_ticks = cfg->delay_ticks};
	int rc = 1;
	if (!attach_session(&sh, ipc_fd) || !start_game(&sh))
		goto out;
	if (!sc_audio_window_init(&sh.audio, SHADOW_AUDIO_SECONDS, cfg->game.fps))
		sc_warn("out of memory for the audio window: captures will have no audio.wav");
	if (!sc_chat_window_init(&sh.chat, SHADOW_CHAT_LINES))
		sc_warn("out of memory for the chat window: captures will have no chat");
	sh.last_cmd_seq = atomic_load(&sh.me->done_seq);
	while (!stop_requested) {
		shadow_poll_commands(&sh);
		bool idle = true, lost_track;
		shadow_drain_chat(&sh);
		if (!drain_logs(&sh, &lost_track)) {
			if (lost_track)
				rc = SHADOW_EXIT_LOST_TRACK;
			goto out;
		}
		if (!sh.paused)
			shadow_anomaly_poll(&sh);
		if (!sh.paused && !follow(&sh, &idle))
			goto out;
		if (sh.incident_pause && sh.in_reader >= 0 && release_input_hold(&sh)) {
			sc_input_log_reader_detach(&sh.inputs, sh.in_reader);
			sh.in_reader = -1;
		}
		if (!sh.paused)
			shadow_publish(&sh, atomic_load(&sh.me->state) == SC_SHADOW_RESUMED ? SC_SHADOW_RESUMED :
			               SC_SHADOW_RUNNING);
		if (idle)
			sleep_ms(sh.paused ? 2 : 1);
	}
	sc_info("stopping at tick %u (%" PRIu64 " divergences)", sh.game ? shadow_next_tick(&sh) : 0, sh.divergences);
	rc = 0;
out:
	if (sh.me)
		atomic_store(&sh.me->state, SC_SHADOW_OFF);
	shadow_detach_readers(&sh);
	if (sh.chat_reader >= 0)
		sc_input_log_reader_detach(&sh.chats, sh.chat_reader);
	if (sc_game_lost(sh.game)) {
		/* a hung GPU may still run the game's work: tearing the device down
		 * under it crashed this process (SIGSEGV); the supervisor reclaims the
		 * arena blocks of a process that is gone */
		sc_err("the GPU work of this shadow cannot be torn down (hang or device loss): exiting at once");
		fflush(NULL);
		_exit(rc);
	}
	sc_backlog_finish(&sh.backlog);
	sc_audio_window_finish(&sh.audio);
	sc_chat_window_finish(&sh.chat);
	free(sh.held);
	free(sh.held_rgba);
	sc_game_destroy(sh.game);
	sc_vk_device_destroy(sh.dev);
	if (sh.arena) {
		sc_arena_unregister(sh.arena);
		sc_arena_destroy(sh.arena);
	}
	return rc;
}
