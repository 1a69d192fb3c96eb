/* Session profile files (server/profile_file.c, profile_read.c,
 * docs/profile-format.md), through the real disk worker thread:
 *  - every record type written is read back and summarised exactly (counts,
 *    percentiles of known values, the hottest pass, incidents, conditions,
 *    clients), the file ends with END;
 *  - the size limit: the file never passes it, the records that did not fit
 *    are counted in END and the summary says the limit was reached;
 *  - put() never waits for the disk: with the worker's thread held by
 *    another job, 40000 records are put (more than both buffers hold); the
 *    calls all return, the excess is dropped and counted, and what was taken
 *    is in the file once the worker runs again;
 *  - a file a killed encoder left with a torn last record is continued
 *    (the torn bytes cut off, a second META);
 *  - bad files are refused with their reason: empty, not a profile, another
 *    version, a record cut short, an unknown type, a wrong length, a META
 *    that is not a JSON object. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/disk_worker.h"
#include "server/profile_file.h"
#include "server/profile_read.h"
#include "tests/lib/check.h"
#include "util/clock.h"

static char dir[] = "/tmp/sc-profile-file-XXXXXX";

static const char *META = "{\"program\":\"shadowcast\",\"fps\":60,\"passes\":[\"tick_logic\",\"spin\",\"particles\","
                          "\"audio\",\"finalize\",\"bin\",\"render\",\"seal\"],"
                          "\"conditions\":[{\"name\":\"late\",\"condition\":\"tick >= 10\"}]}";

static void make_empty(const char *path)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	check(fd >= 0);
	close(fd);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	check(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	check(b && fread(b, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static json_t *summary_of(const char *path)
{
	size_t len;
	uint8_t *b = slurp(path, &len);
	char err[256];
	json_t *s = sc_profile_summarize(b, len, err, sizeof(err));
	if (!s)
		fprintf(stderr, "summarize %s: %s\n", path, err);
	free(b);
	return s;
}

static double num(const json_t *o, const char *path)
{
	/* "a.b.c" */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	const json_t *cur = o;
	for (char *save, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		cur = json_object_get(cur, k);
		if (!cur) {
			fprintf(stderr, "no %s\n", path);
			exit(1);
		}
	}
	check(json_is_number(cur));
	return json_number_value(cur);
}

static struct sc_sample sample(uint32_t tick, uint16_t instance, uint32_t ms)
{
	struct sc_sample s = {.tick = tick, .instance = instance, .flags = instance ? 0 : SC_SAMPLE_RENDERED,
	                      .tick_start_ns = 1000000000ull + tick * 16666667ull, .wall_ns = ms * 1000000u,
	                      .cpu_ns = ms * 500000u, .frame_ns = 16666667u, .sample_every = 1};
	for (int i = 0; i < SC_SAMPLE_PASSES; i++)
		s.gpu_pass_ns[i] = (uint32_t)(i + 1) * 100000u; /* seal (i = 7) the hottest */
	s.gpu_pass_ns[2] = 5000000u;                         /* particles: 5 ms, hotter still */
	s.gpu_total_ns = 6000000u;
	return s;
}

static struct sc_disk_worker *worker(void)
{
	struct sc_disk_worker *w = sc_disk_worker_create(NULL, NULL);
	check(w);
	return w;
}

