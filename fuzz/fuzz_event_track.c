/* libFuzzer: a restarted encoder process takes over the event track a dead
 * one left in its shared block (server/event_track.c, sc_event_track_adopt;
 * session/shm/event_track.h). Every byte of the block is the input (the
 * header, then 16..64 records). Adoption must refuse a block that is not a
 * track or keep only whole records: every id from the oldest held to the
 * newest answers with that id and a known tag; then the track records on
 * without reading or writing past the block. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/event_track.h"

#define MAX_RECORDS 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(64) uint8_t block[sizeof(struct sc_event_track_shm) + MAX_RECORDS * sizeof(struct sc_event)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(block, 0, sizeof(block));
	memcpy(block, data, size < sizeof(block) ? size : sizeof(block));
	/* the block's size as the arena gives it: up to the end of what came in */
	size_t len = size < sizeof(struct sc_event_track_shm) ? sizeof(struct sc_event_track_shm)
	                                                      : (size < sizeof(block) ? size : sizeof(block));
	struct sc_event_track t;
	uint32_t adopted, lost;
	if (!sc_event_track_adopt(&t, block, len, &adopted, &lost))
		return 0;
	if (t.retention < SC_EVENT_RETENTION_MIN || sc_event_track_block_size(t.retention) > len)
		abort();
	uint64_t oldest = sc_event_oldest_locked(&t);
	if (oldest == 0 || oldest > t.n + 1 || t.n + 1 - oldest != adopted)
		abort();
	for (uint64_t id = oldest; id <= t.n; id++) {
		const struct sc_event *e = sc_event_get_locked(&t, id);
		if (!e || e->id != id || e->tag >= SC_EV_TAGS)
			abort();
	}
	for (uint32_t i = 0; i < 3; i++) {
		struct sc_event e = {.tag = SC_EV_ENCODER, .tick = i};
		uint64_t id = sc_event_record(&t, &e);
		const struct sc_event *got = sc_event_get_locked(&t, id);
		if (!got || got->id != id || got->tick != i)
			abort();
	}
	sc_event_track_finish(&t);
	return 0;
}
