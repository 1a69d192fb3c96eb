/* Capture endpoints of the debug API: the list under cfg->capture_root (each
 * capture's manifest.json and its step directories), a whole capture as a
 * ustar archive (libarchive, server/capture_tar.h), single files, and
 * state.json (the preserved game state as JSON, for the developer page's
 * inspector). Names are checked component by component ([A-Za-z0-9._-], no
 * "." or ".."), symlinks are not followed.
 *
 * The service thread only checks the path and submits a job; the disk worker
 * does everything that touches the disk and answers through a disk reply:
 * JSON answers whole, files and archives in steps of SC_DISK_STEP_BYTES with
 * the Content-Length known before the first byte. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/capture_tar.h"
#include "server/debug_api.h"
#include "server/disk_reply.h"
#include "server/disk_worker.h"
#include "shadow/capture.h"
#include "util/json_get.h"
#include "util/read_file.h"

/* text is a whole JSON object (a file the shadow may be writing right now can
 * be torn): then it is embedded in an answer as is. */
static bool is_object(const char *text)
{
	json_t *v = sc_json_parse_object(text, text ? strlen(text) : 0);
	json_decref(v);
	return v != NULL;
}
#include "util/log.h"

#define LIST_MAX 64
#define MANIFEST_MAX (64u << 10)

struct entry {
	char name[256];
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? 1 : -1;
	return strcmp(y->name, x->name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Subdirectories of dir (valid names only) into *out (malloc'd). */
static size_t list_dirs(const char *dir, struct entry **out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!sc_debug_name_ok(e->d_name, strlen(e->d_name)) || strlen(e->d_name) >= sizeof((*out)->name))
			continue;
		char p[1024];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct entry *ne = realloc(*out, cap * sizeof(**out));
			if (!ne)
				break;
			*out = ne;
		}
		snprintf((*out)[n].name, sizeof((*out)[n].name), "%s", e->d_name);
		(*out)[n].mtime = st.st_mtime;
		n++;
	}
	closedir(d);
	return n;
}

static bool is_file(const char *path, size_t *size)
{
	struct stat st;
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (size)
		*size = (size_t)st.st_size;
	return true;
}

void sc_debug_captures_list(const char *root, struct sc_strbuf *sb)
{
	struct entry *caps;
	size_t n = list_dirs(root, &caps);
	if (n)
		qsort(caps, n, sizeof(*caps), newest_first);
	sc_sb_printf(sb, "[");
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < LIST_MAX; i++) {
		char dir[1024], mpath[1100];
		size_t msize;
		snprintf(dir, sizeof(dir), "%s/%s", root, caps[i].name);
		snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
		if (!is_file(mpath, &msize) || msize > MANIFEST_MAX)
			continue;
		char *manifest = sc_read_file(mpath, NULL);
		if (!manifest)
			continue;
		sc_sb_printf(sb, "%s{\"name\":", shown ? "," : "");
		sc_sb_json_str(sb, caps[i].name);
		snprintf(mpath, sizeof(mpath), "%s/frame.png", dir);
		sc_sb_printf(sb, ",\"mtime\":%lld,\"frame\":%s,\"steps\":[", (long long)caps[i].mtime,
		             is_file(mpath, NULL) ? "true" : "false");
		struct entry *steps;
		size_t ns = list_dirs(dir, &steps);
		if (ns)
			qsort(steps, ns, sizeof(*steps), by_name); /* qsort(NULL, 0) is undefined */
		for (size_t k = 0; k < ns; k++) {
			sc_sb_printf(sb, "%s", k ? "," : "");
			sc_sb_json_str(sb, steps[k].name);
		}
		free(steps);
		/* the shadow writes the manifest; a torn or empty one is shown as null */
		sc_sb_printf(sb, "],\"manifest\":%s}", is_object(manifest) ? manifest : "null");
		free(manifest);
		shown++;
	}
	sc_sb_printf(sb, "]");
	free(caps);
}

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".json") == 0)
		return "application/json";
	if (strcmp(dot, ".txt") == 0)
		return "text/plain; charset=utf-8";
	return "application/octet-stream";
}

static double px(int32_t v)
{
	return v / 256.0;
}

/* The game state of a capture (sub == NULL) or of one of its step
 * directories, as JSON into sb; returns the status. */
