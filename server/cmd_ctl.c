/* `shadowcast ctl URL [--token-file F] COMMAND [ARGS]`: a client of a running
 * server's debug API (/api/v1, docs/protocol.md "Debug API"). One request per
 * run through util/http_client.h (libcurl); JSON answers are parsed with
 * jansson and printed indented. Exit 0 on 2xx, 1 on an error answer or no
 * (valid) answer, 2 on a usage error. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/commands.h"
#include "util/http_client.h"
#include "util/parse.h"
#include "util/read_file.h"

#define CTL_TIMEOUT_S 20
#define CTL_MAX_TOKEN 127 /* server/config.h api_token */
/* answer limits: a capture tar is at most 64 MiB (docs/protocol.md); the
 * largest JSON answer, /incidents with 64 manifests, is well under 1 MiB */
#define CTL_MAX_DOWNLOAD (80u << 20)
#define CTL_MAX_JSON (8u << 20)
#define CTL_MAX_NAME 300

/* A token goes into a header line: what `run` takes, printable. */
static bool token_ok(const char *token)
{
	size_t len = strlen(token);
	if (len > CTL_MAX_TOKEN) {
		fprintf(stderr, "shadowcast ctl: the token is %zu characters; `shadowcast run` takes at most "
		                "%d\n", len, CTL_MAX_TOKEN);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c <= ' ' || c >= 0x7f) {
			fprintf(stderr, "shadowcast ctl: the token must be printable ASCII without spaces (character %zu "
			                "is 0x%02x)\n", i + 1, c);
			return false;
		}
	}
	return true;
}

/* The first line of FILE into out (128 bytes), as `run --api-token-file`
 * reads it; a file other users can read is warned about. */
static bool read_token_file(const char *file, char *out, size_t out_len)
{
	struct stat st;
	if (stat(file, &st) != 0) {
		fprintf(stderr, "shadowcast ctl: --token-file %s: %s\n", file, strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		fprintf(stderr, "shadowcast ctl: warning: --token-file %s can be read by other users (mode %03o): chmod "
		                "600 it\n", file, (unsigned)(st.st_mode & 0777));
	size_t len = 0;
	char *text = sc_read_file(file, &len);
	if (!text) {
		fprintf(stderr, "shadowcast ctl: --token-file %s: %s\n", file, strerror(errno));
		return false;
	}
	text[strcspn(text, "\r\n")] = '\0';
	size_t n = strlen(text);
	bool ok = n < out_len;
	if (ok)
		memcpy(out, text, n + 1);
	else
		fprintf(stderr, "shadowcast ctl: the token is %zu characters; `shadowcast run` takes at most %d\n", n,
		        CTL_MAX_TOKEN);
	free(text);
	return ok;
}

static bool is_json(const struct sc_http_response *a)
{
	return strncmp(a->content_type, "application/json", 16) == 0;
}

/* A JSON answer indented two spaces a level; false (with a message) when it is not JSON. */
static bool print_json(FILE *out, const struct sc_http_response *a)
{
	json_error_t jerr;
	json_t *root = json_loadb(a->body, a->len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		fprintf(stderr, "shadowcast ctl: the server's answer is not valid JSON (line %d, column %d: %s)\n",
		        jerr.line, jerr.column, jerr.text);
		return false;
	}
	/* 15 digits: 0.4 prints as 0.4, not 0.40000000000000002 */
	bool ok = json_dumpf(root, out, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) == 0;
	fputc('\n', out);
	json_decref(root);
	return ok;
}

/* The "error" string of an error answer, else the start of the body. */
static void print_error(const struct sc_http_response *a)
{
	json_t *root = is_json(a) ? json_loadb(a->body, a->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(root, "error"));
	if (msg)
		fprintf(stderr, "shadowcast ctl: HTTP %ld: %s\n", a->status, msg);
	else
		fprintf(stderr, "shadowcast ctl: HTTP %ld: %.*s\n", a->status, (int)(a->len > 500 ? 500 : a->len),
		        a->body);
	json_decref(root);
	if (a->status == 401)
		fprintf(stderr, "shadowcast ctl: give the server's token with --token-file FILE or "
		                "$SHADOWCAST_API_TOKEN\n");
}

/* "500ms", "2s", "90t" -> {"ms": N} or {"ticks": N}; NULL (with a message) when bad. */
static json_t *delay_body(const char *d)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(d, &end, 10);
	json_t *body = NULL;
	if (end != d && !errno && v <= 3600000ull && d[0] != '-') {
		if (strcmp(end, "ms") == 0)
			body = json_pack("{s:I}", "ms", (json_int_t)v);
		else if (strcmp(end, "s") == 0 && v <= 3600)
			body = json_pack("{s:I}", "ms", (json_int_t)(v * 1000));
		else if (strcmp(end, "t") == 0)
			body = json_pack("{s:I}", "ticks", (json_int_t)v);
	}
	if (!body)
		fprintf(stderr, "shadowcast ctl: bad delay '%s' (500ms, 2s or 90t)\n", d);
	return body;
}

/* NAME or NAME/FILE (…/SUB/FILE): the characters the server serves
 * ([A-Za-z0-9._-], docs/protocol.md), no empty part. */
static bool capture_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > CTL_MAX_NAME || name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") == len;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: shadowcast ctl URL [--token-file FILE] COMMAND [ARGS]\n"
	        "  talks to the debug API of a running server (docs/protocol.md \"Debug API\")\n"
	        "  URL: http://127.0.0.1:8080 (IPv6: http://[::1]:8080)\n"
	        "  --token-file FILE: the server's debug API token, the file's first line (default:\n"
	        "    $SHADOWCAST_API_TOKEN, else $SHADOWCAST_TOKEN); never on the command line\n"
	        "  --slot 0|1: the shadow status block a command goes to (default: chosen by the server)\n"
	        "  --timeout S: give up when the server sends nothing for S seconds (default %d)\n"
	        "commands:\n"
	        "  status                 the primary, both shadows, the current incident\n"
	        "  incidents              the current incident and the captures on disk\n"
	        "  pause | resume         pause the shadow now / resume it\n"
	        "  step-input | step-tick step the paused shadow by one input / one tick\n"
	        "  delay D                set the shadow's delay: 500ms, 2s or 90t (ticks)\n"
	        "  inject KIND            inject a fault: assert corrupt hang oob crash device-lost\n"
	        "  capture                write a capture of the shadow's state now\n"
	        "  download NAME[/FILE] [-o FILE]  a capture as a .tar (or one file of it)\n", CTL_TIMEOUT_S);
}

