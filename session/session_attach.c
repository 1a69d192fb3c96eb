#include "session/session_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/shm/input_event.h"
#include "net/shm/fd_passing.h"
#include "session/shm/game_msg.h"
#include "util/log.h"

const struct sc_session_ring_def sc_session_ring_defs[SC_SESSION_MSG_RINGS] = {
	[SC_SESSION_RING_EVENT] = {SC_MSG_EVENT_BLOCK, SC_MSG_EVENT, sizeof(struct sc_game_event_msg),
	                           SC_MSG_RING_CAPACITY},
	[SC_SESSION_RING_HAPTIC] = {SC_MSG_HAPTIC_BLOCK, SC_MSG_HAPTIC, sizeof(struct sc_haptic_msg),
	                            SC_MSG_RING_CAPACITY},
	[SC_SESSION_RING_NOTICE] = {SC_MSG_NOTICE_BLOCK, SC_MSG_NOTICE, sizeof(struct sc_notice_msg),
	                            SC_MSG_RING_CAPACITY},
	[SC_SESSION_RING_CHAT] = {SC_MSG_CHAT_BLOCK, SC_MSG_CHAT, sizeof(struct sc_chat_msg), SC_MSG_RING_CAPACITY},
	[SC_SESSION_RING_CHAT_IN] = {SC_MSG_CHAT_IN_BLOCK, SC_MSG_CHAT, sizeof(struct sc_chat_msg),
	                             SC_MSG_RING_CAPACITY},
};

bool sc_session_create_msg_rings(struct sc_arena *arena)
{
	for (int i = 0; i < SC_SESSION_MSG_RINGS; i++) {
		const struct sc_session_ring_def *d = &sc_session_ring_defs[i];
		struct sc_arena_block b;
		size_t size = sc_msg_ring_block_size(d->capacity);
		if (!sc_arena_block_create(arena, d->name, SC_BLOCK_MSG_RING, size, &b)) {
			sc_err("arena: cannot create block '%s' (%zu bytes)", d->name, size);
			return false;
		}
		if (!sc_msg_ring_format(sc_arena_ptr(arena, b.off, size), size, d->msg_type, d->payload_max)) {
			sc_err("arena: cannot format block '%s' as a message ring", d->name);
			return false;
		}
	}
	return true;
}

bool sc_session_create_chat_log(struct sc_arena *arena, struct sc_input_log *log)
{
	struct sc_arena_block b;
	size_t size = sc_input_log_block_size(SC_CHAT_LOG_CAPACITY, sizeof(struct sc_chat_record));
	if (!sc_arena_block_create(arena, SC_CHAT_LOG_BLOCK, SC_BLOCK_CHAT_LOG, size, &b)) {
		sc_err("arena: cannot create block '%s' (%zu bytes)", SC_CHAT_LOG_BLOCK, size);
		return false;
	}
	if (!sc_input_log_init(log, sc_arena_ptr(arena, b.off, b.size), b.size, SC_CHAT_LOG_CAPACITY,
	                       sizeof(struct sc_chat_record), 0)) {
		sc_err("arena: cannot format block '%s' as a log", SC_CHAT_LOG_BLOCK);
		return false;
	}
	return true;
}

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

int sc_session_token_memfd(const char *api, const char *player, const char *spectator)
{
	char text[SC_SESSION_TOKENS_MAX];
	int n = snprintf(text, sizeof(text), "api %s\n%s%s%s%s%s%s", api, player[0] ? "player " : "", player,
	                 player[0] ? "\n" : "", spectator[0] ? "spectator " : "", spectator, spectator[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = memfd_create("shadowcast-tokens", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
		int e = errno ? errno : EIO;
		close(fd);
		errno = e;
		return -1;
	}
	explicit_bzero(text, sizeof(text));
	return fd;
}

/* The tokens from the supervisor's memfd: "role TOKEN" lines, each token
 * printable ASCII and bounded, roles known, the api one present. */
static bool read_tokens(int fd, struct sc_session_view *v)
{
	char buf[SC_SESSION_TOKENS_MAX + 1];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0 || (size_t)n >= sizeof(buf) - 1) {
		sc_err("the tokens from the supervisor are %s", n <= 0 ? "missing" : "too long");
		return false;
	}
	buf[n] = '\0';
	bool ok = true;
	for (char *line = buf, *next; ok && *line; line = next) {
		next = strchr(line, '\n');
		if (!next) {
			ok = false;
			break;
		}
		*next++ = '\0';
		char *sp = strchr(line, ' ');
		char *dst = NULL;
		if (sp) {
			*sp = '\0';
			dst = strcmp(line, "api") == 0 ? v->api_token : strcmp(line, "player") == 0 ? v->player_token :
			      strcmp(line, "spectator") == 0 ? v->spectator_token : NULL;
		}
		size_t len = sp ? strlen(sp + 1) : 0;
		ok = dst && len > 0 && len < SC_SESSION_TOKEN_MAX;
		for (size_t i = 0; ok && i < len; i++)
			ok = sp[1 + i] > ' ' && sp[1 + i] <= '~';
		if (ok)
			memcpy(dst, sp + 1, len + 1);
	}
	explicit_bzero(buf, sizeof(buf));
	if (!ok || !v->api_token[0]) {
		sc_err("the tokens from the supervisor are malformed");
		return false;
	}
	return true;
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
	bool token_ok = hello.nfds < 3 || read_tokens(fds[2], v);
	for (uint32_t i = 2; i < hello.nfds; i++)
		close(fds[i]);
	if (keep_doorbell)
		v->doorbell_fd = fds[1];
	else
		close(fds[1]);
	if (!token_ok) {
		close(fds[0]);
		return false;
	}
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
	if (!(mem = find_block(v->arena, SC_CHAT_LOG_BLOCK, SC_BLOCK_CHAT_LOG, 0, &size)) ||
	    !sc_input_log_attach(&v->chats, mem, size, sizeof(struct sc_chat_record))) {
		sc_err("block '%s' is not a log of %zu-byte chat records", SC_CHAT_LOG_BLOCK,
		       sizeof(struct sc_chat_record));
		return false;
	}
	for (int i = 0; i < SC_SESSION_MSG_RINGS; i++) {
		const struct sc_session_ring_def *d = &sc_session_ring_defs[i];
		if (!(mem = find_block(v->arena, d->name, SC_BLOCK_MSG_RING, 0, &size)) ||
		    !sc_msg_ring_attach(&v->rings[i], mem, size, d->msg_type, d->payload_max)) {
			sc_err("block '%s' is not a message ring of type %u with %u-byte payloads", d->name,
			       (unsigned)d->msg_type, d->payload_max);
			return false;
		}
		/* payload blocks (session/shm/msg_ring.h): the encoder writes
		 * msg-chat-in, the primary every other ring; these are the roles
		 * both register under (server/primary.c, server/encoder_process.c) */
		bool in = i == SC_SESSION_RING_CHAT_IN;
		sc_msg_ring_set_arena(&v->rings[i], v->arena, in ? SC_SESSION_ROLE_ENCODER : SC_SESSION_ROLE_PRIMARY,
		                      in ? SC_SESSION_ROLE_PRIMARY : SC_SESSION_ROLE_ENCODER);
	}
	return true;
}
