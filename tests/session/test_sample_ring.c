/* The sample ring (session/shm/sample.h) and its writer, and the /metrics
 * histograms built from it (server/profile_metrics.c):
 *  - samples come back whole and in order, header checked;
 *  - a full ring drops (never blocks), counts each drop, and takes samples
 *    again once drained;
 *  - --sample-every N writes exactly the ticks that are multiples of N;
 *  - a record with a bad header or length is refused and counted;
 *  - the histogram text is Prometheus 0.0.4: TYPE histogram, cumulative
 *    buckets ending in +Inf == _count, _sum; a pass's series moves when its
 *    GPU time does. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/profile_metrics.h"
#include "session/sample_ring.h"
#include "session/sample_writer.h"
#include "tests/lib/check.h"

static void *ring_mem(struct sc_spsc_ring *ring)
{
	size_t size = sc_spsc_ring_block_size(SC_SAMPLE_RING_CAPACITY);
	void *mem = aligned_alloc(64, size);
	check(mem);
	check(sc_spsc_ring_init(ring, mem, size));
	sc_spsc_ring_set_max_type(ring, SC_MSG_TYPE_COUNT - 1);
	return mem;
}

static struct sc_tick_result result(uint32_t tick, uint32_t particles_ns)
{
	struct sc_tick_result r;
	memset(&r, 0, sizeof(r));
	r.tick = tick;
	r.gpu_ms = 1.5;
	for (uint32_t i = 0; i < SC_GAME_PASSES; i++)
		r.pass_ns[i] = 1000 * (i + 1);
	r.pass_ns[2] = particles_ns;
	r.state.hdr.score0 = 3;
	r.state.hdr.score1 = 4;
	r.state.hdr.n_players = 2;
	return r;
}

/* One tick through the writer: begin, result, end. */
static bool run_tick(struct sc_sample_writer *w, uint32_t tick, uint32_t particles_ns)
{
	uint64_t start = 1000000000ull + (uint64_t)tick * 16666666ull;
	sc_sample_begin(w, tick, start);
	struct sc_tick_result r = result(tick, particles_ns);
	sc_sample_result(w, &r, 1, 5000, true);
	return sc_sample_end(w, start + 2000000, 7, 60);
}

static void test_round_trip_full_and_drain(void)
{
	struct sc_spsc_ring ring;
	void *mem = ring_mem(&ring);
	_Atomic uint64_t written = 0, dropped = 0;
	struct sc_sample_writer w;
	sc_sample_writer_init(&w, &ring, SC_SAMPLE_PRIMARY, 1, &written, &dropped);

	uint32_t tick = 0;
	while (run_tick(&w, tick, 5000))
		tick++;
	check(tick > 400); /* 144-byte records in 64 KiB */
	check(atomic_load(&written) == tick);
	check(atomic_load(&dropped) == 1);
	check(!run_tick(&w, tick + 1, 5000)); /* still full: dropped again, not blocked */
	check(atomic_load(&dropped) == 2);

	struct sc_sample s;
	for (uint32_t i = 0; i < tick; i++) {
		check(sc_sample_ring_read(&ring, &s) == SC_RING_SUCCESS);
		check(s.tick == i);
		check(s.instance == SC_SAMPLE_PRIMARY);
		check(s.flags == SC_SAMPLE_RENDERED);
		check(s.wall_ns == 2000000);
		check(s.frame_ns == (i == 0 ? 0 : 16666666));
		check(s.gpu_total_ns == 1500000);
		check(s.gpu_pass_ns[0] == 1000 && s.gpu_pass_ns[2] == 5000 && s.gpu_pass_ns[7] == 8000);
		check(s.input_depth == 7 && s.shadow_lag == 60);
		check(s.score0 == 3 && s.score1 == 4 && s.players == 2 && s.particles == 5000 && s.n_inputs == 1);
		check(s.sample_every == 1);
	}
	check(sc_sample_ring_read(&ring, &s) == SC_RING_EMPTY);
	check(run_tick(&w, tick + 2, 5000)); /* drained: samples again */
	free(mem);
}

static void test_every_nth(void)
{
	struct sc_spsc_ring ring;
	void *mem = ring_mem(&ring);
	_Atomic uint64_t written = 0, dropped = 0;
	struct sc_sample_writer w;
	sc_sample_writer_init(&w, &ring, SC_SAMPLE_SHADOW1, 10, &written, &dropped);
	for (uint32_t t = 0; t < 100; t++)
		run_tick(&w, t, 5000);
	check(atomic_load(&written) == 10);
	struct sc_sample s;
	for (uint32_t i = 0; i < 10; i++) {
		check(sc_sample_ring_read(&ring, &s) == SC_RING_SUCCESS);
		check(s.tick == i * 10 && s.instance == SC_SAMPLE_SHADOW1 && s.sample_every == 10);
		check(s.frame_ns == (i == 0 ? 0 : 16666666)); /* the tick before it, sampled or not */
	}
	/* off: nothing written, nothing counted */
	sc_sample_writer_init(&w, &ring, SC_SAMPLE_PRIMARY, 0, &written, &dropped);
	for (uint32_t t = 0; t < 20; t++)
		check(!run_tick(&w, t, 5000));
	check(sc_sample_ring_read(&ring, &s) == SC_RING_EMPTY);
	/* a result for another tick than the one begun: no sample */
	sc_sample_writer_init(&w, &ring, SC_SAMPLE_PRIMARY, 1, &written, &dropped);
	sc_sample_begin(&w, 5, 100);
	struct sc_tick_result r = result(6, 1);
	sc_sample_result(&w, &r, 0, 1, true);
	check(!sc_sample_end(&w, 200, 0, 0));
	free(mem);
}

