/* src/sys/spool.c: request bodies held back in memory, then in a temporary
 * file. One disk thread, shared by every worker, runs a FIFO of jobs (open
 * on first use, write, read ahead); the worker's side only moves evbuffer
 * chains and plain memory blocks, and gets completions through
 * wk_worker_post. Jobs and posts hold references, so the owner may free a
 * spool at any time. */
#include "core/wk.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "core/alloc.h"
#include "core/bug.h"
#include "core/thread.h"
#include "log/log.h"
#include "sys/spool.h"
#include "worker/worker.h"

#define SPOOL_CHUNK (256u * 1024) /* bytes per write job and read-ahead */
#define SPOOL_BUSY (1024u * 1024) /* queued write bytes: busy above this */

enum spool_job_kind {
	SPOOL_JOB_WRITE = 0, /* buf, len at off: write them */
	SPOOL_JOB_READ	     /* read len bytes at off into a new block */
};

struct spool_job {
	struct spool_job *next;
	struct wk_spool *sp; /* holds a reference */
	enum spool_job_kind kind;
	uint8_t *buf; /* the bytes to write, or the block read (owned) */
	size_t len;
	uint64_t off; /* where in the file */
};

struct wk_spool {
	/* fixed at creation */
	struct wk_worker *w;
	char *dir;
	size_t mem_max;
	uint64_t max;
	wk_spool_cb cb;
	void *arg;

	/* the worker's side */
	struct evbuffer *mem;	/* the first mem_max bytes */
	struct evbuffer *stage; /* bytes past mem_max not yet in a job */
	struct evbuffer *rd;	/* file bytes read back, not yet moved out */
	uint64_t length;	/* bytes appended */
	uint64_t file_len;	/* bytes handed to write jobs */
	uint64_t file_asked;	/* file bytes asked of read jobs */
	uint64_t moved;		/* bytes moved out by wk_spool_read */
	bool reading;		/* the first wk_spool_read happened */

	/* the disk thread's side (and the final free's) */
	int fd; /* -1 until the first write job opens it */

	/* under S.mu */
	unsigned refs; /* the owner, each job, each queued post */
	bool gone;     /* the owner freed it: no more posts */
	bool failed;   /* err says what; set once */
	bool over;     /* queued passed SPOOL_BUSY: post when it is back */
	bool rwait;    /* wk_spool_read returned 0: post when a block is in */
	bool ra_busy;  /* a read job is queued or running */
	size_t queued; /* bytes in write jobs not yet done */
	uint8_t *ra;   /* a block read ahead, ready to take */
	size_t ra_len;
	char err[128];
};

static struct {
	pthread_mutex_t mu; /* guards this and the spools' S.mu fields */
	pthread_cond_t cv;  /* a job was queued, or stop */
	bool running;
	bool stop;
	pthread_t thread;
	struct spool_job *head, *tail;
} S = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* The last reference is gone: nothing else can see sp. */
static void
spool_destroy(struct wk_spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->ra);
	free(sp->dir);
	free(sp);
}

/* Drops one reference; S.mu held. True when sp must be destroyed (after
 * the unlock). */
static bool
spool_unref_locked(struct wk_spool *sp)
{
	WK_BUG_ON(sp->refs == 0);
	return --sp->refs == 0;
}

static void
spool_unref(struct wk_spool *sp)
{
	bool last;

	pthread_mutex_lock(&S.mu);
	last = spool_unref_locked(sp);
	pthread_mutex_unlock(&S.mu);
	if (last)
		spool_destroy(sp);
}

/* Runs on the worker's loop. */
static void
spool_deliver(void *arg)
{
	struct wk_spool *sp = arg;
	bool gone;

	/* gone is only set on this thread, but read it as the others do */
	pthread_mutex_lock(&S.mu);
	gone = sp->gone;
	pthread_mutex_unlock(&S.mu);
	if (!gone)
		sp->cb(sp, sp->arg);
	spool_unref(sp);
}

/* Tells the owner; S.mu held, so the owner cannot free sp (nor then its
 * worker) between the check and the post. */
static void
spool_post_locked(struct wk_spool *sp)
{
	if (sp->gone)
		return;
	sp->refs++;
	wk_worker_post(sp->w, spool_deliver, sp);
}

/* Records the first error; S.mu held. */
static void
spool_fail_locked(struct wk_spool *sp, const char *what, int err)
{
	if (sp->failed)
		return;
	snprintf(sp->err, sizeof(sp->err), "spool: %s: %s", what,
	    err != 0 ? strerror(err) : "file shorter than written");
	sp->failed = true;
}

