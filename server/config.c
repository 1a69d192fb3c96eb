/* `shadowcast run` options: one table drives getopt, the config file and
 * --print-config, so the three never disagree. */
#include "server/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game.h"
#include "net/ws/ws_origin.h"
#include "session/session.h"
#include "server/web_root.h"
#include "util/parse.h"

/* getopt_long answers '?' (63) and ':' (58) for errors: the ids start above
 * any character, so that no option ever reads as one */
enum opt_id {
	OPT_CONFIG = 256, OPT_LISTEN, OPT_SIZE, OPT_FPS, OPT_PARTICLES, OPT_PLAYERS, OPT_SEED,
	OPT_FRAME_SLOTS, OPT_DEVICE, OPT_ENCODER, OPT_VAAPI_DEVICE, OPT_BITRATE, OPT_IDR_INTERVAL,
	OPT_MAX_CLIENTS, OPT_WEB_ROOT, OPT_SHADOW, OPT_NO_SHADOW, OPT_SHADOW_DEVICE, OPT_DELAY,
	OPT_HANG_TIMEOUT, OPT_ON_FAULT, OPT_CAPTURES, OPT_INPUTS, OPT_MAX_MESSAGE, OPT_CLIENT_RATE, OPT_CLIENT_QUEUE, OPT_CLIENT_SNDBUF, OPT_API_TOKEN, OPT_API_TOKEN_FILE, OPT_PLAYER_TOKEN_FILE, OPT_SPECTATOR_TOKEN_FILE, OPT_CAPTURES_QUOTA, OPT_TLS_CERT, OPT_TLS_KEY, OPT_ALLOW_ORIGIN, OPT_DESYNC, OPT_RESTORE, OPT_SHADOW_SLOT,
	OPT_LOG_CAPACITY, OPT_SHADOW_BACKLOG, OPT_CRASH_LOOP, OPT_TEST_ENCODE_HOLD, OPT_TEST_SCRIPT_FEED_DELAY, OPT_TEST_DETECT_LATE, OPT_TEST_SLOW_FIRST_SUBMIT, OPT_TEST_PAYLOAD_BLOCKS, OPT_FOLLOW,
	OPT_PRINT_CONFIG, OPT_HELP, OPT_AUDIO, OPT_NO_AUDIO, OPT_AUDIO_BITRATE, OPT_IO_URING,
	OPT_SAMPLE_EVERY, OPT_CONDITION, OPT_PROFILE, OPT_PROFILE_MAX, OPT_SAMPLE_RETENTION, OPT_EVENT_RETENTION, OPT_FEED_QUEUE, OPT_SAMPLE_WINDOW,
	OPT_SESSION_NAME,
};

/* Who an option is for. `run --help` lists the user's options, then the
 * test suite's under their own heading; the supervisor's options for its
 * children are not in the help, not config file keys, and `run` refuses them
 * (only `__child` takes them). docs/configuration.md lists all of them. */
enum opt_audience { FOR_USER, FOR_TESTS, FOR_CHILDREN, FOR_NOBODY /* removed: refused with the reason */ };

struct opt_desc {
	const char *name;
	int id;
	const char *arg; /* NULL: takes no value, command line only */
	const char *help;
	enum opt_audience audience;
};

