/* A client's send queue (net/ws/ws_queue.c on net/shm/prio_queue.h): control
 * messages go first and survive flushes, video stays in order, flushing drops
 * only video, overruns drop the oldest video, accounting is exact, and the
 * binary video and audio headers are packed little-endian as docs/protocol.md
 * says. Audio packets: after control, before video, in order, never flushed
 * with the video (a congested client keeps its sound while it loses video). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ws/ws_queue.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { failures++; \
	fprintf(stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct sc_ws_msg *video(uint64_t n, bool key)
{
	struct sc_video_meta meta = { .frame_number = n, .keyframe = key };
	uint8_t au[100] = { 0, 0, 0, 1, 0x65 };
	return sc_ws_msg_video(&meta, au, sizeof(au));
}

static uint64_t frame_of(const struct sc_ws_msg *m)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | m->data[16 + i];
	return v;
}

int main(void)
{
	struct sc_ws_queue *q = sc_ws_queue_create(8);
	CHECK(q != NULL, "create");
	if (!q)
		return 1;

	/* order: control before video, FIFO within each */
	struct sc_ws_msg *v1 = video(1, true), *v2 = video(2, false);
	struct sc_ws_msg *c1 = sc_ws_msg_printf("{\"type\":\"ack\",\"seq\":%d}", 1);
	struct sc_ws_msg *c2 = sc_ws_msg_printf("{\"type\":\"ack\",\"seq\":%d}", 2);
	CHECK(sc_ws_queue_push(q, v1) && sc_ws_queue_push(q, v2), "push video");
	CHECK(sc_ws_queue_push(q, c1) && sc_ws_queue_push(q, c2), "push control");
	CHECK(q->video_frames == 2 && q->control_msgs == 2 && sc_ws_queue_depth(q) == 4, "counts");
	CHECK(q->video_bytes == 2 * (40 + 100), "video bytes %zu", q->video_bytes);
	CHECK(v1->refs == 2, "queue holds a reference");
	struct sc_ws_msg *m = sc_ws_queue_pop(q);
	CHECK(m == c1, "control first");
	sc_ws_msg_unref(m);
	m = sc_ws_queue_pop(q);
	CHECK(m == c2, "control FIFO");
	sc_ws_msg_unref(m);
	m = sc_ws_queue_pop(q);
	CHECK(m == v1, "then video in order");
	sc_ws_msg_unref(m);

	/* flush drops only video; control survives in order */
	struct sc_ws_msg *c3 = sc_ws_msg_printf("{\"n\":%d}", 3);
	CHECK(sc_ws_queue_push(q, c3), "push c3");
	struct sc_ws_msg *v3 = video(3, false);
	CHECK(sc_ws_queue_push(q, v3), "push v3");
	CHECK(sc_ws_queue_flush_video(q, false, NULL) == 2, "flushed v2 v3");
	CHECK(q->video_frames == 0 && q->video_bytes == 0 && q->control_msgs == 1, "after flush");
	m = sc_ws_queue_pop(q);
	CHECK(m == c3, "control kept");
	sc_ws_msg_unref(m);
	CHECK(sc_ws_queue_pop(q) == NULL, "empty");

	/* overrun: full of video, a control message flushes the oldest video */
	struct sc_ws_msg *vs[8];
	for (int i = 0; i < 8; i++) {
		vs[i] = video(10 + (uint64_t)i, i == 0);
		CHECK(sc_ws_queue_push(q, vs[i]), "fill %d", i);
	}
	uint64_t flushed = q->video_flushed;
	struct sc_ws_msg *c4 = sc_ws_msg_printf("{\"n\":%d}", 4);
	CHECK(sc_ws_queue_push(q, c4), "control pushes out video");
	CHECK(q->video_flushed == flushed + 1 && q->video_frames == 7, "one video flushed (%llu)",
	      (unsigned long long)(q->video_flushed - flushed));
	m = sc_ws_queue_pop(q);
	CHECK(m == c4, "control first after overrun");
	sc_ws_msg_unref(m);
	m = sc_ws_queue_pop(q);
	CHECK(m && frame_of(m) == 10 && m->keyframe, "the keyframe was not flushed, got %llu",
	      m ? (unsigned long long)frame_of(m) : 0ull);
	sc_ws_msg_unref(m);
	m = sc_ws_queue_pop(q);
	CHECK(m && frame_of(m) == 12, "the oldest delta was flushed, got %llu",
	      m ? (unsigned long long)frame_of(m) : 0ull);
	sc_ws_msg_unref(m);

	/* full of control messages: refused, nothing lost */
	sc_ws_queue_flush_video(q, false, NULL);
	struct sc_ws_msg *cs[9];
	int accepted = 0;
	for (int i = 0; i < 9; i++) {
		cs[i] = sc_ws_msg_printf("{\"n\":%d}", i);
		accepted += sc_ws_queue_push(q, cs[i]);
	}
	CHECK(accepted == 8, "capacity 8 control messages, got %d", accepted);
	CHECK(cs[8]->refs == 1, "refused message untouched");

	/* the video header */
	struct sc_video_meta meta = { .frame_number = 0x0102030405060708ull, .tick = 0x0a0b0c0d,
	                              .capture_ns = 1, .encode_done_ns = 2, .keyframe = true };
	uint8_t h[SC_WS_VIDEO_HEADER_BYTES];
	sc_ws_video_header_pack(h, &meta);
	static const uint8_t want[SC_WS_VIDEO_HEADER_BYTES] = {
		'S', 'C', 'V', '1', 1, 0, 40, 0, 1, 0, 0, 0, 0x0d, 0x0c, 0x0b, 0x0a,
		8, 7, 6, 5, 4, 3, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
	};
	CHECK(memcmp(h, want, sizeof(want)) == 0, "video header bytes");

	sc_ws_queue_destroy(q); /* releases what is still queued */
	CHECK(v2->refs == 1 && cs[0]->refs == 1, "destroy released references");
	sc_ws_msg_unref(v1);
	sc_ws_msg_unref(v2);
	sc_ws_msg_unref(v3);
	sc_ws_msg_unref(c1);
	sc_ws_msg_unref(c2);
	sc_ws_msg_unref(c3);
	sc_ws_msg_unref(c4);
	for (int i = 0; i < 8; i++)
		sc_ws_msg_unref(vs[i]);
	for (int i = 0; i < 9; i++)
		sc_ws_msg_unref(cs[i]);

	/* a large queue (a burst of control messages on top of video): flushing
	 * the video keeps every control message, in order, however many */
	struct sc_ws_queue *big = sc_ws_queue_create(400);
	CHECK(big != NULL, "create 400");
	if (big) {
		enum { NC = 300 };
		int pushed = 0;
		for (int i = 0; i < NC; i++) {
			struct sc_ws_msg *v = i % 10 == 0 ? video((uint64_t)i, i == 0) : NULL;
			if (v) {
				pushed += sc_ws_queue_push(big, v);
				sc_ws_msg_unref(v);
			}
			struct sc_ws_msg *cm = sc_ws_msg_printf("{\"n\":%d}", i);
			pushed += sc_ws_queue_push(big, cm);
			sc_ws_msg_unref(cm);
		}
		CHECK(pushed == NC + NC / 10, "all pushed (%d)", pushed);
		bool cont = true;
		CHECK(sc_ws_queue_flush_video(big, false, &cont) == NC / 10 - 1, "video flushed but the keyframe");
		CHECK(!cont, "deltas after the kept keyframe were dropped: not continuous");
		CHECK(big->control_msgs == NC && big->video_frames == 1, "every control message kept (%u)",
		      big->control_msgs);
		struct sc_ws_msg *kept = NULL;
		int in_order = 0;
		for (int i = 0; i < NC; i++) {
			char text[32];
			struct sc_ws_msg *got = sc_ws_queue_pop(big);
			if (got && got->kind == SC_WS_MSG_VIDEO) {
				kept = got;
				got = sc_ws_queue_pop(big);
			}
			snprintf(text, sizeof(text), "{\"n\":%d}", i);
			in_order += got && got->len == strlen(text) && memcmp(got->data, text, got->len) == 0;
			sc_ws_msg_unref(got);
		}
		CHECK(in_order == NC, "control messages in order after the flush (%d of %d)", in_order, NC);
		if (!kept)
			kept = sc_ws_queue_pop(big);
		CHECK(kept && kept->keyframe && frame_of(kept) == 0, "the keyframe kept");
		sc_ws_msg_unref(kept);
		CHECK(sc_ws_queue_pop(big) == NULL, "empty");
		sc_ws_queue_destroy(big);
	}
	/* audio: between control and video, kept by a video flush */
	struct sc_ws_queue *aq = sc_ws_queue_create(16);
	CHECK(aq != NULL, "create 16");
	if (aq) {
		struct sc_audio_meta am = { .tick = 7, .sample_pos = 5600, .packet_number = 1, .sample_rate = 48000,
		                            .channels = 1, .samples = 960 };
		uint8_t opus[20] = { 0x78 };
		struct sc_ws_msg *a1 = sc_ws_msg_audio(&am, opus, sizeof(opus));
		am.packet_number = 2;
		am.sample_pos += 960;
		struct sc_ws_msg *a2 = sc_ws_msg_audio(&am, opus, sizeof(opus));
		struct sc_ws_msg *v = video(100, false), *cm = sc_ws_msg_printf("{\"n\":%d}", 1);
		CHECK(sc_ws_queue_push(aq, v) && sc_ws_queue_push(aq, a1) && sc_ws_queue_push(aq, a2) &&
		      sc_ws_queue_push(aq, cm), "push video, audio, audio, control");
		CHECK(sc_ws_queue_flush_video(aq, false, NULL) == 1, "the video flushed");
		CHECK(aq->video_frames == 0 && aq->control_msgs == 3, "audio kept (counted with control)");
		struct sc_ws_msg *g1 = sc_ws_queue_pop(aq), *g2 = sc_ws_queue_pop(aq), *g3 = sc_ws_queue_pop(aq);
		CHECK(g1 == cm && g2 == a1 && g3 == a2, "control, then audio in order");
		sc_ws_msg_unref(g1);
		sc_ws_msg_unref(g2);
		sc_ws_msg_unref(g3);
		struct sc_ws_msg *v2b = video(101, true);
		am.packet_number = 3;
		struct sc_ws_msg *a3 = sc_ws_msg_audio(&am, opus, sizeof(opus));
		CHECK(sc_ws_queue_push(aq, v2b) && sc_ws_queue_push(aq, a3), "push video, audio");
		struct sc_ws_msg *g4 = sc_ws_queue_pop(aq);
		CHECK(g4 == a3, "audio before video");
		sc_ws_msg_unref(g4);
		CHECK(a1->kind == SC_WS_MSG_AUDIO && a1->len == SC_WS_AUDIO_HEADER_BYTES + sizeof(opus), "audio message");
		sc_ws_queue_destroy(aq);
		sc_ws_msg_unref(a1);
		sc_ws_msg_unref(a2);
		sc_ws_msg_unref(a3);
		sc_ws_msg_unref(v);
		sc_ws_msg_unref(v2b);
		sc_ws_msg_unref(cm);
	}

	/* the four classes: control > events (chat, notices, haptics) > audio >
	 * video, with highPriMinPkt 4 (control and events are the high class)
	 * and lowPriMaxPkt 1 (audio and video the low class) */
	{
		struct sc_ws_queue *cq = sc_ws_queue_create(32);
		CHECK(cq != NULL, "create 32");
		struct sc_audio_meta am = { .packet_number = 1, .sample_rate = 48000, .channels = 1, .samples = 960 };
		uint8_t opus[8] = { 0x78 };
		struct sc_ws_msg *k = video(200, true), *d = video(201, false), *a[2], *e[6];
		for (int i = 0; i < 2; i++) {
			am.packet_number = 1 + (uint64_t)i;
			a[i] = sc_ws_msg_audio(&am, opus, sizeof(opus));
		}
		for (int i = 0; i < 6; i++) {
			e[i] = sc_ws_msg_printf("{\"type\":\"event\",\"n\":%d}", i);
			e[i]->kind = SC_WS_MSG_EVENT;
		}
		struct sc_ws_msg *ack = sc_ws_msg_printf("{\"type\":\"ack\",\"seq\":%d}", 9);
		CHECK(sc_ws_queue_priority(SC_WS_MSG_CONTROL) > sc_ws_queue_priority(SC_WS_MSG_EVENT) &&
		      sc_ws_queue_priority(SC_WS_MSG_EVENT) > sc_ws_queue_priority(SC_WS_MSG_AUDIO) &&
		      sc_ws_queue_priority(SC_WS_MSG_AUDIO) > sc_ws_queue_priority(SC_WS_MSG_VIDEO),
		      "class order control > event > audio > video");
		CHECK(sc_ws_queue_priority(SC_WS_MSG_EVENT) >= SC_WS_PRIO_HIGH_CLASS &&
		      sc_ws_queue_priority(SC_WS_MSG_AUDIO) < SC_WS_PRIO_HIGH_CLASS, "events high class, audio low");
		bool ok = cq && sc_ws_queue_push(cq, k) && sc_ws_queue_push(cq, d);
		for (int i = 0; i < 2 && ok; i++)
			ok = sc_ws_queue_push(cq, a[i]);
		for (int i = 0; i < 6 && ok; i++)
			ok = sc_ws_queue_push(cq, e[i]);
		ok = ok && sc_ws_queue_push(cq, ack);
		CHECK(ok, "push the classes");
		struct sc_ws_msg *order[] = { ack, e[0], e[1], e[2], a[0], e[3], e[4], e[5], a[1], k, d };
		for (size_t i = 0; cq && i < sizeof(order) / sizeof(order[0]); i++) {
			struct sc_ws_msg *got = sc_ws_queue_pop(cq);
			CHECK(got == order[i], "pop %zu: class order with highPriMinPkt/lowPriMaxPkt", i);
			sc_ws_msg_unref(got);
		}
		CHECK(!cq || sc_ws_queue_pop(cq) == NULL, "empty");
		sc_ws_queue_destroy(cq);

		/* overrun: events replace video deltas, never the keyframe */
		struct sc_ws_queue *oq = sc_ws_queue_create(4);
		struct sc_ws_msg *d2 = video(202, false), *d3 = video(203, false);
		CHECK(oq && sc_ws_queue_push(oq, k) && sc_ws_queue_push(oq, d) && sc_ws_queue_push(oq, d2) &&
		      sc_ws_queue_push(oq, d3), "fill with K d d d");
		for (int i = 0; oq && i < 3; i++)
			CHECK(sc_ws_queue_push(oq, e[i]), "event %d replaces a delta", i);
		CHECK(oq && oq->video_flushed == 3 && oq->video_frames == 1, "three deltas flushed");
		CHECK(oq && !sc_ws_queue_push(oq, e[3]), "full of events and a keyframe: refused");
		CHECK(oq && sc_ws_queue_push(oq, ack) == false, "control refused too: nothing flushable");
		bool cont = false;
		CHECK(oq && sc_ws_queue_flush_video(oq, false, &cont) == 0 && cont && oq->video_frames == 1,
		      "flush keeps the keyframe: continuous");
		for (int i = 0; oq && i < 3; i++)
			sc_ws_msg_unref(sc_ws_queue_pop(oq));
		struct sc_ws_msg *last = oq ? sc_ws_queue_pop(oq) : NULL;
		CHECK(last == k, "the keyframe delivered");
		sc_ws_msg_unref(last);
		/* K1 d K2 d': the newest keyframe stays, deltas after it dropped */
		struct sc_ws_msg *k2 = video(204, true);
		CHECK(oq && sc_ws_queue_push(oq, k) && sc_ws_queue_push(oq, d) && sc_ws_queue_push(oq, k2),
		      "push K d K2");
		CHECK(oq && sc_ws_queue_flush_video(oq, false, &cont) == 2 && cont, "K and d superseded by K2");
		CHECK(oq && sc_ws_queue_push(oq, d2) && sc_ws_queue_flush_video(oq, false, &cont) == 1 && !cont,
		      "a delta after K2 dropped: needs a keyframe");
		last = oq ? sc_ws_queue_pop(oq) : NULL;
		CHECK(last == k2 && (!oq || sc_ws_queue_pop(oq) == NULL), "only K2 left");
		sc_ws_msg_unref(last);
		/* a new keyframe about to be queued supersedes every queued frame */
		CHECK(oq && sc_ws_queue_push(oq, k) && sc_ws_queue_push(oq, d) && sc_ws_queue_push(oq, e[0]),
		      "push K d and an event");
		CHECK(oq && sc_ws_queue_flush_video(oq, true, &cont) == 2 && !cont && oq->video_frames == 0 &&
		      oq->control_msgs == 1, "superseded: K and d dropped, the event kept");
		sc_ws_msg_unref(oq ? sc_ws_queue_pop(oq) : NULL);
		sc_ws_queue_destroy(oq);
		CHECK(k->refs == 1 && d->refs == 1 && e[0]->refs == 1 && a[0]->refs == 1, "references released");
		sc_ws_msg_unref(k);
		sc_ws_msg_unref(k2);
		sc_ws_msg_unref(d);
		sc_ws_msg_unref(d2);
		sc_ws_msg_unref(d3);
		sc_ws_msg_unref(ack);
		for (int i = 0; i < 2; i++)
			sc_ws_msg_unref(a[i]);
		for (int i = 0; i < 6; i++)
			sc_ws_msg_unref(e[i]);
	}

	/* the audio header */
	struct sc_audio_meta ameta = { .tick = 0x0a0b0c0d, .sample_pos = 0x0102030405060708ull, .capture_ns = 3,
	                               .packet_number = 4, .sample_rate = 48000, .channels = 1, .samples = 960 };
	uint8_t ah[SC_WS_AUDIO_HEADER_BYTES];
	sc_ws_audio_header_pack(ah, &ameta);
	static const uint8_t awant[SC_WS_AUDIO_HEADER_BYTES] = {
		'S', 'C', 'A', '1', 1, 0, 48, 0, 0, 0, 0, 0, 0x0d, 0x0c, 0x0b, 0x0a,
		8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,
		0x80, 0xbb, 0, 0, 1, 0, 0xc0, 0x03,
	};
	CHECK(memcmp(ah, awant, sizeof(awant)) == 0, "audio header bytes");

	if (failures) {
		fprintf(stderr, "test_ws_queue: %d failures\n", failures);
		return 1;
	}
	printf("test_ws_queue: ok\n");
	return 0;
}
