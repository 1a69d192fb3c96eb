/* The debug API: routing, the bearer token, GET status / incidents, the
 * shadows' command mailboxes (POST shadow/..., delay) answered asynchronously,
 * and fault injection into the input log. Captures: server/debug_captures.c;
 * tick records: server/debug_ticks.c. Nothing here reads the disk: status
 * takes capture manifests from the summary cache (and waits for the disk
 * worker when a shadow published a capture the cache has not read yet), and
 * the incident list is a disk job. */
#include "server/debug_api.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/capture_summary.h"
#include "server/disk_reply.h"
#include "server/event_track.h"
#include "shadow/capture.h"
#include "util/json_get.h"
#include "util/secret.h"
#include "util/clock.h"
#include "util/log.h"

#define API "/api/v1"

/* pending_state[0] of a pending answer: what it waits for */
enum {
	PENDING_COMMAND = 1, /* a shadow's mailbox: [1] slot | cmd << 8 | delay before << 32, [2] seq, [3] deadline (ns) */
	PENDING_DISK,        /* a disk job: res->stream is its reply */
	PENDING_STATUS,      /* status, for the summary cache: [3] deadline (ns) */
};

/* --- answers ----------------------------------------------------------------- */

void sc_debug_json(struct sc_http_response *res, unsigned int status, struct sc_strbuf *sb)
{
	size_t len = 0;
	char *body = sc_sb_take(sb, &len);
	if (!body) {
		res->status = 500;
		res->content_type = "application/json";
		res->body = strdup("{\"error\":\"out of memory building the answer\",\"status\":500}\n");
		res->len = res->body ? strlen(res->body) : 0;
		return;
	}
	res->status = status;
	res->content_type = "application/json";
	res->body = body;
	res->len = len;
}

static void error_body(struct sc_strbuf *sb, unsigned int status, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	sc_sb_printf(sb, "{\"error\":");
	sc_sb_json_str(sb, msg);
	sc_sb_printf(sb, ",\"status\":%u}\n", status);
}

void sc_debug_error(struct sc_http_response *res, unsigned int status, const char *fmt, ...)
{
	struct sc_strbuf sb = {0};
	va_list ap;
	va_start(ap, fmt);
	error_body(&sb, status, fmt, ap);
	va_end(ap);
	sc_debug_json(res, status, &sb);
}

unsigned int sc_debug_error_sb(struct sc_strbuf *sb, unsigned int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_body(sb, status, fmt, ap);
	va_end(ap);
	return status;
}

void sc_debug_pending_disk(struct sc_debug_api *api, struct sc_disk_reply *reply, struct sc_http_response *res)
{
	res->status = 202;
	res->pending = true;
	res->stream = sc_disk_reply_stream(reply);
	res->pending_state[0] = PENDING_DISK;
}

/* --- pure pieces ------------------------------------------------------------- */

bool sc_debug_token_ok(const char *authorization, const char *token)
{
	if (!authorization || !token || !token[0])
		return false;
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return false;
	const char *t = authorization + 7;
	while (*t == ' ')
		t++;
	size_t m = strlen(t);
	while (m && (t[m - 1] == ' ' || t[m - 1] == '\t'))
		m--;
	return sc_secret_equal(token, t, m);
}

bool sc_debug_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > 200)
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool sc_debug_parse_delay(const char *body, uint32_t fps, int64_t *ticks, char *err, size_t errlen)
{
	int64_t v;
	json_t *o = sc_json_parse_object(body, strlen(body));
	bool ok = false;
	if (!o)
		snprintf(err, errlen, "body must be a JSON object: {\"ticks\": N} or {\"ms\": N}");
	else if (sc_json_get_i64(o, "ticks", &v)) {
		if (v < 0 || v > SC_DEBUG_DELAY_MAX_TICKS)
			snprintf(err, errlen, "ticks %lld out of range 0..%d", (long long)v, SC_DEBUG_DELAY_MAX_TICKS);
		else
			*ticks = v, ok = true;
	} else if (sc_json_get_i64(o, "ms", &v)) {
		if (v < 0 || v > 3600000 || fps == 0 || (v * fps + 999) / 1000 > SC_DEBUG_DELAY_MAX_TICKS)
			snprintf(err, errlen, "ms %lld out of range (at most %d ticks)", (long long)v, SC_DEBUG_DELAY_MAX_TICKS);
		else
			*ticks = (v * fps + 999) / 1000, ok = true;
	} else {
		snprintf(err, errlen, "body needs \"ticks\" or \"ms\" (a non-negative integer)");
	}
	json_decref(o);
	return ok;
}