static const struct opt_desc opt_table[] = {
	{"config", OPT_CONFIG, "FILE", "read options from FILE (key = value lines)", FOR_USER},
	{"listen", OPT_LISTEN, "ADDR:PORT", "HTTP/WebSocket address (default 127.0.0.1:8080, this machine only; 0.0.0.0:8080 or [::]:8080 for the network; port 0 = any)", FOR_USER},
	{"size", OPT_SIZE, "WxH", "frame size, width a multiple of 16, height of 8 (default 1280x720)", FOR_USER},
	{"fps", OPT_FPS, "N", "tick and frame rate, 1..240 (default 60)", FOR_USER},
	{"particles", OPT_PARTICLES, "N", "particle count, 0..4000000 (default 20000)", FOR_USER},
	{"players", OPT_PLAYERS, "N", "players, 2..8 (default 2)", FOR_USER},
	{"seed", OPT_SEED, "S", "game seed (default 1)", FOR_USER},
	{"frame-slots", OPT_FRAME_SLOTS, "N", "frame slots between primary and encoder, 3..8 (default 4)", FOR_USER},
	{"device", OPT_DEVICE, "SPEC", "Vulkan device: auto | INDEX | NAME-SUBSTRING | UUID (default auto)", FOR_USER},
	{"encoder", OPT_ENCODER, "KIND", "auto | vaapi | x264 (default auto)", FOR_USER},
	{"vaapi-device", OPT_VAAPI_DEVICE, "PATH", "VA-API render node (default: the first /dev/dri/renderD*)", FOR_USER},
	{"bitrate", OPT_BITRATE, "KBPS", "video bitrate in kbit/s, 100..200000 (default 6000)", FOR_USER},
	{"idr-interval", OPT_IDR_INTERVAL, "N", "a keyframe every N frames, 0 = on join and request only (default 0)", FOR_USER},
	{"max-message-bytes", OPT_MAX_MESSAGE, "N", "largest client message, 256..65536 bytes (default 1024): a bigger one closes the client (4413)", FOR_USER},
	{"client-rate", OPT_CLIENT_RATE, "N", "client messages per second, sustained and burst, 1..10000 (default 120): more closes the client (4429)", FOR_USER},
	{"client-queue-kib", OPT_CLIENT_QUEUE, "KIB", "video queued per client before its older frames are dropped, 64..65536 KiB (default 2048)", FOR_USER},
	{"client-sndbuf-kib", OPT_CLIENT_SNDBUF, "KIB", "kernel send buffer (SO_SNDBUF) of each client socket, 4..16384 KiB (default 256)", FOR_USER},
	{"io-uring", OPT_IO_URING, "on|off", "write each frame to all waiting clients in one io_uring submission where the kernel allows io_uring; off: one send per client (default on)", FOR_USER},
	{"tls-cert", OPT_TLS_CERT, "FILE", "serve https/wss with this PEM certificate (chain); needs --tls-key", FOR_USER},
	{"tls-key", OPT_TLS_KEY, "FILE", "the PEM private key of --tls-cert", FOR_USER},
	{"allow-origin", OPT_ALLOW_ORIGIN, "LIST", "pages of these origins may open the WebSocket too, comma-separated scheme://host[:port] (default: the page's own origin only)", FOR_USER},
	{"max-clients", OPT_MAX_CLIENTS, "N", "WebSocket clients, 1..1024 (default 32)", FOR_USER},
	{"web-root", OPT_WEB_ROOT, "DIR", "player page directory (default $SHADOWCAST_WEB_ROOT, else share/shadowcast/web beside the installed binary, else the source tree's web/ for the build tree's binary)", FOR_USER},
	{"audio", OPT_AUDIO, "on|off", "send the game's sound to clients that ask for it, Opus (default on)", FOR_USER},
	{"no-audio", OPT_NO_AUDIO, NULL, "same as --audio off", FOR_USER},
	{"audio-bitrate", OPT_AUDIO_BITRATE, "KBPS", "Opus bitrate in kbit/s, 6..510 (default 64)", FOR_USER},
	{"sample-every", OPT_SAMPLE_EVERY, "N", "profiling samples: every Nth tick, 1 = every tick, 0 = off (default 1)",
	 FOR_USER},
	{"condition", OPT_CONDITION, "'NAME: METRIC OP VALUE'",
	 "a target condition on the primary's samples, e.g. 'slow: frame_time_ms > 20'; repeat for more, at most 16 "
	 "(docs/profiling.md)", FOR_USER},
	{"profile", OPT_PROFILE, "FILE",
	 "write every profiling sample (primary and shadows), encode times, condition hits, incidents and per-client "
	 "figures to FILE, replaced at start (docs/profile-format.md; `shadowcast profile FILE` summarises it)",
	 FOR_USER},
	{"profile-max-mib", OPT_PROFILE_MAX, "MIB",
	 "the profile file's size limit, 1..65536 MiB: records past it are dropped and counted (default 256)", FOR_USER},
	{"sample-retention", OPT_SAMPLE_RETENTION, "N", "profiling samples the server keeps per instance for the debug API, 64..1048576, 104 bytes each (default 3600: a minute at 60 ticks/s)", FOR_USER},
	{"sample-window", OPT_SAMPLE_WINDOW, "B:A", "retain only the samples from B ticks before to A ticks after a condition hit (B 0..3600, A 0..1000000), the rest read and discarded; off: every sample (default off)", FOR_USER},
	{"feed-queue", OPT_FEED_QUEUE, "N", "samples queued per sample-feed subscriber before its oldest are dropped, 16..65536, about 120 bytes each (default 4096)", FOR_USER},
	{"event-retention", OPT_EVENT_RETENTION, "N", "events the session's event track keeps, 16..1048576, the oldest dropped first (default 4096)", FOR_USER},
	{"session-name", OPT_SESSION_NAME, "NAME", "the session label of every /metrics series, 1..63 of [A-Za-z0-9._:@/-] and [ ] (IPv6 addresses) (default: the listen address, ADDR:PORT)", FOR_USER},
	{"shadow", OPT_SHADOW, "on|off", "run the delayed shadow instance (default on)", FOR_USER},
	{"no-shadow", OPT_NO_SHADOW, NULL, "same as --shadow off", FOR_USER},
	{"shadow-device", OPT_SHADOW_DEVICE, "SPEC", "Vulkan device of the shadow (default: as --device)", FOR_USER},
	{"delay", OPT_DELAY, "D", "shadow delay: 500ms, 2s or 90t (ticks) (default 1s)", FOR_USER},
	{"hang-timeout", OPT_HANG_TIMEOUT, "MS", "a tick not finished by then is a hang, 50..60000 (default 500)", FOR_USER},
	{"on-fault", OPT_ON_FAULT, "WHAT", "restore | restart | stop (default restore)", FOR_USER},
	{"captures", OPT_CAPTURES, "DIR", "where the shadow writes captures (default ./captures)", FOR_USER},
	{"captures-quota", OPT_CAPTURES_QUOTA, "MIB", "disk space for all captures, 16..1048576 MiB: before a capture is written the oldest are removed until it fits; never one a paused shadow holds (default 2048)", FOR_USER},
	{"inputs", OPT_INPUTS, "FILE", "scripted inputs (docs/inputs.md) fed into the game as if from a client", FOR_USER},
	{"api-token-file", OPT_API_TOKEN_FILE, "FILE", "read the debug API's bearer token (at least 16 characters) from FILE (default $SHADOWCAST_API_TOKEN, else generated and printed at start)", FOR_USER},
	{"api-token", OPT_API_TOKEN, "TOKEN", "", FOR_NOBODY},
	{"player-token-file", OPT_PLAYER_TOKEN_FILE, "FILE", "joining as a player needs the token in FILE (default $SHADOWCAST_PLAYER_TOKEN, else open)", FOR_USER},
	{"spectator-token-file", OPT_SPECTATOR_TOKEN_FILE, "FILE", "spectating needs the token in FILE (or the player token) (default $SHADOWCAST_SPECTATOR_TOKEN, else open)", FOR_USER},
	{"log-capacity", OPT_LOG_CAPACITY, "N", "records in the shared input and tick logs, a power of two 64..1048576 (default 8192)", FOR_USER},
	{"shadow-backlog", OPT_SHADOW_BACKLOG, "MIB", "memory a shadow may use for ticks it has not run yet (a developer pause), 1..65536 MiB (default 256, many hours)", FOR_USER},
	{"crash-loop", OPT_CRASH_LOOP, "N", "this many incidents within 60 s are a crash loop: no more captures or restores until it calms down, 2..1000 (default 5)", FOR_USER},
	{"desync-shadow", OPT_DESYNC, "TICK", "the shadow alters its state at TICK (divergence check)", FOR_TESTS},
	{"test-encode-hold-ms", OPT_TEST_ENCODE_HOLD, "MS", "the encoder holds each frame slot MS ms longer", FOR_TESTS},
	{"test-script-feed-delay-ms", OPT_TEST_SCRIPT_FEED_DELAY, "MS",
	 "the encoder feeds the --inputs script MS ms after each frame wakes it (a slow encoder)", FOR_TESTS},
	{"test-detect-late", OPT_TEST_DETECT_LATE, "K", "the primary reports a shader-record or validation fault K ticks late, publishing the ticks between", FOR_TESTS},
	{"test-payload-blocks", OPT_TEST_PAYLOAD_BLOCKS, "0|1", "1: the primary sends every outbound message that has a payload through an arena payload block, whatever its size (session/shm/msg_ring.h)", FOR_TESTS},
	{"test-slow-first-submit", OPT_TEST_SLOW_FIRST_SUBMIT, "MS", "a GPU submission using a pipeline for the first time finishes MS ms later, as on a driver that compiles shaders at first use", FOR_TESTS},
	{"restore", OPT_RESTORE, "FILE", "start the primary or shadow from this state snapshot", FOR_CHILDREN},
	{"follow-checkpoint", OPT_FOLLOW, NULL, "the shadow starts from the primary's latest checkpoint", FOR_CHILDREN},
	{"shadow-slot", OPT_SHADOW_SLOT, "N", "the shadow's status block, 0 or 1", FOR_CHILDREN},
	{"print-config", OPT_PRINT_CONFIG, NULL, "print the effective configuration as a config file and exit", FOR_USER},
	{"help", OPT_HELP, NULL, "this help", FOR_USER},
};
#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

