/* The delay module's decisions (the tick assignment: tests/gpu/test_input_gather.c;
 * JSON: tests/util/test_json.c). No GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow/delay.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fprintf(stderr, "\n"); failures++; } } while (0)

static void test_decide(void)
{
	struct sc_delay_view v = {.next_tick = 10, .delay_ticks = 5, .have_record = true, .record_tick = 10,
	                          .have_latest = true, .latest_tick = 14};
	CHECK(sc_delay_decide(&v) == SC_DELAY_WAIT, "4 ticks behind with a delay of 5: wait");
	v.latest_tick = 15;
	CHECK(sc_delay_decide(&v) == SC_DELAY_APPLY, "5 behind: apply");
	v.have_record = false;
	CHECK(sc_delay_decide(&v) == SC_DELAY_WAIT, "no record: wait");
	v.have_record = true;
	v.fault = SC_DELAY_FAULT_CLAIMED;
	CHECK(sc_delay_decide(&v) == SC_DELAY_WAIT, "incident being written: wait");
	v.fault = SC_DELAY_FAULT_READY;
	v.error_tick = 12;
	v.latest_tick = 11;
	CHECK(sc_delay_decide(&v) == SC_DELAY_APPLY, "before the error tick: catch up without the delay");
	v.next_tick = 12;
	v.record_tick = 12;
	CHECK(sc_delay_decide(&v) == SC_DELAY_PAUSE, "at the error tick: pause even with a record");
	v.have_record = false;
	CHECK(sc_delay_decide(&v) == SC_DELAY_PAUSE, "at the error tick, died mid-tick (no record): pause");
	v.next_tick = 11;
	v.have_record = false;
	CHECK(sc_delay_decide(&v) == SC_DELAY_WAIT, "record of the last good tick not there yet: wait");
	v.next_tick = 13;
	CHECK(sc_delay_decide(&v) == SC_DELAY_LATE, "past the error tick: late");
}


int main(void)
{
	test_decide();
	if (failures)
		return 1;
	printf("delay ok\n");
	return 0;
}
