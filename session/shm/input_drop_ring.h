/* Input-drop ring: the last SC_INPUT_DROPS_RING inputs a restored primary
 * dropped, in the session block (input_drops[] and its count inputs_dropped;
 * layout version SC_SESSION_LAYOUT_VERSION). The writer and reader code is
 * server/input_drops.c.
 *
 * Owners: one writer at a time, the primary (the supervisor starts a
 * restored one only after the faulted one is gone). Readers: the encoder
 * process (tells each dropped input's client, debug API).
 * Ordering: drop number n goes to input_drops[n % SC_INPUT_DROPS_RING]; the
 * writer loads the count n, stores the entry's fields (release), then bumps
 * inputs_dropped to n + 1 with a seq_cst RMW. A reader copies entries
 * (acquire loads) and re-reads the count: entry i is whole unless the count
 * has since reached i + SC_INPUT_DROPS_RING. */
#ifndef SC_SESSION_SHM_INPUT_DROP_RING_H
#define SC_SESSION_SHM_INPUT_DROP_RING_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SC_INPUT_DROPS_RING 256

/* One input a restored primary dropped. */
struct sc_input_drop_shm {
	_Atomic uint64_t log_seq; /* input-log sequence of the dropped event */
	_Atomic uint32_t tick;    /* the tick it would have been applied at */
	_Atomic uint32_t reason;  /* enum sc_input_drop_reason (server/input_drops.h) */
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_input_drop_shm) == 16, "sc_input_drop_shm layout");
_Static_assert(offsetof(struct sc_input_drop_shm, log_seq) == 0, "sc_input_drop_shm layout");
_Static_assert(offsetof(struct sc_input_drop_shm, tick) == 8, "sc_input_drop_shm layout");
_Static_assert(offsetof(struct sc_input_drop_shm, reason) == 12, "sc_input_drop_shm layout");

#endif