void sc_run_config_defaults(struct sc_run_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen_addr, sizeof(cfg->listen_addr), "127.0.0.1"); /* secure default: loopback */
	cfg->port = 8080;
	const char *web = getenv("SHADOWCAST_WEB_ROOT");
	if (web && *web)
		snprintf(cfg->web_root, sizeof(cfg->web_root), "%s", web);
	/* else "": found after parsing when no option names one (find_web_root) */
	cfg->max_clients = 32;
	cfg->max_message_bytes = 1024;
	cfg->client_rate = 120;
	cfg->client_queue_kib = 2048;
	cfg->client_sndbuf_kib = 256;
	cfg->width = 1280;
	cfg->height = 720;
	cfg->fps = 60;
	cfg->particles = 20000;
	cfg->players = 2;
	cfg->seed = 1;
	cfg->frame_slots = 4;
	snprintf(cfg->device, sizeof(cfg->device), "auto");
	cfg->encoder = SC_ENCODER_AUTO;
	cfg->bitrate_kbps = 6000;
	cfg->idr_interval = 0;
	cfg->shadow = true;
	cfg->audio = true;
	cfg->io_uring = true;
	cfg->audio_bitrate_kbps = 64;
	cfg->sample_every = 1;
	cfg->profile_max_mib = 256;
	cfg->sample_retention = 3600;
	cfg->feed_queue = 4096;
	cfg->event_retention = 4096;
	cfg->delay_ms = 1000;
	cfg->hang_timeout_ms = 500;
	cfg->on_fault = SC_ON_FAULT_RESTORE;
	snprintf(cfg->capture_root, sizeof(cfg->capture_root), "captures");
	cfg->captures_quota_mib = 2048;
	cfg->restart_backoff_ms = 200;
	cfg->restart_backoff_max_ms = 5000;
	cfg->arena_mib = 64;
	cfg->log_capacity = SC_LOG_CAPACITY_DEFAULT;
	cfg->shadow_backlog_mib = 256;
	cfg->crash_loop_incidents = 5;
}

