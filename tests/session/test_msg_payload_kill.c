/* Payload blocks on the typed message rings (session/shm/msg_ring.h, "Payload
 * blocks"): a producer process and a consumer process on a real arena, each
 * killed with SIGKILL at every step of the hand-off (allocated, filled,
 * published; taken, copied, freed), with the dead producer reaped before or
 * after the consumer runs, and a restarted consumer that discards what its
 * predecessor left. Then a run where both are killed at random instants
 * (also inside the arena lock) and restarted. After every round, once every
 * process is reaped and a consumer has discarded the leftovers, the pool's
 * free bytes are exactly what they were at the start and no free was refused
 * (nothing freed twice). Also: forged and stale descriptors are refused and
 * never freed through. Label shm. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/shm/arena.h"
#include "session/msg_ring.h"
#include "tests/lib/check.h"

#define RING_CAP 4096u
#define PAYLOAD_MAX 32u
#define N_MSGS 6
#define ROLE_P "primary"
#define ROLE_C "encoder"

static struct sc_arena *arena;
static void *ring_mem;
static size_t ring_size;

static _Atomic int *stop; /* shared: a producer "forever" stops at the next message */
static int kill_step = -1; /* enum sc_msg_block_step to die at, in this process */
static int kill_nth;       /* ... at its nth occurrence */

static void hook(enum sc_msg_block_step s)
{
	if ((int)s == kill_step && --kill_nth == 0)
		raise(SIGKILL);
}

static void attach(struct sc_msg_ring *r, const char *role)
{
	check(sc_arena_register(arena, role) >= 0);
	check(sc_msg_ring_attach(r, ring_mem, ring_size, SC_MSG_NOTICE, PAYLOAD_MAX));
	sc_msg_ring_set_arena(r, arena, ROLE_P, ROLE_C);
	sc_msg_block_test_hook = hook;
}

static uint32_t msg_len(uint64_t seq)
{
	return 2000 + (uint32_t)(seq * 2749 % 9000); /* 2 KiB .. 16 KiB blocks */
}

static void fill(uint8_t *b, uint32_t len, uint64_t seq)
{
	memcpy(b, &seq, sizeof(seq));
	for (uint32_t i = sizeof(seq); i < len; i++)
		b[i] = (uint8_t)(seq * 31 + i);
}

static int bad_payloads, delivered;

static void verify(void *ud, const struct sc_msg_header *h, const void *payload)
{
	(void)ud;
	const uint8_t *b = payload;
	uint64_t seq;
	if (!(h->flags & SC_MSG_PAYLOAD_BLOCK) || h->payload_len < sizeof(seq)) {
		bad_payloads++;
		return;
	}
	memcpy(&seq, b, sizeof(seq));
	if (h->payload_len != msg_len(seq)) {
		bad_payloads++;
		return;
	}
	for (uint32_t i = sizeof(seq); i < h->payload_len; i++)
		if (b[i] != (uint8_t)(seq * 31 + i)) {
			bad_payloads++;
			return;
		}
	delivered++;
}

/* Producer: writes n block messages (seqs from first), tells the parent
 * through fd, then waits to be killed (it stays the blocks' live owner). */
static void producer(int fd, uint64_t first, int n, bool forever)
{
	struct sc_msg_ring r;
	attach(&r, ROLE_P);
	static uint8_t buf[SC_MSG_BLOCK_PAYLOAD_MAX];
	for (uint64_t seq = first; forever ? !atomic_load(stop) : seq < first + (uint64_t)n; seq++) {
		fill(buf, msg_len(seq), seq);
		if (!sc_msg_ring_write(&r, (uint32_t)seq, seq, SC_MSG_PRIORITY_GAME, 0, buf, msg_len(seq)) && forever)
			usleep(200); /* full ring (or pool): the consumer catches up */
	}
	char c = 1;
	check(write(fd, &c, 1) == 1);
	for (;;)
		pause();
}

