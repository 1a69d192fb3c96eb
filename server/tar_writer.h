/* A tiny ustar (POSIX.1-1988) writer for capture downloads: regular files and
 * directories only, uncompressed, into a bounded sc_strbuf. Names are at most
 * 100 bytes (capture names are far shorter). */
#ifndef SC_SERVER_TAR_WRITER_H
#define SC_SERVER_TAR_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/strbuf.h"

#define SC_TAR_BLOCK 512

bool sc_tar_add_file(struct sc_strbuf *out, const char *name, const void *data, size_t len, uint64_t mtime);
bool sc_tar_add_dir(struct sc_strbuf *out, const char *name, uint64_t mtime);
/* The end-of-archive marker: two zero blocks. */
bool sc_tar_finish(struct sc_strbuf *out);
/* dir's tree (sorted, symlinks and special files skipped, depth <= 4), each
 * name prefixed with "prefix/". false with err set on a read error, a name too
 * long or out->max reached. */
bool sc_tar_add_tree(struct sc_strbuf *out, const char *dir, const char *prefix, char *err, size_t errlen);

#endif
