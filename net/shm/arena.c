#include "net/shm/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net/shm/buddy.h"
#include "net/shm/sc_atomic.h"
#include "util/log.h"

enum { PROC_FREE = 0, PROC_LIVE = 1, PROC_DEAD = 2, PROC_REAPING = 3 };

struct arena_proc {
	uint32_t state;
	int32_t pid;
	uint64_t start_time; /* /proc/PID/stat field 22: tells a reused pid apart */
	char role[SC_ARENA_ROLE_MAX];
};

struct arena_entry {
	char name[SC_ARENA_NAME_MAX];
	uint32_t in_use;
	uint32_t kind;
	int32_t owner;
	uint32_t pad;
	uint64_t off;
	uint64_t size;
};

/* The administrative region, at offset 0. */
struct arena_admin {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t next_slot; /* where sc_arena_register looks for a free slot first (a peer's word: taken % MAX) */
	uint64_t arena_size;
	uint64_t admin_size;
	uint64_t buddy_off; /* buddy metadata, inside the admin region */
	uint64_t pool_off;
	uint64_t pool_size;
	_Alignas(SC_CACHE_LINE) pthread_mutex_t lock;
	int32_t lock_holder; /* pid, for recovery after EOWNERDEAD */
	uint64_t lock_recoveries;
	uint64_t procs_reaped;
	uint64_t blocks_reclaimed;
	struct arena_proc procs[SC_ARENA_MAX_PROCS];
	struct arena_entry blocks[SC_ARENA_MAX_BLOCKS];
};

struct sc_arena {
	int fd;
	uint8_t *base;
	size_t size;
	struct arena_admin *adm;
	struct sc_buddy *buddy;
	/* trusted copies, checked when mapped: the shared ones can be rewritten */
	uint64_t pool_off, pool_size;
	size_t buddy_meta; /* bytes from the buddy metadata to the admin region's end */
	int slot;
	pid_t pid;
	unsigned fork_gen;
};

/* A handle inherited across fork() belongs to the parent's registration:
 * the child sees a new generation and becomes an unregistered process. */
static unsigned arena_fork_gen;
static pthread_once_t arena_atfork_once = PTHREAD_ONCE_INIT;

static void arena_on_fork_child(void)
{
	__atomic_fetch_add(&arena_fork_gen, 1, __ATOMIC_RELAXED);
}

static void arena_install_atfork(void)
{
	pthread_atfork(NULL, NULL, arena_on_fork_child);
}

static void arena_check_fork(struct sc_arena *arena)
{
	unsigned gen = __atomic_load_n(&arena_fork_gen, __ATOMIC_RELAXED);
	if (arena->fork_gen != gen) {
		arena->fork_gen = gen;
		arena->pid = getpid();
		arena->slot = -1;
	}
}

#define PAGE 4096ull

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Start time of pid (clock ticks since boot); 0 if the process is gone or a
 * zombie. */
static uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p || p[1] != ' ')
		return 0;
	char state = p[2];
	if (state == 'Z' || state == 'X' || state == 'x')
		return 0;
	/* field 3 is the state; start time is field 22 */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

/* A registered process has exited (even as a zombie not yet waited for), or
 * its pid now belongs to another process. */
static bool proc_is_dead(pid_t pid, uint64_t start_time)
{
	if (pid <= 0)
		return true;
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		if (errno == ESRCH)
			return true;
	} else {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int r = poll(&p, 1, 0);
		close(pfd);
		if (r > 0)
			return true; /* pidfd readable: the process has exited */
	}
	return proc_start_time(pid) != start_time;
}

/* ---- locking ---- */

/* Under the lock: the allocator's shared header still describes the pool this
 * process mapped (a peer may have written over it); else nothing is done. */
static bool buddy_ok_locked(struct sc_arena *arena)
{
	const struct sc_buddy *b = arena->buddy;
	if (sc_buddy_header_ok(b, arena->buddy_meta) && b->pool_size <= arena->pool_size)
		return true;
	sc_err("arena: the allocator's metadata was overwritten (pool of %llu bytes, %u nodes): refusing to use it",
	       (unsigned long long)b->pool_size, b->nnodes);
	return false;
}

