/* Benchmark output: a text table, or with --json one object
 * {"bench":NAME,"rows":[{"name":...,FIGURE_UNIT:number,...}]}.
 * Figure keys end in their unit (msgs_per_s, p99_us, p50_ms). */
#ifndef SC_BENCH_REPORT_H
#define SC_BENCH_REPORT_H
#include <stdbool.h>
#include <stdio.h>

#define SC_BENCH_MAX_ROWS 32
#define SC_BENCH_MAX_FIGS 12

struct sc_bench_fig {
	char key[32];
	double value;
};

struct sc_bench_row {
	char name[48];
	int nfigs;
	int lost; /* figures that did not fit */
	struct sc_bench_fig figs[SC_BENCH_MAX_FIGS];
};

struct sc_bench_report {
	char bench[32];
	int nrows;
	int lost_rows; /* rows that did not fit */
	struct sc_bench_row rows[SC_BENCH_MAX_ROWS];
};

void sc_bench_report_init(struct sc_bench_report *r, const char *bench);
/* Returns the row, appended on first use; NULL when the table is full (the
 * report counts it lost). */
struct sc_bench_row *sc_bench_report_row(struct sc_bench_report *r, const char *name);
/* Sets a figure; false when the row is NULL or full (the row counts it lost). */
bool sc_bench_row_set(struct sc_bench_row *row, const char *key, double value);
/* Prints what the table holds; false, with an error on stderr, when a row or
 * a figure was lost: the bench must then exit nonzero. */
bool sc_bench_report_print(const struct sc_bench_report *r, bool json, FILE *out);

#endif
