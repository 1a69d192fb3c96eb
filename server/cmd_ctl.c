/* `shadowcast ctl URL [--token T] COMMAND [ARGS]`: a client of a running
 * server's debug API (/api/v1, docs/protocol.md "Debug API"). A small
 * blocking HTTP/1.1 client over TCP (IPv4 / IPv6 literals and host names),
 * one request per run, Connection: close. Prints the JSON answer indented;
 * exit 0 on 2xx, 1 on an error answer or no answer, 2 on a usage error. */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "server/commands.h"

#define CTL_TIMEOUT_S 20
#define CTL_MAX_BODY (80u << 20)
#define CTL_MAX_TOKEN 127 /* server/config.h api_token */

struct url {
	char host[300];
	char port[8];
	char base[256]; /* path prefix, without a trailing '/' */
};

static bool parse_url(const char *s, struct url *u)
{
	memset(u, 0, sizeof(*u));
	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else if (strstr(s, "://")) {
		fprintf(stderr, "shadowcast ctl: only http:// URLs are supported (got '%s')\n", s);
		return false;
	}
	const char *path = strchr(s, '/');
	size_t hl = path ? (size_t)(path - s) : strlen(s);
	char hostport[300];
	if (hl == 0 || hl >= sizeof(hostport)) {
		fprintf(stderr, "shadowcast ctl: no host in the URL\n");
		return false;
	}
	memcpy(hostport, s, hl);
	hostport[hl] = '\0';
	const char *port = NULL;
	if (hostport[0] == '[') {
		char *end = strchr(hostport, ']');
		if (!end) {
			fprintf(stderr, "shadowcast ctl: unterminated IPv6 address in '%s'\n", hostport);
			return false;
		}
		*end = '\0';
		snprintf(u->host, sizeof(u->host), "%s", hostport + 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1]) {
			fprintf(stderr, "shadowcast ctl: junk after the IPv6 address in the URL\n");
			return false;
		}
	} else {
		char *colon = strrchr(hostport, ':');
		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		snprintf(u->host, sizeof(u->host), "%s", hostport);
	}
	if (port && (!*port || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 || atoi(port) > 65535)) {
		fprintf(stderr, "shadowcast ctl: bad port '%s'\n", port);
		return false;
	}
	snprintf(u->port, sizeof(u->port), "%s", port ? port : "8080");
	if (path) {
		if (strlen(path) >= sizeof(u->base)) {
			fprintf(stderr, "shadowcast ctl: the URL's path is over %zu characters\n", sizeof(u->base) - 1);
			return false;
		}
		snprintf(u->base, sizeof(u->base), "%s", path);
		size_t n = strlen(u->base);
		while (n && u->base[n - 1] == '/')
			u->base[--n] = '\0';
	}
	return true;
}

static int connect_to(const struct url *u)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *a;
	int r = getaddrinfo(u->host, u->port, &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "shadowcast ctl: cannot resolve '%s': %s\n", u->host, gai_strerror(r));
		return -1;
	}
	int fd = -1, err = 0;
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		struct timeval tv = {.tv_sec = CTL_TIMEOUT_S};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		fprintf(stderr, "shadowcast ctl: cannot connect to %s port %s: %s (is `shadowcast run` running there?)\n",
		        u->host, u->port, strerror(err));
	return fd;
}

static bool send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

struct answer {
	int status;
	char *body;
	size_t len;
	char type[128];
};

