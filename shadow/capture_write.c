/* Writing a capture directory (docs/captures.md). */
#include "shadow/capture.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "server/session.h"
#include "shadow/json.h"
#include "shadow/step.h"
#include "util/log.h"
#include "util/png_write.h"

void sc_capture_missing_add(struct sc_capture_missing *m, const char *fmt, ...)
{
	if (m->len >= sizeof(m->text) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m->text + m->len, sizeof(m->text) - m->len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	m->len += (size_t)n < sizeof(m->text) - m->len - 1 ? (size_t)n : sizeof(m->text) - m->len - 2;
	m->text[m->len++] = '\n';
	m->text[m->len] = 0;
}

static bool mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

bool sc_capture_dir_name(const char *root, const struct sc_capture_info *info, uint32_t manual_n, char *out,
                         size_t len)
{
	if (!mkdir_p(root)) {
		sc_err("capture root %s: %s", root, strerror(errno));
		return false;
	}
	char abs[PATH_MAX];
	if (!realpath(root, abs))
		snprintf(abs, sizeof(abs), "%s", root);
	char base[PATH_MAX + 64];
	if (info->incident)
		snprintf(base, sizeof(base), "%s/incident-%u-tick-%u", abs, info->incident, info->error_tick);
	else
		snprintf(base, sizeof(base), "%s/manual-%u-tick-%u", abs, manual_n,
		         info->next_tick ? info->next_tick - 1 : 0);
	struct stat st;
	for (unsigned i = 1; i < 1000; i++) {
		int n = i == 1 ? snprintf(out, len, "%s", base) : snprintf(out, len, "%s-%u", base, i);
		if (n < 0 || (size_t)n >= len) {
			sc_err("capture path too long under %s", abs);
			return false;
		}
		if (stat(out, &st) != 0 && errno == ENOENT)
			return true;
	}
	sc_err("no free capture directory name for %s", base);
	return false;
}

static FILE *open_in(const char *dir, const char *name, const char *mode)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, mode);
	if (!f)
		sc_err("capture: %s: %s", path, strerror(errno));
	return f;
}

static bool close_ok(FILE *f, const char *dir, const char *name)
{
	bool ok = !ferror(f);
	if (fclose(f) != 0)
		ok = false;
	if (!ok)
		sc_err("capture: writing %s/%s failed", dir, name);
	return ok;
}

static bool write_blob(const char *dir, const char *name, const void *buf, size_t len)
{
	FILE *f = open_in(dir, name, "wb");
	if (!f)
		return false;
	fwrite(buf, 1, len, f);
	return close_ok(f, dir, name);
}

static void hex(FILE *f, uint64_t v)
{
	fprintf(f, "\"0x%016" PRIx64 "\"", v);
}

static void write_fault_kind(FILE *f, uint32_t injected)
{
	if (injected)
		sc_json_str(f, sc_fault_kind_name((enum sc_fault_kind)injected));
	else
		fputs("null", f);
}

static const char *path_name(uint32_t path)
{
	return path == SC_FAULT_PATH_SELF ? "self-reported" : path == SC_FAULT_PATH_EXTERNAL ? "external-monitor" : "none";
}

