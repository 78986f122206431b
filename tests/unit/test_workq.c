/* tests/unit/test_workq.c: the work queue with real workers whose loops
 * run on the test thread: jobs run on pool threads and their done
 * functions on the loop, submit before start and after stop fails, stop
 * drains a full queue (the done functions then run on the loop or at
 * wk_worker_free, each exactly once), FIFO order (one thread, and one
 * worker's lane among several), and several threads running jobs at the
 * same time (a worker's jobs share one thread: worker id modulo threads). */
#include "core/wk.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config/conf.h"
#include "sys/workq.h"
#include "testworker.h"
#include "worker/worker.h"

#define MANY 1000u    /* jobs queued behind a held thread */
#define PROBES 20000u /* at most this many submits while stop starts */
#define SLOTS (1 + MANY + PROBES)
#define MAX_THREADS 16 /* WORKQ_MAX_THREADS */

/* --- jobs that record where and when they ran ------------------------- */

struct job {
	unsigned idx;
	pthread_t run_thread;
	unsigned runs;	/* atomic: run() calls */
	unsigned dones; /* done() calls (on the loop) */
	bool done_here; /* done() ran on the test thread */
};

/* The gate holds pool threads inside a job; the run order is kept here. */
static struct {
	struct wk_test_gate gate; /* its mutex guards the order too */
	unsigned *order; /* job indices in the order run() was called */
	unsigned n_order;
} G = { .gate = WK_TEST_GATE_INIT };

struct fixture {
	struct wk_test_worker tw;		 /* id 0 */
	struct wk_worker *more[MAX_THREADS + 1]; /* more[i]: id i, on demand */
	pthread_t test_thread;
	struct job *jobs; /* SLOTS of them */
	unsigned *done_order;
	unsigned n_done;
};

static struct fixture *F;

static void
job_run(void *arg)
{
	struct job *j = arg;

	j->run_thread = pthread_self();
	__atomic_add_fetch(&j->runs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&G.gate.mu);
	if (G.n_order < SLOTS)
		G.order[G.n_order++] = j->idx;
	pthread_mutex_unlock(&G.gate.mu);
}

static void
job_done(void *arg)
{
	struct job *j = arg;

	j->dones++;
	j->done_here = pthread_equal(pthread_self(), F->test_thread);
	if (F->n_done < SLOTS)
		F->done_order[F->n_done] = j->idx;
	F->n_done++;
}

/* A job that waits at the gate after recording itself. */
static void
gate_run(void *arg)
{
	job_run(arg);
	pthread_mutex_lock(&G.gate.mu);
	wk_test_gate_pass_locked(&G.gate);
	pthread_mutex_unlock(&G.gate.mu);
}

static void
gate_close(void)
{
	wk_test_gate_close(&G.gate);
}

static void
gate_open(void)
{
	wk_test_gate_open(&G.gate);
}

/* Waits (10 s at most) until n gate jobs hold their threads. */
static void
gate_wait_inside(unsigned n)
{
	assert_int_equal(wk_test_gate_wait_inside(&G.gate, n), n);
}

static unsigned
runs_of(const struct job *j)
{
	return __atomic_load_n(&j->runs, __ATOMIC_ACQUIRE);
}

/* --- the fixture: a worker with no listeners, run on this thread ------ */

static int
setup_idle(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	wk_test_worker_init(&f->tw);
	f->test_thread = pthread_self();
	f->jobs = calloc(SLOTS, sizeof(*f->jobs));
	f->done_order = calloc(SLOTS, sizeof(*f->done_order));
	for (unsigned i = 0; i < SLOTS; i++)
		f->jobs[i].idx = i;
	pthread_mutex_lock(&G.gate.mu);
	free(G.order);
	G.order = calloc(SLOTS, sizeof(*G.order));
	G.n_order = 0;
	G.gate.closed = false;
	pthread_mutex_unlock(&G.gate.mu);
	F = f;
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	if (setup_idle(state) != 0)
		return -1;
	return wk_workq_start(2);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gate_open();
	wk_workq_stop(); /* every post is queued now */
	for (unsigned i = 1; i < WK_ARRAY_LEN(f->more); i++)
		wk_worker_free(f->more[i]);
	wk_test_worker_fini(&f->tw); /* runs them */
	free(f->jobs);
	free(f->done_order);
	free(f);
	pthread_mutex_lock(&G.gate.mu);
	free(G.order);
	G.order = NULL;
	pthread_mutex_unlock(&G.gate.mu);
	F = NULL;
	return 0;
}

