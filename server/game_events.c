#include "server/game_events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/shm/input_event.h"
#include "session/game_msgs.h"
#include "session/shm/fault_record.h"
#include "util/json_escape.h"

void sc_game_outbox_init(struct sc_game_outbox *o, struct sc_msg_ring *const rings[SC_OUTBOX_RINGS])
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < SC_OUTBOX_RINGS; i++) {
		o->q[i].ring = rings[i];
		o->q[i].in_step = i != SC_OUTBOX_NOTICE;
	}
}

/* A restarted producer's marker: its predecessor's queued records of its
 * start tick or later are void. */
static void supersede(struct sc_outbox_queue *q, uint32_t tick)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < q->count; i++) {
		struct sc_outbox_entry *e = &q->pending[(q->head + i) % SC_GAME_OUTBOX_PENDING];
		if (e->hdr.tick >= tick) {
			q->superseded++;
			continue;
		}
		q->pending[(q->head + kept++) % SC_GAME_OUTBOX_PENDING] = *e;
	}
	q->count = kept;
}

static void queue_record(void *ud, const struct sc_msg_header *h, const void *payload)
{
	struct sc_outbox_queue *q = ud;
	if (h->flags & SC_MSG_PRODUCER_START) {
		if (q->in_step && h->payload_len == 0)
			supersede(q, h->tick);
		return;
	}
	if (h->payload_len > sizeof(q->pending[0].payload) || q->count >= SC_GAME_OUTBOX_PENDING)
		return; /* not a game payload (the ring's payload_max is smaller: cannot happen) */
	struct sc_outbox_entry *e = &q->pending[(q->head + q->count++) % SC_GAME_OUTBOX_PENDING];
	e->hdr = *h;
	memcpy(e->payload, payload, h->payload_len);
}

void sc_game_outbox_pull(struct sc_game_outbox *o)
{
	for (int i = 0; i < SC_OUTBOX_RINGS; i++) {
		struct sc_outbox_queue *q = &o->q[i];
		if (q->ring && q->count < SC_GAME_OUTBOX_PENDING)
			sc_msg_ring_read(q->ring, queue_record, q, SC_GAME_OUTBOX_PENDING - q->count);
	}
}

static bool format_event(const struct sc_msg_header *h, const struct sc_game_event_msg *e, struct sc_outbox_msg *m)
{
	const char *kind = sc_game_event_kind_name(e->kind);
	int n;
	if (!kind)
		return false;
	switch (e->kind) {
	case SC_GAME_EVENT_GOAL:
		if (e->team > 1 || e->player != -1)
			return false;
		n = snprintf(m->json, sizeof(m->json), "{\"kind\":\"goal\",\"tick\":%u,\"team\":%u,\"score\":[%u,%u]}",
		             h->tick, e->team, e->score0, e->score1);
		break;
	case SC_GAME_EVENT_HIT:
	case SC_GAME_EVENT_BLOCK:
		if (e->player < 0 || e->player >= SC_MAX_PLAYERS)
			return false;
		n = snprintf(m->json, sizeof(m->json), "{\"kind\":\"%s\",\"tick\":%u,\"player\":%d,\"speed\":%u}", kind,
		             h->tick, e->player, e->speed);
		break;
	default:
		if (e->player != -1)
			return false;
		n = snprintf(m->json, sizeof(m->json), "{\"kind\":\"%s\",\"tick\":%u}", kind, h->tick);
		break;
	}
	return n > 0 && (size_t)n < sizeof(m->json);
}

static bool format_haptic(const struct sc_msg_header *h, const struct sc_haptic_msg *e, struct sc_outbox_msg *m)
{
	const char *reason = sc_haptic_reason_name(e->reason);
	if (!reason || e->player >= SC_MAX_PLAYERS || e->duration_ms == 0 ||
	    e->duration_ms > SC_HAPTIC_DURATION_MAX_MS || e->strong > SC_HAPTIC_MAGNITUDE_MAX ||
	    e->weak > SC_HAPTIC_MAGNITUDE_MAX)
		return false;
	m->player = (int32_t)e->player;
	int n = snprintf(m->json, sizeof(m->json),
	                 "{\"type\":\"haptic\",\"tick\":%u,\"player\":%u,\"reason\":\"%s\",\"duration_ms\":%u,"
	                 "\"strong\":%u.%03u,\"weak\":%u.%03u}",
	                 h->tick, e->player, reason, e->duration_ms, e->strong / 1000, e->strong % 1000, e->weak / 1000,
	                 e->weak % 1000);
	return n > 0 && (size_t)n < sizeof(m->json);
}

