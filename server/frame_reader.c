#include "server/frame_reader.h"

#include <errno.h>
#include <stdio.h>
#include <linux/dma-buf.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

#define SC_FRAME_TAKE_TRIES 4

void sc_frame_reader_init(struct sc_frame_reader *r, struct sc_session_shm *session,
                          sc_frame_seal_check_fn seal_check)
{
	memset(r, 0, sizeof(*r));
	r->session = session;
	r->seal_check = seal_check;
	r->pid = (uint32_t)getpid();
	r->fd = -1;
}

void sc_frame_reader_unmap(struct sc_frame_reader *r)
{
	if (r->map)
		munmap((void *)r->map, r->map_size);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->map_size = 0;
	r->fd = -1;
	r->n_slots = 0;
}

void sc_frame_reader_finish(struct sc_frame_reader *r)
{
	sc_frame_reader_unmap(r);
}

static size_t memory_size(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return (size_t)st.st_size;
	/* DMA-BUF: the size is what seeking to the end says */
	off_t end = lseek(fd, 0, SEEK_END);
	return end > 0 ? (size_t)end : 0;
}

/* a + b <= limit, without overflow */
static bool fits(uint64_t a, uint64_t b, uint64_t limit)
{
	uint64_t end;
	return !__builtin_add_overflow(a, b, &end) && end <= limit;
}

bool sc_frame_layout_check(const struct sc_frame_layout *l, uint32_t n_slots, size_t mem_size,
                           char *why, size_t why_len)
{
	char dummy[8];
	if (!why) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	uint64_t y_end = (uint64_t)l->pitch * l->height; /* both < 2^32: no overflow */
	uint64_t uv_size = (uint64_t)l->pitch * (l->height / 2);
	uint64_t all_slots;
	if (n_slots == 0 || n_slots > SC_MAX_FRAME_SLOTS) {
		snprintf(why, why_len, "%u frame slots (1..%d)", n_slots, SC_MAX_FRAME_SLOTS);
		return false;
	}
	if (l->width == 0 || l->height == 0 || l->pitch < l->width || l->uv_offset < y_end ||
	    !fits(l->uv_offset, uv_size, l->nv12_size) || !fits(l->nv12_offset, l->nv12_size, l->slot_size) ||
	    !fits(l->seal_offset, 8, l->slot_size)) {
		snprintf(why, why_len, "NV12 layout (pitch %u, uv at %u, %zu bytes at %zu, seal at %zu) does not "
		         "fit %ux%u in a %zu-byte slot", l->pitch, l->uv_offset, l->nv12_size, l->nv12_offset,
		         l->seal_offset, l->width, l->height, l->slot_size);
		return false;
	}
	if (__builtin_mul_overflow((uint64_t)l->slot_size, (uint64_t)n_slots, &all_slots) || all_slots > mem_size) {
		snprintf(why, why_len, "%u slots of %zu bytes do not fit the %zu bytes of frame memory", n_slots,
		         l->slot_size, mem_size);
		return false;
	}
	return true;
}

static bool check_layout(const struct sc_frame_reader *r, size_t size)
{
	char why[200];
	if (!sc_frame_layout_check(&r->layout, r->n_slots, size, why, sizeof(why))) {
		sc_err("frames: %s", why);
		return false;
	}
	return true;
}

bool sc_frame_reader_map(struct sc_frame_reader *r, int fd, bool dmabuf, uint32_t width,
                         uint32_t height)
{
	struct sc_session_shm *s = r->session;

	sc_frame_reader_unmap(r);
	r->fd = fd;
	r->dmabuf = dmabuf;
	r->generation = atomic_load(&s->frame_generation); /* acquire: layout below is valid */
	if (r->generation == 0) {
		sc_err("frames: got frame memory but the session has no frame layout (generation 0)");
		goto err;
	}
	struct sc_frame_layout *l = &r->layout;
	r->n_slots = s->n_slots;
	l->width = s->width;
	l->height = s->height;
	l->rgba_offset = s->rgba_offset;
	l->nv12_offset = s->nv12_offset;
	l->pitch = s->pitch;
	l->uv_offset = s->uv_offset;
	/* the primary's numbers: checked below before any is used */
	l->nv12_size = (size_t)s->uv_offset + (size_t)s->pitch * (s->height / 2);
	l->seal_offset = s->seal_offset;
	l->slot_size = s->slot_size;
	if (l->width != width || l->height != height) {
		sc_err("frames: the primary renders %ux%u but the encoder was set up for %ux%u",
		       l->width, l->height, width, height);
		goto err;
	}
	size_t size = memory_size(fd);
	if (!check_layout(r, size))
		goto err;
	void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		sc_err("frames: cannot map %zu bytes of %s frame memory: %s", size,
		       dmabuf ? "DMA-BUF" : "memfd", strerror(errno));
		goto err;
	}
	r->map = map;
	r->map_size = size;
	r->last_frame = 0; /* idr_due is kept: a frame dropped before the remap still owes one */
	sc_info("frames: mapped the primary's %s frame memory read-only, frames are handed to the "
	        "encoder in place: generation %llu, %u slots of %zu bytes, %ux%u pitch %u",
	        dmabuf ? "DMA-BUF" : "host-memfd",
	        (unsigned long long)r->generation, r->n_slots, l->slot_size, l->width, l->height,
	        l->pitch);
	return true;