/* The worker with this id (0: F->tw.w). */
static struct wk_worker *
worker(struct fixture *f, unsigned id)
{
	if (id == 0)
		return f->tw.w;
	if (f->more[id] == NULL)
		f->more[id] = wk_worker_new(&f->tw.ctx, id, NULL, NULL, 0);
	return f->more[id];
}

struct until {
	bool (*pred)(void *);
	void *arg;
};

/* Turns the other workers' loops once (without waiting), then asks. */
static bool
more_then_pred(void *arg)
{
	struct until *u = arg;

	for (unsigned i = 1; i < WK_ARRAY_LEN(F->more); i++)
		if (F->more[i] != NULL)
			event_base_loop(F->more[i]->base, EVLOOP_NONBLOCK);
	return u->pred != NULL && u->pred(u->arg);
}

/* Runs the workers' loops until pred(arg) or ms milliseconds. */
static bool
run_until(bool (*pred)(void *), void *arg, int ms)
{
	struct until u = { pred, arg };

	return wk_test_run_until(&F->tw, more_then_pred, &u, ms) ||
	    pred == NULL;
}

static bool
dones_reached(void *arg)
{
	return F->n_done >= *(unsigned *)arg;
}

/* Runs the loop until n done functions have run in all. */
static void
wait_dones(unsigned n)
{
	assert_true(run_until(dones_reached, &n, 10000));
	assert_int_equal(F->n_done, n);
}

/* Polls (10 s at most, without running the loop) until job j ran. */
static void
wait_run(const struct job *j)
{
	for (int i = 0; i < 10000 && runs_of(j) == 0; i++)
		usleep(1000);
	assert_int_equal(runs_of(j), 1);
}

static int
submit(struct fixture *f, unsigned i)
{
	return wk_workq_submit(f->tw.w, job_run, job_done, &f->jobs[i]);
}

/* --- cases ------------------------------------------------------------- */

/* First case of the program: the queue has never been started. */
static void
test_submit_not_running(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(submit(f, 0), -1);
	assert_int_equal(wk_workq_start(2), 0);
	assert_int_equal(submit(f, 1), 0);
	wait_dones(1);
	assert_int_equal(f->done_order[0], 1);
	wk_workq_stop();
	assert_int_equal(submit(f, 2), -1);
	wk_workq_stop(); /* twice is harmless */
	assert_int_equal(submit(f, 3), -1);
	assert_true(run_until(NULL, NULL, 50));
	assert_int_equal(f->n_done, 1);
	assert_int_equal(runs_of(&f->jobs[0]), 0);
	assert_int_equal(runs_of(&f->jobs[2]), 0);
	assert_int_equal(runs_of(&f->jobs[3]), 0);
	/* and it starts again */
	assert_int_equal(wk_workq_start(1), 0);
	assert_int_equal(submit(f, 4), 0);
	wait_dones(2);
	assert_int_equal(f->jobs[4].dones, 1);
}

/* run() on a pool thread; done() only when the loop runs, on its thread.
 * One worker's jobs share a thread; two workers' go to two threads. */
