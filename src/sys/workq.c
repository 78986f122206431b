/* src/sys/workq.c: one mutex, one condition variable, a FIFO of jobs. */
#include "core/wk.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/alloc.h"
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

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workq_job *head, *tail;
	pthread_t threads[WORKQ_MAX_THREADS];
	unsigned n;
	bool running;  /* jobs are taken */
	bool stopping; /* finish the queue, then exit */
} Q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *
workq_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&Q.mu);
	for (;;) {
		struct workq_job *j = Q.head;

		if (j == NULL) {
			if (Q.stopping)
				break;
			pthread_cond_wait(&Q.cv, &Q.mu);
			continue;
		}
		Q.head = j->next;
		if (Q.head == NULL)
			Q.tail = NULL;
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
	n = WK_MAX(1u, WK_MIN(n, (unsigned)WORKQ_MAX_THREADS));
	pthread_mutex_lock(&Q.mu);
	Q.stopping = false;
	Q.running = true;
	pthread_mutex_unlock(&Q.mu);
	for (Q.n = 0; Q.n < n; Q.n++)
		if (pthread_create(&Q.threads[Q.n], NULL, workq_main, NULL) !=
		    0) {
			if (Q.n == 0) {
				Q.running = false;
				return -1;
			}
			break;
		}
	return 0;
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
	pthread_cond_broadcast(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
	for (unsigned i = 0; i < Q.n; i++)
		pthread_join(Q.threads[i], NULL);
	pthread_mutex_lock(&Q.mu);
	Q.running = false;
	Q.n = 0;
	pthread_mutex_unlock(&Q.mu);
}

int
wk_workq_submit(
    struct wk_worker *w, void (*run)(void *), void (*done)(void *), void *arg)
{
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
	if (Q.tail != NULL)
		Q.tail->next = j;
	else
		Q.head = j;
	Q.tail = j;
	pthread_cond_signal(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
	return 0;
}
