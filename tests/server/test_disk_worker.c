/* The debug API's disk work through the real disk worker thread, with this
 * test's main thread in the place of the libwebsockets service thread: it
 * makes the requests, polls the pending answers when the worker wakes it
 * (never waiting on the disk), and reads each body from its stream the way
 * net/ws/ws_http.c does, several downloads interleaved, at different paces.
 * Checked: every endpoint's status and body (the capture list, files, 404 /
 * 413 / 400, state.json of a capture that cannot be loaded, the archive byte
 * for byte against a single-step one), Content-Length = the bytes streamed,
 * the bounded window (the worker never runs more than a window plus a step
 * ahead of a reader that does not read), clients that leave mid-download
 * (their jobs stop, nothing leaks: ASan), status waiting once for the
 * manifest cache and answered from it afterwards, status's last_incident
 * chosen by the shadows' capture_dir_incident fields (not by directory
 * names), and a clean stop with downloads still open. Label shm: the TSan
 * stage runs it for the hand-off. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/capture_summary.h"
#include "server/capture_tar.h"
#include "server/debug_api.h"
#include "server/disk_reply.h"
#include "server/disk_worker.h"
#include "util/clock.h"

#include "tests/lib/check.h"
#define assert(c) check(c) /* also in release builds */

#define TOKEN "t0ken"
#define CAP "incident-1-tick-90"
#define BIG_BYTES (3u << 20)

/* --- the wake the worker sends (sc_ws_server_wake in the server) ------------------- */

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static unsigned wakes;

