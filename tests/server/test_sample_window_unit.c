/* server/sample_window.c: which samples --sample-window retains, in order,
 * each once, and that every other sample is counted as discarded. */
#include <string.h>

#include "server/sample_window.h"
#include "tests/lib/check.h"

static uint32_t kept[4096];
static uint32_t n_kept;

static void keep(void *ud, const struct sc_sample *x, uint32_t tag, uint64_t pos)
{
	(void)ud;
	check(tag == x->tick * 3u);                /* the tag it was taken with */
	check(pos == (uint64_t)x->tick * 136u);   /* and its own ring position */
	check(n_kept < 4096);
	kept[n_kept++] = x->tick;
}

static void take(struct sc_sample_window *w, uint16_t inst, uint32_t tick)
{
	struct sc_sample s;
	memset(&s, 0, sizeof(s));
	s.tick = tick;
	s.instance = inst;
	sc_sample_window_take(w, &s, tick * 3u, (uint64_t)tick * 136u, keep, NULL);
}

static void expect_range(uint32_t lo, uint32_t hi)
{
	check(n_kept == hi - lo + 1);
	for (uint32_t i = 0; i < n_kept; i++)
		check(kept[i] == lo + i);
}

int main(void)
{
	struct sc_sample_window w;
	memset(&w, 0, sizeof(w));

	/* a hit at 90 (seen with the sample of 90, before it is taken): 85..100 */
	check(sc_sample_window_init(&w, 5, 10));
	for (uint32_t t = 0; t <= 200; t++) {
		if (t == 90)
			sc_sample_window_hit(&w, 90);
		take(&w, SC_SAMPLE_PRIMARY, t);
	}
	expect_range(85, 100);
	check(w.retained[SC_SAMPLE_PRIMARY] == 16);
	/* every other one discarded, but the last B+1 still waiting for a hit */
	check(w.discarded[SC_SAMPLE_PRIMARY] + w.retained[SC_SAMPLE_PRIMARY] + (w.tail[0] - w.head[0]) == 201);
	check(w.tail[0] - w.head[0] <= 6);

	/* the shadow, behind: its samples of those ticks come after the hit */
	n_kept = 0;
	for (uint32_t t = 0; t <= 150; t++)
		take(&w, SC_SAMPLE_SHADOW0, t);
	expect_range(85, 100);

	/* two hits whose windows overlap: each sample once; before = 0 */
	check(sc_sample_window_init(&w, 0, 3));
	n_kept = 0;
	for (uint32_t t = 0; t <= 50; t++) {
		if (t == 20 || t == 22)
			sc_sample_window_hit(&w, t);
		take(&w, SC_SAMPLE_PRIMARY, t);
	}
	expect_range(20, 25);

	/* a hit long after: nothing before its window comes back */
	check(sc_sample_window_init(&w, 4, 0));
	n_kept = 0;
	for (uint32_t t = 0; t <= 1000; t++) {
		if (t == 1000)
			sc_sample_window_hit(&w, 1000);
		take(&w, SC_SAMPLE_PRIMARY, t);
	}
	expect_range(996, 1000);
	check(w.discarded[SC_SAMPLE_PRIMARY] == 996);

	/* a hit whose window reaches back into what waits: kept at the hit, not
	 * only when that instance's next sample comes (a shadow that pauses
	 * right after it takes no more) */
	check(sc_sample_window_init(&w, 5, 10));
	n_kept = 0;
	for (uint32_t t = 0; t < 90; t++)
		take(&w, SC_SAMPLE_SHADOW0, t);
	check(n_kept == 0);
	sc_sample_window_hit(&w, 92);
	sc_sample_window_flush(&w, keep, NULL);
	expect_range(87, 89);
	take(&w, SC_SAMPLE_SHADOW0, 90);
	expect_range(87, 90);

	/* off: nothing is taken */
	sc_sample_window_finish(&w);
	n_kept = 0;
	take(&w, SC_SAMPLE_PRIMARY, 1);
	check(n_kept == 0);
	return 0;
}
