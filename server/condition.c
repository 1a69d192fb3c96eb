#include "server/condition.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const pass_names[SC_SAMPLE_PASSES] = SC_SAMPLE_PASS_NAMES;

static const struct {
	const char *name;
	enum sc_cond_metric metric;
} metrics[] = {
	{"frame_time_ms", SC_COND_FRAME_TIME_MS}, {"tick_ms", SC_COND_TICK_MS}, {"tick_cpu_ms", SC_COND_TICK_CPU_MS},
	{"gpu_ms", SC_COND_GPU_MS}, {"input_depth", SC_COND_INPUT_DEPTH}, {"shadow_lag_ticks", SC_COND_SHADOW_LAG},
	{"tick", SC_COND_TICK}, {"goals", SC_COND_GOALS},
};

static bool parse_metric(const char *m, size_t n, struct sc_condition *out)
{
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (strlen(metrics[i].name) == n && strncmp(m, metrics[i].name, n) == 0) {
			out->metric = metrics[i].metric;
			return true;
		}
	/* gpu_PASS_ms */
	if (n > 7 && strncmp(m, "gpu_", 4) == 0 && strncmp(m + n - 3, "_ms", 3) == 0)
		for (uint32_t i = 0; i < SC_SAMPLE_PASSES; i++)
			if (strlen(pass_names[i]) == n - 7 && strncmp(m + 4, pass_names[i], n - 7) == 0) {
				out->metric = SC_COND_GPU_PASS_MS;
				out->pass = i;
				return true;
			}
	return false;
}

const char *sc_condition_parse(const char *text, struct sc_condition *out)
{
	memset(out, 0, sizeof(*out));
	const char *colon = strchr(text, ':');
	if (!colon)
		return "expected 'NAME: METRIC OP THRESHOLD', e.g. 'slow_frame: frame_time_ms > 20'";
	size_t nlen = (size_t)(colon - text);
	while (nlen && (text[nlen - 1] == ' ' || text[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 0 || nlen >= sizeof(out->name))
		return "the name must be 1..31 characters";
	for (size_t i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)text[i]) && text[i] != '_' && text[i] != '-')
			return "the name may hold only letters, digits, '_' and '-'";
	memcpy(out->name, text, nlen);
	const char *p = colon + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *m = p;
	if (strncmp(p, "shadow.", 7) == 0) {
		out->shadow = true;
		p += 7;
	}
	const char *mname = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	size_t mlen = (size_t)(p - mname);
	if (mlen == 0 || !parse_metric(mname, mlen, out))
		return "unknown metric: frame_time_ms, tick_ms, tick_cpu_ms, gpu_ms, gpu_PASS_ms (PASS: tick_logic, spin, "
		       "particles, audio, finalize, bin, render, seal), input_depth, shadow_lag_ticks, tick, goals; "
		       "shadow.METRIC for the shadows' samples";
	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '>' && p[1] == '=')
		out->op = SC_COND_GE, p += 2;
	else if (p[0] == '<' && p[1] == '=')
		out->op = SC_COND_LE, p += 2;
	else if (p[0] == '>')
		out->op = SC_COND_GT, p += 1;
	else if (p[0] == '<')
		out->op = SC_COND_LT, p += 1;
	else
		return "the operator must be >, >=, < or <=";
	while (*p == ' ' || *p == '\t')
		p++;
	char *end;
	double v = strtod(p, &end);
	if (end == p || !isfinite(v))
		return "the threshold must be a number";
	const char *num_end = end;
	while (*end == ' ' || *end == '\t')
		end++;
	if (strncmp(end, "capture", 7) == 0) {
		out->capture = true;
		end += 7;
		while (*end == ' ' || *end == '\t')
			end++;
	}
	if (*end)
		return "unexpected text after the threshold (only 'capture' may follow it)";
	/* the anomaly capture is the running shadow's state at the hit's tick,
	 * which a shadow's own sample shows after the shadow ran it */
	if (out->capture && out->shadow)
		return "'capture' is for the primary's conditions: a shadow has already run the tick of its own sample";
	out->threshold = v;
	snprintf(out->text, sizeof(out->text), "%.*s", (int)(num_end - m), m);
	return NULL;
}

double sc_condition_value(const struct sc_condition *c, const struct sc_sample *s)
{
	switch (c->metric) {
	case SC_COND_FRAME_TIME_MS: return s->frame_ns / 1e6;
	case SC_COND_TICK_MS: return s->wall_ns / 1e6;
	case SC_COND_TICK_CPU_MS: return s->cpu_ns / 1e6;
	case SC_COND_GPU_MS: return s->gpu_total_ns / 1e6;
	case SC_COND_GPU_PASS_MS: return c->pass < SC_SAMPLE_PASSES ? s->gpu_pass_ns[c->pass] / 1e6 : 0;
	case SC_COND_INPUT_DEPTH: return s->input_depth;
	case SC_COND_SHADOW_LAG: return s->shadow_lag;
	case SC_COND_TICK: return s->tick;
	case SC_COND_GOALS: return (double)s->score0 + s->score1;
	}
	return 0;
}

bool sc_condition_holds(const struct sc_condition *c, double v)
{
	switch (c->op) {
	case SC_COND_GT: return v > c->threshold;
	case SC_COND_GE: return v >= c->threshold;
	case SC_COND_LT: return v < c->threshold;
	case SC_COND_LE: return v <= c->threshold;
	}
	return false;
}
