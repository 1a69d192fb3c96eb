/* The disk worker thread and its job queue (server/disk_worker.h). The queue
 * is a FIFO: the worker takes the first job that may run (no reply, or a
 * reply with room or abandoned), runs one step without the lock, and puts the
 * job back at the end if it has more to do. */
#include "server/disk_worker.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/disk_reply.h"
#include "util/log.h"

struct sc_disk_worker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stopping;
	struct sc_disk_job *head, *tail; /* under lock; the running job is in neither */
	void (*wake)(void *ud);
	void *ud;
};

static bool runnable(struct sc_disk_job *job)
{
	return !job->reply || sc_disk_reply_may_run(job->reply);
}

/* Under lock: unlinks and returns the first job that may run, or NULL. */
static struct sc_disk_job *take(struct sc_disk_worker *w)
{
	struct sc_disk_job *prev = NULL;
	for (struct sc_disk_job *j = w->head; j; prev = j, j = j->next) {
		if (!runnable(j))
			continue;
		if (prev)
			prev->next = j->next;
		else
			w->head = j->next;
		if (w->tail == j)
			w->tail = prev;
		j->next = NULL;
		return j;
	}
	return NULL;
}

static void append(struct sc_disk_worker *w, struct sc_disk_job *job)
{
	job->next = NULL;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
}

static void *run(void *arg)
{
	struct sc_disk_worker *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct sc_disk_job *job = take(w);
		if (!job) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		pthread_mutex_unlock(&w->lock);
		/* a reply nobody waits for any more: stop its work */
		bool more = !(job->reply && sc_disk_reply_abandoned(job->reply)) && job->ops->step(job);
		if (job->reply)
			sc_disk_reply_flush(job->reply);
		if (!more)
			job->ops->destroy(job);
		pthread_mutex_lock(&w->lock);
		if (more)
			append(w, job);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct sc_disk_worker *sc_disk_worker_create(void (*wake)(void *ud), void *ud)
{
	struct sc_disk_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->wake = wake;
	w->ud = ud;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		free(w);
		return NULL;
	}
	if (pthread_cond_init(&w->cond, NULL) != 0) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		sc_err("cannot start the disk worker thread");
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	w->started = true;
	return w;
}

bool sc_disk_worker_submit(struct sc_disk_worker *w, struct sc_disk_job *job)
{
	pthread_mutex_lock(&w->lock);
	bool ok = !w->stopping;
	if (ok) {
		append(w, job);
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	if (!ok) {
		if (job->reply)
			sc_disk_reply_fail(job->reply); /* a 500, not an answer that never comes */
		job->ops->destroy(job);
	}
	return ok;
}

void sc_disk_worker_kick(struct sc_disk_worker *w)
{
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void sc_disk_worker_wake(struct sc_disk_worker *w)
{
	if (w->wake)
		w->wake(w->ud);
}

void sc_disk_worker_stop(struct sc_disk_worker *w)
{
	if (!w || !w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->started = false;
	w->wake = NULL; /* the service thread may be gone from here on */
}

void sc_disk_worker_destroy(struct sc_disk_worker *w)
{
	if (!w)
		return;
	sc_disk_worker_stop(w);
	struct sc_disk_job *j = w->head;
	while (j) {
		struct sc_disk_job *next = j->next;
		if (j->reply)
			sc_disk_reply_fail(j->reply);
		j->ops->destroy(j);
		j = next;
	}
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
