/* The HTTP client of util/http_client.h over libcurl's easy interface.
 * libcurl rather than a socket loop of our own: chunked and close-delimited
 * answers, IPv6, keep-alive and partial reads were each a bug in the three
 * hand-written clients this replaces. */
#include "util/http_client.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_MAX 1024
#define PREFIX_MAX 255

struct sc_http_client {
	CURL *curl;
	struct curl_slist *headers;      /* Expect: off, Authorization */
	struct curl_slist *json_headers; /* the same plus Content-Type: application/json */
	char *origin;                    /* "http://HOST:PORT" */
	char *prefix;                    /* "" or "/PREFIX", no trailing '/' */
	char where[320];
	uint32_t timeout_ms;
	char curl_error[CURL_ERROR_SIZE];
};

/* one request's receiving state, for the callbacks */
struct transfer {
	struct sc_http_response *resp;
	size_t cap, max_body;
	bool over_limit, no_memory;
	uint64_t last_activity_ms;
	uint32_t timeout_ms;
	bool stalled, got_bytes;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

__attribute__((format(printf, 3, 4)))
static void set_error(char *err, size_t len, const char *fmt, ...)
{
	if (!err || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* "8 MiB", "1500 bytes" */
static void format_size(size_t n, char *out, size_t len)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(out, len, "%zu MiB", n >> 20);
	else
		snprintf(out, len, "%zu bytes", n);
}

static bool token_ok(const char *t, char *err, size_t err_len)
{
	size_t len = strlen(t);
	if (len > TOKEN_MAX) {
		set_error(err, err_len, "the token is %zu characters, at most %d are sent", len, TOKEN_MAX);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c <= ' ' || c >= 0x7f) {
			set_error(err, err_len, "the token must be printable ASCII without spaces (character %zu is 0x%02x)",
			          i + 1, c);
			return false;
		}
	}
	return true;
}

/* Splits and checks the base URL with libcurl's URL parser. */
static bool parse_base(struct sc_http_client *c, const char *url, uint16_t default_port, char *err, size_t err_len)
{
	bool ok = false;
	char *with_scheme = NULL, *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *part = NULL;
	CURLU *u = curl_url();
	if (!u) {
		set_error(err, err_len, "out of memory");
		return false;
	}
	if (!strstr(url, "://")) {
		size_t n = strlen(url) + 8;
		with_scheme = malloc(n);
		if (!with_scheme) {
			set_error(err, err_len, "out of memory");
			goto out;
		}
		snprintf(with_scheme, n, "http://%s", url);
	}
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, with_scheme ? with_scheme : url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		set_error(err, err_len, "bad URL '%.300s': %s", url, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || strcmp(scheme, "http") != 0) {
		set_error(err, err_len, "only http:// URLs are supported (got '%.300s')", url);
		goto out;
	}
	static const CURLUPart extra[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_QUERY, CURLUPART_FRAGMENT};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (curl_url_get(u, extra[i], &part, 0) == CURLUE_OK) {
			set_error(err, err_len, "the URL is http://HOST[:PORT][/PATH], without a user, query or fragment "
			          "(got '%.300s')", url);
			goto out;
		}
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		set_error(err, err_len, "no host in the URL '%.300s'", url);
		goto out;
	}
	unsigned long portnum = default_port ? default_port : 80;
	uc = curl_url_get(u, CURLUPART_PORT, &port, 0);
	if (uc == CURLUE_OK) {
		char *end;
		portnum = strtoul(port, &end, 10);
		if (*end || portnum < 1 || portnum > 65535) {
			set_error(err, err_len, "bad port '%s' in the URL", port);
			goto out;
		}
	} else if (uc != CURLUE_NO_PORT) {
		set_error(err, err_len, "bad port in the URL '%.300s'", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		set_error(err, err_len, "bad path in the URL '%.300s'", url);
		goto out;
	}
	size_t pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		path[--pl] = '\0';
	if (pl > PREFIX_MAX) {
		set_error(err, err_len, "the URL's path is over %d characters", PREFIX_MAX);
		goto out;
	}
	size_t ol = strlen(host) + 16;
	c->origin = malloc(ol);
	c->prefix = strdup(path);
	if (!c->origin || !c->prefix) {
		set_error(err, err_len, "out of memory");
		goto out;
	}
	snprintf(c->origin, ol, "http://%s:%lu", host, portnum);
	snprintf(c->where, sizeof(c->where), "%.280s port %lu", host, portnum);
	ok = true;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(part);
	curl_url_cleanup(u);
	free(with_scheme);
	return ok;
}

static bool build_headers(struct sc_http_client *c, const char *token)
{
	/* no "Expect: 100-continue" round trip for larger bodies */
	c->headers = curl_slist_append(NULL, "Expect:");
	if (c->headers && token && token[0]) {
		size_t n = strlen(token) + 32;
		char *h = malloc(n);
		if (!h)
			return false;
		snprintf(h, n, "Authorization: Bearer %s", token);
		struct curl_slist *l = curl_slist_append(c->headers, h);
		memset(h, 0, n);
		free(h);
		if (!l)
			return false;
		c->headers = l;
	}
	if (!c->headers)
		return false;
	for (struct curl_slist *l = c->headers; l; l = l->next) {
		struct curl_slist *nl = curl_slist_append(c->json_headers, l->data);
		if (!nl)
			return false;
		c->json_headers = nl;
	}
	struct curl_slist *nl = curl_slist_append(c->json_headers, "Content-Type: application/json");
	if (!nl)
		return false;
	c->json_headers = nl;
	return true;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	struct sc_http_response *r = t->resp;
	size_t n = size * nmemb;
	t->last_activity_ms = now_ms();
	t->got_bytes = true;
	if (n > t->max_body - r->len) {
		t->over_limit = true;
		return 0;
	}
	if (r->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 16384;
		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > t->max_body + 1)
			cap = t->max_body + 1;
		char *b = realloc(r->body, cap);
		if (!b) {
			t->no_memory = true;
			return 0;
		}
		r->body = b;
		t->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	t->last_activity_ms = now_ms();
	t->got_bytes = true;
	return size * nmemb;
}

/* the timeout: nothing received (or sent) for timeout_ms */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = user;
	if (now_ms() - t->last_activity_ms > t->timeout_ms) {
		t->stalled = true;
		return 1;
	}
	return 0;
}