bool sc_debug_parse_inject(const char *body, uint32_t *kind, char *err, size_t errlen)
{
	char name[32];
	enum sc_fault_kind k;
	json_t *o = sc_json_parse_object(body, strlen(body));
	bool have = o && sc_json_get_str(o, "kind", name, sizeof(name));
	json_decref(o);
	if (!have) {
		snprintf(err, errlen, "body must be {\"kind\": \"assert|corrupt|hang|oob|crash|device-lost\"}");
		return false;
	}
	if (!sc_fault_kind_parse(name, &k)) {
		snprintf(err, errlen, "unknown fault kind '%s' (assert, corrupt, hang, oob, crash, device-lost)", name);
		return false;
	}
	*kind = (uint32_t)k;
	return true;
}

int sc_debug_query_slot(const char *query)
{
	const char *q = query;
	while (q && *q) {
		if (strncmp(q, "slot=", 5) == 0) {
			if ((q[5] == '0' || q[5] == '1') && (q[6] == '\0' || q[6] == '&'))
				return q[5] - '0';
			return -2;
		}
		q = strchr(q, '&');
		if (q)
			q++;
	}
	return -1;
}

/* --- status ------------------------------------------------------------------ */

static const char *shadow_state_name(uint32_t s)
{
	switch (s) {
	case SC_SHADOW_OFF: return "off";
	case SC_SHADOW_STARTING: return "starting";
	case SC_SHADOW_RUNNING: return "running";
	case SC_SHADOW_PAUSED: return "paused";
	case SC_SHADOW_RESUMED: return "resumed";
	default: return "unknown";
	}
}

static struct sc_shadow_shm *slot_block(struct sc_debug_api *api, int slot)
{
	return slot ? &api->session->shadow_alt : &api->session->shadow;
}

