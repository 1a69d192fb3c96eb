/* The session profile writer (server/profile_file.h). Two buffers: `fill`
 * takes records under the lock; a flush swaps it with the empty `out` buffer
 * and writes `out` on the disk worker's thread, outside the lock. A flush is
 * one disk job at a time (flush_queued). */
#include "server/profile_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/disk_worker.h"
#include "server/profile_read.h"
#include "session/session.h"
#include "util/clock.h"
#include "util/log.h"

struct sc_profile_file {
	int fd;
	struct sc_disk_worker *disk;
	uint64_t max_bytes;
	pthread_mutex_t lock;           /* fill, fill_len, fill_since, out_busy, size, dropped */
	uint8_t *fill, *out;
	size_t fill_len, out_len;
	bool out_busy;                  /* out holds bytes not written yet */
	uint64_t fill_since;            /* when the first byte of fill came */
	uint64_t size;                  /* bytes in the file once everything taken is written */
	uint64_t dropped, dropped_bytes;
	bool limit_reached;
	atomic_bool flush_queued;
	bool write_failed;              /* disk worker only, then close */
};

struct flush_job {
	struct sc_disk_job job;
	struct sc_profile_file *f;
};

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Writes `out` (its owner: the one that set out_busy). */
static void write_out(struct sc_profile_file *f)
{
	if (!f->write_failed && !write_all(f->fd, f->out, f->out_len)) {
		sc_err("profile: writing the profile file failed: %s; no more records are written", strerror(errno));
		f->write_failed = true;
	}
	pthread_mutex_lock(&f->lock);
	f->out_len = 0;
	f->out_busy = false;
	pthread_mutex_unlock(&f->lock);
}

/* Under lock: fill becomes out (when out is free and fill has bytes). */
static bool swap_locked(struct sc_profile_file *f)
{
	if (f->out_busy || f->fill_len == 0)
		return false;
	uint8_t *t = f->out;
	f->out = f->fill;
	f->out_len = f->fill_len;
	f->fill = t;
	f->fill_len = 0;
	f->fill_since = 0;
	f->out_busy = true;
	return true;
}

static bool flush_step(struct sc_disk_job *job)
{
	/* out may have been filled by put() (fill was full): this job writes it;
	 * else fill goes out now. One flush job at a time: the only writer. */
	struct sc_profile_file *f = ((struct flush_job *)job)->f;
	pthread_mutex_lock(&f->lock);
	if (!f->out_busy)
		swap_locked(f);
	bool busy = f->out_busy;
	pthread_mutex_unlock(&f->lock);
	if (busy)
		write_out(f);
	return false;
}

static void flush_destroy(struct sc_disk_job *job)
{
	struct sc_profile_file *f = ((struct flush_job *)job)->f;
	atomic_store(&f->flush_queued, false);
	free(job);
}

static const struct sc_disk_job_ops flush_ops = {.step = flush_step, .destroy = flush_destroy};

static void queue_flush(struct sc_profile_file *f)
{
	if (!f->disk || atomic_exchange(&f->flush_queued, true))
		return;
	struct flush_job *j = calloc(1, sizeof(*j));
	if (!j) {
		atomic_store(&f->flush_queued, false);
		return;
	}
	j->job.ops = &flush_ops;
	j->f = f;
	sc_disk_worker_submit(f->disk, &j->job); /* refused (stopping): destroyed, flag cleared */
}

bool sc_profile_file_put(struct sc_profile_file *f, uint16_t type, const void *payload, uint32_t len)
{
	if (!f)
		return false;
	size_t need = sizeof(struct sc_pf_record) + len;
	struct sc_pf_record r = {.type = type, .length = len};
	bool ok = false, kick = false;
	pthread_mutex_lock(&f->lock);
	if (f->size + need + sizeof(struct sc_pf_record) + sizeof(struct sc_pf_end) > f->max_bytes) {
		f->limit_reached = true;
	} else if (f->fill_len + need > SC_PROFILE_FILE_BUF && swap_locked(f)) {
		kick = true; /* fill was full: it goes to the disk now, the record starts the next */
	}
	if (!f->limit_reached && f->fill_len + need <= SC_PROFILE_FILE_BUF) {
		memcpy(f->fill + f->fill_len, &r, sizeof(r));
		memcpy(f->fill + f->fill_len + sizeof(r), payload, len);
		if (f->fill_len == 0)
			f->fill_since = sc_now_ns();
		f->fill_len += need;
		f->size += need;
		ok = true;
	}
	if (!ok) {
		f->dropped++;
		f->dropped_bytes += need;
	}
	kick |= f->out_busy;
	pthread_mutex_unlock(&f->lock);
	if (kick)
		queue_flush(f);
	return ok;
}

void sc_profile_file_poll(struct sc_profile_file *f, uint64_t now_ns)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	bool due = f->out_busy || (f->fill_len && now_ns - f->fill_since >= SC_PROFILE_FILE_FLUSH_NS);
	pthread_mutex_unlock(&f->lock);
	if (due)
		queue_flush(f);
}

