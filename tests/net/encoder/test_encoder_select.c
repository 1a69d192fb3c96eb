/* Encoder selection and rejection: AUTO falls back to libx264 with a reason,
 * an explicit VA-API request fails cleanly, the isolated probe survives bad
 * nodes, crashing and hanging drivers, and bad configs/frames are refused. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "enc_test_util.h"
#include "net/encoder/encoder_priv.h"
#include "net/encoder/vaapi_probe.h"
#include "net/encoder/vaapi_probe_priv.h"
#include "util/clock.h"

static const struct sc_encoder_config base_cfg = {
	.width = 640, .height = 360, .fps = 60, .bitrate_kbps = 2000,
	.idr_interval = 0, .kind = SC_ENCODER_AUTO,
};

static void assert_no_children(void)
{
	int status;
	pid_t w = waitpid(-1, &status, WNOHANG);
	T_ASSERT(w < 0 && errno == ECHILD, "a probe child was left behind "
			"(waitpid -> %d)", (int)w);
}

static void test_layout(void)
{
	static const struct {
		uint32_t w, h, pitch, uv;
		size_t size;
	} want[] = {
		{1280, 720, 1280, 1280 * 736, 1433600},
		{640, 360, 768, 768 * 384, 442368},
		{1920, 1080, 2048, 2048 * 1088, 3342336},
		{100, 50, 256, 256 * 64, 24576},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint32_t pitch, uv;
		size_t size;
		sc_nv12_layout(want[i].w, want[i].h, &pitch, &uv, &size);
		T_ASSERT(pitch == want[i].pitch && uv == want[i].uv &&
				size == want[i].size, "%ux%u: pitch %u uv %u size %zu",
				want[i].w, want[i].h, pitch, uv, size);
		T_ASSERT(size % 4096 == 0 && size >= (size_t)uv + (size_t)pitch *
				(want[i].h / 2), "%ux%u: size %zu too small", want[i].w,
				want[i].h, size);
	}
}

static void test_auto_fallback(void)
{
	char node[256];
	struct sc_encoder *enc = sc_encoder_create(&base_cfg);
	T_ASSERT(enc, "AUTO must always give an encoder");
	if (sc_vaapi_find_render_node(node, sizeof(node))) {
		/* A machine with a render node: either VA-API works or we are
		 * told why not. */
		T_ASSERT(strcmp(sc_encoder_name(enc), "h264_vaapi") == 0 ||
				sc_encoder_fallback_reason(enc), "x264 without a reason");
		printf("auto (render node %s present): %s %s\n", node,
				sc_encoder_name(enc), sc_encoder_fallback_reason(enc) ?
				sc_encoder_fallback_reason(enc) : "");
	} else {
		const char *why = sc_encoder_fallback_reason(enc);
		T_ASSERT(strcmp(sc_encoder_name(enc), "libx264") == 0, "name %s",
				sc_encoder_name(enc));
		T_ASSERT(why && strstr(why, "render node"), "reason: %s",
				why ? why : "(null)");
		printf("auto without a render node: libx264 because: %s\n", why);
	}
	sc_encoder_destroy(enc);

	/* AUTO with a device that is not a DRM node also falls back. */
	struct sc_encoder_config cfg = base_cfg;
	cfg.vaapi_device = "/dev/null";
	enc = sc_encoder_create(&cfg);
	T_ASSERT(enc, "AUTO with a bogus node must fall back");
	T_ASSERT(strcmp(sc_encoder_name(enc), "libx264") == 0, "name %s",
			sc_encoder_name(enc));
	T_ASSERT(sc_encoder_fallback_reason(enc) &&
			strstr(sc_encoder_fallback_reason(enc), "/dev/null"),
			"reason does not name the device: %s",
			sc_encoder_fallback_reason(enc));
	/* The fallback encoder works. */
	struct t_nv12 in;
	struct sc_encoded_packet pkt;
	t_nv12_alloc(&in, cfg.width, cfg.height);
	t_pattern_fill(&in, 0);
	T_ASSERT(sc_encoder_encode(enc, &in.frame, false, &pkt) && pkt.size > 0 &&
			pkt.keyframe, "fallback encoder does not encode");
	t_nv12_free(&in);
	sc_encoder_destroy(enc);
	assert_no_children();
}