static void arena_reclaim_slot_locked(struct sc_arena *arena, int slot);

bool sc_arena_lock(struct sc_arena *arena)
{
	struct arena_admin *adm = arena->adm;
	arena_check_fork(arena);
	int r = pthread_mutex_lock(&adm->lock);
	if (r == EOWNERDEAD) {
		pid_t dead = adm->lock_holder;
		adm->lock_recoveries++;
		sc_warn("arena: process %d died holding the arena lock; recovering", (int)dead);
		/* It may have died in the middle of an allocator operation. */
		if (buddy_ok_locked(arena))
			sc_buddy_rebuild(arena->buddy);
		for (int i = 0; i < SC_ARENA_MAX_PROCS; i++) {
			struct arena_proc *p = &adm->procs[i];
			if (p->state == PROC_LIVE && p->pid == dead &&
			    proc_is_dead(p->pid, p->start_time)) {
				arena_reclaim_slot_locked(arena, i);
				p->state = PROC_DEAD; /* sc_arena_reap still reports it */
			}
		}
		if (pthread_mutex_consistent(&adm->lock) != 0) {
			sc_err("arena: cannot make the lock consistent");
			pthread_mutex_unlock(&adm->lock);
			return false;
		}
	} else if (r != 0) {
		sc_err("arena: lock: %s", strerror(r));
		return false;
	}
	adm->lock_holder = arena->pid;
	return true;
}

void sc_arena_unlock(struct sc_arena *arena)
{
	arena->adm->lock_holder = 0;
	pthread_mutex_unlock(&arena->adm->lock);
}

/* ---- create / map ---- */

static struct sc_arena *arena_wrap(int fd, uint8_t *base, size_t size)
{
	struct sc_arena *arena = calloc(1, sizeof(*arena));
	if (!arena)
		return NULL;
	arena->fd = fd;
	arena->base = base;
	arena->size = size;
	arena->adm = (struct arena_admin *)base;
	arena->buddy = (struct sc_buddy *)(base + arena->adm->buddy_off);
	arena->pool_off = arena->adm->pool_off;
	arena->pool_size = arena->adm->pool_size;
	arena->buddy_meta = (size_t)(arena->adm->admin_size - arena->adm->buddy_off);
	arena->slot = -1;
	arena->pid = getpid();
	pthread_once(&arena_atfork_once, arena_install_atfork);
	arena->fork_gen = __atomic_load_n(&arena_fork_gen, __ATOMIC_RELAXED);
	return arena;
}

