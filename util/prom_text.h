/* One sample's value from a Prometheus text exposition (GET /metrics): the
 * benchmarks read the server's metrics with it. A line parser, not JSON. */
#ifndef SC_UTIL_PROM_TEXT_H
#define SC_UTIL_PROM_TEXT_H
#include <stdbool.h>
#include <stddef.h>

/* The value of the unlabelled sample NAME: a line "NAME VALUE [TIMESTAMP]"
 * with NAME at the start of the line and a space or tab after it (so
 * "foo" matches neither "foo_total 3", "x_foo 3" nor "foo{a=\"b\"} 3"); the
 * first such line counts; comments (#) are skipped. A sample whose only label
 * is the server's session label, "NAME{session=\"...\"} VALUE", counts as
 * unlabelled (every series of a shadowcast server carries it). false when
 * there is none or its value is not a number. */
bool sc_prom_value(const char *text, size_t len, const char *name, double *value);

#endif