static void
test_threads_of_run_and_done(void **state)
{
	struct fixture *f = *state;
	struct wk_worker *w1 = worker(f, 1);
	const unsigned n = 16;

	for (unsigned i = 0; i < n; i++)
		assert_int_equal(wk_workq_submit(i < n / 2 ? f->tw.w : w1,
				     job_run, job_done, &f->jobs[i]),
		    0);
	for (unsigned i = 0; i < n; i++)
		wait_run(&f->jobs[i]);
	usleep(20000);
	assert_int_equal(f->n_done, 0); /* no loop has run */
	assert_true(wk_test_posts_pending(f->tw.w));
	assert_true(wk_test_posts_pending(w1));
	wait_dones(n);
	for (unsigned i = 0; i < n; i++) {
		struct job *j = &f->jobs[i];
		struct job *first = &f->jobs[i < n / 2 ? 0 : n / 2];

		assert_int_equal(runs_of(j), 1);
		assert_int_equal(j->dones, 1);
		assert_false(pthread_equal(j->run_thread, f->test_thread));
		assert_true(pthread_equal(j->run_thread, first->run_thread));
		assert_true(j->done_here);
	}
	assert_false(
	    pthread_equal(f->jobs[0].run_thread, f->jobs[n / 2].run_thread));
}

static void *
stopper_main(void *arg)
{
	(void)arg;
	wk_workq_stop();
	return NULL;
}

/* Holds the worker's thread, queues MANY jobs behind it, and calls stop
 * from another thread; submits until they are refused, so stop surely
 * began with a full queue. Returns the number of jobs accepted; every one
 * has run when it returns, and no done function has. */
static unsigned
stop_with_queue(struct fixture *f)
{
	pthread_t stopper;
	unsigned n = 0;

	gate_close();
	assert_int_equal(
	    wk_workq_submit(f->tw.w, gate_run, job_done, &f->jobs[n++]), 0);
	gate_wait_inside(1);
	for (; n < 1 + MANY; n++)
		assert_int_equal(submit(f, n), 0);
	assert_int_equal(pthread_create(&stopper, NULL, stopper_main, NULL), 0);
	while (n < SLOTS - 1 && submit(f, n) == 0) {
		n++;
		usleep(100);
	}
	assert_true(n < SLOTS - 1); /* refused at last */
	assert_int_equal(submit(f, SLOTS - 1), -1);
	pthread_mutex_lock(&G.gate.mu);
	assert_int_equal(G.n_order, 1); /* the queue is still full */
	pthread_mutex_unlock(&G.gate.mu);
	gate_open();
	assert_int_equal(pthread_join(stopper, NULL), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(runs_of(&f->jobs[i]), 1);
	assert_int_equal(runs_of(&f->jobs[SLOTS - 1]), 0);
	assert_int_equal(f->n_done, 0);
	assert_true(wk_test_posts_pending(f->tw.w));
	return n;
}

static void
check_each_done_once(struct fixture *f, unsigned n)
{
	assert_int_equal(f->n_done, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(f->jobs[i].dones, 1);
		assert_true(f->jobs[i].done_here);
	}
	assert_int_equal(f->jobs[SLOTS - 1].dones, 0);
}

/* Stop drains the queue; the done functions run when the loop runs. */
static void
test_stop_drains_queue(void **state)
{
	struct fixture *f = *state;
	unsigned n = stop_with_queue(f);

	wait_dones(n);
	assert_true(run_until(NULL, NULL, 50));
	check_each_done_once(f, n);
	assert_false(wk_test_posts_pending(f->tw.w));
	assert_int_equal(submit(f, SLOTS - 1), -1);
}

/* ... or at wk_worker_free when the loop never runs again. */
static void
test_stop_posts_at_worker_free(void **state)
{
	struct fixture *f = *state;
	unsigned n = stop_with_queue(f);

	event_free(f->tw.tick);
	f->tw.tick = NULL;
	wk_worker_free(f->tw.w);
	f->tw.w = NULL;
	check_each_done_once(f, n);
}

/* Jobs run, and their done functions run, in submit order. */
static void
check_fifo(struct fixture *f, unsigned n)
{
	gate_close();
	assert_int_equal(
	    wk_workq_submit(f->tw.w, gate_run, job_done, &f->jobs[0]), 0);
	gate_wait_inside(1);
	for (unsigned i = 1; i < n; i++)
		assert_int_equal(submit(f, i), 0);
	gate_open();
	wait_dones(n);
	pthread_mutex_lock(&G.gate.mu);
	assert_int_equal(G.n_order, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(G.order[i], i);
	pthread_mutex_unlock(&G.gate.mu);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(f->done_order[i], i);
}

static void
test_fifo_one_thread(void **state)
{
	struct fixture *f = *state;

	wk_workq_stop();
	assert_int_equal(wk_workq_start(1), 0);
	check_fifo(f, 300);
}

/* With more threads, one worker's jobs still keep their order. */
static void
test_fifo_one_worker_of_many_threads(void **state)
{
	struct fixture *f = *state;

	wk_workq_stop();
	assert_int_equal(wk_workq_start(4), 0);
	check_fifo(f, 300);
}

/* n jobs that each wait (ms at most) until all n have arrived. */
struct meet {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned n, arrived;
	int ms;
	unsigned met; /* jobs that saw all n arrive */
	unsigned done;
};

static void
meet_run(void *arg)
{
	struct meet *m = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(m->ms % 1000) * 1000000;
	ts.tv_sec += m->ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&m->mu);
	m->arrived++;
	pthread_cond_broadcast(&m->cv);
	while (m->arrived < m->n)
		if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) == ETIMEDOUT)
			break;
	if (m->arrived >= m->n)
		m->met++;
	pthread_mutex_unlock(&m->mu);
}

