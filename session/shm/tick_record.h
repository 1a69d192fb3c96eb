/* Tick record: one entry of the tick log (block SC_TICK_LOG_BLOCK, an
 * sc_input_log of these records, net/shm/input_log.h; layout version
 * SC_SESSION_LAYOUT_VERSION).
 *
 * Owners: the primary is the only writer; it appends one record after each
 * tick it completed and published (never for a tick that faulted), and never
 * waits for a reader (a reader too far behind finds a gap). Readers: the
 * shadow (replays exactly these records), the encoder's debug API, the
 * supervisor. The input log's append / peek give the ordering (the record is
 * copied in before the release of the write position, readers copy it out
 * after an acquire of it). */
#ifndef SC_SESSION_SHM_TICK_RECORD_H
#define SC_SESSION_SHM_TICK_RECORD_H
#include <stddef.h>
#include <stdint.h>

/* Which inputs a tick applied (input-log sequence range [seq_begin, seq_end),
 * of which n_inputs were applied: the rest were dropped by a restored primary,
 * server/input_drops.h), the state hash after it and the hash of its sound. Stamps are advisory,
 * records exact. */
struct sc_tick_record {
	uint32_t tick;
	uint32_t n_inputs;
	uint64_t seq_begin, seq_end;
	uint64_t hash;
	uint64_t done_ns;
	uint32_t audio_hash; /* the game's hash of the tick's sound (struct sc_game_audio.hash; also in hash) */
	uint32_t reserved;
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_tick_record) == 48, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, tick) == 0, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, n_inputs) == 4, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, seq_begin) == 8, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, seq_end) == 16, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, hash) == 24, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, done_ns) == 32, "sc_tick_record layout");
_Static_assert(offsetof(struct sc_tick_record, audio_hash) == 40, "sc_tick_record layout");

#endif
