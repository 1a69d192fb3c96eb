/* Where each input-log record came from, in the encoder process (the input
 * log's one writer): log seq -> (client id, the client's message seq,
 * action). Bounded: one entry per input-log record slot, indexed by
 * seq % capacity with the full seq kept, so every record the log still holds
 * has its entry and an overwritten one is never mistaken for it. Inputs
 * without a client (the debug API's faults, --inputs scripts) get no entry.
 * Not thread-safe: the caller holds the input log's lock. */
#ifndef SC_SERVER_INPUT_ORIGINS_H
#define SC_SERVER_INPUT_ORIGINS_H
#include <stdbool.h>
#include <stdint.h>

struct sc_input_origin {
	uint64_t log_seq_plus1; /* 0 = empty */
	uint32_t client_id;
	uint32_t client_seq;
	uint8_t action;         /* enum sc_input_action */
};

struct sc_input_origins {
	struct sc_input_origin *entries;
	uint64_t capacity; /* power of two: the input log's */
};

/* capacity: a power of two (the input log's capacity). */
bool sc_input_origins_init(struct sc_input_origins *o, uint64_t capacity);
void sc_input_origins_finish(struct sc_input_origins *o);
void sc_input_origins_put(struct sc_input_origins *o, uint64_t log_seq, uint32_t client_id, uint32_t client_seq,
                          uint8_t action);
/* The origin of log_seq; false when it has none (no client, or overwritten). */
bool sc_input_origins_get(const struct sc_input_origins *o, uint64_t log_seq, struct sc_input_origin *out);

#endif
