/* src/sys/workq.c: one mutex; a FIFO of jobs and a condition variable per
 * thread. A worker's jobs always go to the same thread, so the state of a
 * long decoding (a brotli window is up to 16 MiB) stays in one core's
 * cache, and its jobs run in the order they came. */
#include "core/wk.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/thread.h"
#include "sys/workq.h"
#include "worker/worker.h"

#define WORKQ_MAX_THREADS 16

struct workq_job {
	struct workq_job *next;
	struct wk_worker *w;
	void (*run)(void *);
	void (*done)(void *);
	void *arg;
};

struct workq_lane {
	pthread_t thread;
	pthread_cond_t cv;
	struct workq_job *head, *tail;
};

static struct {
	pthread_mutex_t mu;
	struct workq_lane lanes[WORKQ_MAX_THREADS];
	unsigned n;
	bool running;  /* jobs are taken */
	bool stopping; /* finish the queues, then exit */
} Q = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *
workq_main(void *arg)
{
	struct workq_lane *l = arg;

	wk_thread_name("wk-queue", (int)(l - Q.lanes));
	pthread_mutex_lock(&Q.mu);
	for (;;) {
		struct workq_job *j = l->head;

		if (j == NULL) {
			if (Q.stopping)
				break;
			pthread_cond_wait(&l->cv, &Q.mu);
			continue;
		}
		l->head = j->next;
		if (l->head == NULL)
			l->tail = NULL;
		pthread_mutex_unlock(&Q.mu);
		j->run(j->arg);
		wk_worker_post(j->w, j->done, j->arg);
		free(j);
		pthread_mutex_lock(&Q.mu);
	}
	pthread_mutex_unlock(&Q.mu);
	return NULL;
}

int
wk_workq_start(unsigned n)
{
	unsigned made;

	n = WK_MAX(1u, WK_MIN(n, (unsigned)WORKQ_MAX_THREADS));
	/* the lanes are set up before anyone may submit */
	pthread_mutex_lock(&Q.mu);
	Q.stopping = false;
	for (made = 0; made < n; made++) {
		struct workq_lane *l = &Q.lanes[made];

		pthread_cond_init(&l->cv, NULL);
		l->head = l->tail = NULL;
		if (pthread_create(&l->thread, NULL, workq_main, l) != 0) {
			pthread_cond_destroy(&l->cv);
			break;
		}
	}
	Q.n = made;
	Q.running = made > 0;
	pthread_mutex_unlock(&Q.mu);
	return made > 0 ? 0 : -1;
}

void
wk_workq_stop(void)
{
	pthread_mutex_lock(&Q.mu);
	if (!Q.running) {
		pthread_mutex_unlock(&Q.mu);
		return;
	}
	Q.stopping = true;
	for (unsigned i = 0; i < Q.n; i++)
		pthread_cond_signal(&Q.lanes[i].cv);
	pthread_mutex_unlock(&Q.mu);
	for (unsigned i = 0; i < Q.n; i++) {
		pthread_join(Q.lanes[i].thread, NULL);
		pthread_cond_destroy(&Q.lanes[i].cv);
	}
	pthread_mutex_lock(&Q.mu);
	Q.running = false;
	Q.n = 0;
	pthread_mutex_unlock(&Q.mu);
}

int
wk_workq_submit(
    struct wk_worker *w, void (*run)(void *), void (*done)(void *), void *arg)
{
	struct workq_lane *l;
	struct workq_job *j;

	pthread_mutex_lock(&Q.mu);
	if (!Q.running || Q.stopping) {
		pthread_mutex_unlock(&Q.mu);
		return -1;
	}
	j = wk_calloc(1, sizeof(*j));
	j->w = w;
	j->run = run;
	j->done = done;
	j->arg = arg;
	l = &Q.lanes[w->id % Q.n];
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&Q.mu);
	return 0;
}
