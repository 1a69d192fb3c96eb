/* server/encoder_audio.c, the encoder process's side of the audio ring: the
 * sound goes out in step with the video (before the frame of tick T, every
 * tick up to T and nothing later), and after a new primary (a new frame
 * generation) the ring's stale ticks — ahead of the frame, or long behind it
 * — are dropped, not sent; a jump in sample positions starts a new stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game_audio.h"
#include "server/encoder_audio.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

#define SPT 800

static void put(struct sc_spsc_ring *ring, uint32_t tick)
{
	int16_t pcm[SPT];
	for (int i = 0; i < SPT; i++)
		pcm[i] = (int16_t)((i * 37 + (int)tick) % 2000 - 1000);
	struct sc_audio_chunk c = {.tick = tick, .n_samples = SPT, .sample_pos = (uint64_t)tick * SPT,
	                           .sample_rate = 48000, .channels = 1, .format = SC_AUDIO_FORMAT_S16};
	CHECK(sc_audio_ring_write(ring, &c, pcm, 1000 + tick) == SC_RING_SUCCESS, "write tick %u", tick);
}

static uint64_t encoded(const struct sc_session_shm *s)
{
	return atomic_load(&s->audio_packets_encoded);
}

int main(void)
{
	struct sc_arena *arena = sc_arena_create("test-encoder-audio", 8u << 20);
	struct sc_session_shm *s = calloc(1, sizeof(*s));
	struct sc_spsc_ring prod;
	struct sc_encoder_audio a;
	if (!arena || !s || sc_arena_register(arena, "test") < 0 || !sc_audio_ring_create(arena, &prod) ||
	    !sc_encoder_audio_init(&a, arena, s, 64000)) {
		fprintf(stderr, "set-up failed\n");
		return 1;
	}
	struct sc_ws_audio_info info;
	sc_encoder_audio_info(&a, &info);
	CHECK(info.codec && strcmp(info.codec, "opus") == 0 && info.frame_samples == 960 && info.sample_rate == 48000,
	      "hello's audio info");

	/* a new encoder (generation 1): ticks 0, 1 are more than 2 behind the
	 * first frame (4): stale; 2..4 go out; 5..9 wait for their frames */
	for (uint32_t t = 0; t < 10; t++)
		put(&prod, t);
	sc_encoder_audio_dispatch(&a, 4, 1);
	CHECK(a.stale_dropped == 2, "two stale ticks dropped, got %llu", (unsigned long long)a.stale_dropped);
	CHECK(encoded(s) == 2, "3 ticks = 2400 samples = 2 packets, got %llu", (unsigned long long)encoded(s));
	CHECK(a.have_pending && a.pending.chunk.tick == 5, "tick 5 waits for its frame");
	sc_encoder_audio_dispatch(&a, 4, 1); /* the same frame again: nothing more */
	CHECK(encoded(s) == 2, "nothing ahead of the frame");
	sc_encoder_audio_dispatch(&a, 9, 1);
	CHECK(encoded(s) == 6, "ticks 2..9 = 6400 samples = 6 packets, got %llu", (unsigned long long)encoded(s));

	/* the primary published 10..12 and died; the restored one starts at
	 * tick 8 (a new generation): 10..12 are ahead of its frames, dropped */
	put(&prod, 10);
	put(&prod, 11);
	put(&prod, 12);
	for (uint32_t t = 8; t < 11; t++)
		put(&prod, t);
	uint64_t stale = a.stale_dropped;
	sc_encoder_audio_dispatch(&a, 9, 2);
	CHECK(a.stale_dropped == stale + 3, "the dead primary's ticks 10..12 dropped (%llu)",
	      (unsigned long long)(a.stale_dropped - stale));
	CHECK(a.have_pending && a.pending.chunk.tick == 10, "the new primary's tick 10 waits for its frame");
	struct sc_audio_encoder_stats st;
	sc_audio_encoder_stats(a.enc, &st);
	CHECK(st.discontinuities == 1, "tick 8's position after tick 9's: a new stream (%llu)",
	      (unsigned long long)st.discontinuities);
	CHECK(encoded(s) == 7, "ticks 8, 9 of the new stream: one packet, got %llu", (unsigned long long)encoded(s));

	sc_encoder_audio_finish(&a);
	sc_encoder_audio_finish(&a); /* twice is fine */
	sc_arena_unregister(arena);
	sc_arena_destroy(arena);
	free(s);
	if (failures)
		return 1;
	printf("encoder audio ok\n");
	return 0;
}
