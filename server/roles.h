/* The processes of a `shadowcast run` session besides the supervisor. Each runs
 * as `shadowcast __child ROLE --ipc-fd N <run options>` (server/child.c): ipc_fd
 * is its end of the AF_UNIX SOCK_SEQPACKET socketpair to the supervisor, over
 * which the start-up fds arrive (session/session.h). Each returns the process's
 * exit status; any exit is a crash to the supervisor, which restarts the role. */
#ifndef SC_SERVER_ROLES_H
#define SC_SERVER_ROLES_H

#include "server/config.h"

/* The primary game instance (server/primary.c). */
int sc_primary_main(int ipc_fd, const struct sc_run_config *cfg);

/* The encoder process, the network side (server/encoder_process.c). */
int sc_encoder_process_main(int ipc_fd, const struct sc_run_config *cfg);

/* The delayed shadow instance runs shadow/shadow_process.h's sc_shadow_main. */

#endif
