/* `shadowcast run` configuration: command-line options and the config file
 * (docs in README.md "Configuration"). Every process of the session parses the
 * same arguments, so each child sees the same configuration. */
#ifndef SC_SERVER_CONFIG_H
#define SC_SERVER_CONFIG_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "net/encoder/encoder.h"
#include "server/condition.h"

struct sc_run_config {
	/* network (encoder process) */
	char listen_addr[64];      /* "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t port;             /* 0 = ephemeral (the URL line says which) */
	char web_root[512];        /* directory with the player page */
	uint32_t max_clients;
	uint32_t max_message_bytes; /* one client message, 256..65536 */
	uint32_t client_rate;      /* client messages per second (sustained and burst) */
	uint32_t client_queue_kib; /* video queued per client before frames are dropped */
	uint32_t client_sndbuf_kib; /* SO_SNDBUF of each client socket */
	bool io_uring;              /* batched fan-out writes (net/ws/ws_batch.c); --io-uring off */
	char tls_cert[512], tls_key[512]; /* PEM files: https/wss when both are set */
	char allow_origins[1024];  /* other pages' origins that may open /stream, comma-separated */
	/* game (primary) */
	uint32_t width, height;
	uint32_t fps;              /* tick rate = frame rate */
	uint32_t particles;
	uint32_t players;
	uint32_t seed;
	uint32_t frame_slots;
	char device[128];          /* --device SPEC */
	/* encoder */
	enum sc_encoder_kind encoder;
	char vaapi_device[128];    /* "" = first render node */
	uint32_t bitrate_kbps;
	uint32_t idr_interval;     /* frames, 0 = only on request */
	/* the game's sound */
	bool audio;                /* --no-audio turns it off: not written, not encoded, not sent */
	uint32_t audio_bitrate_kbps;
	/* profiling (session/shm/sample.h): each instance samples every Nth tick, 0 = off */
	uint32_t sample_every;
	/* what the encoder keeps for the debug API: samples per instance, events */
	uint32_t sample_retention;
	uint32_t event_retention;
	/* samples queued per sample-feed subscriber (server/feed_queue.h) */
	uint32_t feed_queue;
	/* --sample-window B:A: only samples B ticks before to A after a condition hit retained */
	bool sample_window;
	uint32_t sample_window_before, sample_window_after;
	/* the session label of every /metrics series ("" = the listen address, ADDR:PORT) */
	char session_name[64];
	/* target conditions (server/condition.h): one per `condition` line, in order */
	struct sc_condition conditions[SC_MAX_CONDITIONS];
	uint32_t n_conditions;
	/* session profile (docs/profile-format.md): "" = none */
	char profile[512];
	uint32_t profile_max_mib;  /* the file never grows past this */
	/* shadow tracking */
	bool shadow;               /* --no-shadow turns it off */
	char shadow_device[128];   /* "" = same device spec as the primary */
	uint32_t delay_ms;         /* --delay in ms or s; 0 when given in ticks */
	uint32_t delay_ticks;      /* effective delay in ticks (from either unit) */
	uint32_t hang_timeout_ms;  /* a tick not done by then is a hang */
	enum sc_on_fault { SC_ON_FAULT_RESTORE, SC_ON_FAULT_RESTART, SC_ON_FAULT_STOP } on_fault;
	char capture_root[512];    /* where captures are written */
	uint32_t captures_quota_mib; /* all captures together; the oldest go first */
	char inputs[512];          /* scripted input file the encoder feeds into the input log */
	char api_token[128];       /* bearer token of the debug API, set by the supervisor only
	                            * (sc_run_config_load_token: --api-token-file, else
	                            * $SHADOWCAST_API_TOKEN, else "" = generated); children get it
	                            * over their ipc socket (session_attach.h), never in argv */
	char api_token_file[512];  /* --api-token-file */
	/* role tokens (same rules as api_token; "" = the role is open) */
	char player_token[128], spectator_token[128];
	char player_token_file[512], spectator_token_file[512];
	uint32_t desync_tick;      /* test only: the shadow perturbs its state at this tick (0 = never) */
	char restore[512];         /* internal (children): start the primary or shadow from this snapshot */
	uint32_t shadow_slot;      /* internal (shadow child): 0 = session->shadow, 1 = shadow_alt */
	bool follow_checkpoint;    /* internal (shadow child): start from the primary's checkpoint */
	uint32_t log_capacity;     /* records in the shared input and tick logs */
	uint32_t shadow_backlog_mib; /* a shadow's private backlog of ticks not yet run */
	uint32_t crash_loop_incidents; /* incidents within SC_CRASH_LOOP_WINDOW_S that are a crash loop */
	uint32_t test_encode_hold_ms;  /* test only: the encoder holds each slot this much longer */
	uint32_t test_script_feed_delay_ms; /* test only: the encoder feeds the --inputs script this much after a frame woke it */
	uint32_t test_detect_late;     /* test only: faults the primary finds after a tick are reported this many ticks late */
	uint32_t test_payload_blocks;  /* test only: 1 = the primary sends every message with a payload through a payload block */
	uint32_t test_slow_first_submit_ms; /* test only: first use of a pipeline is this much slower (game config) */
	/* supervisor */
	uint32_t restart_backoff_ms;     /* first restart delay, doubles up to max */
	uint32_t restart_backoff_max_ms;
	uint32_t arena_mib;
};

void sc_run_config_defaults(struct sc_run_config *cfg);

#define SC_API_TOKEN_MIN 16 /* characters; printable ASCII, no blanks */
#define SC_API_TOKEN_ENV "SHADOWCAST_API_TOKEN"
#define SC_PLAYER_TOKEN_ENV "SHADOWCAST_PLAYER_TOKEN"
#define SC_SPECTATOR_TOKEN_ENV "SHADOWCAST_SPECTATOR_TOKEN"
/* The supervisor's tokens: each read from its --X-token-file, else from its
 * environment variable, into cfg (api_token "" when neither is set: the
 * caller generates one; a role token "": the role is open). false with a
 * clear message on stderr for a token that is missing, unreadable, too short
 * or has bad characters. */
bool sc_run_config_load_token(struct sc_run_config *cfg, const char *prog);
/* NULL when token is SC_API_TOKEN_MIN..127 printable, non-blank ASCII
 * characters, else why not. */
const char *sc_api_token_problem(const char *token);

struct sc_game_config;
/* The game configuration both instances (primary and shadow) derive from cfg. */
void sc_run_config_game(const struct sc_run_config *cfg, struct sc_game_config *gc);

/* Parses `run` options (argv[0] is the command name); --config FILE is read
 * first wherever it appears, options on the command line override it. false
 * with a clear message on stderr for a bad option, value or file line, or
 * when no web root is given and none is found (server/web_root.h). child:
 * the parse of a `__child`, which also takes the supervisor's internal
 * options (--restore, --shadow-slot, --follow-checkpoint); `run` refuses them. */
bool sc_run_config_parse(struct sc_run_config *cfg, int argc, char **argv, bool child);

/* `run --help` text (the user's options, then the testing-only ones; never
 * the internal ones); the configuration as a config file (`run --print-config`). */
void sc_run_config_usage(FILE *out);
void sc_run_config_write(FILE *out, const struct sc_run_config *cfg);

#endif
