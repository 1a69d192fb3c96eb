/* The encoder process's frame reader (server/frame_reader.c) against a session
 * and frame memory laid out as the primary does, without a GPU: in-place
 * takes hold the slot's reader flag and carry the state the slot shows; the
 * mailbox re-check refuses a slot that was reused; frames replaced in the
 * mailbox before they were taken are counted exactly; a frame whose bytes do
 * not match its seal is dropped (not handed to the encoder, counted, slot
 * released) and the next good frame asks for an IDR; bad layouts refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gpu/frame_layout.h"
#include "gpu/frame_seal.h"
#include "server/frame_reader.h"

#define W 64
#define H 32
#define SLOTS 3

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static struct sc_frame_layout layout;
static uint8_t *mem;
static int memfd;

static void render(struct sc_session_shm *s, uint32_t slot, uint64_t frame, uint32_t tick, bool good_seal)
{
	uint8_t *base = mem + layout.slot_size * slot;
	atomic_store(&s->slots[slot].frame, frame);
	for (size_t i = 0; i < layout.nv12_size; i++)
		base[layout.nv12_offset + i] = (uint8_t)(i * 7 + tick);
	struct sc_frame_seal seal = { .tick = tick, .checksum = sc_frame_seal_checksum(base, &layout, tick) };
	if (!good_seal)
		seal.checksum ^= 0x1;
	memcpy(base + layout.seal_offset, &seal, sizeof(seal));
	s->slots[slot].tick = tick;
	s->slots[slot].capture_ns = 1000 + tick;
	memset(&s->slot_state[slot], 0, sizeof(s->slot_state[slot]));
	s->slot_state[slot].hdr.tick = tick + 1; /* ticks completed after `tick` */
	s->slot_state[slot].hdr.score0 = tick;   /* something per frame to compare */
	atomic_store(&s->latest, frame << 8 | slot);
}

/* The frame's bytes change after the GPU sealed it (torn / overwritten). */
static void corrupt(uint32_t slot)
{
	memset(mem + layout.slot_size * slot + layout.nv12_offset, 0, layout.nv12_size);
}

static void setup_session(struct sc_session_shm *s)
{
	memset(s, 0, sizeof(*s));
	s->magic = SC_SESSION_MAGIC;
	s->version = SC_SESSION_LAYOUT_VERSION;
	s->width = W;
	s->height = H;
	s->n_slots = SLOTS;
	s->slot_size = layout.slot_size;
	s->rgba_offset = layout.rgba_offset;
	s->nv12_offset = layout.nv12_offset;
	s->seal_offset = layout.seal_offset;
	s->pitch = layout.pitch;
	s->uv_offset = layout.uv_offset;
	atomic_store(&s->frame_generation, 1);
}

/* A layout from another process's memory that wraps around 2^64 must not
 * pass: nv12_offset = 2^64 - nv12_size would point before the mapping. */
static void test_layout_overflow(void)
{
	struct sc_frame_layout l;
	sc_frame_layout_init(&l, 1280, 720);
	size_t mem_size = l.slot_size * 4;
	CHECK(sc_frame_layout_check(&l, 4, mem_size, NULL, 0), "the real layout passes");
	struct sc_frame_layout bad = l;
	bad.nv12_offset = (size_t)0 - l.nv12_size;
	CHECK(!sc_frame_layout_check(&bad, 4, mem_size, NULL, 0), "nv12_offset = 2^64 - size refused");
	bad = l;
	bad.seal_offset = SIZE_MAX - 4;
	CHECK(!sc_frame_layout_check(&bad, 4, mem_size, NULL, 0), "seal_offset near 2^64 refused");
	bad = l;
	bad.slot_size = SIZE_MAX / 2;
	CHECK(!sc_frame_layout_check(&bad, 4, mem_size, NULL, 0), "slot_size * n_slots overflowing refused");
	CHECK(!sc_frame_layout_check(&l, 9, (size_t)-1, NULL, 0), "more slots than SC_MAX_FRAME_SLOTS refused");
	CHECK(!sc_frame_layout_check(&l, 4, mem_size - 1, NULL, 0), "slots larger than the memory refused");
}

