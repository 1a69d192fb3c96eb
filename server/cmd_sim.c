/* `shadowcast sim`: one headless game instance, no network. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu/game.h"
#include "gpu/input_file.h"
#include "gpu/state_fields.h"
#include "server/commands.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/png_write.h"
#include "util/stats.h"
#include "util/wav_write.h"

struct sim_options {
	uint32_t ticks;
	const char *inputs;
	const char *hash_log;
	const char *trace;
	const char *state_log;
	const char *dump_dir;
	uint32_t every;
	const char *device;
	const char *audio, *audio_log;
	struct sc_game_config game;
};

static void sim_usage(FILE *out)
{
	fprintf(out,
		"usage: shadowcast sim --ticks N [options]\n"
		"  --ticks N            ticks to simulate (required)\n"
		"  --inputs FILE        input events (docs/inputs.md)\n"
		"  --seed S             game seed (default 1)\n"
		"  --players N          2..8 (default 2)\n"
		"  --hash-log FILE      one line per tick: tick and state hash in hex\n"
		"  --trace FILE         one line per tick: score, puck and player positions\n"
		"  --state-log FILE     a header naming every state word, then per tick: tick, hash, every word (hex)\n"
		"  --dump-frames DIR    write frame PNGs (frame-TICK.png)\n"
		"  --every K            with --dump-frames: every K ticks (default 60)\n"
		"  --size WxH           frame size (default 1280x720)\n"
		"  --particles N        particle count (default 20000)\n"
		"  --fps N              tick rate: a tick's sound is 48000/N samples (default 60)\n"
		"  --audio FILE         the game's sound, 48 kHz mono s16, as a WAV file\n"
		"  --audio-log FILE     one line per tick: tick, sample position, samples, audio hash, peak\n"
		"  --device SPEC        auto | INDEX | NAME-SUBSTRING | UUID (default auto)\n"
		"  --hang-timeout MS    a tick not finished by then is a hang, 10..600000 (default 2000)\n"
		"testing only:\n"
		"  --test-slow-first-submit MS  a GPU submission using a pipeline for the first time\n"
		"                       finishes MS ms later, as on a driver compiling shaders at first use\n");
}

static bool parse_sim_args(int argc, char **argv, struct sim_options *o)
{
	static const struct option opts[] = {
		{"ticks", required_argument, 0, 't'}, {"inputs", required_argument, 0, 'i'},
		{"seed", required_argument, 0, 's'}, {"players", required_argument, 0, 'p'},
		{"hash-log", required_argument, 0, 'H'}, {"trace", required_argument, 0, 'T'},
		{"state-log", required_argument, 0, 'X'},
		{"dump-frames", required_argument, 0, 'd'}, {"every", required_argument, 0, 'e'},
		{"size", required_argument, 0, 'z'}, {"particles", required_argument, 0, 'n'},
		{"device", required_argument, 0, 'D'}, {"help", no_argument, 0, 'h'},
		{"fps", required_argument, 0, 'f'}, {"audio", required_argument, 0, 'A'},
		{"audio-log", required_argument, 0, 'L'}, {"hang-timeout", required_argument, 0, 'w'},
		{"test-slow-first-submit", required_argument, 0, 'S'}, {0, 0, 0, 0},
	};
	memset(o, 0, sizeof(*o));
	sc_game_config_defaults(&o->game);
	o->game.frame_slots = 1;
	o->every = 60;
	o->device = "auto";
	bool have_ticks = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 't': ok = have_ticks = sc_parse_u32(optarg, 1, 100000000, &o->ticks); break;
		case 'i': o->inputs = optarg; break;
		case 's': ok = sc_parse_u32(optarg, 0, UINT32_MAX, &o->game.seed); break;
		case 'p': ok = sc_parse_u32(optarg, 2, SC_MAX_PLAYERS, &o->game.players); break;
		case 'H': o->hash_log = optarg; break;
		case 'T': o->trace = optarg; break;
		case 'X': o->state_log = optarg; break;
		case 'd': o->dump_dir = optarg; break;
		case 'e': ok = sc_parse_u32(optarg, 1, UINT32_MAX, &o->every); break;
		case 'z': ok = sc_parse_size(optarg, &o->game.width, &o->game.height); break;
		case 'n': ok = sc_parse_u32(optarg, 0, 4000000, &o->game.particles); break;
		case 'D': o->device = optarg; break;
		case 'f': ok = sc_parse_u32(optarg, 1, 1000, &o->game.fps); break;
		case 'A': o->audio = optarg; break;
		case 'L': o->audio_log = optarg; break;
		case 'w': ok = sc_parse_u32(optarg, 10, 600000, &o->game.hang_timeout_ms); break;
		case 'S': ok = sc_parse_u32(optarg, 0, 600000, &o->game.test_slow_first_submit_ms); break;
		case 'h': sim_usage(stdout); exit(0);
		default: sim_usage(stderr); return false;
		}
		if (!ok) {
			for (const struct option *opt = opts; opt->name; opt++)
				if (opt->val == c)
					fprintf(stderr, "shadowcast sim: bad value '%s' for --%s\n", optarg, opt->name);
			return false;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shadowcast sim: unexpected argument '%s'\n", argv[optind]);
		return false;
	}
	if (!have_ticks) {
		fprintf(stderr, "shadowcast sim: --ticks N is required\n");
		sim_usage(stderr);
		return false;
	}
	const char *bad = sc_game_config_check(&o->game);
	if (bad) {
		fprintf(stderr, "shadowcast sim: %s\n", bad);
		return false;
	}
	return true;
}

static void write_trace_line(FILE *f, const struct sc_tick_result *r)
{
	const struct sc_game_state *s = &r->state;
	fprintf(f, "%u score %u %u puck %d %d %d %d players", r->tick, s->hdr.score0, s->hdr.score1,
	        s->puck.x, s->puck.y, s->puck.vx, s->puck.vy);
	for (uint32_t p = 0; p < s->hdr.n_players && p < SC_MAX_PLAYERS; p++)
		fprintf(f, " %d %d", s->players[p].x, s->players[p].y);
	fprintf(f, " bounces %u touches %u\n", s->hdr.wall_bounces, s->hdr.touches);
}

static bool dump_frame(const char *dir, struct sc_game *game, uint32_t tick)
{
	const struct sc_frame_layout *l = sc_game_frame_layout(game);
	char path[4096];
	snprintf(path, sizeof(path), "%s/frame-%06u.png", dir, tick);
	return sc_png_write_rgba(path, sc_game_frame(game, 0) + l->rgba_offset, l->width, l->height,
	                         l->width * 4);
}

static FILE *open_out(const char *path)
{
	if (!path)
		return NULL;
	FILE *f = fopen(path, "w");
	if (!f)
		sc_err("%s: %s", path, strerror(errno));
	return f;
}

int sc_cmd_sim(int argc, char **argv)
{
	struct sim_options o;
	if (!parse_sim_args(argc, argv, &o))
		return 2;

	int rc = 1;
	struct sc_input_list inputs = {0};
	struct sc_vk_device *dev = NULL;
	struct sc_game *game = NULL;
	FILE *hash_log = NULL, *trace = NULL, *audio_log = NULL, *state_log = NULL;
	struct sc_wav_writer wav = {0};
	double *gpu_ms = calloc(o.ticks, sizeof(double));
	if (!gpu_ms)
		goto out;
	if (o.inputs && !sc_input_list_load(&inputs, o.inputs)) {
		rc = 2;
		goto out;
	}
	if (o.dump_dir && mkdir(o.dump_dir, 0755) != 0 && errno != EEXIST) {
		sc_err("%s: %s", o.dump_dir, strerror(errno));
		goto out;
	}
	if ((o.hash_log && !(hash_log = open_out(o.hash_log))) || (o.trace && !(trace = open_out(o.trace))) ||
	    (o.audio_log && !(audio_log = open_out(o.audio_log))) ||
	    (o.state_log && !(state_log = open_out(o.state_log))) ||
	    (o.audio && !sc_wav_open(&wav, o.audio, SC_AUDIO_RATE, SC_AUDIO_CHANNELS)))
		goto out;
	if (state_log)
		sc_state_fields_header(state_log);
	if (!(dev = sc_vk_device_create(o.device)))
		goto out;
	if (!(game = sc_game_create(dev, &o.game)))
		goto out;

	size_t cursor = 0;
	struct sc_tick_result res;
	for (uint32_t t = 0; t < o.ticks; t++) {
		const struct sc_input_event *ev;
		size_t n = sc_input_list_take(&inputs, &cursor, t, &ev);
		if (n > SC_MAX_INPUTS_PER_TICK) {
			sc_err("%s: tick %u has %zu inputs, at most %d per tick", o.inputs, t, n,
			       SC_MAX_INPUTS_PER_TICK);
			rc = 2;
			goto out;
		}
		bool dump = o.dump_dir && (t % o.every == 0 || t + 1 == o.ticks);
		enum sc_game_error e = sc_game_tick(game, ev, (uint32_t)n, 0, dump ? SC_RENDER_RGBA : 0, &res);
		if (e == SC_GAME_TIMEOUT) {
			/* a hung GPU: its thread never returns, so nothing can be torn
			 * down (exit would wait for it); the logs up to here are kept */
			if ((hash_log && fflush(hash_log) != 0) || (trace && fflush(trace) != 0) ||
			    (state_log && fflush(state_log) != 0))
				sc_err("flushing the logs: %s", strerror(errno));
			_exit(1);
		}
		if (e != SC_GAME_OK)
			goto out;
		gpu_ms[t] = res.gpu_ms;
		if (hash_log)
			fprintf(hash_log, "%u %016llx\n", res.tick, (unsigned long long)res.hash);
		if (trace)
			write_trace_line(trace, &res);
		if (audio_log)
			fprintf(audio_log, "%u %llu %u %08x %u\n", res.tick, (unsigned long long)res.audio_pos,
			        res.audio.n_samples, res.audio.hash, res.audio.peak);
		sc_wav_append(&wav, res.pcm, res.audio.n_samples);
		if (state_log)
			sc_state_fields_line(state_log, res.tick, res.hash, &res.state);
		if (dump && !dump_frame(o.dump_dir, game, t))
			goto out;
	}
	printf("simulated %u ticks at %ux%u, %u particles, %u players on %s\n", o.ticks, o.game.width,
	       o.game.height, o.game.particles, o.game.players, dev->info.name);
	printf("final tick %u hash %016llx score %u:%u (goals %u, wall bounces %u, touches %u)\n", res.tick,
	       (unsigned long long)res.hash, res.state.hdr.score0, res.state.hdr.score1, res.state.hdr.goals,
	       res.state.hdr.wall_bounces, res.state.hdr.touches);
	double p50 = sc_percentile(gpu_ms, o.ticks, 50), p99 = sc_percentile(gpu_ms, o.ticks, 99);
	printf("GPU ms per tick: p50 %.3f p99 %.3f\n", p50, p99);
	rc = 0;
out:
	if (hash_log && fclose(hash_log) != 0) {
		sc_err("%s: %s", o.hash_log, strerror(errno));
		rc = 1;
	}
	if (trace && fclose(trace) != 0) {
		sc_err("%s: %s", o.trace, strerror(errno));
		rc = 1;
	}
	if (state_log && fclose(state_log) != 0) {
		sc_err("%s: %s", o.state_log, strerror(errno));
		rc = 1;
	}
	if (audio_log && fclose(audio_log) != 0) {
		sc_err("%s: %s", o.audio_log, strerror(errno));
		rc = 1;
	}
	if (!sc_wav_close(&wav)) {
		sc_err("%s: write failed", o.audio);
		rc = 1;
	}
	sc_game_destroy(game);
	sc_vk_device_destroy(dev);
	sc_input_list_finish(&inputs);
	free(gpu_ms);
	return rc;
}
