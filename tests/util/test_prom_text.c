/* util/prom_text.h: a sample is found by its exact name at the start of a
 * line; prefixes, suffixes, labelled samples and comments never match. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/prom_text.h"

#include "tests/lib/check.h"

static const char text[] =
	"# HELP shadowcast_frames_total Frames.\n"
	"# TYPE shadowcast_frames_total counter\n"
	"shadowcast_frames_total 42\n"
	"x_shadowcast_zero_copy 7\n"
	"shadowcast_zero_copy_bytes 9\n"
	"shadowcast_lat{q=\"p99\"} 3.5\n"
	"shadowcast_lat 1.25 1700000000000\n"
	"shadowcast_bad abc\n"
	"shadowcast_inf +Inf\n"
	"shadowcast_crlf 5\r\n"
	"shadowcast_sess{session=\"127.0.0.1:8080\"} 11\n"
	"shadowcast_sess2{session=\"a\",x=\"y\"} 12\n"
	"shadowcast_last\t-2e3";

static double value(const char *name, int *found)
{
	double v = -12345;
	*found = sc_prom_value(text, strlen(text), name, &v);
	return v;
}

int main(void)
{
	int f;
	check(value("shadowcast_frames_total", &f) == 42 && f);
	/* the first line of the text counts too (the old parser looked for "\nNAME ") */
	check(sc_prom_value("a 1\nb 2\n", 8, "a", &(double){0}));
	/* neither a longer name nor one with a prefix */
	value("shadowcast_zero_copy", &f);
	check(!f);
	value("shadowcast_frames", &f);
	check(!f);
	/* labelled samples are skipped; a timestamp after the value is fine */
	check(value("shadowcast_lat", &f) == 1.25 && f);
	value("shadowcast_bad", &f);
	check(!f);
	check(value("shadowcast_inf", &f) > 1e308 && f);
	check(value("shadowcast_crlf", &f) == 5 && f);
	check(value("shadowcast_last", &f) == -2000 && f);
	/* the session label alone counts as unlabelled; with another label it does not */
	check(value("shadowcast_sess", &f) == 11 && f);
	value("shadowcast_sess2", &f);
	check(!f);
	/* HELP/TYPE comments name the metric but are not samples */
	value("HELP", &f);
	check(!f);
	value("#", &f);
	check(!f);
	value("", &f);
	check(!f);
	/* the length bounds the text: no read past it */
	check(!sc_prom_value("abc 1", 3, "abc", &(double){0}));
	check(!sc_prom_value(NULL, 0, "abc", &(double){0}));
	printf("prom_text: all checks passed\n");
	return 0;
}
