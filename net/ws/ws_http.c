/* Plain HTTP on the shared port: /metrics (Prometheus text), /healthz, and
 * under /api/ the embedding process's handlers: cfg.http_request (GET and POST
 * with method, query, Authorization and a body of at most SC_WS_MAX_HTTP_BODY
 * bytes; answers may be deferred and polled on a timer), then cfg.http_get
 * (read-only GETs). Static files (the player and developer pages) are served by
 * the lws file mounts set up in ws_server.c; this callback also takes lws'
 * default HTTP handling. Bodies go out in pieces of SC_WS_HTTP_CHUNK bytes,
 * from a malloc'd body or pulled from a struct sc_http_stream that another
 * thread fills.
 *
 * Deferred answers are written from HTTP_WRITEABLE like everything else: a
 * pending answer is polled there (a 5 ms timer asks for it, and so does every
 * sc_ws_server_wake()), and a stream with nothing ready waits for the next
 * wake. The connections that wait are on srv->http_waiting; the wake arrives
 * as LWS_CALLBACK_EVENT_WAIT_CANCELLED, which makes each of them writeable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/ws_internal.h"
#include "net/ws/ws_prom.h"
#include "util/log.h"

#define SC_WS_METRICS_MAX (1024 * 1024) /* ~10 series per client: 1024 clients fit */
#define SC_WS_API_MAX (64 * 1024)
#define SC_WS_HTTP_CHUNK (32 * 1024)
#define SC_WS_HTTP_POLL_US 5000
/* A response body that makes no progress for this long is cut. libwebsockets
 * arms its content timeout (5 s) once, at the request: without re-arming it
 * on each write, a slow client's download was cut 5 s after it began. */
#define SC_WS_HTTP_STALL_S 20
#define SC_WS_HTTP_DISCARD_MAX (1024 * 1024) /* larger POST bodies: 413 and close at once */

/* --- the connections waiting for a wake (service thread) ------------------------ */

static void wait_add(struct sc_ws_server *srv, struct sc_ws_http_pss *pss)
{
	if (pss->waiting)
		return;
	pss->waiting = true;
	pss->wait_prev = NULL;
	pss->wait_next = srv->http_waiting;
	if (srv->http_waiting)
		srv->http_waiting->wait_prev = pss;
	srv->http_waiting = pss;
}

static void wait_remove(struct sc_ws_server *srv, struct sc_ws_http_pss *pss)
{
	if (!pss->waiting)
		return;
	if (pss->wait_prev)
		pss->wait_prev->wait_next = pss->wait_next;
	else
		srv->http_waiting = pss->wait_next;
	if (pss->wait_next)
		pss->wait_next->wait_prev = pss->wait_prev;
	pss->wait_prev = pss->wait_next = NULL;
	pss->waiting = false;
}

static void wake_waiting(struct sc_ws_server *srv)
{
	for (struct sc_ws_http_pss *pss = srv->http_waiting; pss; pss = pss->wait_next)
		lws_callback_on_writable(pss->wsi);
}

static void release_stream(struct sc_http_stream **stream)
{
	if (*stream) {
		struct sc_http_stream *s = *stream;
		*stream = NULL;
		s->release(s);
	}
}

static int respond_res(struct lws *wsi, struct sc_ws_http_pss *pss, const struct sc_http_response *res)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));

	free(pss->body);
	pss->body = NULL;
	release_stream(&pss->stream);
	if (res->stream) {
		free(res->body); /* a stream answer has no other body */
		pss->stream = res->stream;
		pss->len = res->len;
		wait_add(srv, pss);
	} else {
		pss->body = res->body ? res->body : malloc(1);
		pss->len = res->body ? res->len : 0;
		if (!pss->body)
			return 1;
	}
	pss->off = 0;
	if (lws_add_http_common_headers(wsi, res->status, res->content_type, (lws_filepos_t)pss->len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
	                                (const unsigned char *)"no-store", 8, &p, end))
		return 1;
	if (res->www_authenticate &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:",
	                                (const unsigned char *)res->www_authenticate,
	                                (int)strlen(res->www_authenticate), &p, end))
		return 1;
	if (res->filename[0]) {
		char cd[200];
		int n = snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", res->filename);
		if (n < 0 || (size_t)n >= sizeof(cd) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"content-disposition:",
		                                (const unsigned char *)cd, n, &p, end))
			return 1;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int respond(struct lws *wsi, struct sc_ws_http_pss *pss, unsigned int status, const char *type,
                   char *body, size_t len)
{
	struct sc_http_response res = {.status = status, .content_type = type, .body = body, .len = len};
	return respond_res(wsi, pss, &res);
}

