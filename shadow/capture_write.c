/* Writing a capture directory (docs/captures.md). */
#include "shadow/capture.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "session/session.h"
#include "util/json_escape.h"
#include "shadow/chat_window.h"
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

/* Documents are built with jansson and written at once (key order kept): a
 * 64-bit hash as a "0x%016x" string (it does not fit a JSON number). */
static json_t *hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%016" PRIx64, v);
	return json_string(b);
}

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *u32_or_null(bool have, uint32_t v)
{
	return have ? json_integer(v) : json_null();
}

/* Milliseconds between two CLOCK_MONOTONIC times, to the microsecond. */
static json_t *ms_between(uint64_t from_ns, uint64_t to_ns)
{
	return json_real(round((double)(to_ns - from_ns) / 1e3) / 1e3);
}

static json_t *fault_kind(uint32_t injected)
{
	return injected ? json_string(sc_fault_kind_name((enum sc_fault_kind)injected)) : json_null();
}

/* Sets o[key] = v (stolen); *ok turns false when v is NULL (out of memory). */
static void set(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!o || !v || json_object_set_new(o, key, v) != 0)
		*ok = false;
}

static bool write_doc(const char *dir, const char *name, json_t *doc, bool built)
{
	if (!doc || !built) {
		json_decref(doc);
		sc_err("capture: building %s/%s: out of memory", dir, name);
		return false;
	}
	FILE *f = open_in(dir, name, "w");
	if (!f) {
		json_decref(doc);
		return false;
	}
	int r = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(doc);
	fputc('\n', f);
	bool ok = close_ok(f, dir, name);
	return r == 0 && ok;
}

static const char *path_name(uint32_t path)
{
	return path == SC_FAULT_PATH_SELF ? "self-reported" : path == SC_FAULT_PATH_EXTERNAL ? "external-monitor" : "none";
}

