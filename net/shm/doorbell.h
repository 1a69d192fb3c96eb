/* eventfd doorbell with a NEED_WAKEUP flag (io_uring SQ_NEED_WAKEUP style).
 *
 * The consumer spins for a while; only when it is about to sleep does it set
 * the shared need_wakeup flag and block on the eventfd. The producer, after
 * publishing, checks the flag and only then makes the write() syscall, so a
 * busy consumer costs the producer no syscall at all. The flag/publish pair
 * is ordered with full fences on both sides, so no wake-up is lost. */
#ifndef SC_NET_SHM_DOORBELL_H
#define SC_NET_SHM_DOORBELL_H
#include <stdbool.h>
#include <stdint.h>

struct sc_doorbell {
	int efd;               /* eventfd (shared between the two processes) */
	uint32_t *need_wakeup; /* in shared memory, e.g. &ring->ctrl->need_wakeup */
	uint32_t spin_iters;   /* consumer: polls before sleeping */
	uint64_t wakeups_sent; /* producer: write() calls made */
	uint64_t sleeps;       /* consumer: times it blocked */
};

#define SC_DOORBELL_DEFAULT_SPIN 2000

/* Creates a non-blocking, close-on-exec eventfd; -1 on error (logged). */
int sc_doorbell_eventfd(void);

/* Binds a doorbell to an eventfd and a flag word in shared memory.
 * The doorbell does not own efd; close it yourself. */
void sc_doorbell_init(struct sc_doorbell *db, int efd, uint32_t *need_wakeup,
                      uint32_t spin_iters);

/* Producer, after publishing: wakes the consumer if it asked for it. */
void sc_doorbell_ring(struct sc_doorbell *db);

/* Consumer: returns true as soon as ready(ud) is true, spinning first and
 * then sleeping on the eventfd; false after timeout_ms (-1 = no limit) or
 * on an error other than EINTR. */
bool sc_doorbell_wait(struct sc_doorbell *db, bool (*ready)(void *ud), void *ud,
                      int timeout_ms);

#endif