/* Queues the jobs first..last (linked); S.mu held. */
static void
spool_queue_locked(struct spool_job *first, struct spool_job *last)
{
	WK_BUG_ON(!S.running);
	if (S.tail != NULL)
		S.tail->next = first;
	else
		S.head = first;
	S.tail = last;
	pthread_cond_signal(&S.cv);
}

/* --- the disk thread -------------------------------------------------- */

/* Opens the spool's file in its directory, making the directory if it is
 * missing. Returns the fd, or -1 with *what and errno set. */
static int
spool_open(const char *dir, const char **what)
{
	int fd = -1;

	*what = "open";
	for (int i = 0; i < 2; i++) {
#ifdef O_TMPFILE
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
		errno = EOPNOTSUPP;
#endif
		if (fd < 0 &&
		    (errno == EOPNOTSUPP || errno == EISDIR ||
			errno == EINVAL)) {
			/* no O_TMPFILE here: a named file, unlinked at once */
			char *path =
			    wk_asprintf("%s/.wicket-spool-XXXXXX", dir);
			int e;

			fd = mkostemp(path, O_CLOEXEC);
			e = errno;
			if (fd >= 0 && unlink(path) < 0) {
				e = errno;
				close(fd);
				fd = -1;
			}
			free(path);
			errno = e;
		}
		if (fd >= 0 || errno != ENOENT || i > 0)
			break;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*what = "mkdir";
			break;
		}
	}
	if (fd >= 0)
		(void)fchmod(fd, 0600); /* whatever the umask */
	return fd;
}

