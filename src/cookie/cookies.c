/* src/cookie/cookies.c: the daemon's jar and its store. Workers use the
 * jar directly (it locks itself). A drainer thread moves the jar's change
 * log into the store's queue every COOKIES_DRAIN_MS; the store's writer
 * thread commits it (src/cookie/jar_store.c) and reports changes other
 * processes made to the database, which go back into the jar. No SQLite
 * call ever runs on a worker's loop. */
#include "core/wk.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cookie/cookies.h"
#include "cookie/jar.h"
#include "cookie/jar_store.h"
#include "core/alloc.h"
#include "core/thread.h"
#include "log/log.h"

#define COOKIES_DRAIN_MS 250
#define COOKIES_PURGE_EVERY 240 /* drains: about a minute */

static struct {
	struct wk_jar *jar;
	struct wk_jar_store *store;
	pthread_t drainer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool running;
	bool stop;
} C = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void
cookies_load_cb(void *arg, const struct wk_cookie *c)
{
	(void)arg;
	wk_jar_apply_external(C.jar, c, false);
}

static void
cookies_external_cb(void *arg, const struct wk_cookie *c, bool deleted)
{
	(void)arg;
	/* a deleted row names domain, name and path only (not host_only,
	 * which the jar's key has): remove what has those */
	if (deleted)
		wk_jar_delete(C.jar, c->domain, c->name, c->path);
	else
		wk_jar_apply_external(C.jar, c, false);
}

static void
cookies_change_cb(
    void *arg, enum wk_jar_change_kind kind, const struct wk_cookie *c)
{
	(void)arg;
	switch (kind) {
	case WK_JAR_CHANGE_UPSERT:
		wk_jar_store_queue_upsert(C.store, c);
		break;
	case WK_JAR_CHANGE_DELETE:
		wk_jar_store_queue_delete(C.store, c->domain, c->path, c->name);
		break;
	case WK_JAR_CHANGE_RESYNC:
		/* upserts of the whole jar follow; what is gone from the jar
		 * is cleared first */
		wk_jar_store_clear_now(C.store);
		break;
	}
}

static int64_t
cookies_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
cookies_drain_main(void *arg)
{
	unsigned rounds = 0;

	(void)arg;
	wk_thread_name("wk-cookie-drain", -1);
	pthread_mutex_lock(&C.mu);
	while (!C.stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += COOKIES_DRAIN_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&C.cv, &C.mu, &ts);
		pthread_mutex_unlock(&C.mu);
		/* expired cookies leave the jar (and so the database) */
		if (++rounds % COOKIES_PURGE_EVERY == 1)
			wk_jar_purge_expired(C.jar, cookies_now_us());
		wk_jar_take_changes(C.jar, cookies_change_cb, NULL);
		pthread_mutex_lock(&C.mu);
	}
	pthread_mutex_unlock(&C.mu);
	wk_jar_take_changes(C.jar, cookies_change_cb, NULL);
	return NULL;
}

int
wk_cookies_init(
    const char *state_dir, size_t max_cookies, char *err, size_t errlen)
{
	struct wk_jar_store_cbs cbs = { .external = cookies_external_cb };
	struct wk_jar_limits lim = { .total = max_cookies };
	char *path;

	C.jar = wk_jar_new(&lim);
	if (C.jar == NULL) {
		snprintf(err, errlen, "cannot load the public suffix list");
		return -1;
	}
	if (state_dir == NULL)
		return 0;
	path = wk_asprintf("%s/wicket.db", state_dir);
	C.store = wk_jar_store_open(path, err, errlen);
	free(path);
	if (C.store == NULL)
		return -1; /* the jar stays, in memory only */
	/* applied without entering the change log: they are stored */
	wk_jar_store_load(C.store, cookies_load_cb, NULL);
	if (wk_jar_store_start(C.store, WK_JAR_STORE_FLUSH_MS, &cbs) < 0 ||
	    pthread_create(&C.drainer, NULL, cookies_drain_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the cookie store threads");
		wk_jar_store_close(C.store);
		return -1;
	}
	C.running = true;
	wk_log_info("cookies: %zu cookies from the store", wk_jar_count(C.jar));
	return 0;
}

void
wk_cookies_shutdown(void)
{
	if (C.running) {
		pthread_mutex_lock(&C.mu);
		C.stop = true;
		pthread_cond_signal(&C.cv);
		pthread_mutex_unlock(&C.mu);
		pthread_join(C.drainer, NULL);
		C.running = false;
	}
	wk_jar_store_close(C.store); /* flushes what the drainer queued */
	wk_jar_free(C.jar);
}

struct wk_jar *
wk_cookies_jar(void)
{
	return C.jar;
}