void sc_run_config_game(const struct sc_run_config *cfg, struct sc_game_config *gc)
{
	sc_game_config_defaults(gc);
	gc->width = cfg->width;
	gc->height = cfg->height;
	gc->particles = cfg->particles;
	gc->players = cfg->players;
	gc->seed = cfg->seed;
	gc->frame_slots = cfg->frame_slots;
	gc->hang_timeout_ms = cfg->hang_timeout_ms;
	gc->fps = cfg->fps;
	gc->test_slow_first_submit_ms = cfg->test_slow_first_submit_ms;
}

static const char *encoder_kind_name(enum sc_encoder_kind k)
{
	return k == SC_ENCODER_VAAPI ? "vaapi" : k == SC_ENCODER_X264 ? "x264" : "auto";
}

/* "1.2.3.4:80", "[::1]:80". */
static const char *parse_listen(struct sc_run_config *cfg, const char *v)
{
	char addr[sizeof(cfg->listen_addr)];
	const char *port;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return "expected [IPV6]:PORT";
		if ((size_t)(close - v - 1) >= sizeof(addr))
			return "address too long";
		memcpy(addr, v + 1, (size_t)(close - v - 1));
		addr[close - v - 1] = 0;
		port = close + 2;
		struct in6_addr a6;
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			return "not an IPv6 address";
	} else {
		const char *colon = strrchr(v, ':');
		if (!colon)
			return "expected ADDR:PORT";
		if (strchr(v, ':') != colon)
			return "an IPv6 address needs brackets: [ADDR]:PORT";
		if ((size_t)(colon - v) >= sizeof(addr))
			return "address too long";
		memcpy(addr, v, (size_t)(colon - v));
		addr[colon - v] = 0;
		port = colon + 1;
		struct in_addr a4;
		if (inet_pton(AF_INET, addr, &a4) != 1)
			return "not an IPv4 address";
	}
	uint32_t p;
	if (!sc_parse_u32(port, 0, 65535, &p))
		return "port must be 0..65535";
	memcpy(cfg->listen_addr, addr, sizeof(addr));
	cfg->port = (uint16_t)p;
	return NULL;
}

static const char *parse_frame_size(struct sc_run_config *cfg, const char *v)
{
	struct sc_game_config g;
	sc_game_config_defaults(&g);
	if (!sc_parse_size(v, &g.width, &g.height))
		return "expected WIDTHxHEIGHT";
	const char *bad = sc_game_config_check(&g);
	if (bad)
		return bad;
	if (g.width % 16 != 0 || g.height % 8 != 0)
		return "the encoder needs a width that is a multiple of 16 and a height that is a multiple of 8";
	cfg->width = g.width;
	cfg->height = g.height;
	return NULL;
}

static const char *copy_str(char *dst, size_t cap, const char *v)
{
	if (!*v)
		return "empty value";
	if (strlen(v) >= cap)
		return "too long";
	memcpy(dst, v, strlen(v) + 1);
	return NULL;
}

