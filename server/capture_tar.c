/* Capture archives with libarchive (server/capture_tar.h). Two archive
 * objects over the same entry list: a counting one with the file data left
 * out (libarchive pads each entry with zeros to its declared size, so the
 * count is the real archive's size, and a name ustar cannot hold is found
 * before anything is sent), then the real one, fed in steps. No blocking
 * (bytes_per_block 0): the sink sees every byte as libarchive writes it, and
 * the archive ends right after its two zero blocks, with no padding to a
 * 10 KiB record that the size would have to guess. */
#include "server/capture_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BYTES (64u << 10)

struct tar_entry {
	char *name; /* in the archive */
	char *path; /* on disk */
	bool dir;
	uint64_t size;
	time_t mtime;
};

struct sc_capture_tar {
	struct tar_entry *e;
	size_t n, cap;
	uint64_t size;
	sc_capture_tar_sink sink;
	void *ud;

	/* the real pass */
	struct archive *a;
	size_t next;        /* the entry to start */
	int fd;             /* the file being copied, or -1 */
	uint64_t left;      /* its bytes still to copy */
	unsigned char *buf; /* READ_BYTES */
};

/* --- listing -------------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool add_entry(struct sc_capture_tar *t, const char *name, const char *path, const struct stat *st,
                      char *err, size_t errlen)
{
	if (t->n == SC_CAPTURE_TAR_MAX_ENTRIES) {
		snprintf(err, errlen, "more than %d files and directories", SC_CAPTURE_TAR_MAX_ENTRIES);
		return false;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tar_entry *ne = realloc(t->e, cap * sizeof(*ne));
		if (!ne) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		t->e = ne;
		t->cap = cap;
	}
	struct tar_entry *e = &t->e[t->n];
	*e = (struct tar_entry){.name = strdup(name), .path = strdup(path), .dir = S_ISDIR(st->st_mode),
	                        .size = S_ISDIR(st->st_mode) ? 0 : (uint64_t)st->st_size, .mtime = st->st_mtime};
	if (!e->name || !e->path) {
		free(e->name);
		free(e->path);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	t->n++;
	return true;
}

static bool list_tree(struct sc_capture_tar *t, const char *dir, const char *prefix, int depth, char *err,
                      size_t errlen)
{
	struct stat st;
	if (depth > SC_CAPTURE_TAR_MAX_DEPTH) {
		snprintf(err, errlen, "%s: directories nested too deep", dir);
		return false;
	}
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return false;
	}
	if (!add_entry(t, prefix, dir, &st, err, errlen))
		return false;
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return false;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
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
		if (!(names[n] = strdup(de->d_name))) {
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
		char path[1024], name[1024];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path) ||
		    snprintf(name, sizeof(name), "%s/%s", prefix, names[i]) >= (int)sizeof(name)) {
			snprintf(err, errlen, "%s: name too long", names[i]);
			ok = false;
			break;
		}
		if (lstat(path, &st) != 0)
			continue; /* gone meanwhile */
		if (S_ISDIR(st.st_mode))
			ok = list_tree(t, path, name, depth + 1, err, errlen);
		else if (S_ISREG(st.st_mode))
			ok = add_entry(t, name, path, &st, err, errlen);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ok;
}

/* --- libarchive ------------------------------------------------------------------ */

static la_ssize_t count_bytes(struct archive *a, void *ud, const void *buf, size_t len)
{
	*(uint64_t *)ud += len;
	return (la_ssize_t)len;
}

static la_ssize_t to_sink(struct archive *a, void *ud, const void *buf, size_t len)
{
	struct sc_capture_tar *t = ud;
	if (!t->sink || !t->sink(t->ud, buf, len)) {
		archive_set_error(a, EIO, "the receiver stopped");
		return -1;
	}
	return (la_ssize_t)len;
}

static struct archive *new_archive(void *ud, archive_write_callback *write, char *err, size_t errlen)
{
	struct archive *a = archive_write_new();
	if (!a) {
		snprintf(err, errlen, "libarchive: out of memory");
		return NULL;
	}
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, ud, NULL, write, NULL) != ARCHIVE_OK) {
		snprintf(err, errlen, "libarchive: %s", archive_error_string(a) ? archive_error_string(a) : "cannot open");
		archive_write_free(a);
		return NULL;
	}
	return a;
}

static bool write_header(struct archive *a, const struct tar_entry *e, char *err, size_t errlen)
{
	struct archive_entry *ae = archive_entry_new();
	if (!ae) {
		snprintf(err, errlen, "libarchive: out of memory");
		return false;
	}
	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_filetype(ae, e->dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ae, e->dir ? 0755 : 0644);
	archive_entry_set_size(ae, (la_int64_t)e->size);
	archive_entry_set_mtime(ae, e->mtime, 0);
	archive_entry_set_uname(ae, "shadowcast");
	archive_entry_set_gname(ae, "shadowcast");
	int r = archive_write_header(a, ae);
	archive_entry_free(ae);
	if (r != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: %s", e->name, archive_error_string(a) ? archive_error_string(a) : "no header");
		return false;
	}
	return true;
}

static bool count_archive(struct sc_capture_tar *t, char *err, size_t errlen)
{
	uint64_t bytes = 0;
	struct archive *a = new_archive(&bytes, count_bytes, err, errlen);
	if (!a)
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < t->n; i++)
		ok = write_header(a, &t->e[i], err, errlen) && archive_write_finish_entry(a) == ARCHIVE_OK;
	if (ok && archive_write_close(a) != ARCHIVE_OK) {
		snprintf(err, errlen, "libarchive: %s", archive_error_string(a) ? archive_error_string(a) : "close");
		ok = false;
	}
	archive_write_free(a);
	t->size = bytes;
	return ok;
}

