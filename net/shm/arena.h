/* The shared arena (seed US7299320): one memfd, size-sealed, created by the
 * supervisor (the communications engine) and mapped by every process at its
 * own address. Layout (offsets only, never pointers):
 *
 *   [0, admin_size)          administrative region: magic, layout version,
 *                            robust process-shared lock, process registry,
 *                            named block registry, buddy allocator metadata
 *   [pool_off, arena_size)   the buddy pool: every block, named or payload
 *
 * Processes register (pid + start time + role); blocks they allocate are
 * owned by their registry slot. When a process dies, the robust lock reports
 * EOWNERDEAD to the next locker (if it died holding it) and the allocator is
 * rebuilt; sc_arena_reap() (and every EOWNERDEAD) reclaims its blocks and
 * registry entries. */
#ifndef SC_NET_SHM_ARENA_H
#define SC_NET_SHM_ARENA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SC_ARENA_MAGIC 0x5343415245414e41ull /* "SCAREANA" */
#define SC_ARENA_LAYOUT_VERSION 3u /* 2: struct sc_buddy has corrupt; 3: next_slot (round-robin registry) */
#define SC_ARENA_MAX_PROCS 16
#define SC_ARENA_MAX_BLOCKS 128
#define SC_ARENA_NAME_MAX 32
#define SC_ARENA_ROLE_MAX 16

/* What a named block holds; a process attaching to a block checks it. */
enum sc_arena_block_kind {
	SC_BLOCK_RAW = 1,
	SC_BLOCK_SPSC_RING = 2,
	SC_BLOCK_INPUT_LOG = 3,  /* the input log: an sc_input_log of input events */
	SC_BLOCK_PRIO_QUEUE = 4,
	SC_BLOCK_FRAME = 5,
	SC_BLOCK_TICK_LOG = 6,   /* the tick log: an sc_input_log of tick records (same format, other records) */
	SC_BLOCK_MSG_RING = 7,   /* a typed message ring: counters + an sc_spsc_ring of sc_msg_header records */
	SC_BLOCK_CHAT_LOG = 8,   /* the chat log: an sc_input_log of chat records (session/shm/chat_record.h) */
};

/* A registry entry, as returned to callers. */
struct sc_arena_block {
	char name[SC_ARENA_NAME_MAX];
	uint32_t kind;  /* enum sc_arena_block_kind */
	int owner;      /* registry slot of the owning process */
	uint64_t off;   /* from the start of the arena */
	uint64_t size;  /* usable bytes (the buddy block may be larger) */
};

struct sc_arena;

/* Supervisor: creates a memfd of size bytes (admin region + pool), seals
 * its size, formats it and maps it. NULL on error (logged). */
struct sc_arena *sc_arena_create(const char *name, size_t size);

/* Other processes: maps an arena fd received over AF_UNIX. Checks the
 * seals, magic, layout version and sizes; NULL on mismatch (logged). The
 * arena takes ownership of fd (closed by destroy, also on failure). */
struct sc_arena *sc_arena_map(int fd);

/* Unmaps and closes. Does not unregister (see sc_arena_unregister). NULL ok. */
void sc_arena_destroy(struct sc_arena *arena);

int sc_arena_fd(const struct sc_arena *arena);
size_t sc_arena_size(const struct sc_arena *arena);

/* Offset <-> local pointer. ptr returns NULL unless [off, off+len) lies in the
 * arena; off returns UINT64_MAX for a pointer outside it. */
void *sc_arena_ptr(const struct sc_arena *arena, uint64_t off, uint64_t len);
uint64_t sc_arena_off(const struct sc_arena *arena, const void *ptr);

/* Registers the calling process under role; its slot becomes the owner of
 * blocks it allocates. A slot of a dead process is reused once reaped, free
 * slots round robin (the most recently freed last). -1 if full. */
int sc_arena_register(struct sc_arena *arena, const char *role);

/* Frees every block of the calling process and its registry slot. */
void sc_arena_unregister(struct sc_arena *arena);

