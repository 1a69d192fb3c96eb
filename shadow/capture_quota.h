/* The captures directory's disk quota: before a new capture is written, the
 * oldest captures (incident-* and manual-* directories, by modification time)
 * are removed until the ones left plus the new one fit. The new capture is
 * always written (the newest incident is the one a developer needs), and
 * captures another shadow is holding for inspection are never removed. With
 * the crash-loop guard this bounds what a fault storm can write. */
#ifndef SC_SHADOW_CAPTURE_QUOTA_H
#define SC_SHADOW_CAPTURE_QUOTA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sc_capture_quota_result {
	uint64_t bytes_before;  /* of the captures under root before */
	uint64_t bytes_after;   /* after the removals */
	uint32_t removed;       /* captures removed */
	bool fits;              /* bytes_after + need <= quota */
};

/* keep: absolute paths of captures that must stay (NULL or "" entries are
 * ignored). Sizes are the files' apparent sizes. false only when root cannot
 * be read (logged); a capture that cannot be removed is logged and skipped. */
bool sc_capture_quota_make_room(const char *root, uint64_t quota_bytes, uint64_t need_bytes,
                                const char *const *keep, size_t n_keep, struct sc_capture_quota_result *out);

/* Removes a directory tree (no symlinks followed); false with errno. */
bool sc_capture_remove_tree(const char *dir);

#endif
