#include "util/wav_write.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void header(uint8_t h[44], uint32_t rate, uint32_t channels, uint64_t frames)
{
	uint64_t data = frames * channels * 2;
	if (data > UINT32_MAX - 36)
		data = UINT32_MAX - 36;
	memcpy(h, "RIFF", 4);
	le32(h + 4, (uint32_t)(36 + data));
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1); /* PCM */
	le16(h + 22, (uint16_t)channels);
	le32(h + 24, rate);
	le32(h + 28, rate * channels * 2);
	le16(h + 32, (uint16_t)(channels * 2));
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, (uint32_t)data);
}

bool sc_wav_open(struct sc_wav_writer *w, const char *path, uint32_t rate, uint32_t channels)
{
	*w = (struct sc_wav_writer){.rate = rate, .channels = channels};
	if (!(w->f = fopen(path, "wb"))) {
		sc_err("%s: %s", path, strerror(errno));
		return false;
	}
	uint8_t h[44];
	header(h, rate, channels, 0);
	w->failed = fwrite(h, 1, sizeof(h), w->f) != sizeof(h);
	return true;
}

void sc_wav_append(struct sc_wav_writer *w, const int16_t *pcm, uint32_t n)
{
	if (!w->f || !n)
		return;
	/* s16 little-endian on disk, whatever the host */
	uint8_t buf[4096];
	size_t total = (size_t)n * w->channels, done = 0;
	while (done < total) {
		size_t k = total - done < sizeof(buf) / 2 ? total - done : sizeof(buf) / 2;
		for (size_t i = 0; i < k; i++)
			le16(buf + 2 * i, (uint16_t)pcm[done + i]);
		if (fwrite(buf, 2, k, w->f) != k)
			w->failed = true;
		done += k;
	}
	w->frames += n;
}

bool sc_wav_close(struct sc_wav_writer *w)
{
	if (!w->f)
		return !w->failed;
	uint8_t h[44];
	header(h, w->rate, w->channels, w->frames);
	if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
		w->failed = true;
	if (fclose(w->f) != 0)
		w->failed = true;
	w->f = NULL;
	return !w->failed;
}