/* --- API ------------------------------------------------------------------------- */

enum sc_capture_tar_open_result sc_capture_tar_open(const char *dir, const char *prefix, uint64_t max_bytes,
                                                    sc_capture_tar_sink sink, void *ud,
                                                    struct sc_capture_tar **out, char *err, size_t errlen)
{
	*out = NULL;
	struct sc_capture_tar *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return SC_CAPTURE_TAR_ERROR;
	}
	t->sink = sink;
	t->ud = ud;
	t->fd = -1;
	if (!list_tree(t, dir, prefix, 0, err, errlen)) {
		bool many = t->n == SC_CAPTURE_TAR_MAX_ENTRIES;
		sc_capture_tar_close(t);
		return many ? SC_CAPTURE_TAR_TOO_BIG : SC_CAPTURE_TAR_ERROR;
	}
	uint64_t data = 0;
	for (size_t i = 0; i < t->n; i++)
		data += t->e[i].size;
	if (data > max_bytes) { /* before counting: the count writes this many zeros */
		snprintf(err, errlen, "its files hold %llu bytes, over the limit of %llu", (unsigned long long)data,
		         (unsigned long long)max_bytes);
		sc_capture_tar_close(t);
		return SC_CAPTURE_TAR_TOO_BIG;
	}
	if (!count_archive(t, err, errlen)) {
		sc_capture_tar_close(t);
		return SC_CAPTURE_TAR_ERROR;
	}
	if (t->size > max_bytes) {
		snprintf(err, errlen, "the archive would be %llu bytes, over the limit of %llu",
		         (unsigned long long)t->size, (unsigned long long)max_bytes);
		sc_capture_tar_close(t);
		return SC_CAPTURE_TAR_TOO_BIG;
	}
	if (!(t->buf = malloc(READ_BYTES))) {
		snprintf(err, errlen, "out of memory");
		sc_capture_tar_close(t);
		return SC_CAPTURE_TAR_ERROR;
	}
	*out = t;
	return SC_CAPTURE_TAR_OK;
}

uint64_t sc_capture_tar_size(const struct sc_capture_tar *t)
{
	return t->size;
}

/* Copies up to *budget bytes of the open file; closes it when all are copied. */
static bool copy_file(struct sc_capture_tar *t, size_t *budget, char *err, size_t errlen)
{
	const struct tar_entry *e = &t->e[t->next - 1];
	while (t->left && *budget) {
		size_t want = READ_BYTES;
		if (want > t->left)
			want = (size_t)t->left;
		if (want > *budget)
			want = *budget;
		ssize_t n = read(t->fd, t->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", e->path, n < 0 ? strerror(errno) : "shorter than when it was listed");
			return false;
		}
		if (archive_write_data(t->a, t->buf, (size_t)n) != n) {
			snprintf(err, errlen, "%s: %s", e->name,
			         archive_error_string(t->a) ? archive_error_string(t->a) : "write failed");
			return false;
		}
		t->left -= (uint64_t)n;
		*budget -= (size_t)n;
	}
	if (t->left)
		return true;
	close(t->fd);
	t->fd = -1;
	if (archive_write_finish_entry(t->a) != ARCHIVE_OK) {
		snprintf(err, errlen, "%s: %s", e->name, archive_error_string(t->a));
		return false;
	}
	return true;
}

int sc_capture_tar_step(struct sc_capture_tar *t, size_t budget, char *err, size_t errlen)
{
	if (!t->a && !(t->a = new_archive(t, to_sink, err, errlen)))
		return -1;
	if (budget == 0)
		budget = 1;
	while (budget) {
		if (t->fd >= 0) {
			if (!copy_file(t, &budget, err, errlen))
				return -1;
			continue;
		}
		if (t->next == t->n) {
			if (archive_write_close(t->a) != ARCHIVE_OK) {
				snprintf(err, errlen, "libarchive: %s", archive_error_string(t->a));
				return -1;
			}
			return 0;
		}
		const struct tar_entry *e = &t->e[t->next++];
		if (!e->dir) {
			/* O_NONBLOCK: a file swapped for a FIFO since the listing must not block */
			t->fd = open(e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			struct stat st;
			if (t->fd < 0 || fstat(t->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
				snprintf(err, errlen, "%s: %s", e->path, t->fd < 0 ? strerror(errno) : "no longer a file");
				return -1;
			}
			t->left = e->size;
		}
		if (!write_header(t->a, e, err, errlen))
			return -1;
		if (e->dir && archive_write_finish_entry(t->a) != ARCHIVE_OK) {
			snprintf(err, errlen, "%s: %s", e->name, archive_error_string(t->a));
			return -1;
		}
		if (!e->dir && t->left == 0 && !copy_file(t, &budget, err, errlen))
			return -1; /* an empty file: closed and finished at once */
	}
	return 1;
}

void sc_capture_tar_close(struct sc_capture_tar *t)
{
	if (!t)
		return;
	t->sink = NULL; /* archive_write_free() closes an unfinished archive: its trailer goes nowhere */
	if (t->a)
		archive_write_free(t->a);
	if (t->fd >= 0)
		close(t->fd);
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].name);
		free(t->e[i].path);
	}
	free(t->e);
	free(t->buf);
	free(t);
}
