/* `shadowcast replay CAPTURE [--step input|tick] [--until-error] [--device SPEC]`:
 * re-runs a capture offline on any Vulkan device and reproduces its error at
 * the same tick. The work runs in a child process forked before any Vulkan
 * call, so a hang (fence timeout: the GPU cannot be torn down) or a crash
 * (signal) is observed from outside: the child reports each tick it starts on
 * a pipe, the parent turns a signal or a silent child into a result.
 * The verdict: "reproduced" only for the capture's fault kind at its error
 * tick; anything else says what happened, with its own exit status. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/commands.h"
#include "shadow/capture.h"
#include "shadow/step.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/parse.h"

#define EXTRA_TICKS 60      /* --until-error: ticks run past the last input */
#define SILENCE_SLACK_MS 20000 /* beyond the hang timeout: the child is stuck */

enum step_mode { STEP_NONE, STEP_INPUT, STEP_TICK };

struct replay_opts {
	const char *capture;
	enum step_mode step;
	bool until_error;
	char device[128];
	uint32_t hang_timeout_ms; /* 0 = the capture's */
};

/* Exit statuses (docs/captures.md); the child's results travel as them. */
#define RC_REPRODUCED 0     /* the capture's fault kind at its error tick */
#define RC_NO_FAULT 1       /* no fault through the last tick run */
#define RC_ERROR 2          /* usage, capture or replay error */
#define RC_OTHER_KIND 3     /* a fault of another kind */
#define RC_OTHER_TICK 4     /* the capture's fault kind, at another tick */
#define RC_CHILD_CRASHED 5  /* the replay child died of a signal the capture does not record */

static void report_tick(int fd, uint32_t tick)
{
	if (fd >= 0 && write(fd, &tick, sizeof(tick)) != sizeof(tick))
		sc_warn("progress pipe: %s", strerror(errno));
}

static void print_input(const struct sc_input_event *ev)
{
	char line[64];
	sc_input_format(ev, line, sizeof(line));
	printf("%s", line);
}

/* A fault the replay ran into (detected: enum sc_fault_detected, at its tick;
 * desc "KIND at tick T (...)") against the capture's: prints the verdict line. */
static int verdict(const struct sc_capture_info *in, uint32_t detected, uint32_t at, const char *desc)
{
	if (!in->incident) {
		printf("not reproduced: a fault: %s; the capture records no incident\n", desc);
		return RC_OTHER_KIND;
	}
	const char *want = sc_fault_detected_name(in->detected);
	if (detected == in->detected && at == in->error_tick) {
		printf("reproduced: %s\n", desc);
		return RC_REPRODUCED;
	}
	if (detected == in->detected) {
		printf("not reproduced: the same kind at another tick: %s; the capture's fault: %s at tick %u\n", desc,
		       want, in->error_tick);
		return RC_OTHER_TICK;
	}
	printf("not reproduced: a different fault: %s; the capture's fault: %s at tick %u\n", desc, want,
	       in->error_tick);
	return RC_OTHER_KIND;
}

static int finish_fault(const struct sc_capture_info *in, const struct sc_step_result *res)
{
	char desc[384];
	sc_step_describe(res, desc, sizeof(desc));
	return verdict(in, sc_step_detected(res), sc_step_fault_tick(res), desc);
}

