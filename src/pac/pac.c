/* src/pac/pac.c: the PAC service. One thread with its own event_base
 * owns the helper process (`wicket pac-helper`, which holds the duktape
 * heap) and talks to it over a socketpair, one command at a time. The
 * script is read from file:// (re-read when it changes) or fetched from
 * http:// (again every PAC_HTTP_REFRESH_MS), and again on SIGHUP; a script
 * that does not load keeps the previous one. An evaluation that outlives
 * `timeout pac` gets the helper killed and restarted with the last good
 * script. Answers are cached per scheme and host for `timeout
 * pac-cache`. Workers ask with wk_pac_find and get the answer posted back
 * to their own loop. */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/bug.h"
#include "core/idna.h"
#include "core/thread.h"
#include "log/log.h"
#include "pac/pac.h"
#include "pac/pac_result.h"
#include "worker/worker.h"

extern char **environ;

#define PAC_CACHE_SLOTS 1024
#define PAC_SCRIPT_MAX (4 * 1024 * 1024) /* bytes of a script */
#define PAC_LINE_MAX (16 * 1024)
#define PAC_WATCH_MS 1000		 /* file:// change check */
#define PAC_HTTP_REFRESH_MS (300 * 1000) /* http:// fetched again */
#define PAC_FETCH_TIMEOUT_S 10

struct wk_pac_query {
	struct wk_worker *w;
	wk_pac_cb cb;
	void *arg;
	char *url;
	char *host;
	char key[WK_HOST_MAX + 16];
	int cancelled; /* atomic: set by the worker */
	/* the answer */
	struct wk_pac_hop hops[WK_PAC_MAX_HOPS];
	size_t n;
	char err[512];
	struct wk_pac_query *next;
};

struct pac_cache_slot {
	char key[WK_HOST_MAX + 16];
	uint64_t expires_ms; /* 0: empty */
	uint64_t script_gen;
	struct wk_pac_hop hops[WK_PAC_MAX_HOPS];
	size_t n;
};

/* What the helper is doing. */
enum pac_cmd {
	PAC_CMD_NONE = 0, /* idle */
	PAC_CMD_LOAD,	  /* sent L, waiting for its answer */
	PAC_CMD_FIND	  /* sent F, waiting for its answer */
};

static struct {
	pthread_mutex_t mu; /* guards pending, cache, url, stop, reload */
	bool running;
	struct wk_ctx *ctx;
	char *self_exe;
	pthread_t thread;
	struct event_base *base;
	int wake_fd[2]; /* workers and main -> service */
	struct event *wake_ev;
	struct event *tick; /* file watch, http refresh */
	struct event *eval_timer;

	/* the helper */
	pid_t pid;
	struct bufferevent *bev;
	enum pac_cmd cmd;
	struct wk_pac_query *inflight;
	uint64_t next_id;
	unsigned restarts;

	/* the script */
	char *url;  /* from the config */
	char *good; /* the last source that loaded */
	size_t good_len;
	char *trying; /* a source being loaded */
	size_t trying_len;
	bool helper_has_good; /* the helper runs `good` */
	uint64_t script_gen;  /* bumped when a new script loads */
	struct timespec mtime;
	off_t size;
	uint64_t last_fetch_ms;
	struct evhttp_connection *http;
	bool fetching;

	/* from the config, refreshed on reload */
	unsigned timeout_ms;
	unsigned cache_ms;
	size_t heap_max;

	struct wk_pac_query *pending, *pending_tail;
	struct pac_cache_slot cache[PAC_CACHE_SLOTS];
	bool stop;
	bool reload;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .wake_fd = { -1, -1 }, .pid = -1 };

static void pac_kick(void);
static void pac_load_source(const char *src, size_t len);

static uint64_t
pac_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t
pac_slot(const char *key)
{
	return (size_t)(wk_hash_fnv1a(key, strlen(key)) % PAC_CACHE_SLOTS);
}