/* Consumer: (as a restarted one) discards what a predecessor left unread, or
 * reads everything and checks each payload. Exit 0 when every payload was
 * whole. */
static void consumer(bool discard, bool forever, int ready_fd, int go_fd)
{
	struct sc_msg_ring r;
	attach(&r, ROLE_C);
	if (ready_fd >= 0) {
		/* registered: the producer gives it what it publishes from now on */
		char c = 1;
		check(write(ready_fd, &c, 1) == 1);
		check(read(go_fd, &c, 1) == 1);
	}
	if (discard) {
		sc_msg_ring_discard(&r);
		_exit(0);
	}
	do {
		if (!sc_msg_ring_read(&r, verify, NULL, 64) && forever)
			usleep(100);
	} while (forever);
	_exit(bad_payloads ? 100 : delivered); /* how many whole payloads */
}

/* a child never outlives a test that failed */
static void die_with_parent(void)
{
	check(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0);
}

static pid_t spawn_producer(int *fd, uint64_t first, int n, bool forever)
{
	int p[2];
	check(pipe(p) == 0);
	pid_t pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		die_with_parent();
		close(p[0]);
		producer(p[1], first, n, forever);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/* true: the producer wrote all it had; false: it died first (EOF). */
static bool producer_done(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	check(poll(&pfd, 1, 20000) == 1);
	char c;
	ssize_t n = read(fd, &c, 1);
	close(fd);
	return n == 1;
}

static pid_t spawn_consumer(bool discard, bool forever)
{
	pid_t pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		die_with_parent();
		consumer(discard, forever, -1, -1);
	}
	return pid;
}

/* A consumer that registers, then waits for *go (a byte) before it reads. */
static pid_t spawn_waiting_consumer(int *go)
{
	int ready[2], g[2];
	check(pipe(ready) == 0 && pipe(g) == 0);
	pid_t pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		die_with_parent();
		close(ready[0]);
		close(g[1]);
		consumer(false, false, ready[1], g[0]);
	}
	close(ready[1]);
	close(g[0]);
	check(producer_done(ready[0])); /* its ready byte */
	*go = g[1];
	return pid;
}

/* waits for pid (bounded: 20 s); its exit status, or -signal */
static int wait_for(pid_t pid)
{
	for (int i = 0; i < 20000; i++) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		check(w >= 0);
		if (w == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
		usleep(1000);
	}
	check(!"child did not finish in 20 s");
	return -1;
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	(void)wait_for(pid);
}

static void expect_flat(uint64_t free0, uint64_t bad_free0, const char *what)
{
	struct sc_arena_stats st;
	sc_arena_stats(arena, &st);
	if (st.free_bytes != free0 || st.bad_free != bad_free0 || st.procs != 1) {
		fprintf(stderr, "%s: free %llu (start %llu), bad_free %llu (start %llu), procs %u\n", what,
		        (unsigned long long)st.free_bytes, (unsigned long long)free0, (unsigned long long)st.bad_free,
		        (unsigned long long)bad_free0, st.procs);
		check(!"arena not back to its start");
	}
}

static struct sc_msg_ring_shm *shm(void)
{
	return ring_mem;
}

/* One round: the producer writes N_MSGS blocks (killed at its kill_nth
 * occurrence of pstep, or -1 never); the dead producer is reaped before the
 * consumer runs (reap_first) or after; the consumer reads (killed at the
 * nth occurrence of cstep); a restarted consumer discards the rest; every
 * process is reaped. */
