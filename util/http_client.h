/* A small blocking HTTP/1.1 client of one server (libcurl): `shadowcast ctl`
 * and the benchmarks that talk to a running server use it. One request at a
 * time; the connection is kept for the next request when the server allows.
 *
 * Ownership: the client owns its libcurl handle and a copy of the token; a
 * response owns its body until sc_http_response_finish(). */
#ifndef SC_UTIL_HTTP_CLIENT_H
#define SC_UTIL_HTTP_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_HTTP_TIMEOUT_MS_DEFAULT 20000u
#define SC_HTTP_ERROR_LEN 512

struct sc_http_client;

struct sc_http_options {
	/* sent as "Authorization: Bearer TOKEN" with every request; NULL or ""
	 * for none. Printable ASCII without spaces, at most 1024 characters.
	 * Never written to a log or an error message. */
	const char *token;
	/* connecting, and a server that sends nothing for this long, fail the
	 * request; 0: SC_HTTP_TIMEOUT_MS_DEFAULT */
	uint32_t timeout_ms;
	/* the port when the URL names none; 0: 80 */
	uint16_t default_port;
};

enum sc_http_failure {
	SC_HTTP_FAIL_NONE,
	SC_HTTP_FAIL_CONNECT,   /* the host cannot be resolved or reached */
	SC_HTTP_FAIL_TIMEOUT,   /* nothing came for timeout_ms */
	SC_HTTP_FAIL_TOO_LARGE, /* the answer body is over max_body */
	SC_HTTP_FAIL_ANSWER,    /* no valid HTTP answer, or one cut short */
	SC_HTTP_FAIL_OTHER,     /* out of memory, a bad request path */
};

struct sc_http_response {
	long status;       /* the HTTP status, 0 without an answer */
	char *body;        /* heap, NUL-terminated (not counted in len); never NULL after an answer */
	size_t len;
	char content_type[128]; /* "" when the server sent none */
	enum sc_http_failure failure;  /* when sc_http_request() returned false: what failed */
	char error[SC_HTTP_ERROR_LEN]; /* and why, in words */
};

/* base_url: "http://HOST[:PORT][/PREFIX]" or "HOST[:PORT][/PREFIX]" (IPv6:
 * "[::1]:8080"); no user, query or fragment, a prefix of at most 255
 * characters. NULL when the URL or the token is not acceptable (no network
 * access happens here), with the reason in err. */
struct sc_http_client *sc_http_client_create(const char *base_url, const struct sc_http_options *opts,
                                             char *err, size_t err_len);
void sc_http_client_destroy(struct sc_http_client *client);

/* "HOST port PORT", for messages */
const char *sc_http_client_where(const struct sc_http_client *client);

/* METHOD (GET, POST, ...) PREFIX PATH; path starts with '/' and may carry a
 * query. json_body: sent with Content-Type: application/json (NULL: no body;
 * a POST then sends Content-Length: 0). An answer body over max_body bytes is
 * an error. true when an answer came, whatever its status: *resp holds it
 * (release with sc_http_response_finish); false: resp->error says why (no
 * connection, a timeout, an answer cut short or over the limit, not HTTP). */
bool sc_http_request(struct sc_http_client *client, const char *method, const char *path, const char *json_body,
                     size_t max_body, struct sc_http_response *resp);
void sc_http_response_finish(struct sc_http_response *resp);

#endif