static void test_explicit_vaapi(void)
{
	struct sc_encoder_config cfg = base_cfg;
	cfg.kind = SC_ENCODER_VAAPI;
	cfg.vaapi_device = "/nonexistent/renderD128";
	T_ASSERT(sc_encoder_create(&cfg) == NULL,
			"VA-API on a missing node must fail, not fall back");
	cfg.vaapi_device = "/dev/null";
	T_ASSERT(sc_encoder_create(&cfg) == NULL,
			"VA-API on /dev/null must fail, not fall back");
	char node[256];
	if (!sc_vaapi_find_render_node(node, sizeof(node))) {
		cfg.vaapi_device = NULL;
		T_ASSERT(sc_encoder_create(&cfg) == NULL,
				"VA-API without a render node must fail");
	}
	assert_no_children();
}

static void test_probe(void)
{
	char reason[256];
	reason[0] = '\0';
	T_ASSERT(!sc_vaapi_probe("/nonexistent/renderD128", reason, sizeof(reason)),
			"probe of a missing node succeeded");
	T_ASSERT(strstr(reason, "/nonexistent/renderD128") &&
			strstr(reason, "No such file"), "reason: %s", reason);
	printf("probe missing node: %s\n", reason);

	reason[0] = '\0';
	T_ASSERT(!sc_vaapi_probe("/dev/null", reason, sizeof(reason)),
			"probe of /dev/null succeeded");
	T_ASSERT(strstr(reason, "/dev/null"), "reason: %s", reason);
	printf("probe /dev/null: %s\n", reason);

	char node[256];
	if (!sc_vaapi_find_render_node(node, sizeof(node))) {
		reason[0] = '\0';
		T_ASSERT(!sc_vaapi_probe(NULL, reason, sizeof(reason)),
				"probe without a render node succeeded");
		T_ASSERT(strstr(reason, "render node"), "reason: %s", reason);
	}
	/* A NULL reason buffer is allowed. */
	T_ASSERT(!sc_vaapi_probe("/dev/null", NULL, 0), "NULL reason");
	assert_no_children();
}

static void test_probe_isolation(void)
{
	char reason[256];
	struct sc_encoder_config cfg = base_cfg;
	cfg.vaapi_device = "/dev/null";

	T_ASSERT(!sc_vaapi_probe_isolated(&cfg, SC_VAAPI_PROBE_FAULT_CRASH, 5000,
			reason, sizeof(reason)), "crashing probe reported success");
	T_ASSERT(strstr(reason, "crashed") && strstr(reason, "signal 6"),
			"reason: %s", reason);
	printf("probe crash: %s\n", reason);

	uint64_t t0 = sc_now_ns();
	T_ASSERT(!sc_vaapi_probe_isolated(&cfg, SC_VAAPI_PROBE_FAULT_HANG, 300,
			reason, sizeof(reason)), "hanging probe reported success");
	double ms = (double)(sc_now_ns() - t0) / 1e6;
	T_ASSERT(strstr(reason, "timed out after 300 ms"), "reason: %s", reason);
	T_ASSERT(ms >= 290 && ms < 3000, "hang probe took %.0f ms", ms);
	printf("probe hang: %s (%.0f ms)\n", reason, ms);
	assert_no_children();
}