static unsigned int render_state(const char *root, const char *name, const char *sub, struct sc_strbuf *out)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	struct sc_capture cap;
	if (!sc_capture_load(&cap, dir))
		return sc_debug_error_sb(out, 404, "capture '%s' cannot be loaded (see the server log)", name);
	struct sc_game_state st;
	char *result = NULL;
	memcpy(&st, sc_capture_state(&cap), sizeof(st));
	if (sub) {
		char p[2048];
		size_t len = 0;
		snprintf(p, sizeof(p), "%s/%s/state.bin", dir, sub);
		char *bin = is_file(p, NULL) ? sc_read_file(p, &len) : NULL;
		if (!bin || len < sizeof(st)) {
			free(bin);
			sc_capture_finish(&cap);
			return sc_debug_error_sb(out, 404, "no state in '%s/%s'", name, sub);
		}
		memcpy(&st, bin, sizeof(st));
		free(bin);
		snprintf(p, sizeof(p), "%s/%s/result.json", dir, sub);
		size_t rs;
		if (is_file(p, &rs) && rs < MANIFEST_MAX)
			result = sc_read_file(p, NULL);
	}
	const struct sc_game_header *h = &st.hdr;
	const struct sc_capture_info *in = &cap.info;
	struct sc_strbuf sb = *out;
	sc_sb_printf(&sb, "{\"capture\":");
	sc_sb_json_str(&sb, name);
	sc_sb_printf(&sb, ",\"step\":");
	if (sub)
		sc_sb_json_str(&sb, sub);
	else
		sc_sb_printf(&sb, "null");
	sc_sb_printf(&sb, ",\"incident\":%u,\"detected\":\"%s\",\"error_tick\":%u,\"tick\":%u,\"held_tick\":%d,"
	             "\"shadow_hash\":\"0x%016llx\",\"primary_hash\":",
	             in->incident, sc_fault_detected_name(in->detected), in->error_tick, h->tick, (int)h->tick - 1,
	             (unsigned long long)in->shadow_hash);
	if (in->primary_hash_known)
		sc_sb_printf(&sb, "\"0x%016llx\"", (unsigned long long)in->primary_hash);
	else
		sc_sb_printf(&sb, "null");
	sc_sb_printf(&sb, ",\"score\":[%u,%u],\"kickoff\":%u,\"goals\":%u,\"touches\":%u,\"wall_bounces\":%u,"
	             "\"input_digest\":\"0x%08x\",\"players\":[", h->score0, h->score1, h->kickoff, h->goals, h->touches,
	             h->wall_bounces, h->input_digest);
	for (uint32_t i = 0; i < h->n_players && i < SC_MAX_PLAYERS; i++) {
		const struct sc_game_player *p = &st.players[i];
		sc_sb_printf(&sb, "%s{\"index\":%u,\"team\":%u,\"x_px\":%.2f,\"y_px\":%.2f,\"vx_px\":%.2f,\"vy_px\":%.2f,"
		             "\"axis\":[%d,%d],\"shield\":%s,\"cooldown\":%u,\"touches\":%u}", i ? "," : "", i, p->team,
		             px(p->x), px(p->y), px(p->vx), px(p->vy), p->ax, p->ay, p->flags & 1 ? "true" : "false",
		             p->cooldown, p->touches);
	}
	sc_sb_printf(&sb, "],\"puck\":{\"x_px\":%.2f,\"y_px\":%.2f,\"vx_px\":%.2f,\"vy_px\":%.2f,\"last_touch\":%d},"
	             "\"particles\":%u,\"fault_record\":", px(st.puck.x), px(st.puck.y), px(st.puck.vx),
	             px(st.puck.vy), st.puck.last_touch, h->particle_count);
	if (h->fault_kind)
		sc_sb_printf(&sb, "{\"kind\":%u,\"tick\":%u,\"detail\":%u}", h->fault_kind, h->fault_tick,
		             h->fault_detail);
	else
		sc_sb_printf(&sb, "null");
	sc_sb_printf(&sb, ",\"pending_inputs\":[");
	bool first = true;
	for (size_t i = 0; i < cap.n_inputs; i++) {
		if (cap.inputs[i].tick < sc_capture_state(&cap)->hdr.tick)
			continue;
		char line[64];
		sc_input_format(&cap.inputs[i], line, sizeof(line));
		sc_sb_printf(&sb, "%s", first ? "" : ",");
		sc_sb_json_str(&sb, line);
		first = false;
	}
	sc_sb_printf(&sb, "],\"result\":%s}\n", is_object(result) ? result : "null");
	free(result);
	sc_capture_finish(&cap);
	*out = sb;
	return 200;
}

/* --- disk jobs ------------------------------------------------------------------ */

enum job_kind { JOB_LIST, JOB_STATE, JOB_FILE, JOB_TAR };