/* Returns 0, or -1 with *what and errno set (errno 0: a short file). */
static int
spool_do_write(struct wk_spool *sp, struct spool_job *j, const char **what)
{
	const uint8_t *p = j->buf;
	size_t left = j->len;
	off_t off = (off_t)j->off;

	if (sp->fd < 0) {
		sp->fd = spool_open(sp->dir, what);
		if (sp->fd < 0)
			return -1;
	}
	*what = "write";
	while (left > 0) {
		ssize_t n = pwrite(sp->fd, p, left, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		p += n;
		left -= (size_t)n;
		off += n;
	}
	return 0;
}

static int
spool_do_read(struct wk_spool *sp, struct spool_job *j, const char **what)
{
	size_t got = 0;

	*what = "read";
	WK_BUG_ON(sp->fd < 0);
	j->buf = wk_malloc(j->len);
	while (got < j->len) {
		ssize_t n = pread(
		    sp->fd, j->buf + got, j->len - got, (off_t)(j->off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* Books a finished (or skipped) job; S.mu held. */
static void
spool_job_done_locked(
    struct spool_job *j, bool ran, int rc, const char *what, int err)
{
	struct wk_spool *sp = j->sp;
	bool post = false;

	if (ran && rc < 0 && !sp->failed) {
		spool_fail_locked(sp, what, err);
		wk_log_warnx("%s (spool directory %s)", sp->err, sp->dir);
		post = true;
	}
	if (j->kind == SPOOL_JOB_WRITE) {
		sp->queued -= j->len;
		if (sp->over && sp->queued <= SPOOL_BUSY) {
			sp->over = false;
			post = true;
		}
	} else {
		sp->ra_busy = false;
		if (ran && rc == 0 && !sp->gone) {
			sp->ra = j->buf;
			sp->ra_len = j->len;
			j->buf = NULL;
			if (sp->rwait) {
				sp->rwait = false;
				post = true;
			}
		}
	}
	free(j->buf);
	j->buf = NULL;
	/* a stopping service drops jobs: their workers may be gone too */
	if (post && S.running)
		spool_post_locked(sp);
}

static void *
spool_main(void *arg)
{
	(void)arg;
	wk_thread_name("wk-spool", -1);
	pthread_mutex_lock(&S.mu);
	for (;;) {
		struct spool_job *j;
		struct wk_spool *sp;
		const char *what = NULL;
		bool run, last;
		int rc = 0, err = 0;

		while (!S.stop && S.head == NULL)
			pthread_cond_wait(&S.cv, &S.mu);
		if (S.stop)
			break;
		j = S.head;
		S.head = j->next;
		if (S.head == NULL)
			S.tail = NULL;
		sp = j->sp;
		/* the owner is gone or the file is broken: skip the I/O */
		run = !sp->gone && !sp->failed;
		pthread_mutex_unlock(&S.mu);

		if (run) {
			rc = j->kind == SPOOL_JOB_WRITE ?
			    spool_do_write(sp, j, &what) :
			    spool_do_read(sp, j, &what);
			err = errno;
		}

		pthread_mutex_lock(&S.mu);
		spool_job_done_locked(j, run, rc, what, err);
		last = spool_unref_locked(sp);
		if (last) {
			pthread_mutex_unlock(&S.mu);
			spool_destroy(
			    sp); /* closes the file here, off the loop */
			pthread_mutex_lock(&S.mu);
		}
		free(j);
	}
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

int
wk_spool_service_start(void)
{
	int rc = 0;

	pthread_mutex_lock(&S.mu);
	if (!S.running) {
		S.stop = false;
		if (pthread_create(&S.thread, NULL, spool_main, NULL) == 0)
			S.running = true;
		else
			rc = -1;
	}
	pthread_mutex_unlock(&S.mu);
	if (rc < 0)
		wk_log_err("spool: cannot start the disk thread");
	return rc;
}

void
wk_spool_service_stop(void)
{
	struct spool_job *j;

	pthread_mutex_lock(&S.mu);
	if (!S.running) {
		pthread_mutex_unlock(&S.mu);
		return;
	}
	S.stop = true;
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	pthread_join(S.thread, NULL);

	/* drop what is left; the spools' owners are gone by now */
	pthread_mutex_lock(&S.mu);
	S.running = false;
	while ((j = S.head) != NULL) {
		struct wk_spool *sp = j->sp;

		S.head = j->next;
		spool_job_done_locked(j, false, 0, NULL, 0);
		if (spool_unref_locked(sp)) {
			pthread_mutex_unlock(&S.mu);
			spool_destroy(sp);
			pthread_mutex_lock(&S.mu);
		}
		free(j);
	}
	S.tail = NULL;
	pthread_mutex_unlock(&S.mu);
}

/* --- the worker's side ------------------------------------------------ */

struct wk_spool *
wk_spool_new(struct wk_worker *w, const char *dir, size_t mem_max, uint64_t max,
    wk_spool_cb cb, void *arg)
{
	struct wk_spool *sp = wk_calloc(1, sizeof(*sp));
	bool running;

	pthread_mutex_lock(&S.mu);
	running = S.running;
	pthread_mutex_unlock(&S.mu);
	WK_BUG_ON(!running); /* wk_spool_service_start() first */
	sp->w = w;
	sp->dir = wk_strdup(dir);
	sp->mem_max = mem_max;
	sp->max = max;
	sp->cb = cb;
	sp->arg = arg;
	sp->mem = evbuffer_new();
	sp->stage = evbuffer_new();
	sp->rd = evbuffer_new();
	if (sp->mem == NULL || sp->stage == NULL || sp->rd == NULL)
		abort();
	sp->fd = -1;
	sp->refs = 1;
	return sp;
}

void
wk_spool_free(struct wk_spool *sp)
{
	bool last;

	if (sp == NULL)
		return;
	/* the worker's buffers; the disk thread never sees them */
	evbuffer_free(sp->mem);
	evbuffer_free(sp->stage);
	evbuffer_free(sp->rd);
	sp->mem = sp->stage = sp->rd = NULL;
	pthread_mutex_lock(&S.mu);
	sp->gone = true;
	last = spool_unref_locked(sp);
	pthread_mutex_unlock(&S.mu);
	if (last)
		spool_destroy(sp);
}

static bool
spool_failed(const struct wk_spool *sp)
{
	bool failed;

	pthread_mutex_lock(&S.mu);
	failed = sp->failed;
	pthread_mutex_unlock(&S.mu);
	return failed;
}

/* Moves staged bytes into write jobs of SPOOL_CHUNK bytes; with all, the
 * rest too. The disk thread gets plain memory: the evbuffers stay ours. */
static void
spool_cut(struct wk_spool *sp, bool all)
{
	struct spool_job *first = NULL, *last = NULL;
	size_t staged = evbuffer_get_length(sp->stage), sum = 0;
	unsigned n = 0;

	while (staged >= SPOOL_CHUNK || (all && staged > 0)) {
		struct spool_job *j = wk_calloc(1, sizeof(*j));

		j->sp = sp;
		j->kind = SPOOL_JOB_WRITE;
		j->len = WK_MIN(staged, (size_t)SPOOL_CHUNK);
		j->buf = wk_malloc(j->len);
		if (evbuffer_remove(sp->stage, j->buf, j->len) != (int)j->len)
			abort();
		j->off = sp->file_len;
		sp->file_len += j->len;
		staged -= j->len;
		sum += j->len;
		n++;
		if (last != NULL)
			last->next = j;
		else
			first = j;
		last = j;
	}
	if (first == NULL)
		return;
	/* all of one append in one go: busy() sees the whole of it */
	pthread_mutex_lock(&S.mu);
	sp->refs += n;
	sp->queued += sum;
	if (sp->queued > SPOOL_BUSY)
		sp->over = true;
	spool_queue_locked(first, last);
	pthread_mutex_unlock(&S.mu);
}

int
wk_spool_append(struct wk_spool *sp, struct evbuffer *data)
{
	size_t n = evbuffer_get_length(data);
	bool first_file_byte;

	WK_BUG_ON(sp->reading); /* appends end with the first read */
	if (n > sp->max - sp->length || spool_failed(sp))
		return -1;
	if (n == 0)
		return 0;
	if (sp->length < sp->mem_max) {
		size_t room = sp->mem_max - (size_t)sp->length;

		evbuffer_remove_buffer(data, sp->mem, WK_MIN(room, n));
	}
	first_file_byte = sp->file_len == 0 && evbuffer_get_length(data) > 0;
	evbuffer_add_buffer(sp->stage, data);
	sp->length += n;
	/* the first byte past mem_max goes at once, so the file is opened
	 * (and any error seen) early; later ones in whole chunks */
	spool_cut(sp, first_file_byte);
	return 0;
}

uint64_t
wk_spool_length(const struct wk_spool *sp)
{
	return sp->length;
}

bool
wk_spool_busy(const struct wk_spool *sp)
{
	bool busy;

	pthread_mutex_lock(&S.mu);
	busy = !sp->failed && sp->queued > SPOOL_BUSY;
	pthread_mutex_unlock(&S.mu);
	return busy;
}

/* Asks for the next block of the file when none is ready or coming;
 * S.mu held. */
static void
spool_ask_locked(struct wk_spool *sp)
{
	struct spool_job *j;

	if (sp->ra_busy || sp->ra != NULL || sp->file_asked >= sp->file_len)
		return;
	j = wk_calloc(1, sizeof(*j));
	j->sp = sp;
	j->kind = SPOOL_JOB_READ;
	j->off = sp->file_asked;
	j->len = (size_t)WK_MIN(sp->file_len - sp->file_asked, SPOOL_CHUNK);
	sp->file_asked += j->len;
	sp->ra_busy = true;
	sp->refs++;
	spool_queue_locked(j, j);
}

static void
spool_block_free(const void *data, size_t len, void *arg)
{
	(void)len, (void)arg;
	free((void *)data);
}

/* Moves a ready block into sp->rd and asks for the next one. Returns
 * false when none is ready; with wait, the block's arrival is then
 * posted. */
static bool
spool_take_block(struct wk_spool *sp, bool wait)
{
	uint8_t *block;
	size_t len;

	pthread_mutex_lock(&S.mu);
	block = sp->ra;
	len = sp->ra_len;
	sp->ra = NULL;
	/* the disk reads the next block while the caller sends this one */
	spool_ask_locked(sp);
	if (block == NULL && wait && sp->ra_busy)
		sp->rwait = true;
	pthread_mutex_unlock(&S.mu);
	if (block == NULL)
		return false;
	if (evbuffer_add_reference(sp->rd, block, len, spool_block_free, NULL) <
	    0)
		abort();
	return true;
}

ssize_t
wk_spool_read(struct wk_spool *sp, struct evbuffer *out, size_t max)
{
	size_t got = 0, take;

	if (!sp->reading) {
		sp->reading = true;
		spool_cut(sp, true);
		if (sp->file_len > 0) {
			/* the first block comes while memory bytes go out */
			pthread_mutex_lock(&S.mu);
			spool_ask_locked(sp);
			pthread_mutex_unlock(&S.mu);
		}
	}
	if (spool_failed(sp))
		return -1;
	take = WK_MIN(evbuffer_get_length(sp->mem), max);
	if (take > 0) {
		evbuffer_remove_buffer(sp->mem, out, take);
		got += take;
	}
	while (got < max && sp->moved + got < sp->length) {
		if (evbuffer_get_length(sp->rd) == 0 &&
		    !spool_take_block(sp, got == 0))
			break;
		take = WK_MIN(evbuffer_get_length(sp->rd), max - got);
		evbuffer_remove_buffer(sp->rd, out, take);
		got += take;
	}
	sp->moved += got;
	return (ssize_t)got;
}

bool
wk_spool_done(const struct wk_spool *sp)
{
	return sp->moved == sp->length;
}

const char *
wk_spool_error(const struct wk_spool *sp)
{
	/* err is written once, before failed is set, and never again */
	return spool_failed(sp) ? sp->err : NULL;
}