/* "http|host": per scheme and host, as the issue asks; scripts that look
 * at the path are rare, and a short cache bounds the error. */
static void
pac_make_key(const char *url, const char *host, char *key, size_t len)
{
	const char *colon = strchr(url, ':');
	int sl = colon != NULL ? (int)WK_MIN((size_t)(colon - url), 8) : 0;

	snprintf(key, len, "%.*s|%s", sl, url, host);
}

/* --- answers to workers ------------------------------------------------ */

static void
pac_deliver_cb(void *arg)
{
	struct wk_pac_query *q = arg;

	if (!__atomic_load_n(&q->cancelled, __ATOMIC_ACQUIRE))
		q->cb(q->n > 0 ? q->hops : NULL, q->n, q->err, q->arg);
	free(q->url);
	free(q->host);
	free(q);
}

static void
pac_deliver(struct wk_pac_query *q)
{
	wk_worker_post(q->w, pac_deliver_cb, q);
}

static void pac_fail(struct wk_pac_query *q, const char *fmt, ...)
    WK_PRINTF(2, 3);

static void
pac_fail(struct wk_pac_query *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	q->n = 0;
	pac_deliver(q);
}

/* --- the helper process -------------------------------------------------- */

static void pac_helper_read_cb(struct bufferevent *bev, void *arg);
static void pac_helper_event_cb(struct bufferevent *bev, short what, void *arg);

static void
pac_helper_kill(void)
{
	if (P.bev != NULL) {
		bufferevent_free(P.bev);
		P.bev = NULL;
	}
	if (P.pid > 0) {
		kill(P.pid, SIGKILL);
		/* SIGKILL cannot be caught: this returns promptly, and it is
		 * the service thread that waits, never a worker */
		while (waitpid(P.pid, NULL, 0) < 0 && errno == EINTR)
			;
		P.pid = -1;
	}
	P.cmd = PAC_CMD_NONE;
	P.helper_has_good = false;
	if (P.eval_timer != NULL)
		evtimer_del(P.eval_timer);
}

static int
pac_helper_spawn(void)
{
	posix_spawn_file_actions_t fa;
	char heap[32];
	char *argv[] = { P.self_exe, "pac-helper", "--heap", heap, NULL };
	int sv[2];
	pid_t pid;
	int rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		wk_log_err("pac: socketpair: %s", strerror(errno));
		return -1;
	}
	snprintf(heap, sizeof(heap), "%zu", P.heap_max);
	posix_spawn_file_actions_init(&fa);
	/* the helper reads and writes its end on fd 0 and 1 */
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	rc = posix_spawn(&pid, P.self_exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		wk_log_err("pac: cannot start %s pac-helper: %s", P.self_exe,
		    strerror(rc));
		close(sv[0]);
		return -1;
	}
	evutil_make_socket_nonblocking(sv[0]);
	P.pid = pid;
	P.bev = bufferevent_socket_new(P.base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(
	    P.bev, pac_helper_read_cb, NULL, pac_helper_event_cb, NULL);
	bufferevent_enable(P.bev, EV_READ);
	P.cmd = PAC_CMD_NONE;
	P.helper_has_good = false;
	wk_log_info("pac: helper process %d started", (int)pid);
	return 0;
}

static void
pac_arm(unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(P.eval_timer, &tv);
}

static bool
pac_helper_ready(void)
{
	if (P.bev == NULL && pac_helper_spawn() < 0)
		return false;
	if (!P.helper_has_good && P.good != NULL && P.cmd == PAC_CMD_NONE &&
	    P.trying == NULL) {
		/* a fresh helper: give it the last good script first */
		P.trying = wk_malloc(P.good_len + 1);
		memcpy(P.trying, P.good, P.good_len);
		P.trying_len = P.good_len;
		pac_load_source(NULL, 0);
		return false;
	}
	return P.cmd == PAC_CMD_NONE && P.helper_has_good;
}