/* Reads the whole answer (Content-Length, or until the server closes). */
static bool read_answer(int fd, struct answer *a)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	char *hdr_end = NULL;
	long long clen = -1;
	while (buf) {
		if (n == cap) {
			if (cap >= CTL_MAX_BODY) {
				fprintf(stderr, "shadowcast ctl: answer over %u MiB\n", CTL_MAX_BODY >> 20);
				free(buf);
				return false;
			}
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
			if (hdr_end)
				hdr_end = NULL; /* re-found below */
		}
		ssize_t r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "shadowcast ctl: %s while reading the answer\n",
			        errno == EAGAIN ? "timed out" : strerror(errno));
			free(buf);
			return false;
		}
		n += (size_t)r;
		buf[n] = '\0';
		char *he = strstr(buf, "\r\n\r\n");
		if (he && clen < 0) {
			*he = '\0';
			const char *cl = strcasestr(buf, "\r\ncontent-length:");
			if (cl)
				clen = atoll(cl + 17);
			*he = '\r';
		}
		if (he && clen >= 0 && n >= (size_t)(he + 4 - buf) + (size_t)clen)
			break;
		if (r == 0)
			break;
	}
	if (!buf) {
		fprintf(stderr, "shadowcast ctl: out of memory\n");
		return false;
	}
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %d", &a->status) != 1) {
		fprintf(stderr, "shadowcast ctl: the server sent no valid HTTP answer (%zu bytes)\n", n);
		free(buf);
		return false;
	}
	*hdr_end = '\0';
	const char *ct = strcasestr(buf, "\r\ncontent-type:");
	a->type[0] = '\0';
	if (ct) {
		ct += 15;
		while (*ct == ' ')
			ct++;
		size_t l = strcspn(ct, "\r\n");
		snprintf(a->type, sizeof(a->type), "%.*s", (int)(l < sizeof(a->type) ? l : sizeof(a->type) - 1), ct);
	}
	size_t off = (size_t)(hdr_end + 4 - buf);
	a->len = n - off;
	if (clen >= 0 && (size_t)clen < a->len)
		a->len = (size_t)clen;
	if (clen >= 0 && (size_t)clen > a->len) {
		fprintf(stderr, "shadowcast ctl: the answer was cut short (%zu of %lld bytes)\n", a->len, clen);
		free(buf);
		return false;
	}
	memmove(buf, buf + off, a->len);
	buf[a->len] = '\0';
	a->body = buf;
	return true;
}

/* printf at buf + *n; false (and *n unchanged) when it does not fit. */
static bool append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = *n < size ? vsnprintf(buf + *n, size - *n, fmt, ap) : -1;
	va_end(ap);
	if (w < 0 || (size_t)w >= size - *n)
		return false;
	*n += (size_t)w;
	return true;
}

/* A token goes into a header line: what `run --api-token` takes, printable. */
static bool token_ok(const char *token)
{
	size_t len = strlen(token);
	if (len > CTL_MAX_TOKEN) {
		fprintf(stderr, "shadowcast ctl: the token is %zu characters; `shadowcast run --api-token` takes at most "
		                "%d\n", len, CTL_MAX_TOKEN);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c <= ' ' || c >= 0x7f) {
			fprintf(stderr, "shadowcast ctl: the token must be printable ASCII without spaces (character %zu "
			                "is 0x%02x)\n", i + 1, c);
			return false;
		}
	}
	return true;
}

static bool request(const struct url *u, const char *token, const char *method, const char *path,
                    const char *body, struct answer *a)
{
	int fd = connect_to(u);
	if (fd < 0)
		return false;
	char head[2048];
	size_t n = 0;
	bool v6 = strchr(u->host, ':') != NULL;
	bool fits = append(head, sizeof(head), &n,
	                   "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: shadowcast-ctl\r\nAccept: */*\r\n"
	                   "Connection: close\r\n", method, u->base, path, v6 ? "[" : "", u->host, v6 ? "]" : "",
	                   u->port);
	if (token && token[0])
		fits = fits && append(head, sizeof(head), &n, "Authorization: Bearer %s\r\n", token);
	if (body)
		fits = fits && append(head, sizeof(head), &n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
		                      strlen(body));
	fits = fits && append(head, sizeof(head), &n, "\r\n");
	if (!fits) {
		fprintf(stderr, "shadowcast ctl: the request's header is over %zu bytes\n", sizeof(head) - 1);
		close(fd);
		return false;
	}
	bool ok = send_all(fd, head, n) && (!body || send_all(fd, body, strlen(body)));
	if (!ok)
		fprintf(stderr, "shadowcast ctl: cannot send the request: %s\n", strerror(errno));
	ok = ok && read_answer(fd, a);
	close(fd);
	return ok;
}

