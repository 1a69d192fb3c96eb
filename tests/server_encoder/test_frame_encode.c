/* Frames from the mailbox through the frame reader and libx264
 * (server/frame_encode.c): a frame whose bytes changed after the GPU sealed
 * it is never encoded, and the next frame encoded is an IDR (NAL type 5 with
 * SPS/PPS) although nobody asked for a keyframe; the ones after are not; a
 * client's keyframe request is honoured once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu/frame_layout.h"
#include "gpu/frame_seal.h"
#include "server/frame_encode.h"

#define W 64
#define H 32
#define SLOTS 3

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct sc_frame_layout layout;
static uint8_t *mem;
static struct sc_session_shm s;

static void render(uint64_t frame, uint32_t tick)
{
	uint32_t slot = (uint32_t)(frame % SLOTS);
	uint8_t *base = mem + layout.slot_size * slot;
	atomic_store(&s.slots[slot].frame, frame);
	for (uint32_t y = 0; y < H; y++) /* a moving gradient */
		for (uint32_t x = 0; x < W; x++)
			base[layout.nv12_offset + y * layout.pitch + x] = (uint8_t)(16 + (x + y + tick * 3) % 200);
	for (uint32_t y = 0; y < H / 2; y++)
		memset(base + layout.nv12_offset + layout.uv_offset + y * layout.pitch, 128, W);
	struct sc_frame_seal seal = { .tick = tick, .checksum = sc_frame_seal_checksum(base, &layout, tick) };
	memcpy(base + layout.seal_offset, &seal, sizeof(seal));
	s.slots[slot].tick = tick;
	s.slot_state[slot].hdr.tick = tick + 1;
	atomic_store(&s.latest, frame << 8 | slot);
}

/* NAL unit types present in an Annex-B access unit, as a bit mask. */
static uint32_t nal_types(const uint8_t *p, size_t n)
{
	uint32_t mask = 0;
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
			mask |= 1u << (p[i + 3] & 0x1f);
			i += 2;
		}
	return mask;
}

#define NAL_IDR (1u << 5)
#define NAL_SPS (1u << 7)

/* Takes the latest frame and encodes it; returns the NAL mask, 0 if nothing
 * was encoded. */
static uint32_t step(struct sc_frame_reader *r, struct sc_encoder *enc, atomic_bool *keyframe,
                     enum sc_frame_take_result want, int line)
{
	struct sc_frame_take t;
	struct sc_encoded_packet pkt;
	enum sc_frame_take_result got = sc_frame_reader_take(r, &t);
	if (got != want) {
		failures++;
		fprintf(stderr, "FAIL line %d: take gave %d, want %d\n", line, (int)got, (int)want);
		if (got == SC_FRAME_TAKEN)
			sc_frame_reader_release(r, &t);
		return 0;
	}
	if (got != SC_FRAME_TAKEN)
		return 0;
	bool ok = sc_frame_encode(enc, &t, keyframe, &pkt);
	sc_frame_reader_release(r, &t);
	if (!ok || pkt.size == 0) {
		failures++;
		fprintf(stderr, "FAIL line %d: encode failed or gave no packet\n", line);
		return 0;
	}
	uint32_t nals = nal_types(pkt.data, pkt.size);
	CHECK(pkt.keyframe == ((nals & NAL_IDR) != 0), "line %d: keyframe flag %d, NAL mask 0x%x", line,
	      pkt.keyframe, nals);
	return nals;
}
#define IS_IDR(n) (((n) & (NAL_IDR | NAL_SPS)) == (NAL_IDR | NAL_SPS))
#define IS_P(n) ((n) != 0 && !((n) & NAL_IDR))

int main(void)
{
	struct sc_frame_reader r;
	atomic_bool keyframe = true; /* as the encoder process starts */

	sc_frame_layout_init(&layout, W, H);
	size_t size = layout.slot_size * SLOTS;
	int memfd = memfd_create("frames", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0)
		return 1;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		return 1;
	s.magic = SC_SESSION_MAGIC;
	s.width = W;
	s.height = H;
	s.n_slots = SLOTS;
	s.slot_size = layout.slot_size;
	s.rgba_offset = layout.rgba_offset;
	s.nv12_offset = layout.nv12_offset;
	s.seal_offset = layout.seal_offset;
	s.pitch = layout.pitch;
	s.uv_offset = layout.uv_offset;
	atomic_store(&s.frame_generation, 1);
	sc_frame_reader_init(&r, &s, sc_frame_seal_verify);
	struct sc_encoder_config ec = { .width = W, .height = H, .fps = 30, .bitrate_kbps = 300,
	                                .kind = SC_ENCODER_X264 };
	struct sc_encoder *enc = sc_encoder_create(&ec);
	if (!enc || !sc_frame_reader_map(&r, memfd, false, W, H)) {
		fprintf(stderr, "FAIL: cannot set up the encoder or the frame memory\n");
		return 1;
	}

	uint32_t n;
	render(1, 10);
	n = step(&r, enc, &keyframe, SC_FRAME_TAKEN, __LINE__);
	CHECK(IS_IDR(n), "the first frame is an IDR (NAL mask 0x%x)", n);
	render(2, 11);
	n = step(&r, enc, &keyframe, SC_FRAME_TAKEN, __LINE__);
	CHECK(IS_P(n), "then P-frames (0x%x)", n);

	/* frame 3's bytes change after its seal: not encoded; frame 4 restarts the picture */
	render(3, 12);
	memset(mem + layout.slot_size * (3 % SLOTS) + layout.nv12_offset, 0, layout.nv12_size);
	step(&r, enc, &keyframe, SC_FRAME_BAD_SEAL, __LINE__);
	CHECK(atomic_load(&s.frames_bad_seal) == 1, "the dropped frame is counted");
	render(4, 13);
	n = step(&r, enc, &keyframe, SC_FRAME_TAKEN, __LINE__);
	CHECK(IS_IDR(n), "the frame after a dropped one is an IDR with SPS/PPS (NAL mask 0x%x)", n);
	render(5, 14);
	n = step(&r, enc, &keyframe, SC_FRAME_TAKEN, __LINE__);
	CHECK(IS_P(n), "one IDR only (0x%x)", n);

	/* a client's request */
	atomic_store(&keyframe, true);
	render(6, 15);
	n = step(&r, enc, &keyframe, SC_FRAME_TAKEN, __LINE__);
	CHECK(IS_IDR(n) && !atomic_load(&keyframe), "a requested keyframe, request consumed (0x%x)", n);
	render(7, 16);
	n = step(&r, enc, &keyframe, SC_FRAME_TAKEN, __LINE__);
	CHECK(IS_P(n), "then P-frames again (0x%x)", n);

	sc_encoder_destroy(enc);
	sc_frame_reader_finish(&r);
	munmap(mem, size);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("frame encode: all checks passed\n");
	return failures ? 1 : 0;
}