static bool arena_format(uint8_t *base, size_t size)
{
	struct arena_admin *adm = (struct arena_admin *)base;
	uint64_t buddy_off = round_up(sizeof(*adm), SC_CACHE_LINE);
	/* The metadata for the whole size bounds the metadata for the pool. */
	uint64_t admin_size = round_up(buddy_off + sc_buddy_meta_size(size), PAGE);
	if (admin_size + SC_BUDDY_MIN_BLOCK > size) {
		sc_err("arena: %zu bytes is too small", size);
		return false;
	}
	memset(adm, 0, sizeof(*adm));
	adm->layout_version = SC_ARENA_LAYOUT_VERSION;
	adm->arena_size = size;
	adm->admin_size = admin_size;
	adm->buddy_off = buddy_off;
	adm->pool_off = admin_size;
	adm->pool_size = (size - admin_size) / SC_BUDDY_MIN_BLOCK * SC_BUDDY_MIN_BLOCK;
	if (!sc_buddy_init((struct sc_buddy *)(base + buddy_off), adm->pool_size))
		return false;

	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	int r = pthread_mutex_init(&adm->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (r != 0) {
		sc_err("arena: mutex init: %s", strerror(r));
		return false;
	}
	SC_STORE_RELEASE(&adm->magic, SC_ARENA_MAGIC);
	return true;
}

struct sc_arena *sc_arena_create(const char *name, size_t size)
{
	size = round_up(size, PAGE);
	int fd = memfd_create(name ? name : "shadowcast-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		sc_err("arena: memfd_create: %s", strerror(errno));
		return NULL;
	}
	uint8_t *base = MAP_FAILED;
	struct sc_arena *arena = NULL;
	if (ftruncate(fd, (off_t)size) != 0) {
		sc_err("arena: ftruncate(%zu): %s", size, strerror(errno));
		goto error_fd;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
		sc_err("arena: seal: %s", strerror(errno));
		goto error_fd;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		sc_err("arena: mmap: %s", strerror(errno));
		goto error_fd;
	}
	if (!arena_format(base, size))
		goto error_map;
	arena = arena_wrap(fd, base, size);
	if (!arena)
		goto error_map;
	return arena;

error_map:
	munmap(base, size);
error_fd:
	close(fd);
	return NULL;
}

struct sc_arena *sc_arena_map(int fd)
{
	struct stat st;
	uint8_t *base = MAP_FAILED;
	if (fstat(fd, &st) != 0) {
		sc_err("arena: fstat: %s", strerror(errno));
		goto error_fd;
	}
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
		sc_err("arena: fd is not size-sealed; refusing to map it");
		goto error_fd;
	}
	size_t size = (size_t)st.st_size;
	if (size < PAGE) {
		sc_err("arena: fd of %zu bytes is too small", size);
		goto error_fd;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		sc_err("arena: mmap: %s", strerror(errno));
		goto error_fd;
	}
	struct arena_admin *adm = (struct arena_admin *)base;
	if (SC_LOAD_ACQUIRE(&adm->magic) != SC_ARENA_MAGIC) {
		sc_err("arena: bad magic");
		goto error_map;
	}
	if (adm->layout_version != SC_ARENA_LAYOUT_VERSION) {
		sc_err("arena: layout version %u, this build speaks %u", adm->layout_version,
		       SC_ARENA_LAYOUT_VERSION);
		goto error_map;
	}
	/* overflow-safe: every offset and size is the peer's word */
	if (adm->arena_size != size || adm->pool_off != adm->admin_size ||
	    adm->admin_size > size || adm->pool_size > size - adm->pool_off ||
	    adm->buddy_off < sizeof(*adm) || adm->buddy_off % _Alignof(struct sc_buddy) != 0 ||
	    adm->buddy_off > adm->admin_size ||
	    sc_buddy_meta_size(adm->pool_size) > adm->admin_size - adm->buddy_off) {
		sc_err("arena: inconsistent layout in the administrative region");
		goto error_map;
	}
	const struct sc_buddy *b = (const struct sc_buddy *)(base + adm->buddy_off);
	if (!sc_buddy_header_ok(b, (size_t)(adm->admin_size - adm->buddy_off)) ||
	    b->pool_size != adm->pool_size / SC_BUDDY_MIN_BLOCK * SC_BUDDY_MIN_BLOCK) {
		sc_err("arena: the allocator's metadata does not match the layout");
		goto error_map;
	}
	struct sc_arena *arena = arena_wrap(fd, base, size);
	if (!arena)
		goto error_map;
	return arena;

error_map:
	munmap(base, st.st_size);
error_fd:
	close(fd);
	return NULL;
}

void sc_arena_destroy(struct sc_arena *arena)
{
	if (!arena)
		return;
	munmap(arena->base, arena->size);
	close(arena->fd);
	free(arena);
}

int sc_arena_fd(const struct sc_arena *arena) { return arena->fd; }
size_t sc_arena_size(const struct sc_arena *arena) { return arena->size; }
int sc_arena_slot(const struct sc_arena *arena)
{
	unsigned gen = __atomic_load_n(&arena_fork_gen, __ATOMIC_RELAXED);
	return arena->fork_gen == gen ? arena->slot : -1;
}