static bool write_manifest(const char *dir, const struct sc_capture_info *in, const struct sc_capture_inputs *inputs,
                           bool have_frame)
{
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	bool ok = true;
	json_t *m = json_object();
	set(m, "format", json_integer(SC_CAPTURE_FORMAT), &ok);
	set(m, "capture_kind", json_string(in->incident ? "incident" : in->condition[0] ? "anomaly" : "manual"), &ok);
	set(m, "incident", u32_or_null(in->incident, in->incident), &ok);
	/* the target condition whose hit took an anomaly capture */
	set(m, "condition", in->condition[0] ? json_pack("{s:s, s:s, s:I}", "name", in->condition, "condition",
	                                                 in->condition_text, "tick", (json_int_t)in->condition_tick)
	                                     : json_null(), &ok);
	json_t *fault = json_object();
	set(fault, "detected", json_string(sc_fault_detected_name(in->detected)), &ok);
	set(fault, "injected", fault_kind(in->injected), &ok);
	set(fault, "detection_path", json_integer(in->path), &ok);
	set(fault, "detection_path_name", json_string(path_name(in->path)), &ok);
	set(fault, "detail", sc_json_text(in->detail), &ok);
	set(m, "fault", fault, &ok);
	uint32_t det = in->detected_tick > in->error_tick ? in->detected_tick : in->error_tick;
	set(m, "primary_error_tick", u32_or_null(in->incident, in->error_tick), &ok);
	set(m, "detected_tick", u32_or_null(in->incident, det), &ok);
	set(m, "detection_lag_ticks", u32_or_null(in->incident, det - in->error_tick), &ok);
	set(m, "holds_pre_error_state", in->incident ? json_boolean(in->next_tick == in->error_tick) : json_null(), &ok);
	set(m, "held_tick", u32_or_null(in->next_tick, in->next_tick - 1), &ok);
	set(m, "next_tick", json_integer(in->next_tick), &ok);
	set(m, "delay_ticks", json_integer(in->delay_ticks), &ok);
	set(m, "shadow_hash", hex(in->shadow_hash), &ok);
	set(m, "primary_hash", in->primary_hash_known ? hex(in->primary_hash) : json_null(), &ok);
	set(m, "hashes_match", in->primary_hash_known ? json_boolean(in->primary_hash == in->shadow_hash) : json_null(),
	    &ok);
	set(m, "divergences", u64(in->divergences), &ok);
	json_t *dev = json_object();
	set(dev, "shadow_device", sc_json_text(in->shadow_device), &ok);
	set(dev, "shadow_device_uuid", sc_json_text(in->shadow_device_uuid), &ok);
	set(dev, "primary_device", in->primary_device[0] ? sc_json_text(in->primary_device) : json_null(), &ok);
	set(dev, "device_fault_report", json_boolean(in->device_fault == SC_DEVICE_FAULT_SAVED), &ok);
	set(m, "devices", dev, &ok);
	const struct sc_capture_game *g = &in->game;
	set(m, "game", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "width", (json_int_t)g->width, "height",
	                         (json_int_t)g->height, "seed", (json_int_t)g->seed, "players", (json_int_t)g->players,
	                         "particles", (json_int_t)g->particles, "hang_timeout_ms", (json_int_t)g->hang_timeout_ms,
	                         "fps", (json_int_t)g->fps),
	    &ok);
	set(m, "inputs", json_pack("{s:I, s:I}", "applied_in_window", (json_int_t)inputs->n_applied, "pending",
	                           (json_int_t)inputs->n_pending), &ok);
	set(m, "chat", json_pack("{s:I, s:I}", "lines", (json_int_t)inputs->n_chat, "missing",
	                         (json_int_t)inputs->chat_missing), &ok);
	json_t *ts = json_object();
	set(ts, "detected_ns", u64(in->detected_ns), &ok);
	set(ts, "paused_ns", u64(in->paused_ns), &ok);
	if (in->detected_ns && in->paused_ns >= in->detected_ns)
		set(ts, "detect_to_pause_ms", ms_between(in->detected_ns, in->paused_ns), &ok);
	if (in->detected_ns && in->held_ns >= in->detected_ns) {
		set(ts, "held_ns", u64(in->held_ns), &ok);
		set(ts, "detect_to_held_ms", ms_between(in->detected_ns, in->held_ns), &ok);
	}
	if (in->detected_ns && in->armed_ns >= in->detected_ns) {
		set(ts, "armed_ns", u64(in->armed_ns), &ok);
		set(ts, "detect_to_arm_ms", ms_between(in->detected_ns, in->armed_ns), &ok);
		set(ts, "armed_margin_ticks", json_integer(in->armed_margin), &ok);
	}
	set(ts, "written_utc", json_string(when), &ok);
	set(m, "timestamps", ts, &ok);
	json_t *files = json_object();
	set(files, "state", json_string("state.bin"), &ok);
	set(files, "frame", have_frame ? json_string("frame.png") : json_null(), &ok);
	set(files, "inputs", json_string("inputs.txt"), &ok);
	set(files, "chat", json_string("chat.txt"), &ok);
	set(files, "error", in->incident ? json_string("error.json") : json_null(), &ok);
	set(files, "missing", json_string("missing.txt"), &ok);
	set(m, "files", files, &ok);
	return write_doc(dir, "manifest.json", m, ok);
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
	bool ok = true;
	json_t *e = json_object();
	set(e, "incident", json_integer(in->incident), &ok);
	set(e, "detected", json_string(sc_fault_detected_name(in->detected)), &ok);
	set(e, "detection_path", json_integer(in->path), &ok);
	set(e, "injected", fault_kind(in->injected), &ok);
	set(e, "error_tick", json_integer(in->error_tick), &ok);
	set(e, "detected_tick", json_integer(in->detected_tick > in->error_tick ? in->detected_tick : in->error_tick),
	    &ok);
	set(e, "primary_hash_before", in->primary_hash_known ? hex(in->primary_hash) : json_null(), &ok);
	set(e, "detected_ns", u64(in->detected_ns), &ok);
	set(e, "primary_pid", json_integer(in->primary_pid), &ok);
	set(e, "device_fault_report", json_boolean(in->device_fault == SC_DEVICE_FAULT_SAVED), &ok);
	set(e, "device_fault_status", json_string(sc_device_fault_status_name(in->device_fault)), &ok);
	/* the shader fault record's numbers, as the primary published them */
	const struct sc_shader_fault_record *r = &in->record;
	set(e, "fault_record", r->kind ? json_pack("{s:I, s:I, s:I}", "kind", (json_int_t)r->kind, "detail",
	                                           (json_int_t)r->detail, "tick", (json_int_t)r->tick) : json_null(),
	    &ok);
	set(e, "detail", sc_json_text(in->detail), &ok); /* for people: nothing reads it back */
	return write_doc(dir, "error.json", e, ok);
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