/* Registry slot of the calling process, -1 if not registered. */
int sc_arena_slot(const struct sc_arena *arena);

/* Allocates a payload block of at least size bytes (size >= 8), owned by the
 * calling process (must be registered). Offset from the arena start in *off.
 * The block's first 8 bytes (its check word, see sc_arena_take) are zeroed
 * under the lock; the rest is left as it was. false when the pool is
 * exhausted. Any registered process may free it. */
bool sc_arena_alloc(struct sc_arena *arena, uint64_t size, uint64_t *off);

/* Frees a block from sc_arena_alloc. false (counted) for a bad offset. */
bool sc_arena_free(struct sc_arena *arena, uint64_t off);

/* Hands a payload block to another registered slot (sender -> receiver), so
 * the block is reclaimed with the receiver if it dies. */
bool sc_arena_set_owner(struct sc_arena *arena, uint64_t off, int slot);

/* Takes a payload block another process published (a descriptor in a ring):
 * atomically, under the lock, checks that off is the start of an allocated
 * pool block of exactly block_size bytes (the buddy size), that is not a
 * named block, owned by a registered slot (live, or dead and not yet reaped)
 * whose role is from_role, or already by the caller (the sender gave it,
 * sc_arena_give), whose first 8 bytes (the check word, read with an acquire
 * load) equal check (never 0: a fresh block's is 0), and makes the calling
 * process (registered) its owner. false, nothing
 * changed, if any check fails: the block was reclaimed with its dead owner,
 * taken and freed already, or the descriptor is stale or forged. Every
 * comparison is overflow-safe: off and block_size are the peer's words. */
bool sc_arena_take(struct sc_arena *arena, uint64_t off, uint64_t block_size, const char *from_role,
                   uint64_t check);

/* Hands a payload block this process owns and has published to the live
 * registered process of role to_role (its receiver), so that from now on it
 * is reclaimed with the receiver, not with the sender: under the lock, only
 * if off is an allocated pool block owned by the caller whose check word is
 * check (else it was taken, freed or reused meanwhile: nothing changes). false
 * when nothing was handed (no live process of that role). */
bool sc_arena_give(struct sc_arena *arena, uint64_t off, uint64_t check, const char *to_role);

/* Allocates and registers a named block (64-byte aligned, zeroed), owned by
 * the calling process. false if the name exists, the registry or pool is full. */
bool sc_arena_block_create(struct sc_arena *arena, const char *name, uint32_t kind,
                           uint64_t size, struct sc_arena_block *out);

/* Looks a named block up. false if absent. */
bool sc_arena_block_find(struct sc_arena *arena, const char *name, struct sc_arena_block *out);

/* Unregisters a named block and frees its memory. */
bool sc_arena_block_destroy(struct sc_arena *arena, const char *name);

/* Called by sc_arena_reap for each dead process, before its blocks are freed. */
typedef void (*sc_arena_dead_fn)(void *ud, int slot, pid_t pid, const char *role);

/* Finds registered processes that have exited (pidfd / start time), frees
 * their blocks and registry entries and slots. Returns how many died. */
int sc_arena_reap(struct sc_arena *arena, sc_arena_dead_fn fn, void *ud);

struct sc_arena_stats {
	uint64_t pool_size;
	uint64_t free_bytes;
	uint32_t procs;           /* registered */
	uint32_t blocks;          /* named blocks */
	uint64_t lock_recoveries; /* EOWNERDEAD seen */
	uint64_t procs_reaped;
	uint64_t blocks_reclaimed; /* buddy blocks freed for dead owners */
	uint64_t alloc_fail;
	uint64_t bad_free;
};
void sc_arena_stats(struct sc_arena *arena, struct sc_arena_stats *out);

/* Test hooks: take/release the admin lock (what a crash "mid-operation"
 * looks like). lock returns false if the lock is unrecoverable. */
bool sc_arena_lock(struct sc_arena *arena);
void sc_arena_unlock(struct sc_arena *arena);

#endif