/* Sends P.trying (or src) as the script. */
static void
pac_load_source(const char *src, size_t len)
{
	struct evbuffer *out;
	const char *name = P.url != NULL ? P.url : "pac";

	if (src != NULL) {
		free(P.trying);
		P.trying = wk_malloc(len + 1);
		memcpy(P.trying, src, len);
		P.trying_len = len;
	}
	if (P.trying == NULL || P.cmd != PAC_CMD_NONE)
		return; /* sent when the helper is idle */
	if (P.bev == NULL && pac_helper_spawn() < 0)
		return;
	out = bufferevent_get_output(P.bev);
	evbuffer_add_printf(out, "L\t%s\t%zu\n", name, P.trying_len);
	evbuffer_add(out, P.trying, P.trying_len);
	P.cmd = PAC_CMD_LOAD;
	pac_arm(P.timeout_ms + 1000);
}

static void
pac_load_answer(const char *rest)
{
	const char *name = P.url != NULL ? P.url : "pac";

	if (strcmp(rest, "ok") == 0) {
		bool is_new = P.good == NULL || P.good_len != P.trying_len ||
		    memcmp(P.good, P.trying, P.trying_len) != 0;

		free(P.good);
		P.good = P.trying;
		P.good_len = P.trying_len;
		P.trying = NULL;
		P.helper_has_good = true;
		if (is_new) {
			pthread_mutex_lock(&P.mu);
			P.script_gen++;
			pthread_mutex_unlock(&P.mu);
			wk_log_notice(
			    "pac: loaded %s (%zu bytes)", name, P.good_len);
		}
		return;
	}
	if (strncmp(rest, "err\t", 4) == 0)
		rest += 4;
	if (P.good != NULL)
		wk_log_err("pac: %s does not load: %s; keeping the previous "
			   "script",
		    name, rest);
	else
		wk_log_err("pac: %s does not load: %s; requests routed by pac "
			   "use pac-fallback or fail",
		    name, rest);
	if (P.good != NULL && P.trying_len == P.good_len &&
	    memcmp(P.trying, P.good, P.good_len) == 0) {
		/* the last good script no longer loads in a fresh helper
		 * (a new heap limit, a script that loops at load time) */
		free(P.good);
		P.good = NULL;
		P.good_len = 0;
	}
	free(P.trying);
	P.trying = NULL;
	/* the helper keeps what it had */
}

static void
pac_cache_put(const struct wk_pac_query *q)
{
	struct pac_cache_slot *sl;

	if (P.cache_ms == 0)
		return;
	pthread_mutex_lock(&P.mu);
	sl = &P.cache[pac_slot(q->key)];
	snprintf(sl->key, sizeof(sl->key), "%s", q->key);
	memcpy(sl->hops, q->hops, q->n * sizeof(q->hops[0]));
	sl->n = q->n;
	sl->script_gen = P.script_gen;
	sl->expires_ms = pac_now_ms() + P.cache_ms;
	pthread_mutex_unlock(&P.mu);
}