struct sc_http_client *sc_http_client_create(const char *base_url, const struct sc_http_options *opts,
                                             char *err, size_t err_len)
{
	static const struct sc_http_options defaults = {0};
	if (!opts)
		opts = &defaults;
	if (opts->token && !token_ok(opts->token, err, err_len))
		return NULL;
	/* reference counted and thread-safe since libcurl 7.84 */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		set_error(err, err_len, "libcurl failed to initialise");
		return NULL;
	}
	struct sc_http_client *c = calloc(1, sizeof(*c));
	if (!c) {
		set_error(err, err_len, "out of memory");
		curl_global_cleanup();
		return NULL;
	}
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : SC_HTTP_TIMEOUT_MS_DEFAULT;
	if (!parse_base(c, base_url, opts->default_port, err, err_len)) {
		sc_http_client_destroy(c);
		return NULL;
	}
	c->curl = curl_easy_init();
	if (!c->curl || !build_headers(c, opts->token)) {
		set_error(err, err_len, "out of memory");
		sc_http_client_destroy(c);
		return NULL;
	}
	CURL *h = c->curl;
	bool ok = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	          /* the server is reached directly: no *_proxy from the environment sees the token */
	          curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
	          /* the server checks paths itself ("..", odd names): send them as given */
	          curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_USERAGENT, "shadowcast") == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_error) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
	if (!ok) {
		set_error(err, err_len, "this libcurl lacks a needed option (libcurl >= 7.85 with HTTP)");
		sc_http_client_destroy(c);
		return NULL;
	}
	return c;
}

void sc_http_client_destroy(struct sc_http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	curl_slist_free_all(c->json_headers);
	free(c->origin);
	free(c->prefix);
	free(c);
	curl_global_cleanup();
}

const char *sc_http_client_where(const struct sc_http_client *c)
{
	return c->where;
}

