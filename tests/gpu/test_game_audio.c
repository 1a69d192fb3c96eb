/* The game's sound is deterministic and follows the play: two games fed the
 * same inputs make byte-identical PCM and the same audio hash every tick; a
 * game restored from a snapshot continues with the same sound; the tick of a
 * goal is loud from its first samples while a quiet tick is not; every tick
 * has 48000 / fps samples (and the stream exactly 48000 a second when fps does
 * not divide 48000). Usage: test_game_audio INPUTS (tests/gpu/data/goal.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game.h"
#include "gpu/input_file.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

#define TICKS 240
#define SNAP_AT 100
#define SPT 800 /* samples per tick at 60 fps */

static struct sc_game *make_game(struct sc_vk_device *dev, uint32_t fps)
{
	struct sc_game_config cfg;
	sc_game_config_defaults(&cfg);
	cfg.width = 128;
	cfg.height = 72;
	cfg.particles = 2000;
	cfg.frame_slots = 1;
	cfg.fps = fps;
	cfg.hang_timeout_ms = 60000; /* a loaded CI machine is not a hang */
	return sc_game_create(dev, &cfg);
}

/* One tick of `g` with this tick's inputs from the list. */
static bool tick(struct sc_game *g, const struct sc_input_list *in, size_t *cur, struct sc_tick_result *r)
{
	const struct sc_input_event *evs = NULL;
	uint32_t t = sc_game_next_tick(g);
	size_t n = in->count ? sc_input_list_take(in, cur, t, &evs) : 0;
	return sc_game_tick(g, evs, (uint32_t)n, 0, SC_RENDER_NONE, r) == SC_GAME_OK;
}

static uint64_t energy(const int16_t *s, uint32_t n)
{
	uint64_t e = 0;
	for (uint32_t i = 0; i < n; i++)
		e += (uint64_t)((int64_t)s[i] * s[i]);
	return e;
}