err:
	sc_frame_reader_unmap(r);
	return false;
}

static uint64_t latest_frame(const struct sc_session_shm *s)
{
	return atomic_load(&((struct sc_session_shm *)s)->latest) >> 8;
}

bool sc_frame_reader_pending(const struct sc_frame_reader *r)
{
	if (!r->map)
		return false;
	uint64_t f = latest_frame(r->session);
	return f != 0 && f != r->last_frame;
}

static void dmabuf_sync(const struct sc_frame_reader *r, uint64_t flags)
{
	if (!r->dmabuf)
		return;
	struct dma_buf_sync sync = { .flags = flags | DMA_BUF_SYNC_READ };
	while (ioctl(r->fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && errno == EINTR)
		;
}

/* Mailbox protocol, encoder side: reader flag, then re-check the slot. */
static bool hold_latest(struct sc_frame_reader *r, uint64_t *frame, uint32_t *slot)
{
	struct sc_session_shm *s = r->session;
	for (int i = 0; i < SC_FRAME_TAKE_TRIES; i++) {
		uint64_t latest = atomic_load(&s->latest);
		uint64_t f = latest >> 8;
		uint32_t sl = (uint32_t)(latest & 0xff);
		if (f == 0 || f == r->last_frame || sl >= r->n_slots)
			return false;
		atomic_store(&s->slots[sl].reader, r->pid);
		if (atomic_load(&s->slots[sl].frame) == f) {
			*frame = f;
			*slot = sl;
			return true;
		}
		atomic_store(&s->slots[sl].reader, 0); /* reused meanwhile: take the newer one */
	}
	return false;
}

/* Frame numbers rise by one per frame the primary publishes (across its
 * restarts too): a jump between two frames taken in one generation is the
 * number of frames replaced in the mailbox before the encoder took them. */
static void count_replaced(struct sc_frame_reader *r, uint64_t frame)
{
	if (r->last_frame != 0 && frame > r->last_frame + 1)
		atomic_fetch_add(&r->session->frames_replaced, frame - r->last_frame - 1);
	r->last_frame = frame;
}

/* A frame whose seal does not match is never encoded: the bytes are not the
 * tick's finished frame (black, stale, torn). Re-reading them would not help. */
static enum sc_frame_take_result drop_bad_seal(struct sc_frame_reader *r, struct sc_frame_take *t)
{
	sc_frame_reader_release(r, t); /* the slot goes back at once */
	uint64_t n = ++r->bad_seals;
	atomic_fetch_add(&r->session->frames_bad_seal, 1);
	r->idr_due = true;
	if (n == 1 || (n & 1023) == 0)
		sc_warn("frames: seal mismatch on frame %llu (tick %u): dropped, not encoded; the next "
		        "frame is an IDR (%llu dropped so far)", (unsigned long long)t->frame, t->tick,
		        (unsigned long long)n);
	return SC_FRAME_BAD_SEAL;
}

enum sc_frame_take_result sc_frame_reader_take(struct sc_frame_reader *r,
                                               struct sc_frame_take *t)
{
	struct sc_session_shm *s = r->session;
	uint64_t frame;
	uint32_t slot;

	if (!r->map || !hold_latest(r, &frame, &slot))
		return SC_FRAME_NONE;
	const struct sc_frame_layout *l = &r->layout;
	const uint8_t *base = r->map + l->slot_size * slot;
	memset(t, 0, sizeof(*t));
	t->frame = frame;
	t->slot = slot;
	t->tick = s->slots[slot].tick;
	t->capture_ns = s->slots[slot].capture_ns;
	memcpy(&t->state, &s->slot_state[slot], sizeof(t->state));
	count_replaced(r, frame);
	dmabuf_sync(r, DMA_BUF_SYNC_START);
	if (r->seal_check && !r->seal_check(base, l, t->tick))
		return drop_bad_seal(r, t);
	t->idr = r->idr_due;
	r->idr_due = false;
	t->nv12 = (struct sc_nv12_frame){
		.base = base + l->nv12_offset,
		.size = l->nv12_size,
		.width = l->width,
		.height = l->height,
		.pitch = l->pitch,
		.uv_offset = l->uv_offset,
		.dmabuf_fd = r->dmabuf ? r->fd : -1,
		.dmabuf_offset = (uint64_t)l->slot_size * slot + l->nv12_offset,
		.pts = frame,
	};
	return SC_FRAME_TAKEN;
}

bool sc_frame_reader_in_place(const struct sc_frame_reader *r, const struct sc_frame_take *t)
{
	uintptr_t base = (uintptr_t)r->map, p = (uintptr_t)t->nv12.base;
	return r->map && t->nv12.base && p >= base && t->nv12.size <= r->map_size &&
	       p - base <= r->map_size - t->nv12.size;
}

void sc_frame_reader_release(struct sc_frame_reader *r, const struct sc_frame_take *t)
{
	dmabuf_sync(r, DMA_BUF_SYNC_END);
	atomic_store(&r->session->slots[t->slot].reader, 0);
}
