/* Plain HTTP on the shared port: /metrics (Prometheus text), /healthz and the
 * embedding process's read-only /api/ endpoints (cfg.http_get).
 * Static files (the player page) are served by the lws file mount set up in
 * ws_server.c; this callback also takes lws' default HTTP handling. */
#include <stdlib.h>
#include <string.h>

#include "net/ws_internal.h"
#include "util/log.h"

#define SC_WS_METRICS_MAX (256 * 1024)
#define SC_WS_API_MAX (64 * 1024)

struct sc_ws_http_pss {
	unsigned char *body; /* LWS_PRE + len */
	size_t len;
};

static int respond(struct lws *wsi, struct sc_ws_http_pss *pss, unsigned int status,
                   const char *type, unsigned char *body, size_t len)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
		*end = hdr + sizeof(hdr) - 1;

	pss->body = body;
	pss->len = len;
	if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
	                                (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int serve(struct lws *wsi, struct sc_ws_http_pss *pss, const char *path)
{
	struct sc_ws_server *srv = lws_context_user(lws_get_context(wsi));

	if (strcmp(path, "/healthz") == 0) {
		unsigned char *body = malloc(LWS_PRE + 3);
		if (!body)
			return 1;
		memcpy(body + LWS_PRE, "ok\n", 3);
		return respond(wsi, pss, HTTP_STATUS_OK, "text/plain; charset=utf-8", body, 3);
	}
	if (strcmp(path, "/metrics") == 0) {
		unsigned char *body = malloc(LWS_PRE + SC_WS_METRICS_MAX);
		if (!body)
			return 1;
		size_t n = sc_ws_metrics_format(srv, (char *)body + LWS_PRE, SC_WS_METRICS_MAX);
		return respond(wsi, pss, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
		               body, n);
	}
	if (strncmp(path, "/api/", 5) == 0 && srv->cfg.http_get) {
		unsigned char *body = malloc(LWS_PRE + SC_WS_API_MAX);
		const char *type = "application/json";
		if (!body)
			return 1;
		size_t n = srv->cfg.http_get(srv->cfg.user, path, (char *)body + LWS_PRE,
		                             SC_WS_API_MAX, &type);
		if (n > 0 && n < SC_WS_API_MAX)
			return respond(wsi, pss, HTTP_STATUS_OK, type, body, n);
		free(body);
	}
	return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "not found") ? 1 : 0;
}

int sc_ws_http_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len)
{
	struct sc_ws_http_pss *pss = user;
	char path[256];

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0) {
			lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "GET only");
			return -1;
		}
		return serve(wsi, pss, path) ? -1 : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss || !pss->body)
			break;
		if (lws_write(wsi, pss->body + LWS_PRE, pss->len, LWS_WRITE_HTTP_FINAL) !=
		    (int)pss->len) {
			free(pss->body);
			pss->body = NULL;
			return -1;
		}
		free(pss->body);
		pss->body = NULL;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		if (pss) {
			free(pss->body);
			pss->body = NULL;
		}
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
