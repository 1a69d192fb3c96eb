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
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_report.h"
#include "gpu/input_event.h"
#include "server/session.h"
#include "util/clock.h"
#include "util/log.h"

#define HTTP_MAX (1u << 20)

struct shadow_opts {
	char size[32];
	uint32_t fps, particles;
	bool json, verbose;
};

static int http(uint16_t port, const char *token, const char *method, const char *path, const char *body, char *out,
                size_t outlen)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 15};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	char req[512];
	int n = snprintf(req, sizeof(req),
	                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer %s\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                 method, path, token, body ? strlen(body) : 0, body ? body : "");
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return -1;
	}
	size_t got = 0;
	ssize_t r;
	while (got + 1 < outlen && (r = recv(fd, out + got, outlen - 1 - got, 0)) > 0) {
		got += (size_t)r;
		out[got] = '\0';
		char *he = strstr(out, "\r\n\r\n");
		char *cl = he ? strcasestr(out, "content-length:") : NULL;
		if (he && cl && cl < he && got >= (size_t)(he + 4 - out) + (size_t)atoll(cl + 15))
			break;
	}
	close(fd);
	out[got] = '\0';
	int status = 0;
	if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	char *he = strstr(out, "\r\n\r\n");
	if (he)
		memmove(out, he + 4, strlen(he + 4) + 1);
	return status;
}

static double num_after(const char *json, const char *from, const char *key)
{
	const char *p = from ? strstr(json, from) : json;
	if (!p)
		return -1;
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(p, k);
	if (!p)
		return -1;
	p += strlen(k);
	while (*p == ' ')
		p++;
	if (*p == 'n')
		return -1; /* null */
	return strtod(p, NULL);
}

static double metric(const char *text, const char *name)
{
	char k[96];
	snprintf(k, sizeof(k), "\n%s ", name);
	const char *p = strstr(text, k);
	return p ? strtod(p + strlen(k), NULL) : -1;
}

/* A shadow follows the primary at its delay (running, or resumed after a
 * developer's pause, and caught up: within 5 ticks of delay_ticks). */
static bool wait_following(uint16_t port, const char *token, char *buf, int delay_ticks, int timeout_ms)
{
	uint64_t end = sc_now_ns() + (uint64_t)timeout_ms * 1000000;
	while (sc_now_ns() < end) {
		if (http(port, token, "GET", "/api/v1/status", NULL, buf, HTTP_MAX) == 200) {
			for (int s = 0; s < 4; s++) {
				char tag[40];
				snprintf(tag, sizeof(tag), "{\"slot\":%d,\"state\":\"%s\"", s & 1, s < 2 ? "running" : "resumed");
				double lag = strstr(buf, tag) ? num_after(buf, tag, "lag_ticks") : -1;
				if (lag >= delay_ticks - 5 && lag <= delay_ticks + 5)
					return true;
			}
		}
		usleep(100000);
	}
	return false;
}

static void measure(struct sc_bench_report *rep, const char *row_name, uint16_t port, const char *token, char *buf,
                    const struct shadow_opts *o)
{
	/* the p99s are over the last 256 ticks / frames: wait a whole window */
	usleep((useconds_t)((256ull * 1000000) / o->fps + 500000));
	struct sc_bench_row *row = sc_bench_report_row(rep, row_name);
	if (http(port, token, "GET", "/api/v1/status", NULL, buf, HTTP_MAX) == 200)
		sc_bench_row_set(row, "tick_p99_ms", num_after(buf, "\"primary\"", "tick_p99_ms"));
	if (http(port, token, "GET", "/metrics", NULL, buf, HTTP_MAX) == 200)
		sc_bench_row_set(row, "frame_p99_ms", metric(buf, "shadowcast_frame_latency_p99_ms"));
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
	                    "--particles", parts, "--delay", delay, "--hang-timeout", "500", "--api-token", token,
	                    "--captures", caps, "--crash-loop", "1000", NULL};
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
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
	char *buf = malloc(HTTP_MAX);
	char line[4096] = "";
	size_t ll = 0;
	uint16_t port = 0;
	uint64_t end = sc_now_ns() + 60ull * 1000000000;
	while (!port && buf && sc_now_ns() < end) {
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
	fprintf(stderr, "bench shadow: server on port %u, %s@%u, %u particles, delay %u ticks\n", port, o.size, o.fps,
	        o.particles, delay_ticks);
	if (!wait_following(port, token, buf, (int)delay_ticks, 60000)) {
		sc_err("bench shadow: the shadow did not start following within 60 s");
		goto out;
	}
	double t0 = sc_now_ns() / 1e9;
	double inputs0 = -1;
	if (http(port, token, "GET", "/api/v1/status", NULL, buf, HTTP_MAX) == 200)
		inputs0 = num_after(buf, "\"primary\"", "inputs_applied");

	measure(&rep, "with_shadow", port, token, buf, &o);
	if (http(port, token, "POST", "/api/v1/shadow/pause", "{}", buf, HTTP_MAX) != 200) {
		sc_err("bench shadow: pausing the shadow failed: %s", buf);
		goto out;
	}
	measure(&rep, "no_shadow", port, token, buf, &o);
	double inputs1 = -1, t1 = sc_now_ns() / 1e9;
	if (http(port, token, "GET", "/api/v1/status", NULL, buf, HTTP_MAX) == 200)
		inputs1 = num_after(buf, "\"primary\"", "inputs_applied");
	http(port, token, "POST", "/api/v1/shadow/resume", "{}", buf, HTTP_MAX);

	static const char *kinds[] = {"assert", "corrupt", "hang", "crash", "oob", "device-lost"};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char body[64], name[48], cap[48];
		if (!wait_following(port, token, buf, (int)delay_ticks, 30000)) {
			fprintf(stderr, "bench shadow: no shadow following before '%s': skipped\n", kinds[k]);
			continue;
		}
		double before = -1;
		if (http(port, token, "GET", "/api/v1/status", NULL, buf, HTTP_MAX) == 200)
			before = num_after(buf, NULL, "incidents_total");
		snprintf(body, sizeof(body), "{\"kind\":\"%s\"}", kinds[k]);
		if (http(port, token, "POST", "/api/v1/inject", body, buf, HTTP_MAX) != 200) {
			fprintf(stderr, "bench shadow: inject %s failed: %s\n", kinds[k], buf);
			continue;
		}
		snprintf(cap, sizeof(cap), "\"name\":\"incident-%d-tick-", (int)before + 1);
		/* the headline, detect_to_held_ms: detection until the shadow holds the
		 * pre-error state (error tick - 1; it first catches up on the
		 * catch_up_ticks before it); detect_to_react_ms: until it saw the
		 * incident (from then on it cannot apply the offending inputs) */
		double held_ms = -1, react_ms = -1, margin = -1;
		for (uint64_t e = sc_now_ns() + 20ull * 1000000000; held_ms < 0 && sc_now_ns() < e; usleep(200000)) {
			if (http(port, token, "GET", "/api/v1/incidents", NULL, buf, HTTP_MAX) == 200 && strstr(buf, cap)) {
				held_ms = num_after(buf, cap, "detect_to_held_ms");
				react_ms = num_after(buf, cap, "detect_to_arm_ms");
				margin = num_after(buf, cap, "armed_margin_ticks");
			}
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
	sc_bench_report_print(&rep, o.json, stdout);
	rc = 0;
out:
	kill(pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(100000);
	if (waitpid(pid, NULL, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(pfd[0]);
	free(buf);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", caps);
	if (system(cmd) != 0)
		sc_warn("bench shadow: could not remove %s", caps);
	return rc;
}