static bool write_manifest(const char *dir, const struct sc_capture_info *in, const struct sc_capture_inputs *inputs,
                           bool have_frame)
{
	FILE *f = open_in(dir, "manifest.json", "w");
	if (!f)
		return false;
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "{\n  \"format\": %d,\n  \"capture_kind\": \"%s\",\n", SC_CAPTURE_FORMAT,
	        in->incident ? "incident" : "manual");
	if (in->incident)
		fprintf(f, "  \"incident\": %u,\n", in->incident);
	else
		fputs("  \"incident\": null,\n", f);
	fprintf(f, "  \"fault\": {\"detected\": \"%s\", \"injected\": ", sc_fault_detected_name(in->detected));
	write_fault_kind(f, in->injected);
	fprintf(f, ", \"detection_path\": %u, \"detection_path_name\": \"%s\", \"detail\": ", in->path,
	        path_name(in->path));
	sc_json_str(f, in->detail);
	fputs("},\n", f);
	if (in->incident) {
		uint32_t det = in->detected_tick > in->error_tick ? in->detected_tick : in->error_tick;
		fprintf(f, "  \"primary_error_tick\": %u,\n  \"detected_tick\": %u,\n  \"detection_lag_ticks\": %u,\n"
		        "  \"holds_pre_error_state\": %s,\n", in->error_tick, det, det - in->error_tick,
		        in->next_tick == in->error_tick ? "true" : "false");
	} else {
		fputs("  \"primary_error_tick\": null,\n  \"detected_tick\": null,\n  \"detection_lag_ticks\": null,\n"
		      "  \"holds_pre_error_state\": null,\n", f);
	}
	if (in->next_tick)
		fprintf(f, "  \"held_tick\": %u,\n", in->next_tick - 1);
	else
		fputs("  \"held_tick\": null,\n", f);
	fprintf(f, "  \"next_tick\": %u,\n  \"delay_ticks\": %u,\n  \"shadow_hash\": ", in->next_tick, in->delay_ticks);
	hex(f, in->shadow_hash);
	fputs(",\n  \"primary_hash\": ", f);
	if (in->primary_hash_known)
		hex(f, in->primary_hash);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"hashes_match\": %s,\n", in->primary_hash_known ?
	        (in->primary_hash == in->shadow_hash ? "true" : "false") : "null");
	fprintf(f, "  \"divergences\": %" PRIu64 ",\n", in->divergences);
	fputs("  \"devices\": {\"shadow_device\": ", f);
	sc_json_str(f, in->shadow_device);
	fputs(", \"shadow_device_uuid\": ", f);
	sc_json_str(f, in->shadow_device_uuid);
	fputs(", \"primary_device\": ", f);
	if (in->primary_device[0])
		sc_json_str(f, in->primary_device);
	else
		fputs("null", f);
	fprintf(f, ", \"device_fault_report\": %s},\n", in->device_fault_available ? "true" : "false");
	const struct sc_capture_game *g = &in->game;
	fprintf(f, "  \"game\": {\"width\": %u, \"height\": %u, \"seed\": %u, \"players\": %u, \"particles\": %u, "
	        "\"hang_timeout_ms\": %u},\n", g->width, g->height, g->seed, g->players, g->particles,
	        g->hang_timeout_ms);
	fprintf(f, "  \"inputs\": {\"applied_in_window\": %zu, \"pending\": %zu},\n", inputs->n_applied,
	        inputs->n_pending);
	fprintf(f, "  \"timestamps\": {\"detected_ns\": %" PRIu64 ", \"paused_ns\": %" PRIu64 ", ", in->detected_ns,
	        in->paused_ns);
	if (in->detected_ns && in->paused_ns >= in->detected_ns)
		fprintf(f, "\"detect_to_pause_ms\": %.3f, ", (double)(in->paused_ns - in->detected_ns) / 1e6);
	if (in->detected_ns && in->held_ns >= in->detected_ns)
		fprintf(f, "\"held_ns\": %" PRIu64 ", \"detect_to_held_ms\": %.3f, ", in->held_ns,
		        (double)(in->held_ns - in->detected_ns) / 1e6);
	if (in->detected_ns && in->armed_ns >= in->detected_ns)
		fprintf(f, "\"armed_ns\": %" PRIu64 ", \"detect_to_arm_ms\": %.3f, \"armed_margin_ticks\": %u, ",
		        in->armed_ns, (double)(in->armed_ns - in->detected_ns) / 1e6, in->armed_margin);
	fprintf(f, "\"written_utc\": \"%s\"},\n", when);
	fprintf(f, "  \"files\": {\"state\": \"state.bin\", \"frame\": %s, \"inputs\": \"inputs.txt\", "
	        "\"error\": %s, \"missing\": \"missing.txt\"}\n}\n", have_frame ? "\"frame.png\"" : "null",
	        in->incident ? "\"error.json\"" : "null");
	return close_ok(f, dir, "manifest.json");
}

