/* A capture directory as a tar archive, written with libarchive in steps so
 * that the disk worker can stream it (GET /api/v1/captures/NAME.tar).
 *
 * sc_capture_tar_open() lists the tree and learns the archive's exact size
 * (the HTTP Content-Length, known before the first byte goes out) by writing
 * every header through libarchive once with the file data left out; each
 * sc_capture_tar_step() then writes the next piece of the real archive to the
 * sink. Format: POSIX ustar, uncompressed: "PREFIX/" then every entry under it
 * as "PREFIX/…", sorted by name, a directory before what it holds,
 * sub-directories up to SC_CAPTURE_TAR_MAX_DEPTH deep; names starting with
 * '.', symlinks and special files are skipped. A file is archived with the
 * size it had when the tree was listed: one that shrank meanwhile fails the
 * step (the client gets a short body, never made-up bytes). */
#ifndef SC_SERVER_CAPTURE_TAR_H
#define SC_SERVER_CAPTURE_TAR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_CAPTURE_TAR_MAX_DEPTH 4
#define SC_CAPTURE_TAR_MAX_ENTRIES 20000

/* Receives the archive's bytes in order; false stops the archive. */
typedef bool (*sc_capture_tar_sink)(void *ud, const void *data, size_t len);

enum sc_capture_tar_open_result {
	SC_CAPTURE_TAR_OK,
	SC_CAPTURE_TAR_TOO_BIG,  /* over max_bytes or SC_CAPTURE_TAR_MAX_ENTRIES */
	SC_CAPTURE_TAR_ERROR,    /* unreadable, nested too deep, a name ustar cannot hold */
};

struct sc_capture_tar;

/* Lists dir (a directory) for an archive with every name under prefix/.
 * *out is set on SC_CAPTURE_TAR_OK; else err says why. */
enum sc_capture_tar_open_result sc_capture_tar_open(const char *dir, const char *prefix, uint64_t max_bytes,
                                                    sc_capture_tar_sink sink, void *ud,
                                                    struct sc_capture_tar **out, char *err, size_t errlen);
/* The archive's size in bytes: what the steps write in all. */
uint64_t sc_capture_tar_size(const struct sc_capture_tar *t);
/* Writes the next piece (headers and at most about budget bytes of file
 * data): 1 more to come, 0 the archive is complete, -1 failed (err). */
int sc_capture_tar_step(struct sc_capture_tar *t, size_t budget, char *err, size_t errlen);
void sc_capture_tar_close(struct sc_capture_tar *t);

#endif
