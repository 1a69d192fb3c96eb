/* Arena: memfd + seals, fd passing with the version handshake, registry of
 * named blocks, offsets across processes, and recovery when a process dies:
 * kill -9 while holding the arena lock, in the middle of allocator
 * operations, and in the middle of writing a ring. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "net/shm/arena.h"
#include "net/shm/buddy.h"
#include "net/shm/fd_passing.h"
#include "net/shm/spsc_ring.h"
#include "shm_test.h"

#define ARENA_SIZE (4u << 20)

static void test_seals_and_layout(void)
{
	struct sc_arena *a = sc_arena_create("test", ARENA_SIZE);
	CHECK(a);
	CHECK(ftruncate(sc_arena_fd(a), ARENA_SIZE * 2) != 0); /* F_SEAL_GROW */
	CHECK(ftruncate(sc_arena_fd(a), 4096) != 0);           /* F_SEAL_SHRINK */
	CHECK(sc_arena_ptr(a, ARENA_SIZE - 8, 8) != NULL);
	CHECK(sc_arena_ptr(a, ARENA_SIZE - 8, 9) == NULL);
	CHECK(sc_arena_ptr(a, UINT64_MAX, 1) == NULL);
	CHECK_EQ(sc_arena_off(a, sc_arena_ptr(a, 4096, 1)), 4096);

	/* A memfd without size seals is refused (a peer could truncate it). */
	int fd = memfd_create("unsealed", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, ARENA_SIZE) == 0);
	CHECK(sc_arena_map(fd) == NULL); /* closes fd */

	/* A sealed fd with garbage in it is refused (magic). */
	fd = memfd_create("garbage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(ftruncate(fd, ARENA_SIZE) == 0);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
	CHECK(sc_arena_map(fd) == NULL);
	sc_arena_destroy(a);
	sc_arena_destroy(NULL);
}

/* struct arena_admin (net/shm/arena.c) starts: u64 magic, u32 layout_version, u32
 * next_slot, u64 arena_size, admin_size, buddy_off, pool_off, pool_size. */
#define ADM_BUDDY_OFF 32
#define ADM_POOL_SIZE 48