/* A JSON error for /api/ paths: {"error": "..."} */
static int respond_json_error(struct lws *wsi, struct sc_ws_http_pss *pss, unsigned int status, const char *msg)
{
	char *body = malloc(256);
	if (!body)
		return 1;
	int n = snprintf(body, 256, "{\"error\":\"%s\",\"status\":%u}\n", msg, status);
	return respond(wsi, pss, status, "application/json", body, n > 0 && n < 256 ? (size_t)n : 0);
}

static int serve_api(struct lws *wsi, struct sc_ws_http_pss *pss)
{
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
	if (srv->cfg.http_request) {
		struct sc_http_request req = {
			.method = pss->is_post ? "POST" : "GET",
			.path = pss->path,
			.query = pss->query,
			.authorization = pss->auth,
			.peer = pss->peer,
			.body = pss->rx ? pss->rx : "",
			.body_len = pss->rx ? pss->rx_len : 0,
		};
		struct sc_http_response res = {.content_type = "application/json"};
		srv->cfg.http_request(srv->cfg.user, &req, &res);
		if (res.status && res.pending && !srv->cfg.http_poll) {
			free(res.body);
			release_stream(&res.stream);
			return respond_json_error(wsi, pss, HTTP_STATUS_INTERNAL_SERVER_ERROR, "no poll handler");
		}
		if (res.status && res.pending) {
			free(res.body);
			res.body = NULL;
			pss->pending = malloc(sizeof(*pss->pending));
			if (!pss->pending) {
				release_stream(&res.stream);
				return 1;
			}
			*pss->pending = res;
			wait_add(srv, pss);
			lws_set_timer_usecs(wsi, SC_WS_HTTP_POLL_US);
			return 0;
		}
		if (res.status)
			return respond_res(wsi, pss, &res);
		free(res.body);
		release_stream(&res.stream);
	}
	if (!pss->is_post && srv->cfg.http_get) {
		char *body = malloc(SC_WS_API_MAX);
		const char *type = "application/json";
		if (!body)
			return 1;
		size_t n = srv->cfg.http_get(srv->cfg.user, pss->path, body, SC_WS_API_MAX, &type);
		if (n > 0 && n < SC_WS_API_MAX)
			return respond(wsi, pss, HTTP_STATUS_OK, type, body, n);
		free(body);
	}
	return respond_json_error(wsi, pss, HTTP_STATUS_NOT_FOUND, "not found");
}

