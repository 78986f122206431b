/* tests/unit/testworker.h: for unit tests of code that runs on a worker's
 * loop and on other threads: a worker with no listeners whose loop the
 * test thread runs, and a gate that holds another thread at a point of
 * the test's choosing. */
#ifndef WK_TESTS_UNIT_TESTWORKER_H
#define WK_TESTS_UNIT_TESTWORKER_H

#include "core/wk.h"

#include <pthread.h>

#include "worker/worker.h"

struct event;

struct wk_test_worker {
	struct wk_ctx ctx;
	struct wk_worker *w; /* id 0 */
	struct event *tick;  /* so one loop turn never blocks for long */
};

/* Makes the worker (default config). */
void wk_test_worker_init(struct wk_test_worker *t);
/* Frees what is left of it (a test may have freed w or tick itself and
 * set them to NULL). */
void wk_test_worker_fini(struct wk_test_worker *t);

/* Runs the worker's loop until pred(arg) or ms milliseconds. Returns
 * whether pred came true (pred NULL: true when the time is up). */
bool wk_test_run_until(
    struct wk_test_worker *t, bool (*pred)(void *), void *arg, int ms);
/* Posts (wk_worker_post) are queued on w and not run yet. */
bool wk_test_posts_pending(struct wk_worker *w);

struct wk_test_gate {
	pthread_mutex_t mu; /* callers may guard their own state with it */
	pthread_cond_t cv;
	bool closed;	 /* passers wait while set */
	unsigned inside; /* passers waiting */
};

#define WK_TEST_GATE_INIT                                                      \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0  \
	}

void wk_test_gate_close(struct wk_test_gate *g);
void wk_test_gate_open(struct wk_test_gate *g);
/* With g->mu held: counts itself in and waits while the gate is closed. */
void wk_test_gate_pass_locked(struct wk_test_gate *g);
/* Waits (10 s at most) until n passers wait; returns how many do. */
unsigned wk_test_gate_wait_inside(struct wk_test_gate *g, unsigned n);

#endif