static bool shadow_alive(struct sc_shadow_shm *m)
{
	int32_t pid = atomic_load(&m->pid);
	if (pid <= 0 || atomic_load(&m->state) == SC_SHADOW_OFF)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void incident_json(struct sc_debug_api *api, struct sc_strbuf *sb)
{
	struct sc_fault_shm *f = &api->session->fault;
	uint32_t st = atomic_load(&f->state);
	if (st == SC_FAULT_NONE) {
		sc_sb_printf(sb, "null");
		return;
	}
	if (st != SC_FAULT_READY) {
		sc_sb_printf(sb, "{\"state\":\"claimed\"}");
		return;
	}
	char detail[sizeof(f->detail)];
	memcpy(detail, f->detail, sizeof(detail));
	detail[sizeof(detail) - 1] = '\0';
	sc_sb_printf(sb, "{\"state\":\"ready\",\"incident\":%u,\"detected\":\"%s\",\"path\":%u,\"path_name\":\"%s\","
	             "\"injected\":", f->incident, sc_fault_detected_name(f->detected), f->path,
	             f->path == SC_FAULT_PATH_SELF ? "self-reported" : "external-monitor");
	if (f->injected)
		sc_sb_printf(sb, "\"%s\"", sc_fault_kind_name((enum sc_fault_kind)f->injected));
	else
		sc_sb_printf(sb, "null");
	sc_sb_printf(sb, ",\"error_tick\":%u,\"detected_tick\":%u,\"held_tick\":%d,\"primary_hash_before\":\"0x%016llx\","
	             "\"detected_ns\":%llu,\"primary_pid\":%d,\"device_fault_report\":%s,\"detail\":", f->error_tick,
	             f->detected_tick > f->error_tick ? f->detected_tick : f->error_tick, (int)f->error_tick - 1,
	             (unsigned long long)f->primary_hash_before, (unsigned long long)f->detected_ns, f->primary_pid,
	             f->device_fault == SC_DEVICE_FAULT_SAVED ? "true" : "false");
	sc_sb_json_str(sb, detail);
	sc_sb_printf(sb, "}");
}

/* The incident a shadow's latest capture preserved (its manifest.json), from
 * the summary cache: the session's incident is cleared when the supervisor
 * recovers, the capture keeps it. null for no capture or a developer's
 * capture. *known is cleared when the cache has not read dir yet. */
static void capture_incident_json(struct sc_debug_api *api, const char *dir, struct sc_strbuf *sb, bool *known)
{
	if (!api->summaries) {
		sc_sb_printf(sb, "null");
		return;
	}
	if (!sc_capture_summary_append(api->summaries, dir, sb))
		*known = false;
}

static void shadow_json(struct sc_debug_api *api, int slot, struct sc_strbuf *sb, bool *known)
{
	struct sc_shadow_shm *m = slot_block(api, slot);
	struct sc_fault_shm *f = &api->session->fault;
	uint32_t state = atomic_load(&m->state);
	uint32_t next = atomic_load(&m->next_tick);
	uint32_t pnext = atomic_load(&api->session->next_tick);
	uint64_t paused_ns = atomic_load(&m->paused_ns);
	char dir[sizeof(m->capture_dir)];
	memcpy(dir, m->capture_dir, sizeof(dir));
	dir[sizeof(dir) - 1] = '\0';
	sc_sb_printf(sb, "{\"slot\":%d,\"state\":\"%s\",\"alive\":%s,\"pid\":%d,\"next_tick\":%u,\"held_tick\":%d,"
	             "\"lag_ticks\":%lld,\"delay_ticks\":%u,\"hash\":\"0x%016llx\",\"inputs_applied_in_held_tick\":%u,"
	             "\"divergences\":%llu,\"first_divergence_tick\":%u,\"captures\":%u,\"paused_ns\":%llu,"
	             "\"busy\":%s,\"detect_to_pause_ms\":",
	             slot, shadow_state_name(state), shadow_alive(m) ? "true" : "false", atomic_load(&m->pid), next,
	             (int)next - 1, state == SC_SHADOW_OFF ? 0LL : (long long)pnext - (long long)next,
	             atomic_load(&m->delay_ticks), (unsigned long long)atomic_load(&m->hash),
	             atomic_load(&m->inputs_applied_in_held_tick), (unsigned long long)atomic_load(&m->divergences),
	             atomic_load(&m->first_divergence_tick), atomic_load(&m->captures), (unsigned long long)paused_ns,
	             atomic_load(&m->cmd_seq) != atomic_load(&m->done_seq) ? "true" : "false");
	if (state == SC_SHADOW_PAUSED && atomic_load(&f->state) == SC_FAULT_READY && paused_ns >= f->detected_ns &&
	    f->detected_ns)
		sc_sb_printf(sb, "%.3f", (double)(paused_ns - f->detected_ns) / 1e6);
	else
		sc_sb_printf(sb, "null");
	sc_sb_printf(sb, ",\"capture_dir\":");
	sc_sb_json_str(sb, dir);
	sc_sb_printf(sb, ",\"capture\":");
	if (dir[0])
		sc_sb_json_str(sb, basename_of(dir));
	else
		sc_sb_printf(sb, "null");
	sc_sb_printf(sb, ",\"capture_incident\":");
	capture_incident_json(api, dir, sb, known);
	sc_sb_printf(sb, "}");
}

/* Renders status into sb; false when a capture it shows is not in the
 * summary cache yet (shown as null). */
static bool render_status(struct sc_debug_api *api, struct sc_strbuf *sb_out)
{
	struct sc_session_shm *s = api->session;
	struct sc_strbuf sb = {0};
	bool known = true;
	uint64_t now = sc_now_ns(), hb = atomic_load(&s->heartbeat_ns);
	sc_sb_printf(&sb, "{\"fps\":%u,\"width\":%u,\"height\":%u,\"primary\":{\"pid\":%d,\"next_tick\":%u,"
	             "\"base_tick\":%u,\"tick_p50_ms\":%.3f,\"tick_p99_ms\":%.3f,\"heartbeat_age_ms\":",
	             s->fps, s->width, s->height, atomic_load(&s->primary_pid), atomic_load(&s->next_tick),
	             atomic_load(&s->primary_base_tick), atomic_load(&s->tick_us_p50) / 1000.0,
	             atomic_load(&s->tick_us_p99) / 1000.0);
	if (hb && now >= hb)
		sc_sb_printf(&sb, "%.1f", (double)(now - hb) / 1e6);
	else
		sc_sb_printf(&sb, "null");
	sc_sb_printf(&sb, ",\"frames_rendered\":%llu,\"frames_encoded\":%llu,\"inputs_applied\":%llu},\"shadows\":[",
	             (unsigned long long)atomic_load(&s->frames_rendered),
	             (unsigned long long)atomic_load(&s->frames_encoded),
	             (unsigned long long)atomic_load(&s->inputs_applied));
	shadow_json(api, 0, &sb, &known);
	sc_sb_printf(&sb, ",");
	shadow_json(api, 1, &sb, &known);
	sc_sb_printf(&sb, "],\"shadow_enabled\":%s,\"incident\":", api->cfg->shadow ? "true" : "false");
	incident_json(api, &sb);
	/* the latest incident a paused shadow holds (kept after recovery) */
	int last = -1;
	for (int i = 0; i < 2; i++) {
		struct sc_shadow_shm *m = slot_block(api, i);
		if (atomic_load(&m->state) == SC_SHADOW_PAUSED && m->capture_dir[0] &&
		    atomic_load(&m->capture_dir_incident) && (last < 0 || atomic_load(&m->captures) > 0))
			last = i;
	}
	sc_sb_printf(&sb, ",\"last_incident\":");
	if (last >= 0) {
		char dir[sizeof(s->shadow.capture_dir)];
		memcpy(dir, slot_block(api, last)->capture_dir, sizeof(dir));
		dir[sizeof(dir) - 1] = '\0';
		capture_incident_json(api, dir, &sb, &known);
	} else {
		sc_sb_printf(&sb, "null");
	}
	sc_sb_printf(&sb, ",\"incidents_total\":%u,\"now_ns\":%llu}\n", atomic_load(&s->incidents),
	             (unsigned long long)now);
	*sb_out = sb;
	return known;
}

/* Answered at once from memory; only when a shadow has just published a
 * capture the cache has not read yet does the answer wait (a few ms, at most
 * SC_CAPTURE_SUMMARY_WAIT_MS) for the disk worker to read its manifest. */
static void get_status(struct sc_debug_api *api, struct sc_http_response *res)
{
	struct sc_strbuf sb;
	if (!render_status(api, &sb)) {
		sc_sb_free(&sb);
		res->status = 202;
		res->pending = true;
		res->pending_state[0] = PENDING_STATUS;
		res->pending_state[3] = sc_now_ns() + (uint64_t)SC_CAPTURE_SUMMARY_WAIT_MS * 1000000;
		return;
	}
	sc_debug_json(res, 200, &sb);
}

static void poll_status(struct sc_debug_api *api, struct sc_http_response *res)
{
	struct sc_strbuf sb;
	if (!render_status(api, &sb) && sc_now_ns() < res->pending_state[3]) {
		sc_sb_free(&sb);
		return;
	}
	res->pending = false;
	sc_debug_json(res, 200, &sb);
}

static void get_incidents(struct sc_debug_api *api, struct sc_http_response *res)
{
	struct sc_strbuf sb = {0};
	sc_sb_printf(&sb, "{\"current\":");
	incident_json(api, &sb);
	sc_sb_printf(&sb, ",\"incidents_total\":%u,\"capture_root\":", atomic_load(&api->session->incidents));
	sc_sb_json_str(&sb, api->cfg->capture_root);
	sc_sb_printf(&sb, ",\"captures\":");
	sc_debug_captures_list_get(api, &sb, "}\n", res); /* the list is read by the disk worker */
}

/* --- shadow commands --------------------------------------------------------- */

static const char *cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case SC_SHADOW_CMD_PAUSE: return "pause";
	case SC_SHADOW_CMD_RESUME: return "resume";
	case SC_SHADOW_CMD_STEP_INPUT: return "step-input";
	case SC_SHADOW_CMD_STEP_TICK: return "step-tick";
	case SC_SHADOW_CMD_SET_DELAY: return "delay";
	case SC_SHADOW_CMD_CAPTURE: return "capture";
	default: return "unknown";
	}
}