/* "500ms", "2s", "90t" */
static const char *parse_delay(struct sc_run_config *cfg, const char *v)
{
	char num[16];
	size_t n = strspn(v, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return "expected a number with a unit: 500ms, 2s or 90t";
	memcpy(num, v, n);
	num[n] = 0;
	uint32_t x;
	if (!sc_parse_u32(num, 1, 3600000, &x))
		return "out of range";
	const char *unit = v + n;
	if (strcmp(unit, "ms") == 0 && x <= 600000) {
		cfg->delay_ms = x;
		cfg->delay_ticks = 0;
	} else if (strcmp(unit, "s") == 0 && x <= 600) {
		cfg->delay_ms = x * 1000;
		cfg->delay_ticks = 0;
	} else if (strcmp(unit, "t") == 0 && x <= 36000) {
		cfg->delay_ms = 0;
		cfg->delay_ticks = x;
	} else {
		return "expected ms (up to 600000), s (up to 600) or t (ticks, up to 36000)";
	}
	return NULL;
}

#define U32(field, lo, hi, why) (sc_parse_u32(v, lo, hi, &cfg->field) ? NULL : why)

/* Applies one option's value; NULL or why it is bad. */
/* One more target condition; a repeated name or a 17th is refused. */
static const char *add_condition(struct sc_run_config *cfg, const char *v)
{
	struct sc_condition c;
	const char *why = sc_condition_parse(v, &c);
	if (why)
		return why;
	for (uint32_t i = 0; i < cfg->n_conditions; i++)
		if (strcmp(cfg->conditions[i].name, c.name) == 0)
			return "a condition of that name is already set";
	if (cfg->n_conditions >= SC_MAX_CONDITIONS)
		return "at most 16 conditions";
	cfg->conditions[cfg->n_conditions++] = c;
	return NULL;
}

static const char *set_option(struct sc_run_config *cfg, int id, const char *v)
{
	switch (id) {
	case OPT_LISTEN: return parse_listen(cfg, v);
	case OPT_SIZE: return parse_frame_size(cfg, v);
	case OPT_FPS: return U32(fps, 1, 240, "must be 1..240");
	case OPT_PARTICLES: return U32(particles, 0, 4000000, "must be 0..4000000");
	case OPT_PLAYERS: return U32(players, 2, SC_MAX_PLAYERS, "must be 2..8");
	case OPT_SEED: return U32(seed, 0, UINT32_MAX, "must be 0..4294967295");
	/* the encoder's slot, the mailbox's and the one being rendered */
	case OPT_FRAME_SLOTS: return U32(frame_slots, 3, SC_MAX_FRAME_SLOTS, "must be 3..8");
	case OPT_DEVICE: return copy_str(cfg->device, sizeof(cfg->device), v);
	case OPT_ENCODER:
		if (strcmp(v, "auto") == 0)
			cfg->encoder = SC_ENCODER_AUTO;
		else if (strcmp(v, "vaapi") == 0)
			cfg->encoder = SC_ENCODER_VAAPI;
		else if (strcmp(v, "x264") == 0)
			cfg->encoder = SC_ENCODER_X264;
		else
			return "must be auto, vaapi or x264";
		return NULL;
	case OPT_VAAPI_DEVICE: return copy_str(cfg->vaapi_device, sizeof(cfg->vaapi_device), v);
	case OPT_BITRATE: return U32(bitrate_kbps, 100, 200000, "must be 100..200000 (kbit/s)");
	case OPT_IDR_INTERVAL: return U32(idr_interval, 0, 100000, "must be 0..100000 (frames)");
	case OPT_MAX_CLIENTS: return U32(max_clients, 1, 1024, "must be 1..1024");
	case OPT_MAX_MESSAGE: return U32(max_message_bytes, 256, 65536, "must be 256..65536 (bytes)");
	case OPT_CLIENT_RATE: return U32(client_rate, 1, 10000, "must be 1..10000 (messages per second)");
	case OPT_CLIENT_QUEUE: return U32(client_queue_kib, 64, 65536, "must be 64..65536 (KiB)");
	case OPT_CLIENT_SNDBUF: return U32(client_sndbuf_kib, 4, 16384, "must be 4..16384 (KiB)");
	case OPT_WEB_ROOT: return copy_str(cfg->web_root, sizeof(cfg->web_root), v);
	case OPT_SHADOW:
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return "must be on or off";
		cfg->shadow = strcmp(v, "on") == 0;
		return NULL;
	case OPT_IO_URING:
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return "must be on or off";
		cfg->io_uring = strcmp(v, "on") == 0;
		return NULL;
	case OPT_AUDIO:
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return "must be on or off";
		cfg->audio = strcmp(v, "on") == 0;
		return NULL;
	case OPT_AUDIO_BITRATE: return U32(audio_bitrate_kbps, 6, 510, "must be 6..510 (kbit/s)");
	case OPT_SAMPLE_EVERY: return U32(sample_every, 0, 100000, "must be 0..100000 (ticks; 0 = off)");
	case OPT_CONDITION: return add_condition(cfg, v);
	case OPT_PROFILE: return copy_str(cfg->profile, sizeof(cfg->profile), v);
	case OPT_PROFILE_MAX: return U32(profile_max_mib, 1, 65536, "must be 1..65536 (MiB)");
	case OPT_SAMPLE_RETENTION: return U32(sample_retention, 64, 1u << 20, "must be 64..1048576 (samples per instance)");
	case OPT_EVENT_RETENTION: return U32(event_retention, 16, 1u << 20, "must be 16..1048576 (events)");
	case OPT_SAMPLE_WINDOW: {
		if (strcmp(v, "off") == 0) {
			cfg->sample_window = false;
			return NULL;
		}
		const char *colon = strchr(v, ':');
		char before[16];
		size_t n = colon ? (size_t)(colon - v) : 0;
		if (!colon || n == 0 || n >= sizeof(before))
			return "must be BEFORE:AFTER (ticks) or off";
		memcpy(before, v, n);
		before[n] = '\0';
		if (!sc_parse_u32(before, 0, 3600, &cfg->sample_window_before) ||
		    !sc_parse_u32(colon + 1, 0, 1000000, &cfg->sample_window_after))
			return "must be BEFORE:AFTER with BEFORE 0..3600 and AFTER 0..1000000 (ticks), or off";
		cfg->sample_window = true;
		return NULL;
	}
	case OPT_FEED_QUEUE: return U32(feed_queue, 16, 65536, "must be 16..65536 (samples per feed subscriber)");
	case OPT_SESSION_NAME: {
		size_t n = strlen(v);
		if (n == 0 || n > 63 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@/-[]") != n)
			return "1..63 of A-Z a-z 0-9 . _ : @ / - [ ]";
		memcpy(cfg->session_name, v, n + 1);
		return NULL;
	}
	case OPT_SHADOW_DEVICE: return copy_str(cfg->shadow_device, sizeof(cfg->shadow_device), v);
	case OPT_DELAY: return parse_delay(cfg, v);
	case OPT_HANG_TIMEOUT: return U32(hang_timeout_ms, 50, 60000, "must be 50..60000 (ms)");
	case OPT_ON_FAULT:
		if (strcmp(v, "restore") == 0)
			cfg->on_fault = SC_ON_FAULT_RESTORE;
		else if (strcmp(v, "restart") == 0)
			cfg->on_fault = SC_ON_FAULT_RESTART;
		else if (strcmp(v, "stop") == 0)
			cfg->on_fault = SC_ON_FAULT_STOP;
		else
			return "must be restore, restart or stop";
		return NULL;
	case OPT_CAPTURES: return copy_str(cfg->capture_root, sizeof(cfg->capture_root), v);
	case OPT_INPUTS: return copy_str(cfg->inputs, sizeof(cfg->inputs), v);
	case OPT_CAPTURES_QUOTA: return U32(captures_quota_mib, 16, 1u << 20, "must be 16..1048576 (MiB)");
	case OPT_API_TOKEN:
		/* every local user can read a command line (/proc/PID/cmdline) */
		return "a token on the command line is readable by every local user; put it in a file "
		       "(--api-token-file FILE, mode 0600) or in $" SC_API_TOKEN_ENV;
	case OPT_API_TOKEN_FILE: return copy_str(cfg->api_token_file, sizeof(cfg->api_token_file), v);
	case OPT_PLAYER_TOKEN_FILE: return copy_str(cfg->player_token_file, sizeof(cfg->player_token_file), v);
	case OPT_SPECTATOR_TOKEN_FILE: return copy_str(cfg->spectator_token_file, sizeof(cfg->spectator_token_file), v);
	case OPT_TLS_CERT: return copy_str(cfg->tls_cert, sizeof(cfg->tls_cert), v);
	case OPT_TLS_KEY: return copy_str(cfg->tls_key, sizeof(cfg->tls_key), v);
	case OPT_ALLOW_ORIGIN: {
		const char *why = sc_ws_origin_list_problem(v);
		return why ? why : copy_str(cfg->allow_origins, sizeof(cfg->allow_origins), v);
	}
	case OPT_DESYNC: return U32(desync_tick, 1, UINT32_MAX, "must be a tick > 0");
	case OPT_RESTORE: return copy_str(cfg->restore, sizeof(cfg->restore), v);
	case OPT_SHADOW_SLOT: return U32(shadow_slot, 0, 1, "must be 0 or 1");
	case OPT_LOG_CAPACITY:
		if (!sc_parse_u32(v, 64, 1u << 20, &cfg->log_capacity) || (cfg->log_capacity & (cfg->log_capacity - 1)))
			return "must be a power of two, 64..1048576";
		return NULL;
	case OPT_SHADOW_BACKLOG: return U32(shadow_backlog_mib, 1, 65536, "must be 1..65536 (MiB)");
	case OPT_CRASH_LOOP: return U32(crash_loop_incidents, 2, 1000, "must be 2..1000");
	case OPT_TEST_ENCODE_HOLD: return U32(test_encode_hold_ms, 0, 10000, "must be 0..10000 (ms)");
	case OPT_TEST_SCRIPT_FEED_DELAY: return U32(test_script_feed_delay_ms, 0, 999, "must be 0..999 (ms)");
	case OPT_TEST_DETECT_LATE: return U32(test_detect_late, 0, 100000, "must be 0..100000 (ticks)");
	case OPT_TEST_SLOW_FIRST_SUBMIT: return U32(test_slow_first_submit_ms, 0, 600000, "must be 0..600000 (ms)");
	case OPT_TEST_PAYLOAD_BLOCKS: return U32(test_payload_blocks, 0, 1, "must be 0 or 1");
	}
	return "not a settable option";
}

static const struct opt_desc *find_opt(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strcmp(opt_table[i].name, name) == 0)
			return &opt_table[i];
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Reports "FILE:LINE: message" for every bad line; false if there was one.
 *
 * Hand-written on purpose, after looking at Debian's libinih: the format is
 * flat `key = value` lines whose keys are exactly the long options (the same
 * table drives getopt, this reader and --print-config), and an operator gets
 * every bad line at once with its reason. inih stops at the first error by
 * default, treats ';' as a comment and has sections we do not use; wrapping it
 * would keep all of the checks below and add a dependency for the 20 lines
 * that split a line at '='. Revisit if the file grows sections. */
static bool load_file(struct sc_run_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = true;
	char line[4096];
	unsigned lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
			fprintf(stderr, "%s:%u: line too long (at most %zu bytes)\n", path, lineno, sizeof(line) - 2);
			ok = false;
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		/* a comment: '#' at the start or after a blank */
		for (char *p = line; *p; p++) {
			if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
				*p = 0;
				break;
			}
		}
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "%s:%u: expected 'key = value'\n", path, lineno);
			ok = false;
			continue;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		const struct opt_desc *o = find_opt(key);
		if (!o || !o->arg || o->audience == FOR_CHILDREN) { /* FOR_NOBODY: set_option says why */
			fprintf(stderr, "%s:%u: unknown key '%s'\n", path, lineno, key);
			ok = false;
			continue;
		}
		if (o->id == OPT_CONFIG) {
			fprintf(stderr, "%s:%u: 'config' cannot be used inside a config file\n", path, lineno);
			ok = false;
			continue;
		}
		if (!*val) {
			fprintf(stderr, "%s:%u: %s needs a value\n", path, lineno, key);
			ok = false;
			continue;
		}
		const char *why = set_option(cfg, o->id, val);
		if (why && o->id == OPT_API_TOKEN) { /* the value is a secret: not echoed */
			fprintf(stderr, "%s:%u: api-token is not taken: %s\n", path, lineno, why);
			ok = false;
		} else if (why) {
			fprintf(stderr, "%s:%u: bad value '%s' for %s: %s\n", path, lineno, val, key, why);
			ok = false;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		ok = false;
	}
	fclose(f);
	return ok;
}

