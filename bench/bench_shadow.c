/* `shadowcast bench shadow`: what shadow tracking costs and how fast it
 * reacts, from one run of the real server (`shadowcast run` as a child on an
 * ephemeral loopback port, read through /api/v1/status, /api/v1/incidents and
 * /metrics):
 *  - with_shadow / no_shadow: the primary's tick time p99 (its last 256 ticks)
 *    and the frame latency p99 (tick start -> encoded), first with the shadow
 *    following, then with the shadow paused by the debug API (an idle shadow
 *    process: the same run, the same device, nothing else changed);
 *  - pause_<kind>: an injected fault of each kind: detection until the shadow
 *    holds the pre-error state (detect_to_held_ms, the headline: the held
 *    time - the detector's time, from the capture manifest), the ticks it
 *    caught up on first, and its reaction time;
 *  - delay_memory: bytes the logs hold per second of delay: per tick one tick
 *    record plus the inputs of that tick (measured input rate), 16 bytes each. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_report.h"
#include "net/shm/input_event.h"
#include "session/session.h"
#include "util/clock.h"
#include "util/http_client.h"
#include "util/log.h"
#include "util/prom_text.h"

#define HTTP_MAX (4u << 20)
#define HTTP_TIMEOUT_MS 15000

struct shadow_opts {
	char size[32];
	uint32_t fps, particles;
	bool json, verbose;
};

/* METHOD path; the parsed JSON answer of a 2xx, else NULL (why on stderr
 * when verbose or for a POST: a GET is polled and may fail a few times). */
static json_t *api(struct sc_http_client *http, const char *method, const char *path, json_t *body, bool verbose)
{
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	struct sc_http_response r;
	json_t *root = NULL;
	bool post = strcmp(method, "POST") == 0;
	if (!sc_http_request(http, method, path, post ? (b ? b : "{}") : NULL, HTTP_MAX, &r)) {
		if (verbose || post)
			fprintf(stderr, "bench shadow: %s %s: %s\n", method, path, r.error);
	} else if (r.status < 200 || r.status >= 300) {
		if (verbose || post)
			fprintf(stderr, "bench shadow: %s %s: HTTP %ld: %.300s\n", method, path, r.status, r.body);
	} else {
		json_error_t jerr;
		root = json_loadb(r.body, r.len, 0, &jerr);
		if (!root)
			fprintf(stderr, "bench shadow: %s %s: not JSON (line %d: %s)\n", method, path, jerr.line, jerr.text);
	}
	if (r.body)
		sc_http_response_finish(&r);
	free(b);
	return root;
}

/* A number at a path of object keys (NULL-terminated); -1 when absent, null or not a number. */
static double num_at(const json_t *v, ...)
{
	va_list ap;
	va_start(ap, v);
	for (const char *k; v && (k = va_arg(ap, const char *));)
		v = json_object_get(v, k);
	va_end(ap);
	return json_is_number(v) ? json_number_value(v) : -1;
}

/* A shadow follows the primary at its delay (running, or resumed after a
 * developer's pause, and caught up: within 5 ticks of delay_ticks). */
static bool wait_following(struct sc_http_client *http, int delay_ticks, int timeout_ms, bool verbose)
{
	uint64_t end = sc_now_ns() + (uint64_t)timeout_ms * 1000000;
	while (sc_now_ns() < end) {
		json_t *st = api(http, "GET", "/api/v1/status", NULL, verbose);
		bool following = false;
		size_t i;
		json_t *sh;
		json_array_foreach(json_object_get(st, "shadows"), i, sh) {
			const char *state = json_string_value(json_object_get(sh, "state"));
			double lag = num_at(sh, "lag_ticks", NULL);
			if (state && (strcmp(state, "running") == 0 || strcmp(state, "resumed") == 0) &&
			    lag >= delay_ticks - 5 && lag <= delay_ticks + 5)
				following = true;
		}
		json_decref(st);
		if (following)
			return true;
		usleep(100000);
	}
	return false;
}

/* GET /metrics: one unlabelled sample (-1 when absent); false when /metrics did not answer */
static bool metric(struct sc_http_client *http, const char *name, double *v)
{
	struct sc_http_response r;
	if (!sc_http_request(http, "GET", "/metrics", NULL, HTTP_MAX, &r))
		return false;
	bool ok = r.status == 200;
	if (!ok || !sc_prom_value(r.body, r.len, name, v))
		*v = -1;
	sc_http_response_finish(&r);
	return ok;
}

