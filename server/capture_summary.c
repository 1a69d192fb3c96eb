/* The capture summaries status shows (server/capture_summary.h): a small
 * table keyed by capture directory, filled by refresh jobs on the disk
 * worker. An entry is identified on disk by its manifest's inode, size and
 * mtime; the least recently used entry makes room for a new directory. */
#include "server/capture_summary.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/disk_worker.h"
#include "util/json_get.h"
#include "util/read_file.h"
#include "util/clock.h"

#define DIR_MAX 512
#define SUMMARY_MAX 1024
#define MANIFEST_MAX (64u << 10)

struct manifest_id {
	bool exists;
	uint64_t ino, size, mtime_ns;
};

struct entry {
	char dir[DIR_MAX];   /* "" = free */
	bool known, loading;
	char summary[SUMMARY_MAX];
	struct manifest_id id;
	uint64_t checked_ns, used_ns;
};

struct sc_capture_summaries {
	struct sc_disk_worker *worker;
	pthread_mutex_t lock;
	struct entry e[SC_CAPTURE_SUMMARY_ENTRIES];
};

struct refresh_job {
	struct sc_disk_job job;
	struct sc_capture_summaries *c;
	bool ran;
	char dir[DIR_MAX];
};

/* --- rendering ------------------------------------------------------------------- */

void sc_capture_summary_render(const char *text, struct sc_strbuf *sb)
{
	json_t *m = sc_json_parse_object(text, text ? strlen(text) : 0);
	char s[64];
	uint64_t v, det = 0, paused = 0;
	bool match = false;
	if (!m || !sc_json_get_u64(m, "incident", &v) || v == 0) {
		sc_sb_printf(sb, "null");
		json_decref(m);
		return;
	}
	sc_sb_printf(sb, "{\"incident\":%llu", (unsigned long long)v);
	if (sc_json_get_str(m, "fault.detected", s, sizeof(s))) {
		sc_sb_printf(sb, ",\"detected\":");
		sc_sb_json_str(sb, s);
	}
	if (sc_json_get_str(m, "fault.injected", s, sizeof(s))) {
		sc_sb_printf(sb, ",\"injected\":");
		sc_sb_json_str(sb, s);
	} else {
		sc_sb_printf(sb, ",\"injected\":null");
	}
	if (sc_json_get_u64(m, "fault.detection_path", &v))
		sc_sb_printf(sb, ",\"path\":%llu", (unsigned long long)v);
	if (sc_json_get_u64(m, "primary_error_tick", &v))
		sc_sb_printf(sb, ",\"error_tick\":%llu", (unsigned long long)v);
	if (sc_json_get_u64(m, "held_tick", &v))
		sc_sb_printf(sb, ",\"held_tick\":%llu", (unsigned long long)v);
	sc_json_get_u64(m, "timestamps.detected_ns", &det);
	sc_json_get_u64(m, "timestamps.paused_ns", &paused);
	sc_sb_printf(sb, ",\"detected_ns\":%llu,\"paused_ns\":%llu,\"detect_to_pause_ms\":", (unsigned long long)det,
	             (unsigned long long)paused);
	if (det && paused >= det)
		sc_sb_printf(sb, "%.3f", (double)(paused - det) / 1e6);
	else
		sc_sb_printf(sb, "null");
	sc_json_get_bool(m, "hashes_match", &match);
	sc_sb_printf(sb, ",\"hashes_match\":%s}", match ? "true" : "false");
	json_decref(m);
}

/* --- the refresh job (disk worker) ------------------------------------------------ */

static struct entry *find(struct sc_capture_summaries *c, const char *dir)
{
	for (int i = 0; i < SC_CAPTURE_SUMMARY_ENTRIES; i++)
		if (c->e[i].dir[0] && strcmp(c->e[i].dir, dir) == 0)
			return &c->e[i];
	return NULL;
}

static struct manifest_id stat_manifest(const char *path)
{
	struct stat st;
	struct manifest_id id = {0};
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		id.exists = true;
		id.ino = (uint64_t)st.st_ino;
		id.size = (uint64_t)st.st_size;
		id.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
	}
	return id;
}