void *sc_arena_ptr(const struct sc_arena *arena, uint64_t off, uint64_t len)
{
	if (off > arena->size || len > arena->size - off)
		return NULL;
	return arena->base + off;
}

uint64_t sc_arena_off(const struct sc_arena *arena, const void *ptr)
{
	const uint8_t *p = ptr;
	if (p < arena->base || p >= arena->base + arena->size)
		return UINT64_MAX;
	return (uint64_t)(p - arena->base);
}

/* ---- registry ---- */

static void arena_reclaim_slot_locked(struct sc_arena *arena, int slot)
{
	struct arena_admin *adm = arena->adm;
	if (buddy_ok_locked(arena))
		adm->blocks_reclaimed += sc_buddy_free_owner(arena->buddy, (uint16_t)slot);
	for (int i = 0; i < SC_ARENA_MAX_BLOCKS; i++)
		if (adm->blocks[i].in_use && adm->blocks[i].owner == slot)
			memset(&adm->blocks[i], 0, sizeof(adm->blocks[i]));
}

int sc_arena_register(struct sc_arena *arena, const char *role)
{
	if (!sc_arena_lock(arena))
		return -1;
	struct arena_admin *adm = arena->adm;
	int slot = -1;
	for (int i = 0; i < SC_ARENA_MAX_PROCS && slot < 0; i++)
		if (adm->procs[i].state == PROC_LIVE && adm->procs[i].pid == arena->pid)
			slot = i;
	/* round robin: a slot freed by the reaper is the last to be reused, so
	 * a new process does not take a predecessor's slot number (payload
	 * blocks are tagged by slot: sc_arena_take accepts the caller's own) */
	const uint32_t first = adm->next_slot % SC_ARENA_MAX_PROCS;
	for (int k = 0; k < SC_ARENA_MAX_PROCS && slot < 0; k++) {
		int i = (int)((first + (uint32_t)k) % SC_ARENA_MAX_PROCS);
		if (adm->procs[i].state == PROC_FREE)
			slot = i;
	}
	if (slot >= 0)
		adm->next_slot = (uint32_t)(slot + 1) % SC_ARENA_MAX_PROCS;
	if (slot >= 0) {
		struct arena_proc *p = &adm->procs[slot];
		p->pid = arena->pid;
		p->start_time = proc_start_time(arena->pid);
		snprintf(p->role, sizeof(p->role), "%s", role ? role : "?");
		p->state = PROC_LIVE;
		arena->slot = slot;
	} else {
		sc_err("arena: process registry full (%d)", SC_ARENA_MAX_PROCS);
	}
	sc_arena_unlock(arena);
	return slot;
}

void sc_arena_unregister(struct sc_arena *arena)
{
	arena_check_fork(arena);
	if (arena->slot < 0 || !sc_arena_lock(arena))
		return;
	arena_reclaim_slot_locked(arena, arena->slot);
	memset(&arena->adm->procs[arena->slot], 0, sizeof(arena->adm->procs[0]));
	arena->slot = -1;
	sc_arena_unlock(arena);
}

static uint16_t arena_owner(const struct sc_arena *arena)
{
	return arena->slot < 0 ? SC_BUDDY_NO_OWNER : (uint16_t)arena->slot;
}


bool sc_arena_alloc(struct sc_arena *arena, uint64_t size, uint64_t *off)
{
	if (!sc_arena_lock(arena))
		return false;
	uint64_t pool_off;
	bool ok = size >= sizeof(uint64_t) && buddy_ok_locked(arena) &&
	          sc_buddy_alloc(arena->buddy, size, arena_owner(arena), &pool_off);
	if (ok) {
		/* the check word: a descriptor of the block's previous life (freed
		 * or reaped, its bytes left as they were) must not match it */
		__atomic_store_n((uint64_t *)(void *)(arena->base + arena->pool_off + pool_off), 0, __ATOMIC_RELEASE);
		*off = arena->pool_off + pool_off;
	}
	sc_arena_unlock(arena);
	return ok;
}

