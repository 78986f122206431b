/* src/log/log.c: error and access logs. Workers format lines and append
 * them to an in-memory queue; one writer thread does the I/O, so a slow
 * disk or terminal never stalls an event loop. */
#include "core/wk.h"

#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/thread.h"
#include "log/log.h"

#define LOG_QUEUE_MAX (8u << 20) /* bytes queued before lines are dropped */
#define LOG_LINE_MAX 4096

enum log_target {
	LOG_TARGET_STDERR = 0, /* fd 2 */
	LOG_TARGET_SYSLOG,     /* syslog(3) */
	LOG_TARGET_FILE	       /* a path, reopened on SIGUSR1 */
};

/* A queue of complete lines; the writer swaps it out under the lock. */
struct log_queue {
	char *buf;
	size_t len, cap;
	uint64_t dropped;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stop, reopen;
	struct log_queue err, acc;
	/* settings, changed under mu; level and access_on read lock-free */
	int level;
	bool access_on;
	enum wk_access_format access_format;
	enum log_target target;
	char *error_path;
	char *access_path;
	/* owned by the writer thread once running */
	int error_fd;
	int access_fd;
	bool syslog_open;
} L = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.level = WK_LOG_NOTICE,
	.error_fd = -1,
	.access_fd = -1,
};

static const char *const level_names[WK_LOG_LEVEL_COUNT] = { "err", "warn",
	"notice", "info", "debug" };

bool
wk_log_enabled(enum wk_log_level l)
{
	return (int)l <= __atomic_load_n(&L.level, __ATOMIC_RELAXED);
}

bool
wk_log_access_enabled(void)
{
	return __atomic_load_n(&L.access_on, __ATOMIC_RELAXED);
}

