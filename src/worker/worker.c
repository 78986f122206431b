/* src/worker/worker.c: worker threads. Each runs its own event loop; the only
 * cross-thread traffic is the command event and the config pointer. */
#include "core/wk.h"

#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/thread.h"
#include "worker/worker.h"
#include "listen/listener.h"
#include "log/log.h"
#include "sess/session.h"
#include "upstream/pool.h"

void
wk_ctx_set_conf(struct wk_ctx *ctx, struct wk_config *c)
{
	struct wk_config *old;

	pthread_mutex_lock(&ctx->conf_mu);
	old = ctx->conf;
	ctx->conf = c;
	__atomic_add_fetch(&ctx->conf_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ctx->conf_mu);
	if (old != NULL)
		wk_conf_unref(old);
}

struct wk_config *
wk_ctx_get_conf(struct wk_ctx *ctx)
{
	struct wk_config *c;

	pthread_mutex_lock(&ctx->conf_mu);
	c = wk_conf_ref(ctx->conf);
	pthread_mutex_unlock(&ctx->conf_mu);
	return c;
}

struct wk_config *
wk_worker_conf(struct wk_worker *w)
{
	unsigned gen = __atomic_load_n(&w->ctx->conf_gen, __ATOMIC_ACQUIRE);

	if (w->conf == NULL || gen != w->conf_gen) {
		struct wk_config *c = wk_ctx_get_conf(w->ctx);
		if (w->conf != NULL)
			wk_conf_unref(w->conf);
		w->conf = c;
		w->conf_gen = gen;
	}
	return w->conf;
}

static void
worker_drain(struct wk_worker *w)
{
	struct wk_sess *s, *next;

	if (!w->draining) {
		w->draining = true;
		for (size_t i = 0; i < w->n_listeners; i++)
			wk_listener_detach(&w->listeners[i]);
		w->n_listeners = 0;
		wk_pool_clear(w->pool);
	}
	for (s = TAILQ_FIRST(&w->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		wk_sess_drain(s);
	}
	if (w->n_sessions == 0)
		event_base_loopexit(w->base, NULL);
}

struct wk_post {
	struct wk_post *next;
	void (*fn)(void *);
	void *arg;
};

void
wk_worker_post(struct wk_worker *w, void (*fn)(void *), void *arg)
{
	struct wk_post *p = wk_calloc(1, sizeof(*p));
	uint64_t one = 1;

	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&w->post_mu);
	if (w->posts_tail != NULL)
		w->posts_tail->next = p;
	else
		w->posts = p;
	w->posts_tail = p;
	pthread_mutex_unlock(&w->post_mu);
	if (write(w->ctl_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice */
	}
}

static void
worker_run_posts(struct wk_worker *w)
{
	struct wk_post *p;

	pthread_mutex_lock(&w->post_mu);
	p = w->posts;
	w->posts = w->posts_tail = NULL;
	pthread_mutex_unlock(&w->post_mu);
	while (p != NULL) {
		struct wk_post *next = p->next;

		p->fn(p->arg);
		free(p);
		p = next;
	}
}

static void
worker_ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_worker *w = arg;
	unsigned cmd;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another wake-up already consumed it */
	}
	cmd = __atomic_exchange_n(&w->cmd, 0, __ATOMIC_ACQ_REL);
	worker_run_posts(w);
	if (cmd & WK_WORKER_CMD_STOP) {
		event_base_loopbreak(w->base);
		return;
	}
	if (cmd & WK_WORKER_CMD_DRAIN)
		worker_drain(w);
	if (cmd & WK_WORKER_CMD_CONF)
		(void)wk_worker_conf(w);
}

void
wk_worker_sess_gone(struct wk_worker *w)
{
	if (w->draining && w->n_sessions == 0)
		event_base_loopexit(w->base, NULL);
}

struct wk_worker *
wk_worker_new(struct wk_ctx *ctx, unsigned id, const int *fds,
    const int *protos, size_t n_fds)
{
	struct wk_worker *w = wk_calloc(1, sizeof(*w));
	struct event_config *ec = event_config_new();

	w->ctx = ctx;
	w->id = id;
	pthread_mutex_init(&w->post_mu, NULL);
	TAILQ_INIT(&w->sessions);
	/* one thread per base, so no locks inside libevent; other threads
	 * wake the worker through an eventfd instead */
	event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);
	w->base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (w->base == NULL)
		abort();
	w->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->ctl_fd < 0)
		abort();
	w->ctl = event_new(
	    w->base, w->ctl_fd, EV_READ | EV_PERSIST, worker_ctl_cb, w);
	event_add(w->ctl, NULL);
	w->dns = evdns_base_new(w->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (w->dns == NULL) {
		/* no usable resolv.conf: start empty, hosts file still works */
		w->dns = evdns_base_new(w->base, 0);
		wk_log_warnx("no name servers found in /etc/resolv.conf");
	}
	evdns_base_load_hosts(w->dns, NULL);
	evdns_base_set_option(w->dns, "randomize-case:", "0");
	evdns_base_set_option(w->dns, "timeout:", "3");
	evdns_base_set_option(w->dns, "attempts:", "2");
	w->pool = wk_pool_new(w);
	w->listeners = wk_calloc(n_fds ? n_fds : 1, sizeof(*w->listeners));
	for (size_t i = 0; i < n_fds; i++)
		if (wk_listener_attach(&w->listeners[w->n_listeners], w, fds[i],
			protos[i]) == 0)
			w->n_listeners++;
	(void)wk_worker_conf(w);
	return w;
}

static void *
worker_main(void *arg)
{
	struct wk_worker *w = arg;

	wk_thread_name("wk-worker", (int)w->id);
	event_base_dispatch(w->base);
	return NULL;
}

int
wk_worker_start(struct wk_worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void
wk_worker_command(struct wk_worker *w, unsigned cmd)
{
	uint64_t one = 1;

	__atomic_or_fetch(&w->cmd, cmd, __ATOMIC_ACQ_REL);
	if (write(w->ctl_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; nothing to do */
	}
}

void
wk_worker_join(struct wk_worker *w)
{
	pthread_join(w->thread, NULL);
}

void
wk_worker_free(struct wk_worker *w)
{
	struct wk_sess *s;

	if (w == NULL)
		return;
	while ((s = TAILQ_FIRST(&w->sessions)) != NULL)
		wk_sess_free(s);
	/* the sessions cancelled their jobs: this only frees them */
	worker_run_posts(w);
	for (size_t i = 0; i < w->n_listeners; i++)
		wk_listener_detach(&w->listeners[i]);
	free(w->listeners);
	wk_pool_free(w->pool);
	evdns_base_free(w->dns, 1);
	event_free(w->ctl);
	close(w->ctl_fd);
	pthread_mutex_destroy(&w->post_mu);
	event_base_free(w->base);
	if (w->conf != NULL)
		wk_conf_unref(w->conf);
	free(w);
}