static bool refresh_step(struct sc_disk_job *job)
{
	struct refresh_job *j = (struct refresh_job *)job;
	struct sc_capture_summaries *c = j->c;
	j->ran = true;
	char path[DIR_MAX + 32];
	snprintf(path, sizeof(path), "%s/manifest.json", j->dir);
	struct manifest_id id = stat_manifest(path);

	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, j->dir);
	bool same = e && e->known && memcmp(&e->id, &id, sizeof(id)) == 0;
	if (same) {
		e->checked_ns = sc_now_ns();
		e->loading = false;
	}
	pthread_mutex_unlock(&c->lock);
	if (!e || same)
		return false;

	char *m = id.exists && id.size <= MANIFEST_MAX ? sc_read_file(path, NULL) : NULL;
	struct sc_strbuf sb = {.max = SUMMARY_MAX - 1};
	sc_capture_summary_render(m, &sb);
	free(m);

	pthread_mutex_lock(&c->lock);
	e = find(c, j->dir); /* it may have made room for another meanwhile */
	if (e) {
		snprintf(e->summary, sizeof(e->summary), "%s", !sb.failed && sb.buf ? sb.buf : "null");
		e->id = id;
		e->known = true;
		e->loading = false;
		e->checked_ns = sc_now_ns();
	}
	pthread_mutex_unlock(&c->lock);
	sc_sb_free(&sb);
	sc_disk_worker_wake(c->worker); /* a status answer may wait for it */
	return false;
}

static void refresh_destroy(struct sc_disk_job *job)
{
	struct refresh_job *j = (struct refresh_job *)job;
	if (!j->ran) { /* the worker stopped first: let a later append() try again */
		pthread_mutex_lock(&j->c->lock);
		struct entry *e = find(j->c, j->dir);
		if (e)
			e->loading = false;
		pthread_mutex_unlock(&j->c->lock);
	}
	free(j);
}

static const struct sc_disk_job_ops refresh_ops = {.step = refresh_step, .destroy = refresh_destroy};

/* --- the service thread ------------------------------------------------------------- */

struct sc_capture_summaries *sc_capture_summaries_create(struct sc_disk_worker *w)
{
	struct sc_capture_summaries *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->worker = w;
	return c;
}

void sc_capture_summaries_destroy(struct sc_capture_summaries *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool sc_capture_summary_append(struct sc_capture_summaries *c, const char *dir, struct sc_strbuf *sb)
{
	if (!dir[0]) {
		sc_sb_printf(sb, "null");
		return true;
	}
	if (strlen(dir) >= DIR_MAX) {
		sc_sb_printf(sb, "null"); /* a shadow cannot publish one this long */
		return true;
	}
	uint64_t now = sc_now_ns();
	bool known = false, load = false;
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, dir);
	if (!e) {
		e = &c->e[0];
		for (int i = 1; i < SC_CAPTURE_SUMMARY_ENTRIES; i++)
			if (c->e[i].used_ns < e->used_ns)
				e = &c->e[i];
		memset(e, 0, sizeof(*e));
		snprintf(e->dir, sizeof(e->dir), "%s", dir);
	}
	e->used_ns = now;
	if (e->known) {
		known = true;
		sc_sb_printf(sb, "%s", e->summary);
	}
	if (!e->loading && (!e->known || now - e->checked_ns > SC_CAPTURE_SUMMARY_RECHECK_MS * 1000000ull))
		load = e->loading = true;
	pthread_mutex_unlock(&c->lock);
	if (!known)
		sc_sb_printf(sb, "null");
	if (load) {
		struct refresh_job *j = calloc(1, sizeof(*j));
		if (j) {
			j->job.ops = &refresh_ops;
			j->c = c;
			snprintf(j->dir, sizeof(j->dir), "%s", dir);
			sc_disk_worker_submit(c->worker, &j->job); /* destroys it when stopping */
		} else {
			pthread_mutex_lock(&c->lock);
			if ((e = find(c, dir)))
				e->loading = false;
			pthread_mutex_unlock(&c->lock);
		}
	}
	return known;
}