int main(void)
{
	test_layout_overflow();
	static struct sc_session_shm s;
	struct sc_frame_reader r;
	struct sc_frame_take t;

	sc_frame_layout_init(&layout, W, H);
	size_t size = layout.slot_size * SLOTS;
	memfd = memfd_create("frames", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)size) < 0)
		return 1;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		return 1;
	setup_session(&s);
	sc_frame_reader_init(&r, &s, sc_frame_seal_verify);

	/* size mismatch and missing layout are refused */
	CHECK(!sc_frame_reader_map(&r, dup(memfd), false, 128, 32), "wrong size accepted");
	s.n_slots = 5; /* valid count, but 5 slots do not fit the memory */
	CHECK(!sc_frame_reader_map(&r, dup(memfd), false, W, H), "more slots than memory accepted");
	s.n_slots = SLOTS;
	CHECK(sc_frame_reader_map(&r, dup(memfd), false, W, H), "map");
	CHECK(!sc_frame_reader_pending(&r), "nothing pending before the first frame");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "take with an empty mailbox");

	/* in place: the slot is held until release */
	render(&s, 0, 1, 10, true);
	CHECK(sc_frame_reader_pending(&r), "frame 1 pending");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN, "take frame 1");
	CHECK(t.frame == 1 && t.slot == 0 && t.tick == 10 && t.capture_ns == 1010, "frame 1 fields");
	CHECK(!t.idr && t.state.hdr.tick == 11, "frame 1 in place with its state");
	CHECK(t.nv12.base == r.map + layout.nv12_offset, "nv12 points into the mapping");
	CHECK(sc_frame_reader_in_place(&r, &t), "the frame counts as read in place");
	{
		struct sc_frame_take moved = t, outside = t;
		moved.nv12.base = r.map + r.map_size - t.nv12.size + 1; /* runs one byte past the mapping */
		outside.nv12.base = (const uint8_t *)&moved;             /* a copy elsewhere */
		CHECK(!sc_frame_reader_in_place(&r, &moved) && !sc_frame_reader_in_place(&r, &outside),
		      "a view not wholly inside the mapping is not in place");
	}
	CHECK(t.nv12.pitch == layout.pitch && t.nv12.uv_offset == layout.uv_offset && t.nv12.dmabuf_fd == -1, "nv12 layout");
	CHECK(atomic_load(&s.slots[0].reader) == (uint32_t)getpid(), "reader word holds our pid while encoding");
	sc_frame_reader_release(&r, &t);
	CHECK(atomic_load(&s.slots[0].reader) == 0, "reader flag cleared");
	CHECK(!sc_frame_reader_pending(&r), "frame 1 is not new any more");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "frame 1 twice");

	/* the mailbox names slot 1 but the primary already reuses it: refused */
	render(&s, 1, 2, 11, true);
	atomic_store(&s.slots[1].frame, 3);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "reused slot taken");
	CHECK(atomic_load(&s.slots[1].reader) == 0, "reader flag cleared after the failed re-check");

	/* the primary finishes frame 3 there, then 4 and 5: frames 2, 3 and 4 are
	 * replaced in the mailbox before the encoder comes back */
	render(&s, 1, 3, 12, true);
	render(&s, 2, 4, 13, true);
	render(&s, 0, 5, 14, true);
	CHECK(atomic_load(&s.frames_replaced) == 0, "nothing counted before the take");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && t.frame == 5 && t.tick == 14, "take frame 5");
	CHECK(atomic_load(&s.frames_replaced) == 3, "frames replaced: %llu, want 3 (2, 3, 4)",
	      (unsigned long long)atomic_load(&s.frames_replaced));
	CHECK(t.state.hdr.tick == 15 && t.state.hdr.score0 == 14, "frame 5 carries its own state (hdr.tick %u)",
	      t.state.hdr.tick);
	CHECK(!t.idr, "no IDR asked for without a dropped frame");
	sc_frame_reader_release(&r, &t);
	render(&s, 1, 6, 15, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && t.frame == 6, "take frame 6");
	sc_frame_reader_release(&r, &t);
	CHECK(atomic_load(&s.frames_replaced) == 3, "no gap, nothing more counted");

	/* bytes changed after the seal: dropped, counted, slot released, next frame an IDR */
	render(&s, 2, 7, 16, true);
	corrupt(2);
	CHECK(sc_frame_reader_pending(&r), "frame 7 pending");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_BAD_SEAL,
	      "a frame whose bytes do not match its seal is not handed to the encoder");
	CHECK(t.frame == 7 && t.tick == 16, "the dropped frame is named (frame %llu tick %u)",
	      (unsigned long long)t.frame, t.tick);
	CHECK(t.state.hdr.tick == 17, "the dropped frame's state is still read (events)");
	CHECK(atomic_load(&s.slots[2].reader) == 0, "the dropped frame's slot is released");
	CHECK(atomic_load(&s.frames_bad_seal) == 1 && r.bad_seals == 1, "bad seal counted once");
	CHECK(!sc_frame_reader_pending(&r), "the dropped frame is not offered again");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "the dropped frame is not taken again");
	render(&s, 0, 8, 17, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && t.frame == 8, "take frame 8");
	CHECK(t.idr, "the frame after a dropped one asks for an IDR");
	CHECK(t.nv12.base == r.map + layout.nv12_offset && atomic_load(&s.slots[0].reader) == (uint32_t)getpid(),
	      "frame 8 in place, slot held");
	sc_frame_reader_release(&r, &t);
	CHECK(atomic_load(&s.frames_replaced) == 3, "a dropped frame is not a replaced one");
	render(&s, 1, 9, 18, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && !t.idr, "one IDR only");
	sc_frame_reader_release(&r, &t);
	/* a bad checksum in the seal itself: the same */
	render(&s, 2, 10, 19, false);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_BAD_SEAL, "bad checksum dropped");
	CHECK(atomic_load(&s.frames_bad_seal) == 2, "second bad seal counted");

	/* a new generation (primary restarted) reads in place again */
	atomic_store(&s.frame_generation, 2);
	atomic_store(&s.latest, 0);
	CHECK(sc_frame_reader_map(&r, dup(memfd), false, W, H), "remap");
	render(&s, 1, 20, 30, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && t.frame == 20 && sc_frame_reader_in_place(&r, &t),
	      "in place after remap");
	CHECK(t.idr, "the IDR owed for dropped frame 10 is still asked for after the remap");
	sc_frame_reader_release(&r, &t);
	CHECK(atomic_load(&s.frames_replaced) == 3, "the first frame of a generation is no gap");
	render(&s, 2, 21, 31, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && !t.idr, "then no IDR");
	sc_frame_reader_release(&r, &t);

	sc_frame_reader_finish(&r);
	munmap(mem, size);
	close(memfd);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("frame reader: all checks passed\n");
	return failures ? 1 : 0;
}