struct cap_job {
	struct sc_disk_job job;
	enum job_kind kind;
	char root[512];
	char name[256], sub[256]; /* JOB_STATE: capture, step dir or ""; JOB_TAR: capture */
	char rel[800];            /* JOB_FILE: the path under root */
	struct sc_strbuf head;    /* JOB_LIST */
	char tail[8];
	/* JOB_FILE, JOB_TAR once the head is out */
	bool started;
	int fd;
	uint64_t left;
	unsigned char *buf;
	struct sc_capture_tar *tar;
};

static void job_reply_error(struct cap_job *j, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_reply_error(struct cap_job *j, unsigned int status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct sc_strbuf sb = {0};
	sc_debug_error_sb(&sb, status, "%s", msg);
	sc_disk_reply_error(j->job.reply, status, &sb);
}

static bool step_list(struct cap_job *j)
{
	struct sc_strbuf sb = j->head;
	j->head = (struct sc_strbuf){0};
	sc_debug_captures_list(j->root, &sb);
	sc_sb_printf(&sb, "%s", j->tail);
	sc_disk_reply_json(j->job.reply, 200, &sb);
	return false;
}

static bool step_state(struct cap_job *j)
{
	struct sc_strbuf sb = {0};
	unsigned int status = render_state(j->root, j->name, j->sub[0] ? j->sub : NULL, &sb);
	sc_disk_reply_json(j->job.reply, status, &sb);
	return false;
}

static bool start_file(struct cap_job *j)
{
	char path[1400];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", j->root, j->rel);
	/* O_NOFOLLOW: symlinks are not served; O_NONBLOCK: nor does a FIFO block us */
	j->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (j->fd < 0 || fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		job_reply_error(j, 404, "no file '%s' in the captures", j->rel);
		return false;
	}
	if ((uint64_t)st.st_size > SC_DEBUG_FILE_MAX) {
		job_reply_error(j, 413, "'%s' is over %u MiB", j->rel, SC_DEBUG_FILE_MAX >> 20);
		return false;
	}
	if (!(j->buf = malloc(SC_DISK_STEP_BYTES))) {
		job_reply_error(j, 500, "out of memory reading '%s'", j->rel);
		return false;
	}
	j->left = (uint64_t)st.st_size;
	sc_disk_reply_head(j->job.reply, 200, content_type(j->rel), "", j->left);
	j->started = true;
	return true;
}

static bool step_file(struct cap_job *j)
{
	if (!j->started && !start_file(j))
		return false;
	size_t want = j->left < SC_DISK_STEP_BYTES ? (size_t)j->left : SC_DISK_STEP_BYTES;
	while (want) {
		ssize_t n = read(j->fd, j->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* before the head went out a 500, else the connection is cut */
			job_reply_error(j, 500, "cannot read '%s': %s", j->rel, n < 0 ? strerror(errno) : "it shrank");
			return false;
		}
		if (!sc_disk_reply_write(j->job.reply, j->buf, (size_t)n)) {
			sc_disk_reply_fail(j->job.reply);
			return false;
		}
		j->left -= (uint64_t)n;
		break;
	}
	if (j->left)
		return true;
	sc_disk_reply_end(j->job.reply);
	return false;
}

static bool tar_sink(void *ud, const void *data, size_t len)
{
	return sc_disk_reply_write(ud, data, len);
}

static bool start_tar(struct cap_job *j)
{
	char dir[1024], err[512], fname[300];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/%s", j->root, j->name);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		job_reply_error(j, 404, "no capture named '%s'", j->name);
		return false;
	}
	switch (sc_capture_tar_open(dir, j->name, SC_DEBUG_TAR_MAX, tar_sink, j->job.reply, &j->tar, err,
	                            sizeof(err))) {
	case SC_CAPTURE_TAR_OK:
		break;
	case SC_CAPTURE_TAR_TOO_BIG:
		job_reply_error(j, 413, "capture '%s' is too big to archive (at most %u MiB): %s", j->name,
		                SC_DEBUG_TAR_MAX >> 20, err);
		return false;
	default:
		job_reply_error(j, 500, "cannot archive capture '%s': %s", j->name, err);
		return false;
	}
	snprintf(fname, sizeof(fname), "%s.tar", j->name);
	sc_disk_reply_head(j->job.reply, 200, "application/x-tar", fname, sc_capture_tar_size(j->tar));
	j->started = true;
	return true;
}

