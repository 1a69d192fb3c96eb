/* A 16-bit PCM WAV file written as it goes: open, append samples, close
 * (which fills in the sizes). Little-endian RIFF/WAVE, one fmt and one data
 * chunk. */
#ifndef SC_UTIL_WAV_WRITE_H
#define SC_UTIL_WAV_WRITE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sc_wav_writer {
	FILE *f;
	uint32_t rate, channels;
	uint64_t frames; /* samples per channel written */
	bool failed;
};

/* false (logged) if path cannot be created. */
bool sc_wav_open(struct sc_wav_writer *w, const char *path, uint32_t rate, uint32_t channels);
/* n samples per channel, interleaved. */
void sc_wav_append(struct sc_wav_writer *w, const int16_t *pcm, uint32_t n);
/* Writes the sizes and closes; false if any write failed. NULL f ok. */
bool sc_wav_close(struct sc_wav_writer *w);

#endif