static int serve(struct lws *wsi, struct sc_ws_http_pss *pss)
{
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
	const char *path = pss->path;

	pss->dispatched = true;
	if (strncmp(path, "/api/", 5) == 0)
		return serve_api(wsi, pss);
	if (pss->is_post)
		return respond(wsi, pss, HTTP_STATUS_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
		               strdup("POST only under /api/\n"), 22);
	if (strcmp(path, "/healthz") == 0)
		return respond(wsi, pss, HTTP_STATUS_OK, "text/plain; charset=utf-8", strdup("ok\n"), 3);
	if (strcmp(path, "/metrics") == 0) {
		/* OpenMetrics for a scraper that asks (Prometheus does): the format with exemplars */
		bool om = sc_prom_wants_openmetrics(pss->accept);
		char *text = malloc(SC_WS_METRICS_MAX);
		if (!text)
			return 1;
		size_t n = sc_ws_metrics_format(srv, text, SC_WS_METRICS_MAX, om);
		size_t cap = sc_prom_rewrite_bound(text, n, srv->metrics_session);
		char *body = malloc(cap);
		if (!body) {
			free(text);
			return 1;
		}
		size_t m = sc_prom_rewrite(text, n, srv->metrics_session, om, body, cap);
		free(text);
		return respond(wsi, pss, HTTP_STATUS_OK, om ? SC_PROM_OPENMETRICS_TYPE : SC_PROM_TEXT_TYPE, body, m);
	}
	/* Through our own answer path, which ends the transaction: a bare
	 * lws_return_http_status() left a keep-alive connection unreset, and every
	 * later request on it (a browser reuses it: the page's /favicon.ico, then
	 * an API call) got a 404 (e2e_http_keepalive). */
	return respond(wsi, pss, HTTP_STATUS_NOT_FOUND, "text/plain; charset=utf-8", strdup("not found\n"), 10);
}

/* The request line and headers: method, path, query, Authorization. */
static int begin_request(struct lws *wsi, struct sc_ws_http_pss *pss)
{
	memset(pss, 0, sizeof(*pss));
	pss->wsi = wsi;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) {
		if (lws_hdr_copy(wsi, pss->path, sizeof(pss->path), WSI_TOKEN_GET_URI) <= 0)
			return lws_return_http_status(wsi, HTTP_STATUS_REQ_URI_TOO_LONG, "path too long"), -1;
	} else if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
		pss->is_post = true;
		if (lws_hdr_copy(wsi, pss->path, sizeof(pss->path), WSI_TOKEN_POST_URI) <= 0)
			return lws_return_http_status(wsi, HTTP_STATUS_REQ_URI_TOO_LONG, "path too long"), -1;
	} else {
		lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "GET or POST only");
		return -1;
	}
	size_t q = 0;
	for (int i = 0; i < 8; i++) {
		char frag[128];
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n <= 0)
			break;
		int w = snprintf(pss->query + q, sizeof(pss->query) - q, "%s%s", q ? "&" : "", frag);
		if (w < 0 || (size_t)w >= sizeof(pss->query) - q)
			break;
		q += (size_t)w;
	}
	lws_get_peer_simple(wsi, pss->peer, sizeof(pss->peer));
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_ACCEPT) > 0 &&
	    lws_hdr_copy(wsi, pss->accept, sizeof(pss->accept), WSI_TOKEN_HTTP_ACCEPT) <= 0)
		pss->accept[0] = '\0'; /* too long: the 0.0.4 text */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
	    lws_hdr_copy(wsi, pss->auth, sizeof(pss->auth), WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
		pss->auth[0] = '\0'; /* too long: treated as no token */

	if (!pss->is_post)
		return serve(wsi, pss) ? -1 : 0;
	char cl[32] = "";
	long long clen = 0;
	if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
		clen = atoll(cl);
	if (clen > (long long)SC_WS_HTTP_DISCARD_MAX) {
		/* not worth reading: refuse and close */
		lws_return_http_status(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "request body over 4096 bytes");
		return -1;
	}
	/* a body over SC_WS_MAX_HTTP_BODY is read and dropped, then refused (413) */
	pss->rx = malloc(SC_WS_MAX_HTTP_BODY + 1);
	if (!pss->rx)
		return -1;
	pss->rx[0] = '\0';
	if (clen <= 0) /* no body follows; lws may still report a body completion (ignored) */
		return serve(wsi, pss) ? -1 : 0;
	return 0; /* LWS_CALLBACK_HTTP_BODY, then _COMPLETION */
}