static void measure(struct sc_bench_report *rep, const char *row_name, struct sc_http_client *http,
                    const struct shadow_opts *o)
{
	/* the p99s are over the last 256 ticks / frames: wait a whole window */
	usleep((useconds_t)((256ull * 1000000) / o->fps + 500000));
	struct sc_bench_row *row = sc_bench_report_row(rep, row_name);
	json_t *st = api(http, "GET", "/api/v1/status", NULL, true);
	if (st)
		sc_bench_row_set(row, "tick_p99_ms", num_at(st, "primary", "tick_p99_ms", NULL));
	json_decref(st);
	double frame;
	if (metric(http, "shadowcast_frame_latency_p99_ms", &frame))
		sc_bench_row_set(row, "frame_p99_ms", frame);
}

/* the primary's inputs_applied, -1 when unknown */
static double inputs_applied(struct sc_http_client *http)
{
	json_t *st = api(http, "GET", "/api/v1/status", NULL, true);
	double v = num_at(st, "primary", "inputs_applied", NULL);
	json_decref(st);
	return v;
}

/* The capture of incident N in GET /api/v1/incidents (a borrowed reference into root), or NULL. */
static json_t *incident_capture(json_t *root, int incident)
{
	char prefix[48];
	int pl = snprintf(prefix, sizeof(prefix), "incident-%d-tick-", incident);
	size_t i;
	json_t *cap;
	json_array_foreach(json_object_get(root, "captures"), i, cap) {
		const char *name = json_string_value(json_object_get(cap, "name"));
		if (name && strncmp(name, prefix, (size_t)pl) == 0)
			return cap;
	}
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: shadowcast bench shadow [--json] [--size WxH] [--fps N] [--particles N] [--verbose]\n"
	             "  starts `shadowcast run` (lavapipe is fine) and measures the primary's p99 tick time and\n"
	             "  frame latency with the shadow following and paused, detection-to-state-held per fault kind,\n"
	             "  and the log memory per second of delay (docs/benchmarks.md \"Shadow\")\n");
}

static bool parse(struct shadow_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"size", required_argument, NULL, 's'},
		{"fps", required_argument, NULL, 'f'}, {"particles", required_argument, NULL, 'p'},
		{"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {0},
	};
	snprintf(o->size, sizeof(o->size), "640x360");
	o->fps = 60;
	o->particles = 20000;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 's': snprintf(o->size, sizeof(o->size), "%s", optarg); break;
		case 'f': o->fps = (uint32_t)atoi(optarg); break;
		case 'p': o->particles = (uint32_t)atoi(optarg); break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return false;
		}
	}
	if (o->fps < 10 || o->fps > 240) {
		fprintf(stderr, "bench shadow: --fps must be 10..240\n");
		return false;
	}
	return true;
}

