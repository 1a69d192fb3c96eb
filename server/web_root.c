#include "server/web_root.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by server/CMakeLists.txt: the web files' install path relative to the
 * binary's (GNUInstallDirs), the source tree's web/, and the directory the
 * build tree puts the binary in. */
#ifndef SC_WEB_ROOT_FROM_BIN
#define SC_WEB_ROOT_FROM_BIN "../share/shadowcast/web"
#endif
#ifndef SC_WEB_ROOT_SOURCE
#define SC_WEB_ROOT_SOURCE ""
#endif
#ifndef SC_BUILD_BIN_DIR
#define SC_BUILD_BIN_DIR ""
#endif

/* A web root is a directory with the player page in it. */
static bool has_page(const char *dir)
{
	char page[PATH_MAX];
	struct stat st;
	if (!*dir || snprintf(page, sizeof(page), "%s/index.html", dir) >= (int)sizeof(page))
		return false;
	return stat(page, &st) == 0 && S_ISREG(st.st_mode);
}

/* The same directory, however it is spelt (symlinks, "..", a trailing "/"). */
static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return *a && *b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

__attribute__((format(printf, 3, 4))) static void note(char *tried, size_t cap, const char *fmt, ...)
{
	size_t n = cap ? strlen(tried) : 0;
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tried + n, cap - n, fmt, ap);
	va_end(ap);
}

/* "/usr/bin/../share/x" -> "/usr/share/x" in place, by the letters: path is
 * absolute and its directories are real (the binary's, from /proc/self/exe),
 * so ".." may drop the name before it; the web files need not exist. */
static void tidy(char *path)
{
	char *out = path, *in = path;
	while (*in) {
		while (*in == '/')
			in++;
		size_t len = strcspn(in, "/");
		if (len == 0)
			break;
		if (len == 1 && in[0] == '.') {
			/* skip */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	if (out == path)
		*out++ = '/';
	*out = 0;
}

static bool use(char *out, size_t cap, const char *dir, char *tried, size_t tried_cap)
{
	if (strlen(dir) >= cap) {
		note(tried, tried_cap, "%s (a path longer than %zu bytes); ", dir, cap - 1);
		return false;
	}
	memcpy(out, dir, strlen(dir) + 1);
	return true;
}

static bool find(char *out, size_t cap, char *tried, size_t tried_cap)
{
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0) {
		note(tried, tried_cap, "nowhere: /proc/self/exe cannot be read (%s); ", strerror(errno));
		return false;
	}
	dir[n] = 0;
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0; /* the binary's directory */

	char beside[PATH_MAX];
	if (snprintf(beside, sizeof(beside), "%s/%s", dir, SC_WEB_ROOT_FROM_BIN) < (int)sizeof(beside)) {
		tidy(beside); /* <prefix>/share/..., not <prefix>/bin/../share/... */
		if (has_page(beside))
			return use(out, cap, beside, tried, tried_cap);
	}
	note(tried, tried_cap, "%s (where `cmake --install` puts the web files, beside the binary: no "
	     "index.html); ", beside);

	if (!same_dir(dir, SC_BUILD_BIN_DIR)) {
		note(tried, tried_cap, "not %s (the source tree's web/: only the binary in the build tree %s "
		     "uses it); ", SC_WEB_ROOT_SOURCE, SC_BUILD_BIN_DIR);
		return false;
	}
	if (has_page(SC_WEB_ROOT_SOURCE))
		return use(out, cap, SC_WEB_ROOT_SOURCE, tried, tried_cap);
	note(tried, tried_cap, "%s (the source tree's web/: no index.html); ", SC_WEB_ROOT_SOURCE);
	return false;
}

bool sc_web_root_find(char *out, size_t cap, char *tried, size_t tried_cap)
{
	if (tried_cap)
		tried[0] = 0;
	if (find(out, cap, tried, tried_cap))
		return true;
	size_t len = tried_cap ? strlen(tried) : 0;
	if (len >= 2 && tried[len - 2] == ';')
		tried[len - 2] = 0; /* the last "; " */
	return false;
}
