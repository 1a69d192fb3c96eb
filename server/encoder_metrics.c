#include "server/encoder_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/arena.h"
#include "session/msg_ring.h"

#define SC_STATE_READ_TRIES 1000

struct out {
	char *buf;
	size_t len, used;
	bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	if (o->overflow || o->used + 1 >= o->len) {
		o->overflow = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->overflow = true;
		o->buf[o->used] = '\0';
		return;
	}
	o->used += (size_t)n;
}

static void metric(struct out *o, const char *name, const char *type, const char *help,
                   unsigned long long value)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, value);
}

static void metric_f(struct out *o, const char *name, const char *help, double value)
{
	put(o, "# HELP %s %s\n# TYPE %s gauge\n%s %.3f\n", name, help, name, name, value);
}

bool sc_session_state_read(struct sc_session_shm *s, struct sc_game_state *out, uint32_t *seq)
{
	for (int i = 0; i < SC_STATE_READ_TRIES; i++) {
		uint32_t a = atomic_load(&s->state_seq);
		if (a & 1)
			continue;
		memcpy(out, &s->state, sizeof(*out));
		/* an RMW (release) keeps the copy's loads before the re-check */
		if (atomic_fetch_add(&s->state_seq, 0) == a) {
			if (seq)
				*seq = a;
			return true;
		}
	}
	return false;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void sc_encoder_frame_latency(const struct sc_encoder_stats *st, uint32_t *p50_us, uint32_t *p99_us)
{
	uint32_t v[SC_FRAME_LAT_RING];
	uint64_t n = atomic_load(&st->frame_lat_n);
	if (n > SC_FRAME_LAT_RING)
		n = SC_FRAME_LAT_RING;
	for (uint64_t i = 0; i < n; i++)
		v[i] = atomic_load(&st->frame_lat_us[i]);
	qsort(v, n, sizeof(v[0]), cmp_u32);
	*p50_us = n ? v[n / 2] : 0;
	*p99_us = n ? v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] : 0;
}