static int write_some(struct lws *wsi, struct sc_ws_http_pss *pss)
{
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
	unsigned char buf[LWS_PRE + SC_WS_HTTP_CHUNK];
	size_t n = pss->len - pss->off;
	if (n > SC_WS_HTTP_CHUNK)
		n = SC_WS_HTTP_CHUNK;
	if (pss->stream && n) {
		bool done = false;
		long got = pss->stream->read(pss->stream, buf + LWS_PRE, n, &done);
		if (got < 0 || (got == 0 && done) || (size_t)got > n) {
			sc_warn("http: %s: the body ended after %zu of %zu bytes; closing the connection", pss->path,
			        pss->off, pss->len);
			return -1;
		}
		if (got == 0)
			return 0; /* nothing ready: on srv->http_waiting until the producer wakes us */
		n = (size_t)got;
	} else if (n) {
		memcpy(buf + LWS_PRE, pss->body + pss->off, n);
	}
	bool last = pss->off + n == pss->len;
	if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	pss->off += n;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, SC_WS_HTTP_STALL_S); /* progress */
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	free(pss->body);
	pss->body = NULL;
	release_stream(&pss->stream);
	wait_remove(srv, pss);
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A pending answer, polled from HTTP_WRITEABLE: when it is ready its headers
 * go out now and its body from the next WRITEABLE. */
static int poll_pending(struct lws *wsi, struct sc_ws_http_pss *pss)
{
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));
	srv->cfg.http_poll(srv->cfg.user, pss->pending);
	if (pss->pending->pending)
		return 0; /* the timer or the next wake asks again */
	struct sc_http_response *res = pss->pending;
	pss->pending = NULL;
	wait_remove(srv, pss);
	lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
	int r = respond_res(wsi, pss, res);
	free(res);
	return r ? -1 : 0;
}

static void free_pss(struct sc_ws_server *srv, struct sc_ws_http_pss *pss)
{
	wait_remove(srv, pss);
	free(pss->body);
	free(pss->rx);
	release_stream(&pss->stream);
	if (pss->pending)
		release_stream(&pss->pending->stream);
	free(pss->pending);
	pss->body = pss->rx = NULL;
	pss->pending = NULL;
}

int sc_ws_http_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len)
{
	struct sc_ws_http_pss *pss = user;
	struct sc_ws_server *srv = wsi ? lws_context_user(lws_get_context(wsi)) : NULL;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (!pss || !srv)
			return -1;
		free_pss(srv, pss);
		return begin_request(wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		if (!pss || !pss->rx)
			return -1;
		if (pss->dispatched)
			return 0; /* answered already (no Content-Length): not ours */
		if (pss->rx_len + len > SC_WS_MAX_HTTP_BODY) {
			pss->rx_too_big = true;
			return 0;
		}
		memcpy(pss->rx + pss->rx_len, in, len);
		pss->rx_len += len;
		pss->rx[pss->rx_len] = '\0';
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!pss || !pss->rx)
			return -1;
		if (pss->dispatched)
			return 0; /* Content-Length: 0 was answered at the headers: once */
		if (pss->rx_too_big)
			return respond_json_error(wsi, pss, HTTP_STATUS_REQ_ENTITY_TOO_LARGE,
			                          "request body over 4096 bytes") ? -1 : 0;
		return serve(wsi, pss) ? -1 : 0;
	case LWS_CALLBACK_TIMER:
		if (!pss || !pss->pending)
			break;
		lws_callback_on_writable(wsi); /* polled from HTTP_WRITEABLE */
		lws_set_timer_usecs(wsi, SC_WS_HTTP_POLL_US);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss)
			break;
		if (pss->pending)
			return poll_pending(wsi, pss);
		if (!pss->body && !pss->stream)
			break;
		return write_some(wsi, pss);
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		/* sc_ws_server_wake() or a publisher: every protocol gets this */
		if (srv)
			wake_waiting(srv);
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss && srv)
			free_pss(srv, pss);
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* a WebSocket upgrade that did not ask for our subprotocol */
		sc_warn("ws: refused a WebSocket upgrade without subprotocol " SC_WS_SUBPROTOCOL);
		return -1;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}
