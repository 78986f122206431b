/* tests/unit/testworker.c: see testworker.h. */
#include "core/wk.h"

#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "config/conf.h"
#include "testworker.h"

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

void
wk_test_worker_init(struct wk_test_worker *t)
{
	struct timeval ten_ms = { 0, 10000 };

	pthread_mutex_init(&t->ctx.conf_mu, NULL);
	t->ctx.conf = wk_conf_defaults();
	t->w = wk_worker_new(&t->ctx, 0, NULL, NULL, 0);
	t->tick = event_new(t->w->base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(t->tick, &ten_ms);
}

void
wk_test_worker_fini(struct wk_test_worker *t)
{
	if (t->tick != NULL)
		event_free(t->tick);
	t->tick = NULL;
	wk_worker_free(t->w); /* runs the posts still queued */
	t->w = NULL;
	wk_conf_unref(t->ctx.conf);
	t->ctx.conf = NULL;
	pthread_mutex_destroy(&t->ctx.conf_mu);
}

bool
wk_test_run_until(
    struct wk_test_worker *t, bool (*pred)(void *), void *arg, int ms)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (pred != NULL && pred(arg))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
			(now.tv_nsec - t0.tv_nsec) / 1000000 >=
		    ms)
			return pred == NULL;
		event_base_loop(t->w->base, EVLOOP_ONCE);
	}
}

bool
wk_test_posts_pending(struct wk_worker *w)
{
	bool any;

	pthread_mutex_lock(&w->post_mu);
	any = w->posts != NULL;
	pthread_mutex_unlock(&w->post_mu);
	return any;
}

void
wk_test_gate_close(struct wk_test_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->closed = true;
	pthread_mutex_unlock(&g->mu);
}

void
wk_test_gate_open(struct wk_test_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->closed = false;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void
wk_test_gate_pass_locked(struct wk_test_gate *g)
{
	g->inside++;
	pthread_cond_broadcast(&g->cv);
	while (g->closed)
		pthread_cond_wait(&g->cv, &g->mu);
	g->inside--;
}

unsigned
wk_test_gate_wait_inside(struct wk_test_gate *g, unsigned n)
{
	struct timespec ts;
	unsigned inside;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&g->mu);
	while (g->inside < n)
		if (pthread_cond_timedwait(&g->cv, &g->mu, &ts) != 0)
			break;
	inside = g->inside;
	pthread_mutex_unlock(&g->mu);
	return inside;
}
