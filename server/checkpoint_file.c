#include "server/checkpoint_file.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define CHECKPOINT_PREFIX ".checkpoint-primary-"

bool sc_checkpoint_path(char *out, size_t len, const char *root, pid_t pid)
{
	int n = snprintf(out, len, "%s/" CHECKPOINT_PREFIX "%d.bin", root, (int)pid);
	return n >= 0 && (size_t)n < len;
}

static void remove_file(const char *path)
{
	if (unlink(path) == 0)
		sc_info("removed the checkpoint file %s (its primary is gone)", path);
	else if (errno != ENOENT)
		sc_warn("cannot remove the checkpoint file %s: %s", path, strerror(errno));
}

void sc_checkpoint_remove(const char *root, pid_t pid)
{
	char path[600], tmp[620];
	if (!sc_checkpoint_path(path, sizeof(path), root, pid))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	remove_file(path);
	remove_file(tmp);
}

/* The pid of a checkpoint file's name (PREFIX PID .bin or .bin.tmp), 0 if the
 * name is not one. */
static pid_t checkpoint_pid(const char *name)
{
	size_t plen = strlen(CHECKPOINT_PREFIX);
	if (strncmp(name, CHECKPOINT_PREFIX, plen) != 0 || name[plen] < '1' || name[plen] > '9')
		return 0;
	char *end;
	errno = 0;
	uintmax_t v = strtoumax(name + plen, &end, 10);
	if (errno || v > INT32_MAX || (strcmp(end, ".bin") != 0 && strcmp(end, ".bin.tmp") != 0))
		return 0;
	return (pid_t)v;
}

void sc_checkpoint_remove_orphans(const char *root)
{
	DIR *dir = opendir(root);
	if (!dir)
		return; /* no captures directory yet: nothing left */
	struct dirent *e;
	while ((e = readdir(dir))) {
		pid_t pid = checkpoint_pid(e->d_name);
		if (pid == 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[800];
		if (snprintf(path, sizeof(path), "%s/%s", root, e->d_name) < (int)sizeof(path))
			remove_file(path);
	}
	closedir(dir);
}