size_t sc_profile_file_pending(struct sc_profile_file *f)
{
	pthread_mutex_lock(&f->lock);
	size_t n = f->fill_len + (f->out_busy ? f->out_len : 0);
	pthread_mutex_unlock(&f->lock);
	return n;
}

uint64_t sc_profile_file_dropped(struct sc_profile_file *f)
{
	pthread_mutex_lock(&f->lock);
	uint64_t n = f->dropped;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* An earlier encoder process of this session wrote the file: keep its
 * header and whole records, cut off a torn last record. 0: start afresh. */
static off_t valid_end(int fd, off_t size)
{
	void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return 0;
	size_t n = sc_profile_valid_prefix(m, (size_t)size);
	munmap(m, (size_t)size);
	return (off_t)n;
}

struct sc_profile_file *sc_profile_file_open(const char *path, uint64_t max_bytes, const char *meta_json,
                                             struct sc_disk_worker *disk, char *err, size_t errlen)
{
	size_t meta_len = strlen(meta_json);
	if (max_bytes < SC_PROFILE_FILE_MIN_BYTES) {
		snprintf(err, errlen, "the size limit must be at least %u bytes", SC_PROFILE_FILE_MIN_BYTES);
		return NULL;
	}
	if (meta_len < 2 || meta_len > SC_PF_MAX_RECORD) {
		snprintf(err, errlen, "META of %zu bytes", meta_len);
		return NULL;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	off_t end = st.st_size > 0 ? valid_end(fd, st.st_size) : 0;
	if (end != st.st_size && ftruncate(fd, end) != 0) {
		snprintf(err, errlen, "%s: cannot cut it to %lld bytes: %s", path, (long long)end, strerror(errno));
		close(fd);
		return NULL;
	}
	if (st.st_size > 0 && end != st.st_size)
		sc_warn("profile: %s: %lld bytes after its last whole record cut off (an encoder process stopped "
		        "mid-write)%s", path, (long long)(st.st_size - end), end ? "" : "; started afresh");
	if (lseek(fd, end, SEEK_SET) != end) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	struct sc_profile_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->fill = malloc(SC_PROFILE_FILE_BUF)) || !(f->out = malloc(SC_PROFILE_FILE_BUF))) {
		snprintf(err, errlen, "out of memory");
		if (f) {
			free(f->fill);
			free(f);
		}
		close(fd);
		return NULL;
	}
	f->fd = fd;
	f->disk = disk;
	f->max_bytes = max_bytes;
	pthread_mutex_init(&f->lock, NULL);
	f->size = (uint64_t)end;
	if (end == 0) {
		struct timespec rt, mt;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		struct sc_pf_header h = {
			.version = SC_PF_VERSION,
			.header_bytes = sizeof(h),
			.sample_bytes = sizeof(struct sc_sample),
			.passes = SC_SAMPLE_PASSES,
			.max_bytes = max_bytes,
			.start_unix_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec,
			.start_mono_ns = (uint64_t)mt.tv_sec * 1000000000ull + (uint64_t)mt.tv_nsec,
			.layout_version = SC_SESSION_LAYOUT_VERSION,
		};
		memcpy(h.magic, SC_PF_MAGIC, sizeof(h.magic));
		memcpy(f->fill, &h, sizeof(h));
		f->fill_len = sizeof(h);
		f->fill_since = sc_now_ns();
		f->size = sizeof(h);
	}
	if (!sc_profile_file_put(f, SC_PF_META, meta_json, (uint32_t)meta_len)) {
		snprintf(err, errlen, "%s: no room for another META under the size limit of %llu bytes", path,
		         (unsigned long long)max_bytes);
		f->disk = NULL;
		sc_profile_file_close(f);
		return NULL;
	}
	return f;
}

void sc_profile_file_close(struct sc_profile_file *f)
{
	if (!f)
		return;
	/* no producer and no flush job any more: the rest, in order, then END
	 * (room for it was always kept under the limit: put()) */
	pthread_mutex_lock(&f->lock);
	bool out_first = f->out_busy;
	pthread_mutex_unlock(&f->lock);
	if (out_first)
		write_out(f);
	pthread_mutex_lock(&f->lock);
	bool rest = swap_locked(f);
	pthread_mutex_unlock(&f->lock);
	if (rest)
		write_out(f);
	struct {
		struct sc_pf_record r;
		struct sc_pf_end e;
	} end = {.r = {.type = SC_PF_END, .length = sizeof(struct sc_pf_end)},
	         .e = {.time_ns = sc_now_ns(), .records_dropped = f->dropped, .bytes_dropped = f->dropped_bytes,
	               .limit_reached = f->limit_reached}};
	_Static_assert(sizeof(end) == 40, "END record");
	if (!f->write_failed && !write_all(f->fd, (const uint8_t *)&end, sizeof(end)))
		sc_err("profile: writing the END record failed: %s", strerror(errno));
	if (!f->write_failed && f->dropped)
		sc_warn("profile: %llu records were not written (%s)", (unsigned long long)f->dropped,
		        f->limit_reached ? "the size limit was reached" : "the disk was behind");
	close(f->fd);
	pthread_mutex_destroy(&f->lock);
	free(f->fill);
	free(f->out);
	free(f);
}