static void round_once(int pstep, int cstep, int nth, bool reap_first, bool consumer_first, uint64_t *seq,
                       uint64_t free0, uint64_t bad0)
{
	int fd, go = -1;
	pid_t c = -1;
	kill_step = cstep;
	kill_nth = nth;
	if (consumer_first)
		c = spawn_waiting_consumer(&go); /* alive while the producer writes: it is given the blocks */
	kill_step = pstep;
	kill_nth = nth;
	pid_t p = spawn_producer(&fd, *seq, N_MSGS, false);
	bool whole = producer_done(fd);
	check(whole == (pstep < 0)); /* a producer step always happens N_MSGS times */
	*seq += N_MSGS;
	if (!whole) {
		check(wait_for(p) == -SIGKILL);
		if (reap_first)
			check(sc_arena_reap(arena, NULL, NULL) == 1);
	}
	int want = N_MSGS;
	if (consumer_first) {
		char b = 1;
		check(write(go, &b, 1) == 1);
		close(go);
		/* what it gets: every block published and given to it, even with its
		 * producer dead and reaped; one published and not yet given only
		 * while its dead producer is not reaped */
		if (pstep == SC_MSG_STEP_ALLOCATED || pstep == SC_MSG_STEP_FILLED)
			want = nth - 1;
		else if (pstep == SC_MSG_STEP_PUBLISHED)
			want = reap_first ? nth - 1 : nth;
		else if (pstep == SC_MSG_STEP_GIVEN)
			want = nth;
	} else {
		/* no consumer while it wrote: nothing was given; the blocks of a
		 * dead producer go with it once it is reaped */
		kill_step = cstep;
		kill_nth = nth;
		c = spawn_consumer(false, false);
		if (pstep == SC_MSG_STEP_ALLOCATED || pstep == SC_MSG_STEP_FILLED)
			want = reap_first ? 0 : nth - 1;
		else if (pstep >= 0)
			want = reap_first ? 0 : nth;
	}
	int st = wait_for(c);
	if (cstep >= 0)
		check(st == -SIGKILL);
	else if (st != want) {
		fprintf(stderr, "producer killed at step %d (%d), reaped %s: consumer got %d, want %d\n", pstep, nth,
		        reap_first ? "first" : "after", st, want);
		check(!"consumer delivered the wrong count");
	}
	kill_step = -1;
	pid_t c2 = spawn_consumer(true, false);
	check(wait_for(c2) == 0);
	sc_arena_reap(arena, NULL, NULL); /* the dead consumers */
	if (whole) {
		/* the producer lives on (as the primary does across encoder
		 * restarts): what it published was taken and freed by a consumer */
		struct sc_arena_stats as;
		sc_arena_stats(arena, &as);
		check(as.procs == 2 && as.free_bytes == free0 && as.bad_free == bad0);
		kill_wait(p);
		sc_arena_reap(arena, NULL, NULL);
	}
	expect_flat(free0, bad0, "round");
}

static void test_every_step(uint64_t free0, uint64_t bad0)
{
	uint64_t seq = 0;
	unsigned rounds = 0;
	for (int nth = 1; nth <= 3; nth++) {
		for (int first = 0; first < 2; first++) {
			for (int ps = SC_MSG_STEP_ALLOCATED; ps <= SC_MSG_STEP_GIVEN; ps++) {
				round_once(ps, -1, nth, true, first, &seq, free0, bad0);
				round_once(ps, -1, nth, false, first, &seq, free0, bad0);
				rounds += 2;
			}
			for (int cs = SC_MSG_STEP_TAKEN; cs <= SC_MSG_STEP_FREED; cs++) {
				round_once(-1, cs, nth, false, first, &seq, free0, bad0);
				rounds++;
			}
		}
	}
	round_once(-1, -1, 1, false, true, &seq, free0, bad0);
	round_once(-1, -1, 1, false, false, &seq, free0, bad0);
	/* the rounds did go through the blocks: taken and freed by consumers,
	 * refused after their dead producer was reaped */
	check(atomic_load(&shm()->blocks_written) > 0);
	check(atomic_load(&shm()->blocks_freed) > 0);
	check(atomic_load(&shm()->blocks_refused) > 0);
	printf("every step: %u rounds, %llu blocks published, %llu freed by consumers, %llu refused\n", rounds + 2,
	       (unsigned long long)atomic_load(&shm()->blocks_written),
	       (unsigned long long)atomic_load(&shm()->blocks_freed),
	       (unsigned long long)atomic_load(&shm()->blocks_refused));
}

