/* VA-API probe: find a render node, vaInitialize, look for an H.264 encode
 * entry point, open h264_vaapi and encode one frame -- all in a forked child
 * with a timeout, whose one-line verdict comes back over a pipe. A driver that
 * crashes or hangs costs the child, never the caller. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>
#include <va/va_drm.h>

#include "net/encoder/encoder_priv.h"
#include "net/encoder/vaapi_probe.h"
#include "net/encoder/vaapi_probe_priv.h"
#include "util/clock.h"

struct sc_vaapi_probe_result {
	uint32_t ok;
	char reason[SC_ENCODER_REASON_LEN];
};

bool sc_vaapi_find_render_node(char *path, size_t len)
{
	glob_t g;
	bool found = false;
	if (glob("/dev/dri/renderD*", 0, NULL, &g) == 0) {
		if (g.gl_pathc > 0) {
			snprintf(path, len, "%s", g.gl_pathv[0]);
			found = true;
		}
		globfree(&g);
	}
	return found;
}

void sc_vaapi_h264_entrypoints(VADisplay dpy, bool *enc_slice, bool *enc_slice_lp)
{
	static const VAProfile profiles[] = {
		VAProfileH264ConstrainedBaseline, VAProfileH264Main, VAProfileH264High,
	};
	*enc_slice = *enc_slice_lp = false;
	int max = vaMaxNumEntrypoints(dpy);
	if (max <= 0) {
		return;
	}
	VAEntrypoint *eps = calloc((size_t)max, sizeof(*eps));
	if (!eps) {
		return;
	}
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		int n = 0;
		if (vaQueryConfigEntrypoints(dpy, profiles[i], eps, &n) !=
				VA_STATUS_SUCCESS) {
			continue; /* profile not supported at all */
		}
		for (int j = 0; j < n; j++) {
			*enc_slice |= eps[j] == VAEntrypointEncSlice;
			*enc_slice_lp |= eps[j] == VAEntrypointEncSliceLP;
		}
	}
	free(eps);
}

struct sc_vaapi_msg_buf {
	char *buf;
	size_t len;
};

static void sc_vaapi_on_error(void *user, const char *msg)
{
	struct sc_vaapi_msg_buf *b = user;
	if (b && b->buf && b->len) {
		sc_encoder_reason(b->buf, b->len, "%s", msg);
		size_t n = strlen(b->buf);
		while (n > 0 && (b->buf[n - 1] == '\n' || b->buf[n - 1] == ' ')) {
			b->buf[--n] = '\0';
		}
	}
}

static void sc_vaapi_on_info(void *user, const char *msg)
{
}

void sc_vaapi_quiet(VADisplay dpy, char *buf, size_t len)
{
	static struct sc_vaapi_msg_buf b; /* the probe child only */
	b.buf = buf;
	b.len = len;
	if (buf && len) {
		buf[0] = '\0';
	}
	vaSetErrorCallback(dpy, sc_vaapi_on_error, &b);
	vaSetInfoCallback(dpy, sc_vaapi_on_info, NULL);
}

/* The child keeps libavcodec's last error line to explain a failed open. */
static char sc_probe_av_msg[160];

static void sc_probe_av_log(void *avcl, int level, const char *fmt, va_list vl)
{
	if (level > AV_LOG_ERROR) {
		return;
	}
	int prefix = 0;
	char line[sizeof(sc_probe_av_msg)];
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &prefix);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ')) {
		line[--n] = '\0';
	}
	if (n > 0) {
		memcpy(sc_probe_av_msg, line, n + 1);
	}
}