size_t sc_encoder_metrics_text(const struct sc_encoder_status *st, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	struct sc_session_shm *s = st->session;
	const struct sc_encoder_stats *e = st->stats;
	struct sc_game_state g;
	struct sc_arena_stats as;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	bool state_ok = sc_session_state_read(s, &g, NULL);
	metric(&o, "shadowcast_frames_rendered_total", "counter", "Frames the primary rendered.",
	       atomic_load(&s->frames_rendered));
	metric(&o, "shadowcast_frames_encoded_total", "counter", "Frames the encoder process encoded.",
	       atomic_load(&s->frames_encoded));
	metric(&o, "shadowcast_frames_replaced_total", "counter",
	       "Frames replaced in the mailbox before the encoder took them (gaps in the frame numbers it took).",
	       atomic_load(&s->frames_replaced));
	metric(&o, "shadowcast_frame_slots_reclaimed_total", "counter",
	       "Frame slots taken back from a reader that died holding them.",
	       atomic_load(&s->slots_reclaimed));
	metric(&o, "shadowcast_inputs_dropped_total", "counter",
	       "Logged inputs a restored primary dropped: the offending tick's (docs/captures.md, Restore).",
	       atomic_load(&s->inputs_dropped));
	metric(&o, "shadowcast_inputs_dropped_told_total", "counter",
	       "Dropped inputs whose client was sent input_dropped (inputs without a client, e.g. injected faults, "
	       "are not told).", atomic_load(&e->input_drops_told));
	metric(&o, "shadowcast_inputs_dropped_untold_total", "counter",
	       "Dropped inputs with no client to tell: injected by the debug API or --inputs, or from before this "
	       "encoder process started.", atomic_load(&e->input_drops_untold));
	metric(&o, "shadowcast_inputs_discarded_total", "counter",
	       "Logged inputs a new match never applied (those after the previous match's last tick record).",
	       atomic_load(&e->inputs_discarded));
	metric(&o, "shadowcast_inputs_discarded_told_total", "counter",
	       "Discarded inputs whose client was sent input_dropped with reason new_match.",
	       atomic_load(&e->inputs_discarded_told));
	metric(&o, "shadowcast_incidents_total", "counter", "Incidents (faults detected) since the server started.",
	       atomic_load(&s->incidents));
	metric(&o, "shadowcast_frames_bad_seal_total", "counter",
	       "Frames whose GPU seal did not match what the encoder read: dropped, not encoded.",
	       atomic_load(&s->frames_bad_seal));
	metric(&o, "shadowcast_frame_mappings_total", "counter",
	       "Frame memory generations mapped (one per primary start).",
	       atomic_load(&e->frame_mappings));
	metric(&o, "shadowcast_encode_errors_total", "counter", "Frames the encoder failed on.",
	       atomic_load(&e->encode_errors));
	metric_f(&o, "shadowcast_encode_ms", "Encode time of the last frame, ms.",
	         atomic_load(&s->encode_us_last) / 1000.0);
	metric_f(&o, "shadowcast_gpu_ms", "GPU time of the primary's last tick, ms.",
	         atomic_load(&s->gpu_us_last) / 1000.0);
	uint32_t lat50, lat99;
	sc_encoder_frame_latency(e, &lat50, &lat99);
	metric_f(&o, "shadowcast_frame_latency_p50_ms",
	         "Frame latency, tick start to encoded, p50 of the last 256 frames, ms.", lat50 / 1000.0);
	metric_f(&o, "shadowcast_frame_latency_p99_ms",
	         "Frame latency, tick start to encoded, p99 of the last 256 frames, ms.", lat99 / 1000.0);
	metric(&o, "shadowcast_zero_copy", "gauge",
	       "1 if the last frame encoded was read in place: its NV12 view lay in the mapping of the primary's "
	       "frame memory and the encoder copied 0 bytes of it; 0 if it was copied or no frame was encoded yet.",
	       atomic_load(&s->zero_copy));
	metric(&o, "shadowcast_frames_in_place_total", "counter",
	       "Frames encoded in place (as shadowcast_zero_copy measures each frame), this encoder process.",
	       atomic_load(&e->frames_in_place));
	metric(&o, "shadowcast_cpu_copy_bytes_per_frame", "gauge",
	       "CPU bytes copied between the GPU frame and the encoder input (uploads inside the encoder), last frame.",
	       atomic_load(&e->cpu_copy_bytes_last));
	metric(&o, "shadowcast_cpu_copy_bytes_total", "counter",
	       "CPU bytes copied between GPU frames and the encoder input, all frames.",
	       atomic_load(&e->cpu_copy_bytes_total));
	metric(&o, "shadowcast_game_tick", "gauge", "Ticks the primary completed (game state).",
	       state_ok ? g.hdr.tick : 0);
	metric(&o, "shadowcast_next_tick", "gauge", "The tick the primary simulates next.",
	       atomic_load(&s->next_tick));
	metric(&o, "shadowcast_ticks_late_total", "counter", "Ticks that started after their deadline.",
	       atomic_load(&s->ticks_late));
	metric(&o, "shadowcast_inputs_applied_total", "counter", "Input events the primary applied.",
	       atomic_load(&s->inputs_applied));
	/* the game's sound (session/shm/audio_ring.h) */
	metric(&o, "shadowcast_audio_ticks_written_total", "counter",
	       "Ticks whose sound the primary wrote to the audio ring.", atomic_load(&s->audio_ticks_written));
	metric(&o, "shadowcast_audio_ticks_dropped_total", "counter",
	       "Ticks whose sound found the audio ring full (the encoder process was not reading).",
	       atomic_load(&s->audio_ticks_dropped));
	metric(&o, "shadowcast_audio_packets_encoded_total", "counter", "Opus packets the encoder process made.",
	       atomic_load(&s->audio_packets_encoded));
	metric(&o, "shadowcast_inputs_logged_total", "counter",
	       "Input events the encoder process wrote to the input log.",
	       atomic_load(&e->inputs_logged));
	metric(&o, "shadowcast_input_log_full_total", "counter",
	       "Input events refused because the input log was full (primary stalled).",
	       atomic_load(&e->input_log_full));
	put(&o, "# HELP shadowcast_score Goals per team.\n# TYPE shadowcast_score gauge\n"
	        "shadowcast_score{team=\"0\"} %u\nshadowcast_score{team=\"1\"} %u\n",
	    state_ok ? g.hdr.score0 : 0, state_ok ? g.hdr.score1 : 0);
	if (st->arena) {
		sc_arena_stats(st->arena, &as);
		metric(&o, "shadowcast_arena_pool_bytes", "gauge", "Bytes in the arena's buddy pool.",
		       as.pool_size);
		metric(&o, "shadowcast_arena_free_bytes", "gauge", "Free bytes in the arena's pool.",
		       as.free_bytes);
		metric(&o, "shadowcast_arena_procs", "gauge", "Processes registered in the arena.", as.procs);
		metric(&o, "shadowcast_arena_blocks", "gauge", "Named blocks in the arena.", as.blocks);
		metric(&o, "shadowcast_arena_lock_recoveries_total", "counter",
		       "Arena lock recoveries after a holder died (EOWNERDEAD).", as.lock_recoveries);
		metric(&o, "shadowcast_arena_procs_reaped_total", "counter",
		       "Dead processes reaped from the arena registry.", as.procs_reaped);
		metric(&o, "shadowcast_arena_alloc_fail_total", "counter", "Arena allocations that failed.",
		       as.alloc_fail);
	}
	static const struct {
		const char *name, *help;
		size_t off;
	} ring_counters[] = {
		{"shadowcast_msgs_written_total",
		 "Records written to a typed ring by its producer (the primary; for chat_in the encoder process), "
		 "a restarted primary's start markers included.",
		 offsetof(struct sc_msg_ring_shm, written)},
		{"shadowcast_msgs_dropped_total", "Messages the producer dropped: the ring was full (it never waits).",
		 offsetof(struct sc_msg_ring_shm, dropped)},
		{"shadowcast_msgs_read_total", "Records the consumer read (the encoder process; for chat_in the primary).",
		 offsetof(struct sc_msg_ring_shm, read)},
		{"shadowcast_msgs_rejected_total", "Ring records the consumer rejected (failed the decoder).",
		 offsetof(struct sc_msg_ring_shm, rejected)},
		{"shadowcast_msgs_discarded_total",
		 "Messages a restarted encoder process found unread and discarded (their clients left with its "
		 "predecessor).", offsetof(struct sc_msg_ring_shm, discarded)},
		{"shadowcast_msgs_blocks_written_total",
		 "Records the producer published with an arena payload block (a payload above the ring's record).",
		 offsetof(struct sc_msg_ring_shm, blocks_written)},
		{"shadowcast_msgs_blocks_freed_total",
		 "Payload blocks the consumer took and freed (read, or discarded by a restarted encoder process).",
		 offsetof(struct sc_msg_ring_shm, blocks_freed)},
		{"shadowcast_msgs_blocks_refused_total",
		 "Payload block descriptors the consumer refused: the block went with its dead producer, or the "
		 "descriptor was stale or forged (never freed through).",
		 offsetof(struct sc_msg_ring_shm, blocks_refused)},
	};
	for (size_t c = 0; st->rings && c < sizeof(ring_counters) / sizeof(ring_counters[0]); c++) {
		put(&o, "# HELP %s %s\n# TYPE %s counter\n", ring_counters[c].name, ring_counters[c].help,
		    ring_counters[c].name);
		for (unsigned i = 0; i < st->n_rings; i++) {
			const _Atomic uint64_t *v =
				(const _Atomic uint64_t *)((const char *)st->rings[i].shm + ring_counters[c].off);
			put(&o, "%s{ring=\"%s\"} %llu\n", ring_counters[c].name, st->ring_names[i],
			    (unsigned long long)atomic_load(v));
		}
	}
	if (o.overflow && o.used == 0)
		return 0;
	return o.used;
}