static bool format_notice(const struct sc_msg_header *h, const struct sc_notice_msg *e, struct sc_outbox_msg *m)
{
	const char *kind = sc_notice_kind_name(e->kind);
	int n;
	if (!kind)
		return false;
	switch (e->kind) {
	case SC_NOTICE_INCIDENT:
		n = snprintf(m->json, sizeof(m->json),
		             "{\"type\":\"notice\",\"notice\":{\"kind\":\"incident\",\"tick\":%u,\"incident\":%u}}", h->tick,
		             e->incident);
		break;
	case SC_NOTICE_PLAYER_JOINED:
	case SC_NOTICE_PLAYER_LEFT:
	case SC_NOTICE_PLAYER_DISCONNECTED:
		if (e->player >= SC_MAX_PLAYERS)
			return false;
		n = snprintf(m->json, sizeof(m->json),
		             "{\"type\":\"notice\",\"notice\":{\"kind\":\"%s\",\"player\":%u,\"tick\":%u}}", kind,
		             e->player, h->tick);
		break;
	case SC_NOTICE_SPECTATORS:
		if (e->count > SC_SPECTATORS_MAX)
			return false;
		n = snprintf(m->json, sizeof(m->json),
		             "{\"type\":\"notice\",\"notice\":{\"kind\":\"spectators\",\"count\":%u,\"tick\":%u}}",
		             e->count, h->tick);
		break;
	default:
		n = snprintf(m->json, sizeof(m->json),
		             "{\"type\":\"notice\",\"notice\":{\"kind\":\"%s\",\"tick\":%u,\"restored\":%s}}", kind, h->tick,
		             e->incident ? "true" : "false");
		break;
	}
	return n > 0 && (size_t)n < sizeof(m->json);
}

/* appends to m->json at *at; false when it does not fit */
static bool put(struct sc_outbox_msg *m, size_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool put(struct sc_outbox_msg *m, size_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m->json + *at, sizeof(m->json) - *at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(m->json) - *at)
		return false;
	*at += (size_t)n;
	return true;
}

/* The full report (struct sc_incident_report): every field range-checked,
 * the text quoted. */
static bool format_incident_report(const struct sc_msg_header *h, const struct sc_incident_report *r,
                                   struct sc_outbox_msg *m)
{
	if (r->notice.kind != SC_NOTICE_INCIDENT || r->notice.detail == 0 || r->notice.detail > SC_DETECTED_LAST ||
	    r->n_inputs > SC_MAX_INPUTS_PER_TICK || r->inputs_known > 1 || (!r->inputs_known && r->n_inputs) ||
	    (r->path != SC_FAULT_PATH_SELF && r->path != SC_FAULT_PATH_EXTERNAL) || r->injected > SC_FAULT_DEVICE_LOST)
		return false;
	const char *nul = memchr(r->detail, '\0', sizeof(r->detail));
	if (!nul)
		return false;
	char *detail = sc_json_quote(r->detail, (size_t)(nul - r->detail));
	if (!detail)
		return false;
	int b = snprintf(m->brief, sizeof(m->brief),
	                 "{\"type\":\"notice\",\"notice\":{\"kind\":\"incident\",\"tick\":%u,\"incident\":%u}}", h->tick,
	                 r->notice.incident);
	if (b <= 0 || (size_t)b >= sizeof(m->brief)) {
		free(detail);
		return false;
	}
	size_t at = 0;
	bool ok = put(m, &at,
	              "{\"type\":\"notice\",\"notice\":{\"kind\":\"incident\",\"tick\":%u,\"incident\":%u,\"report\":{"
	              "\"detected\":\"%s\",\"path\":%u,",
	              h->tick, r->notice.incident, sc_fault_detected_name(r->notice.detail), r->path);
	if (ok && r->injected)
		ok = put(m, &at, "\"injected\":\"%s\",", sc_fault_kind_name((enum sc_fault_kind)r->injected));
	else if (ok)
		ok = put(m, &at, "\"injected\":null,");
	ok = ok && put(m, &at, "\"error_tick\":%u,\"detected_tick\":%u,", r->error_tick, r->detected_tick);
	if (ok && r->record_kind)
		ok = put(m, &at, "\"fault_record\":{\"kind\":%u,\"detail\":%u,\"tick\":%u},", r->record_kind,
		         r->record_detail, r->record_tick);
	else if (ok)
		ok = put(m, &at, "\"fault_record\":null,");
	ok = ok && put(m, &at, "\"detail\":%s,\"inputs\":%s", detail, r->inputs_known ? "[" : "null");
	free(detail);
	for (uint32_t i = 0; ok && r->inputs_known && i < r->n_inputs; i++) {
		char line[96];
		int n = sc_input_format(&r->inputs[i], line, sizeof(line));
		if (n < 0 || (size_t)n >= sizeof(line))
			return false;
		ok = put(m, &at, "%s\"%s\"", i ? "," : "", line); /* digits, names, '-' and spaces only */
	}
	return ok && put(m, &at, "%s}}}", r->inputs_known ? "]" : "");
}