void sc_http_response_finish(struct sc_http_response *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* A request's failure in words; never with a header (the token) in it. */
static void describe(const struct sc_http_client *c, const struct transfer *t, CURLcode rc, size_t max_body,
                     struct sc_http_response *r)
{
	char limit[32], *err = r->error;
	size_t len = sizeof(r->error);
	format_size(max_body, limit, sizeof(limit));
	const char *detail = c->curl_error[0] ? c->curl_error : curl_easy_strerror(rc);
	r->failure = SC_HTTP_FAIL_ANSWER;
	if (t->over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
		r->failure = SC_HTTP_FAIL_TOO_LARGE;
		set_error(err, len, "the answer from %s is over %s", c->where, limit);
	} else if (t->no_memory || rc == CURLE_OUT_OF_MEMORY) {
		r->failure = SC_HTTP_FAIL_OTHER;
		set_error(err, len, "out of memory reading the answer from %s", c->where);
	} else if (t->stalled) {
		r->failure = SC_HTTP_FAIL_TIMEOUT;
		set_error(err, len, "timed out: %s sent nothing for %.1f s%s", c->where, t->timeout_ms / 1000.0,
		          t->got_bytes ? " (the answer stalled)" : "");
	} else if (rc == CURLE_COULDNT_RESOLVE_HOST) {
		r->failure = SC_HTTP_FAIL_CONNECT;
		set_error(err, len, "cannot resolve the host of %s: %s", c->where, detail);
	} else if (rc == CURLE_OPERATION_TIMEDOUT && !t->got_bytes) {
		r->failure = SC_HTTP_FAIL_CONNECT;
		set_error(err, len, "cannot connect to %s: no answer within %.1f s", c->where, t->timeout_ms / 1000.0);
	} else if (rc == CURLE_COULDNT_CONNECT) {
		long oserr = 0;
		curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
		r->failure = SC_HTTP_FAIL_CONNECT;
		set_error(err, len, "cannot connect to %s: %s", c->where, oserr ? strerror((int)oserr) : detail);
	} else if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR) {
		set_error(err, len, "the answer from %s was cut short: %s", c->where, detail);
	} else if (rc == CURLE_GOT_NOTHING || rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL) {
		set_error(err, len, "%s sent no valid HTTP answer: %s", c->where, detail);
	} else {
		r->failure = SC_HTTP_FAIL_OTHER;
		set_error(err, len, "request to %s failed: %s", c->where, detail);
	}
}

bool sc_http_request(struct sc_http_client *c, const char *method, const char *path, const char *json_body,
                     size_t max_body, struct sc_http_response *r)
{
	memset(r, 0, sizeof(*r));
	if (!path || path[0] != '/') {
		r->failure = SC_HTTP_FAIL_OTHER;
		set_error(r->error, sizeof(r->error), "a request path starts with '/'");
		return false;
	}
	size_t ul = strlen(c->origin) + strlen(c->prefix) + strlen(path) + 1;
	char *url = malloc(ul);
	if (!url) {
		r->failure = SC_HTTP_FAIL_OTHER;
		set_error(r->error, sizeof(r->error), "out of memory");
		return false;
	}
	snprintf(url, ul, "%s%s%s", c->origin, c->prefix, path);

	struct transfer t = {.resp = r, .max_body = max_body, .timeout_ms = c->timeout_ms,
	                     .last_activity_ms = now_ms()};
	bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
	CURL *h = c->curl;
	c->curl_error[0] = '\0';
	bool ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_WRITEDATA, &t) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_HEADERDATA, &t) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body) == CURLE_OK &&
	          curl_easy_setopt(h, CURLOPT_HTTPHEADER, json_body ? c->json_headers : c->headers) == CURLE_OK;
	/* the handle is reused: every request sets its method and body anew */
	if (ok && get) {
		ok = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
	} else if (ok) {
		const char *b = json_body ? json_body : "";
		ok = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, post ? NULL : method) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(b)) == CURLE_OK &&
		     curl_easy_setopt(h, CURLOPT_POSTFIELDS, b) == CURLE_OK;
	}
	if (!ok) {
		r->failure = SC_HTTP_FAIL_OTHER;
		set_error(r->error, sizeof(r->error), "cannot set up the request");
		free(url);
		return false;
	}
	CURLcode rc = curl_easy_perform(h);
	free(url);
	if (rc != CURLE_OK) {
		describe(c, &t, rc, max_body, r);
		sc_http_response_finish(r);
		return false;
	}
	if (!r->body && !(r->body = calloc(1, 1))) {
		r->failure = SC_HTTP_FAIL_OTHER;
		set_error(r->error, sizeof(r->error), "out of memory");
		return false;
	}
	char *type = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
		snprintf(r->content_type, sizeof(r->content_type), "%s", type);
	return true;
}