static void test_round_trip(struct sc_disk_worker *w)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/round.scprof", dir);
	make_empty(path);
	struct sc_profile_file *f = sc_profile_file_open(path, 1u << 20, META, w, err, sizeof(err));
	check(f);
	/* primary ticks 0..99 with tick_ms 1..100: p50 50, p99 99 (nearest rank) */
	for (uint32_t t = 0; t < 100; t++) {
		struct sc_sample s = sample(t, 0, t + 1);
		check(sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s)));
	}
	for (uint32_t t = 0; t < 40; t++) {
		struct sc_sample s = sample(t, 1, 2);
		check(sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s)));
	}
	for (uint32_t t = 0; t < 10; t++) {
		struct sc_pf_encode e = {.done_ns = 2000000000ull + t, .encode_ns = (t + 1) * 1000000ull, .tick = t,
		                         .bytes = 1000 + t, .keyframe = t == 0};
		check(sc_profile_file_put(f, SC_PF_ENCODE, &e, sizeof(e)));
	}
	struct sc_pf_condition c = {.time_ns = 1000000000ull + 10 * 16666667ull, .tick = 10, .condition = 0,
	                            .value = 10, .threshold = 10};
	check(sc_profile_file_put(f, SC_PF_CONDITION, &c, sizeof(c)));
	struct sc_pf_incident in = {.detected_ns = 3000000000ull, .incident = 1, .detected = 1, .path = 724,
	                            .injected = 1, .error_tick = 77, .detected_tick = 77};
	check(sc_profile_file_put(f, SC_PF_INCIDENT, &in, sizeof(in)));
	for (uint32_t k = 1; k <= 3; k++) {
		struct sc_pf_client cl = {.time_ns = k * 1000000000ull, .client = 7, .player = 0, .frames_sent = 60 * k,
		                          .frames_dropped = k, .bytes_sent = 100000 * k, .bytes_dropped = 500 * k,
		                          .rtt_us = 800, .left = k == 3};
		check(sc_profile_file_put(f, SC_PF_CLIENT, &cl, sizeof(cl)));
	}
	const double input_ms[3] = {12.5, 30, 47.5};
	for (int k = 0; k < 3; k++) {
		struct sc_pf_measure m = {.time_ns = 1, .client = 7, .kind = SC_PF_INPUT_DISPLAY,
		                          .value_ns = (uint64_t)(input_ms[k] * 1e6)};
		check(sc_profile_file_put(f, SC_PF_MEASURE, &m, sizeof(m)));
	}
	struct sc_pf_measure rtt = {.time_ns = 1, .client = 7, .kind = SC_PF_RTT, .value_ns = 800000};
	check(sc_profile_file_put(f, SC_PF_MEASURE, &rtt, sizeof(rtt)));
	/* the game's metadata (version 2): score set twice, the last value wins */
	for (int k = 0; k < 2; k++) {
		struct sc_sample_meta m = {.tick = 50u + (uint32_t)k, .instance = 0, .key_len = 5, .value_len = 3};
		memcpy(m.key, "score", 5);
		memcpy(m.value, k ? "3:1" : "2:1", 3);
		check(sc_profile_file_put(f, SC_PF_SAMPLE_META, &m, sizeof(m)));
	}
	sc_profile_file_poll(f, ~0ull >> 1); /* a flush job through the worker */
	check(sc_profile_file_dropped(f) == 0);
	sc_disk_worker_destroy(w);
	sc_profile_file_close(f);

	json_t *s = summary_of(path);
	check(s);
	check(json_is_true(json_object_get(s, "complete")));
	check(json_is_false(json_object_get(s, "limit_reached")));
	check(num(s, "records_dropped") == 0 && num(s, "encoder_starts") == 1);
	check(num(s, "version") == 2 && num(s, "records.sample_meta") == 2);
	check(strcmp(json_string_value(json_object_get(json_object_get(json_object_get(s, "game_meta"), "primary"),
	                                               "score")), "3:1") == 0);
	check(num(s, "samples.primary") == 100 && num(s, "samples.shadow0") == 40 && num(s, "samples.shadow1") == 0);
	check(num(s, "samples.first_tick") == 0 && num(s, "samples.last_tick") == 99);
	check(num(s, "metrics.primary.tick_ms.count") == 100);
	check(num(s, "metrics.primary.tick_ms.p50") == 50 && num(s, "metrics.primary.tick_ms.p99") == 99);
	check(num(s, "metrics.primary.tick_ms.max") == 100);
	check(num(s, "metrics.primary.gpu_pass_ms.particles.p50") == 5);
	check(num(s, "metrics.primary.gpu_pass_ms.seal.count") == 100);
	/* the shadow's frame passes are not observed (simulate-only) */
	check(num(s, "metrics.shadow.gpu_pass_ms.tick_logic.count") == 40);
	check(!json_object_get(json_object_get(json_object_get(s, "metrics"), "shadow"), "frame_ms") ||
	      num(s, "metrics.shadow.frame_ms.count") == 40);
	check(json_object_get(json_object_get(json_object_get(json_object_get(s, "metrics"), "shadow"), "gpu_pass_ms"),
	                      "seal") == NULL);
	check(num(s, "metrics.encode_ms.count") == 10 && num(s, "metrics.encode_ms.p50") == 5 &&
	      num(s, "metrics.encode_ms.p99") == 10);
	check(num(s, "metrics.encoded_bytes.count") == 10);
	const json_t *hot = json_object_get(s, "hottest_passes");
	check(json_is_array(hot) && json_array_size(hot) == 8);
	check(strcmp(json_string_value(json_object_get(json_array_get(hot, 0), "pass")), "particles") == 0);
	check(strcmp(json_string_value(json_object_get(json_array_get(hot, 1), "pass")), "seal") == 0);
	const json_t *inc = json_object_get(s, "incidents");
	check(json_array_size(inc) == 1);
	check(json_integer_value(json_object_get(json_array_get(inc, 0), "error_tick")) == 77);
	check(strcmp(json_string_value(json_object_get(json_array_get(inc, 0), "detected")), "assert") == 0);
	const json_t *conds = json_object_get(s, "conditions");
	check(json_array_size(conds) == 1);
	check(strcmp(json_string_value(json_object_get(json_array_get(conds, 0), "name")), "late") == 0);
	check(json_integer_value(json_object_get(json_array_get(conds, 0), "hits")) == 1);
	check(json_integer_value(json_array_get(json_object_get(json_array_get(conds, 0), "ticks"), 0)) == 10);
	const json_t *cls = json_object_get(s, "clients");
	check(json_array_size(cls) == 1);
	const json_t *cl = json_array_get(cls, 0);
	check(json_integer_value(json_object_get(cl, "client")) == 7);
	check(json_integer_value(json_object_get(cl, "frames_sent")) == 180);
	check(json_integer_value(json_object_get(cl, "bytes_dropped")) == 1500);
	check(json_is_true(json_object_get(cl, "left")));
	check(json_real_value(json_object_get(json_object_get(cl, "input_to_display_ms"), "p50")) == 30);
	check(json_real_value(json_object_get(json_object_get(cl, "input_to_display_ms"), "p99")) == 47.5);
	check(json_integer_value(json_object_get(json_object_get(cl, "input_to_display_ms"), "count")) == 3);
	check(json_real_value(json_object_get(json_object_get(cl, "rtt_ms"), "p50")) == 0.8);
	/* the table names what the JSON has */
	char *table = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&table, &tlen);
	sc_profile_print_table(mem, s);
	fclose(mem);
	check(strstr(table, "p50") && strstr(table, "particles") && strstr(table, "incident 1"));
	free(table);
	json_decref(s);
}

