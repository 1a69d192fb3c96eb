/* Opus (libopus) encoding of the game's sound: see audio_opus.h. */
#include "net/encoder/audio_opus.h"

#include <opus.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct sc_audio_encoder {
	OpusEncoder *opus;
	uint32_t channels;
	uint32_t frame;       /* samples per channel per packet */
	uint32_t lookahead;
	int16_t *fifo;        /* frame * channels */
	uint32_t fill;        /* samples per channel in fifo */
	struct sc_audio_packet_meta head; /* meta of fifo[0] */
	bool have_next;
	uint64_t next_pos;    /* position the next chunk must start at */
	struct sc_audio_encoder_stats stats;
};

static bool opus_ok(int r, const char *what)
{
	if (r == OPUS_OK)
		return true;
	sc_err("opus: %s: %s", what, opus_strerror(r));
	return false;
}

struct sc_audio_encoder *sc_audio_encoder_create(const struct sc_audio_encoder_config *cfg)
{
	if ((cfg->channels != 1 && cfg->channels != 2) || (cfg->frame_ms != 10 && cfg->frame_ms != 20) ||
	    cfg->bitrate_bps < 6000 || cfg->bitrate_bps > 510000) {
		sc_err("opus: bad configuration: %u channels, %u ms frames, %u b/s (1 or 2, 10 or 20, 6000..510000)",
		       cfg->channels, cfg->frame_ms, cfg->bitrate_bps);
		return NULL;
	}
	struct sc_audio_encoder *enc = calloc(1, sizeof(*enc));
	if (!enc)
		return NULL;
	enc->channels = cfg->channels;
	enc->frame = SC_AUDIO_OPUS_RATE / 1000 * cfg->frame_ms;
	int err = 0;
	enc->opus = opus_encoder_create(SC_AUDIO_OPUS_RATE, (int)cfg->channels, OPUS_APPLICATION_RESTRICTED_LOWDELAY,
	                                &err);
	if (!enc->opus || !opus_ok(err, "opus_encoder_create"))
		goto err;
	opus_int32 la = 0;
	if (!opus_ok(opus_encoder_ctl(enc->opus, OPUS_SET_BITRATE((opus_int32)cfg->bitrate_bps)), "OPUS_SET_BITRATE") ||
	    !opus_ok(opus_encoder_ctl(enc->opus, OPUS_SET_VBR(0)), "OPUS_SET_VBR") ||
	    !opus_ok(opus_encoder_ctl(enc->opus, OPUS_SET_COMPLEXITY(5)), "OPUS_SET_COMPLEXITY") ||
	    !opus_ok(opus_encoder_ctl(enc->opus, OPUS_GET_LOOKAHEAD(&la)), "OPUS_GET_LOOKAHEAD"))
		goto err;
	enc->lookahead = la > 0 ? (uint32_t)la : 0;
	if (!(enc->fifo = calloc((size_t)enc->frame * enc->channels, sizeof(int16_t))))
		goto err;
	return enc;
err:
	sc_audio_encoder_destroy(enc);
	return NULL;
}

void sc_audio_encoder_destroy(struct sc_audio_encoder *enc)
{
	if (!enc)
		return;
	if (enc->opus)
		opus_encoder_destroy(enc->opus);
	free(enc->fifo);
	free(enc);
}

static bool emit(struct sc_audio_encoder *enc, sc_audio_packet_fn fn, void *ud)
{
	uint8_t out[SC_AUDIO_OPUS_MAX_PACKET];
	opus_int32 n = opus_encode(enc->opus, enc->fifo, (int)enc->frame, out, (opus_int32)sizeof(out));
	enc->fill = 0;
	if (n < 0) {
		enc->stats.errors++;
		sc_warn("opus: opus_encode: %s (packet at sample %llu lost)", opus_strerror(n),
		        (unsigned long long)enc->head.sample_pos);
		return false;
	}
	enc->head.samples = enc->frame;
	enc->head.packet_number = ++enc->stats.packets;
	enc->stats.bytes += (uint64_t)n;
	if (fn)
		fn(ud, &enc->head, out, (size_t)n);
	return true;
}

bool sc_audio_encoder_push(struct sc_audio_encoder *enc, const int16_t *pcm, uint32_t n, uint64_t pos,
                           uint32_t tick, uint64_t capture_ns, sc_audio_packet_fn fn, void *ud)
{
	if (enc->have_next && pos != enc->next_pos) {
		/* a gap or a new stream: what is buffered belongs to the old one */
		enc->stats.discontinuities++;
		enc->fill = 0;
		opus_encoder_ctl(enc->opus, OPUS_RESET_STATE);
	}
	enc->have_next = true;
	enc->next_pos = pos + n;
	enc->stats.samples_in += n;
	bool ok = true;
	uint32_t i = 0;
	while (i < n) {
		if (enc->fill == 0)
			enc->head = (struct sc_audio_packet_meta){.tick = tick, .sample_pos = pos + i,
			                                          .capture_ns = capture_ns};
		uint32_t take = enc->frame - enc->fill;
		if (take > n - i)
			take = n - i;
		memcpy(enc->fifo + (size_t)enc->fill * enc->channels, pcm + (size_t)i * enc->channels,
		       (size_t)take * enc->channels * sizeof(int16_t));
		enc->fill += take;
		i += take;
		if (enc->fill == enc->frame && !emit(enc, fn, ud))
			ok = false;
	}
	return ok;
}

uint32_t sc_audio_encoder_lookahead(const struct sc_audio_encoder *enc)
{
	return enc->lookahead;
}

void sc_audio_encoder_stats(const struct sc_audio_encoder *enc, struct sc_audio_encoder_stats *out)
{
	*out = enc->stats;
}