/* The downloaded bytes to -o FILE (default: the name's last part, NAME.tar
 * for a whole capture; "-": stdout). */
static bool save_download(const char *name, const char *output, const struct sc_http_response *a)
{
	char def[CTL_MAX_NAME + 8];
	const char *slash = strrchr(name, '/');
	snprintf(def, sizeof(def), "%s%s", slash ? slash + 1 : name, slash ? "" : ".tar");
	const char *dest = output ? output : def;
	FILE *f = strcmp(dest, "-") == 0 ? stdout : fopen(dest, "wb");
	if (!f) {
		fprintf(stderr, "shadowcast ctl: cannot write %s: %s\n", dest, strerror(errno));
		return false;
	}
	bool ok = fwrite(a->body, 1, a->len, f) == a->len;
	ok = (f != stdout ? fclose(f) == 0 : fflush(f) == 0) && ok;
	if (!ok) {
		fprintf(stderr, "shadowcast ctl: writing %s failed: %s\n", dest, strerror(errno));
		return false;
	}
	if (f != stdout)
		fprintf(stderr, "shadowcast ctl: wrote %s (%zu bytes)\n", dest, a->len);
	return true;
}

int sc_cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{"token", required_argument, NULL, 't'},
		{"token-file", required_argument, NULL, 'f'},
		{"slot", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *token = getenv("SHADOWCAST_API_TOKEN"), *token_file = NULL, *slot = NULL, *output = NULL;
	if (!token || !*token)
		token = getenv("SHADOWCAST_TOKEN");
	char file_token[CTL_MAX_TOKEN + 1];
	uint32_t timeout_s = CTL_TIMEOUT_S;
	/* GNU getopt permutes: options may come before or after URL COMMAND ARGS */
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "t:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			/* the value is not echoed: it may be a real token */
			fprintf(stderr, "shadowcast ctl: --token is refused: a token on the command line can be read by "
			                "every local user (/proc/PID/cmdline) and stays in shell history; use --token-file "
			                "FILE or $SHADOWCAST_API_TOKEN\n");
			return 2;
		case 'f': token_file = optarg; break;
		case 's': slot = optarg; break;
		case 'o': output = optarg; break;
		case 'T':
			if (!sc_parse_u32(optarg, 1, 3600, &timeout_s)) {
				fprintf(stderr, "shadowcast ctl: --timeout must be 1..3600 seconds\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs > 4) {
		fprintf(stderr, "shadowcast ctl: too many arguments\n");
		return 2;
	}
	if (nargs < 2) {
		usage(stderr);
		return 2;
	}
	if (slot && strcmp(slot, "0") != 0 && strcmp(slot, "1") != 0) {
		fprintf(stderr, "shadowcast ctl: --slot must be 0 or 1\n");
		return 2;
	}
	if (token_file) {
		if (!read_token_file(token_file, file_token, sizeof(file_token)))
			return 2;
		token = file_token;
	}
	if (token && !*token)
		token = NULL;
	if (token && !token_ok(token))
		return 2;
	char err[SC_HTTP_ERROR_LEN];
	struct sc_http_options hopts = {.token = token, .timeout_ms = timeout_s * 1000u, .default_port = 8080};
	struct sc_http_client *http = sc_http_client_create(args[0], &hopts, err, sizeof(err));
	if (!http) {
		fprintf(stderr, "shadowcast ctl: %s\n", err);
		return 2;
	}

	const char *cmd = args[1];
	char path[512];
	const char *method = "POST";
	json_t *body = json_object(); /* every POST sends a JSON object, {} when there is nothing to say */
	bool binary = false;
	int rc = 2;
	char qs[16] = "";
	if (slot)
		snprintf(qs, sizeof(qs), "?slot=%s", slot);
	if (nargs > 2 && strcmp(cmd, "delay") != 0 && strcmp(cmd, "inject") != 0 && strcmp(cmd, "download") != 0) {
		fprintf(stderr, "shadowcast ctl: '%s' takes no argument\n", cmd);
		goto out;
	}
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "incidents") == 0) {
		snprintf(path, sizeof(path), "/api/v1/%s", cmd);
		method = "GET";
	} else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0 || strcmp(cmd, "step-input") == 0 ||
	           strcmp(cmd, "step-tick") == 0 || strcmp(cmd, "capture") == 0) {
		snprintf(path, sizeof(path), "/api/v1/shadow/%s%s", cmd, qs);
	} else if (strcmp(cmd, "delay") == 0) {
		if (nargs != 3) {
			fprintf(stderr, "shadowcast ctl: delay needs a value: 500ms, 2s or 90t\n");
			goto out;
		}
		json_decref(body);
		if (!(body = delay_body(args[2])))
			goto out;
		snprintf(path, sizeof(path), "/api/v1/delay%s", qs);
	} else if (strcmp(cmd, "inject") == 0) {
		if (nargs != 3 || !args[2][0] || strlen(args[2]) > 32) {
			fprintf(stderr, "shadowcast ctl: inject needs a kind: assert corrupt hang oob crash device-lost\n");
			goto out;
		}
		snprintf(path, sizeof(path), "/api/v1/inject");
		json_object_set_new(body, "kind", json_string(args[2]));
	} else if (strcmp(cmd, "download") == 0) {
		if (nargs != 3 || !capture_name_ok(args[2])) {
			fprintf(stderr, "shadowcast ctl: download needs a capture name (see `ctl URL incidents`): NAME or "
			                "NAME/FILE, at most %d of [A-Za-z0-9._-/]\n", CTL_MAX_NAME);
			goto out;
		}
		snprintf(path, sizeof(path), "/api/v1/captures/%s%s", args[2], strchr(args[2], '/') ? "" : ".tar");
		method = "GET";
		binary = true;
	} else {
		fprintf(stderr, "shadowcast ctl: unknown command '%s'\n", cmd);
		usage(stderr);
		goto out;
	}

	bool post = strcmp(method, "POST") == 0;
	char *send_body = post ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	body = NULL;
	struct sc_http_response a;
	rc = 1;
	if (post && !send_body) {
		fprintf(stderr, "shadowcast ctl: out of memory\n");
		goto out;
	}
	bool answered = sc_http_request(http, method, path, send_body, binary ? CTL_MAX_DOWNLOAD : CTL_MAX_JSON, &a);
	free(send_body);
	if (!answered) {
		fprintf(stderr, "shadowcast ctl: %s%s\n", a.error,
		        a.failure == SC_HTTP_FAIL_CONNECT ? " (is `shadowcast run` running there?)" : "");
		goto out;
	}
	if (a.status < 200 || a.status >= 300)
		print_error(&a);
	else if (binary)
		rc = save_download(args[2], output, &a) ? 0 : 1;
	else if (is_json(&a))
		rc = print_json(stdout, &a) ? 0 : 1;
	else
		rc = fwrite(a.body, 1, a.len, stdout) == a.len ? 0 : 1;
	sc_http_response_finish(&a);
out:
	json_decref(body);
	sc_http_client_destroy(http);
	return rc;
}