static void test_limit(struct sc_disk_worker *w)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/limit.scprof", dir);
	make_empty(path);
	const uint64_t limit = 8192;
	struct sc_profile_file *f = sc_profile_file_open(path, limit, META, w, err, sizeof(err));
	check(f);
	uint32_t taken = 0, refused = 0;
	for (uint32_t t = 0; t < 200; t++) {
		struct sc_sample s = sample(t, 0, 1);
		if (sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s)))
			taken++;
		else
			refused++;
	}
	check(taken > 10 && refused > 0 && taken + refused == 200);
	check(sc_profile_file_dropped(f) == refused);
	sc_disk_worker_destroy(w);
	sc_profile_file_close(f);
	struct stat st;
	check(stat(path, &st) == 0 && (uint64_t)st.st_size <= limit);
	check(limit - (uint64_t)st.st_size < 8 + sizeof(struct sc_sample)); /* filled up to the limit */
	json_t *s = summary_of(path);
	check(s);
	check(json_is_true(json_object_get(s, "complete")) && json_is_true(json_object_get(s, "limit_reached")));
	check(num(s, "records_dropped") == refused && num(s, "samples.primary") == taken);
	json_decref(s);
	/* too small a limit is refused */
	check(!sc_profile_file_open(path, SC_PROFILE_FILE_MIN_BYTES - 1, META, NULL, err, sizeof(err)));
}

