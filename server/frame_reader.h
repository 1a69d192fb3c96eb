/* The encoder process's side of the frame mailbox (session/session.h): maps the
 * primary's exported frame memory read-only, takes the latest frame (reader
 * flag, Dekker re-check), counts the frames replaced in the mailbox before it
 * took them, verifies the seal and hands the encoder an NV12 view in place (a
 * pointer into the mapping, nothing copied) together with the game state the
 * frame shows. A frame whose seal
 * does not match is dropped (never encoded): counted, its slot released at
 * once, and the next frame taken is marked for an IDR so clients recover. */
#ifndef SC_SERVER_FRAME_READER_H
#define SC_SERVER_FRAME_READER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/frame_layout.h"
#include "net/encoder/encoder.h"
#include "session/session.h"

/* Checks the GPU-written seal of the frame in slot (tick = the tick the slot
 * says it shows): sc_frame_seal_verify (gpu/frame_seal.h), or a test's. NULL
 * = no check (every frame passes). */
typedef bool (*sc_frame_seal_check_fn)(const uint8_t *slot, const struct sc_frame_layout *layout,
                                       uint32_t tick);

struct sc_frame_reader {
	struct sc_session_shm *session;
	sc_frame_seal_check_fn seal_check;
	uint32_t pid;    /* this process: the owner written into a slot's reader word */

	/* the mapping of the current frame generation */
	const uint8_t *map;
	size_t map_size;
	int fd;          /* owned; -1 when nothing is mapped */
	bool dmabuf;     /* enum sc_frame_memory_kind == SC_FRAME_MEMORY_DMABUF */
	uint64_t generation;
	/* layout copied from the session (and checked) when mapping */
	uint32_t n_slots;
	struct sc_frame_layout layout;

	uint64_t last_frame; /* last frame number taken (0: none in this generation) */
	bool idr_due;        /* a frame was dropped: the next one taken asks for an IDR */
	uint64_t bad_seals;  /* frames dropped for a bad seal, this process */
};

struct sc_frame_take {
	uint64_t frame;
	uint32_t slot;
	uint32_t tick;
	uint64_t capture_ns;
	bool idr;        /* encode as an IDR: a frame before it was dropped */
	struct sc_game_state state; /* the state the frame shows (after `tick`) */
	struct sc_nv12_frame nv12;  /* SC_FRAME_TAKEN only */
};

enum sc_frame_take_result {
	SC_FRAME_NONE,   /* nothing new (or nothing mapped) */
	SC_FRAME_TAKEN,  /* *take filled; call sc_frame_reader_release() after encoding */
	SC_FRAME_BAD_SEAL, /* dropped: its seal did not match (counted, slot already
	                    * released); *take filled but nv12 */
};

void sc_frame_reader_init(struct sc_frame_reader *r, struct sc_session_shm *session,
                          sc_frame_seal_check_fn seal_check);
/* Takes ownership of fd (closed on failure too). Checks the session's frame
 * layout against the memory and the expected size; unmaps the previous
 * generation. */
bool sc_frame_reader_map(struct sc_frame_reader *r, int fd, bool dmabuf,
                         uint32_t width, uint32_t height);
void sc_frame_reader_unmap(struct sc_frame_reader *r);
/* Is a frame newer than the last taken one in the mailbox? */
bool sc_frame_reader_pending(const struct sc_frame_reader *r);
enum sc_frame_take_result sc_frame_reader_take(struct sc_frame_reader *r,
                                               struct sc_frame_take *take);
/* Does the NV12 view of a frame taken lie inside the current mapping of the
 * primary's frame memory (read in place, not from a copy)? One input of the
 * encoder process's per-frame zero-copy measurement (shadowcast_zero_copy). */
bool sc_frame_reader_in_place(const struct sc_frame_reader *r, const struct sc_frame_take *take);
/* Clears the slot's reader word of a frame taken (SC_FRAME_TAKEN). */
void sc_frame_reader_release(struct sc_frame_reader *r, const struct sc_frame_take *take);
void sc_frame_reader_finish(struct sc_frame_reader *r);

/* Checks a frame layout read from another process's shared memory: n_slots
 * slots of layout->slot_size bytes must fit mem_size, and the NV12 planes and
 * the seal must lie inside a slot, with overflow-safe arithmetic. false with
 * the reason in why (may be NULL). */
bool sc_frame_layout_check(const struct sc_frame_layout *layout, uint32_t n_slots, size_t mem_size,
                           char *why, size_t why_len);

#endif