static bool named_block_locked(const struct sc_arena *arena, uint64_t off)
{
	for (int i = 0; i < SC_ARENA_MAX_BLOCKS; i++)
		if (arena->adm->blocks[i].in_use && arena->adm->blocks[i].off == off)
			return true;
	return false;
}

bool sc_arena_take(struct sc_arena *arena, uint64_t off, uint64_t block_size, const char *from_role,
                   uint64_t check)
{
	const uint64_t pool_off = arena->pool_off;
	/* overflow-safe: off - pool_off only after off >= pool_off */
	if (check == 0 || !from_role || off < pool_off || off - pool_off >= arena->pool_size ||
	    block_size < sizeof(uint64_t) || block_size > arena->pool_size - (off - pool_off) ||
	    off % sizeof(uint64_t) != 0)
		return false;
	if (!sc_arena_lock(arena))
		return false;
	struct arena_admin *adm = arena->adm;
	const int me = arena->slot;
	bool ok = me >= 0 && buddy_ok_locked(arena) && sc_buddy_block_size(arena->buddy, off - pool_off) == block_size &&
	          !named_block_locked(arena, off);
	if (ok) {
		uint16_t owner = sc_buddy_block_owner(arena->buddy, off - pool_off);
		ok = owner < SC_ARENA_MAX_PROCS &&
		     (owner == (uint16_t)me ||
		      ((adm->procs[owner].state == PROC_LIVE || adm->procs[owner].state == PROC_DEAD ||
		        adm->procs[owner].state == PROC_REAPING) &&
		       strncmp(adm->procs[owner].role, from_role, SC_ARENA_ROLE_MAX) == 0)) &&
		     __atomic_load_n((const uint64_t *)(const void *)(arena->base + off), __ATOMIC_ACQUIRE) == check;
	}
	if (ok) {
		/* re-tag in place: same order, new owner (a single store), so the
		 * block now dies with the taker, never with the sender */
		struct sc_buddy *b = arena->buddy;
		uint32_t i = (uint32_t)((off - pool_off) / SC_BUDDY_MIN_BLOCK);
		uint32_t tag = __atomic_load_n(&b->nodes[i].tag, __ATOMIC_RELAXED);
		tag = (tag & 0xffffu) | (uint32_t)me << 16;
		__atomic_store_n(&b->nodes[i].tag, tag, __ATOMIC_RELEASE);
	}
	sc_arena_unlock(arena);
	return ok;
}

bool sc_arena_free(struct sc_arena *arena, uint64_t off)
{
	uint64_t pool_off = arena->pool_off;
	if (off < pool_off) {
		sc_warn("arena: free of offset %llu outside the pool", (unsigned long long)off);
		return false;
	}
	if (!sc_arena_lock(arena))
		return false;
	bool ok = buddy_ok_locked(arena) && sc_buddy_free(arena->buddy, off - pool_off);
	sc_arena_unlock(arena);
	if (!ok)
		sc_warn("arena: free of %llu, not an allocated block", (unsigned long long)off);
	return ok;
}

bool sc_arena_set_owner(struct sc_arena *arena, uint64_t off, int slot)
{
	struct sc_buddy *b = arena->buddy;
	uint64_t pool_off = arena->pool_off;
	if (off < pool_off || slot < 0 || slot >= SC_ARENA_MAX_PROCS || !sc_arena_lock(arena))
		return false;
	bool ok = buddy_ok_locked(arena) && sc_buddy_block_size(b, off - pool_off) != 0;
	if (ok) {
		/* Re-tag in place: same order, new owner (a single store). */
		uint32_t i = (uint32_t)((off - pool_off) / SC_BUDDY_MIN_BLOCK);
		uint32_t tag = __atomic_load_n(&b->nodes[i].tag, __ATOMIC_RELAXED);
		tag = (tag & 0xffffu) | (uint32_t)slot << 16;
		__atomic_store_n(&b->nodes[i].tag, tag, __ATOMIC_RELEASE);
	}
	sc_arena_unlock(arena);
	return ok;
}