size_t sc_encoder_state_json(struct sc_session_shm *s, const struct sc_game_state *shown, uint32_t tick,
                             char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	static const struct sc_game_state none;
	const struct sc_game_state *g = shown ? shown : &none;

	if (len == 0)
		return 0;
	uint32_t n = g->hdr.n_players <= SC_MAX_PLAYERS ? g->hdr.n_players : SC_MAX_PLAYERS;
	put(&o, "{\"valid\":%s,\"tick\":%u,\"next_tick\":%u,\"frame_generation\":%llu,"
	        "\"score\":[%u,%u],\"goals\":%u,\"world\":{\"w\":%d,\"h\":%d,\"unit\":256},"
	        "\"puck\":{\"x\":%d,\"y\":%d,\"vx\":%d,\"vy\":%d},\"players\":[",
	    shown ? "true" : "false", shown ? tick : 0, atomic_load(&s->next_tick),
	    (unsigned long long)atomic_load(&s->frame_generation), g->hdr.score0, g->hdr.score1,
	    g->hdr.goals, SC_WORLD_W, SC_WORLD_H, g->puck.x, g->puck.y, g->puck.vx, g->puck.vy);
	for (uint32_t i = 0; i < n; i++) {
		const struct sc_game_player *p = &g->players[i];
		put(&o, "%s{\"x\":%d,\"y\":%d,\"vx\":%d,\"vy\":%d,\"team\":%u,\"shield\":%s}",
		    i ? "," : "", p->x, p->y, p->vx, p->vy, p->team, (p->flags & 1) ? "true" : "false");
	}
	put(&o, "]}\n");
	return o.overflow ? 0 : o.used;
}