static void wake(void *ud)
{
	pthread_mutex_lock(&wake_lock);
	wakes++;
	pthread_cond_signal(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

/* Waits until a wake newer than *seen (at most ms); false on the timeout. */
static bool wait_wake(unsigned *seen, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&wake_lock);
	while (wakes == *seen)
		if (pthread_cond_timedwait(&wake_cond, &wake_lock, &ts) == ETIMEDOUT)
			break;
	bool woke = wakes != *seen;
	*seen = wakes;
	pthread_mutex_unlock(&wake_lock);
	return woke;
}

/* --- a client of the API, driven like net/ws/ws_http.c drives a connection ------------ */

struct get {
	char path[300];
	struct sc_http_response res;
	size_t pace;   /* bytes read per turn */
	size_t leave_at; /* leave after this many bytes (0: read all) */
	bool answered, done, cut, left;
	char *body;
	size_t got;
};

static void start(struct sc_debug_api *api, struct get *g, const char *path, size_t pace)
{
	memset(&g->res, 0, sizeof(g->res));
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->pace = pace;
	g->leave_at = 0;
	g->answered = g->done = g->cut = g->left = false;
	g->body = NULL;
	g->got = 0;
	const char *q = strchr(path, '?');
	char p[300];
	snprintf(p, sizeof(p), "%.*s", q ? (int)(q - path) : (int)strlen(path), path);
	struct sc_http_request req = {.method = "GET", .path = p, .query = q ? q + 1 : "",
	                              .authorization = "Bearer " TOKEN, .body = ""};
	g->res.content_type = "application/json";
	sc_debug_api_request(api, &req, &g->res);
	assert(g->res.status != 0);
}

static bool progress; /* a turn got an answer or bytes */

/* One turn: poll a pending answer, or read up to pace bytes. true when finished. */
static bool turn(struct sc_debug_api *api, struct get *g)
{
	if (g->done)
		return true;
	size_t got0 = g->got;
	bool answered0 = g->answered;
	if (g->res.pending) {
		sc_debug_api_poll(api, &g->res);
		if (g->res.pending)
			return false;
	}
	if (!g->answered) {
		g->answered = true;
		g->body = malloc(g->res.len + 1);
		assert(g->body);
		if (!g->res.stream) {
			memcpy(g->body, g->res.body, g->res.len);
			g->got = g->res.len;
			free(g->res.body);
			g->body[g->got] = '\0';
			g->done = true;
			return true;
		}
	}
	size_t want = g->res.len - g->got;
	if (want > g->pace)
		want = g->pace;
	if (g->leave_at && g->got + want > g->leave_at)
		want = g->leave_at - g->got;
	bool end = false;
	long n = want ? g->res.stream->read(g->res.stream, g->body + g->got, want, &end) : 0;
	if (n < 0) {
		g->cut = true;
	} else {
		assert((size_t)n <= want);
		g->got += (size_t)n;
	}
	if (g->leave_at && g->got == g->leave_at)
		g->left = true;
	progress = progress || g->got != got0 || g->answered != answered0;
	if (g->cut || g->left || g->got == g->res.len) {
		g->body[g->got] = '\0';
		g->res.stream->release(g->res.stream); /* what the server does when done or when the client leaves */
		g->res.stream = NULL;
		g->done = true;
	}
	return g->done;
}

static void run_all(struct sc_debug_api *api, struct get *gs, int n)
{
	unsigned seen = 0;
	uint64_t end = sc_now_ns() + 30000000000ull;
	for (;;) {
		bool all = true;
		progress = false;
		for (int i = 0; i < n; i++)
			all = turn(api, &gs[i]) && all;
		if (all)
			return;
		assert(sc_now_ns() < end);
		/* like the server: wait for a wake only when nothing was ready; and
		 * then one must come (a lost wake would stall a real client) */
		if (!progress)
			assert(wait_wake(&seen, 5000));
	}
}

static void get_one(struct sc_debug_api *api, struct get *g, const char *path)
{
	start(api, g, path, 1u << 20);
	run_all(api, g, 1);
}

/* GET /api/v1/status; waits (bounded) when it is pending on the manifest
 * cache, which it must be exactly when must_wait. */
static struct sc_http_response status_answer(struct sc_debug_api *api, bool must_wait)
{
	struct sc_http_request req = {.method = "GET", .path = "/api/v1/status", .query = "", .authorization = "",
	                              .body = ""};
	struct sc_http_response res = {.content_type = "application/json"};
	sc_debug_api_request(api, &req, &res);
	assert(res.pending == must_wait && !res.stream);
	unsigned seen = 0;
	uint64_t deadline = sc_now_ns() + 5000000000ull;
	while (res.pending) {
		assert(sc_now_ns() < deadline);
		wait_wake(&seen, 20);
		sc_debug_api_poll(api, &res);
	}
	assert(res.status == 200 && res.body);
	return res;
}

/* --- fixture -------------------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
}

static bool to_strbuf(void *ud, const void *data, size_t len)
{
	sc_sb_append(ud, data, len);
	return true;
}

static unsigned char *big;

static void make_captures(const char *root)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/" CAP, root);
	assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/" CAP "/manifest.json", root);
	const char *m = "{\"format\": 1, \"incident\": 1, \"fault\": {\"detected\": \"assert\", \"injected\": \"assert\", "
	                "\"detection_path\": 724}, \"primary_error_tick\": 90, \"held_tick\": 89, \"hashes_match\": true, "
	                "\"timestamps\": {\"detected_ns\": 1000000, \"paused_ns\": 2000000}}\n";
	write_file(p, m, strlen(m));
	big = malloc(BIG_BYTES);
	assert(big);
	for (size_t i = 0; i < BIG_BYTES; i++)
		big[i] = (unsigned char)(i ^ (i >> 9));
	snprintf(p, sizeof(p), "%s/" CAP "/state.bin", root);
	write_file(p, big, BIG_BYTES);
	for (int k = 1; k <= 3; k++) {
		snprintf(p, sizeof(p), "%s/" CAP "/step-%d", root, k);
		assert(mkdir(p, 0755) == 0);
		snprintf(p, sizeof(p), "%s/" CAP "/step-%d/result.json", root, k);
		write_file(p, "{\"step\":1}\n", 11);
	}
	snprintf(p, sizeof(p), "%s/huge", root);
	assert(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/huge/manifest.json", root);
	write_file(p, "{}", 2);
	snprintf(p, sizeof(p), "%s/huge/state.bin", root);
	FILE *f = fopen(p, "wb");
	assert(f && fseeko(f, (off_t)SC_DEBUG_FILE_MAX, SEEK_SET) == 0 && fputc(1, f) == 1 && fclose(f) == 0);
}

int main(void)
{
	char root[] = "/tmp/sc-test-disk-worker-XXXXXX";
	assert(mkdtemp(root));
	make_captures(root);

	struct sc_run_config *cfg = calloc(1, sizeof(*cfg));
	struct sc_session_shm *session = calloc(1, sizeof(*session));
	assert(cfg && session);
	snprintf(cfg->capture_root, sizeof(cfg->capture_root), "%s", root);
	snprintf(cfg->api_token, sizeof(cfg->api_token), "%s", TOKEN);
	cfg->shadow = true;
	session->fps = 60;
	struct sc_disk_worker *w = sc_disk_worker_create(wake, NULL);
	assert(w);
	struct sc_capture_summaries *sums = sc_capture_summaries_create(w);
	assert(sums);
	struct sc_debug_api api = {.cfg = cfg, .api_token = cfg->api_token, .session = session, .disk = w, .summaries = sums};
	struct get g[6] = {0};

	/* the capture list, and the incidents around it */
	get_one(&api, &g[0], "/api/v1/captures");
	assert(g[0].res.status == 200 && strcmp(g[0].res.content_type, "application/json") == 0);
	assert(strstr(g[0].body, "{\"name\":\"" CAP "\"") && strstr(g[0].body, "\"steps\":[\"step-1\",\"step-2\",\"step-3\"]"));
	assert(strstr(g[0].body, "\"primary_error_tick\": 90") && strstr(g[0].body, "{\"name\":\"huge\""));
	assert(g[0].got == g[0].res.len && g[0].body[g[0].got - 1] == '\n');
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/incidents");
	assert(g[0].res.status == 200 && strncmp(g[0].body, "{\"current\":null,\"incidents_total\":0", 35) == 0);
	assert(strstr(g[0].body, "\"captures\":[{\"name\":") && strcmp(g[0].body + g[0].got - 3, "]}\n") == 0);
	free(g[0].body);

	/* files, errors */
	get_one(&api, &g[0], "/api/v1/captures/" CAP "/step-2/result.json");
	assert(g[0].res.status == 200 && strcmp(g[0].body, "{\"step\":1}\n") == 0);
	assert(strcmp(g[0].res.content_type, "application/json") == 0);
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/captures/" CAP "/nope.png");
	assert(g[0].res.status == 404 && strstr(g[0].body, "no file '" CAP "/nope.png' in the captures"));
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/captures/huge/state.bin");
	assert(g[0].res.status == 413 && strstr(g[0].body, "over 64 MiB"));
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/captures/nope.tar");
	assert(g[0].res.status == 404 && strstr(g[0].body, "no capture named 'nope'"));
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/captures/huge.tar");
	assert(g[0].res.status == 413 && strstr(g[0].body, "too big to archive"));
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/captures/" CAP "/state.json");
	assert(g[0].res.status == 404 && strstr(g[0].body, "cannot be loaded"));
	free(g[0].body);
	get_one(&api, &g[0], "/api/v1/captures/../x");
	assert(g[0].res.status == 400 && !g[0].res.stream);
	free(g[0].body);

	/* the archive, as one piece here, to compare the streamed ones with */
	char dir[600], err[256];
	snprintf(dir, sizeof(dir), "%s/" CAP, root);
	struct sc_capture_tar *t;
	struct sc_strbuf want = {0};
	assert(sc_capture_tar_open(dir, CAP, 1u << 30, to_strbuf, &want, &t, err, sizeof(err)) == SC_CAPTURE_TAR_OK);
	assert(sc_capture_tar_step(t, 1u << 30, err, sizeof(err)) == 0);
	sc_capture_tar_close(t);
	assert(want.len > BIG_BYTES);

	/* four downloads at once at different paces, a state.bin, and a client that leaves */
	for (int i = 0; i < 4; i++)
		start(&api, &g[i], "/api/v1/captures/" CAP ".tar", (size_t)4096 << (2 * i));
	start(&api, &g[4], "/api/v1/captures/" CAP "/state.bin", 100000);
	start(&api, &g[5], "/api/v1/captures/" CAP ".tar", 8192);
	g[5].leave_at = 300000;
	run_all(&api, g, 6);
	for (int i = 0; i < 4; i++) {
		assert(g[i].res.status == 200 && strcmp(g[i].res.content_type, "application/x-tar") == 0);
		assert(strcmp(g[i].res.filename, CAP ".tar") == 0);
		assert(!g[i].cut && g[i].got == want.len && g[i].res.len == want.len);
		assert(memcmp(g[i].body, want.buf, want.len) == 0);
		free(g[i].body);
	}
	assert(g[4].res.status == 200 && g[4].got == BIG_BYTES && memcmp(g[4].body, big, BIG_BYTES) == 0);
	assert(strcmp(g[4].res.content_type, "application/octet-stream") == 0);
	free(g[4].body);
	assert(g[5].left && g[5].got == 300000);
	free(g[5].body);

	/* a reader that stops reading: the worker stays within the window */
	start(&api, &g[0], "/api/v1/captures/" CAP ".tar", 1);
	g[0].leave_at = 1;
	unsigned seen = 0;
	while (g[0].res.pending) {
		wait_wake(&seen, 20);
		sc_debug_api_poll(&api, &g[0].res);
	}
	usleep(200000); /* the worker runs ahead as far as it may */
	{
		bool end = false;
		static char sink[1u << 20];
		long n = g[0].res.stream->read(g[0].res.stream, sink, sizeof(sink), &end);
		assert(n > 0 && (size_t)n <= SC_DISK_REPLY_WINDOW + SC_DISK_STEP_BYTES + 4096 && !end);
	}
	g[0].res.stream->release(g[0].res.stream);

	/* status: a paused shadow's capture; the first answer waits for the cache once */
	session->shadow.state = SC_SHADOW_PAUSED;
	atomic_store(&session->shadow.captures, 1);
	atomic_store(&session->shadow.capture_dir_incident, 1);
	snprintf(session->shadow.capture_dir, sizeof(session->shadow.capture_dir), "%s/" CAP, root);
	struct sc_http_response sres = status_answer(&api, true);
	const char *li = strstr(sres.body, "\"last_incident\":{\"incident\":1,\"detected\":\"assert\"");
	assert(li && strstr(li, "\"error_tick\":90,\"held_tick\":89") && strstr(li, "\"hashes_match\":true}"));
	assert(strstr(sres.body, "\"capture_incident\":{\"incident\":1,"));
	free(sres.body);
	sres = status_answer(&api, false);
	assert(strstr(sres.body, "\"last_incident\":{\"incident\":1,"));
	free(sres.body);

	/* which capture is an incident's is the shadow's field, not its directory's
	 * name: the other slot holds incident 2 in a directory named otherwise */
	char p2[600];
	snprintf(p2, sizeof(p2), "%s/held", root);
	assert(mkdir(p2, 0755) == 0);
	snprintf(p2, sizeof(p2), "%s/held/manifest.json", root);
	const char *m2 = "{\"format\": 1, \"incident\": 2, \"fault\": {\"detected\": \"hang\", \"injected\": \"hang\", "
	                 "\"detection_path\": 724}, \"primary_error_tick\": 120, \"held_tick\": 119}\n";
	write_file(p2, m2, strlen(m2));
	session->shadow_alt.state = SC_SHADOW_PAUSED;
	atomic_store(&session->shadow_alt.captures, 1);
	atomic_store(&session->shadow_alt.capture_dir_incident, 2);
	snprintf(session->shadow_alt.capture_dir, sizeof(session->shadow_alt.capture_dir), "%s/held", root);
	sres = status_answer(&api, true);
	assert(strstr(sres.body, "\"last_incident\":{\"incident\":2,\"detected\":\"hang\""));
	free(sres.body);
	/* and a developer's capture is none, though a folder above it is named incident-... */
	snprintf(p2, sizeof(p2), "%s/incident-root", root);
	assert(mkdir(p2, 0755) == 0);
	snprintf(p2, sizeof(p2), "%s/incident-root/manual-1-tick-5", root);
	assert(mkdir(p2, 0755) == 0);
	snprintf(p2, sizeof(p2), "%s/incident-root/manual-1-tick-5/manifest.json", root);
	const char *m3 = "{\"format\": 1, \"capture_kind\": \"manual\", \"incident\": null}\n";
	write_file(p2, m3, strlen(m3));
	atomic_store(&session->shadow_alt.capture_dir_incident, 0);
	snprintf(session->shadow_alt.capture_dir, sizeof(session->shadow_alt.capture_dir),
	         "%s/incident-root/manual-1-tick-5", root);
	sres = status_answer(&api, true);
	assert(strstr(sres.body, "\"last_incident\":{\"incident\":1,\"detected\":\"assert\""));
	free(sres.body);

	/* stop with downloads open: the service side still holds two streams */
	start(&api, &g[0], "/api/v1/captures/" CAP ".tar", 4096);
	start(&api, &g[1], "/api/v1/captures/" CAP "/state.bin", 4096);
	for (int i = 0; i < 20; i++) {
		turn(&api, &g[0]);
		turn(&api, &g[1]);
		usleep(1000);
	}
	sc_disk_worker_stop(w);
	for (int i = 0; i < 2; i++) {
		if (g[i].res.pending) {
			sc_debug_api_poll(&api, &g[i].res);
		}
		if (g[i].res.stream)
			g[i].res.stream->release(g[i].res.stream);
		free(g[i].body);
	}
	/* a request after the stop: answered (500), not left pending forever */
	start(&api, &g[2], "/api/v1/captures/" CAP ".tar", 4096);
	assert(g[2].res.pending);
	sc_debug_api_poll(&api, &g[2].res);
	assert(!g[2].res.pending && g[2].res.status == 500);
	g[2].res.stream->release(g[2].res.stream);
	sc_disk_worker_destroy(w);
	sc_capture_summaries_destroy(sums);

	sc_sb_free(&want);
	free(big);
	free(cfg);
	free(session);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert(system(cmd) == 0);
	printf("disk worker tests passed\n");
	return 0;
}