/* A figure, not a check (no timing assertions): what put() costs the
 * producer, batches of 8000 samples that fit the buffer, each batch written
 * out before the next. Printed; docs/profile-format.md quotes it. */
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void figure_put_cost(struct sc_disk_worker *w)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/cost.scprof", dir);
	make_empty(path);
	struct sc_profile_file *f = sc_profile_file_open(path, 1ull << 30, META, w, err, sizeof(err));
	check(f);
	double ns[20];
	struct sc_sample s = sample(0, 0, 1);
	for (int b = 0; b < 20; b++) {
		uint64_t t0 = sc_now_ns();
		for (int k = 0; k < 8000; k++) {
			s.tick++;
			check(sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s)));
		}
		ns[b] = (double)(sc_now_ns() - t0) / 8000;
		sc_profile_file_poll(f, ~0ull >> 1);
		for (int k = 0; k < 2000 && sc_profile_file_pending(f); k++)
			usleep(1000);
	}
	qsort(ns, 20, sizeof(ns[0]), cmp_d);
	printf("put(): %.0f ns a sample record (p50 of 20 batches of 8000; min %.0f, max %.0f)\n", ns[10], ns[0], ns[19]);
	check(sc_profile_file_dropped(f) == 0);
	sc_disk_worker_destroy(w);
	sc_profile_file_close(f);
}

/* a job that holds the worker's only thread until released */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static bool held, release;

static bool hold_step(struct sc_disk_job *job)
{
	(void)job;
	pthread_mutex_lock(&hold_lock);
	held = true;
	pthread_cond_broadcast(&hold_cond);
	while (!release)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
	return false;
}

static void hold_destroy(struct sc_disk_job *job)
{
	free(job);
}

static const struct sc_disk_job_ops hold_ops = {.step = hold_step, .destroy = hold_destroy};

static void test_never_waits(struct sc_disk_worker *w)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/stall.scprof", dir);
	make_empty(path);
	struct sc_profile_file *f = sc_profile_file_open(path, 1ull << 30, META, w, err, sizeof(err));
	check(f);
	struct sc_disk_job *job = calloc(1, sizeof(*job));
	job->ops = &hold_ops;
	check(sc_disk_worker_submit(w, job));
	pthread_mutex_lock(&hold_lock);
	while (!held)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
	/* the disk "hangs": 40000 records (4.5 MB) against two 1 MiB buffers */
	uint32_t taken = 0;
	for (uint32_t t = 0; t < 40000; t++) {
		struct sc_sample s = sample(t, 0, 1);
		taken += sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s));
		if (t % 1000 == 0)
			sc_profile_file_poll(f, ~0ull >> 1);
	}
	uint64_t dropped = sc_profile_file_dropped(f);
	printf("stalled disk: %u records taken, %llu dropped\n", taken, (unsigned long long)dropped);
	check(dropped > 0 && taken + dropped == 40000);
	check(taken * (8 + sizeof(struct sc_sample)) <= 2 * SC_PROFILE_FILE_BUF);
	pthread_mutex_lock(&hold_lock);
	release = true;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	sc_disk_worker_destroy(w); /* as the encoder process does before close */
	sc_profile_file_close(f);
	json_t *s = summary_of(path);
	check(s);
	check(num(s, "samples.primary") == taken && num(s, "records_dropped") == (double)dropped);
	check(json_is_false(json_object_get(s, "limit_reached")));
	json_decref(s);
}