static uint64_t rd64(const void *base, size_t off)
{
	uint64_t v;
	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

static void wr64(void *base, size_t off, uint64_t v)
{
	memcpy((uint8_t *)base + off, &v, sizeof(v));
}

/* A peer wrote over the administrative region: mapping refuses a layout
 * whose offsets wrap or whose allocator header does not fit (overflow-safe
 * checks), and a mapped arena whose allocator header is overwritten later
 * refuses to allocate or free instead of indexing past its metadata. */
static void test_hostile_admin(void)
{
	struct sc_arena *a = sc_arena_create("hostile", ARENA_SIZE);
	CHECK(a);
	uint8_t *base = sc_arena_ptr(a, 0, 4096);
	CHECK(base);
	const uint64_t buddy_off = rd64(base, ADM_BUDDY_OFF);
	struct sc_buddy *b = sc_arena_ptr(a, buddy_off, sizeof(*b));
	CHECK(b);
	struct sc_buddy saved = *b;
	uint64_t off;

	/* a buddy offset that wraps: buddy_off + meta size overflows to small */
	wr64(base, ADM_BUDDY_OFF, UINT64_MAX - 4095);
	CHECK(sc_arena_map(dup(sc_arena_fd(a))) == NULL);
	wr64(base, ADM_BUDDY_OFF, buddy_off + 4); /* misaligned */
	CHECK(sc_arena_map(dup(sc_arena_fd(a))) == NULL);
	wr64(base, ADM_BUDDY_OFF, buddy_off);
	/* a pool size that does not match the allocator */
	uint64_t pool = rd64(base, ADM_POOL_SIZE);
	wr64(base, ADM_POOL_SIZE, pool / 2);
	CHECK(sc_arena_map(dup(sc_arena_fd(a))) == NULL);
	wr64(base, ADM_POOL_SIZE, pool);
	/* allocator headers: more nodes than the metadata holds (consistent with
	 * themselves), an order that cannot exist */
	b->nnodes = saved.nnodes * 4;
	b->pool_size = saved.pool_size * 4;
	b->max_order = saved.max_order + 2;
	CHECK(sc_arena_map(dup(sc_arena_fd(a))) == NULL);
	*b = saved;
	b->max_order = 200;
	CHECK(sc_arena_map(dup(sc_arena_fd(a))) == NULL);
	*b = saved;

	/* intact again: maps; then the header is overwritten under a mapped arena */
	struct sc_arena *m = sc_arena_map(dup(sc_arena_fd(a)));
	CHECK(m);
	CHECK(sc_arena_register(m, "peer") >= 0);
	CHECK(sc_arena_alloc(m, 4096, &off));
	b->nnodes = saved.nnodes * 4;
	b->pool_size = saved.pool_size * 4;
	b->max_order = saved.max_order + 2;
	uint64_t off2;
	CHECK(!sc_arena_alloc(m, 4096, &off2));
	CHECK(!sc_arena_free(m, off));
	CHECK(!sc_arena_block_create(m, "x", SC_BLOCK_RAW, 64, NULL));
	b->nnodes = saved.nnodes; /* the header only: the lists have moved on */
	b->pool_size = saved.pool_size;
	b->max_order = saved.max_order;
	CHECK(sc_buddy_check(b));
	CHECK(sc_arena_free(m, off));
	/* a free-list link out of range: repaired, the allocation is in the pool */
	b->free_head[0] = 0x7ffffff0u;
	CHECK(sc_arena_alloc(m, 2048, &off));
	CHECK(off >= buddy_off && sc_arena_ptr(m, off, 2048) != NULL);
	CHECK_EQ(b->corrupt, 1);
	CHECK(sc_arena_free(m, off));
	sc_arena_unregister(m);
	sc_arena_destroy(m);
	sc_arena_destroy(a);
}

static void test_registry(void)
{
	struct sc_arena *a = sc_arena_create("test", ARENA_SIZE);
	CHECK(a);
	CHECK(sc_arena_register(a, "supervisor") >= 0);
	struct sc_arena_stats st0;
	sc_arena_stats(a, &st0);
	struct sc_arena_block blk, found;
	CHECK(sc_arena_block_create(a, "ring.a", SC_BLOCK_SPSC_RING, 10000, &blk));
	CHECK_EQ(blk.off % 64, 0);
	CHECK_EQ(blk.size, 10000);
	CHECK(!sc_arena_block_create(a, "ring.a", SC_BLOCK_RAW, 10, NULL)); /* duplicate */
	CHECK(!sc_arena_block_create(a, "", SC_BLOCK_RAW, 10, NULL));
	CHECK(!sc_arena_block_create(a, "a-name-that-is-far-too-long-for-the-registry", 1, 10, NULL));
	CHECK(sc_arena_block_find(a, "ring.a", &found));
	CHECK_EQ(found.off, blk.off);
	CHECK_EQ(found.kind, SC_BLOCK_SPSC_RING);
	CHECK_EQ(found.owner, sc_arena_slot(a));
	CHECK(!sc_arena_block_find(a, "nope", &found));
	uint8_t *p = sc_arena_ptr(a, blk.off, blk.size);
	CHECK(p && p[0] == 0 && p[9999] == 0); /* zeroed */

	uint64_t off;
	CHECK(sc_arena_alloc(a, 5000, &off));
	CHECK(!sc_arena_free(a, off + 2048));
	CHECK(sc_arena_free(a, off));
	CHECK(!sc_arena_free(a, off)); /* double free refused */
	CHECK(!sc_arena_alloc(a, ARENA_SIZE, &off)); /* exhaustion is an error */

	CHECK(sc_arena_block_destroy(a, "ring.a"));
	CHECK(!sc_arena_block_destroy(a, "ring.a"));
	struct sc_arena_stats st;
	sc_arena_stats(a, &st);
	CHECK_EQ(st.free_bytes, st0.free_bytes);
	CHECK_EQ(st.bad_free, 2);
	CHECK_EQ(st.blocks, 0);
	CHECK_EQ(st.procs, 1);
	sc_arena_unregister(a);
	sc_arena_stats(a, &st);
	CHECK_EQ(st.procs, 0);
	sc_arena_destroy(a);
}

/* Sends a hello with a wrong protocol version, as a newer/older peer would. */
static void send_bad_hello(int sock, int fd)
{
	struct sc_fd_hello h = {SC_FD_MAGIC, SC_FD_PROTO_VERSION + 1, SC_ARENA_LAYOUT_VERSION,
	                        SC_FD_KIND_ARENA, 1, 0, 0};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct iovec iov = {&h, sizeof(h)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK(sendmsg(sock, &msg, 0) == (ssize_t)sizeof(h));
}

static void test_fd_passing_and_offsets(void)
{
	struct sc_arena *a = sc_arena_create("test", ARENA_SIZE);
	CHECK(a && sc_arena_register(a, "supervisor") >= 0);
	struct sc_arena_stats st0;
	sc_arena_stats(a, &st0);
	struct sc_arena_block hello;
	CHECK(sc_arena_block_create(a, "hello", SC_BLOCK_RAW, 64, &hello));
	strcpy(sc_arena_ptr(a, hello.off, 64), "from the supervisor");

	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		struct sc_fd_hello h;
		int fd;
		/* First transfer has a bad version: refused, fd closed. */
		CHECK(!sc_fd_recv(sv[1], SC_FD_KIND_ARENA, &h, &fd, 1, 5000));
		CHECK(sc_fd_recv(sv[1], SC_FD_KIND_ARENA, &h, &fd, 1, 5000));
		CHECK_EQ(h.arg, ARENA_SIZE);
		struct sc_arena *c = sc_arena_map(fd);
		CHECK(c);
		CHECK(sc_arena_register(c, "encoder") >= 0);
		struct sc_arena_block b;
		CHECK(sc_arena_block_find(c, "hello", &b));
		CHECK(strcmp(sc_arena_ptr(c, b.off, 64), "from the supervisor") == 0);
		struct sc_arena_block reply;
		CHECK(sc_arena_block_create(c, "reply", SC_BLOCK_RAW, 3000, &reply));
		strcpy(sc_arena_ptr(c, reply.off, 64), "from the encoder");
		uint64_t off;
		CHECK(sc_arena_alloc(c, 100000, &off)); /* left for the reaper */
		_exit(0);
	}
	close(sv[1]);
	int fd = sc_arena_fd(a);
	send_bad_hello(sv[0], fd);
	CHECK(sc_fd_send(sv[0], SC_FD_KIND_ARENA, 0, sc_arena_size(a), &fd, 1));
	CHECK_EQ(test_wait_child(pid, 20), 0);
	close(sv[0]);

	struct sc_arena_block reply;
	CHECK(sc_arena_block_find(a, "reply", &reply));
	CHECK(strcmp(sc_arena_ptr(a, reply.off, 64), "from the encoder") == 0);
	CHECK(reply.owner != sc_arena_slot(a));
	CHECK_EQ(sc_arena_reap(a, NULL, NULL), 1); /* the encoder exited */
	CHECK(!sc_arena_block_find(a, "reply", &reply));
	CHECK(sc_arena_block_find(a, "hello", &hello)); /* ours stays */
	struct sc_arena_stats st;
	sc_arena_stats(a, &st);
	CHECK_EQ(st.free_bytes, st0.free_bytes - 2048);
	CHECK_EQ(st.procs_reaped, 1);
	CHECK_EQ(st.blocks_reclaimed, 2);
	sc_arena_destroy(a);
}

struct dead_log {
	int calls;
	pid_t pid;
	char role[16];
};

static void on_dead(void *ud, int slot, pid_t pid, const char *role)
{
	struct dead_log *d = ud;
	d->calls++;
	d->pid = pid;
	snprintf(d->role, sizeof(d->role), "%s", role);
}

/* kill -9 of a process that holds the arena lock. */
static void test_kill_holding_lock(void)
{
	struct sc_arena *a = sc_arena_create("test", ARENA_SIZE);
	CHECK(a && sc_arena_register(a, "supervisor") >= 0);
	struct sc_arena_stats st0;
	sc_arena_stats(a, &st0);
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(sc_arena_register(a, "primary") >= 0);
		uint64_t off;
		for (int i = 0; i < 3; i++)
			CHECK(sc_arena_alloc(a, 3000, &off));
		CHECK(sc_arena_block_create(a, "primary.ticks", SC_BLOCK_RAW, 8192, NULL));
		CHECK(sc_arena_lock(a));
		CHECK(write(ready[1], "x", 1) == 1);
		for (int i = 0; i < 20000; i++)
			usleep(1000); /* killed long before */
		_exit(3);
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	kill(pid, SIGKILL);
	CHECK_EQ(test_wait_child(pid, 10), 128 + SIGKILL);

	/* The next locker gets EOWNERDEAD, repairs, reclaims the dead owner. */
	CHECK(sc_arena_lock(a));
	sc_arena_unlock(a);
	struct sc_arena_stats st;
	sc_arena_stats(a, &st);
	CHECK_EQ(st.lock_recoveries, 1);
	CHECK_EQ(st.free_bytes, st0.free_bytes);
	CHECK(!sc_arena_block_find(a, "primary.ticks", NULL));
	/* The death is still reported once to the supervisor. */
	struct dead_log d = {0};
	CHECK_EQ(sc_arena_reap(a, on_dead, &d), 1);
	CHECK_EQ(d.calls, 1);
	CHECK_EQ(d.pid, pid);
	CHECK(strcmp(d.role, "primary") == 0);
	CHECK_EQ(sc_arena_reap(a, on_dead, &d), 0);
	/* The survivors keep going. */
	uint64_t off;
	CHECK(sc_arena_alloc(a, 1000, &off));
	CHECK(sc_arena_free(a, off));
	sc_arena_destroy(a);
	close(ready[0]);
	close(ready[1]);
}

/* kill -9 at a random moment while the process hammers the allocator: it
 * may die inside an operation; survivors rebuild and reclaim. */
static void test_kill_mid_alloc(void)
{
	struct sc_arena *a = sc_arena_create("test", ARENA_SIZE);
	CHECK(a && sc_arena_register(a, "supervisor") >= 0);
	struct sc_arena_stats st0;
	sc_arena_stats(a, &st0);
	uint64_t rng = 7;
	int rounds = SC_TEST_SANITIZED ? 5 : 20;
	int ready[2];
	CHECK(pipe(ready) == 0);
	for (int round = 0; round < rounds; round++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			CHECK(sc_arena_register(a, "victim") >= 0);
			CHECK(write(ready[1], "x", 1) == 1);
			uint64_t offs[64] = {0}, s = (uint64_t)round + 1;
			for (uint64_t i = 0; i < 100000000; i++) {
				int k = (int)(test_rand(&s) % 64);
				if (offs[k]) {
					CHECK(sc_arena_free(a, offs[k]));
					offs[k] = 0;
				} else if (!sc_arena_alloc(a, 1 + test_rand(&s) % 50000, &offs[k])) {
					offs[k] = 0;
				}
			}
			_exit(0);
		}
		char c;
		CHECK(read(ready[0], &c, 1) == 1);
		/* Meanwhile the parent allocates too, contending for the lock. */
		uint64_t deadline = sc_now_ns() + (2 + test_rand(&rng) % 20) * 1000000ull;
		while (sc_now_ns() < deadline) {
			uint64_t off;
			if (sc_arena_alloc(a, 4096, &off))
				CHECK(sc_arena_free(a, off));
		}
		kill(pid, SIGKILL);
		CHECK_EQ(test_wait_child(pid, 10), 128 + SIGKILL);
		CHECK_EQ(sc_arena_reap(a, NULL, NULL), 1);
		struct sc_arena_stats st;
		sc_arena_stats(a, &st);
		CHECK_EQ(st.free_bytes, st0.free_bytes);
		CHECK_EQ(st.procs, 1);
	}
	/* Whole pool usable again: allocate it all in 2 KiB blocks. */
	struct sc_arena_stats st;
	sc_arena_stats(a, &st);
	uint64_t n = 0, off;
	while (sc_arena_alloc(a, 2048, &off))
		n++;
	CHECK_EQ(n * 2048, st.free_bytes);
	close(ready[0]);
	close(ready[1]);
	sc_arena_destroy(a);
}

