/* Frame mailbox: how rendered frames pass from the primary to the encoder
 * process without either waiting for the other. Part of the session block
 * (session/session.h, layout version SC_SESSION_LAYOUT_VERSION).
 *
 * Owners:
 *   the primary   writes frame_generation and the layout words (slot_size ..
 *                 uv_offset) once per start, slots[s].frame, the plain slot
 *                 fields, slot_state[s], and `latest`;
 *   the encoder   writes slots[s].reader (its pid, then 0) and
 *                 frame_doorbell_need_wakeup (sc_doorbell);
 *   the supervisor clears reader words holding a reaped child's pid.
 *
 * Frame memory hand-off (AF_UNIX socketpair per child, net/shm/fd_passing.h):
 *   supervisor -> child   SC_FD_KIND_ARENA  fds = {arena memfd, frame doorbell eventfd}
 *   primary -> supervisor SC_FD_KIND_FRAME  fds = {frame memory fd}, arg = enum
 *                                           sc_frame_memory_kind; layout in the session block
 *   supervisor -> encoder SC_FD_KIND_FRAME  the same, forwarded (again after each
 *                                           primary restart: frame_generation changes)
 * The layout words are valid once frame_generation != 0; the primary stores
 * them before it bumps frame_generation (seq_cst), the encoder loads
 * frame_generation before it reads them.
 *
 * Slot hand-off: a mailbox (`latest` = frame << 8 | slot, 0 = none yet) plus a
 * per-slot reader word holding the reading process's pid, Dekker style with
 * sequentially consistent atomics:
 *   primary: pick s != latest.slot with reader[s] == 0; store slot[s].frame = f;
 *            re-check reader[s] == 0 (else pick another); render; fill the plain
 *            fields of slot[s] and slot_state[s]; store latest = f << 8 | s
 *            (seq_cst: publishes them); ring the frame doorbell.
 *   encoder: load latest (f, s); store reader[s] = its pid; re-check
 *            slot[s].frame == f (else clear and retry); read / encode in place,
 *            copy slot_state[s]; store reader[s] = 0.
 * A reader that dies holding a slot (kill -9 mid-frame) does not keep it: the
 * supervisor clears every reader word holding the dead pid when it reaps it,
 * and the primary, finding a slot held by a pid that no longer exists, takes
 * it back itself (compare-and-swap pid -> 0; counted in slots_reclaimed).
 * A frame replaced in the mailbox before the encoder took it is not waited for;
 * the encoder counts it (a gap in the frame numbers it takes). Each frame
 * carries a GPU-written seal (tick + checksum of sampled words,
 * gpu/frame_seal.h) in the slot trailer, which the encoder verifies before
 * encoding (a frame that fails is dropped, never encoded); the encoder
 * rebuilds the layout with sc_frame_layout_init(width, height). */
#ifndef SC_SESSION_SHM_FRAME_MAILBOX_H
#define SC_SESSION_SHM_FRAME_MAILBOX_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SC_MAX_FRAME_SLOTS 8

/* One frame slot's header. frame and reader are the hand-off words; the plain
 * fields are written by the primary before it publishes `latest` and read by
 * the encoder only while it holds the slot. */
struct sc_frame_slot_shm {
	_Atomic uint64_t frame;       /* frame number being / last rendered here */
	_Atomic uint32_t reader;      /* pid of the process reading this slot, 0 = none */
	uint32_t tick;                /* game tick rendered */
	uint64_t capture_ns;          /* tick start (CLOCK_MONOTONIC) */
	uint64_t render_done_ns;      /* GPU work complete */
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_frame_slot_shm) == 32, "sc_frame_slot_shm layout");
_Static_assert(offsetof(struct sc_frame_slot_shm, frame) == 0, "sc_frame_slot_shm layout");
_Static_assert(offsetof(struct sc_frame_slot_shm, reader) == 8, "sc_frame_slot_shm layout");
_Static_assert(offsetof(struct sc_frame_slot_shm, tick) == 12, "sc_frame_slot_shm layout");
_Static_assert(offsetof(struct sc_frame_slot_shm, capture_ns) == 16, "sc_frame_slot_shm layout");
_Static_assert(offsetof(struct sc_frame_slot_shm, render_done_ns) == 24, "sc_frame_slot_shm layout");

#endif
