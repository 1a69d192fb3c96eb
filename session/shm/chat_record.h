/* Chat record: one entry of the chat log (block SC_CHAT_LOG_BLOCK, an
 * sc_input_log of these records, net/shm/input_log.h; layout version
 * SC_SESSION_LAYOUT_VERSION). The chat of the session's record: what the
 * players said, at the tick the game took it.
 *
 * Owners: the primary is the only writer; it appends one record for each
 * chat line it relays to the clients (the line it read from the encoder's
 * msg-chat-in ring and wrote to msg-chat), stamped with the tick it relayed
 * it at, after that tick ran and before its tick record (so a shadow that
 * holds a tick's record has every line of that tick). It never waits for a
 * reader. Readers: the shadows, lossy (sc_input_log_reader_attach_lossy),
 * which drain it into their own chat window for captures (chat.txt,
 * docs/captures.md); a reader that falls capacity records behind loses the
 * oldest lines and counts them. Every field is range-checked by the reader
 * (a peer may be corrupt). */
#ifndef SC_SESSION_SHM_CHAT_RECORD_H
#define SC_SESSION_SHM_CHAT_RECORD_H
#include <stddef.h>
#include <stdint.h>

#include "session/shm/game_msg.h" /* SC_CHAT_TEXT_MAX */

struct sc_chat_record {
	uint32_t tick;       /* the primary's tick when it relayed the line */
	uint32_t player;     /* 0..SC_MAX_PLAYERS-1 */
	uint32_t len;        /* 1..SC_CHAT_TEXT_MAX bytes of text */
	uint32_t reserved0;
	uint64_t capture_ns; /* that tick's capture time (CLOCK_MONOTONIC) */
	char text[SC_CHAT_TEXT_MAX]; /* UTF-8 as the client sent it (checked by the encoder), not NUL-terminated */
	uint8_t reserved[32];
};

/* Layout (SC_SESSION_LAYOUT_VERSION): change it, bump the version. */
_Static_assert(sizeof(struct sc_chat_record) == 256, "sc_chat_record layout");
_Static_assert(offsetof(struct sc_chat_record, tick) == 0, "sc_chat_record layout");
_Static_assert(offsetof(struct sc_chat_record, player) == 4, "sc_chat_record layout");
_Static_assert(offsetof(struct sc_chat_record, len) == 8, "sc_chat_record layout");
_Static_assert(offsetof(struct sc_chat_record, capture_ns) == 16, "sc_chat_record layout");
_Static_assert(offsetof(struct sc_chat_record, text) == 24, "sc_chat_record layout");
_Static_assert(offsetof(struct sc_chat_record, reserved) == 224, "sc_chat_record layout");

#endif
