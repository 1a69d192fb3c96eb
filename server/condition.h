/* Target conditions (issue 11): `condition = NAME: METRIC OP THRESHOLD` lines
 * in the config file (or --condition), evaluated by the encoder process on
 * each of the primary's profiling samples (session/shm/sample.h), or with
 * METRIC written `shadow.METRIC` on each of the shadows' samples. A
 * condition fires on the sample where it starts to hold (it did not hold on
 * the sample before, or there was none): one event per crossing, not one per
 * tick while it holds. */
#ifndef SC_SERVER_CONDITION_H
#define SC_SERVER_CONDITION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/shm/sample.h"

#define SC_MAX_CONDITIONS 16
#define SC_CONDITION_NAME_MAX 32

enum sc_cond_metric {
	SC_COND_FRAME_TIME_MS, /* frame_time_ms: tick start to tick start */
	SC_COND_TICK_MS,       /* tick_ms: the tick, start to published */
	SC_COND_TICK_CPU_MS,   /* tick_cpu_ms */
	SC_COND_GPU_MS,        /* gpu_ms: the tick's command buffer */
	SC_COND_GPU_PASS_MS,   /* gpu_PASS_ms, e.g. gpu_particles_ms */
	SC_COND_INPUT_DEPTH,   /* input_depth */
	SC_COND_SHADOW_LAG,    /* shadow_lag_ticks */
	SC_COND_TICK,          /* tick */
	SC_COND_GOALS,         /* goals: score0 + score1 */
};

enum sc_cond_op { SC_COND_GT, SC_COND_GE, SC_COND_LT, SC_COND_LE };

struct sc_condition {
	char name[SC_CONDITION_NAME_MAX]; /* [A-Za-z0-9_-]+ */
	enum sc_cond_metric metric;
	uint32_t pass;                    /* SC_COND_GPU_PASS_MS: index in SC_SAMPLE_PASS_NAMES */
	enum sc_cond_op op;
	double threshold;
	bool capture;                     /* a trailing `capture`: a hit asks the shadow for an anomaly capture */
	bool shadow;                      /* `shadow.METRIC`: on the shadows' samples (never with capture) */
	char text[104];                   /* "[shadow.]METRIC OP THRESHOLD" as written, for logs and the API */
};

/* Parses "NAME: METRIC OP THRESHOLD [capture]"; NULL if good, else why not. */
const char *sc_condition_parse(const char *text, struct sc_condition *out);

/* The metric's value in a sample. */
double sc_condition_value(const struct sc_condition *c, const struct sc_sample *s);
bool sc_condition_holds(const struct sc_condition *c, double value);

#endif