static void test_continue(struct sc_disk_worker *w)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/restart.scprof", dir);
	make_empty(path);
	struct sc_profile_file *f = sc_profile_file_open(path, 1u << 20, META, w, err, sizeof(err));
	check(f);
	struct sc_sample s = sample(1, 0, 1);
	check(sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s)));
	sc_disk_worker_destroy(w);
	sc_profile_file_close(f);
	/* a killed encoder: half a record at the end */
	int fd = open(path, O_WRONLY | O_APPEND);
	struct sc_pf_record r = {.type = SC_PF_SAMPLE, .length = sizeof(struct sc_sample)};
	check(write(fd, &r, sizeof(r)) == sizeof(r) && write(fd, &s, 20) == 20);
	close(fd);
	f = sc_profile_file_open(path, 1u << 20, META, NULL, err, sizeof(err)); /* no worker: all at close */
	check(f);
	s.tick = 2;
	check(sc_profile_file_put(f, SC_PF_SAMPLE, &s, sizeof(s)));
	sc_profile_file_close(f);
	json_t *sum = summary_of(path);
	check(sum);
	check(num(sum, "encoder_starts") == 2 && num(sum, "samples.primary") == 2);
	json_decref(sum);
}

static void expect_error(const uint8_t *b, size_t len, const char *want)
{
	char err[256] = "";
	json_t *s = sc_profile_summarize(b, len, err, sizeof(err));
	if (s || !strstr(err, want)) {
		fprintf(stderr, "wanted an error with '%s', got %s '%s'\n", want, s ? "a summary" : "", err);
		exit(1);
	}
}

static void test_bad_files(void)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/round.scprof", dir);
	size_t len;
	uint8_t *b = slurp(path, &len);
	expect_error(b, 0, "empty");
	expect_error(b, 40, "shorter than its header");
	expect_error(b, len - 5, "truncated");
	uint8_t *c = malloc(len);
	memcpy(c, b, len);
	c[0] = 'X';
	expect_error(c, len, "not a shadowcast profile");
	memcpy(c, b, len);
	c[8] = 9; /* version */
	expect_error(c, len, "version 9");
	/* version 1 is still read, but has no SAMPLE_META records */
	memcpy(c, b, len);
	c[8] = 1;
	expect_error(c, len, "a version 1 file has none");
	memcpy(c, b, len);
	/* records follow each other unaligned (META's length is the JSON's):
	 * their headers are read and written with memcpy, as the reader does */
	struct sc_pf_record first; /* META */
	memcpy(&first, c + 64, sizeof(first));
	first.type = 99;
	memcpy(c + 64, &first, sizeof(first));
	expect_error(c, len, "unknown record type 99");
	memcpy(c, b, len);
	/* the record after META: a sample with the wrong length */
	memcpy(&first, b + 64, sizeof(first));
	size_t second = 64 + 8 + first.length;
	struct sc_pf_record rec;
	memcpy(&rec, c + second, sizeof(rec));
	rec.length = 100;
	memcpy(c + second, &rec, sizeof(rec));
	expect_error(c, len, "length 100");
	memcpy(c, b, len);
	c[64 + 8] = '[';
	expect_error(c, len, "META");
	free(c);
	free(b);
}

/* A version 1 file (no SAMPLE_META) is read as before: `shadowcast profile`
 * keeps reading the files older servers wrote. */
static void test_version1(struct sc_disk_worker *w)
{
	char path[256], err[256];
	snprintf(path, sizeof(path), "%s/v1.scprof", dir);
	make_empty(path);
	struct sc_profile_file *f = sc_profile_file_open(path, 1u << 20, META, w, err, sizeof(err));
	check(f);
	struct sc_sample smp = sample(5, 0, 3);
	check(sc_profile_file_put(f, SC_PF_SAMPLE, &smp, sizeof(smp)));
	sc_profile_file_poll(f, ~0ull >> 1);
	sc_disk_worker_destroy(w);
	sc_profile_file_close(f);
	size_t len;
	uint8_t *b = slurp(path, &len);
	check(len > 64 && b[8] == 2);
	b[8] = 1;
	json_t *s = sc_profile_summarize(b, len, err, sizeof(err));
	check(s && num(s, "version") == 1 && num(s, "samples.primary") == 1);
	json_decref(s);
	free(b);
}

int main(void)
{
	check(mkdtemp(dir));
	/* a worker each: the file is closed after its worker is gone */
	test_round_trip(worker());
	test_limit(worker());
	test_continue(worker());
	test_bad_files();
	test_version1(worker());
	test_never_waits(worker());
	figure_put_cost(worker());
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	check(system(cmd) == 0);
	printf("profile file: ok\n");
	return 0;
}
