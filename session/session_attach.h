/* A child's view of the session: the arena the supervisor handed it and the
 * session's named blocks in it (session/session.h), checked. Shared by the
 * primary, the shadow and the encoder process. */
#ifndef SC_SESSION_SESSION_ATTACH_H
#define SC_SESSION_SESSION_ATTACH_H
#include <stdbool.h>

#include "net/shm/arena.h"
#include "net/shm/input_log.h"
#include "session/msg_ring.h"
#include "session/session.h"

#define SC_SESSION_TOKEN_MAX 128 /* token characters + NUL */
#define SC_SESSION_TOKENS_MAX 512 /* the tokens memfd: three "role TOKEN" lines */

/* The typed message rings of a session (session/shm/msg_ring.h), in this
 * order: the outbound ones (primary -> encoder) first, then the inbound one
 * (encoder -> primary). */
/* The arena roles of the rings' producers (sc_session_attach's role). */
#define SC_SESSION_ROLE_PRIMARY "primary"
#define SC_SESSION_ROLE_ENCODER "encoder"

enum sc_session_msg_ring { SC_SESSION_RING_EVENT, SC_SESSION_RING_HAPTIC, SC_SESSION_RING_NOTICE,
	                   SC_SESSION_RING_CHAT, SC_SESSION_OUT_RINGS,
	                   SC_SESSION_RING_CHAT_IN = SC_SESSION_OUT_RINGS, SC_SESSION_MSG_RINGS };

struct sc_session_ring_def {
	const char *name;     /* arena block name (session/session.h) */
	uint16_t msg_type;    /* enum sc_msg_type */
	uint32_t payload_max; /* bytes */
	uint32_t capacity;    /* ring data bytes */
};
extern const struct sc_session_ring_def sc_session_ring_defs[SC_SESSION_MSG_RINGS];

/* Supervisor: creates and formats every message ring block (once per session). */
bool sc_session_create_msg_rings(struct sc_arena *arena);

/* Supervisor: creates and formats the chat log block (SC_CHAT_LOG_BLOCK,
 * SC_CHAT_LOG_CAPACITY records); log is the supervisor's view of it. */
bool sc_session_create_chat_log(struct sc_arena *arena, struct sc_input_log *log);

struct sc_session_view {
	struct sc_arena *arena;         /* mapped, this process registered as role */
	struct sc_session_shm *session;
	struct sc_input_log inputs;     /* SC_INPUT_LOG_BLOCK */
	struct sc_input_log ticks;      /* SC_TICK_LOG_BLOCK */
	struct sc_input_log chats;      /* SC_CHAT_LOG_BLOCK */
	struct sc_msg_ring rings[SC_SESSION_MSG_RINGS]; /* the typed message rings */
	int doorbell_fd;                /* the frame doorbell, or -1 when not kept */
	/* the tokens ("" when not sent: only the encoder process gets them; a
	 * role token "" also when the role is open) */
	char api_token[SC_SESSION_TOKEN_MAX];
	char player_token[SC_SESSION_TOKEN_MAX];
	char spectator_token[SC_SESSION_TOKEN_MAX];
};

/* The supervisor's side: a sealed memfd (F_SEAL_WRITE and the rest) holding
 * the tokens as lines "api TOKEN", "player TOKEN", "spectator TOKEN" (a line
 * only for a token that is set), sent as the third fd of the arena hello; -1
 * with errno on failure. */
int sc_session_token_memfd(const char *api, const char *player, const char *spectator);

/* Receives SC_FD_KIND_ARENA on ipc_fd (waiting up to timeout_ms), maps the
 * arena, registers as role and finds the session, input-log, tick-log and
 * chat-log blocks and the message rings; reads the tokens from a third fd when there is
 * one (each at most SC_SESSION_TOKEN_MAX - 1 printable characters, else a
 * failure). keep_doorbell false closes the frame doorbell fd. On failure (logged)
 * whatever was set up is in *v for the caller's own clean-up (arena may be set,
 * doorbell_fd may be >= 0). */
bool sc_session_attach(struct sc_session_view *v, int ipc_fd, const char *role, bool keep_doorbell,
                       int timeout_ms);

#endif
