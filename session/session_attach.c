#include "session/session_attach.h"

#include <string.h>
#include <unistd.h>

#include "net/shm/input_event.h"
#include "net/shm/fd_passing.h"
#include "util/log.h"

static void *find_block(struct sc_arena *arena, const char *name, enum sc_arena_block_kind kind,
                        uint64_t min_size, uint64_t *size)
{
	struct sc_arena_block b;
	void *mem;
	if (!sc_arena_block_find(arena, name, &b)) {
		sc_err("arena has no '%s' block: was it created by a shadowcast supervisor?", name);
		return NULL;
	}
	if (b.kind != (uint32_t)kind) {
		sc_err("arena: block '%s' is of kind %u, want %u", name, b.kind, (unsigned)kind);
		return NULL;
	}
	if (b.size < min_size || !(mem = sc_arena_ptr(arena, b.off, b.size))) {
		sc_err("arena: block '%s' (%llu bytes at %llu) is too small or out of the arena", name,
		       (unsigned long long)b.size, (unsigned long long)b.off);
		return NULL;
	}
	*size = b.size;
	return mem;
}

bool sc_session_attach(struct sc_session_view *v, int ipc_fd, const char *role, bool keep_doorbell,
                       int timeout_ms)
{
	memset(v, 0, sizeof(*v));
	v->doorbell_fd = -1;
	struct sc_fd_hello hello;
	int fds[SC_FD_MAX];
	if (!sc_fd_recv(ipc_fd, SC_FD_KIND_ARENA, &hello, fds, SC_FD_MAX, timeout_ms)) {
		sc_err("no arena from the supervisor");
		return false;
	}
	if (hello.nfds < 2) {
		sc_err("the supervisor sent %u fds (want the arena memfd and the frame doorbell)", hello.nfds);
		for (uint32_t i = 0; i < hello.nfds; i++)
			close(fds[i]);
		return false;
	}
	for (uint32_t i = 2; i < hello.nfds; i++)
		close(fds[i]);
	if (keep_doorbell)
		v->doorbell_fd = fds[1];
	else
		close(fds[1]);
	if (!(v->arena = sc_arena_map(fds[0])))
		return false;
	if (sc_arena_register(v->arena, role) < 0) {
		sc_err("arena: the process registry is full");
		return false;
	}
	uint64_t size;
	void *mem = find_block(v->arena, SC_SESSION_BLOCK, SC_BLOCK_RAW, sizeof(struct sc_session_shm), &size);
	if (!mem)
		return false;
	v->session = mem;
	if (v->session->magic != SC_SESSION_MAGIC || v->session->version != SC_SESSION_LAYOUT_VERSION) {
		/* a supervisor of another build: every field past these two may mean something else */
		sc_err("session block has magic %08x layout version %u, this %s wants %08x layout version %u: the "
		       "supervisor is a different shadowcast build; run the same build for every process",
		       v->session->magic, v->session->version, role, SC_SESSION_MAGIC, SC_SESSION_LAYOUT_VERSION);
		return false;
	}
	if (!(mem = find_block(v->arena, SC_INPUT_LOG_BLOCK, SC_BLOCK_INPUT_LOG, 0, &size)) ||
	    !sc_input_log_attach(&v->inputs, mem, size, sizeof(struct sc_input_event))) {
		sc_err("block '%s' is not an input log of %zu-byte events", SC_INPUT_LOG_BLOCK,
		       sizeof(struct sc_input_event));
		return false;
	}
	if (!(mem = find_block(v->arena, SC_TICK_LOG_BLOCK, SC_BLOCK_TICK_LOG, 0, &size)) ||
	    !sc_input_log_attach(&v->ticks, mem, size, sizeof(struct sc_tick_record))) {
		sc_err("block '%s' is not a log of %zu-byte tick records", SC_TICK_LOG_BLOCK,
		       sizeof(struct sc_tick_record));
		return false;
	}
	return true;
}
