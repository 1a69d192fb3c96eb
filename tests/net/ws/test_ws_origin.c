/* Which pages may open the WebSocket (net/ws/ws_origin.h): the page's own
 * origin (scheme as the connection, Host exact), the allow-list exactly, no
 * header (not a browser); everything else refused. */
#include <string.h>

#include "net/ws/ws_origin.h"
#include "tests/lib/check.h"

int main(void)
{
	/* the page's own origin */
	check(sc_ws_origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", false, NULL));
	check(sc_ws_origin_allowed("HTTP://LocalHost:8080", "localhost:8080", false, NULL));
	check(sc_ws_origin_allowed("https://game.example", "game.example", true, NULL));
	/* another scheme, host or port is another origin */
	check(!sc_ws_origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080", false, NULL));
	check(!sc_ws_origin_allowed("http://game.example", "game.example", true, NULL));
	check(!sc_ws_origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", false, NULL));
	check(!sc_ws_origin_allowed("http://evil.example", "127.0.0.1:8080", false, NULL));
	check(!sc_ws_origin_allowed("http://127.0.0.1:8080.evil.example", "127.0.0.1:8080", false, NULL));
	check(!sc_ws_origin_allowed("http://127.0.0.1:8080", "", false, NULL));
	check(!sc_ws_origin_allowed("null", "127.0.0.1:8080", false, NULL));
	check(!sc_ws_origin_allowed("", "127.0.0.1:8080", false, ""));
	/* no Origin header: not a browser page */
	check(sc_ws_origin_allowed(NULL, "127.0.0.1:8080", false, NULL));
	/* the allow-list: exact items, blanks around them ignored */
	const char *list = " https://a.example , http://b.example:9000,";
	check(sc_ws_origin_allowed("https://a.example", "127.0.0.1:8080", false, list));
	check(sc_ws_origin_allowed("http://b.example:9000", "127.0.0.1:8080", false, list));
	check(!sc_ws_origin_allowed("http://b.example", "127.0.0.1:8080", false, list));
	check(!sc_ws_origin_allowed("https://a.example.evil", "127.0.0.1:8080", false, list));
	check(!sc_ws_origin_allowed("https://a.exampl", "127.0.0.1:8080", false, list));
	/* list checks */
	check(sc_ws_origin_list_problem(NULL) == NULL);
	check(sc_ws_origin_list_problem(list) == NULL);
	check(sc_ws_origin_list_problem("a.example") != NULL);
	check(sc_ws_origin_list_problem("https://") != NULL);
	check(sc_ws_origin_list_problem("https://a.example/path") != NULL);
	check(sc_ws_origin_list_problem("https://a.example, ftp://b") != NULL);
	return 0;
}
