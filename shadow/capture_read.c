/* Loading a capture directory back (`inspect`, `replay`, tests). */
#include "shadow/capture.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/game.h"
#include "gpu/input_file.h"
#include "session/session.h"
#include "util/json_get.h"
#include "util/read_file.h"
#include "util/log.h"

static uint32_t detected_from_name(const char *name)
{
	for (uint32_t d = SC_DETECTED_ASSERT; d <= SC_DETECTED_LAST; d++)
		if (strcmp(name, sc_fault_detected_name(d)) == 0)
			return d;
	return 0;
}

static bool get_u32(const json_t *m, const char *key, uint32_t *out, const char *dir)
{
	uint64_t v;
	if (!sc_json_get_u64(m, key, &v) || v > UINT32_MAX) {
		sc_err("%s/manifest.json: \"%s\" missing or not a 32-bit number", dir, key);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool parse_fields(struct sc_capture *cap, const json_t *m)
{
	struct sc_capture_info *in = &cap->info;
	uint64_t fmt;
	if (!sc_json_get_u64(m, "format", &fmt) || fmt < SC_CAPTURE_FORMAT_MIN || fmt > SC_CAPTURE_FORMAT) {
		sc_err("%s/manifest.json: not a shadowcast capture of format %d..%d", cap->dir, SC_CAPTURE_FORMAT_MIN,
		       SC_CAPTURE_FORMAT);
		return false;
	}
	struct sc_capture_game *g = &in->game;
	if (!get_u32(m, "game.width", &g->width, cap->dir) || !get_u32(m, "game.height", &g->height, cap->dir) ||
	    !get_u32(m, "game.seed", &g->seed, cap->dir) || !get_u32(m, "game.players", &g->players, cap->dir) ||
	    !get_u32(m, "game.particles", &g->particles, cap->dir) ||
	    !get_u32(m, "game.hang_timeout_ms", &g->hang_timeout_ms, cap->dir) ||
	    !get_u32(m, "game.fps", &g->fps, cap->dir) ||
	    !get_u32(m, "next_tick", &in->next_tick, cap->dir) ||
	    !get_u32(m, "delay_ticks", &in->delay_ticks, cap->dir))
		return false;
	uint64_t v;
	if (sc_json_get_u64(m, "incident", &v))
		in->incident = (uint32_t)v;
	if (sc_json_get_u64(m, "primary_error_tick", &v))
		in->error_tick = (uint32_t)v;
	in->detected_tick = in->error_tick;
	if (sc_json_get_u64(m, "detected_tick", &v) && v >= in->error_tick && v <= UINT32_MAX)
		in->detected_tick = (uint32_t)v; /* captures before format 1's detected_tick: on time */
	if (sc_json_get_u64(m, "fault.detection_path", &v))
		in->path = (uint32_t)v;
	if (sc_json_get_u64(m, "divergences", &v))
		in->divergences = v;
	char name[64];
	if (sc_json_get_str(m, "fault.detected", name, sizeof(name)))
		in->detected = detected_from_name(name);
	enum sc_fault_kind k;
	if (sc_json_get_str(m, "fault.injected", name, sizeof(name)) && sc_fault_kind_parse(name, &k))
		in->injected = k;
	if (!sc_json_get_hex(m, "shadow_hash", &in->shadow_hash)) {
		sc_err("%s/manifest.json: \"shadow_hash\" missing", cap->dir);
		return false;
	}
	in->primary_hash_known = sc_json_get_hex(m, "primary_hash", &in->primary_hash);
	sc_json_get_str(m, "fault.detail", in->detail, sizeof(in->detail));
	sc_json_get_str(m, "devices.shadow_device", in->shadow_device, sizeof(in->shadow_device));
	sc_json_get_str(m, "devices.shadow_device_uuid", in->shadow_device_uuid, sizeof(in->shadow_device_uuid));
	sc_json_get_str(m, "devices.primary_device", in->primary_device, sizeof(in->primary_device));
	sc_json_get_u64(m, "timestamps.detected_ns", &in->detected_ns);
	sc_json_get_u64(m, "timestamps.paused_ns", &in->paused_ns);
	sc_json_get_u64(m, "timestamps.armed_ns", &in->armed_ns);
	return true;
}

static bool parse_manifest(struct sc_capture *cap, size_t len)
{
	json_t *m = sc_json_parse_object(cap->manifest, len);
	bool ok = m && parse_fields(cap, m);
	if (!m)
		sc_err("%s/manifest.json: not a JSON object", cap->dir);
	json_decref(m);
	return ok;
}

bool sc_capture_load(struct sc_capture *cap, const char *dir)
{
	memset(cap, 0, sizeof(*cap));
	if (snprintf(cap->dir, sizeof(cap->dir), "%s", dir) >= (int)sizeof(cap->dir)) {
		sc_err("capture path too long: %s", dir);
		return false;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	size_t mlen;
	if (!(cap->manifest = sc_read_file(path, &mlen))) {
		sc_err("%s: %s (is %s a capture directory?)", path, strerror(errno), dir);
		goto fail;
	}
	if (!parse_manifest(cap, mlen))
		goto fail;
	snprintf(path, sizeof(path), "%s/state.bin", dir);
	if (!(cap->snap = sc_read_file(path, &cap->snap_len))) {
		sc_err("%s: %s", path, strerror(errno));
		goto fail;
	}
	size_t want = sc_game_snapshot_size_for(cap->info.game.particles);
	if (cap->snap_len != want) {
		sc_err("%s: %zu bytes, a snapshot of %u particles is %zu", path, cap->snap_len, cap->info.game.particles,
		       want);
		goto fail;
	}
	const struct sc_game_state *st = sc_capture_state(cap);
	if (st->hdr.tick != cap->info.next_tick) {
		sc_err("%s: state at tick %u, the manifest says %u", path, st->hdr.tick, cap->info.next_tick);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/inputs.txt", dir);
	struct sc_input_list list = {0};
	if (!sc_input_list_load(&list, path)) {
		sc_input_list_finish(&list);
		goto fail;
	}
	cap->inputs = list.events;
	cap->n_inputs = list.count;
	return true;
fail:
	sc_capture_finish(cap);
	return false;
}

void sc_capture_finish(struct sc_capture *cap)
{
	free(cap->manifest);
	free(cap->snap);
	free(cap->inputs);
	cap->manifest = NULL;
	cap->snap = NULL;
	cap->inputs = NULL;
}