/* chat.txt: the chat the shadow kept, oldest first (shadow/chat_window.h). */
static bool write_chat(const char *dir, const struct sc_capture_info *in, const struct sc_capture_inputs *inputs)
{
	FILE *f = open_in(dir, "chat.txt", "w");
	if (!f)
		return false;
	uint32_t next = in->next_tick;
	fprintf(f, "# shadowcast capture chat (docs/captures.md): TICK PLAYER \"TEXT\" (a JSON string), oldest first\n");
	if (in->incident)
		fprintf(f, "# incident %u: %s at tick %u; state.bin holds the state after tick %u\n", in->incident,
		        sc_fault_detected_name(in->detected), in->error_tick, next ? next - 1 : 0);
	else
		fprintf(f, "# manual capture; state.bin holds the state after tick %u\n", next ? next - 1 : 0);
	fprintf(f, "# TICK: the tick the game took the line at (lines at ticks >= %u came after the held state)\n", next);
	fprintf(f, "# %zu lines%s\n", inputs->n_chat, inputs->chat_missing ? "; older lines are missing (missing.txt)" : "");
	char line[SC_CHAT_TEXT_MAX * 6 + 64];
	for (size_t i = 0; i < inputs->n_chat; i++) {
		int n = sc_chat_line_format(&inputs->chat[i], line, sizeof(line));
		if (n > 0 && (size_t)n < sizeof(line))
			fprintf(f, "%s\n", line);
	}
	return close_ok(f, dir, "chat.txt");
}

/* Why an incident capture has no VK_EXT_device_fault report, from its status. */
static const char *device_fault_why(uint32_t status)
{
	switch (status) {
	case SC_DEVICE_FAULT_NONE: return "no device loss";
	case SC_DEVICE_FAULT_NOT_OFFERED: return "not offered by its driver";
	case SC_DEVICE_FAULT_FAILED:
		return "the report could not be read from the driver or saved: the primary's log says why";
	default: return "unknown report status";
	}
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
		bool saved = info->device_fault == SC_DEVICE_FAULT_SAVED;
		if (saved && !copy_into(dir, "device_fault.json", info->device_fault_report))
			sc_capture_missing_add(missing, "device_fault.json: could not copy %s", info->device_fault_report);
		if (saved && simulated)
			sc_capture_missing_add(missing, "device_fault.json: the device loss was simulated (a device-lost "
			                       "input): the report is of a device that was not lost");
		if (!saved)
			sc_capture_missing_add(missing, "VK_EXT_device_fault report: not available from the primary (%s%s)",
			                       simulated ? "simulated device loss; " : "", device_fault_why(info->device_fault));
		if (!info->primary_device[0])
			sc_capture_missing_add(missing, "primary device name: not published in the session");
	} else {
		sc_capture_missing_add(missing, "error.json: no incident (a capture asked for by a developer)");
	}
	if (!info->primary_hash_known)
		sc_capture_missing_add(missing, "primary hash for the held tick: no tick record in the shadow's window");
	ok = write_inputs(dir, info, inputs) && ok;
	if (inputs->chat_missing)
		sc_capture_missing_add(missing, "chat.txt: %llu older chat lines (the shadow keeps the last ones it read; "
		                       "lines the chat log overwrote before it read them are lost)",
		                       (unsigned long long)inputs->chat_missing);
	ok = write_chat(dir, info, inputs) && ok;
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
	char desc[384];
	sc_step_describe(res, desc, sizeof(desc));
	bool built = true;
	json_t *r = json_object();
	set(r, "tick", json_integer(res->tick), &built);
	set(r, "inputs_applied", json_integer(res->k), &built);
	set(r, "inputs_in_tick", json_integer(res->n), &built);
	set(r, "outcome", json_string(sc_step_outcome_name(res->outcome)), &built);
	set(r, "executed", json_boolean(res->executed), &built);
	set(r, "reproduced", json_boolean(res->reproduced), &built);
	if (res->executed) {
		const struct sc_game_header *h = &res->state.hdr;
		set(r, "hash", hex(res->hash), &built);
		set(r, "score", json_pack("[I, I]", (json_int_t)h->score0, (json_int_t)h->score1), &built);
		set(r, "fault_record", json_pack("{s:I, s:I, s:I}", "kind", (json_int_t)h->fault_kind, "tick",
		                                 (json_int_t)h->fault_tick, "detail", (json_int_t)h->fault_detail), &built);
	}
	set(r, "description", sc_json_text(desc), &built);
	return write_doc(dir, "result.json", r, built) && ok;
}
