/* Capture endpoints of the debug API: the list under cfg->capture_root (each
 * capture's manifest.json and its step directories), a whole capture as a
 * ustar archive, single files, and state.json (the preserved game state as
 * JSON, for the developer page's inspector). Names are checked component by
 * component ([A-Za-z0-9._-], no "." or ".."), symlinks are not followed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/debug_api.h"
#include "server/tar_writer.h"
#include "shadow/capture.h"
#include "shadow/json.h"

#define LIST_MAX 64
#define FILE_MAX (64u << 20)
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

void sc_debug_captures_list(struct sc_debug_api *api, struct sc_strbuf *sb)
{
	const char *root = api->cfg->capture_root;
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
		const char *m = manifest;
		while (*m == ' ' || *m == '\n' || *m == '\t')
			m++;
		sc_sb_printf(sb, "],\"manifest\":%s}", *m == '{' ? manifest : "null");
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

static void get_tar(struct sc_debug_api *api, const char *name, struct sc_http_response *res)
{
	char dir[1024], err[512];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/%s", api->cfg->capture_root, name);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sc_debug_error(res, 404, "no capture named '%s'", name);
		return;
	}
	struct sc_strbuf sb = {.max = SC_DEBUG_TAR_MAX};
	if (!sc_tar_add_tree(&sb, dir, name, err, sizeof(err)) || !sc_tar_finish(&sb)) {
		sc_sb_free(&sb);
		sc_debug_error(res, 500, "cannot archive capture '%s': %s", name, sb.failed ? "over 64 MiB" : err);
		return;
	}
	size_t len;
	char *body = sc_sb_take(&sb, &len);
	if (!body) {
		sc_debug_error(res, 500, "out of memory archiving '%s'", name);
		return;
	}
	res->status = 200;
	res->content_type = "application/x-tar";
	res->body = body;
	res->len = len;
	snprintf(res->filename, sizeof(res->filename), "%s.tar", name);
}

static double px(int32_t v)
{
	return v / 256.0;
}

/* The game state of a capture (sub == NULL) or of one of its step
 * directories, as JSON. */
static void get_state(struct sc_debug_api *api, const char *name, const char *sub, struct sc_http_response *res)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", api->cfg->capture_root, name);
	struct sc_capture cap;
	if (!sc_capture_load(&cap, dir)) {
		sc_debug_error(res, 404, "capture '%s' cannot be loaded (see the server log)", name);
		return;
	}
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
			sc_debug_error(res, 404, "no state in '%s/%s'", name, sub);
			return;
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
	struct sc_strbuf sb = {0};
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
	const char *r = result;
	while (r && (*r == ' ' || *r == '\n'))
		r++;
	sc_sb_printf(&sb, "],\"result\":%s}\n", r && *r == '{' ? result : "null");
	free(result);
	sc_capture_finish(&cap);
	sc_debug_json(res, 200, &sb);
}

static void get_file(struct sc_debug_api *api, const char *rel, struct sc_http_response *res)
{
	char path[2048];
	size_t size;
	snprintf(path, sizeof(path), "%s/%s", api->cfg->capture_root, rel);
	if (!is_file(path, &size)) {
		sc_debug_error(res, 404, "no file '%s' in the captures", rel);
		return;
	}
	if (size > FILE_MAX) {
		sc_debug_error(res, 413, "'%s' is over 64 MiB", rel);
		return;
	}
	size_t len = 0;
	char *data = sc_read_file(path, &len);
	if (!data) {
		sc_debug_error(res, 500, "cannot read '%s': %s", rel, strerror(errno));
		return;
	}
	res->status = 200;
	res->content_type = content_type(rel);
	res->body = data;
	res->len = len;
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
	if (n == 1) {
		if (l0 > 4 && strcmp(comp[0] + l0 - 4, ".tar") == 0) {
			comp[0][l0 - 4] = '\0';
			get_tar(api, comp[0], res);
			return;
		}
		sc_debug_error(res, 404, "GET %s.tar for the archive, or %s/FILE", comp[0], comp[0]);
		return;
	}
	if (strcmp(comp[n - 1], "state.json") == 0) {
		get_state(api, comp[0], n == 3 ? comp[1] : NULL, res);
		return;
	}
	char rel[800];
	snprintf(rel, sizeof(rel), "%s/%s%s%s", comp[0], comp[1], n == 3 ? "/" : "", n == 3 ? comp[2] : "");
	get_file(api, rel, res);
}
