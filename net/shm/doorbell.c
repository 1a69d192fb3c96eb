#include "net/shm/doorbell.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/shm/sc_atomic.h"
#include "util/clock.h"
#include "util/log.h"

int sc_doorbell_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		sc_err("doorbell: eventfd: %s", strerror(errno));
	return fd;
}

void sc_doorbell_init(struct sc_doorbell *db, int efd, uint32_t *need_wakeup,
                      uint32_t spin_iters)
{
	memset(db, 0, sizeof(*db));
	db->efd = efd;
	db->need_wakeup = need_wakeup;
	db->spin_iters = spin_iters;
}

void sc_doorbell_ring(struct sc_doorbell *db)
{
	/* Orders the caller's publish (release store) before reading the flag;
	 * pairs with the fence in sc_doorbell_wait. */
	SC_FENCE_SEQ_CST();
	if (!SC_LOAD_RELAXED(db->need_wakeup))
		return;
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(db->efd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, the consumer is being woken anyway. */
	db->wakeups_sent++;
}

static void doorbell_drain(int efd)
{
	uint64_t value;
	while (read(efd, &value, sizeof(value)) < 0 && errno == EINTR)
		;
}

bool sc_doorbell_wait(struct sc_doorbell *db, bool (*ready)(void *ud), void *ud,
                      int timeout_ms)
{
	for (uint32_t i = 0; i < db->spin_iters; i++) {
		if (ready(ud))
			return true;
		SC_CPU_RELAX();
	}
	const uint64_t deadline =
		timeout_ms < 0 ? UINT64_MAX : sc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		SC_STORE_RELAXED(db->need_wakeup, 1u);
		SC_FENCE_SEQ_CST();
		if (ready(ud)) {
			SC_STORE_RELAXED(db->need_wakeup, 0u);
			return true;
		}
		int wait_ms = -1;
		if (deadline != UINT64_MAX) {
			uint64_t now = sc_now_ns();
			if (now >= deadline) {
				SC_STORE_RELAXED(db->need_wakeup, 0u);
				return false;
			}
			wait_ms = (int)((deadline - now + 999999) / 1000000);
		}
		struct pollfd pfd = {.fd = db->efd, .events = POLLIN};
		int r = poll(&pfd, 1, wait_ms);
		SC_STORE_RELAXED(db->need_wakeup, 0u);
		if (r < 0 && errno != EINTR) {
			sc_err("doorbell: poll: %s", strerror(errno));
			return false;
		}
		db->sleeps++;
		if (r > 0)
			doorbell_drain(db->efd);
		if (ready(ud))
			return true;
	}
}
