/* The capture writer's incident files from the fault record's fields, never
 * from its human-readable detail (shadow/capture_write.c, docs/captures.md):
 * error.json's fault_record is the record's numbers whatever the detail says
 * (a reworded detail, one that quotes another record, one with none), its
 * keys and their types are the documented ones in the documented order, and
 * missing.txt says why no VK_EXT_device_fault report came from the report's
 * status, not from words in the detail. No GPU: the writer gets a few bytes
 * of state and no frame. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shadow/capture.h"
#include "util/read_file.h"

#include "tests/lib/check.h"

static char root[] = "/tmp/sc-test-capture-write-XXXXXX";

static struct sc_capture_info incident(uint32_t detected, uint32_t injected, const char *detail)
{
	struct sc_capture_info in = {
		.incident = 1, .detected = detected, .path = SC_FAULT_PATH_SELF, .injected = injected,
		.error_tick = 812, .detected_tick = 812, .next_tick = 812, .delay_ticks = 30,
		.shadow_hash = 0x1234, .primary_hash = 0x1234, .primary_hash_known = true,
		.detected_ns = 1000, .paused_ns = 2000, .primary_pid = 42,
		.game = {.width = 16, .height = 8, .seed = 1, .players = 2, .particles = 10, .hang_timeout_ms = 500},
	};
	snprintf(in.detail, sizeof(in.detail), "%s", detail);
	snprintf(in.primary_device, sizeof(in.primary_device), "llvmpipe (llvmpipe)");
	return in;
}

/* Writes a capture of in as case name; returns its directory (static). */
static const char *write_case(const char *name, const struct sc_capture_info *in)
{
	static char dir[600];
	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	static const unsigned char snap[16] = {1, 2, 3};
	struct sc_capture_inputs inputs = {0};
	struct sc_capture_missing missing = {0};
	check(sc_capture_write(dir, in, snap, sizeof(snap), NULL, 0, &inputs, &missing));
	return dir;
}

static json_t *load(const char *dir, const char *file)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	json_error_t err;
	json_t *o = json_load_file(path, 0, &err);
	if (!json_is_object(o)) {
		fprintf(stderr, "%s: not a JSON object: %s\n", path, err.text);
		exit(1);
	}
	return o;
}

static char *text(const char *dir, const char *file)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	size_t len;
	char *t = sc_read_file(path, &len);
	check(t);
	return t;
}

/* error.json has exactly the documented keys, in order, of the documented types. */
static void check_error_shape(const json_t *e)
{
	static const struct {
		const char *key;
		const char *types; /* i integer, s string, b boolean, n null, o object */
	} keys[] = {
		{"incident", "i"}, {"detected", "s"}, {"detection_path", "i"}, {"injected", "sn"},
		{"error_tick", "i"}, {"detected_tick", "i"}, {"primary_hash_before", "sn"}, {"detected_ns", "i"},
		{"primary_pid", "i"}, {"device_fault_report", "b"}, {"device_fault_status", "s"},
		{"fault_record", "on"}, {"detail", "s"},
	};
	size_t n = sizeof(keys) / sizeof(keys[0]);
	check(json_object_size(e) == n);
	size_t i = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)e, key, v) {
		check(i < n);
		if (strcmp(key, keys[i].key) != 0) {
			fprintf(stderr, "error.json key %zu is '%s', want '%s'\n", i, key, keys[i].key);
			exit(1);
		}
		char t = json_is_integer(v) ? 'i' : json_is_string(v) ? 's' : json_is_boolean(v) ? 'b' :
		         json_is_null(v) ? 'n' : json_is_object(v) ? 'o' : '?';
		if (!strchr(keys[i].types, t)) {
			fprintf(stderr, "error.json '%s' is of type %c, want one of %s\n", key, t, keys[i].types);
			exit(1);
		}
		i++;
	}
}

static void check_record(const json_t *e, uint32_t kind, uint32_t detail, uint32_t tick)
{
	json_t *r = json_object_get(e, "fault_record");
	check(json_is_object(r) && json_object_size(r) == 3);
	check(json_integer_value(json_object_get(r, "kind")) == kind);
	check(json_integer_value(json_object_get(r, "detail")) == detail);
	check(json_integer_value(json_object_get(r, "tick")) == tick);
}

