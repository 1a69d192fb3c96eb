/* The encoder process's frame reader (server/frame_reader.c) against a session
 * and frame memory laid out as the primary does, without a GPU: in-place
 * takes hold the slot's reader flag; the mailbox re-check refuses a slot that
 * was reused; a bad seal switches to the copy path (slot released at once,
 * counted, zero_copy 0) until the next frame generation; bad layouts refused. */
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
	atomic_store(&s->latest, frame << 8 | slot);
}

static void setup_session(struct sc_session_shm *s)
{
	memset(s, 0, sizeof(*s));
	s->magic = SC_SESSION_MAGIC;
	s->version = SC_SESSION_VERSION;
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

int main(void)
{
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
	CHECK(atomic_load(&s.zero_copy) == 1, "zero_copy after mapping");
	CHECK(!sc_frame_reader_pending(&r), "nothing pending before the first frame");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "take with an empty mailbox");

	/* in place: the slot is held until release */
	render(&s, 0, 1, 10, true);
	CHECK(sc_frame_reader_pending(&r), "frame 1 pending");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN, "take frame 1");
	CHECK(t.frame == 1 && t.slot == 0 && t.tick == 10 && t.capture_ns == 1010, "frame 1 fields");
	CHECK(t.seal_ok && !t.copied, "frame 1 in place with a good seal");
	CHECK(t.nv12.base == r.map + layout.nv12_offset, "nv12 points into the mapping");
	CHECK(t.nv12.pitch == layout.pitch && t.nv12.uv_offset == layout.uv_offset && t.nv12.dmabuf_fd == -1, "nv12 layout");
	CHECK(atomic_load(&s.slots[0].reader) == 1, "reader flag held while encoding");
	sc_frame_reader_release(&r, &t);
	CHECK(atomic_load(&s.slots[0].reader) == 0, "reader flag cleared");
	CHECK(!sc_frame_reader_pending(&r), "frame 1 is not new any more");
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "frame 1 twice");

	/* the mailbox names slot 1 but the primary already reuses it: refused */
	render(&s, 1, 2, 11, true);
	atomic_store(&s.slots[1].frame, 3);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_NONE, "reused slot taken");
	CHECK(atomic_load(&s.slots[1].reader) == 0, "reader flag cleared after the failed re-check");

	/* a bad seal: copy path, slot released at once, counted */
	render(&s, 2, 4, 12, false);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN, "take frame 4");
	CHECK(!t.seal_ok && t.copied, "bad seal -> copied");
	CHECK(atomic_load(&s.slots[2].reader) == 0, "copy path releases the slot before encoding");
	CHECK(t.nv12.base == r.copy && memcmp(r.copy, mem + layout.slot_size * 2 + layout.nv12_offset, r.layout.nv12_size) == 0,
	      "the copy is the slot's NV12");
	CHECK(atomic_load(&s.frames_bad_seal) == 1 && atomic_load(&s.zero_copy) == 0, "bad seal counted, zero_copy 0");
	CHECK(r.bytes_copied == r.layout.nv12_size && r.layout.nv12_size >= (size_t)layout.uv_offset + layout.pitch * H / 2, "copied bytes counted");
	sc_frame_reader_release(&r, &t);

	/* stays on the copy path for this generation, good seals or not */
	render(&s, 0, 5, 13, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && t.copied && t.seal_ok, "copy path is sticky");
	sc_frame_reader_release(&r, &t);
	CHECK(atomic_load(&s.frames_bad_seal) == 1, "good seal not counted");

	/* a new generation (primary restarted) reads in place again */
	atomic_store(&s.frame_generation, 2);
	atomic_store(&s.latest, 0);
	CHECK(sc_frame_reader_map(&r, dup(memfd), false, W, H), "remap");
	CHECK(atomic_load(&s.zero_copy) == 1, "zero_copy again after remap");
	render(&s, 1, 6, 14, true);
	CHECK(sc_frame_reader_take(&r, &t) == SC_FRAME_TAKEN && !t.copied && t.seal_ok, "in place after remap");
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