static void
pac_find_answer(char *rest)
{
	struct wk_pac_query *q = P.inflight;
	char *tab = strchr(rest, '\t');
	char why[256];
	int n;

	P.inflight = NULL;
	if (q == NULL)
		return;
	if (tab == NULL) {
		pac_fail(q, "malformed answer from the PAC helper");
		return;
	}
	*tab++ = '\0'; /* rest: id; tab: ok\tRESULT or err\tMSG */
	if (strncmp(tab, "err\t", 4) == 0) {
		wk_log_warnx("pac: FindProxyForURL(%s): %s", q->url, tab + 4);
		pac_fail(q, "the script failed: %s", tab + 4);
		if (strstr(tab + 4, "alloc failed") != NULL) {
			/* what the script kept may fill the heap for good:
			 * the next query gets a fresh helper */
			wk_log_notice("pac: restarting the helper with a fresh "
				      "heap");
			pac_helper_kill();
		}
		return;
	}
	if (strncmp(tab, "ok\t", 3) != 0) {
		pac_fail(q, "malformed answer from the PAC helper");
		return;
	}
	tab += 3;
	n = wk_pac_result_parse(
	    tab, strlen(tab), q->hops, WK_PAC_MAX_HOPS, why, sizeof(why));
	if (n < 0) {
		wk_log_warnx("pac: FindProxyForURL(%s) returned \"%.200s\": %s",
		    q->url, tab, why);
		pac_fail(q, "the script returned \"%.200s\" (%s)", tab, why);
		return;
	}
	if (why[0] != '\0')
		wk_log_info("pac: FindProxyForURL(%s): skipped an entry: %s",
		    q->url, why);
	q->n = (size_t)n;
	wk_log_debug("pac: FindProxyForURL(%s) = %s", q->url, tab);
	pac_cache_put(q);
	pac_deliver(q);
}

static void
pac_helper_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	(void)arg;
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (line[0] == 'A' && line[1] == '\t') {
			wk_log_notice("pac: alert: %.400s", line + 2);
		} else if (line[0] == 'L' && line[1] == '\t' &&
		    P.cmd == PAC_CMD_LOAD) {
			P.cmd = PAC_CMD_NONE;
			evtimer_del(P.eval_timer);
			pac_load_answer(line + 2);
		} else if (line[0] == 'F' && line[1] == '\t' &&
		    P.cmd == PAC_CMD_FIND) {
			P.cmd = PAC_CMD_NONE;
			evtimer_del(P.eval_timer);
			pac_find_answer(line + 2);
		} else {
			wk_log_warnx("pac: unexpected line from the helper: "
				     "%.100s",
			    line);
		}
		free(line);
	}
	if (evbuffer_get_length(in) > PAC_LINE_MAX) {
		wk_log_err("pac: helper sent an over-long line; restarting it");
		pac_helper_kill();
	}
	pac_kick();
}

static void
pac_helper_gone(const char *why)
{
	struct wk_pac_query *q = P.inflight;
	bool loading = P.cmd == PAC_CMD_LOAD;

	P.inflight = NULL;
	pac_helper_kill();
	P.restarts++;
	if (q != NULL)
		pac_fail(q, "%s", why);
	if (loading) {
		wk_log_err("pac: %s while loading %s", why,
		    P.url != NULL ? P.url : "the script");
		pac_load_answer("err\tthe helper died while loading it");
	}
}

static void
pac_helper_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		wk_log_warnx("pac: helper process exited");
		pac_helper_gone("the PAC helper exited (out of memory?)");
		pac_kick();
	}
}

static void
pac_eval_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	char why[128];

	(void)fd, (void)what, (void)arg;
	snprintf(why, sizeof(why),
	    "the script ran longer than %u ms and was stopped", P.timeout_ms);
	wk_log_err("pac: %s%s%s", why, P.inflight ? " evaluating " : "",
	    P.inflight ? P.inflight->url : "");
	pac_helper_gone(why);
	pac_kick();
}

static struct wk_pac_query *
pac_pop(void)
{
	struct wk_pac_query *q;

	pthread_mutex_lock(&P.mu);
	q = P.pending;
	if (q != NULL) {
		P.pending = q->next;
		if (P.pending == NULL)
			P.pending_tail = NULL;
	}
	pthread_mutex_unlock(&P.mu);
	return q;
}

/* Sends the next pending query to the helper, or fails it when there is
 * no script to ask. */
