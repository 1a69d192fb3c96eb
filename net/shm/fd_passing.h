/* File descriptors over AF_UNIX with SCM_RIGHTS, with a version handshake:
 * every transfer carries a struct sc_fd_hello (magic, protocol version,
 * what the fds are, arena layout version). A mismatched peer is refused
 * with a clear error and the received fds are closed. */
#ifndef SC_NET_SHM_FD_PASSING_H
#define SC_NET_SHM_FD_PASSING_H
#include <stdbool.h>
#include <stdint.h>

#define SC_FD_MAX 8
#define SC_FD_MAGIC 0x53434644u /* "SCFD" */
#define SC_FD_PROTO_VERSION 1u

enum sc_fd_kind {
	SC_FD_KIND_ARENA = 1,    /* fds[0] = arena memfd */
	SC_FD_KIND_DOORBELL = 2, /* fds = eventfds */
	SC_FD_KIND_FRAME = 3,    /* exported GPU memory / frame memfds */
};

struct sc_fd_hello {
	uint32_t magic;
	uint32_t proto_version;
	uint32_t layout_version; /* SC_ARENA_LAYOUT_VERSION */
	uint32_t kind;           /* enum sc_fd_kind */
	uint32_t nfds;
	uint32_t tag;            /* caller-defined (e.g. which ring the doorbell is for) */
	uint64_t arg;            /* caller-defined (e.g. arena size) */
};

/* Sends nfds (1..SC_FD_MAX) descriptors with a hello of the given kind.
 * false on error (logged). */
bool sc_fd_send(int sock, uint32_t kind, uint32_t tag, uint64_t arg, const int *fds,
                uint32_t nfds);

/* Receives one transfer: fills *hello and fds (at most max_fds). Checks
 * magic, versions, kind == expected_kind (0 = any) and the fd count; on any
 * mismatch closes what came and returns false with a logged reason.
 * timeout_ms: -1 waits forever. */
bool sc_fd_recv(int sock, uint32_t expected_kind, struct sc_fd_hello *hello, int *fds,
                uint32_t max_fds, int timeout_ms);

#endif