/* Re-indents compact JSON (two spaces a level); strings are copied as they are. */
static void print_json(FILE *out, const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			fputc(c, out);
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			fputc(c, out);
			break;
		case '{':
		case '[':
			if (i + 1 < len && (s[i + 1] == '}' || s[i + 1] == ']')) {
				fputc(c, out);
				fputc(s[++i], out);
				break;
			}
			fputc(c, out);
			fprintf(out, "\n%*s", 2 * ++depth, "");
			break;
		case '}':
		case ']':
			depth = depth > 0 ? depth - 1 : 0;
			fprintf(out, "\n%*s%c", 2 * depth, "", c);
			break;
		case ',':
			fprintf(out, ",\n%*s", 2 * depth, "");
			break;
		case ':':
			fputs(": ", out);
			break;
		case ' ':
		case '\n':
		case '\r':
		case '\t':
			break;
		default:
			fputc(c, out);
		}
	}
	fputc('\n', out);
}

/* The "error" string of an error answer, else the body. */
static void print_error(const struct answer *a)
{
	const char *e = strstr(a->body, "\"error\":\"");
	if (e) {
		e += 9;
		fprintf(stderr, "shadowcast ctl: HTTP %d: ", a->status);
		for (; *e && *e != '"'; e++) {
			if (*e == '\\' && e[1])
				e++;
			fputc(*e, stderr);
		}
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "shadowcast ctl: HTTP %d: %.*s\n", a->status, (int)(a->len > 500 ? 500 : a->len),
		        a->body);
	}
	if (a->status == 401)
		fprintf(stderr, "shadowcast ctl: give the token `shadowcast run` printed with --token or "
		                "$SHADOWCAST_TOKEN\n");
}

/* "500ms", "2s", "90t" -> a JSON body. */
static bool delay_body(const char *d, char *out, size_t len)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(d, &end, 10);
	if (end == d || errno || v > 3600000ull || d[0] == '-') {
		fprintf(stderr, "shadowcast ctl: bad delay '%s' (500ms, 2s or 90t)\n", d);
		return false;
	}
	if (strcmp(end, "ms") == 0)
		snprintf(out, len, "{\"ms\":%llu}", v);
	else if (strcmp(end, "s") == 0 && v <= 3600)
		snprintf(out, len, "{\"ms\":%llu}", v * 1000);
	else if (strcmp(end, "t") == 0)
		snprintf(out, len, "{\"ticks\":%llu}", v);
	else {
		fprintf(stderr, "shadowcast ctl: bad delay '%s' (500ms, 2s or 90t)\n", d);
		return false;
	}
	return true;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: shadowcast ctl URL [--token T] COMMAND [ARGS]\n"
	        "  talks to the debug API of a running server (docs/protocol.md \"Debug API\")\n"
	        "  URL: http://127.0.0.1:8080 (IPv6: http://[::1]:8080)\n"
	        "  --token T: the token `shadowcast run` printed (default: $SHADOWCAST_TOKEN)\n"
	        "  --slot 0|1: the shadow status block a command goes to (default: chosen by the server)\n"
	        "commands:\n"
	        "  status                 the primary, both shadows, the current incident\n"
	        "  incidents              the current incident and the captures on disk\n"
	        "  pause | resume         pause the shadow now / resume it\n"
	        "  step-input | step-tick step the paused shadow by one input / one tick\n"
	        "  delay D                set the shadow's delay: 500ms, 2s or 90t (ticks)\n"
	        "  inject KIND            inject a fault: assert corrupt hang oob crash device-lost\n"
	        "  capture                write a capture of the shadow's state now\n"
	        "  download NAME[/FILE] [-o FILE]  a capture as a .tar (or one file of it)\n");
}