static void expect_invalid(struct sc_encoder_config cfg, const char *needle)
{
	char err[256] = "";
	T_ASSERT(!sc_encoder_config_valid(&cfg, err, sizeof(err)),
			"config %ux%u fps %u kbps %u kind %d accepted", cfg.width,
			cfg.height, cfg.fps, cfg.bitrate_kbps, (int)cfg.kind);
	T_ASSERT(strstr(err, needle), "error \"%s\" does not mention \"%s\"", err,
			needle);
	T_ASSERT(sc_encoder_create(&cfg) == NULL, "create accepted a bad config "
			"(%s)", err);
}

static void test_bad_config(void)
{
	struct sc_encoder_config c;
	c = base_cfg, c.width = 641, c.kind = SC_ENCODER_X264;
	expect_invalid(c, "multiple of 16");
	c = base_cfg, c.height = 361, c.kind = SC_ENCODER_X264;
	expect_invalid(c, "multiple of 8");
	c = base_cfg, c.width = 650, c.kind = SC_ENCODER_X264;
	expect_invalid(c, "650x360");
	c = base_cfg, c.width = 0;
	expect_invalid(c, "out of range");
	c = base_cfg, c.fps = 0;
	expect_invalid(c, "fps 0");
	c = base_cfg, c.bitrate_kbps = 0;
	expect_invalid(c, "bitrate 0");
	c = base_cfg, c.kind = (enum sc_encoder_kind)7;
	expect_invalid(c, "unknown encoder kind 7");
	T_ASSERT(sc_encoder_create(NULL) == NULL, "NULL config accepted");
	sc_encoder_destroy(NULL);

	/* The sizes the product uses are accepted. */
	char err[256];
	c = base_cfg;
	c.width = 1920, c.height = 1080;
	T_ASSERT(sc_encoder_config_valid(&c, err, sizeof(err)), "1080p: %s", err);
	c.width = 1280, c.height = 720;
	T_ASSERT(sc_encoder_config_valid(&c, err, sizeof(err)), "720p: %s", err);
}

static void test_bad_frames(void)
{
	struct sc_encoder_config cfg = base_cfg;
	cfg.kind = SC_ENCODER_X264;
	struct sc_encoder *enc = sc_encoder_create(&cfg);
	T_ASSERT(enc, "x264 did not open");
	struct t_nv12 in, big;
	struct sc_encoded_packet pkt;
	t_nv12_alloc(&in, 640, 360);
	t_nv12_alloc(&big, 1280, 720);
	t_pattern_fill(&in, 0);

	T_ASSERT(!sc_encoder_encode(enc, &big.frame, false, &pkt),
			"a 1280x720 frame was accepted by a 640x360 encoder");
	struct sc_nv12_frame f = in.frame;
	f.pitch = 600;
	T_ASSERT(!sc_encoder_encode(enc, &f, false, &pkt), "pitch < width accepted");
	f = in.frame;
	f.size = f.uv_offset;
	T_ASSERT(!sc_encoder_encode(enc, &f, false, &pkt), "truncated frame accepted");
	f = in.frame;
	f.base = NULL;
	T_ASSERT(!sc_encoder_encode(enc, &f, false, &pkt), "NULL memory accepted");
	char err[256] = "";
	f = in.frame;
	f.uv_offset = 100;
	T_ASSERT(!sc_encoder_encode_err(enc, &f, false, &pkt, err, sizeof(err)) &&
			strstr(err, "layout"), "overlapping UV accepted (%s)", err);
	/* Rejections leave the encoder usable. */
	T_ASSERT(sc_encoder_encode(enc, &in.frame, false, &pkt) && pkt.size > 0 &&
			pkt.keyframe, "encoder unusable after rejected frames");
	T_ASSERT(sc_encoder_bytes_copied(enc) == 0, "copied bytes");
	t_nv12_free(&in);
	t_nv12_free(&big);
	sc_encoder_destroy(enc);
}

int main(void)
{
	test_layout();
	test_bad_config();
	test_bad_frames();
	test_probe();
	test_probe_isolation();
	test_explicit_vaapi();
	test_auto_fallback();
	printf("ok\n");
	return 0;
}