static int replay_child(const struct replay_opts *o, int progress_fd)
{
	struct sc_capture cap;
	if (!sc_capture_load(&cap, o->capture))
		return RC_ERROR;
	const struct sc_capture_info *in = &cap.info;
	struct sc_game_config gc;
	sc_game_config_defaults(&gc);
	gc.width = in->game.width;
	gc.height = in->game.height;
	gc.seed = in->game.seed;
	gc.players = in->game.players;
	gc.particles = in->game.particles;
	gc.fps = in->game.fps;
	gc.frame_slots = 1;
	gc.hang_timeout_ms = o->hang_timeout_ms ? o->hang_timeout_ms :
	                     in->game.hang_timeout_ms ? in->game.hang_timeout_ms : 2000;
	int rc = RC_ERROR;
	void *snap = NULL;
	struct sc_vk_device *dev = sc_vk_device_create(o->device);
	struct sc_game *game = dev ? sc_game_create(dev, &gc) : NULL;
	if (!game || !sc_game_restore(game, cap.snap, cap.snap_len) || !(snap = malloc(cap.snap_len)))
		goto out;

	uint32_t start = in->next_tick;
	bool have_target = in->incident != 0;
	uint32_t target = have_target ? in->error_tick : start;
	size_t first = 0;
	while (first < cap.n_inputs && cap.inputs[first].tick < start)
		first++;
	uint32_t last_input = cap.n_inputs > first ? cap.inputs[cap.n_inputs - 1].tick : start;
	uint32_t last = o->until_error ? (last_input > target ? last_input : target) + EXTRA_TICKS :
	                have_target ? target : last_input;
	printf("replaying %s on %s: from tick %u (state after %d), %zu pending inputs, %s tick %u\n", cap.dir,
	       dev->info.name, start, (int)start - 1, cap.n_inputs - first,
	       have_target ? "primary error at" : "no incident; through", target);
	fflush(stdout);

	size_t cur = first;
	for (uint32_t t = start; t <= last; t++) {
		const struct sc_input_event *ev = cap.inputs + cur;
		uint32_t n = 0;
		while (cur + n < cap.n_inputs && cap.inputs[cur + n].tick == t)
			n++;
		cur += n;
		report_tick(progress_fd, t);
		struct sc_step_result res;
		if (o->step == STEP_INPUT && n > 0) {
			if (!sc_game_snapshot(game, snap, cap.snap_len))
				goto out;
			for (uint32_t k = 1; k <= n; k++) {
				printf("tick %u input %u/%u: ", t, k, n);
				print_input(&ev[k - 1]);
				fflush(stdout);
				sc_step_run(game, snap, cap.snap_len, ev, k, n, SC_STEP_DANGEROUS, &res);
				if (res.outcome == SC_STEP_ERROR) {
					printf("\n");
					sc_err("tick %u: %s", t, res.why);
					goto out;
				}
				if (res.reproduced) {
					printf(" -> fault\n");
					rc = finish_fault(in, &res);
					if (res.outcome == SC_STEP_HANG || res.outcome == SC_STEP_DEVICE_LOST) {
						fflush(stdout);
						_exit(rc);
					}
					goto out;
				}
				printf(" -> ok, hash %016" PRIx64 "\n", res.hash);
			}
		} else {
			sc_step_run(game, NULL, 0, ev, n, n, SC_STEP_DANGEROUS, &res);
			if (res.outcome == SC_STEP_ERROR) {
				sc_err("tick %u: %s", t, res.why);
				goto out;
			}
			if (res.reproduced) {
				rc = finish_fault(in, &res);
				if (res.outcome == SC_STEP_HANG || res.outcome == SC_STEP_DEVICE_LOST) {
					fflush(stdout);
					_exit(rc);
				}
				goto out;
			}
			if (o->step == STEP_TICK)
				printf("tick %u: %u inputs, ok, hash %016" PRIx64 "\n", t, n, res.hash);
		}
		fflush(stdout);
	}
	printf("not reproduced: ticks %u..%u ran without a fault", start, last);
	if (have_target)
		printf("; the capture's fault: %s at tick %u\n", sc_fault_detected_name(in->detected), target);
	else
		printf(" (the capture records no incident)\n");
	rc = RC_NO_FAULT;
out:
	fflush(stdout);
	free(snap);
	sc_game_destroy(game);
	sc_vk_device_destroy(dev);
	sc_capture_finish(&cap);
	return rc;
}