/* Copies the file at src into dir/name. */
static bool copy_into(const char *dir, const char *name, const char *src)
{
	FILE *in = fopen(src, "rb");
	if (!in)
		return false;
	FILE *out = open_in(dir, name, "wb");
	bool ok = out != NULL;
	char buf[4096];
	size_t n;
	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	ok = ok && !ferror(in);
	fclose(in);
	if (out)
		ok = close_ok(out, dir, name) && ok;
	return ok;
}

static bool write_error(const char *dir, const struct sc_capture_info *in)
{
	FILE *f = open_in(dir, "error.json", "w");
	if (!f)
		return false;
	fprintf(f, "{\n  \"incident\": %u,\n  \"detected\": \"%s\",\n  \"detection_path\": %u,\n  \"injected\": ",
	        in->incident, sc_fault_detected_name(in->detected), in->path);
	write_fault_kind(f, in->injected);
	fprintf(f, ",\n  \"error_tick\": %u,\n  \"detected_tick\": %u,\n  \"primary_hash_before\": ", in->error_tick,
	        in->detected_tick > in->error_tick ? in->detected_tick : in->error_tick);
	if (in->primary_hash_known)
		hex(f, in->primary_hash);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"detected_ns\": %" PRIu64 ",\n  \"primary_pid\": %d,\n  \"device_fault_report\": %s,\n",
	        in->detected_ns, in->primary_pid, in->device_fault_available ? "true" : "false");
	/* the shader fault record, as the primary's detail line gives it */
	unsigned kind, detail, tick;
	const char *rec = strstr(in->detail, "kind ");
	if (rec && sscanf(rec, "kind %u detail %u at tick %u", &kind, &detail, &tick) == 3)
		fprintf(f, "  \"fault_record\": {\"kind\": %u, \"detail\": %u, \"tick\": %u},\n", kind, detail, tick);
	else
		fputs("  \"fault_record\": null,\n", f);
	fputs("  \"detail\": ", f);
	sc_json_str(f, in->detail);
	fputs("\n}\n", f);
	return close_ok(f, dir, "error.json");
}

static void write_event(FILE *f, const struct sc_input_event *ev, const char *note)
{
	char line[96];
	sc_input_format(ev, line, sizeof(line));
	fprintf(f, "%-28s # seq %u%s\n", line, ev->seq, note);
}

static bool write_inputs(const char *dir, const struct sc_capture_info *in, const struct sc_capture_inputs *inputs)
{
	FILE *f = open_in(dir, "inputs.txt", "w");
	if (!f)
		return false;
	uint32_t next = in->next_tick;
	fprintf(f, "# shadowcast capture input window (docs/inputs.md text format; docs/captures.md)\n");
	if (in->incident)
		fprintf(f, "# incident %u: %s at tick %u; state.bin holds the state after tick %u\n", in->incident,
		        sc_fault_detected_name(in->detected), in->error_tick, next ? next - 1 : 0);
	else
		fprintf(f, "# manual capture; state.bin holds the state after tick %u\n", next ? next - 1 : 0);
	fprintf(f, "# each event's tick is the tick it was (or would be) applied at\n");
	fprintf(f, "#\n# --- applied: ticks < %u, already in state.bin (%zu events in the window)\n", next,
	        inputs->n_applied);
	for (size_t i = 0; i < inputs->n_applied; i++)
		write_event(f, &inputs->applied[i], ", applied");
	size_t n_off = 0;
	while (n_off < inputs->n_pending && inputs->pending[n_off].tick == next)
		n_off++;
	fprintf(f, "# --- %s: tick %u, NOT applied (%zu events)\n", in->incident ? "offending" : "next", next, n_off);
	for (size_t i = 0; i < n_off; i++)
		write_event(f, &inputs->pending[i], in->incident ? ", offending, not applied" : ", not applied");
	fprintf(f, "# --- later: ticks > %u, not applied (%zu events)\n", next, inputs->n_pending - n_off);
	for (size_t i = n_off; i < inputs->n_pending; i++)
		write_event(f, &inputs->pending[i], ", not applied");
	return close_ok(f, dir, "inputs.txt");
}

