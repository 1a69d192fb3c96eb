/* The shadow's last seconds of the game's sound: every tick it runs in the
 * follow loop leaves its PCM here (a ring of `seconds` of 48 kHz samples),
 * with the tick's audio hash and the primary's hash of the same tick (its
 * tick record). A capture writes the window as audio.wav and
 * audio_ticks.txt (docs/captures.md). */
#ifndef SC_SHADOW_AUDIO_WINDOW_H
#define SC_SHADOW_AUDIO_WINDOW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sc_audio_tick {
	uint32_t tick, n_samples;
	uint64_t pos;            /* sample position of its first sample */
	uint32_t hash, primary_hash;
};

struct sc_audio_window {
	int16_t *pcm;            /* ring of cap_samples */
	size_t cap_samples;
	uint64_t written;        /* samples pushed so far */
	struct sc_audio_tick *ticks; /* ring of cap_ticks */
	size_t cap_ticks, n_ticks, next_tick;
	uint64_t mismatches;     /* ticks whose hash differed from the primary's */
};

bool sc_audio_window_init(struct sc_audio_window *w, uint32_t seconds, uint32_t fps);
void sc_audio_window_finish(struct sc_audio_window *w);
/* A tick whose sound does not follow the last one (a restore) starts the window afresh. */
void sc_audio_window_push(struct sc_audio_window *w, const struct sc_audio_tick *t, const int16_t *pcm);
/* dir/audio.wav (the window's whole ticks, oldest first) and dir/audio_ticks.txt. */
bool sc_audio_window_write(const struct sc_audio_window *w, const char *dir);

#endif
