/* The answer a disk job hands to the service thread: the HTTP head (status,
 * type, Content-Length, attachment name) once, then the body in chunks, as a
 * struct sc_http_stream the libwebsockets server pulls from HTTP_WRITEABLE.
 *
 * Two owners, one reference each: the job (producer, disk worker thread) and
 * the HTTP side (consumer, service thread: the pending response, then the
 * stream; it calls stream.release exactly once). The last one frees it. Body
 * bytes are staged by the producer without the lock and published by
 * sc_disk_reply_flush() (the worker flushes after every step), which wakes
 * the service thread. The consumer never waits: read() takes what is
 * published. The producer is held back (the worker skips its job) while
 * SC_DISK_REPLY_WINDOW bytes are published and not yet read. */
#ifndef SC_SERVER_DISK_REPLY_H
#define SC_SERVER_DISK_REPLY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ws/ws_server.h"
#include "server/strbuf.h"

struct sc_disk_worker;
struct sc_disk_reply;

/* Both references taken. NULL when out of memory. */
struct sc_disk_reply *sc_disk_reply_create(struct sc_disk_worker *w);

/* --- producer (the job, on the worker thread) --------------------------------- */

/* The head: the body that follows is exactly length bytes. content_type is a
 * static string; filename "" (inline) or the attachment's name. */
void sc_disk_reply_head(struct sc_disk_reply *r, unsigned int status, const char *content_type,
                        const char *filename, uint64_t length);
/* Appends body bytes (staged until the next flush). false: out of memory
 * (the reply has failed). */
bool sc_disk_reply_write(struct sc_disk_reply *r, const void *data, size_t len);
/* Publishes the staged head and bytes and wakes the service thread if there
 * is news. */
void sc_disk_reply_flush(struct sc_disk_reply *r);
/* The body is complete (flushes). */
void sc_disk_reply_end(struct sc_disk_reply *r);
/* The body cannot be completed: the connection is closed (before the head
 * was published: a 500 answer instead). */
void sc_disk_reply_fail(struct sc_disk_reply *r);
/* An error: before the head was published, the JSON answer in sb (taken) with
 * status, replacing anything staged; after it, like fail(). */
void sc_disk_reply_error(struct sc_disk_reply *r, unsigned int status, struct sc_strbuf *sb);
/* A whole JSON answer from sb (taken; 500 if sb failed), ended. */
void sc_disk_reply_json(struct sc_disk_reply *r, unsigned int status, struct sc_strbuf *sb);
/* The client left: the job should stop. */
bool sc_disk_reply_abandoned(struct sc_disk_reply *r);
/* For the worker (under its lock): not abandoned and under the window, or
 * abandoned (so that its job gets to stop). */
bool sc_disk_reply_may_run(struct sc_disk_reply *r);
/* The producer's reference (the job's destroy). */
void sc_disk_reply_unref(struct sc_disk_reply *r);

/* --- consumer (the service thread) -------------------------------------------- */

/* The stream to put into a pending struct sc_http_response. */
struct sc_http_stream *sc_disk_reply_stream(struct sc_disk_reply *r);
struct sc_disk_reply *sc_disk_reply_of(struct sc_http_stream *s);
/* When the head is published: fills res (status, content_type, filename,
 * len, stream), clears res->pending and returns true. */
bool sc_disk_reply_answer(struct sc_disk_reply *r, struct sc_http_response *res);

#endif
