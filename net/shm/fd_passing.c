#include "net/shm/fd_passing.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/shm/arena.h"
#include "util/log.h"

bool sc_fd_send(int sock, uint32_t kind, uint32_t tag, uint64_t arg, const int *fds,
                uint32_t nfds)
{
	if (nfds < 1 || nfds > SC_FD_MAX || !fds)
		return false;
	struct sc_fd_hello hello = {
		.magic = SC_FD_MAGIC,
		.proto_version = SC_FD_PROTO_VERSION,
		.layout_version = SC_ARENA_LAYOUT_VERSION,
		.kind = kind,
		.nfds = nfds,
		.tag = tag,
		.arg = arg,
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * SC_FD_MAX)];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct iovec iov = {.iov_base = &hello, .iov_len = sizeof(hello)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * nfds),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(hello)) {
		sc_err("fd passing: sendmsg: %s", n < 0 ? strerror(errno) : "short write");
		return false;
	}
	return true;
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

bool sc_fd_recv(int sock, uint32_t expected_kind, struct sc_fd_hello *hello, int *fds,
                uint32_t max_fds, int timeout_ms)
{
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	int pr;
	do
		pr = poll(&pfd, 1, timeout_ms);
	while (pr < 0 && errno == EINTR);
	if (pr <= 0) {
		sc_err("fd passing: %s", pr == 0 ? "timed out waiting for the peer" : strerror(errno));
		return false;
	}
	union {
		char buf[CMSG_SPACE(sizeof(int) * SC_FD_MAX)];
		struct cmsghdr align;
	} control;
	struct sc_fd_hello h;
	struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		sc_err("fd passing: recvmsg: %s", strerror(errno));
		return false;
	}

	int got[SC_FD_MAX];
	size_t ngot = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (ngot < SC_FD_MAX)
				got[ngot++] = fd;
			else
				close(fd);
		}
	}

	const char *why = NULL;
	if (msg.msg_flags & MSG_CTRUNC)
		why = "too many descriptors (control data truncated)";
	else if (n != (ssize_t)sizeof(h) || h.magic != SC_FD_MAGIC)
		why = "not a shadowcast fd transfer (bad size or magic)";
	else if (h.proto_version != SC_FD_PROTO_VERSION)
		why = "protocol version mismatch";
	else if (h.layout_version != SC_ARENA_LAYOUT_VERSION)
		why = "arena layout version mismatch";
	else if (expected_kind && h.kind != expected_kind)
		why = "unexpected kind of descriptors";
	else if (h.nfds != ngot || ngot == 0 || ngot > max_fds)
		why = "descriptor count mismatch";
	if (why) {
		sc_err("fd passing: refusing transfer: %s (peer proto %u layout %u, ours %u/%u)",
		       why, n == (ssize_t)sizeof(h) ? h.proto_version : 0,
		       n == (ssize_t)sizeof(h) ? h.layout_version : 0, SC_FD_PROTO_VERSION,
		       SC_ARENA_LAYOUT_VERSION);
		close_all(got, ngot);
		return false;
	}
	memcpy(fds, got, ngot * sizeof(int));
	if (hello)
		*hello = h;
	return true;
}
