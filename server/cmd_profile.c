/* `shadowcast profile FILE [--json]`: the summary of a session profile that
 * `run --profile FILE` wrote (docs/profile-format.md): p50/p99 per metric,
 * the hottest GPU passes, incidents, condition hits and clients, as tables
 * or as one JSON object. Exit 0; 1 for a file that cannot be read or is not
 * a whole, well-formed profile (the reason on stderr); 2 usage. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/commands.h"
#include "server/profile_read.h"

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: shadowcast profile FILE [--json]\n"
	             "  summarises a session profile written by `run --profile FILE` (docs/profile-format.md):\n"
	             "  p50/p99 per metric, the hottest GPU passes, incidents, condition hits, clients\n"
	             "  --json   one JSON object instead of tables\n");
	return rc;
}

int sc_cmd_profile(int argc, char **argv)
{
	const char *path = NULL;
	bool as_json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout, 0);
		else if (argv[i][0] == '-' || path)
			return usage(stderr, 2);
		else
			path = argv[i];
	}
	if (!path)
		return usage(stderr, 2);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "shadowcast profile: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "shadowcast profile: %s: not a regular file\n", path);
		close(fd);
		return 1;
	}
	size_t len = (size_t)st.st_size;
	const uint8_t *data = (const uint8_t *)"";
	if (len) {
		void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			fprintf(stderr, "shadowcast profile: %s: %s\n", path, strerror(errno));
			close(fd);
			return 1;
		}
		data = m;
	}
	close(fd);
	char err[256];
	json_t *s = sc_profile_summarize(data, len, err, sizeof(err));
	if (len)
		munmap((void *)data, len);
	if (!s) {
		fprintf(stderr, "shadowcast profile: %s: %s\n", path, err);
		return 1;
	}
	json_object_set_new(s, "file", json_string(path));
	if (as_json) {
		char *text = json_dumps(s, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
		if (text)
			puts(text);
		free(text);
	} else {
		sc_profile_print_table(stdout, s);
	}
	json_decref(s);
	return 0;
}
