/* Helpers for the shared-memory tests: checks that fail the process, shared
 * anonymous memory for fork tests, bounded waits. */
#ifndef SC_TESTS_NET_SHM_TEST_H
#define SC_TESTS_NET_SHM_TEST_H
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,     \
			        __LINE__, #cond);                                  \
			fflush(stderr);                                            \
			_exit(1);                                                  \
		}                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                              \
	do {                                                                        \
		unsigned long long a_ = (unsigned long long)(a);                    \
		unsigned long long b_ = (unsigned long long)(b);                    \
		if (a_ != b_) {                                                     \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s (%llu) != %s (%llu)\n", \
			        __FILE__, __LINE__, #a, a_, #b, b_);                \
			fflush(stderr);                                             \
			_exit(1);                                                   \
		}                                                                   \
	} while (0)

/* True when built with a sanitizer: shorter stress runs. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SC_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SC_TEST_SANITIZED 1
#endif
#endif
#ifndef SC_TEST_SANITIZED
#define SC_TEST_SANITIZED 0
#endif

/* 64-byte aligned MAP_SHARED anonymous memory, inherited across fork. */
static inline void *test_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	return p;
}

/* Waits for a child; returns its exit status (or 128+signal). Kills it
 * after timeout_s so a test never hangs. */
static inline int test_wait_child(pid_t pid, double timeout_s)
{
	uint64_t deadline = sc_now_ns() + (uint64_t)(timeout_s * 1e9);
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		if (sc_now_ns() > deadline) {
			fprintf(stderr, "child %d timed out, killing it\n", (int)pid);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -2;
		}
		usleep(1000);
	}
}

/* xorshift64*: deterministic per-seed test data. */
static inline uint64_t test_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* FNV-1a over a buffer. */
static inline uint32_t test_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