static void test_same_inputs_same_sound(struct sc_vk_device *dev, const struct sc_input_list *in)
{
	struct sc_game *a = make_game(dev, 60), *b = make_game(dev, 60), *c = make_game(dev, 60);
	CHECK(a && b && c, "games created");
	if (!a || !b || !c)
		goto out;
	int16_t *pcm = calloc((size_t)TICKS * SPT, 2);
	uint32_t hashes[TICKS];
	size_t len = sc_game_snapshot_size(a);
	void *snap = malloc(len);
	size_t ca = 0, cb = 0;
	int64_t goal_tick = -1;
	uint32_t goals = 0;
	struct sc_tick_result ra, rb;
	for (uint32_t t = 0; t < TICKS; t++) {
		if (t == SNAP_AT)
			CHECK(sc_game_snapshot(a, snap, len), "snapshot");
		if (!tick(a, in, &ca, &ra) || !tick(b, in, &cb, &rb)) {
			CHECK(false, "tick %u", t);
			break;
		}
		CHECK(ra.audio.n_samples == SPT && rb.audio.n_samples == SPT, "tick %u: %u samples, want %d", t,
		      ra.audio.n_samples, SPT);
		CHECK(ra.audio_pos == (uint64_t)t * SPT, "tick %u starts at sample %llu", t,
		      (unsigned long long)ra.audio_pos);
		CHECK(memcmp(ra.pcm, rb.pcm, SPT * 2) == 0, "tick %u: the two games' PCM differ", t);
		CHECK(ra.audio.hash == rb.audio.hash && ra.hash == rb.hash, "tick %u: hashes differ", t);
		memcpy(pcm + (size_t)t * SPT, ra.pcm, SPT * 2);
		hashes[t] = ra.audio.hash;
		if (ra.state.hdr.goals != goals && goal_tick < 0)
			goal_tick = t;
		goals = ra.state.hdr.goals;
	}
	CHECK(goal_tick > 0, "the scripted match scores a goal");
	if (goal_tick > 0) {
		/* a quiet tick: the kickoff freeze, nothing moving but the bed */
		const int16_t *quiet = pcm + 10 * SPT, *loud = pcm + goal_tick * SPT;
		uint64_t eq = energy(quiet, SPT), eg = energy(loud, SPT);
		printf("goal at tick %lld: energy %llu, quiet tick 10: %llu (x%.0f)\n", (long long)goal_tick,
		       (unsigned long long)eg, (unsigned long long)eq, eq ? (double)eg / (double)eq : 0.0);
		CHECK(eg > 20 * eq, "a goal tick is much louder than a quiet one (%llu vs %llu)",
		      (unsigned long long)eg, (unsigned long long)eq);
		CHECK(eq > 0, "the ambient bed is never silent");
		/* the goal sounds from the tick's first samples: loud within 5 ms */
		uint64_t e5 = energy(loud, 240);
		CHECK(e5 / 240 > 8 * (eq / SPT), "the goal is loud within its tick's first 5 ms");
		/* and the tick before it is not a goal's */
		uint64_t eb = energy(loud - SPT, SPT);
		CHECK(eg > 4 * eb, "the tick before the goal is quieter (%llu vs %llu)", (unsigned long long)eb,
		      (unsigned long long)eg);
	}
	/* a game restored from the snapshot continues with the same sound */
	CHECK(sc_game_restore(c, snap, len), "restore");
	size_t cc = 0;
	const struct sc_input_event *skip;
	for (uint32_t t = 0; t < SNAP_AT; t++)
		sc_input_list_take(in, &cc, t, &skip);
	for (uint32_t t = SNAP_AT; t < TICKS; t++) {
		struct sc_tick_result rc;
		if (!tick(c, in, &cc, &rc)) {
			CHECK(false, "restored tick %u", t);
			break;
		}
		CHECK(rc.audio.hash == hashes[t], "restored game, tick %u: audio hash differs", t);
		CHECK(memcmp(rc.pcm, pcm + (size_t)t * SPT, SPT * 2) == 0, "restored game, tick %u: PCM differs", t);
	}
	free(snap);
	free(pcm);
out:
	sc_game_destroy(a);
	sc_game_destroy(b);
	sc_game_destroy(c);
}

/* 144 fps: 48000 / 144 = 333.33 samples a tick; 333 or 334, 48000 a second. */
static void test_odd_fps(struct sc_vk_device *dev)
{
	struct sc_game *g = make_game(dev, 144);
	CHECK(g != NULL, "game at 144 fps");
	if (!g)
		return;
	struct sc_input_list none = {0};
	size_t cur = 0;
	uint64_t total = 0;
	for (uint32_t t = 0; t < 144; t++) {
		struct sc_tick_result r;
		if (!tick(g, &none, &cur, &r)) {
			CHECK(false, "tick %u", t);
			break;
		}
		CHECK(r.audio.n_samples == 333 || r.audio.n_samples == 334, "tick %u: %u samples", t, r.audio.n_samples);
		CHECK(r.audio_pos == total, "tick %u starts at %llu, want %llu", t, (unsigned long long)r.audio_pos,
		      (unsigned long long)total);
		total += r.audio.n_samples;
	}
	CHECK(total == 48000, "144 ticks at 144 fps make %llu samples, want 48000", (unsigned long long)total);
	sc_game_destroy(g);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_game_audio INPUTS\n");
		return 2;
	}
	struct sc_input_list in = {0};
	if (!sc_input_list_load(&in, argv[1]))
		return 1;
	struct sc_vk_device *dev = sc_vk_device_create("auto");
	if (!dev)
		return 1;
	test_same_inputs_same_sound(dev, &in);
	test_odd_fps(dev);
	sc_vk_device_destroy(dev);
	sc_input_list_finish(&in);
	if (failures)
		return 1;
	printf("game audio ok\n");
	return 0;
}
