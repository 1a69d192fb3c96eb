#include "server/tar_writer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shadow/json.h"

#define TAR_MAX_DEPTH 4

static void octal(char *field, size_t width, uint64_t v)
{
	/* width - 1 digits, zero padded, then NUL */
	snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

static bool header(struct sc_strbuf *out, const char *name, char type, uint64_t size, uint32_t mode,
                   uint64_t mtime)
{
	unsigned char h[SC_TAR_BLOCK] = {0};
	size_t n = strlen(name);
	if (n == 0 || n > 100)
		return false;
	memcpy(h, name, n);
	octal((char *)h + 100, 8, mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	if (size > 077777777777ull)
		return false;
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, mtime & 077777777777ull);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6); /* magic with its NUL */
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "shadowcast", 10);
	memcpy(h + 297, "shadowcast", 10);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	sc_sb_append(out, h, sizeof(h));
	return !out->failed;
}

bool sc_tar_add_file(struct sc_strbuf *out, const char *name, const void *data, size_t len, uint64_t mtime)
{
	static const unsigned char zero[SC_TAR_BLOCK];
	if (!header(out, name, '0', len, 0644, mtime))
		return false;
	sc_sb_append(out, data, len);
	if (len % SC_TAR_BLOCK)
		sc_sb_append(out, zero, SC_TAR_BLOCK - len % SC_TAR_BLOCK);
	return !out->failed;
}

bool sc_tar_add_dir(struct sc_strbuf *out, const char *name, uint64_t mtime)
{
	char n[128];
	if (snprintf(n, sizeof(n), "%s/", name) >= (int)sizeof(n))
		return false;
	return header(out, n, '5', 0, 0755, mtime);
}

bool sc_tar_finish(struct sc_strbuf *out)
{
	static const unsigned char zero[2 * SC_TAR_BLOCK];
	sc_sb_append(out, zero, sizeof(zero));
	return !out->failed;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool add_tree(struct sc_strbuf *out, const char *dir, const char *prefix, int depth, char *err,
                     size_t errlen)
{
	struct stat st;
	if (depth > TAR_MAX_DEPTH) {
		snprintf(err, errlen, "%s: directories nested too deep", dir);
		return false;
	}
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return false;
	}
	if (!sc_tar_add_dir(out, prefix, (uint64_t)st.st_mtime)) {
		snprintf(err, errlen, "%s: name too long or archive over its size limit", prefix);
		return false;
	}
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return false;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				ok = false;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			ok = false;
			break;
		}
		n++;
	}
	closedir(d);
	if (!ok)
		snprintf(err, errlen, "%s: out of memory", dir);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names); /* names is NULL for an empty directory */
	for (size_t i = 0; ok && i < n; i++) {
		char path[1024], name[256];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (snprintf(name, sizeof(name), "%s/%s", prefix, names[i]) >= (int)sizeof(name)) {
			snprintf(err, errlen, "%s: name too long", names[i]);
			ok = false;
			break;
		}
		if (lstat(path, &st) != 0)
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode)) {
			ok = add_tree(out, path, name, depth + 1, err, errlen);
		} else if (S_ISREG(st.st_mode)) {
			size_t len = 0;
			char *data = sc_read_file(path, &len);
			if (!data) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				ok = false;
				break;
			}
			ok = sc_tar_add_file(out, name, data, len, (uint64_t)st.st_mtime);
			free(data);
			if (!ok)
				snprintf(err, errlen, "%s: name too long or archive over its size limit", name);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}

bool sc_tar_add_tree(struct sc_strbuf *out, const char *dir, const char *prefix, char *err, size_t errlen)
{
	return add_tree(out, dir, prefix, 0, err, errlen);
}
