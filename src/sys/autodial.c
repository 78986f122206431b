/* src/sys/autodial.c: runs the dial command on its own thread: spawned
 * without a shell (arguments from the config), watched through a pidfd on
 * that thread's event_base, killed when it outlives `timeout`. Waiters
 * are workers' requests; each gets the outcome posted to its own loop. */
#include "core/wk.h"

#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/thread.h"
#include "log/log.h"
#include "sys/autodial.h"
#include "worker/worker.h"

extern char **environ;

struct wk_dial_wait {
	struct wk_worker *w;
	wk_dial_cb cb;
	void *arg;
	int cancelled; /* atomic: set by the worker */
	bool ok;
	char detail[512];
	struct wk_dial_wait *next;
};

enum dial_state {
	DIAL_IDLE = 0, /* nothing runs */
	DIAL_RUNNING,  /* the command runs; waiters queue */
	DIAL_HOLDOFF   /* the last one failed: refuse until hold_until */
};

static struct {
	pthread_mutex_t mu; /* guards everything below but the events */
	bool running;
	pthread_t thread;
	struct event_base *base;
	int wake_fd[2];
	struct event *wake_ev;
	struct event *child_ev; /* the pidfd */
	struct event *timer;	/* the command's time bound */
	bool stop;

	enum dial_state state;
	uint64_t hold_until_ms;
	char **argv; /* of the dial being started or running */
	char *shown; /* the command as text, for messages */
	unsigned timeout_ms;
	unsigned holdoff_ms;
	bool start; /* a dial is wanted */
	pid_t pid;
	int pidfd;
	bool killed;
	struct wk_dial_wait *waiters;
} D = { .mu = PTHREAD_MUTEX_INITIALIZER,
	.wake_fd = { -1, -1 },
	.pid = -1,
	.pidfd = -1 };

static uint64_t
dial_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool
wk_dial_applies(const struct wk_config *c, enum wk_conn_err err)
{
	return c->dial.argc > 0 && err < WK_CONN_ERR_COUNT &&
	    (c->dial.on & (1u << err)) != 0;
}

static void
dial_deliver_cb(void *arg)
{
	struct wk_dial_wait *d = arg;

	if (!__atomic_load_n(&d->cancelled, __ATOMIC_ACQUIRE))
		d->cb(d->ok, d->detail, d->arg);
	free(d);
}

/* Answers every waiter; called with D.mu held. */
static void
dial_finish_locked(bool ok, const char *detail)
{
	struct wk_dial_wait *d = D.waiters;

	D.waiters = NULL;
	while (d != NULL) {
		struct wk_dial_wait *next = d->next;

		d->ok = ok;
		snprintf(d->detail, sizeof(d->detail), "%s", detail);
		wk_worker_post(d->w, dial_deliver_cb, d);
		d = next;
	}
	D.state = ok ? DIAL_IDLE : DIAL_HOLDOFF;
	if (!ok)
		D.hold_until_ms = dial_now_ms() + D.holdoff_ms;
}

static void
dial_free_argv(void)
{
	for (size_t i = 0; D.argv != NULL && D.argv[i] != NULL; i++)
		free(D.argv[i]);
	free(D.argv);
	D.argv = NULL;
}

static void
dial_reap(void)
{
	int st = 0;
	char detail[600];
	bool ok;

	while (waitpid(D.pid, &st, 0) < 0 && errno == EINTR)
		;
	if (D.child_ev != NULL) {
		event_free(D.child_ev);
		D.child_ev = NULL;
	}
	close(D.pidfd);
	D.pidfd = -1;
	evtimer_del(D.timer);
	ok = !D.killed && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (D.killed)
		snprintf(detail, sizeof(detail),
		    "the dial command (%s) did not finish within %u ms and was "
		    "stopped",
		    D.shown, D.timeout_ms);
	else if (WIFEXITED(st))
		snprintf(detail, sizeof(detail),
		    "the dial command (%s) exited with status %d", D.shown,
		    WEXITSTATUS(st));
	else
		snprintf(detail, sizeof(detail),
		    "the dial command (%s) was killed by signal %d", D.shown,
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (ok)
		wk_log_notice(
		    "dial: %s; retrying the waiting requests", detail);
	else
		wk_log_err("dial: %s; no dial for the next %u ms", detail,
		    D.holdoff_ms);
	D.pid = -1;
	pthread_mutex_lock(&D.mu);
	dial_finish_locked(ok, detail);
	pthread_mutex_unlock(&D.mu);
}

static void
dial_child_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	dial_reap();
}

static void
dial_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	if (D.pid <= 0)
		return;
	/* the command's whole process group: a script's children too */
	D.killed = true;
	kill(-D.pid, SIGKILL);
	kill(D.pid, SIGKILL);
}

