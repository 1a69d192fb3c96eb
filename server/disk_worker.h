/* The encoder process's disk worker: one thread that does the debug API's
 * disk work (directory scans, manifest and state reads, capture archives,
 * file downloads), so that the libwebsockets service thread, which also sends
 * the video, never waits for the disk. The service thread submits a job and
 * returns at once; the job hands its answer back through a struct
 * sc_disk_reply (server/disk_reply.h), which wakes the service thread.
 *
 * Jobs run in steps, round robin. A step does a bounded piece of work (a
 * download reads at most SC_DISK_STEP_BYTES); a job whose reply holds
 * SC_DISK_REPLY_WINDOW bytes the client has not taken yet is skipped until it
 * has, so a slow client neither holds the other jobs back nor makes the
 * process hold its whole download. One thread, not a pool: the work is
 * disk-bound and rare (a developer's requests), and one thread keeps the
 * order of a client's answers and the hand-off simple.
 *
 * Ownership: a job belongs to the worker from submit() on; the worker calls
 * its destroy() when it is finished, or from sc_disk_worker_destroy(). */
#ifndef SC_SERVER_DISK_WORKER_H
#define SC_SERVER_DISK_WORKER_H
#include <stdbool.h>
#include <stddef.h>

#define SC_DISK_STEP_BYTES (64u << 10)
#define SC_DISK_REPLY_WINDOW (256u << 10)

struct sc_disk_worker;
struct sc_disk_reply;
struct sc_disk_job;

struct sc_disk_job_ops {
	/* Worker thread: one step. true: more to do; false: finished (its reply,
	 * if any, is complete or failed). */
	bool (*step)(struct sc_disk_job *job);
	/* Frees the job (and drops its reference to the reply). */
	void (*destroy)(struct sc_disk_job *job);
};

struct sc_disk_job {
	const struct sc_disk_job_ops *ops;
	struct sc_disk_reply *reply; /* the answer it produces, or NULL (a cache refresh) */
	struct sc_disk_job *next;    /* the worker's queue */
};

/* Starts the thread. wake(ud) tells the service thread that a reply has news
 * (sc_ws_server_wake); it is called on the worker thread only. */
struct sc_disk_worker *sc_disk_worker_create(void (*wake)(void *ud), void *ud);
/* Any thread: queues job (false: the worker is stopping; job was destroyed). */
bool sc_disk_worker_submit(struct sc_disk_worker *w, struct sc_disk_job *job);
/* Any thread: a reply has room again or was abandoned: look at the jobs. */
void sc_disk_worker_kick(struct sc_disk_worker *w);
/* Worker thread (a job's step): tell the service thread there is news. */
void sc_disk_worker_wake(struct sc_disk_worker *w);
/* Stops and joins the thread (a running step completes first); wake() is not
 * called after this returns. Unfinished jobs stay until destroy(). */
void sc_disk_worker_stop(struct sc_disk_worker *w);
/* After stop(), and after the HTTP side released every reply (that is, after
 * sc_ws_server_destroy(): a release kicks the worker): destroys the
 * unfinished jobs and the worker. */
void sc_disk_worker_destroy(struct sc_disk_worker *w);

#endif