int sc_bench_shadow(int argc, char **argv)
{
	struct shadow_opts o = {0};
	struct sc_bench_report rep;
	int rc = 1;
	if (!parse(&o, argc, argv))
		return 2;
	sc_bench_report_init(&rep, "shadow");

	unsigned char rnd[16];
	char token[40], fps[16], parts[16], delay[16], caps[] = "/tmp/sc-bench-shadow-XXXXXX";
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) || !mkdtemp(caps)) {
		sc_err("bench shadow: cannot set up: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 16; i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	uint32_t delay_ticks = o.fps; /* the default delay, 1 s */
	snprintf(fps, sizeof(fps), "%u", o.fps);
	snprintf(parts, sizeof(parts), "%u", o.particles);
	snprintf(delay, sizeof(delay), "%ut", delay_ticks);
	char *argv_srv[] = {"/proc/self/exe", "run", "--listen", "127.0.0.1:0", "--size", o.size, "--fps", fps,
	                    "--particles", parts, "--delay", delay, "--hang-timeout", "500",
	                    "--captures", caps, "--crash-loop", "1000", NULL};
	int pfd[2];
	struct sc_http_client *http = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		setenv("SHADOWCAST_API_TOKEN", token, 1); /* never on a command line */
		dup2(pfd[1], STDOUT_FILENO);
		if (!o.verbose) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, STDERR_FILENO);
		}
		execv(argv_srv[0], argv_srv);
		_exit(127);
	}
	close(pfd[1]);
	char line[4096] = "";
	size_t ll = 0;
	uint16_t port = 0;
	uint64_t end = sc_now_ns() + 60ull * 1000000000;
	while (!port && sc_now_ns() < end) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		if (poll(&p, 1, 500) <= 0)
			continue;
		ssize_t n = read(pfd[0], line + ll, sizeof(line) - 1 - ll);
		if (n <= 0)
			break;
		ll += (size_t)n;
		line[ll] = '\0';
		char *u = strstr(line, "http://127.0.0.1:");
		if (u && strchr(u, '\n'))
			port = (uint16_t)atoi(u + 17);
	}
	if (!port) {
		sc_err("bench shadow: the server printed no URL within 60 s (run with --verbose)");
		goto out;
	}
	char url[64], err[SC_HTTP_ERROR_LEN];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	struct sc_http_options hopts = {.token = token, .timeout_ms = HTTP_TIMEOUT_MS};
	if (!(http = sc_http_client_create(url, &hopts, err, sizeof(err)))) {
		sc_err("bench shadow: %s", err);
		goto out;
	}
	fprintf(stderr, "bench shadow: server on port %u, %s@%u, %u particles, delay %u ticks\n", port, o.size, o.fps,
	        o.particles, delay_ticks);
	if (!wait_following(http, (int)delay_ticks, 60000, o.verbose)) {
		sc_err("bench shadow: the shadow did not start following within 60 s");
		goto out;
	}
	double t0 = sc_now_ns() / 1e9;
	double inputs0 = inputs_applied(http);

	measure(&rep, "with_shadow", http, &o);
	json_t *ans = api(http, "POST", "/api/v1/shadow/pause", NULL, true);
	if (!ans) {
		sc_err("bench shadow: pausing the shadow failed");
		goto out;
	}
	json_decref(ans);
	measure(&rep, "no_shadow", http, &o);
	double t1 = sc_now_ns() / 1e9;
	double inputs1 = inputs_applied(http);
	json_decref(api(http, "POST", "/api/v1/shadow/resume", NULL, true));

	static const char *kinds[] = {"assert", "corrupt", "hang", "crash", "oob", "device-lost"};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char name[48];
		if (!wait_following(http, (int)delay_ticks, 30000, o.verbose)) {
			fprintf(stderr, "bench shadow: no shadow following before '%s': skipped\n", kinds[k]);
			continue;
		}
		json_t *st = api(http, "GET", "/api/v1/status", NULL, true);
		double before = num_at(st, "incidents_total", NULL);
		json_decref(st);
		if (!(ans = api(http, "POST", "/api/v1/inject", json_pack("{s:s}", "kind", kinds[k]), true))) {
			fprintf(stderr, "bench shadow: inject %s failed\n", kinds[k]);
			continue;
		}
		json_decref(ans);
		/* the headline, detect_to_held_ms: detection until the shadow holds the
		 * pre-error state (error tick - 1; it first catches up on the
		 * catch_up_ticks before it); detect_to_react_ms: until it saw the
		 * incident (from then on it cannot apply the offending inputs); all
		 * from the capture manifest's "timestamps" (docs/captures.md) */
		double held_ms = -1, react_ms = -1, margin = -1;
		for (uint64_t e = sc_now_ns() + 20ull * 1000000000; held_ms < 0 && sc_now_ns() < e; usleep(200000)) {
			json_t *inc = api(http, "GET", "/api/v1/incidents", NULL, o.verbose);
			json_t *cap = incident_capture(inc, (int)before + 1);
			if (cap) {
				held_ms = num_at(cap, "manifest", "timestamps", "detect_to_held_ms", NULL);
				react_ms = num_at(cap, "manifest", "timestamps", "detect_to_arm_ms", NULL);
				margin = num_at(cap, "manifest", "timestamps", "armed_margin_ticks", NULL);
			}
			json_decref(inc);
		}
		snprintf(name, sizeof(name), "pause_%s", kinds[k]);
		if (held_ms < 0) {
			fprintf(stderr, "bench shadow: no capture with detect_to_held_ms for '%s' within 20 s\n", kinds[k]);
			continue;
		}
		struct sc_bench_row *row = sc_bench_report_row(&rep, name);
		sc_bench_row_set(row, "detect_to_held_ms", held_ms);
		if (margin >= 0)
			sc_bench_row_set(row, "catch_up_ticks", margin);
		if (react_ms >= 0)
			sc_bench_row_set(row, "detect_to_react_ms", react_ms);
	}

	/* the logs keep, per tick of delay, one tick record and that tick's inputs */
	double rate = inputs0 >= 0 && inputs1 >= inputs0 && t1 > t0 ? (inputs1 - inputs0) / (t1 - t0) : 0;
	struct sc_bench_row *row = sc_bench_report_row(&rep, "delay_memory");
	sc_bench_row_set(row, "bytes_per_s",
	                 o.fps * (double)sizeof(struct sc_tick_record) + rate * (double)sizeof(struct sc_input_event));
	sc_bench_row_set(row, "inputs_per_s", rate);
	sc_bench_row_set(row, "max_bytes_per_s",
	                 o.fps * ((double)sizeof(struct sc_tick_record) +
	                          SC_MAX_INPUTS_PER_TICK * (double)sizeof(struct sc_input_event)));
	rc = sc_bench_report_print(&rep, o.json, stdout) ? 0 : 1;
out:
	kill(pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(100000);
	if (waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(pfd[0]);
	sc_http_client_destroy(http);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", caps);
	if (system(cmd) != 0)
		sc_warn("bench shadow: could not remove %s", caps);
	return rc;
}