int sc_cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{"token", required_argument, NULL, 't'},
		{"slot", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *token = getenv("SHADOWCAST_TOKEN"), *slot = NULL, *output = NULL;
	/* GNU getopt permutes: options may come before or after URL COMMAND ARGS */
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "t:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 's': slot = optarg; break;
		case 'o': output = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs > 4) {
		fprintf(stderr, "shadowcast ctl: too many arguments\n");
		return 2;
	}
	if (nargs < 2) {
		usage(stderr);
		return 2;
	}
	if (slot && strcmp(slot, "0") != 0 && strcmp(slot, "1") != 0) {
		fprintf(stderr, "shadowcast ctl: --slot must be 0 or 1\n");
		return 2;
	}
	if (token && !token_ok(token))
		return 2;
	struct url u;
	if (!parse_url(args[0], &u))
		return 2;
	const char *cmd = args[1];
	char path[512], body[128];
	const char *method = "POST", *send_body = "{}";
	bool binary = false;
	char qs[16] = "";
	if (slot)
		snprintf(qs, sizeof(qs), "?slot=%s", slot);
	if (nargs > 2 && strcmp(cmd, "delay") != 0 && strcmp(cmd, "inject") != 0 && strcmp(cmd, "download") != 0) {
		fprintf(stderr, "shadowcast ctl: '%s' takes no argument\n", cmd);
		return 2;
	}
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "incidents") == 0) {
		snprintf(path, sizeof(path), "/api/v1/%s", cmd);
		method = "GET";
		send_body = NULL;
	} else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0 || strcmp(cmd, "step-input") == 0 ||
	           strcmp(cmd, "step-tick") == 0 || strcmp(cmd, "capture") == 0) {
		snprintf(path, sizeof(path), "/api/v1/shadow/%s%s", cmd, qs);
	} else if (strcmp(cmd, "delay") == 0) {
		if (nargs != 3 || !delay_body(args[2], body, sizeof(body))) {
			if (nargs != 3)
				fprintf(stderr, "shadowcast ctl: delay needs a value: 500ms, 2s or 90t\n");
			return 2;
		}
		snprintf(path, sizeof(path), "/api/v1/delay%s", qs);
		send_body = body;
	} else if (strcmp(cmd, "inject") == 0) {
		if (nargs != 3 || strlen(args[2]) > 32 || strpbrk(args[2], "\"\\")) {
			fprintf(stderr, "shadowcast ctl: inject needs a kind: assert corrupt hang oob crash device-lost\n");
			return 2;
		}
		snprintf(path, sizeof(path), "/api/v1/inject");
		snprintf(body, sizeof(body), "{\"kind\":\"%s\"}", args[2]);
		send_body = body;
	} else if (strcmp(cmd, "download") == 0) {
		if (nargs != 3 || strlen(args[2]) > 300) {
			fprintf(stderr, "shadowcast ctl: download needs a capture name (see `ctl URL incidents`)\n");
			return 2;
		}
		bool file = strchr(args[2], '/') != NULL;
		snprintf(path, sizeof(path), "/api/v1/captures/%s%s", args[2], file ? "" : ".tar");
		method = "GET";
		send_body = NULL;
		binary = true;
	} else {
		fprintf(stderr, "shadowcast ctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}

	struct answer a = {0};
	if (!request(&u, token, method, path, send_body, &a))
		return 1;
	int rc = a.status >= 200 && a.status < 300 ? 0 : 1;
	if (rc) {
		print_error(&a);
	} else if (binary) {
		char def[320];
		const char *slash = strrchr(args[2], '/');
		snprintf(def, sizeof(def), "%s%s", slash ? slash + 1 : args[2], strchr(args[2], '/') ? "" : ".tar");
		const char *dest = output ? output : def;
		FILE *f = strcmp(dest, "-") == 0 ? stdout : fopen(dest, "wb");
		if (!f) {
			fprintf(stderr, "shadowcast ctl: cannot write %s: %s\n", dest, strerror(errno));
			rc = 1;
		} else {
			bool ok = fwrite(a.body, 1, a.len, f) == a.len;
			if (f != stdout)
				ok = fclose(f) == 0 && ok;
			if (!ok) {
				fprintf(stderr, "shadowcast ctl: writing %s failed: %s\n", dest, strerror(errno));
				rc = 1;
			} else if (f != stdout) {
				fprintf(stderr, "shadowcast ctl: wrote %s (%zu bytes)\n", dest, a.len);
			}
		}
	} else if (strncmp(a.type, "application/json", 16) == 0) {
		print_json(stdout, a.body, a.len);
	} else {
		fwrite(a.body, 1, a.len, stdout);
	}
	free(a.body);
	return rc;
}
