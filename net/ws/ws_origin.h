/* Which browser pages may open the WebSocket (cross-site WebSocket
 * hijacking: any page a user visits can try ws://127.0.0.1:8080/stream, and
 * the browser sends that page's Origin). Pure functions, unit tested. */
#ifndef SC_NET_WS_WS_ORIGIN_H
#define SC_NET_WS_WS_ORIGIN_H
#include <stdbool.h>

/* origin: the Origin header ("scheme://host[:port]"), host: the Host header,
 * tls: whether this connection is https/wss, allowed: extra origins,
 * comma-separated (blanks around items ignored), NULL or "" = none.
 * True when origin is the page's own (scheme http or https as the connection
 * is, host[:port] equal to Host, case-insensitive) or exactly one of allowed.
 * origin NULL (no header: not a browser) is allowed; "null" is not. */
bool sc_ws_origin_allowed(const char *origin, const char *host, bool tls, const char *allowed);

/* NULL when list is a valid allow-list (items "http://H[:P]" or
 * "https://H[:P]", no path), else why not. */
const char *sc_ws_origin_list_problem(const char *list);

#endif