/* libva checks only: node, display, vaInitialize, H.264 encode entry point. */
static bool sc_vaapi_probe_libva(const char *device, char *reason, size_t len)
{
	char va_msg[160];
	bool ok = false;
	int fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		sc_encoder_reason(reason, len, "cannot open VA-API device %s: %s", device,
				strerror(errno));
		return false;
	}
	VADisplay dpy = vaGetDisplayDRM(fd);
	if (!dpy) {
		sc_encoder_reason(reason, len, "%s is not a DRM device libva can use", device);
		goto out_fd;
	}
	sc_vaapi_quiet(dpy, va_msg, sizeof(va_msg));
	int major = 0, minor = 0;
	VAStatus st = vaInitialize(dpy, &major, &minor);
	if (st != VA_STATUS_SUCCESS) {
		sc_encoder_reason(reason, len, "vaInitialize on %s failed: %s%s%s", device,
				vaErrorStr(st), va_msg[0] ? " -- " : "", va_msg);
		goto out_dpy;
	}
	bool enc_slice, enc_slice_lp;
	sc_vaapi_h264_entrypoints(dpy, &enc_slice, &enc_slice_lp);
	if (!enc_slice && !enc_slice_lp) {
		const char *vendor = vaQueryVendorString(dpy);
		sc_encoder_reason(reason, len, "VA-API driver '%s' on %s has no H.264 encode "
				"entry point (EncSlice/EncSliceLP)",
				vendor ? vendor : "?", device);
		goto out_dpy;
	}
	ok = true;
out_dpy:
	vaTerminate(dpy);
out_fd:
	close(fd);
	return ok;
}

/* One real encode through the same code the stream will use. */
static bool sc_vaapi_probe_encode(const struct sc_encoder_config *cfg,
		const char *device, char *reason, size_t len)
{
	char err[SC_ENCODER_REASON_LEN];
	struct sc_nv12_frame f = {.width = cfg->width, .height = cfg->height,
			.dmabuf_fd = -1};
	struct sc_encoded_packet pkt = {0};
	bool ok = false;

	struct sc_encoder *enc = sc_encoder_open_kind(cfg, SC_ENCODER_VAAPI, device,
			err, sizeof(err));
	if (!enc) {
		sc_encoder_reason(reason, len, "h264_vaapi on %s: %s%s%s", device, err,
				sc_probe_av_msg[0] ? " -- " : "", sc_probe_av_msg);
		return false;
	}
	sc_nv12_layout(cfg->width, cfg->height, &f.pitch, &f.uv_offset, &f.size);
	uint8_t *mem = malloc(f.size);
	if (!mem) {
		sc_encoder_reason(reason, len, "out of memory for the probe frame");
		goto out;
	}
	memset(mem, 128, f.size);
	f.base = mem;
	/* A driver may hold the first frame back; allow a couple more. */
	for (int i = 0; i < 3 && pkt.size == 0; i++) {
		f.pts = (uint64_t)i;
		if (!sc_encoder_encode_err(enc, &f, i == 0, &pkt, err,
				sizeof(err))) {
			sc_encoder_reason(reason, len, "h264_vaapi test encode on %s: %s%s%s",
					device, err, sc_probe_av_msg[0] ? " -- " : "",
					sc_probe_av_msg);
			goto out;
		}
	}
	if (pkt.size == 0) {
		sc_encoder_reason(reason, len, "h264_vaapi test encode on %s produced no "
				"packet after 3 frames", device);
		goto out;
	}
	if (!sc_h264_has_nal(pkt.data, pkt.size, 7) ||
			!sc_h264_has_nal(pkt.data, pkt.size, 8)) {
		sc_encoder_reason(reason, len, "h264_vaapi on %s writes no in-band SPS/PPS "
				"(driver without packed headers)", device);
		goto out;
	}
	ok = true;
out:
	free(mem);
	sc_encoder_destroy(enc);
	return ok;
}

static void sc_vaapi_probe_child(const struct sc_encoder_config *cfg,
		const char *device, enum sc_vaapi_probe_fault fault, int fd)
{
	struct sc_vaapi_probe_result res;
	memset(&res, 0, sizeof(res));
	av_log_set_callback(sc_probe_av_log);
	if (fault == SC_VAAPI_PROBE_FAULT_CRASH) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		abort();
	}
	while (fault == SC_VAAPI_PROBE_FAULT_HANG) {
		pause();
	}
	res.ok = sc_vaapi_probe_libva(device, res.reason, sizeof(res.reason)) &&
			sc_vaapi_probe_encode(cfg, device, res.reason, sizeof(res.reason));
	const char *p = (const char *)&res;
	size_t left = sizeof(res);
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			_exit(2);
		}
		p += n;
		left -= (size_t)n;
	}
	_exit(0);
}