/* The shadow a command goes to: the paused one for steps and resume (the most
 * recently paused if both are), the following one for pause and delay. */
static int pick_slot(struct sc_debug_api *api, uint32_t cmd, const char *query, struct sc_http_response *res)
{
	int want = sc_debug_query_slot(query);
	if (want == -2) {
		sc_debug_error(res, 400, "slot must be 0 or 1");
		return -1;
	}
	if (want >= 0) {
		if (!shadow_alive(slot_block(api, want))) {
			sc_debug_error(res, 503, "no shadow runs in slot %d", want);
			return -1;
		}
		return want;
	}
	bool alive[2] = {shadow_alive(slot_block(api, 0)), shadow_alive(slot_block(api, 1))};
	if (!alive[0] && !alive[1]) {
		sc_debug_error(res, 503, "no shadow is running%s", api->cfg->shadow ? " (it exited or has not started)"
		                                                                   : " (the server runs with --no-shadow)");
		return -1;
	}
	bool wants_paused = cmd == SC_SHADOW_CMD_STEP_INPUT || cmd == SC_SHADOW_CMD_STEP_TICK ||
	                    cmd == SC_SHADOW_CMD_RESUME || cmd == SC_SHADOW_CMD_CAPTURE;
	int best = -1;
	uint64_t best_ns = 0;
	for (int i = 0; i < 2; i++) {
		struct sc_shadow_shm *m = slot_block(api, i);
		uint32_t st = atomic_load(&m->state);
		if (!alive[i])
			continue;
		if (wants_paused && st == SC_SHADOW_PAUSED && (best < 0 || atomic_load(&m->paused_ns) > best_ns)) {
			best = i;
			best_ns = atomic_load(&m->paused_ns);
		}
		if (!wants_paused && st != SC_SHADOW_PAUSED && best < 0)
			best = i;
	}
	if (best >= 0)
		return best;
	if (cmd == SC_SHADOW_CMD_CAPTURE || cmd == SC_SHADOW_CMD_PAUSE || cmd == SC_SHADOW_CMD_SET_DELAY) {
		/* a capture of a running shadow; pause / delay of a paused one */
		for (int i = 0; i < 2; i++)
			if (alive[i])
				return i;
	}
	sc_debug_error(res, 409, "no shadow is paused: pause one first (POST " API "/shadow/pause) or wait for an "
	                         "incident");
	return -1;
}