static void
pac_run_pending(void)
{
	for (;;) {
		struct wk_pac_query *q;
		struct evbuffer *out;
		bool any;

		if (P.inflight != NULL || P.cmd != PAC_CMD_NONE)
			return;
		pthread_mutex_lock(&P.mu);
		any = P.pending != NULL;
		pthread_mutex_unlock(&P.mu);
		if (!any)
			return;
		if (P.good == NULL && (P.trying != NULL || P.fetching))
			return; /* the first script is on its way */
		if (P.good != NULL && !pac_helper_ready()) {
			if (P.bev != NULL)
				return; /* the helper is loading it */
			/* the helper cannot start: fail the queries */
		}
		q = pac_pop();
		if (q == NULL)
			return;
		if (__atomic_load_n(&q->cancelled, __ATOMIC_ACQUIRE)) {
			pac_deliver(q); /* freed on its worker */
			continue;
		}
		if (P.good == NULL || P.bev == NULL || !P.helper_has_good) {
			pac_fail(q, "no PAC script is loaded (%s)",
			    P.url != NULL ? P.url : "none configured");
			continue;
		}
		out = bufferevent_get_output(P.bev);
		evbuffer_add_printf(out, "F\t%llu\t%s\t%s\n",
		    (unsigned long long)++P.next_id, q->url, q->host);
		P.inflight = q;
		P.cmd = PAC_CMD_FIND;
		pac_arm(P.timeout_ms);
	}
}

/* --- getting the script ------------------------------------------------ */

static void
pac_read_file(bool force)
{
	const char *path = P.url + strlen("file://");
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	if (stat(path, &st) < 0) {
		if (force)
			wk_log_err("pac: %s: %s", P.url, strerror(errno));
		return;
	}
	if (!force && st.st_mtim.tv_sec == P.mtime.tv_sec &&
	    st.st_mtim.tv_nsec == P.mtime.tv_nsec && st.st_size == P.size)
		return;
	P.mtime = st.st_mtim;
	P.size = st.st_size;
	if (st.st_size > PAC_SCRIPT_MAX) {
		wk_log_err(
		    "pac: %s is larger than %d bytes", P.url, PAC_SCRIPT_MAX);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		wk_log_err("pac: %s: %s", P.url, strerror(errno));
		return;
	}
	buf = wk_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (!force)
		wk_log_notice("pac: %s changed; reloading", P.url);
	pac_load_source(buf, got);
	free(buf);
}

static void
pac_http_done_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body;
	int code;

	(void)arg;
	P.fetching = false;
	P.last_fetch_ms = pac_now_ms();
	if (req == NULL) {
		wk_log_err("pac: cannot fetch %s (connection failed)", P.url);
		pac_kick();
		return;
	}
	code = evhttp_request_get_response_code(req);
	body = evhttp_request_get_input_buffer(req);
	if (code != 200) {
		wk_log_err("pac: fetching %s: HTTP %d", P.url, code);
	} else if (evbuffer_get_length(body) > PAC_SCRIPT_MAX) {
		wk_log_err(
		    "pac: %s is larger than %d bytes", P.url, PAC_SCRIPT_MAX);
	} else {
		size_t len = evbuffer_get_length(body);
		char *buf = wk_malloc(len + 1);

		evbuffer_copyout(body, buf, len);
		if (P.good == NULL || len != P.good_len ||
		    memcmp(buf, P.good, len) != 0)
			pac_load_source(buf, len);
		free(buf);
	}
	pac_kick();
}

static void
pac_fetch_http(void)
{
	struct evhttp_uri *u = evhttp_uri_parse(P.url);
	struct evhttp_request *req;
	const char *host, *path, *query;
	char target[4096];
	int port;

	if (P.fetching)
		return;
	if (u == NULL || (host = evhttp_uri_get_host(u)) == NULL) {
		wk_log_err("pac: cannot parse %s", P.url);
		if (u != NULL)
			evhttp_uri_free(u);
		return;
	}
	port = evhttp_uri_get_port(u);
	if (port < 0)
		port = 80;
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	snprintf(target, sizeof(target), "%s%s%s",
	    path != NULL && path[0] != '\0' ? path : "/", query ? "?" : "",
	    query ? query : "");
	if (P.http != NULL)
		evhttp_connection_free(P.http);
	/* the script's server is named in our own config: resolved with the
	 * system resolver on this thread, never on a worker */
	P.http = evhttp_connection_base_new(P.base, NULL, host, (uint16_t)port);
	evhttp_connection_set_timeout(P.http, PAC_FETCH_TIMEOUT_S);
	req = evhttp_request_new(pac_http_done_cb, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Accept",
	    "application/x-ns-proxy-autoconfig, */*");
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Connection", "close");
	if (evhttp_make_request(P.http, req, EVHTTP_REQ_GET, target) == 0)
		P.fetching = true;
	else
		wk_log_err("pac: cannot fetch %s", P.url);
	evhttp_uri_free(u);
}