static void
queue_add(struct log_queue *q, const char *line, size_t n)
{
	if (q->len + n > LOG_QUEUE_MAX) {
		q->dropped++;
		return;
	}
	if (q->len + n > q->cap) {
		q->cap = WK_MAX(q->cap * 2, q->len + n + 4096);
		q->buf = wk_realloc(q->buf, q->cap);
	}
	memcpy(q->buf + q->len, line, n);
	q->len += n;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static int
open_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Writes error lines; each starts with the level digit. Writer thread. */
static void
emit_error_lines(enum log_target target, char *buf, size_t len)
{
	char *p = buf, *end = buf + len;

	if (target != LOG_TARGET_SYSLOG) {
		int fd = target == LOG_TARGET_FILE && L.error_fd >= 0 ?
		    L.error_fd :
		    2;
		/* drop the level digits in place, then one write */
		char *w = buf;

		while (p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)(nl - p);

			memmove(w, p + 1, n);
			w += n;
			p = nl + 1;
		}
		write_all(fd, buf, (size_t)(w - buf));
		return;
	}
	while (p < end) {
		static const int prio[WK_LOG_LEVEL_COUNT] = { LOG_ERR,
			LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
		char *nl = memchr(p, '\n', (size_t)(end - p));
		int lv = p[0] - '0';

		*nl = '\0';
		/* the syslog line carries its own time: skip ours */
		char *msg = strchr(p + 1, ' ');
		syslog(prio[lv], "%s", msg ? msg + 1 : p + 1);
		p = nl + 1;
	}
}

static void
writer_reopen(void)
{
	if (L.error_fd >= 0)
		close(L.error_fd);
	L.error_fd = -1;
	if (L.target == LOG_TARGET_FILE && L.error_path != NULL)
		L.error_fd = open_append(L.error_path);
	if (L.access_fd >= 0 && L.access_fd != 1)
		close(L.access_fd);
	L.access_fd = -1;
	if (L.access_path != NULL)
		L.access_fd = strcmp(L.access_path, "-") == 0 ?
		    1 :
		    open_append(L.access_path);
	if (L.target == LOG_TARGET_SYSLOG && !L.syslog_open) {
		openlog("wicket", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		L.syslog_open = true;
	}
}

static void *
writer_main(void *arg)
{
	struct log_queue e = { 0 }, a = { 0 };

	(void)arg;
	wk_thread_name("wk-log", -1);
	pthread_mutex_lock(&L.mu);
	for (;;) {
		while (!L.stop && !L.reopen && L.err.len == 0 && L.acc.len == 0)
			pthread_cond_wait(&L.cv, &L.mu);
		if (L.reopen) {
			L.reopen = false;
			writer_reopen();
		}
		/* swap the queues out so workers never wait for the disk */
		struct log_queue t;
		t = L.err, L.err = e, e = t;
		t = L.acc, L.acc = a, a = t;
		enum log_target target = L.target;
		int afd = L.access_fd;
		bool stop = L.stop;
		pthread_mutex_unlock(&L.mu);

		if (e.len > 0)
			emit_error_lines(target, e.buf, e.len);
		if (a.len > 0 && afd >= 0)
			write_all(afd, a.buf, a.len);
		e.len = a.len = 0;

		pthread_mutex_lock(&L.mu);
		if (stop && L.err.len == 0 && L.acc.len == 0)
			break;
	}
	pthread_mutex_unlock(&L.mu);
	free(e.buf);
	free(a.buf);
	return NULL;
}

void
wk_log_init(void)
{
	pthread_mutex_lock(&L.mu);
	if (!L.running) {
		L.stop = false;
		if (pthread_create(&L.thread, NULL, writer_main, NULL) == 0)
			L.running = true;
	}
	pthread_mutex_unlock(&L.mu);
}

int
wk_log_configure(const struct wk_config *c)
{
	const char *t = c->log.error_target ? c->log.error_target : "stderr";
	int rc = 0;

	/* probe the files here so a bad path is reported to the caller */
	if (strcmp(t, "stderr") != 0 && strcmp(t, "syslog") != 0) {
		int fd = open_append(t);
		if (fd < 0)
			rc = -1;
		else
			close(fd);
	}
	if (c->log.access_path && strcmp(c->log.access_path, "-") != 0) {
		int fd = open_append(c->log.access_path);
		if (fd < 0)
			rc = -1;
		else
			close(fd);
	}
	if (rc < 0)
		return -1;

	pthread_mutex_lock(&L.mu);
	__atomic_store_n(&L.level, (int)c->log.level, __ATOMIC_RELAXED);
	L.target = strcmp(t, "stderr") == 0 ? LOG_TARGET_STDERR :
	    strcmp(t, "syslog") == 0	    ? LOG_TARGET_SYSLOG :
					      LOG_TARGET_FILE;
	free(L.error_path);
	L.error_path = L.target == LOG_TARGET_FILE ? wk_strdup(t) : NULL;
	free(L.access_path);
	L.access_path =
	    c->log.access_path ? wk_strdup(c->log.access_path) : NULL;
	L.access_format = c->log.access_format;
	__atomic_store_n(&L.access_on, L.access_path != NULL, __ATOMIC_RELAXED);
	if (L.running) {
		L.reopen = true;
		pthread_cond_signal(&L.cv);
	} else {
		writer_reopen();
	}
	pthread_mutex_unlock(&L.mu);
	return 0;
}

void
wk_log_reopen(void)
{
	pthread_mutex_lock(&L.mu);
	L.reopen = true;
	pthread_cond_signal(&L.cv);
	pthread_mutex_unlock(&L.mu);
}

void
wk_log_shutdown(void)
{
	pthread_mutex_lock(&L.mu);
	if (!L.running) {
		pthread_mutex_unlock(&L.mu);
		return;
	}
	L.stop = true;
	pthread_cond_signal(&L.cv);
	pthread_mutex_unlock(&L.mu);
	pthread_join(L.thread, NULL);
	pthread_mutex_lock(&L.mu);
	L.running = false;
	if (L.access_fd >= 0 && L.access_fd != 1)
		close(L.access_fd);
	L.access_fd = -1;
	if (L.error_fd >= 0)
		close(L.error_fd);
	L.error_fd = -1;
	wk_free(L.err.buf);
	wk_free(L.acc.buf);
	L.err.len = L.err.cap = L.acc.len = L.acc.cap = 0;
	wk_free(L.error_path);
	wk_free(L.access_path);
	L.access_on = false;
	pthread_mutex_unlock(&L.mu);
}

static size_t
fmt_time(char *buf, size_t len, uint64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	return (size_t)snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(us / 1000 % 1000));
}

static uint64_t
now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Queues one formatted error line, or writes it directly when the writer
 * thread is not running (command-line tools). */
static void
log_emit(enum wk_log_level l, const char *msg, size_t n)
{
	char line[LOG_LINE_MAX + 64];
	size_t off = 0;

	line[off++] = (char)('0' + (int)l);
	off += fmt_time(line + off, sizeof(line) - off, now_us());
	off += (size_t)snprintf(
	    line + off, sizeof(line) - off, " %s: ", level_names[l]);
	n = WK_MIN(n, sizeof(line) - off - 1);
	memcpy(line + off, msg, n);
	off += n;
	line[off++] = '\n';

	pthread_mutex_lock(&L.mu);
	if (L.running) {
		bool was_empty = L.err.len == 0 && L.acc.len == 0;
		queue_add(&L.err, line, off);
		if (was_empty)
			pthread_cond_signal(&L.cv);
	} else {
		emit_error_lines(L.target, line, off);
	}
	pthread_mutex_unlock(&L.mu);
}

static void
log_v(enum wk_log_level l, int err, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (err != 0)
		n += snprintf(
		    msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(err));
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	/* a log line is one line: control characters become '?' */
	for (int i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20)
			msg[i] = '?';
	log_emit(l, msg, (size_t)n);
}

void
wk_log(enum wk_log_level l, const char *fmt, ...)
{
	va_list ap;

	if (!wk_log_enabled(l))
		return;
	va_start(ap, fmt);
	log_v(l, 0, fmt, ap);
	va_end(ap);
}

void
wk_log_errno(enum wk_log_level l, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	if (!wk_log_enabled(l))
		return;
	va_start(ap, fmt);
	log_v(l, err, fmt, ap);
	va_end(ap);
}

/* Copies s into out, escaping what would break the line's format (in
 * text, a quoted field keeps its spaces). */
static size_t
put_field(char *out, size_t room, const char *s, bool json, bool quoted)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s && o + 7 < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (json) {
			if (c == '"' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c < 0x20) {
				o += (size_t)snprintf(
				    out + o, room - o, "\\u%04x", c);
			} else {
				out[o++] = (char)c;
			}
		} else if ((c == ' ' && !quoted) || c < 0x20 || c == '"' ||
		    c == 0x7f) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

size_t
wk_log_format_access(const struct wk_access_rec *r, enum wk_access_format f,
    char *buf, size_t len)
{
	char ts[40], client[256], method[64], target[2048], up[256],
	    reason[256], coding[160] = "";
	bool json = f == WK_ACCESS_JSON;
	int n;

	fmt_time(ts, sizeof(ts), r->start_us);
	client[put_field(client, sizeof(client), r->client, json, false)] =
	    '\0';
	method[put_field(method, sizeof(method), r->method, json, false)] =
	    '\0';
	target[put_field(target, sizeof(target), r->target, json, false)] =
	    '\0';
	up[put_field(up, sizeof(up), r->upstream, json, false)] = '\0';
	reason[put_field(reason, sizeof(reason), r->reason, json, true)] = '\0';
	if (r->coding != NULL) {
		/* decoded: the coding and both sizes, after the fixed fields */
		char enc[64];

		enc[put_field(enc, sizeof(enc), r->coding, json, false)] = '\0';
		snprintf(coding, sizeof(coding),
		    json ? ",\"coding\":\"%s\",\"encoded\":%llu,"
			   "\"decoded\":%llu" :
			   " coding=%s encoded=%llu decoded=%llu",
		    enc, (unsigned long long)r->encoded,
		    (unsigned long long)r->decoded);
	}

	if (json)
		n = snprintf(buf, len,
		    "{\"time\":\"%s\",\"client\":\"%s\",\"method\":\"%s\","
		    "\"target\":\"%s\",\"status\":%d,\"bytes_in\":%llu,"
		    "\"bytes_out\":%llu,\"duration_ms\":%llu,"
		    "\"upstream\":\"%s\",\"reason\":\"%s\"%s}",
		    ts, client, method, target, r->status,
		    (unsigned long long)r->bytes_in,
		    (unsigned long long)r->bytes_out,
		    (unsigned long long)(r->duration_us / 1000), up, reason,
		    coding);
	else
		n = snprintf(buf, len,
		    "%s %s %s %s %d %llu %llu %llu %s \"%s\"%s", ts, client,
		    method, target, r->status, (unsigned long long)r->bytes_in,
		    (unsigned long long)r->bytes_out,
		    (unsigned long long)(r->duration_us / 1000), up, reason,
		    coding);
	if (n < 0)
		return 0;
	return WK_MIN((size_t)n, len - 1);
}

void
wk_log_access(const struct wk_access_rec *r)
{
	char line[LOG_LINE_MAX];
	size_t n;

	if (!wk_log_access_enabled())
		return;
	n = wk_log_format_access(r, L.access_format, line, sizeof(line) - 1);
	line[n++] = '\n';
	pthread_mutex_lock(&L.mu);
	if (L.running) {
		bool was_empty = L.err.len == 0 && L.acc.len == 0;
		queue_add(&L.acc, line, n);
		if (was_empty)
			pthread_cond_signal(&L.cv);
	}
	pthread_mutex_unlock(&L.mu);
}