/* Reads the child's verdict until deadline; returns bytes read. */
static size_t sc_vaapi_probe_read(int fd, struct sc_vaapi_probe_result *res,
		int timeout_ms, bool *timed_out)
{
	uint64_t deadline = sc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	char *p = (char *)res;
	size_t got = 0;
	*timed_out = false;
	while (got < sizeof(*res)) {
		uint64_t now = sc_now_ns();
		if (now >= deadline) {
			*timed_out = true;
			break;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int wait_ms = (int)((deadline - now + 999999) / 1000000);
		int r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			break;
		}
		if (r == 0) {
			continue; /* the deadline check above ends the loop */
		}
		ssize_t n = read(fd, p + got, sizeof(*res) - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break; /* child gone without (all of) a result */
		}
		got += (size_t)n;
	}
	return got;
}

/* waitpid, bounded: a child stuck in the kernel (driver hang in D state)
 * ignores SIGKILL until the driver lets go; we do not wait for that. */
static pid_t sc_vaapi_probe_reap(pid_t pid, int *status)
{
	uint64_t deadline = sc_now_ns() + 2000000000ull;
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w != 0 || sc_now_ns() >= deadline) {
			if (w < 0 && errno == EINTR) {
				continue;
			}
			return w;
		}
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
}

bool sc_vaapi_probe_isolated(const struct sc_encoder_config *cfg,
		enum sc_vaapi_probe_fault fault, int timeout_ms, char *reason,
		size_t len)
{
	char device[256];
	char scratch[SC_ENCODER_REASON_LEN];
	struct sc_vaapi_probe_result res;
	int pipefd[2];
	bool timed_out;

	if (!reason || len == 0) {
		reason = scratch;
		len = sizeof(scratch);
	}
	reason[0] = '\0';
	if (cfg->vaapi_device) {
		snprintf(device, sizeof(device), "%s", cfg->vaapi_device);
	} else if (!sc_vaapi_find_render_node(device, sizeof(device))) {
		sc_encoder_reason(reason, len, "no VA-API render node (/dev/dri/renderD* not found)");
		return false;
	}
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		sc_encoder_reason(reason, len, "cannot create the VA-API probe pipe: %s",
				strerror(errno));
		return false;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		sc_encoder_reason(reason, len, "cannot fork the VA-API probe: %s",
				strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return false;
	}
	if (pid == 0) {
		close(pipefd[0]);
		sc_vaapi_probe_child(cfg, device, fault, pipefd[1]);
	}
	close(pipefd[1]);

	memset(&res, 0, sizeof(res));
	size_t got = sc_vaapi_probe_read(pipefd[0], &res, timeout_ms, &timed_out);
	close(pipefd[0]);
	/* The child is done or must be: never leave it running or unreaped. */
	kill(pid, SIGKILL);
	int status = 0;
	pid_t w = sc_vaapi_probe_reap(pid, &status);

	if (got == sizeof(res)) {
		res.reason[sizeof(res.reason) - 1] = '\0';
		if (!res.ok) {
			sc_encoder_reason(reason, len, "%s", res.reason);
		}
		return res.ok != 0;
	}
	if (timed_out) {
		sc_encoder_reason(reason, len, "VA-API probe on %s timed out after %d ms "
				"(driver hang?)", device, timeout_ms);
	} else if (w == pid && WIFSIGNALED(status)) {
		sc_encoder_reason(reason, len, "VA-API probe on %s crashed (signal %d, %s)",
				device, WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (w == pid && WIFEXITED(status)) {
		sc_encoder_reason(reason, len, "VA-API probe on %s exited with status %d "
				"without a result", device, WEXITSTATUS(status));
	} else {
		sc_encoder_reason(reason, len, "VA-API probe on %s ended without a result",
				device);
	}
	return false;
}

bool sc_vaapi_probe(const char *device, char *reason, size_t len)
{
	struct sc_encoder_config cfg = {
		.width = 1280, .height = 720, .fps = 60, .bitrate_kbps = 4000,
		.idr_interval = 0, .kind = SC_ENCODER_VAAPI, .vaapi_device = device,
	};
	return sc_vaapi_probe_isolated(&cfg, SC_VAAPI_PROBE_FAULT_NONE,
			SC_VAAPI_PROBE_TIMEOUT_MS, reason, len);
}