static void test_fault_record(void)
{
	/* the record's numbers, though the detail is reworded and quotes other ones */
	struct sc_capture_info in = incident(SC_DETECTED_ASSERT, SC_FAULT_ASSERT,
	                                     "the shaders objected (not kind 9 detail 9 at tick 9)");
	in.record = (struct sc_shader_fault_record){.kind = 1, .detail = 7, .tick = 812};
	const char *dir = write_case("incident-1-tick-812", &in);
	json_t *e = load(dir, "error.json");
	check_error_shape(e);
	check_record(e, 1, 7, 812);
	check(strcmp(json_string_value(json_object_get(e, "detail")), in.detail) == 0); /* shown as it is */
	check(strcmp(json_string_value(json_object_get(e, "device_fault_status")), "none") == 0);
	json_decref(e);
	json_t *m = load(dir, "manifest.json");
	check(strcmp(json_string_value(json_object_get(json_object_get(m, "fault"), "detail")), in.detail) == 0);
	json_decref(m);

	/* an oob record: kind 4, its detail the first overwritten word */
	in = incident(SC_DETECTED_OOB, SC_FAULT_OOB, "guard band");
	in.record = (struct sc_shader_fault_record){.kind = 4, .detail = 65, .tick = 811};
	e = load(write_case("oob", &in), "error.json");
	check_error_shape(e);
	check_record(e, 4, 65, 811);
	json_decref(e);

	/* no shader record, though the detail reads like one */
	in = incident(SC_DETECTED_HANG, SC_FAULT_HANG, "shader fault record: kind 1 detail 1 at tick 5");
	e = load(write_case("no-record", &in), "error.json");
	check_error_shape(e);
	check(json_is_null(json_object_get(e, "fault_record")));
	json_decref(e);
}

static void test_device_fault(void)
{
	/* not offered by the driver: said so, though the detail does not say it */
	struct sc_capture_info in = incident(SC_DETECTED_DEVICE_LOST, 0, "VK_ERROR_DEVICE_LOST at tick 812 (no report)");
	in.device_fault = SC_DEVICE_FAULT_NOT_OFFERED;
	const char *dir = write_case("not-offered", &in);
	json_t *e = load(dir, "error.json");
	check_error_shape(e);
	check(json_is_false(json_object_get(e, "device_fault_report")));
	check(strcmp(json_string_value(json_object_get(e, "device_fault_status")), "not-offered") == 0);
	json_decref(e);
	char *missing = text(dir, "missing.txt");
	check(strstr(missing, "VK_EXT_device_fault report: not available from the primary (not offered by its driver)"));
	free(missing);

	/* offered but failed: not "not offered", though the detail has those words */
	in = incident(SC_DETECTED_DEVICE_LOST, 0, "VK_ERROR_DEVICE_LOST at tick 812 (VK_EXT_device_fault not offered)");
	in.device_fault = SC_DEVICE_FAULT_FAILED;
	dir = write_case("failed", &in);
	e = load(dir, "error.json");
	check(strcmp(json_string_value(json_object_get(e, "device_fault_status")), "failed") == 0);
	json_decref(e);
	missing = text(dir, "missing.txt");
	check(strstr(missing, "VK_EXT_device_fault report: not available") && !strstr(missing, "not offered by its driver"));
	check(strstr(missing, "the report could not be read from the driver or saved"));
	free(missing);

	/* saved: copied into the capture, and both files say so */
	char report[600];
	snprintf(report, sizeof(report), "%s/device-fault.json", root);
	FILE *f = fopen(report, "w");
	check(f && fputs("{\"description\":\"x\"}\n", f) >= 0 && fclose(f) == 0);
	in = incident(SC_DETECTED_DEVICE_LOST, 0, "lost");
	in.device_fault = SC_DEVICE_FAULT_SAVED;
	snprintf(in.device_fault_report, sizeof(in.device_fault_report), "%s", report);
	dir = write_case("saved", &in);
	e = load(dir, "error.json");
	check(json_is_true(json_object_get(e, "device_fault_report")));
	check(strcmp(json_string_value(json_object_get(e, "device_fault_status")), "saved") == 0);
	json_decref(e);
	json_t *m = load(dir, "manifest.json");
	check(json_is_true(json_object_get(json_object_get(m, "devices"), "device_fault_report")));
	json_decref(m);
	char *copy = text(dir, "device_fault.json");
	check(strcmp(copy, "{\"description\":\"x\"}\n") == 0);
	free(copy);
	missing = text(dir, "missing.txt");
	check(!strstr(missing, "VK_EXT_device_fault report"));
	free(missing);

	/* no device loss at all */
	in = incident(SC_DETECTED_INVALID, SC_FAULT_CORRUPT, "state after tick 812 failed validation: not offered");
	dir = write_case("no-loss", &in);
	missing = text(dir, "missing.txt");
	check(strstr(missing, "(no device loss)") && !strstr(missing, "not offered by its driver"));
	free(missing);
}

int main(void)
{
	check(mkdtemp(root));
	test_fault_record();
	test_device_fault();
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	check(system(cmd) == 0);
	printf("capture writer tests passed\n");
	return 0;
}