static void print_options(FILE *out, enum opt_audience audience)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (opt_table[i].audience != audience)
			continue;
		char left[48];
		snprintf(left, sizeof(left), "--%s%s%s", opt_table[i].name, opt_table[i].arg ? " " : "",
		         opt_table[i].arg ? opt_table[i].arg : "");
		fprintf(out, "  %-24s %s\n", left, opt_table[i].help);
	}
}

void sc_run_config_usage(FILE *out)
{
	fprintf(out, "usage: shadowcast run [options]\n"
	             "Starts the supervisor, the encoder process and the primary instance, and\n"
	             "prints the URL to open. Options (also 'key = value' lines in --config FILE;\n"
	             "the command line overrides the file):\n");
	print_options(out, FOR_USER);
	fprintf(out, "Testing only (the test suite uses these to provoke faults and races; not for a\n"
	             "real session):\n");
	print_options(out, FOR_TESTS);
}

void sc_run_config_write(FILE *out, const struct sc_run_config *cfg)
{
	bool v6 = strchr(cfg->listen_addr, ':') != NULL;
	fprintf(out, "listen = %s%s%s:%u\n", v6 ? "[" : "", cfg->listen_addr, v6 ? "]" : "", cfg->port);
	fprintf(out, "size = %ux%u\n", cfg->width, cfg->height);
	fprintf(out, "fps = %u\nparticles = %u\nplayers = %u\nseed = %u\nframe-slots = %u\n", cfg->fps,
	        cfg->particles, cfg->players, cfg->seed, cfg->frame_slots);
	fprintf(out, "device = %s\nencoder = %s\n", cfg->device, encoder_kind_name(cfg->encoder));
	if (cfg->vaapi_device[0])
		fprintf(out, "vaapi-device = %s\n", cfg->vaapi_device);
	fprintf(out, "bitrate = %u\nidr-interval = %u\nmax-clients = %u\nweb-root = %s\n", cfg->bitrate_kbps,
	        cfg->idr_interval, cfg->max_clients, cfg->web_root);
	fprintf(out, "max-message-bytes = %u\nclient-rate = %u\nclient-queue-kib = %u\nclient-sndbuf-kib = %u\n",
	        cfg->max_message_bytes, cfg->client_rate, cfg->client_queue_kib, cfg->client_sndbuf_kib);
	fprintf(out, "io-uring = %s\n", cfg->io_uring ? "on" : "off");
	static const char *const on_fault[] = {"restore", "restart", "stop"};
	fprintf(out, "audio = %s\naudio-bitrate = %u\n", cfg->audio ? "on" : "off", cfg->audio_bitrate_kbps);
	fprintf(out, "sample-every = %u\nsample-retention = %u\nevent-retention = %u\nfeed-queue = %u\n", cfg->sample_every,
	        cfg->sample_retention, cfg->event_retention, cfg->feed_queue);
	if (cfg->sample_window)
		fprintf(out, "sample-window = %u:%u\n", cfg->sample_window_before, cfg->sample_window_after);
	else
		fprintf(out, "sample-window = off\n");
	if (cfg->session_name[0])
		fprintf(out, "session-name = %s\n", cfg->session_name);
	for (uint32_t i = 0; i < cfg->n_conditions; i++)
		fprintf(out, "condition = %s: %s%s\n", cfg->conditions[i].name, cfg->conditions[i].text,
		        cfg->conditions[i].capture ? " capture" : "");
	if (cfg->profile[0])
		fprintf(out, "profile = %s\n", cfg->profile);
	fprintf(out, "profile-max-mib = %u\n", cfg->profile_max_mib);
	fprintf(out, "shadow = %s\n", cfg->shadow ? "on" : "off");
	if (cfg->shadow_device[0])
		fprintf(out, "shadow-device = %s\n", cfg->shadow_device);
	if (cfg->delay_ms)
		fprintf(out, "delay = %ums\n", cfg->delay_ms);
	else
		fprintf(out, "delay = %ut\n", cfg->delay_ticks);
	fprintf(out, "hang-timeout = %u\non-fault = %s\ncaptures = %s\ncaptures-quota = %u\n", cfg->hang_timeout_ms,
	        on_fault[cfg->on_fault], cfg->capture_root, cfg->captures_quota_mib);
	if (cfg->inputs[0])
		fprintf(out, "inputs = %s\n", cfg->inputs);
	if (cfg->tls_cert[0])
		fprintf(out, "tls-cert = %s\ntls-key = %s\n", cfg->tls_cert, cfg->tls_key);
	if (cfg->allow_origins[0])
		fprintf(out, "allow-origin = %s\n", cfg->allow_origins);
	if (cfg->api_token_file[0]) /* never a token itself */
		fprintf(out, "api-token-file = %s\n", cfg->api_token_file);
	if (cfg->player_token_file[0])
		fprintf(out, "player-token-file = %s\n", cfg->player_token_file);
	if (cfg->spectator_token_file[0])
		fprintf(out, "spectator-token-file = %s\n", cfg->spectator_token_file);
	fprintf(out, "log-capacity = %u\nshadow-backlog = %u\ncrash-loop = %u\n", cfg->log_capacity,
	        cfg->shadow_backlog_mib, cfg->crash_loop_incidents);
}