/* Takes the current config's URL and bounds; forces a reload. */
static void
pac_apply_conf(void)
{
	struct wk_config *c = wk_ctx_get_conf(P.ctx);
	bool changed = (c->pac.url == NULL) != (P.url == NULL) ||
	    (c->pac.url != NULL && strcmp(c->pac.url, P.url) != 0);

	P.timeout_ms = c->timeout.pac_ms;
	P.cache_ms = c->timeout.pac_cache_ms;
	if (P.heap_max != c->limit.pac_heap && P.bev != NULL) {
		P.heap_max = c->limit.pac_heap;
		pac_helper_gone(
		    "the PAC helper was restarted (new heap limit)");
	}
	P.heap_max = c->limit.pac_heap;
	if (changed) {
		free(P.url);
		P.url = c->pac.url != NULL ? wk_strdup(c->pac.url) : NULL;
		free(P.good);
		P.good = NULL;
		P.good_len = 0;
		memset(&P.mtime, 0, sizeof(P.mtime));
		P.size = -1;
	}
	wk_conf_unref(c);
	pthread_mutex_lock(&P.mu);
	P.script_gen++; /* answers of the old script are stale */
	pthread_mutex_unlock(&P.mu);
	if (P.url == NULL)
		return;
	if (strncmp(P.url, "file://", 7) == 0)
		pac_read_file(true);
	else
		pac_fetch_http();
}

static void
pac_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	if (P.url == NULL)
		return;
	if (strncmp(P.url, "file://", 7) == 0)
		pac_read_file(false);
	else if (pac_now_ms() - P.last_fetch_ms >= PAC_HTTP_REFRESH_MS)
		pac_fetch_http();
	pac_kick();
}

/* --- the service thread -------------------------------------------------- */

static void
pac_kick(void)
{
	if (P.cmd == PAC_CMD_NONE && P.trying != NULL)
		pac_load_source(NULL, 0);
	pac_run_pending();
}

static void
pac_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];
	bool stop, reload;

	(void)what, (void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&P.mu);
	stop = P.stop;
	reload = P.reload;
	P.reload = false;
	pthread_mutex_unlock(&P.mu);
	if (stop) {
		event_base_loopbreak(P.base);
		return;
	}
	if (reload)
		pac_apply_conf();
	pac_kick();
}

