#include "shadow/capture_quota.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define MAX_CAPTURES 2048 /* directories considered per call; more are left alone */

struct entry {
	char path[768];
	struct timespec mtime;
	uint64_t bytes;
};

static _Thread_local uint64_t tree_bytes;

static int add_size(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F)
		tree_bytes += (uint64_t)st->st_size;
	return 0;
}

static uint64_t tree_size(const char *dir)
{
	tree_bytes = 0;
	nftw(dir, add_size, 16, FTW_PHYS);
	return tree_bytes;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

bool sc_capture_remove_tree(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

static bool is_capture_name(const char *n)
{
	return strncmp(n, "incident-", 9) == 0 || strncmp(n, "manual-", 7) == 0;
}

static int older_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

static bool kept(const char *path, const char *const *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] && keep[i][0] && strcmp(keep[i], path) == 0)
			return true;
	return false;
}

bool sc_capture_quota_make_room(const char *root, uint64_t quota_bytes, uint64_t need_bytes,
                                const char *const *keep, size_t n_keep, struct sc_capture_quota_result *out)
{
	memset(out, 0, sizeof(*out));
	char abs[PATH_MAX];
	if (!realpath(root, abs)) {
		sc_err("capture quota: %s: %s", root, strerror(errno));
		return false;
	}
	DIR *d = opendir(abs);
	if (!d) {
		sc_err("capture quota: %s: %s", abs, strerror(errno));
		return false;
	}
	struct entry *e = calloc(MAX_CAPTURES, sizeof(*e));
	if (!e) {
		closedir(d);
		sc_err("capture quota: out of memory");
		return false;
	}
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < MAX_CAPTURES) {
		struct stat st;
		if (!is_capture_name(de->d_name))
			continue;
		int len = snprintf(e[n].path, sizeof(e[n].path), "%s/%s", abs, de->d_name);
		if (len < 0 || (size_t)len >= sizeof(e[n].path) || lstat(e[n].path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		e[n].mtime = st.st_mtim;
		e[n].bytes = tree_size(e[n].path);
		out->bytes_before += e[n].bytes;
		n++;
	}
	closedir(d);
	qsort(e, n, sizeof(*e), older_first);
	out->bytes_after = out->bytes_before;
	for (size_t i = 0; i < n && out->bytes_after + need_bytes > quota_bytes; i++) {
		if (kept(e[i].path, keep, n_keep))
			continue;
		if (!sc_capture_remove_tree(e[i].path)) {
			sc_warn("capture quota: cannot remove %s: %s", e[i].path, strerror(errno));
			out->bytes_after -= e[i].bytes - tree_size(e[i].path); /* what did go */
			continue;
		}
		out->bytes_after -= e[i].bytes;
		out->removed++;
	}
	out->fits = out->bytes_after + need_bytes <= quota_bytes;
	free(e);
	return true;
}
