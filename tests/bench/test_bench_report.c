/* bench/bench_report.h: a figure or row that does not fit the table is not
 * dropped silently: the report says so, and printing it fails. */
#include <stdio.h>
#include <string.h>

#include "bench/bench_report.h"

#include "tests/lib/check.h"

static struct sc_bench_report rep; /* large: not on the stack */

int main(void)
{
	char key[32], out[8192];
	FILE *f;

	/* a full row: every figure printed, printing succeeds */
	sc_bench_report_init(&rep, "t");
	struct sc_bench_row *row = sc_bench_report_row(&rep, "full");
	for (int i = 0; i < SC_BENCH_MAX_FIGS; i++) {
		snprintf(key, sizeof(key), "f%d_ms", i);
		check(sc_bench_row_set(row, key, i));
	}
	check(sc_bench_row_set(row, "f0_ms", 7)); /* replacing one still fits */
	f = fmemopen(out, sizeof(out), "w");
	check(f && sc_bench_report_print(&rep, true, f));
	fclose(f);
	snprintf(key, sizeof(key), "\"f%d_ms\":%d", SC_BENCH_MAX_FIGS - 1, SC_BENCH_MAX_FIGS - 1);
	check(strstr(out, key) && strstr(out, "\"f0_ms\":7"));

	/* one figure more: refused, and the report cannot be printed as whole */
	check(!sc_bench_row_set(row, "one_more_ms", 1));
	f = fmemopen(out, sizeof(out), "w");
	check(f && !sc_bench_report_print(&rep, true, f));
	fclose(f);
	f = fmemopen(out, sizeof(out), "w");
	check(f && !sc_bench_report_print(&rep, false, f));
	fclose(f);

	/* one row more than the table holds */
	sc_bench_report_init(&rep, "t");
	for (int i = 0; i < SC_BENCH_MAX_ROWS; i++) {
		snprintf(key, sizeof(key), "row%d", i);
		check(sc_bench_row_set(sc_bench_report_row(&rep, key), "x_ms", i));
	}
	check(sc_bench_report_row(&rep, "row0")); /* an existing row is found */
	check(!sc_bench_report_row(&rep, "row_too_many"));
	check(!sc_bench_row_set(NULL, "x_ms", 1));
	f = fmemopen(out, sizeof(out), "w");
	check(f && !sc_bench_report_print(&rep, true, f));
	fclose(f);
	puts("bench_report: ok");
	return 0;
}