bool sc_capture_write(const char *dir, const struct sc_capture_info *info, const void *snap, size_t snap_len,
                      const uint8_t *rgba, uint32_t stride, const struct sc_capture_inputs *inputs,
                      struct sc_capture_missing *missing)
{
	if (mkdir(dir, 0755) != 0) {
		sc_err("capture directory %s: %s", dir, strerror(errno));
		return false;
	}
	bool ok = write_blob(dir, "state.bin", snap, snap_len);
	bool have_frame = false;
	if (rgba) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/frame.png", dir);
		have_frame = sc_png_write_rgba(path, rgba, info->game.width, info->game.height, stride);
		if (!have_frame)
			sc_capture_missing_add(missing, "frame.png: PNG writing failed");
	}
	if (info->incident) {
		ok = write_error(dir, info) && ok;
		bool simulated = info->detected == SC_DETECTED_DEVICE_LOST_SIMULATED;
		if (info->device_fault_available && !copy_into(dir, "device_fault.json", info->device_fault_report))
			sc_capture_missing_add(missing, "device_fault.json: could not copy %s", info->device_fault_report);
		if (info->device_fault_available && simulated)
			sc_capture_missing_add(missing, "device_fault.json: the device loss was simulated (a device-lost "
			                       "input): the report is of a device that was not lost");
		if (!info->device_fault_available)
			sc_capture_missing_add(missing, "VK_EXT_device_fault report: not available from the primary (%s%s)",
			                       simulated ? "simulated device loss; " : "",
			                       strstr(info->detail, "not offered") ? "not offered by its driver" :
			                       "no device loss, or the driver does not offer the extension");
		if (!info->primary_device[0])
			sc_capture_missing_add(missing, "primary device name: not published in the session");
	} else {
		sc_capture_missing_add(missing, "error.json: no incident (a capture asked for by a developer)");
	}
	if (!info->primary_hash_known)
		sc_capture_missing_add(missing, "primary hash for the held tick: no tick record in the shadow's window");
	ok = write_inputs(dir, info, inputs) && ok;
	ok = write_manifest(dir, info, inputs, have_frame) && ok;
	FILE *f = open_in(dir, "missing.txt", "w");
	if (f) {
		fputs("# what this capture could not preserve, and why (docs/captures.md)\n", f);
		fputs(missing->text, f);
		ok = close_ok(f, dir, "missing.txt") && ok;
	} else {
		ok = false;
	}
	return ok;
}

bool sc_capture_write_step(const char *dir, const struct sc_step_result *res, const void *snap, size_t snap_len,
                           const uint8_t *rgba, uint32_t width, uint32_t height, uint32_t stride)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		sc_err("step directory %s: %s", dir, strerror(errno));
		return false;
	}
	bool ok = true;
	if (snap)
		ok = write_blob(dir, "state.bin", snap, snap_len);
	if (rgba) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/frame.png", dir);
		ok = sc_png_write_rgba(path, rgba, width, height, stride) && ok;
	}
	FILE *f = open_in(dir, "result.json", "w");
	if (!f)
		return false;
	char desc[384];
	sc_step_describe(res, desc, sizeof(desc));
	fprintf(f, "{\n  \"tick\": %u,\n  \"inputs_applied\": %u,\n  \"inputs_in_tick\": %u,\n  \"outcome\": \"%s\",\n"
	        "  \"executed\": %s,\n  \"reproduced\": %s,\n", res->tick, res->k, res->n,
	        sc_step_outcome_name(res->outcome), res->executed ? "true" : "false", res->reproduced ? "true" : "false");
	if (res->executed) {
		fputs("  \"hash\": ", f);
		hex(f, res->hash);
		const struct sc_game_header *h = &res->state.hdr;
		fprintf(f, ",\n  \"score\": [%u, %u],\n  \"fault_record\": {\"kind\": %u, \"tick\": %u, \"detail\": %u},\n",
		        h->score0, h->score1, h->fault_kind, h->fault_tick, h->fault_detail);
	}
	fputs("  \"description\": ", f);
	sc_json_str(f, desc);
	fputs("\n}\n", f);
	return close_ok(f, dir, "result.json") && ok;
}