/* The delay in ticks. No minimum follows from the hang timeout: the primary
 * publishes a tick's record only after the tick completed, so however long a
 * hang takes to be noticed, the shadow cannot pass the tick that hung. The
 * delay is what protects against detection that arrives after later ticks
 * were published (docs/captures.md "Late detection"): a fault found K ticks
 * late is held before its offending input when K <= delay_ticks. */
static bool finish_shadow_config(struct sc_run_config *cfg, const char *prog)
{
	(void)prog;
	if (cfg->delay_ms)
		cfg->delay_ticks = (uint32_t)(((uint64_t)cfg->delay_ms * cfg->fps + 999) / 1000);
	return true;
}

/* No --web-root and no $SHADOWCAST_WEB_ROOT: the installed web files, or the
 * source tree's for the build tree's binary (server/web_root.h). */
static bool find_web_root(struct sc_run_config *cfg, const char *prog)
{
	if (cfg->web_root[0])
		return true;
	char tried[1024];
	if (sc_web_root_find(cfg->web_root, sizeof(cfg->web_root), tried, sizeof(tried)))
		return true;
	fprintf(stderr, "shadowcast %s: no player page found; looked in: %s. Give --web-root DIR or set "
	        "SHADOWCAST_WEB_ROOT (the web/ folder of the source tree, or share/shadowcast/web where "
	        "shadowcast is installed)\n", prog, tried);
	return false;
}

