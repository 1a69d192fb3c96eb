/* A disk job's answer, handed from the disk worker to the service thread
 * (server/disk_reply.h). The body is a queue of chunks of up to CHUNK_BYTES;
 * the producer fills a staged list without the lock and splices it onto the
 * queue at each flush. */
#include "server/disk_reply.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/disk_worker.h"

#define CHUNK_BYTES (64u << 10)

struct chunk {
	struct chunk *next;
	size_t len, off; /* bytes in data; bytes already read */
	unsigned char data[];
};

struct sc_disk_reply {
	struct sc_http_stream stream;
	struct sc_disk_worker *worker;
	pthread_mutex_t lock;

	/* under lock */
	int refs;
	bool head_ready, ended, failed, abandoned;
	unsigned int status;
	const char *content_type;
	char filename[128];
	uint64_t length;
	struct chunk *first, *last;
	size_t queued; /* published bytes not yet read */

	/* producer only */
	struct {
		bool head, end, fail;
		unsigned int status;
		const char *content_type;
		char filename[128];
		uint64_t length;
		struct chunk *first, *last;
		size_t bytes;
	} stage;
};

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
}

static void destroy(struct sc_disk_reply *r)
{
	free_chunks(r->first);
	free_chunks(r->stage.first);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void unref(struct sc_disk_reply *r)
{
	pthread_mutex_lock(&r->lock);
	bool last = --r->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (last)
		destroy(r);
}

/* --- consumer ------------------------------------------------------------------ */

static long stream_read(struct sc_http_stream *s, void *buf, size_t len, bool *done)
{
	struct sc_disk_reply *r = sc_disk_reply_of(s);
	struct chunk *spent = NULL;
	size_t n = 0;
	bool kick = false;

	pthread_mutex_lock(&r->lock);
	if (r->failed) {
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	bool was_full = r->queued >= SC_DISK_REPLY_WINDOW;
	while (n < len && r->first) {
		struct chunk *c = r->first;
		size_t k = c->len - c->off;
		if (k > len - n)
			k = len - n;
		memcpy((unsigned char *)buf + n, c->data + c->off, k);
		c->off += k;
		n += k;
		if (c->off == c->len) {
			r->first = c->next;
			if (!r->first)
				r->last = NULL;
			c->next = spent;
			spent = c;
		}
	}
	r->queued -= n;
	*done = r->ended && !r->first;
	kick = was_full && r->queued < SC_DISK_REPLY_WINDOW;
	pthread_mutex_unlock(&r->lock);
	free_chunks(spent);
	if (kick)
		sc_disk_worker_kick(r->worker);
	return (long)n;
}

static void stream_release(struct sc_http_stream *s)
{
	struct sc_disk_reply *r = sc_disk_reply_of(s);
	struct sc_disk_worker *w = r->worker;
	pthread_mutex_lock(&r->lock);
	bool stop_job = !r->ended && !r->failed;
	r->abandoned = true;
	pthread_mutex_unlock(&r->lock);
	unref(r);
	if (stop_job)
		sc_disk_worker_kick(w); /* its job may be parked on a full window */
}

struct sc_http_stream *sc_disk_reply_stream(struct sc_disk_reply *r)
{
	return &r->stream;
}

struct sc_disk_reply *sc_disk_reply_of(struct sc_http_stream *s)
{
	return (struct sc_disk_reply *)((char *)s - offsetof(struct sc_disk_reply, stream));
}

bool sc_disk_reply_answer(struct sc_disk_reply *r, struct sc_http_response *res)
{
	pthread_mutex_lock(&r->lock);
	bool ready = r->head_ready;
	if (ready) {
		res->status = r->status;
		res->content_type = r->content_type;
		snprintf(res->filename, sizeof(res->filename), "%s", r->filename);
		res->len = (size_t)r->length;
		res->stream = &r->stream;
		res->pending = false;
	}
	pthread_mutex_unlock(&r->lock);
	return ready;
}

/* --- producer ------------------------------------------------------------------ */

struct sc_disk_reply *sc_disk_reply_create(struct sc_disk_worker *w)
{
	struct sc_disk_reply *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	r->stream = (struct sc_http_stream){.read = stream_read, .release = stream_release};
	r->worker = w;
	r->refs = 2;
	return r;
}

void sc_disk_reply_head(struct sc_disk_reply *r, unsigned int status, const char *content_type,
                        const char *filename, uint64_t length)
{
	r->stage.head = true;
	r->stage.status = status;
	r->stage.content_type = content_type;
	snprintf(r->stage.filename, sizeof(r->stage.filename), "%s", filename ? filename : "");
	r->stage.length = length;
}

bool sc_disk_reply_write(struct sc_disk_reply *r, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len) {
		struct chunk *c = r->stage.last;
		if (!c || c->len == CHUNK_BYTES) {
			c = malloc(sizeof(*c) + CHUNK_BYTES);
			if (!c) {
				r->stage.fail = true;
				return false;
			}
			c->next = NULL;
			c->len = c->off = 0;
			if (r->stage.last)
				r->stage.last->next = c;
			else
				r->stage.first = c;
			r->stage.last = c;
		}
		size_t k = CHUNK_BYTES - c->len;
		if (k > len)
			k = len;
		memcpy(c->data + c->len, p, k);
		c->len += k;
		r->stage.bytes += k;
		p += k;
		len -= k;
	}
	return true;
}

void sc_disk_reply_flush(struct sc_disk_reply *r)
{
	if (!r->stage.head && !r->stage.first && !r->stage.end && !r->stage.fail)
		return;
	struct chunk *drop = NULL;
	pthread_mutex_lock(&r->lock);
	if (r->stage.head && !r->head_ready) {
		r->head_ready = true;
		r->status = r->stage.status;
		r->content_type = r->stage.content_type;
		memcpy(r->filename, r->stage.filename, sizeof(r->filename));
		r->length = r->stage.length;
	}
	if (r->abandoned || r->failed || r->stage.fail) {
		drop = r->stage.first; /* nobody reads them */
	} else if (r->stage.first) {
		if (r->last)
			r->last->next = r->stage.first;
		else
			r->first = r->stage.first;
		r->last = r->stage.last;
		r->queued += r->stage.bytes;
	}
	if (r->stage.end)
		r->ended = true;
	if (r->stage.fail)
		r->failed = true;
	bool tell = !r->abandoned;
	pthread_mutex_unlock(&r->lock);
	free_chunks(drop);
	r->stage.head = r->stage.end = r->stage.fail = false;
	r->stage.first = r->stage.last = NULL;
	r->stage.bytes = 0;
	if (tell)
		sc_disk_worker_wake(r->worker);
}

void sc_disk_reply_end(struct sc_disk_reply *r)
{
	r->stage.end = true;
	sc_disk_reply_flush(r);
}

/* Before the head is published: this JSON answer instead of what is staged.
 * After it: the connection is cut. */
static void fail_with(struct sc_disk_reply *r, unsigned int status, const char *body, size_t len)
{
	pthread_mutex_lock(&r->lock);
	bool published = r->head_ready;
	pthread_mutex_unlock(&r->lock);
	if (!published) {
		free_chunks(r->stage.first);
		r->stage.first = r->stage.last = NULL;
		r->stage.bytes = 0;
		r->stage.fail = false;
		sc_disk_reply_head(r, status, "application/json", "", len);
		if (sc_disk_reply_write(r, body, len)) {
			sc_disk_reply_end(r);
			return;
		}
	}
	r->stage.fail = true;
	sc_disk_reply_flush(r);
}

void sc_disk_reply_fail(struct sc_disk_reply *r)
{
	static const char body[] = "{\"error\":\"the disk worker could not complete the answer\",\"status\":500}\n";
	fail_with(r, 500, body, sizeof(body) - 1);
}

void sc_disk_reply_error(struct sc_disk_reply *r, unsigned int status, struct sc_strbuf *sb)
{
	size_t len = 0;
	char *body = sc_sb_take(sb, &len);
	if (!body) {
		sc_disk_reply_fail(r);
		return;
	}
	fail_with(r, status, body, len);
	free(body);
}

void sc_disk_reply_json(struct sc_disk_reply *r, unsigned int status, struct sc_strbuf *sb)
{
	size_t len = 0;
	char *body = sc_sb_take(sb, &len);
	if (!body) {
		static const char oom[] = "{\"error\":\"out of memory building the answer\",\"status\":500}\n";
		fail_with(r, 500, oom, sizeof(oom) - 1);
		return;
	}
	sc_disk_reply_head(r, status, "application/json", "", len);
	bool ok = sc_disk_reply_write(r, body, len);
	free(body);
	if (ok)
		sc_disk_reply_end(r);
	else
		sc_disk_reply_fail(r);
}

bool sc_disk_reply_abandoned(struct sc_disk_reply *r)
{
	pthread_mutex_lock(&r->lock);
	bool a = r->abandoned;
	pthread_mutex_unlock(&r->lock);
	return a;
}

bool sc_disk_reply_may_run(struct sc_disk_reply *r)
{
	pthread_mutex_lock(&r->lock);
	bool ok = r->abandoned || r->queued < SC_DISK_REPLY_WINDOW;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void sc_disk_reply_unref(struct sc_disk_reply *r)
{
	unref(r);
}