static void
meet_done(void *arg)
{
	struct meet *m = arg;

	m->done++;
}

static bool
meet_all_done(void *arg)
{
	struct meet *m = arg;

	return m->done == m->n;
}

/* Submits n meeting jobs, job i from the worker with id ids[i]; returns
 * how many met all the others. */
static unsigned
meet(struct fixture *f, unsigned n, const unsigned *ids, int ms)
{
	struct meet m = { .n = n, .ms = ms };
	unsigned met;

	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.cv, NULL);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(
		    wk_workq_submit(worker(f, ids[i]), meet_run, meet_done, &m),
		    0);
	assert_true(run_until(meet_all_done, &m, 30000));
	met = m.met;
	pthread_cond_destroy(&m.cv);
	pthread_mutex_destroy(&m.mu);
	return met;
}

/* Two threads run two jobs at once: each waits for the other. */
static void
test_threads_concurrent(void **state)
{
	static const unsigned two[] = { 0, 1 }, same[] = { 0, 0 },
			      lane0[] = { 0, MAX_THREADS };
	unsigned all[MAX_THREADS];
	struct fixture *f = *state;

	assert_int_equal(meet(f, 2, two, 10000), 2);
	/* one worker's jobs run one after the other on its thread: the
	 * first gives up (so a meeting really needs two threads) */
	assert_int_equal(meet(f, 2, same, 200), 1);
	/* so do two workers' on one thread */
	wk_workq_stop();
	assert_int_equal(wk_workq_start(1), 0);
	assert_int_equal(meet(f, 2, two, 200), 1);
	/* start(0) is one thread */
	wk_workq_stop();
	assert_int_equal(wk_workq_start(0), 0);
	assert_int_equal(meet(f, 2, two, 200), 1);
	/* start(100) is the most, 16: workers 0 and 16 share a thread */
	wk_workq_stop();
	assert_int_equal(wk_workq_start(100), 0);
	for (unsigned i = 0; i < MAX_THREADS; i++)
		all[i] = i;
	assert_int_equal(meet(f, MAX_THREADS, all, 10000), MAX_THREADS);
	assert_int_equal(meet(f, 2, lane0, 200), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_submit_not_running, setup_idle, teardown),
		cmocka_unit_test_setup_teardown(
		    test_threads_of_run_and_done, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_stop_drains_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_stop_posts_at_worker_free, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fifo_one_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fifo_one_worker_of_many_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_threads_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