/* Waits for the child; progress tells which tick it was in. */
static int watch_child(pid_t pid, int progress_fd, uint32_t hang_ms, const struct sc_capture_info *in)
{
	uint32_t tick = 0;
	bool have_tick = false;
	uint64_t last_news = sc_now_ns();
	uint64_t silence_ns = ((uint64_t)hang_ms + SILENCE_SLACK_MS) * 1000000ull;
	/* until its first tick the child is starting: the device, the game and
	 * its warm-up of every pipeline (first-use compilation, seconds on a
	 * cold shader cache) have the game's startup bound, not the hang timeout */
	struct sc_game_config defaults;
	sc_game_config_defaults(&defaults);
	uint64_t start_ns = ((uint64_t)defaults.startup_timeout_ms + SILENCE_SLACK_MS) * 1000000ull;
	int status = 0;
	for (;;) {
		struct pollfd pfd = {.fd = progress_fd, .events = POLLIN};
		int r = poll(&pfd, 1, 100);
		if (r > 0) {
			uint32_t t;
			ssize_t got = read(progress_fd, &t, sizeof(t));
			if (got == sizeof(t)) {
				tick = t;
				have_tick = true;
				last_news = sc_now_ns();
			} else if (got == 0) {
				/* closed: the child is exiting */
				waitpid(pid, &status, 0);
				break;
			}
		}
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		uint64_t limit_ns = have_tick ? silence_ns : start_ns;
		if (sc_now_ns() > last_news + limit_ns) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fflush(stdout);
			char desc[160];
			snprintf(desc, sizeof(desc), "hang at tick %u (no progress for %llu ms; the replay child was killed)",
			         tick, (unsigned long long)(limit_ns / 1000000ull));
			return verdict(in, SC_DETECTED_HANG, tick, desc);
		}
	}
	fflush(stdout);
	if (WIFSIGNALED(status)) {
		/* a crash input aborts as the primary does, whose death is a process-death */
		int sig = WTERMSIG(status);
		uint32_t at = have_tick ? tick : 0;
		if (in->incident && in->detected != SC_DETECTED_DEATH) {
			printf("not reproduced: the replay child crashed with signal %d (%s) at tick %u; the capture's fault: "
			       "%s at tick %u\n", sig, strsignal(sig), at, sc_fault_detected_name(in->detected), in->error_tick);
			return RC_CHILD_CRASHED;
		}
		char desc[160];
		snprintf(desc, sizeof(desc), "crash at tick %u (signal %d: %s)", at, sig, strsignal(sig));
		return verdict(in, SC_DETECTED_DEATH, at, desc);
	}
	/* the child's verdict; a status it never gives (a library's exit) is an error */
	if (WIFEXITED(status) && WEXITSTATUS(status) < RC_CHILD_CRASHED)
		return WEXITSTATUS(status);
	printf("replay error: the replay child ended with status 0x%x\n", (unsigned)status);
	return RC_ERROR;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shadowcast replay CAPTURE [--step input|tick] [--until-error] [--device SPEC]\n"
	           "                        [--hang-timeout MS]\n"
	           "  re-runs a capture (docs/captures.md) from its preserved state with its pending inputs and\n"
	           "  reproduces the primary's error at the same tick. Exit status: 0 reproduced (the capture's fault\n"
	           "  kind at its error tick), 1 no fault, 2 usage/capture/replay error, 3 a fault of another kind,\n"
	           "  4 the same kind at another tick, 5 the replay child crashed (a signal) where the capture\n"
	           "  records no process death.\n"
	           "  --step input   apply the inputs of each tick one at a time, printing each result\n"
	           "  --step tick    print each tick's result\n"
	           "  --until-error  run on past the primary's error tick until any fault (or inputs + %d ticks);\n"
	           "                 the verdict is the same: the capture's kind at its tick, or what happened\n"
	           "  --device SPEC  Vulkan device (default auto; lavapipe is fine)\n"
	           "  --hang-timeout MS  fence timeout that counts as a hang (default: the capture's)\n", EXTRA_TICKS);
}

int sc_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"step", required_argument, NULL, 's'}, {"until-error", no_argument, NULL, 'u'},
		{"device", required_argument, NULL, 'd'}, {"hang-timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'}, {0}};
	struct replay_opts o = {.step = STEP_NONE};
	snprintf(o.device, sizeof(o.device), "auto");
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "input") == 0) {
				o.step = STEP_INPUT;
			} else if (strcmp(optarg, "tick") == 0) {
				o.step = STEP_TICK;
			} else {
				fprintf(stderr, "shadowcast replay: --step must be input or tick\n");
				return 2;
			}
			break;
		case 'u': o.until_error = true; break;
		case 'd': snprintf(o.device, sizeof(o.device), "%s", optarg); break;
		case 't':
			if (!sc_parse_u32(optarg, 10, 600000, &o.hang_timeout_ms)) {
				fprintf(stderr, "shadowcast replay: --hang-timeout must be 10..600000 (ms)\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o.capture = argv[optind];
	struct sc_capture probe;
	if (!sc_capture_load(&probe, o.capture))
		return 2;
	uint32_t hang_ms = o.hang_timeout_ms ? o.hang_timeout_ms : probe.info.game.hang_timeout_ms;
	struct sc_capture_info info = probe.info; /* what the verdict compares with */
	sc_capture_finish(&probe);

	int p[2];
	if (pipe(p) != 0) {
		sc_err("pipe: %s", strerror(errno));
		return RC_ERROR;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		sc_err("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return RC_ERROR;
	}
	if (pid == 0) {
		close(p[0]);
		int crc = replay_child(&o, p[1]);
		fflush(stdout);
		_exit(crc);
	}
	close(p[1]);
	int rc = watch_child(pid, p[0], hang_ms, &info);
	close(p[0]);
	return rc;
}