bool sc_arena_give(struct sc_arena *arena, uint64_t off, uint64_t check, const char *to_role)
{
	const uint64_t pool_off = arena->pool_off;
	if (check == 0 || !to_role || off < pool_off || off - pool_off >= arena->pool_size || !sc_arena_lock(arena))
		return false;
	struct arena_admin *adm = arena->adm;
	const int me = arena->slot;
	int to = -1;
	for (int i = 0; i < SC_ARENA_MAX_PROCS && to < 0; i++) {
		const struct arena_proc *p = &adm->procs[i];
		/* a dead receiver not yet reaped is skipped: its successor is the one */
		if (i != me && p->state == PROC_LIVE && strncmp(p->role, to_role, SC_ARENA_ROLE_MAX) == 0 &&
		    !proc_is_dead(p->pid, p->start_time))
			to = i;
	}
	struct sc_buddy *b = arena->buddy;
	bool ok = to >= 0 && me >= 0 && buddy_ok_locked(arena) && sc_buddy_block_size(b, off - pool_off) != 0 &&
	          sc_buddy_block_owner(b, off - pool_off) == (uint16_t)me &&
	          __atomic_load_n((const uint64_t *)(const void *)(arena->base + off), __ATOMIC_ACQUIRE) == check;
	if (ok) {
		uint32_t i = (uint32_t)((off - pool_off) / SC_BUDDY_MIN_BLOCK);
		uint32_t tag = __atomic_load_n(&b->nodes[i].tag, __ATOMIC_RELAXED);
		tag = (tag & 0xffffu) | (uint32_t)to << 16;
		__atomic_store_n(&b->nodes[i].tag, tag, __ATOMIC_RELEASE);
	}
	sc_arena_unlock(arena);
	return ok;
}

static int arena_find_locked(struct arena_admin *adm, const char *name)
{
	for (int i = 0; i < SC_ARENA_MAX_BLOCKS; i++)
		if (adm->blocks[i].in_use &&
		    strncmp(adm->blocks[i].name, name, SC_ARENA_NAME_MAX) == 0)
			return i;
	return -1;
}

static void arena_entry_out(const struct arena_entry *e, struct sc_arena_block *out)
{
	if (!out)
		return;
	memcpy(out->name, e->name, SC_ARENA_NAME_MAX);
	out->name[SC_ARENA_NAME_MAX - 1] = '\0';
	out->kind = e->kind;
	out->owner = e->owner;
	out->off = e->off;
	out->size = e->size;
}

bool sc_arena_block_create(struct sc_arena *arena, const char *name, uint32_t kind,
                           uint64_t size, struct sc_arena_block *out)
{
	if (!name || !*name || strlen(name) >= SC_ARENA_NAME_MAX || size == 0)
		return false;
	if (!sc_arena_lock(arena))
		return false;
	struct arena_admin *adm = arena->adm;
	bool ok = false;
	int entry = -1;
	if (arena_find_locked(adm, name) >= 0) {
		sc_err("arena: block '%s' exists", name);
		goto out;
	}
	for (int i = 0; i < SC_ARENA_MAX_BLOCKS && entry < 0; i++)
		if (!adm->blocks[i].in_use)
			entry = i;
	if (entry < 0) {
		sc_err("arena: block registry full");
		goto out;
	}
	uint64_t pool_rel;
	if (!buddy_ok_locked(arena) || !sc_buddy_alloc(arena->buddy, size, arena_owner(arena), &pool_rel)) {
		sc_err("arena: no room for block '%s' (%llu bytes)", name, (unsigned long long)size);
		goto out;
	}
	struct arena_entry *e = &adm->blocks[entry];
	memset(arena->base + arena->pool_off + pool_rel, 0, size);
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->kind = kind;
	e->owner = arena->slot;
	e->off = arena->pool_off + pool_rel;
	e->size = size;
	e->in_use = 1;
	arena_entry_out(e, out);
	ok = true;
out:
	sc_arena_unlock(arena);
	return ok;
}