static void
pac_wake(void)
{
	char one = 1;

	if (write(P.wake_fd[1], &one, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
}

static void *
pac_main(void *arg)
{
	(void)arg;
	wk_thread_name("wk-pac", -1);
	pac_apply_conf();
	event_base_dispatch(P.base);
	pac_helper_kill();
	return NULL;
}

int
wk_pac_service_start(struct wk_ctx *ctx, const char *self_exe)
{
	struct timeval tick = { PAC_WATCH_MS / 1000,
		(PAC_WATCH_MS % 1000) * 1000 };

	if (P.running)
		return 0;
	P.ctx = ctx;
	P.self_exe = wk_strdup(self_exe);
	if (pipe2(P.wake_fd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	P.base = event_base_new();
	if (P.base == NULL)
		return -1;
	P.wake_ev = event_new(
	    P.base, P.wake_fd[0], EV_READ | EV_PERSIST, pac_wake_cb, NULL);
	event_add(P.wake_ev, NULL);
	P.tick = event_new(P.base, -1, EV_PERSIST, pac_tick_cb, NULL);
	event_add(P.tick, &tick);
	P.eval_timer = evtimer_new(P.base, pac_eval_timeout_cb, NULL);
	P.size = -1;
	if (pthread_create(&P.thread, NULL, pac_main, NULL) != 0)
		return -1;
	P.running = true;
	return 0;
}

void
wk_pac_service_reload(void)
{
	if (!P.running)
		return;
	pthread_mutex_lock(&P.mu);
	P.reload = true;
	pthread_mutex_unlock(&P.mu);
	pac_wake();
}

void
wk_pac_service_stop(void)
{
	struct wk_pac_query *q;

	if (!P.running)
		return;
	pthread_mutex_lock(&P.mu);
	P.stop = true;
	pthread_mutex_unlock(&P.mu);
	pac_wake();
	pthread_join(P.thread, NULL);
	P.running = false;
	while ((q = P.pending) != NULL) {
		P.pending = q->next;
		free(q->url);
		free(q->host);
		free(q);
	}
	free(P.inflight);
	P.inflight = NULL;
	if (P.http != NULL)
		evhttp_connection_free(P.http);
	event_free(P.wake_ev);
	event_free(P.tick);
	event_free(P.eval_timer);
	event_base_free(P.base);
	close(P.wake_fd[0]);
	close(P.wake_fd[1]);
	free(P.url);
	free(P.good);
	free(P.trying);
	free(P.self_exe);
	memset(&P.cache, 0, sizeof(P.cache));
}

/* --- the workers' side --------------------------------------------------- */

bool
wk_pac_cached(
    const char *url, const char *host, struct wk_pac_hop *hops, size_t *n)
{
	struct pac_cache_slot *sl;
	char key[WK_HOST_MAX + 16];
	bool hit = false;

	if (!P.running || P.cache_ms == 0)
		return false;
	pac_make_key(url, host, key, sizeof(key));
	pthread_mutex_lock(&P.mu);
	sl = &P.cache[pac_slot(key)];
	if (sl->expires_ms != 0 && sl->script_gen == P.script_gen &&
	    strcmp(sl->key, key) == 0 && sl->expires_ms > pac_now_ms()) {
		*n = sl->n;
		memcpy(hops, sl->hops, sl->n * sizeof(hops[0]));
		hit = true;
	}
	pthread_mutex_unlock(&P.mu);
	return hit;
}

struct wk_pac_query *
wk_pac_find(struct wk_worker *w, const char *url, const char *host,
    wk_pac_cb cb, void *arg)
{
	struct wk_pac_query *q;
	struct wk_pac_hop hops[WK_PAC_MAX_HOPS];
	char key[WK_HOST_MAX + 16];
	size_t n = 0;

	if (!P.running) {
		cb(NULL, 0, "no PAC service", arg);
		return NULL;
	}
	if (wk_pac_cached(url, host, hops, &n)) {
		cb(hops, n, "", arg);
		return NULL;
	}
	pac_make_key(url, host, key, sizeof(key));
	q = wk_calloc(1, sizeof(*q));
	q->w = w;
	q->cb = cb;
	q->arg = arg;
	q->url = wk_strdup(url);
	q->host = wk_strdup(host);
	snprintf(q->key, sizeof(q->key), "%s", key);
	/* tabs and newlines cannot reach here (the parsers refuse them),
	 * but the line protocol must never be confused */
	for (char *p = q->url; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&P.mu);
	if (P.pending_tail != NULL)
		P.pending_tail->next = q;
	else
		P.pending = q;
	P.pending_tail = q;
	pthread_mutex_unlock(&P.mu);
	pac_wake();
	return q;
}

void
wk_pac_cancel(struct wk_pac_query *q)
{
	if (q != NULL)
		__atomic_store_n(&q->cancelled, 1, __ATOMIC_RELEASE);
}