/* Both sides running flat out, one of them killed at a random instant and
 * restarted, 60 times; then everything stopped and a last consumer discards. */
static void test_random_kills(uint64_t free0, uint64_t bad0)
{
	unsigned seed = 12345;
	int fd;
	kill_step = -1;
	uint64_t seq = 1u << 20;
	pid_t p = spawn_producer(&fd, seq, 0, true);
	pid_t c = spawn_consumer(false, true);
	unsigned kills_p = 0, kills_c = 0;
	for (int i = 0; i < 60; i++) {
		usleep(500 + rand_r(&seed) % 3000);
		if (rand_r(&seed) & 1) {
			kill_wait(p);
			close(fd);
			seq += 1u << 20;
			sc_arena_reap(arena, NULL, NULL);
			p = spawn_producer(&fd, seq, 0, true);
			kills_p++;
		} else {
			kill_wait(c);
			sc_arena_reap(arena, NULL, NULL);
			/* a restarted consumer: discards its predecessor's unread records, then reads on */
			pid_t d = spawn_consumer(true, false);
			check(wait_for(d) == 0);
			c = spawn_consumer(false, true);
			kills_c++;
		}
	}
	/* the producer stops between two messages and stays alive; the
	 * consumer is killed and its successor discards: every block the
	 * producer published is freed by a consumer, none by the reaper */
	atomic_store(stop, 1);
	check(producer_done(fd));
	kill_wait(c);
	sc_arena_reap(arena, NULL, NULL);
	pid_t d = spawn_consumer(true, false);
	check(wait_for(d) == 0);
	sc_arena_reap(arena, NULL, NULL);
	struct sc_arena_stats st;
	sc_arena_stats(arena, &st);
	check(st.procs == 2 && st.free_bytes == free0 && st.bad_free == bad0);
	kill_wait(p);
	sc_arena_reap(arena, NULL, NULL);
	expect_flat(free0, bad0, "random kills");
	printf("random kills: producer %u, consumer %u; %llu blocks published, %llu freed by consumers, %llu "
	       "refused\n",
	       kills_p, kills_c, (unsigned long long)atomic_load(&shm()->blocks_written),
	       (unsigned long long)atomic_load(&shm()->blocks_freed),
	       (unsigned long long)atomic_load(&shm()->blocks_refused));
}

/* In this process: descriptors that must not validate are refused, counted,
 * and never freed through (the blocks they name stay allocated). */
/* A process registered under role that waits to be killed; its slot in *slot. */
static pid_t spawn_registered(const char *role, int *slot)
{
	int p[2];
	check(pipe(p) == 0);
	pid_t pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		die_with_parent();
		close(p[0]);
		int sl = sc_arena_register(arena, role);
		check(write(p[1], &sl, sizeof(sl)) == (ssize_t)sizeof(sl));
		for (;;)
			pause();
	}
	close(p[1]);
	check(read(p[0], slot, sizeof(*slot)) == (ssize_t)sizeof(*slot) && *slot >= 0);
	close(p[0]);
	return pid;
}

