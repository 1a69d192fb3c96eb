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

/* The file's content up to the first line end: one token line, a trailing
 * newline (as `echo` writes it) allowed. */
static bool read_token_file(struct sc_run_config *cfg, const char *prog)
{
	const char *path = cfg->api_token_file;
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "shadowcast %s: --api-token-file %s: %s\n", prog, path, strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		fprintf(stderr, "shadowcast %s: warning: --api-token-file %s can be read by other users "
		        "(mode %03o): chmod 600 it\n", prog, path, (unsigned)(st.st_mode & 0777));
	size_t len = 0;
	char *text = sc_read_file(path, &len);
	if (!text) {
		fprintf(stderr, "shadowcast %s: --api-token-file %s: %s\n", prog, path, strerror(errno));
		return false;
	}
	text[strcspn(text, "\r\n")] = '\0';
	bool ok = strlen(text) < sizeof(cfg->api_token);
	if (ok)
		memcpy(cfg->api_token, text, strlen(text) + 1);
	free(text);
	if (!ok) {
		fprintf(stderr, "shadowcast %s: --api-token-file %s: the token is longer than 127 characters\n", prog,
		        path);
		return false;
	}
	return true;
}

bool sc_run_config_load_token(struct sc_run_config *cfg, const char *prog)
{
	const char *from;
	cfg->api_token[0] = '\0';
	if (cfg->api_token_file[0]) {
		if (!read_token_file(cfg, prog))
			return false;
		from = "--api-token-file";
	} else {
		const char *env = getenv(SC_API_TOKEN_ENV);
		if (!env || !*env)
			return true; /* the supervisor generates one */
		if (strlen(env) >= sizeof(cfg->api_token)) {
			fprintf(stderr, "shadowcast %s: $%s is longer than 127 characters\n", prog, SC_API_TOKEN_ENV);
			return false;
		}
		memcpy(cfg->api_token, env, strlen(env) + 1);
		from = "$" SC_API_TOKEN_ENV;
	}
	const char *why = sc_api_token_problem(cfg->api_token);
	if (why) {
		fprintf(stderr, "shadowcast %s: the debug API token from %s is %s\n", prog, from, why);
		cfg->api_token[0] = '\0';
		return false;
	}
	return true;
}
