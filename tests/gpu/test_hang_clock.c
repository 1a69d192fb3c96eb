/* The hang bound counts only time this process ran (gpu/hang_clock.h): a
 * process stopped in the middle of a fence wait (SIGSTOP, a debugger) is not
 * a hung GPU, and a GPU that never finishes is still called hung. No GPU. */
#include <stdint.h>
#include <stdio.h>

#include "gpu/hang_clock.h"
#include "tests/lib/check.h"

#define MS 1000000ull

/* The fence never signals and the process always runs: hung once the bound
 * is spent, not before. */
static void test_running_hang(void)
{
	struct sc_hang_clock c;
	uint64_t now = 1000 * MS;
	sc_hang_clock_start(&c, 5000 * MS, 50 * MS, now);
	int slices = 0;
	bool hung = false;
	while (!hung && slices < 1000) {
		uint64_t s = sc_hang_clock_next_slice(&c);
		check(s > 0 && s <= 50 * MS);
		now += s;
		hung = sc_hang_clock_expired(&c, now);
		slices++;
	}
	check(hung);
	check(slices == 100);
	check(now - 1000 * MS == 5000 * MS);
}

/* Stopped for 60 s in one slice, then the fence signals a few slices later:
 * far past the 5 s bound in wall time, and not hung. */
static void test_stopped_process(void)
{
	struct sc_hang_clock c;
	uint64_t now = 0;
	sc_hang_clock_start(&c, 5000 * MS, 50 * MS, now);
	now += 20 * MS;
	check(!sc_hang_clock_expired(&c, now));
	now += 60000 * MS; /* SIGSTOP ... SIGCONT inside one slice */
	check(!sc_hang_clock_expired(&c, now));
	for (int i = 0; i < 10; i++) {
		now += 50 * MS;
		check(!sc_hang_clock_expired(&c, now));
	}
	check(c.counted_ns == 20 * MS + 100 * MS + 500 * MS);
}

/* Stopped repeatedly while the GPU never finishes: still called hung, after
 * at most the bound's worth of slices. */
static void test_stopped_and_hung(void)
{
	struct sc_hang_clock c;
	uint64_t now = 0;
	sc_hang_clock_start(&c, 5000 * MS, 50 * MS, now);
	int slices = 0;
	bool hung = false;
	while (!hung && slices < 1000) {
		now += slices % 2 ? 30000 * MS : 50 * MS;
		hung = sc_hang_clock_expired(&c, now);
		slices++;
	}
	check(hung);
	check(slices <= 100);
}

/* The last slice never runs past the bound; a bound shorter than a slice
 * is one short slice. */
static void test_slices(void)
{
	struct sc_hang_clock c;
	sc_hang_clock_start(&c, 120 * MS, 50 * MS, 0);
	check(sc_hang_clock_next_slice(&c) == 50 * MS);
	check(!sc_hang_clock_expired(&c, 50 * MS));
	check(!sc_hang_clock_expired(&c, 100 * MS));
	check(sc_hang_clock_next_slice(&c) == 20 * MS);
	check(sc_hang_clock_expired(&c, 120 * MS));
	check(sc_hang_clock_next_slice(&c) == 0);
	sc_hang_clock_start(&c, 7 * MS, 50 * MS, 0);
	check(sc_hang_clock_next_slice(&c) == 7 * MS);
	/* a clock that went backwards counts nothing */
	sc_hang_clock_start(&c, 100 * MS, 50 * MS, 500 * MS);
	check(!sc_hang_clock_expired(&c, 400 * MS));
	check(c.counted_ns == 0);
}

int main(void)
{
	test_running_hang();
	test_stopped_process();
	test_stopped_and_hung();
	test_slices();
	printf("hang_clock: ok\n");
	return 0;
}
