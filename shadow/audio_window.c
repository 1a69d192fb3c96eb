#include "shadow/audio_window.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game_audio.h"
#include "util/log.h"
#include "util/wav_write.h"

bool sc_audio_window_init(struct sc_audio_window *w, uint32_t seconds, uint32_t fps)
{
	memset(w, 0, sizeof(*w));
	w->cap_samples = (size_t)seconds * SC_AUDIO_RATE;
	w->cap_ticks = (size_t)seconds * fps + 2;
	w->pcm = calloc(w->cap_samples, sizeof(int16_t));
	w->ticks = calloc(w->cap_ticks, sizeof(*w->ticks));
	if (!w->pcm || !w->ticks) {
		sc_audio_window_finish(w);
		return false;
	}
	return true;
}

void sc_audio_window_finish(struct sc_audio_window *w)
{
	free(w->pcm);
	free(w->ticks);
	w->pcm = NULL;
	w->ticks = NULL;
}

static const struct sc_audio_tick *tick_at(const struct sc_audio_window *w, size_t i) /* 0 = oldest */
{
	return &w->ticks[(w->next_tick + w->cap_ticks - w->n_ticks + i) % w->cap_ticks];
}

void sc_audio_window_push(struct sc_audio_window *w, const struct sc_audio_tick *t, const int16_t *pcm)
{
	if (!w->pcm || t->n_samples > w->cap_samples)
		return;
	if (w->n_ticks) {
		const struct sc_audio_tick *last = tick_at(w, w->n_ticks - 1);
		if (last->pos + last->n_samples != t->pos || last->tick + 1 != t->tick)
			w->n_ticks = 0; /* not the next tick: a new stretch */
	}
	for (uint32_t i = 0; i < t->n_samples; i++)
		w->pcm[(w->written + i) % w->cap_samples] = pcm[i];
	w->written += t->n_samples;
	w->ticks[w->next_tick] = *t;
	w->next_tick = (w->next_tick + 1) % w->cap_ticks;
	if (w->n_ticks < w->cap_ticks)
		w->n_ticks++;
	if (t->hash != t->primary_hash)
		w->mismatches++;
	/* drop the oldest ticks whose samples were overwritten */
	uint64_t held = 0;
	size_t keep = 0;
	for (size_t i = w->n_ticks; i-- > 0;) {
		uint64_t n = tick_at(w, i)->n_samples;
		if (held + n > w->cap_samples)
			break;
		held += n;
		keep++;
	}
	w->n_ticks = keep;
}

bool sc_audio_window_write(const struct sc_audio_window *w, const char *dir)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/audio.wav", dir);
	struct sc_wav_writer wav;
	if (!sc_wav_open(&wav, path, SC_AUDIO_RATE, SC_AUDIO_CHANNELS))
		return false;
	uint64_t total = 0;
	for (size_t i = 0; i < w->n_ticks; i++)
		total += tick_at(w, i)->n_samples;
	uint64_t start = w->written - total;
	int16_t buf[4096];
	for (uint64_t done = 0; done < total;) {
		uint32_t k = total - done < 4096 ? (uint32_t)(total - done) : 4096;
		for (uint32_t i = 0; i < k; i++)
			buf[i] = w->pcm[(start + done + i) % w->cap_samples];
		sc_wav_append(&wav, buf, k);
		done += k;
	}
	bool ok = sc_wav_close(&wav);
	snprintf(path, sizeof(path), "%s/audio_ticks.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		sc_err("%s: %s", path, strerror(errno));
		return false;
	}
	fprintf(f, "# shadowcast capture: the sound of the ticks in audio.wav, oldest first (docs/captures.md)\n"
	           "# tick sample_pos n_samples shadow_audio_hash primary_audio_hash\n");
	for (size_t i = 0; i < w->n_ticks; i++) {
		const struct sc_audio_tick *t = tick_at(w, i);
		fprintf(f, "%u %llu %u %08x %08x\n", t->tick, (unsigned long long)t->pos, t->n_samples, t->hash,
		        t->primary_hash);
	}
	if (fclose(f) != 0)
		ok = false;
	return ok;
}
