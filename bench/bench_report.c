#include "bench/bench_report.h"

#include <string.h>

void sc_bench_report_init(struct sc_bench_report *r, const char *bench)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->bench, sizeof(r->bench), "%s", bench);
}

struct sc_bench_row *sc_bench_report_row(struct sc_bench_report *r, const char *name)
{
	for (int i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].name, name) == 0)
			return &r->rows[i];
	if (r->nrows == SC_BENCH_MAX_ROWS) {
		r->lost_rows++;
		return NULL;
	}
	struct sc_bench_row *row = &r->rows[r->nrows++];
	snprintf(row->name, sizeof(row->name), "%s", name);
	return row;
}

bool sc_bench_row_set(struct sc_bench_row *row, const char *key, double value)
{
	if (!row)
		return false;
	for (int i = 0; i < row->nfigs; i++) {
		if (strcmp(row->figs[i].key, key) == 0) {
			row->figs[i].value = value;
			return true;
		}
	}
	if (row->nfigs == SC_BENCH_MAX_FIGS) {
		row->lost++;
		return false;
	}
	struct sc_bench_fig *f = &row->figs[row->nfigs++];
	snprintf(f->key, sizeof(f->key), "%s", key);
	f->value = value;
	return true;
}

bool sc_bench_report_print(const struct sc_bench_report *r, bool json, FILE *out)
{
	int lost = 0;
	for (int i = 0; i < r->nrows; i++)
		lost += r->rows[i].lost;
	if (json) {
		fprintf(out, "{\"bench\":\"%s\",\"rows\":[", r->bench);
		for (int i = 0; i < r->nrows; i++) {
			const struct sc_bench_row *row = &r->rows[i];
			fprintf(out, "%s{\"name\":\"%s\"", i ? "," : "", row->name);
			for (int j = 0; j < row->nfigs; j++)
				fprintf(out, ",\"%s\":%.6g", row->figs[j].key, row->figs[j].value);
			fprintf(out, "}");
		}
		fprintf(out, "]}\n");
	} else {
		fprintf(out, "bench %s\n", r->bench);
		int width = 14; /* the names line up */
		for (int i = 0; i < r->nrows; i++)
			if ((int)strlen(r->rows[i].name) > width)
				width = (int)strlen(r->rows[i].name);
		for (int i = 0; i < r->nrows; i++) {
			const struct sc_bench_row *row = &r->rows[i];
			fprintf(out, "  %-*s", width, row->name);
			for (int j = 0; j < row->nfigs; j++)
				fprintf(out, "  %s=%-12.6g", row->figs[j].key, row->figs[j].value);
			fprintf(out, "\n");
		}
	}
	if (lost || r->lost_rows)
		fprintf(stderr, "bench %s: %d rows and %d figures did not fit the table (at most %d rows of %d "
		        "figures): the report is incomplete\n", r->bench, r->lost_rows, lost, SC_BENCH_MAX_ROWS,
		        SC_BENCH_MAX_FIGS);
	return !lost && !r->lost_rows;
}