static void send_command(struct sc_debug_api *api, uint32_t cmd, int64_t arg, const char *query,
                         struct sc_http_response *res)
{
	int slot = pick_slot(api, cmd, query, res);
	if (slot < 0)
		return;
	struct sc_shadow_shm *m = slot_block(api, slot);
	uint32_t seq = atomic_load(&m->cmd_seq);
	if (atomic_load(&m->done_seq) != seq) {
		sc_debug_error(res, 409, "shadow %d is still busy with command %u", slot, seq);
		return;
	}
	m->cmd = cmd;
	m->arg = arg;
	seq = atomic_fetch_add(&m->cmd_seq, 1) + 1;
	res->status = 202;
	res->pending = true;
	res->pending_state[0] = PENDING_COMMAND;
	res->pending_state[1] = (uint64_t)slot | (uint64_t)cmd << 8 | (uint64_t)atomic_load(&m->delay_ticks) << 32;
	res->pending_state[2] = seq;
	res->pending_state[3] = sc_now_ns() + (uint64_t)SC_DEBUG_CMD_TIMEOUT_MS * 1000000;
}

static unsigned int result_status(int32_t r)
{
	switch (r) {
	case 0: return 200;
	case EAGAIN:
	case EALREADY: return 409;
	case EINVAL: return 400;
	case ENOSYS: return 501;
	default: return 500;
	}
}

