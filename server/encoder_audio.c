#include "server/encoder_audio.h"

#include <stdlib.h>
#include <string.h>

#include "gpu/game_audio.h"
#include "util/log.h"

/* the largest record: 1 fps, 48000 mono samples */
#define RECORD_MAX (sizeof(struct sc_msg_header) + sizeof(struct sc_audio_chunk) + SC_AUDIO_MAX_SAMPLES * 2 * 2)

bool sc_encoder_audio_init(struct sc_encoder_audio *a, struct sc_arena *arena, struct sc_session_shm *session,
                           uint32_t bitrate_bps)
{
	memset(a, 0, sizeof(*a));
	a->session = session;
	struct sc_audio_encoder_config ec = {
		.channels = SC_AUDIO_CHANNELS, .frame_ms = SC_ENCODER_AUDIO_FRAME_MS, .bitrate_bps = bitrate_bps,
	};
	a->buf_len = (uint32_t)RECORD_MAX;
	if (!sc_audio_ring_attach(arena, &a->ring) || !(a->buf = aligned_alloc(8, RECORD_MAX)) ||
	    !(a->enc = sc_audio_encoder_create(&ec))) {
		sc_encoder_audio_finish(a);
		return false;
	}
	sc_info("audio: Opus %u kb/s, %u ms packets, restricted low delay, %u samples lookahead", bitrate_bps / 1000,
	        SC_ENCODER_AUDIO_FRAME_MS, sc_audio_encoder_lookahead(a->enc));
	return true;
}

void sc_encoder_audio_finish(struct sc_encoder_audio *a)
{
	sc_audio_encoder_destroy(a->enc);
	free(a->buf);
	a->enc = NULL;
	a->buf = NULL;
}

void sc_encoder_audio_set_server(struct sc_encoder_audio *a, struct sc_ws_server *ws)
{
	a->ws = ws;
}

void sc_encoder_audio_info(const struct sc_encoder_audio *a, struct sc_ws_audio_info *out)
{
	*out = (struct sc_ws_audio_info){0};
	if (!a->enc)
		return;
	*out = (struct sc_ws_audio_info){
		.codec = "opus",
		.sample_rate = SC_AUDIO_RATE,
		.channels = SC_AUDIO_CHANNELS,
		.frame_samples = SC_AUDIO_RATE / 1000 * SC_ENCODER_AUDIO_FRAME_MS,
		.lookahead_samples = sc_audio_encoder_lookahead(a->enc),
	};
}

static void on_packet(void *ud, const struct sc_audio_packet_meta *m, const uint8_t *data, size_t len)
{
	struct sc_encoder_audio *a = ud;
	atomic_fetch_add(&a->session->audio_packets_encoded, 1);
	struct sc_audio_meta meta = {
		.tick = m->tick,
		.sample_pos = m->sample_pos,
		.capture_ns = m->capture_ns,
		.packet_number = m->packet_number,
		.sample_rate = SC_AUDIO_RATE,
		.channels = SC_AUDIO_CHANNELS,
		.samples = (uint16_t)m->samples,
	};
	if (a->ws)
		sc_ws_server_publish_audio(a->ws, &meta, data, len);
}

void sc_encoder_audio_dispatch(struct sc_encoder_audio *a, uint32_t tick, uint64_t generation)
{
	if (!a->enc)
		return;
	if (generation != a->generation) {
		/* a new primary (or this process is new): what the ring holds may be
		 * a dead primary's ticks, ahead of or long behind this frame */
		a->generation = generation;
		a->resync = true;
	}
	/* bounded: at most what the ring can hold */
	for (uint32_t i = 0; i < SC_AUDIO_RING_CAPACITY / 64; i++) {
		if (!a->have_pending) {
			enum sc_ring_result r = sc_audio_ring_read(&a->ring, a->buf, a->buf_len, &a->pending);
			if (r == SC_RING_EMPTY)
				return;
			if (r != SC_RING_SUCCESS) {
				if (a->corrupt++ == 0)
					sc_warn("audio: bad record in the audio ring (%s): skipped", sc_ring_result_str(r));
				continue;
			}
			a->have_pending = true;
		}
		const struct sc_audio_record *rec = &a->pending;
		bool ahead = rec->chunk.tick > tick;
		if (ahead && !a->resync)
			return; /* the sound of a frame not taken yet: it goes with that frame */
		if (a->resync && (ahead || (uint64_t)rec->chunk.tick + SC_ENCODER_AUDIO_RESYNC_TICKS < tick)) {
			a->stale_dropped++;
			a->have_pending = false;
			continue;
		}
		a->resync = false;
		sc_audio_encoder_push(a->enc, rec->pcm, rec->chunk.n_samples, rec->chunk.sample_pos, rec->chunk.tick,
		                      rec->hdr.timestamp_ns, on_packet, a);
		a->have_pending = false;
	}
}