static void test_bad_records(void)
{
	struct sc_spsc_ring ring;
	void *mem = ring_mem(&ring);
	uint8_t junk[64] = {0};
	check(sc_spsc_ring_write(&ring, SC_MSG_SAMPLE, junk, sizeof(junk)) == SC_RING_SUCCESS); /* too short */
	struct sc_msg_header h = {.type = SC_MSG_AUDIO, .payload_len = sizeof(struct sc_sample)};
	uint8_t rec[sizeof(h) + sizeof(struct sc_sample)] = {0};
	memcpy(rec, &h, sizeof(h));
	check(sc_spsc_ring_write(&ring, SC_MSG_SAMPLE, rec, sizeof(rec)) == SC_RING_SUCCESS); /* wrong header type */
	struct sc_sample s;
	check(sc_sample_ring_read(&ring, &s) == SC_RING_CORRUPT);
	check(sc_sample_ring_read(&ring, &s) == SC_RING_CORRUPT);
	check(ring.corrupt_count == 2);
	check(sc_sample_ring_read(&ring, &s) == SC_RING_EMPTY);
	free(mem);
}

/* The value of the line that starts with `prefix` (-1 when absent). */
static double value_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return atof(p + n + 1);
	return -1;
}

static void test_histogram_text(void)
{
	static struct sc_profile prof;
	sc_profile_init(&prof, NULL, NULL);
	char *buf = malloc(256 * 1024);
	check(buf);
	check(sc_profile_metrics_text(&prof, buf, 256 * 1024, false) > 0);
	check(strstr(buf, "# TYPE shadowcast_gpu_pass_seconds histogram\n"));
	check(strstr(buf, "# TYPE shadowcast_frame_time_seconds histogram\n"));
	check(strstr(buf, "# TYPE shadowcast_encode_seconds histogram\n"));
	const char *cnt = "shadowcast_gpu_pass_seconds_count{pass=\"particles\",role=\"primary\"}";
	const char *sum = "shadowcast_gpu_pass_seconds_sum{pass=\"particles\",role=\"primary\"}";
	check(value_of(buf, cnt) == 0);

	struct sc_sample s = {.tick = 1, .instance = SC_SAMPLE_PRIMARY, .flags = SC_SAMPLE_RENDERED, .frame_ns = 16000000,
	                      .wall_ns = 3000000};
	s.gpu_pass_ns[2] = 200000; /* 0.2 ms: in le=0.00025 and above, not in le=0.0001 */
	sc_profile_add(&prof, &s);
	s.gpu_pass_ns[2] = 3000000;
	sc_profile_add(&prof, &s);
	sc_profile_encoded(&prof, 5000000, 1234);
	check(sc_profile_metrics_text(&prof, buf, 256 * 1024, false) > 0);
	check(value_of(buf, cnt) == 2);
	double v = value_of(buf, sum);
	check(v > 0.0031 && v < 0.0033);
	check(value_of(buf, "shadowcast_gpu_pass_seconds_bucket{pass=\"particles\",role=\"primary\",le=\"0.0001\"}") == 0);
	check(value_of(buf, "shadowcast_gpu_pass_seconds_bucket{pass=\"particles\",role=\"primary\",le=\"0.00025\"}") == 1);
	check(value_of(buf, "shadowcast_gpu_pass_seconds_bucket{pass=\"particles\",role=\"primary\",le=\"0.004\"}") == 2);
	check(value_of(buf, "shadowcast_gpu_pass_seconds_bucket{pass=\"particles\",role=\"primary\",le=\"+Inf\"}") == 2);
	check(value_of(buf, "shadowcast_frame_time_seconds_count") == 2);
	check(value_of(buf, "shadowcast_encode_seconds_count") == 1);
	check(value_of(buf, "shadowcast_encoded_bytes_total") == 1234);
	/* buckets cumulative: never decreasing along each series */
	double prev = -1;
	const char *series = "shadowcast_frame_time_seconds_bucket{le=";
	for (const char *p = strstr(buf, series); p; p = strstr(p + 1, series)) {
		double x = atof(strchr(p, '}') + 2);
		check(x >= prev);
		prev = x;
	}
	check(prev == 2);
	/* a shadow sample (simulate only) has no frame-pass series */
	check(!strstr(buf, "pass=\"render\",role=\"shadow\""));
	free(buf);
	sc_profile_finish(&prof);
}

int main(void)
{
	test_round_trip_full_and_drain();
	test_every_nth();
	test_bad_records();
	test_histogram_text();
	printf("sample ring: ok\n");
	return 0;
}
