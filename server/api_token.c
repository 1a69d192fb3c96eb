/* The debug API's bearer token on the supervisor's side: where it comes from
 * (a file or the environment, never the command line: every local user can
 * read /proc/PID/cmdline) and how strong it must be. Children receive it over
 * their ipc socket (session/session_attach.h). */
#include "server/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/read_file.h"

const char *sc_api_token_problem(const char *token)
{
	size_t n = strlen(token);
	if (n < SC_API_TOKEN_MIN)
		return "shorter than 16 characters (make one with `openssl rand -hex 16`)";
	if (n > 127)
		return "longer than 127 characters";
	for (size_t i = 0; i < n; i++)
		if (token[i] <= ' ' || token[i] > '~')
			return "not printable ASCII without blanks (what an Authorization header carries)";
	return NULL;
}

/* One role's token source: --OPTION FILE, else $ENV. */
struct token_source {
	const char *what;   /* "debug API", "player", "spectator" */
	const char *option; /* "--api-token-file" */
	const char *file;   /* "" = none */
	const char *env;
	char *out;          /* 128 bytes */
};

/* The file's content up to the first line end: one token line, a trailing
 * newline (as `echo` writes it) allowed. */
static bool read_token_file(const struct token_source *t, const char *prog)
{
	struct stat st;
	if (stat(t->file, &st) != 0) {
		fprintf(stderr, "shadowcast %s: %s %s: %s\n", prog, t->option, t->file, strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		fprintf(stderr, "shadowcast %s: warning: %s %s can be read by other users (mode %03o): chmod 600 it\n",
		        prog, t->option, t->file, (unsigned)(st.st_mode & 0777));
	size_t len = 0;
	char *text = sc_read_file(t->file, &len);
	if (!text) {
		fprintf(stderr, "shadowcast %s: %s %s: %s\n", prog, t->option, t->file, strerror(errno));
		return false;
	}
	text[strcspn(text, "\r\n")] = '\0';
	bool ok = strlen(text) < 128;
	if (ok)
		memcpy(t->out, text, strlen(text) + 1);
	free(text);
	if (!ok) {
		fprintf(stderr, "shadowcast %s: %s %s: the token is longer than 127 characters\n", prog, t->option,
		        t->file);
		return false;
	}
	return true;
}

static bool load_one(const struct token_source *t, const char *prog)
{
	char from[96];
	t->out[0] = '\0';
	if (t->file[0]) {
		if (!read_token_file(t, prog))
			return false;
		snprintf(from, sizeof(from), "%s", t->option);
	} else {
		const char *env = getenv(t->env);
		if (!env || !*env)
			return true; /* none: generated (debug API) or the role is open */
		if (strlen(env) >= 128) {
			fprintf(stderr, "shadowcast %s: $%s is longer than 127 characters\n", prog, t->env);
			return false;
		}
		memcpy(t->out, env, strlen(env) + 1);
		snprintf(from, sizeof(from), "$%s", t->env);
	}
	const char *why = sc_api_token_problem(t->out);
	if (why) {
		fprintf(stderr, "shadowcast %s: the %s token from %s is %s\n", prog, t->what, from, why);
		t->out[0] = '\0';
		return false;
	}
	return true;
}

bool sc_run_config_load_token(struct sc_run_config *cfg, const char *prog)
{
	const struct token_source src[] = {
		{"debug API", "--api-token-file", cfg->api_token_file, SC_API_TOKEN_ENV, cfg->api_token},
		{"player", "--player-token-file", cfg->player_token_file, SC_PLAYER_TOKEN_ENV, cfg->player_token},
		{"spectator", "--spectator-token-file", cfg->spectator_token_file, SC_SPECTATOR_TOKEN_ENV,
		 cfg->spectator_token},
	};
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (!load_one(&src[i], prog))
			return false;
	return true;
}
