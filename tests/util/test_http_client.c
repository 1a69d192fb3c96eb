/* util/http_client.h against a fake server on loopback: the request it sends
 * (method, path, token, JSON body; a reused handle's GET after a POST has no
 * body), chunked and close-delimited answers, and each failure with its kind
 * and a message: over the size limit (announced or not), a stalled server
 * (the timeout), an answer cut short, not HTTP, nothing listening; URLs and
 * tokens it refuses before any network access. The ASan build runs it with
 * leak detection (libcurl's global init / cleanup included). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/http_client.h"

#include "tests/lib/check.h"

struct fake {
	int fd;
	uint16_t port;
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock;
	char *answer; /* sent as it is on every connection */
	size_t answer_len;
	int stall_ms; /* before answering */
	char request[16384];
	int requests;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* the request's head and, by Content-Length, its body */
static size_t read_request(int c, char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		struct pollfd p = {.fd = c, .events = POLLIN};
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t r = recv(c, buf + n, cap - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		char *he = strstr(buf, "\r\n\r\n");
		if (!he)
			continue;
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		size_t want = (size_t)(he + 4 - buf) + (cl && cl < he ? (size_t)atol(cl + 17) : 0);
		if (n >= want || n == cap - 1)
			break;
	}
	return n;
}

static void *serve(void *arg)
{
	struct fake *f = arg;
	while (!atomic_load(&f->stop)) {
		struct pollfd p = {.fd = f->fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			continue;
		char req[sizeof(f->request)];
		read_request(c, req, sizeof(req));
		pthread_mutex_lock(&f->lock);
		memcpy(f->request, req, sizeof(req));
		f->requests++;
		int stall = f->stall_ms;
		size_t len = f->answer_len;
		char *ans = malloc(len ? len : 1);
		memcpy(ans, f->answer, len);
		pthread_mutex_unlock(&f->lock);
		/* a stall ends early when the client gives up (closes) */
		bool gone = false;
		for (uint64_t end = now_ms() + (uint64_t)stall; !gone && now_ms() < end && !atomic_load(&f->stop);) {
			struct pollfd pc = {.fd = c, .events = POLLIN};
			char b;
			gone = poll(&pc, 1, 10) > 0 && recv(c, &b, 1, MSG_DONTWAIT) <= 0;
		}
		for (size_t off = 0; off < len;) {
			ssize_t w = send(c, ans + off, len - off, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		free(ans);
		close(c);
	}
	return NULL;
}

static void fake_start(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	check(f->fd >= 0 && bind(f->fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(f->fd, 8) == 0);
	check(getsockname(f->fd, (struct sockaddr *)&a, &al) == 0);
	f->port = ntohs(a.sin_port);
	check(pthread_create(&f->thread, NULL, serve, f) == 0);
}

static void fake_answer(struct fake *f, const char *data, size_t len, int stall_ms)
{
	pthread_mutex_lock(&f->lock);
	free(f->answer);
	f->answer = malloc(len ? len : 1);
	memcpy(f->answer, data, len);
	f->answer_len = len;
	f->stall_ms = stall_ms;
	pthread_mutex_unlock(&f->lock);
}

static void fake_text(struct fake *f, const char *text, int stall_ms)
{
	fake_answer(f, text, strlen(text), stall_ms);
}

static void fake_last(struct fake *f, char *out, size_t len)
{
	pthread_mutex_lock(&f->lock);
	snprintf(out, len, "%s", f->request);
	pthread_mutex_unlock(&f->lock);
}

static void fake_stop(struct fake *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	close(f->fd);
	free(f->answer);
	pthread_mutex_destroy(&f->lock);
}

static struct sc_http_client *client(const struct fake *f, const char *token, uint32_t timeout_ms)
{
	char url[64], err[SC_HTTP_ERROR_LEN];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/prefix/", f->port);
	struct sc_http_options o = {.token = token, .timeout_ms = timeout_ms};
	struct sc_http_client *c = sc_http_client_create(url, &o, err, sizeof(err));
	if (!c)
		fprintf(stderr, "create: %s\n", err);
	check(c);
	return c;
}

static void test_requests(struct fake *f)
{
	char req[sizeof(f->request)];
	struct sc_http_client *c = client(f, "tok-123", 5000);
	struct sc_http_response r;
	fake_text(f, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
	             "Connection: close\r\n\r\n{\"ok\":true}", 0);
	check(sc_http_request(c, "POST", "/api/v1/inject?slot=1", "{\"kind\":\"assert\"}", 1024, &r));
	check(r.status == 200 && r.len == 11 && strcmp(r.body, "{\"ok\":true}") == 0);
	check(strcmp(r.content_type, "application/json") == 0);
	sc_http_response_finish(&r);
	fake_last(f, req, sizeof(req));
	check(strncmp(req, "POST /prefix/api/v1/inject?slot=1 HTTP/1.1\r\n", 44) == 0);
	check(strstr(req, "\r\nAuthorization: Bearer tok-123\r\n"));
	check(strstr(req, "\r\nContent-Type: application/json\r\n"));
	check(strstr(req, "\r\nContent-Length: 17\r\n"));
	check(strstr(req, "\r\n\r\n{\"kind\":\"assert\"}"));
	check(!strcasestr(req, "\r\nExpect:"));

	/* the same handle: a GET after a POST sends no body, no Content-Type */
	check(sc_http_request(c, "GET", "/api/v1/status", NULL, 1024, &r) && r.status == 200);
	sc_http_response_finish(&r);
	fake_last(f, req, sizeof(req));
	check(strncmp(req, "GET /prefix/api/v1/status HTTP/1.1\r\n", 36) == 0);
	check(!strcasestr(req, "Content-Length") && !strcasestr(req, "Content-Type"));
	check(strstr(req, "\r\nAuthorization: Bearer tok-123\r\n"));

	/* a POST without a body: Content-Length: 0 */
	check(sc_http_request(c, "POST", "/x", NULL, 1024, &r) && r.status == 200);
	sc_http_response_finish(&r);
	fake_last(f, req, sizeof(req));
	check(strncmp(req, "POST /prefix/x HTTP/1.1\r\n", 25) == 0 && strstr(req, "\r\nContent-Length: 0\r\n"));

	/* an error status is an answer: true, with the body */
	fake_text(f, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope!", 0);
	check(sc_http_request(c, "GET", "/y", NULL, 1024, &r));
	check(r.status == 401 && strcmp(r.body, "nope!") == 0 && r.content_type[0] == '\0');
	sc_http_response_finish(&r);

	/* chunked, and close-delimited without a length */
	fake_text(f, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
	             "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", 0);
	check(sc_http_request(c, "GET", "/z", NULL, 1024, &r) && r.status == 200 && strcmp(r.body, "abcdefg") == 0);
	sc_http_response_finish(&r);
	fake_text(f, "HTTP/1.0 200 OK\r\n\r\nuntil close", 0);
	check(sc_http_request(c, "GET", "/z", NULL, 1024, &r) && strcmp(r.body, "until close") == 0);
	sc_http_response_finish(&r);
	/* an empty body is "" */
	fake_text(f, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0);
	check(sc_http_request(c, "GET", "/z", NULL, 1024, &r) && r.status == 204 && r.body && r.len == 0);
	sc_http_response_finish(&r);
	sc_http_client_destroy(c);

	/* no token, no Authorization header */
	c = client(f, NULL, 5000);
	fake_text(f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0);
	check(sc_http_request(c, "GET", "/metrics", NULL, 1024, &r));
	sc_http_response_finish(&r);
	fake_last(f, req, sizeof(req));
	check(!strcasestr(req, "Authorization"));
	sc_http_client_destroy(c);
}

static void test_failures(struct fake *f)
{
	struct sc_http_client *c = client(f, "secret-token", 700);
	struct sc_http_response r;

	/* over the limit, announced by Content-Length: refused before reading */
	fake_text(f, "HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\nConnection: close\r\n\r\nabc", 0);
	check(!sc_http_request(c, "GET", "/big", NULL, 1u << 20, &r));
	check(r.failure == SC_HTTP_FAIL_TOO_LARGE && strstr(r.error, "over 1 MiB") && !r.body);
	/* and without a length: stopped at the limit */
	size_t big = (2u << 20) + 100;
	char *ans = malloc(big);
	int hl = snprintf(ans, big, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	memset(ans + hl, 'x', big - (size_t)hl);
	fake_answer(f, ans, big, 0);
	free(ans);
	check(!sc_http_request(c, "GET", "/big", NULL, 1u << 20, &r));
	check(r.failure == SC_HTTP_FAIL_TOO_LARGE && strstr(r.error, "over 1 MiB") && !r.body);
	fprintf(stderr, "over the limit: %s\n", r.error);
	/* exactly at the limit is fine */
	check(sc_http_request(c, "GET", "/big", NULL, big - (size_t)hl, &r) && r.len == big - (size_t)hl);
	sc_http_response_finish(&r);

	/* a server that says nothing: the timeout, well before it answers */
	fake_text(f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4000);
	uint64_t t0 = now_ms();
	check(!sc_http_request(c, "GET", "/slow", NULL, 1024, &r));
	uint64_t took = now_ms() - t0;
	check(r.failure == SC_HTTP_FAIL_TIMEOUT && strstr(r.error, "timed out") && strstr(r.error, "0.7 s"));
	check(took >= 700 && took < 3500);

	/* cut short: fewer bytes than Content-Length */
	fprintf(stderr, "timeout: %s\n", r.error);
	fake_text(f, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly this", 0);
	check(!sc_http_request(c, "GET", "/short", NULL, 1024, &r));
	fprintf(stderr, "cut short: %s\n", r.error);
	check(r.failure == SC_HTTP_FAIL_ANSWER && strstr(r.error, "cut short"));

	/* not HTTP at all */
	fake_text(f, "SSH-2.0-OpenSSH\r\n\r\n", 0);
	check(!sc_http_request(c, "GET", "/", NULL, 1024, &r));
	fprintf(stderr, "not HTTP: %s\n", r.error);
	check(r.failure == SC_HTTP_FAIL_ANSWER);
	/* nothing at all */
	fake_text(f, "", 0);
	check(!sc_http_request(c, "GET", "/", NULL, 1024, &r));
	check(r.failure == SC_HTTP_FAIL_ANSWER);
	/* the token is in no message */
	check(!strstr(r.error, "secret-token"));
	/* a bad path */
	check(!sc_http_request(c, "GET", "no-slash", NULL, 1024, &r) && r.failure == SC_HTTP_FAIL_OTHER);
	sc_http_client_destroy(c);

	/* nothing listening */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof(a);
	check(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &al) == 0);
	char url[64], err[SC_HTTP_ERROR_LEN];
	snprintf(url, sizeof(url), "127.0.0.1:%u", ntohs(a.sin_port)); /* bound, not listening */
	c = sc_http_client_create(url, NULL, err, sizeof(err));
	check(c);
	check(!sc_http_request(c, "GET", "/", NULL, 1024, &r));
	fprintf(stderr, "not listening: %s\n", r.error);
	check(r.failure == SC_HTTP_FAIL_CONNECT && strstr(r.error, "cannot connect to 127.0.0.1 port"));
	sc_http_client_destroy(c);
	close(s);
}

static bool refused(const char *url, const char *token, const char *words)
{
	char err[SC_HTTP_ERROR_LEN] = "";
	struct sc_http_options o = {.token = token, .default_port = 8080};
	struct sc_http_client *c = sc_http_client_create(url, &o, err, sizeof(err));
	if (c) {
		sc_http_client_destroy(c);
		fprintf(stderr, "accepted: '%.80s'\n", url);
		return false;
	}
	if (!strstr(err, words)) {
		fprintf(stderr, "'%.80s': message '%s' lacks '%s'\n", url, err, words);
		return false;
	}
	return true;
}

static void test_create(void)
{
	char err[SC_HTTP_ERROR_LEN];
	struct sc_http_options o = {.default_port = 8080};
	struct sc_http_client *c = sc_http_client_create("localhost", &o, err, sizeof(err));
	check(c && strcmp(sc_http_client_where(c), "localhost port 8080") == 0);
	sc_http_client_destroy(c);
	c = sc_http_client_create("http://[::1]:9/", &o, err, sizeof(err));
	check(c && strcmp(sc_http_client_where(c), "[::1] port 9") == 0);
	sc_http_client_destroy(c);
	check(refused("ftp://127.0.0.1/", NULL, "only http://"));
	check(refused("https://127.0.0.1/", NULL, "only http://"));
	check(refused("http://user:pw@127.0.0.1/", NULL, "without a user"));
	check(refused("http://127.0.0.1/?q=1", NULL, "query"));
	check(refused("http://127.0.0.1/#f", NULL, "fragment"));
	check(refused("http://127.0.0.1:0/", NULL, "port"));
	check(refused("http://127.0.0.1:70000/", NULL, "URL"));
	check(refused("http://[::1/", NULL, "URL"));
	check(refused("", NULL, "URL"));
	char long_url[400];
	snprintf(long_url, sizeof(long_url), "http://127.0.0.1/%0300d", 0);
	check(refused(long_url, NULL, "over 255 characters"));
	check(refused("127.0.0.1", "a\r\nX-Evil: 1", "printable"));
	check(refused("127.0.0.1", "with space", "printable"));
	char *tok = malloc(2000);
	memset(tok, 'a', 1999);
	tok[1999] = '\0';
	check(refused("127.0.0.1", tok, "1999 characters"));
	free(tok);
}

int main(void)
{
	struct fake f;
	fake_start(&f);
	test_requests(&f);
	test_failures(&f);
	fake_stop(&f);
	test_create();
	printf("http_client: all checks passed\n");
	return 0;
}
