/* The captures' disk quota (shadow/capture_quota.h) on a real directory: the
 * oldest captures go first until the new one fits, kept ones and other files
 * are never touched, a capture alone over the quota still "fits" nothing
 * else away, and removal takes whole trees. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shadow/capture_quota.h"
#include "tests/lib/check.h"

static char root[256];

/* root/name with a file of bytes and a step subdirectory, mtime t seconds */
static void make(const char *name, size_t bytes, time_t t)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	check(mkdir(p, 0755) == 0);
	char f[600];
	snprintf(f, sizeof(f), "%s/state.bin", p);
	int fd = open(f, O_CREAT | O_WRONLY, 0644);
	check(fd >= 0 && ftruncate(fd, (off_t)bytes) == 0);
	close(fd);
	snprintf(f, sizeof(f), "%s/step-1", p);
	check(mkdir(f, 0755) == 0);
	snprintf(f, sizeof(f), "%s/step-1/frame.png", p);
	fd = open(f, O_CREAT | O_WRONLY, 0644);
	check(fd >= 0 && write(fd, "png", 3) == 3);
	close(fd);
	struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
	check(utimensat(AT_FDCWD, p, ts, 0) == 0);
}

static bool exists(const char *name)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root, name);
	return stat(p, &st) == 0;
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/sc-quota-XXXXXX");
	check(mkdtemp(root));
	const uint64_t M = 1u << 20;
	make("incident-1-tick-10", 3 * M, 1000);
	make("manual-1-tick-20", 3 * M, 2000);
	make("incident-2-tick-30", 3 * M, 3000);
	make("incident-3-tick-40", 3 * M, 4000);
	char other[300];
	snprintf(other, sizeof(other), "%s/notes", root);
	check(mkdir(other, 0755) == 0); /* not a capture: never counted or removed */

	/* fits already: nothing removed */
	struct sc_capture_quota_result r;
	check(sc_capture_quota_make_room(root, 100 * M, 1 * M, NULL, 0, &r));
	check(r.removed == 0 && r.fits && r.bytes_before == 12 * M + 12 && r.bytes_after == r.bytes_before);

	/* 8 MiB quota, 1 MiB to come: the two oldest go, incident-1 is kept (held) so manual-1 and incident-2 go */
	char keep1[300];
	snprintf(keep1, sizeof(keep1), "%s/incident-1-tick-10", root);
	const char *keep[] = {keep1, NULL, ""};
	check(sc_capture_quota_make_room(root, 8 * M, 1 * M, keep, 3, &r));
	check(r.removed == 2 && r.fits);
	check(exists("incident-1-tick-10") && !exists("manual-1-tick-20") && !exists("incident-2-tick-30"));
	check(exists("incident-3-tick-40") && exists("notes"));
	check(r.bytes_after == 6 * M + 6);

	/* a new capture alone over the quota: everything not kept goes, still does not fit */
	check(sc_capture_quota_make_room(root, 16 * M, 20 * M, keep, 3, &r));
	check(r.removed == 1 && !r.fits && exists("incident-1-tick-10") && !exists("incident-3-tick-40"));

	/* a root that cannot be read */
	check(!sc_capture_quota_make_room("/nonexistent/captures", 8 * M, M, NULL, 0, &r));

	check(sc_capture_remove_tree(root));
	check(!exists(""));
	printf("capture quota tests passed\n");
	return 0;
}
