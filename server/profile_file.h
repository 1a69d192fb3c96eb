/* Writing a session profile (`run --profile FILE`, docs/profile-format.md)
 * in the encoder process without ever waiting for the disk on the thread
 * that produces a record: put() copies the record into an in-memory buffer
 * under a mutex held only for the copy, and the disk worker
 * (server/disk_worker.h) writes full buffers out. Two buffers of
 * SC_PROFILE_FILE_BUF bytes: one filling, one being written; when both are
 * taken (the disk is that slow) a record is dropped and counted, never
 * waited for. The file never grows past max_bytes: records that would pass
 * it (keeping room for the END record) are dropped and counted too.
 *
 * Threads: open() and close() on the process's main thread (before the
 * network thread serves, and after it stopped); put() and poll() from any
 * thread in between. Memory: 2 x SC_PROFILE_FILE_BUF. */
#ifndef SC_SERVER_PROFILE_FILE_H
#define SC_SERVER_PROFILE_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/profile_format.h"

#define SC_PROFILE_FILE_BUF (1u << 20)   /* bytes per buffer (two) */
#define SC_PROFILE_FILE_FLUSH_NS 250000000ull /* a partly filled buffer goes out after this long */
#define SC_PROFILE_FILE_MIN_BYTES (4u << 10)  /* the smallest size limit (header, META, END fit) */

struct sc_disk_worker;
struct sc_profile_file;

/* Opens path for writing. An empty file (the supervisor creates it) gets the
 * header; a file an earlier encoder process of this session wrote is
 * continued: a torn last record (a kill mid-write) is cut off. Then a META
 * record with meta_json. NULL with a reason in err when it cannot. */
struct sc_profile_file *sc_profile_file_open(const char *path, uint64_t max_bytes, const char *meta_json,
                                             struct sc_disk_worker *disk, char *err, size_t errlen);

/* Any thread: appends one record; never waits for the disk. false: dropped
 * (counted): both buffers are taken, or the size limit. */
bool sc_profile_file_put(struct sc_profile_file *f, uint16_t type, const void *payload, uint32_t len);

/* Any thread, now and then (the encode thread, once a frame): hands a buffer
 * that has waited SC_PROFILE_FILE_FLUSH_NS to the disk worker. */
void sc_profile_file_poll(struct sc_profile_file *f, uint64_t now_ns);

/* Bytes taken but not written yet (a test waits for them). */
size_t sc_profile_file_pending(struct sc_profile_file *f);

/* Records dropped so far. */
uint64_t sc_profile_file_dropped(struct sc_profile_file *f);

/* Main thread, after every producer stopped and after the disk worker was
 * destroyed (a flush job still queued refers to f): writes what is buffered
 * and the END record, closes and frees. */
void sc_profile_file_close(struct sc_profile_file *f);

#endif
