#include "server/input_origins.h"

#include <stdlib.h>

bool sc_input_origins_init(struct sc_input_origins *o, uint64_t capacity)
{
	o->entries = NULL;
	o->capacity = 0;
	if (capacity == 0 || (capacity & (capacity - 1)) != 0 || capacity > (1ull << 32))
		return false;
	o->entries = calloc((size_t)capacity, sizeof(*o->entries));
	if (!o->entries)
		return false;
	o->capacity = capacity;
	return true;
}

void sc_input_origins_finish(struct sc_input_origins *o)
{
	free(o->entries);
	o->entries = NULL;
	o->capacity = 0;
}

void sc_input_origins_put(struct sc_input_origins *o, uint64_t log_seq, uint32_t client_id, uint32_t client_seq,
                          uint8_t action)
{
	if (!o->entries || log_seq == UINT64_MAX)
		return;
	o->entries[log_seq & (o->capacity - 1)] = (struct sc_input_origin){
		.log_seq_plus1 = log_seq + 1, .client_id = client_id, .client_seq = client_seq, .action = action,
	};
}

bool sc_input_origins_get(const struct sc_input_origins *o, uint64_t log_seq, struct sc_input_origin *out)
{
	if (!o->entries || log_seq == UINT64_MAX)
		return false;
	const struct sc_input_origin *e = &o->entries[log_seq & (o->capacity - 1)];
	if (e->log_seq_plus1 != log_seq + 1)
		return false;
	*out = *e;
	return true;
}