static bool step_tar(struct cap_job *j)
{
	char err[512];
	if (!j->started && !start_tar(j))
		return false;
	int r = sc_capture_tar_step(j->tar, SC_DISK_STEP_BYTES, err, sizeof(err));
	if (r > 0)
		return true;
	if (r == 0) {
		sc_disk_reply_end(j->job.reply);
		return false;
	}
	sc_warn("debug API: archiving capture '%s' failed after it started: %s", j->name, err);
	sc_disk_reply_fail(j->job.reply); /* the client gets fewer bytes than the Content-Length */
	return false;
}

static bool job_step(struct sc_disk_job *job)
{
	struct cap_job *j = (struct cap_job *)job;
	switch (j->kind) {
	case JOB_LIST: return step_list(j);
	case JOB_STATE: return step_state(j);
	case JOB_FILE: return step_file(j);
	case JOB_TAR: return step_tar(j);
	}
	return false;
}

static void job_destroy(struct sc_disk_job *job)
{
	struct cap_job *j = (struct cap_job *)job;
	if (j->fd >= 0)
		close(j->fd);
	sc_capture_tar_close(j->tar);
	free(j->buf);
	sc_sb_free(&j->head);
	if (j->job.reply)
		sc_disk_reply_unref(j->job.reply);
	free(j);
}

static const struct sc_disk_job_ops job_ops = {.step = job_step, .destroy = job_destroy};

static struct cap_job *new_job(struct sc_debug_api *api, enum job_kind kind)
{
	struct cap_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->job.ops = &job_ops;
	j->kind = kind;
	j->fd = -1;
	snprintf(j->root, sizeof(j->root), "%s", api->cfg->capture_root);
	return j;
}

/* Service thread: the job runs on the disk worker; res waits for its reply. */
static void submit(struct sc_debug_api *api, struct cap_job *j, struct sc_http_response *res)
{
	if (!j) {
		sc_debug_error(res, 500, "out of memory");
		return;
	}
	struct sc_disk_reply *reply = api->disk ? sc_disk_reply_create(api->disk) : NULL;
	if (!reply) {
		job_destroy(&j->job);
		if (api->disk)
			sc_debug_error(res, 500, "out of memory");
		else
			sc_debug_error(res, 503, "the disk worker is not running");
		return;
	}
	j->job.reply = reply;
	sc_debug_pending_disk(api, reply, res);
	sc_disk_worker_submit(api->disk, &j->job); /* stopping: it answers 500 */
}

void sc_debug_captures_list_get(struct sc_debug_api *api, struct sc_strbuf *head, const char *tail,
                                struct sc_http_response *res)
{
	struct cap_job *j = new_job(api, JOB_LIST);
	if (j) {
		j->head = *head;
		snprintf(j->tail, sizeof(j->tail), "%s", tail);
	} else {
		sc_sb_free(head);
	}
	*head = (struct sc_strbuf){0};
	submit(api, j, res);
}

void sc_debug_captures_get(struct sc_debug_api *api, const char *path, struct sc_http_response *res)
{
	/* split into at most 3 components: NAME[.tar] / [SUB /] FILE */
	char comp[3][256];
	int n = 0;
	const char *p = path;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);
		if (n == 3 || len >= sizeof(comp[0]) || !sc_debug_name_ok(p, len)) {
			sc_debug_error(res, 400, "bad capture path '%s' (names are [A-Za-z0-9._-], at most 3 levels)", path);
			return;
		}
		memcpy(comp[n], p, len);
		comp[n++][len] = '\0';
		p += len;
		if (*p == '/')
			p++;
	}
	if (n == 0) {
		sc_debug_error(res, 400, "no capture name");
		return;
	}
	size_t l0 = strlen(comp[0]);
	struct cap_job *j;
	if (n == 1) {
		if (l0 > 4 && strcmp(comp[0] + l0 - 4, ".tar") == 0) {
			comp[0][l0 - 4] = '\0';
			if ((j = new_job(api, JOB_TAR)))
				snprintf(j->name, sizeof(j->name), "%s", comp[0]);
			submit(api, j, res);
			return;
		}
		sc_debug_error(res, 404, "GET %s.tar for the archive, or %s/FILE", comp[0], comp[0]);
		return;
	}
	if (strcmp(comp[n - 1], "state.json") == 0) {
		if ((j = new_job(api, JOB_STATE))) {
			snprintf(j->name, sizeof(j->name), "%s", comp[0]);
			snprintf(j->sub, sizeof(j->sub), "%s", n == 3 ? comp[1] : "");
		}
		submit(api, j, res);
		return;
	}
	if ((j = new_job(api, JOB_FILE)))
		snprintf(j->rel, sizeof(j->rel), "%s/%s%s%s", comp[0], comp[1], n == 3 ? "/" : "", n == 3 ? comp[2] : "");
	submit(api, j, res);
}