static void
dial_spawn(void)
{
	posix_spawnattr_t at;
	struct timeval tv = { D.timeout_ms / 1000,
		(D.timeout_ms % 1000) * 1000 };
	pid_t pid;
	int rc;

	posix_spawnattr_init(&at);
	/* its own process group, so a timeout can stop all of it */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawnp(&pid, D.argv[0], NULL, &at, D.argv, environ);
	posix_spawnattr_destroy(&at);
	if (rc == 0)
		D.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (rc != 0 || D.pidfd < 0) {
		char detail[600];

		if (rc == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			rc = errno;
		}
		snprintf(detail, sizeof(detail),
		    "the dial command (%s) could not be started: %s", D.shown,
		    strerror(rc));
		wk_log_err("dial: %s", detail);
		pthread_mutex_lock(&D.mu);
		dial_finish_locked(false, detail);
		pthread_mutex_unlock(&D.mu);
		return;
	}
	D.pid = pid;
	D.killed = false;
	D.child_ev = event_new(D.base, D.pidfd, EV_READ, dial_child_cb, NULL);
	event_add(D.child_ev, NULL);
	evtimer_add(D.timer, &tv);
	wk_log_notice("dial: running %s (pid %d)", D.shown, (int)pid);
}

static void
dial_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];
	bool start, stop;

	(void)what, (void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&D.mu);
	start = D.start;
	D.start = false;
	stop = D.stop;
	pthread_mutex_unlock(&D.mu);
	if (stop) {
		event_base_loopbreak(D.base);
		return;
	}
	if (start && D.pid <= 0)
		dial_spawn();
}

static void *
dial_main(void *arg)
{
	(void)arg;
	wk_thread_name("wk-autodial", -1);
	event_base_dispatch(D.base);
	if (D.pid > 0) {
		kill(-D.pid, SIGKILL);
		kill(D.pid, SIGKILL);
		waitpid(D.pid, NULL, 0);
		D.pid = -1;
	}
	return NULL;
}

int
wk_dial_service_start(void)
{
	if (D.running)
		return 0;
	if (pipe2(D.wake_fd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	D.base = event_base_new();
	if (D.base == NULL)
		return -1;
	D.wake_ev = event_new(
	    D.base, D.wake_fd[0], EV_READ | EV_PERSIST, dial_wake_cb, NULL);
	event_add(D.wake_ev, NULL);
	D.timer = evtimer_new(D.base, dial_timeout_cb, NULL);
	if (pthread_create(&D.thread, NULL, dial_main, NULL) != 0)
		return -1;
	D.running = true;
	return 0;
}

static void
dial_wake(void)
{
	char one = 1;

	if (write(D.wake_fd[1], &one, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
}

void
wk_dial_service_stop(void)
{
	struct wk_dial_wait *d;

	if (!D.running)
		return;
	pthread_mutex_lock(&D.mu);
	D.stop = true;
	pthread_mutex_unlock(&D.mu);
	dial_wake();
	pthread_join(D.thread, NULL);
	D.running = false;
	while ((d = D.waiters) != NULL) {
		D.waiters = d->next;
		free(d);
	}
	if (D.child_ev != NULL)
		event_free(D.child_ev);
	if (D.pidfd >= 0)
		close(D.pidfd);
	event_free(D.wake_ev);
	event_free(D.timer);
	event_base_free(D.base);
	close(D.wake_fd[0]);
	close(D.wake_fd[1]);
	dial_free_argv();
	free(D.shown);
	D.shown = NULL;
}

struct wk_dial_wait *
wk_dial_wait(
    struct wk_worker *w, const struct wk_config *c, wk_dial_cb cb, void *arg)
{
	struct wk_dial_wait *d;
	char detail[600];
	uint64_t now = dial_now_ms();

	if (!D.running) {
		cb(false, "no dial service", arg);
		return NULL;
	}
	pthread_mutex_lock(&D.mu);
	if (D.state == DIAL_HOLDOFF && now < D.hold_until_ms) {
		snprintf(detail, sizeof(detail),
		    "a dial failed %llu ms ago (%s); not dialling again for "
		    "%llu ms",
		    (unsigned long long)(now + D.holdoff_ms - D.hold_until_ms),
		    D.shown != NULL ? D.shown : "?",
		    (unsigned long long)(D.hold_until_ms - now));
		pthread_mutex_unlock(&D.mu);
		cb(false, detail, arg);
		return NULL;
	}
	d = wk_calloc(1, sizeof(*d));
	d->w = w;
	d->cb = cb;
	d->arg = arg;
	d->next = D.waiters;
	D.waiters = d;
	if (D.state != DIAL_RUNNING) {
		size_t len = 0;

		D.state = DIAL_RUNNING;
		D.start = true;
		dial_free_argv();
		free(D.shown);
		D.argv = wk_calloc(c->dial.argc + 1, sizeof(*D.argv));
		for (size_t i = 0; i < c->dial.argc; i++) {
			D.argv[i] = wk_strdup(c->dial.argv[i]);
			len += strlen(c->dial.argv[i]) + 1;
		}
		D.shown = wk_calloc(1, len + 1);
		for (size_t i = 0; i < c->dial.argc; i++) {
			if (i > 0)
				strncat(D.shown, " ", len - strlen(D.shown));
			strncat(
			    D.shown, c->dial.argv[i], len - strlen(D.shown));
		}
		D.timeout_ms = c->dial.timeout_ms;
		D.holdoff_ms = c->dial.holdoff_ms;
		pthread_mutex_unlock(&D.mu);
		dial_wake();
	} else {
		pthread_mutex_unlock(&D.mu);
	}
	return d;
}

void
wk_dial_cancel(struct wk_dial_wait *d)
{
	if (d != NULL)
		__atomic_store_n(&d->cancelled, 1, __ATOMIC_RELEASE);
}