static void test_forged(uint64_t free0, uint64_t bad0)
{
	struct sc_msg_ring w;
	check(sc_msg_ring_attach(&w, ring_mem, ring_size, SC_MSG_NOTICE, PAYLOAD_MAX));
	sc_msg_ring_set_arena(&w, arena, ROLE_P, ROLE_C); /* this process takes as the consumer would */
	struct sc_arena_block ring_blk;
	check(sc_arena_block_find(arena, "ring", &ring_blk));
	int other_slot, me = sc_arena_slot(arena);
	pid_t other = spawn_registered("shadow", &other_slot);
	uint64_t off;
	check(sc_arena_alloc(arena, 4096, &off));
	uint8_t *b = sc_arena_ptr(arena, off, 4096);
	const uint64_t tag = (uint64_t)(uint8_t)ROLE_P[0] << 8 | SC_MSG_NOTICE;
	const uint64_t G = 77u << 16 | tag, G2 = 78u << 16 | tag;
	struct sc_msg_block_hdr h = {.check = G, .len = 3000, .msg_type = SC_MSG_NOTICE};
	memcpy(b, &h, sizeof(h));
	fill(b + sizeof(h), 3000, 5);
	/* a block of a third role (neither the ring's producer nor the taker) */
	check(sc_arena_set_owner(arena, off, other_slot));
	uint8_t out[SC_MSG_BLOCK_PAYLOAD_MAX];
	const struct sc_msg_block_desc bad[] = {
		{.off = off, .gen = G, .len = 3000},            /* right size and gen, but a third role's block */
		{.off = off, .gen = G, .len = 100},             /* wrong size: a 2 KiB block is asked for */
		{.off = off, .gen = G, .len = 0},               /* empty */
		{.off = off, .gen = G, .len = SC_MSG_BLOCK_PAYLOAD_MAX + 1},
		{.off = off, .gen = 0, .len = 3000},            /* gen 0: a block being filled */
		{.off = off, .gen = G2, .len = 3000},           /* stale: another gen */
		{.off = off, .gen = 77u << 16 | (uint64_t)(uint8_t)ROLE_P[0] << 8 | SC_MSG_EVENT, .len = 3000}, /* another ring's */
		{.off = off, .gen = 77u << 16 | (uint64_t)(uint8_t)ROLE_C[0] << 8 | SC_MSG_NOTICE, .len = 3000}, /* another producer's */
		{.off = off + 2048, .gen = G, .len = 1000},     /* inside a block */
		{.off = UINT64_MAX - 8, .gen = G, .len = 3000}, /* wraps */
		{.off = 0, .gen = G, .len = 3000},              /* the admin region */
		{.off = ring_blk.off, .gen = G, .len = 3000},   /* a named block */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sc_msg_block_consume(&w, &bad[i], out, sizeof(out))) {
			fprintf(stderr, "forged descriptor %zu accepted\n", i);
			check(!"forged descriptor accepted");
		}
	/* given to the taker (as a producer gives a published block): taken, whole, freed */
	check(sc_arena_set_owner(arena, off, me));
	const struct sc_msg_block_desc good = {.off = off, .gen = G, .len = 3000};
	check(sc_msg_block_consume(&w, &good, out, sizeof(out)));
	uint8_t want[3000];
	fill(want, 3000, 5);
	check(memcmp(out, want, 3000) == 0);
	check(!sc_msg_block_consume(&w, &good, out, sizeof(out))); /* freed: gone */
	check(!sc_arena_free(arena, off));                          /* and freed once */
	struct sc_arena_stats as;
	sc_arena_stats(arena, &as);
	check(as.bad_free == bad0 + 1); /* that refused free, and no other */
	kill_wait(other);
	sc_arena_reap(arena, NULL, NULL);
	expect_flat(free0, bad0 + 1, "forged");
}

int main(void)
{
	stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(stop != MAP_FAILED);
	atomic_store(stop, 0);
	arena = sc_arena_create("test-msg-payload", 8u << 20);
	check(arena);
	check(sc_arena_register(arena, "supervisor") >= 0);
	ring_size = sc_msg_ring_block_size(RING_CAP);
	struct sc_arena_block blk;
	check(sc_arena_block_create(arena, "ring", SC_BLOCK_MSG_RING, ring_size, &blk));
	ring_mem = sc_arena_ptr(arena, blk.off, ring_size);
	check(ring_mem && sc_msg_ring_format(ring_mem, ring_size, SC_MSG_NOTICE, PAYLOAD_MAX));
	struct sc_arena_stats st;
	sc_arena_stats(arena, &st);
	const uint64_t free0 = st.free_bytes, bad0 = st.bad_free;

	test_every_step(free0, bad0);
	test_random_kills(free0, bad0);
	test_forged(free0, bad0);
	sc_arena_unregister(arena);
	sc_arena_destroy(arena);
	printf("ok\n");
	return 0;
}