bool sc_run_config_parse(struct sc_run_config *cfg, int argc, char **argv, bool child)
{
	struct option longopts[N_OPTS + 1];
	size_t n_long = 0;
	for (size_t i = 0; i < N_OPTS; i++)
		if (child || opt_table[i].audience != FOR_CHILDREN)
			longopts[n_long++] = (struct option){opt_table[i].name,
			                                     opt_table[i].arg ? required_argument : no_argument,
			                                     NULL, opt_table[i].id};
	longopts[n_long] = (struct option){0, 0, 0, 0};
	const char *prog = argc > 0 ? argv[0] : "run";

	/* pass 1: --config, wherever it is */
	const char *config = NULL;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		if (c == OPT_CONFIG)
			config = optarg;
	if (config && !load_file(cfg, config))
		return false;

	/* pass 2: everything else, in order, over the file */
	bool print = false;
	opterr = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG: continue;
		case OPT_HELP: sc_run_config_usage(stdout); exit(0);
		case OPT_PRINT_CONFIG: print = true; continue;
		case OPT_NO_SHADOW: cfg->shadow = false; continue;
		case OPT_NO_AUDIO: cfg->audio = false; continue;
		case OPT_FOLLOW: cfg->follow_checkpoint = true; continue;
		case '?':
		case ':':
			fprintf(stderr, "shadowcast %s: see 'shadowcast %s --help'\n", prog, prog);
			return false;
		}
		const char *why = set_option(cfg, c, optarg);
		if (why && c == OPT_API_TOKEN) { /* the value is a secret: not echoed */
			fprintf(stderr, "shadowcast %s: --api-token is not taken: %s\n", prog, why);
			return false;
		}
		if (why) {
			for (size_t i = 0; i < N_OPTS; i++)
				if (opt_table[i].id == c)
					fprintf(stderr, "shadowcast %s: bad value '%s' for --%s: %s\n", prog, optarg,
					        opt_table[i].name, why);
			return false;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shadowcast %s: unexpected argument '%s'\n", prog, argv[optind]);
		return false;
	}
	if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
		fprintf(stderr, "shadowcast %s: TLS needs both --tls-cert and --tls-key\n", prog);
		return false;
	}
	if (!finish_shadow_config(cfg, prog) || !find_web_root(cfg, prog))
		return false;
	if (print) {
		sc_run_config_write(stdout, cfg);
		exit(0);
	}
	return true;
}
