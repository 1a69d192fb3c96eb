/* Where a primary writes the checkpoint a new shadow starts from
 * (server/primary.c serve_checkpoint, session/session.h), and who removes it.
 * One file per primary process: CAPTURES/.checkpoint-primary-PID.bin, written
 * through PATH.tmp and renamed. The primary removes it once the new shadow has
 * loaded it, or when it exits; a primary killed with kill -9 cannot, so the
 * supervisor removes a dead primary's files when it starts the next primary
 * (by then no shadow that could still load them is kept) and when it stops,
 * and, at its start, those of any process that no longer exists (a server
 * killed with kill -9). */
#ifndef SC_SERVER_CHECKPOINT_FILE_H
#define SC_SERVER_CHECKPOINT_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The checkpoint path of process pid under root; false if it does not fit. */
bool sc_checkpoint_path(char *out, size_t len, const char *root, pid_t pid);

/* Removes pid's checkpoint and its .tmp, if there; logs what it removed. */
void sc_checkpoint_remove(const char *root, pid_t pid);

/* Removes the checkpoint files under root whose process no longer exists
 * (kill(pid, 0) answers ESRCH); a live process's are kept. */
void sc_checkpoint_remove_orphans(const char *root);

#endif