static bool format_chat(const struct sc_msg_header *h, const struct sc_chat_msg *e, struct sc_outbox_msg *m)
{
	if (e->player >= SC_MAX_PLAYERS || e->len == 0 || e->len > SC_CHAT_TEXT_MAX)
		return false;
	/* the text was checked by the encoder that took it, but came back
	 * through the primary: quoted lossily (bad UTF-8 becomes U+FFFD) */
	char *text = sc_json_quote(e->text, e->len);
	if (!text)
		return false;
	int n = snprintf(m->json, sizeof(m->json), "{\"type\":\"chat\",\"tick\":%u,\"player\":%u,\"text\":%s}", h->tick,
	                 e->player, text);
	free(text);
	return n > 0 && (size_t)n < sizeof(m->json);
}

bool sc_game_msg_format(enum sc_outbox_ring ring, const struct sc_msg_header *h, const void *payload,
                        struct sc_outbox_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->ring = ring;
	m->tick = h->tick;
	m->player = -1;
	switch (ring) {
	case SC_OUTBOX_EVENT: {
		struct sc_game_event_msg e;
		if (h->type != SC_MSG_EVENT || h->payload_len != sizeof(e))
			return false;
		memcpy(&e, payload, sizeof(e));
		return format_event(h, &e, m);
	}
	case SC_OUTBOX_HAPTIC: {
		struct sc_haptic_msg e;
		if (h->type != SC_MSG_HAPTIC || h->payload_len != sizeof(e))
			return false;
		memcpy(&e, payload, sizeof(e));
		return format_haptic(h, &e, m);
	}
	case SC_OUTBOX_NOTICE: {
		struct sc_notice_msg e;
		if (h->type == SC_MSG_NOTICE && h->payload_len == sizeof(struct sc_incident_report)) {
			struct sc_incident_report *r = malloc(sizeof(*r));
			bool ok = r && (memcpy(r, payload, sizeof(*r)), format_incident_report(h, r, m));
			free(r);
			return ok;
		}
		if (h->type != SC_MSG_NOTICE || h->payload_len != sizeof(e))
			return false;
		memcpy(&e, payload, sizeof(e));
		return format_notice(h, &e, m);
	}
	case SC_OUTBOX_CHAT: {
		struct sc_chat_msg e;
		if (h->type != SC_MSG_CHAT || h->payload_len != sizeof(e))
			return false;
		memcpy(&e, payload, sizeof(e));
		return format_chat(h, &e, m);
	}
	case SC_OUTBOX_RINGS:
		break;
	}
	return false;
}

uint32_t sc_game_outbox_flush(struct sc_game_outbox *o, bool with_video, uint32_t through_tick,
                              sc_outbox_send_fn fn, void *ud)
{
	uint32_t sent = 0;
	for (int i = 0; i < SC_OUTBOX_RINGS; i++) {
		struct sc_outbox_queue *q = &o->q[i];
		if (q->in_step && !with_video)
			continue;
		while (q->count) {
			struct sc_outbox_entry *e = &q->pending[q->head];
			if (q->in_step && e->hdr.tick > through_tick)
				break; /* its frame has not been taken yet */
			struct sc_outbox_msg m;
			if (sc_game_msg_format((enum sc_outbox_ring)i, &e->hdr, e->payload, &m)) {
				fn(ud, &m);
				sent++;
			} else {
				o->invalid++;
			}
			q->head = (q->head + 1) % SC_GAME_OUTBOX_PENDING;
			q->count--;
		}
	}
	return sent;
}