bool sc_arena_block_find(struct sc_arena *arena, const char *name, struct sc_arena_block *out)
{
	if (!name || !sc_arena_lock(arena))
		return false;
	int i = arena_find_locked(arena->adm, name);
	bool found = i >= 0;
	if (found) {
		const struct arena_entry *e = &arena->adm->blocks[i];
		/* Entries are ours to trust only if they still point into the pool. */
		found = sc_arena_ptr(arena, e->off, e->size) != NULL;
		if (found)
			arena_entry_out(e, out);
	}
	sc_arena_unlock(arena);
	return found;
}

bool sc_arena_block_destroy(struct sc_arena *arena, const char *name)
{
	if (!name || !sc_arena_lock(arena))
		return false;
	int i = arena_find_locked(arena->adm, name);
	if (i >= 0) {
		struct arena_entry *e = &arena->adm->blocks[i];
		if (e->off >= arena->pool_off && buddy_ok_locked(arena))
			sc_buddy_free(arena->buddy, e->off - arena->pool_off);
		memset(e, 0, sizeof(*e));
	}
	sc_arena_unlock(arena);
	return i >= 0;
}

int sc_arena_reap(struct sc_arena *arena, sc_arena_dead_fn fn, void *ud)
{
	struct arena_admin *adm = arena->adm;
	struct {
		int slot;
		pid_t pid;
		char role[SC_ARENA_ROLE_MAX];
	} dead[SC_ARENA_MAX_PROCS];
	int ndead = 0;

	if (!sc_arena_lock(arena))
		return 0;
	for (int i = 0; i < SC_ARENA_MAX_PROCS; i++) {
		struct arena_proc *p = &adm->procs[i];
		bool is_dead = p->state == PROC_DEAD ||
		               (p->state == PROC_LIVE && p->pid != arena->pid &&
		                proc_is_dead(p->pid, p->start_time));
		if (!is_dead)
			continue;
		p->state = PROC_REAPING;
		dead[ndead].slot = i;
		dead[ndead].pid = p->pid;
		memcpy(dead[ndead].role, p->role, sizeof(p->role));
		dead[ndead].role[SC_ARENA_ROLE_MAX - 1] = '\0';
		ndead++;
	}
	sc_arena_unlock(arena);

	/* Outside the lock: the callback may look blocks up. */
	for (int i = 0; i < ndead; i++) {
		sc_warn("arena: process %d (%s) died; reclaiming its blocks", (int)dead[i].pid,
		        dead[i].role);
		if (fn)
			fn(ud, dead[i].slot, dead[i].pid, dead[i].role);
	}

	if (ndead && sc_arena_lock(arena)) {
		for (int i = 0; i < ndead; i++) {
			arena_reclaim_slot_locked(arena, dead[i].slot);
			memset(&adm->procs[dead[i].slot], 0, sizeof(adm->procs[0]));
			adm->procs_reaped++;
		}
		sc_arena_unlock(arena);
	}
	return ndead;
}

void sc_arena_stats(struct sc_arena *arena, struct sc_arena_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!sc_arena_lock(arena))
		return;
	struct arena_admin *adm = arena->adm;
	out->pool_size = arena->buddy->pool_size;
	out->free_bytes = arena->buddy->free_bytes;
	for (int i = 0; i < SC_ARENA_MAX_PROCS; i++)
		out->procs += adm->procs[i].state == PROC_LIVE;
	for (int i = 0; i < SC_ARENA_MAX_BLOCKS; i++)
		out->blocks += adm->blocks[i].in_use != 0;
	out->lock_recoveries = adm->lock_recoveries;
	out->procs_reaped = adm->procs_reaped;
	out->blocks_reclaimed = adm->blocks_reclaimed;
	out->alloc_fail = arena->buddy->alloc_fail;
	out->bad_free = arena->buddy->bad_free;
	sc_arena_unlock(arena);
}
