/* Explicit memory-order helpers for shared-memory structures (Aeron C style).
 * Every cross-process field is accessed only through these macros. */
#ifndef SC_NET_SHM_SC_ATOMIC_H
#define SC_NET_SHM_SC_ATOMIC_H

#define SC_CACHE_LINE 64

#define SC_LOAD_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define SC_LOAD_RELAXED(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define SC_STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define SC_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define SC_LOAD_SEQ_CST(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define SC_STORE_SEQ_CST(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define SC_FETCH_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

/* Full fence for Dekker-style "publish, then check the other side's flag".
 * TSan does not model standalone fences, so under TSan a seq_cst RMW on a
 * process-local dummy stands in (x86 orders it the same way). */
#if defined(__SANITIZE_THREAD__)
#define SC_FENCE_SEQ_CST()                                                     \
	do {                                                                   \
		static unsigned sc_fence_dummy_;                               \
		__atomic_fetch_add(&sc_fence_dummy_, 0, __ATOMIC_SEQ_CST);     \
	} while (0)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SC_FENCE_SEQ_CST()                                                     \
	do {                                                                   \
		static unsigned sc_fence_dummy_;                               \
		__atomic_fetch_add(&sc_fence_dummy_, 0, __ATOMIC_SEQ_CST);     \
	} while (0)
#endif
#endif
#ifndef SC_FENCE_SEQ_CST
#define SC_FENCE_SEQ_CST() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#if defined(__x86_64__) || defined(__i386__)
#define SC_CPU_RELAX() __builtin_ia32_pause()
#else
#define SC_CPU_RELAX() __asm__ __volatile__("" ::: "memory")
#endif

#endif