static void poll_command(struct sc_debug_api *api, struct sc_http_response *res)
{
	int slot = (int)(res->pending_state[1] & 0xff);
	uint32_t cmd = (uint32_t)(res->pending_state[1] >> 8) & 0xffffff;
	uint32_t delay_before = (uint32_t)(res->pending_state[1] >> 32);
	uint32_t seq = (uint32_t)res->pending_state[2];
	uint64_t deadline = res->pending_state[3];
	struct sc_shadow_shm *m = slot_block(api, slot);
	if (atomic_load(&m->done_seq) != seq) {
		if (sc_now_ns() < deadline && shadow_alive(m))
			return;
		res->pending = false;
		if (!shadow_alive(m))
			sc_debug_error(res, 503, "shadow %d exited before answering '%s'", slot, cmd_name(cmd));
		else
			sc_debug_error(res, 504, "shadow %d did not answer '%s' within %d ms", slot, cmd_name(cmd),
			               SC_DEBUG_CMD_TIMEOUT_MS);
		return;
	}
	res->pending = false;
	int32_t r = m->result;
	char msg[sizeof(m->message)];
	memcpy(msg, m->message, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';

	struct sc_strbuf sb = {0};
	bool known = true;
	sc_sb_printf(&sb, "{\"ok\":%s,\"command\":\"%s\",\"slot\":%d,\"result\":%d,\"error\":", r ? "false" : "true",
	             cmd_name(cmd), slot, r);
	if (r)
		sc_sb_json_str(&sb, msg[0] ? msg : strerror(r));
	else
		sc_sb_printf(&sb, "null");
	sc_sb_printf(&sb, ",\"message\":");
	sc_sb_json_str(&sb, msg);
	sc_sb_printf(&sb, ",\"reproduced\":%s", m->reproduced ? "true" : "false");
	/* where the step wrote its state under the capture: "step-K" / "tick-T";
	 * only a name the capture endpoints would serve is passed on */
	char step[sizeof(m->step_dir)];
	memcpy(step, m->step_dir, sizeof(step));
	step[sizeof(step) - 1] = '\0';
	sc_sb_printf(&sb, ",\"step_dir\":");
	if (sc_debug_name_ok(step, strlen(step)))
		sc_sb_json_str(&sb, step);
	else
		sc_sb_printf(&sb, "null");
	sc_sb_printf(&sb, ",\"shadow\":");
	shadow_json(api, slot, &sb, &known);
	sc_sb_printf(&sb, "}\n");
	if (!known && sc_now_ns() < deadline) {
		/* a capture the command wrote: answer once the worker has read it */
		sc_sb_free(&sb);
		res->pending = true;
		return;
	}
	if (r == 0 && cmd == SC_SHADOW_CMD_SET_DELAY && api->events) { /* once: the answer is final here */
		struct sc_event e = {.tag = SC_EV_DELAY, .tick = atomic_load(&api->session->next_tick),
		                     .u.delay = {.slot = (uint32_t)slot, .ticks = atomic_load(&m->delay_ticks),
		                                 .previous = delay_before}};
		sc_event_record(api->events, &e);
	}
	if (r == 0 && (cmd == SC_SHADOW_CMD_PAUSE || cmd == SC_SHADOW_CMD_RESUME) && api->on_shadow_pause) {
		uint32_t next = atomic_load(&m->next_tick);
		api->on_shadow_pause(api->ud, slot, cmd == SC_SHADOW_CMD_PAUSE, next ? next - 1 : 0);
	}
	sc_debug_json(res, result_status(r), &sb);
}

void sc_debug_api_poll(struct sc_debug_api *api, struct sc_http_response *res)
{
	switch (res->pending_state[0]) {
	case PENDING_COMMAND:
		poll_command(api, res);
		return;
	case PENDING_DISK:
		sc_disk_reply_answer(sc_disk_reply_of(res->stream), res);
		return;
	case PENDING_STATUS:
		poll_status(api, res);
		return;
	default:
		res->pending = false;
		sc_debug_error(res, 500, "unknown pending answer");
		return;
	}
}

/* --- fault injection --------------------------------------------------------- */

static void post_inject(struct sc_debug_api *api, const struct sc_http_request *req, struct sc_http_response *res)
{
	uint32_t kind;
	char err[160];
	if (!sc_debug_parse_inject(req->body, &kind, err, sizeof(err))) {
		sc_debug_error(res, 400, "%s", err);
		return;
	}
	struct sc_input_event rec = {
		.tick = api->input_stamp(api->ud),
		.player = 0,
		.action = SC_INPUT_FAULT,
		.a = (int8_t)kind,
	};
	uint64_t seq = 0;
	pthread_mutex_lock(api->log_lock);
	rec.seq = (uint32_t)sc_input_log_tail(api->input_log);
	enum sc_ring_result r = sc_input_log_append(api->input_log, &rec, &seq);
	pthread_mutex_unlock(api->log_lock);
	if (r == SC_RING_FULL) {
		sc_debug_error(res, 503, "the input log is full (the primary is not consuming: stalled or restarting)");
		return;
	}
	if (r != SC_RING_SUCCESS) {
		sc_debug_error(res, 500, "cannot append to the input log: %s", sc_ring_result_str(r));
		return;
	}
	if (api->inputs_logged)
		atomic_fetch_add(api->inputs_logged, 1);
	if (api->events) {
		struct sc_event e = {.tag = SC_EV_INJECT, .tick = rec.tick, .u.inject = {.kind = kind, .seq = seq}};
		sc_event_record(api->events, &e);
	}
	sc_info("debug API: injected fault '%s' at tick %u (input seq %llu)",
	        sc_fault_kind_name((enum sc_fault_kind)kind), rec.tick, (unsigned long long)seq);
	struct sc_strbuf sb = {0};
	sc_sb_printf(&sb, "{\"ok\":true,\"kind\":\"%s\",\"tick\":%u,\"seq\":%llu}\n",
	             sc_fault_kind_name((enum sc_fault_kind)kind), rec.tick, (unsigned long long)seq);
	sc_debug_json(res, 200, &sb);
}

/* --- profiling: events and samples -------------------------------------------- */

static void get_profile(struct sc_debug_api *api, const char *what, const char *query, struct sc_http_response *res)
{
	if (!api->profile_json) {
		sc_debug_error(res, 503, "this process has no profiler");
		return;
	}
	unsigned status = 500;
	size_t n = 0;
	char *body = api->profile_json(api->ud, what, query, &n, &status);
	if (!body) {
		sc_debug_error(res, 500, "the answer did not fit in memory (at most 64 MiB): ask for less (limit)");
		return;
	}
	res->status = status;
	res->content_type = "application/json";
	res->body = body;
	res->len = n;
}

#define LIVE_MAX (1024 * 1024) /* 1024 clients fit */

static void get_profile_live(struct sc_debug_api *api, struct sc_http_response *res)
{
	if (!api->live_json) {
		sc_debug_error(res, 503, "this process has no profiler");
		return;
	}
	char *buf = malloc(LIVE_MAX);
	size_t n = buf ? api->live_json(api->ud, buf, LIVE_MAX) : 0;
	if (n == 0) {
		free(buf);
		sc_debug_error(res, 500, "the live profile answer did not fit");
		return;
	}
	res->status = 200;
	res->content_type = "application/json";
	res->body = buf;
	res->len = n;
}

/* --- routing ----------------------------------------------------------------- */

static const struct {
	const char *path;
	uint32_t cmd;
} shadow_cmds[] = {
	{API "/shadow/pause", SC_SHADOW_CMD_PAUSE},
	{API "/shadow/resume", SC_SHADOW_CMD_RESUME},
	{API "/shadow/step-input", SC_SHADOW_CMD_STEP_INPUT},
	{API "/shadow/step-tick", SC_SHADOW_CMD_STEP_TICK},
	{API "/shadow/capture", SC_SHADOW_CMD_CAPTURE},
};

static bool is_post(const struct sc_http_request *req, struct sc_http_response *res)
{
	if (strcmp(req->method, "POST") == 0)
		return true;
	sc_debug_error(res, 405, "%s needs POST", req->path);
	return false;
}

static bool is_get(const struct sc_http_request *req, struct sc_http_response *res)
{
	if (strcmp(req->method, "GET") == 0)
		return true;
	sc_debug_error(res, 405, "%s needs GET", req->path);
	return false;
}

void sc_debug_api_request(struct sc_debug_api *api, const struct sc_http_request *req,
                          struct sc_http_response *res)
{
	const char *path = req->path;
	if (strncmp(path, API "/", strlen(API "/")) != 0)
		return; /* not mine */
	if (strcmp(path, API "/state") == 0)
		return; /* the encoder's own read-only endpoint (http_get) */
	if (strcmp(path, API "/status") == 0) {
		if (is_get(req, res))
			get_status(api, res);
		return;
	}
	uint64_t now = sc_now_ns();
	const char *peer = req->peer ? req->peer : "";
	uint32_t wait_s = sc_auth_limit_wait_s(&api->auth_limit, peer, now);
	if (wait_s) {
		api->auth_limit.refused++;
		sc_debug_error(res, 429, "too many wrong tokens from %s: try again in %u s", peer[0] ? peer : "this address",
		               wait_s);
		return;
	}
	if (!sc_debug_token_ok(req->authorization, api->api_token)) {
		if (req->authorization[0]) {
			sc_auth_limit_failed(&api->auth_limit, peer, now);
			if (sc_auth_limit_wait_s(&api->auth_limit, peer, now))
				sc_warn("debug API: %d wrong tokens from %s within %d s: it gets 429 for the rest of the window",
				        SC_AUTH_LIMIT_FAILURES, peer[0] ? peer : "an unknown address", SC_AUTH_LIMIT_WINDOW_S);
		}
		sc_debug_error(res, 401, "%s", req->authorization[0] ? "wrong token" :
		               "this endpoint needs 'Authorization: Bearer <token>' (the token `shadowcast run` printed)");
		res->www_authenticate = "Bearer realm=\"shadowcast\"";
		return;
	}
	if (strcmp(path, API "/incidents") == 0) {
		if (is_get(req, res))
			get_incidents(api, res);
		return;
	}
	for (size_t i = 0; i < sizeof(shadow_cmds) / sizeof(shadow_cmds[0]); i++) {
		if (strcmp(path, shadow_cmds[i].path) == 0) {
			if (is_post(req, res))
				send_command(api, shadow_cmds[i].cmd, 0, req->query, res);
			return;
		}
	}
	if (strcmp(path, API "/delay") == 0) {
		int64_t ticks;
		char err[160];
		if (!is_post(req, res))
			return;
		if (!sc_debug_parse_delay(req->body, api->session->fps, &ticks, err, sizeof(err))) {
			sc_debug_error(res, 400, "%s", err);
			return;
		}
		send_command(api, SC_SHADOW_CMD_SET_DELAY, ticks, req->query, res);
		return;
	}
	if (strcmp(path, API "/ticks") == 0) {
		if (is_get(req, res))
			sc_debug_ticks_get(api, req->query, res);
		return;
	}
	if (strcmp(path, API "/events") == 0 || strncmp(path, API "/events/", strlen(API "/events/")) == 0 ||
	    strcmp(path, API "/samples") == 0) {
		if (is_get(req, res))
			get_profile(api, path + strlen(API "/"), req->query, res);
		return;
	}
	if (strcmp(path, API "/profile/live") == 0) {
		if (is_get(req, res))
			get_profile_live(api, res);
		return;
	}
	if (strcmp(path, API "/inject") == 0) {
		if (is_post(req, res))
			post_inject(api, req, res);
		return;
	}
	if (strcmp(path, API "/captures") == 0 || strncmp(path, API "/captures/", strlen(API "/captures/")) == 0) {
		if (!is_get(req, res))
			return;
		if (path[strlen(API "/captures")] == '\0') {
			struct sc_strbuf head = {0};
			sc_debug_captures_list_get(api, &head, "\n", res);
			return;
		}
		sc_debug_captures_get(api, path + strlen(API "/captures/"), res);
		return;
	}
	sc_debug_error(res, 404, "no such endpoint: %s %s", req->method, path);
}
