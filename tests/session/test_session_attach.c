/* A child refuses a session block of another layout version or magic
 * (session/session_attach.c): an arena laid out as the supervisor lays it out
 * (server/supervisor.c session_init), its session block stamped with
 * the version under test, handed to a forked child over a socketpair the way
 * the supervisor hands it; the child runs sc_session_attach. Checked: the
 * right magic and version attach (the fixture is sound); a newer, an older
 * version and a wrong magic are refused, with an error that names both
 * versions (or both magics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/shm/doorbell.h"
#include "net/shm/fd_passing.h"
#include "session/session_attach.h"

#include "tests/lib/check.h"

#define LOG_CAP 64

static void make_log(struct sc_arena *a, const char *name, enum sc_arena_block_kind kind, uint32_t record_size)
{
	struct sc_arena_block b;
	size_t size = sc_input_log_block_size(LOG_CAP, record_size);
	struct sc_input_log log;
	check(sc_arena_block_create(a, name, kind, size, &b));
	check(sc_input_log_init(&log, sc_arena_ptr(a, b.off, b.size), b.size, LOG_CAP, record_size, 0));
}

/* Forks a child that attaches to an arena whose session block has this magic
 * and version; returns whether it attached, its stderr in err. */
static bool child_attaches(uint32_t magic, uint32_t version, char *err, size_t errlen)
{
	struct sc_arena *a = sc_arena_create("test-session-attach", 4u << 20);
	check(a && sc_arena_register(a, "supervisor") >= 0);
	struct sc_arena_block b;
	check(sc_arena_block_create(a, SC_SESSION_BLOCK, SC_BLOCK_RAW, sizeof(struct sc_session_shm), &b));
	struct sc_session_shm *s = sc_arena_ptr(a, b.off, sizeof(*s));
	check(s);
	s->magic = magic;
	s->version = version;
	make_log(a, SC_INPUT_LOG_BLOCK, SC_BLOCK_INPUT_LOG, sizeof(struct sc_input_event));
	make_log(a, SC_TICK_LOG_BLOCK, SC_BLOCK_TICK_LOG, sizeof(struct sc_tick_record));
	struct sc_input_log chat;
	check(sc_session_create_chat_log(a, &chat));
	check(sc_session_create_msg_rings(a)); /* as the supervisor does: every child finds them */
	int efd = sc_doorbell_eventfd();
	int sv[2], errpipe[2];
	check(efd >= 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0 && pipe(errpipe) == 0);
	fflush(stderr);
	pid_t pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		dup2(errpipe[1], 2);
		close(errpipe[0]);
		close(sv[0]);
		struct sc_session_view v;
		bool ok = sc_session_attach(&v, sv[1], "test-child", false, 5000);
		_exit(ok ? 0 : 3);
	}
	close(errpipe[1]);
	close(sv[1]);
	int fds[2] = {sc_arena_fd(a), efd};
	check(sc_fd_send(sv[0], SC_FD_KIND_ARENA, 0, sc_arena_size(a), fds, 2));
	size_t n = 0;
	ssize_t r;
	while (n + 1 < errlen && (r = read(errpipe[0], err + n, errlen - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	int status;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	close(errpipe[0]);
	close(sv[0]);
	close(efd);
	sc_arena_destroy(a);
	check(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3);
	return WEXITSTATUS(status) == 0;
}

static void expect_refused(uint32_t magic, uint32_t version)
{
	char err[4096], have[64], want[64];
	check(!child_attaches(magic, version, err, sizeof(err)));
	/* both sides named: what the block has and what this build wants */
	snprintf(have, sizeof(have), "magic %08x layout version %u", magic, version);
	snprintf(want, sizeof(want), "wants %08x layout version %u", SC_SESSION_MAGIC, SC_SESSION_LAYOUT_VERSION);
	if (!strstr(err, have) || !strstr(err, want) || !strstr(err, "test-child")) {
		fprintf(stderr, "refusal does not name both versions:\n%s\n", err);
		exit(1);
	}
}

int main(void)
{
	char err[4096];
	/* the fixture is what a supervisor of this build makes: it attaches */
	if (!child_attaches(SC_SESSION_MAGIC, SC_SESSION_LAYOUT_VERSION, err, sizeof(err))) {
		fprintf(stderr, "the matching session block was refused:\n%s\n", err);
		return 1;
	}
	expect_refused(SC_SESSION_MAGIC, SC_SESSION_LAYOUT_VERSION + 1); /* a newer supervisor */
	expect_refused(SC_SESSION_MAGIC, SC_SESSION_LAYOUT_VERSION - 1); /* an older one */
	expect_refused(SC_SESSION_MAGIC, 0);                             /* a block never stamped */
	expect_refused(0x53435354u, SC_SESSION_LAYOUT_VERSION);          /* not a session block */
	printf("session attach tests passed\n");
	return 0;
}