/* kill -9 in the middle of writing ring records: the reader only ever sees
 * whole records, and a restarted writer carries on in the same ring. */
static void ring_writer(struct sc_arena *a, uint64_t ring_off, size_t ring_size, uint32_t gen)
{
	struct sc_spsc_ring w;
	CHECK(sc_spsc_ring_attach(&w, sc_arena_ptr(a, ring_off, ring_size), ring_size));
	uint8_t msg[512];
	uint64_t s = gen;
	for (uint32_t seq = 0; seq < 100000000; seq++) {
		uint32_t n = 12 + (uint32_t)(test_rand(&s) % 400);
		memcpy(msg, &gen, 4);
		memcpy(msg + 4, &seq, 4);
		for (uint32_t i = 12; i < n; i++)
			msg[i] = (uint8_t)(seq + i);
		uint32_t sum = test_checksum(msg + 12, n - 12);
		memcpy(msg + 8, &sum, 4);
		while (sc_spsc_ring_write(&w, 1, msg, n) == SC_RING_FULL)
			;
	}
	_exit(0);
}

static void test_kill_mid_write(void)
{
	struct sc_arena *a = sc_arena_create("test", ARENA_SIZE);
	CHECK(a && sc_arena_register(a, "supervisor") >= 0);
	const size_t ring_size = sc_spsc_ring_block_size(16384);
	struct sc_arena_block blk;
	CHECK(sc_arena_block_create(a, "ring.w", SC_BLOCK_SPSC_RING, ring_size, &blk));
	struct sc_spsc_ring r;
	CHECK(sc_spsc_ring_init(&r, sc_arena_ptr(a, blk.off, ring_size), ring_size));

	uint64_t total = 0;
	for (uint32_t gen = 1; gen <= 3; gen++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			ring_writer(a, blk.off, ring_size, gen);
		uint32_t expect = 0;
		uint64_t kill_at = sc_now_ns() + 50000000ull, deadline = kill_at + 5000000000ull;
		bool killed = false;
		uint8_t msg[512];
		for (;;) {
			if (!killed && sc_now_ns() >= kill_at) {
				kill(pid, SIGKILL);
				CHECK_EQ(test_wait_child(pid, 10), 128 + SIGKILL);
				killed = true;
			}
			uint32_t type, len;
			enum sc_ring_result res = sc_spsc_ring_read_one(&r, &type, msg, sizeof(msg), &len);
			if (res == SC_RING_EMPTY) {
				if (killed)
					break; /* drained what the dead writer published */
				CHECK(sc_now_ns() < deadline);
				continue;
			}
			CHECK_EQ(res, SC_RING_SUCCESS);
			uint32_t g, seq, sum;
			memcpy(&g, msg, 4);
			memcpy(&seq, msg + 4, 4);
			memcpy(&sum, msg + 8, 4);
			CHECK_EQ(g, gen);
			CHECK_EQ(seq, expect);
			CHECK_EQ(sum, test_checksum(msg + 12, len - 12));
			expect++;
		}
		CHECK(expect > 0);
		total += expect;
	}
	CHECK_EQ(r.corrupt_count, 0);
	CHECK(total > 0);
	sc_arena_destroy(a);
}

int main(void)
{
	test_seals_and_layout();
	test_hostile_admin();
	test_registry();
	test_fd_passing_and_offsets();
	test_kill_holding_lock();
	test_kill_mid_alloc();
	test_kill_mid_write();
	printf("test_arena: ok\n");
	return 0;
}
