/* tests/unit/test_jar_store.c: the SQLite cookie store: the file (mode,
 * WAL, schema), the writer thread, other processes' edits reported and the
 * writer's own not, the synchronous calls, and kill -9 during heavy writes
 * (integrity and every confirmed flush kept). Waits are bounded and no
 * timing is asserted. */
#include "core/wk.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cookie/jar_store.h"
#include "core/alloc.h"

/* Interval used here (the daemon's is WK_JAR_STORE_FLUSH_MS). */
#define FLUSH_MS 100
/* Upper bound of every wait: far above the second the design promises. */
#define WAIT_MS 10000

static char root[] = "/tmp/wk-jarstore-XXXXXX";

static const char *
sub(const char *name)
{
	static char bufs[4][128];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", root, name);
	return b;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	return mkdtemp(root) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static struct wk_jar_store *
open_store(const char *name)
{
	char err[256];
	struct wk_jar_store *st =
	    wk_jar_store_open(sub(name), err, sizeof(err));

	if (st == NULL)
		fail_msg("open %s: %s", name, err);
	return st;
}

/* A raw connection, as a script would use. */
static sqlite3 *
raw_open(const char *name)
{
	sqlite3 *db = NULL;

	assert_int_equal(
	    sqlite3_open_v2(sub(name), &db, SQLITE_OPEN_READWRITE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* The first column of the first row of sql, as an integer (or text into
 * buf when buf is set). */
static int64_t
raw_query(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		if (buf != NULL) {
			const char *t = (const char *)sqlite3_column_text(s, 0);

			snprintf(buf, len, "%s", t != NULL ? t : "(null)");
		}
	}
	sqlite3_finalize(s);
	return v;
}

static struct wk_cookie
mk(const char *domain, const char *name, const char *value)
{
	struct wk_cookie c = { 0 };

	c.name = (char *)name;
	c.value = (char *)value;
	c.domain = (char *)domain;
	c.path = "/";
	c.creation_us = 1700000000000000;
	c.last_access_us = 1700000000000001;
	c.expiry_s = 2000000000;
	c.persistent = true;
	c.host_only = true;
	c.secure = true;
	c.same_site = WK_SAMESITE_LAX;
	return c;
}

/* --- what the callbacks saw ---------------------------------------------- */

struct event {
	char name[64];
	char value[64];
	char domain[64];
	bool deleted;
};

struct seen {
	pthread_mutex_t mu;
	struct event ev[256];
	size_t n;
	uint64_t flushed;
	unsigned flush_calls;
};

static struct seen seen = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
on_external(void *arg, const struct wk_cookie *c, bool deleted)
{
	struct seen *s = arg;

	pthread_mutex_lock(&s->mu);
	if (s->n < WK_ARRAY_LEN(s->ev)) {
		struct event *e = &s->ev[s->n++];

		snprintf(e->name, sizeof(e->name), "%s", c->name);
		snprintf(e->value, sizeof(e->value), "%s", c->value);
		snprintf(e->domain, sizeof(e->domain), "%s", c->domain);
		e->deleted = deleted;
	}
	pthread_mutex_unlock(&s->mu);
}

static void
on_flushed(void *arg, uint64_t ops_done)
{
	struct seen *s = arg;

	pthread_mutex_lock(&s->mu);
	s->flushed = ops_done;
	s->flush_calls++;
	pthread_mutex_unlock(&s->mu);
}

static const struct wk_jar_store_cbs cbs = {
	.external = on_external,
	.flushed = on_flushed,
	.arg = &seen,
};

static void
seen_reset(void)
{
	pthread_mutex_lock(&seen.mu);
	seen.n = 0;
	seen.flushed = 0;
	seen.flush_calls = 0;
	pthread_mutex_unlock(&seen.mu);
}

static size_t
seen_count(void)
{
	size_t n;

	pthread_mutex_lock(&seen.mu);
	n = seen.n;
	pthread_mutex_unlock(&seen.mu);
	return n;
}

/* Waits (bounded) until at least n events were seen. */
static void
wait_events(size_t n)
{
	int64_t end = mono_ms() + WAIT_MS;

	while (seen_count() < n && mono_ms() < end)
		sleep_ms(10);
	assert_true(seen_count() >= n);
}

static const struct event *
seen_find(const char *name, bool deleted)
{
	const struct event *r = NULL;

	pthread_mutex_lock(&seen.mu);
	for (size_t i = 0; i < seen.n; i++)
		if (strcmp(seen.ev[i].name, name) == 0 &&
		    seen.ev[i].deleted == deleted)
			r = &seen.ev[i];
	pthread_mutex_unlock(&seen.mu);
	return r;
}

/* Waits (bounded) until sql gives want. */
static void
wait_query(sqlite3 *db, const char *sql, int64_t want)
{
	int64_t end = mono_ms() + WAIT_MS;

	while (raw_query(db, sql, NULL, 0) != want && mono_ms() < end)
		sleep_ms(10);
	assert_int_equal(raw_query(db, sql, NULL, 0), want);
}

/* --- tests --------------------------------------------------------------- */

static void
test_open_file(void **state)
{
	struct wk_jar_store *st;
	struct wk_cookie c = mk("a.test", "n", "v");
	char buf[64];
	sqlite3 *db;
	int fd;

	st = open_store("file.db");
	assert_int_equal(mode_of(sub("file.db")), 0600);
	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	/* the WAL inherits the database's mode */
	assert_int_equal(mode_of(sub("file.db-wal")), 0600);
	assert_int_equal(mode_of(sub("file.db-shm")), 0600);

	db = raw_open("file.db");
	raw_query(db, "PRAGMA journal_mode", buf, sizeof(buf));
	assert_string_equal(buf, "wal");
	assert_int_equal(
	    raw_query(db, "PRAGMA user_version", NULL, 0), WK_JAR_STORE_SCHEMA);
	assert_int_equal(
	    raw_query(db, "PRAGMA integrity_check", buf, sizeof(buf)) >= -1, 1);
	assert_string_equal(buf, "ok");
	raw_query(db, "SELECT same_site FROM cookies", buf, sizeof(buf));
	assert_string_equal(buf, "lax");
	sqlite3_close(db);
	wk_jar_store_close(st);
	assert_null(st);

	/* reopening keeps the rows; a readable file is set back to 0600 */
	assert_int_equal(chmod(sub("file.db"), 0644), 0);
	st = open_store("file.db");
	assert_int_equal(mode_of(sub("file.db")), 0600);
	db = raw_open("file.db");
	assert_int_equal(
	    raw_query(db, "SELECT count(*) FROM cookies", NULL, 0), 1);
	sqlite3_close(db);
	wk_jar_store_close(st);

	/* a new file is created 0600 whatever the umask */
	{
		mode_t old = umask(0);

		st = open_store("umask.db");
		umask(old);
		assert_int_equal(mode_of(sub("umask.db")), 0600);
		wk_jar_store_close(st);
	}

	/* a newer schema is refused, so is something that is not SQLite */
	db = raw_open("file.db");
	raw_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);
	assert_null(wk_jar_store_open(sub("file.db"), buf, sizeof(buf)));
	assert_non_null(strstr(buf, "schema version 99"));
	fd = open(sub("junk.db"), O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(
	    write(fd, "not a database, just some text here", 35), 35);
	close(fd);
	assert_null(wk_jar_store_open(sub("junk.db"), buf, sizeof(buf)));
	assert_null(
	    wk_jar_store_open(sub("missing/dir/x.db"), buf, sizeof(buf)));
	assert_non_null(strstr(buf, "missing/dir/x.db"));
}

static void
test_writer(void **state)
{
	struct wk_jar_store *st = open_store("writer.db");
	struct wk_cookie c = mk("w.test", "a", "1");
	struct wk_jar_store_stats stats;
	sqlite3 *db = raw_open("writer.db");
	char buf[64];

	seen_reset();
	assert_int_equal(wk_jar_store_start(st, FLUSH_MS, &cbs), 0);
	assert_int_equal(wk_jar_store_start(st, FLUSH_MS, &cbs), -1);
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	c.name = "b";
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	c.name = "gone";
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	assert_int_equal(
	    wk_jar_store_queue_delete(st, "w.test", "/", "gone"), 0);
	/* a session cookie replacing a stored one deletes its row */
	c.name = "b";
	c.persistent = false;
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	c.name = "session";
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);

	/* written by the writer alone, within a couple of flushes */
	wait_query(db, "SELECT count(*) FROM cookies", 1);
	raw_query(
	    db, "SELECT name || '=' || value FROM cookies", buf, sizeof(buf));
	assert_string_equal(buf, "a=1");
	{
		int64_t end = mono_ms() + WAIT_MS;

		uint64_t done = 0;

		for (;;) {
			pthread_mutex_lock(&seen.mu);
			done = seen.flushed;
			pthread_mutex_unlock(&seen.mu);
			if (done == 6 || mono_ms() > end)
				break;
			sleep_ms(10);
		}
		assert_int_equal(done, 6);
	}

	/* updates, many of them, through sync */
	for (int i = 0; i < 5000; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d", i);
		c = mk("many.test", v, v);
		assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	}
	assert_int_equal(wk_jar_store_sync(st, WAIT_MS), 0);
	assert_int_equal(raw_query(db,
			     "SELECT count(*) FROM cookies WHERE domain = "
			     "'many.test'",
			     NULL, 0),
	    5000);
	wk_jar_store_get_stats(st, &stats);
	assert_int_equal(stats.queued, 5006);
	assert_int_equal(stats.written, 5006);
	assert_int_equal(stats.dropped, 0);
	assert_true(stats.flushes >= 2);

	/* none of that came back as an external change */
	assert_int_equal(seen_count(), 0);
	assert_int_equal(stats.reloads, 0);

	/* changes queued just before stop are flushed by it */
	c = mk("w.test", "last", "x");
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	wk_jar_store_stop(st);
	assert_int_equal(
	    raw_query(db, "SELECT count(*) FROM cookies WHERE name = 'last'",
		NULL, 0),
	    1);
	assert_int_equal(wk_jar_store_sync(st, 10), 0);
	/* and after stop, by close */
	c.name = "after";
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	assert_int_equal(wk_jar_store_sync(st, 10), -1);
	wk_jar_store_close(st);
	assert_int_equal(
	    raw_query(db, "SELECT count(*) FROM cookies WHERE name = 'after'",
		NULL, 0),
	    1);
	sqlite3_close(db);
}

static void
test_external(void **state)
{
	struct wk_jar_store *st = open_store("ext.db");
	struct wk_jar_store *cli;
	struct wk_cookie c = mk("e.test", "mine", "1");
	const struct event *e;
	sqlite3 *db;
	size_t n;

	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	seen_reset();
	assert_int_equal(wk_jar_store_start(st, FLUSH_MS, &cbs), 0);
	/* the daemon's own writes, before and between external ones */
	c.name = "own";
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	assert_int_equal(wk_jar_store_sync(st, WAIT_MS), 0);

	/* a script with sqlite3: an insert with the defaults */
	db = raw_open("ext.db");
	raw_exec(db,
	    "INSERT INTO cookies (name, value, domain, expiry_s) "
	    "VALUES ('script', 's1', 'e.test', 2000000000)");
	wait_events(1);
	e = seen_find("script", false);
	assert_non_null(e);
	assert_string_equal(e->value, "s1");
	assert_string_equal(e->domain, "e.test");

	/* an update, then a delete of a row the daemon wrote */
	raw_exec(db, "UPDATE cookies SET value = 's2' WHERE name = 'script'");
	wait_events(2);
	e = seen_find("script", false);
	assert_string_equal(e->value, "s2");
	raw_exec(db, "DELETE FROM cookies WHERE name = 'own'");
	wait_events(3);
	e = seen_find("own", true);
	assert_non_null(e);
	assert_string_equal(e->domain, "e.test");
	sqlite3_close(db);

	/* the command line: a second store handle, while more of the
	 * daemon's own writes go on */
	c.name = "own2";
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), 0);
	cli = open_store("ext.db");
	c = mk("cli.test", "fromcli", "c1");
	assert_int_equal(wk_jar_store_upsert_now(cli, &c), 0);
	wait_events(4);
	assert_non_null(seen_find("fromcli", false));
	assert_int_equal(
	    wk_jar_store_delete_now(cli, "e.test", "/", "mine"), 1);
	wait_events(5);
	assert_non_null(seen_find("mine", true));
	assert_int_equal(wk_jar_store_sync(st, WAIT_MS), 0);
	/* the writer's own rows never showed up */
	assert_null(seen_find("own", false));
	assert_null(seen_find("own2", false));
	assert_null(seen_find("mine", false));
	n = seen_count();
	assert_int_equal(n, 5);

	/* clear: every row left is reported deleted, own2 included */
	assert_int_equal(wk_jar_store_clear_now(cli), 3);
	wait_events(n + 3);
	assert_non_null(seen_find("own2", true));
	assert_non_null(seen_find("script", true));
	assert_non_null(seen_find("fromcli", true));
	wk_jar_store_close(cli);
	wk_jar_store_close(st);
}

struct loaded {
	size_t n;
	bool saw_b;
};

static void
on_load(void *arg, const struct wk_cookie *c)
{
	struct loaded *l = arg;

	l->n++;
	if (strcmp(c->name, "b") == 0) {
		l->saw_b = true;
		assert_string_equal(c->value, "vb");
		assert_string_equal(c->domain, "l.test");
		assert_string_equal(c->path, "/p");
		assert_int_equal(c->creation_us, 11);
		assert_int_equal(c->last_access_us, 22);
		assert_int_equal(c->expiry_s, 33);
		assert_true(c->persistent && !c->host_only && c->http_only &&
		    c->partitioned && !c->secure);
		assert_int_equal(c->same_site, WK_SAMESITE_STRICT);
	}
}

static void
test_load_then_start(void **state)
{
	struct wk_jar_store *st = open_store("load.db");
	struct wk_cookie c = mk("l.test", "a", "va");
	struct loaded l = { 0 };
	sqlite3 *db;

	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	c.name = "b";
	c.value = "vb";
	c.path = "/p";
	c.creation_us = 11;
	c.last_access_us = 22;
	c.expiry_s = 33;
	c.host_only = false;
	c.http_only = true;
	c.partitioned = true;
	c.secure = false;
	c.same_site = WK_SAMESITE_STRICT;
	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	wk_jar_store_close(st);

	/* rows a script added while the daemon was down, with odd values:
	 * upper-case same_site is read, a row that is no cookie skipped */
	db = raw_open("load.db");
	raw_exec(db,
	    "INSERT INTO cookies (name, value, domain, expiry_s, "
	    "same_site) VALUES ('c', 'vc', 'l.test', 1, 'LAX'),"
	    "('bad', 'x', 'l.test', 1, 'none')");
	raw_exec(db, "UPDATE cookies SET path = 'nopath' WHERE name = 'bad'");

	st = open_store("load.db");
	assert_int_equal(wk_jar_store_load(st, on_load, &l), 0);
	assert_int_equal(l.n, 3);
	assert_true(l.saw_b);
	seen_reset();
	assert_int_equal(wk_jar_store_start(st, FLUSH_MS, &cbs), 0);
	/* what was loaded is not reported again; the next edit is */
	raw_exec(db, "UPDATE cookies SET value = 'vc2' WHERE name = 'c'");
	wait_events(1);
	assert_non_null(seen_find("c", false));
	assert_int_equal(seen_count(), 1);
	sqlite3_close(db);
	wk_jar_store_close(st);
}

struct listed {
	char names[8][16];
	size_t n;
};

static void
on_list(void *arg, const struct wk_cookie *c)
{
	struct listed *l = arg;

	assert_true(l->n < 8);
	snprintf(
	    l->names[l->n++], sizeof(l->names[0]), "%s|%s", c->domain, c->name);
}

static void
test_sync_calls(void **state)
{
	struct wk_jar_store *st = open_store("sync.db");
	struct wk_cookie c = mk("b.test", "x", "1");
	struct listed l = { .n = 0 };

	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	c.domain = "a.test";
	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	c.name = "w";
	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	c.value = "2"; /* an update, not a second row */
	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	assert_int_equal(wk_jar_store_for_each(st, on_list, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.names[0], "a.test|w");
	assert_string_equal(l.names[1], "a.test|x");
	assert_string_equal(l.names[2], "b.test|x");

	assert_int_equal(wk_jar_store_delete_now(st, "a.test", "/", "w"), 1);
	assert_int_equal(wk_jar_store_delete_now(st, "a.test", "/", "w"), 0);
	c.persistent = false; /* session: removes the stored one */
	c.name = "x";
	assert_int_equal(wk_jar_store_upsert_now(st, &c), 0);
	assert_int_equal(wk_jar_store_clear_now(st), 1);
	assert_int_equal(wk_jar_store_clear_now(st), 0);
	c.domain = NULL;
	assert_int_equal(wk_jar_store_upsert_now(st, &c), -1);
	assert_int_equal(wk_jar_store_queue_upsert(st, &c), -1);
	wk_jar_store_close(st);
}

/* --- kill -9 ---------------------------------------------------------------
 */

struct crash_child {
	int fd; /* pipe to the parent */
};

static void
crash_flushed(void *arg, uint64_t ops_done)
{
	struct crash_child *cc = arg;

	if (write(cc->fd, &ops_done, sizeof(ops_done)) != sizeof(ops_done))
		_exit(3);
}

/* Writes cookies "it<iter>-<i>", i = 1, 2, ..., as fast as the writer
 * keeps up, until killed; op i is cookie i. */
static void
crash_child_run(int iter, int fd)
{
	struct crash_child cc = { fd };
	struct wk_jar_store_cbs ccbs = { .flushed = crash_flushed, .arg = &cc };
	char err[256], name[32], value[24];
	struct wk_jar_store *st =
	    wk_jar_store_open(sub("crash.db"), err, sizeof(err));
	int64_t end = mono_ms() + 30000;

	if (st == NULL || wk_jar_store_start(st, 20, &ccbs) < 0)
		_exit(2);
	for (uint64_t i = 1; mono_ms() < end; i++) {
		struct wk_cookie c;

		snprintf(name, sizeof(name), "it%d-%" PRIu64, iter, i);
		snprintf(value, sizeof(value), "%" PRIu64, i);
		c = mk("crash.test", name, value);
		c.last_access_us = (int64_t)i;
		if (wk_jar_store_queue_upsert(st, &c) < 0)
			_exit(4);
		if (i % 256 == 0)
			sleep_ms(1);
	}
	_exit(5); /* not killed in time */
}

/* Reads confirmations until none is pending; returns the last. */
static uint64_t
crash_drain(int fd, uint64_t last, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	while (poll(&p, 1, timeout_ms) == 1) {
		ssize_t n = read(fd, &v, sizeof(v));

		if (n != sizeof(v))
			break;
		last = v;
		timeout_ms = 0;
	}
	return last;
}

static void
test_kill9(void **state)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	sqlite3 *db;
	char buf[64];

	srandom(seed);
	print_message("# kill -9 test, seed %u\n", seed);
	for (int iter = 0; iter < 10; iter++) {
		uint64_t confirmed = 0;
		int fds[2], status;
		char sql[160];
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child_run(iter, fds[1]);
		}
		close(fds[1]);
		/* wait for the first flush, then kill at a random point */
		confirmed = crash_drain(fds[0], 0, WAIT_MS);
		assert_true(confirmed > 0);
		sleep_ms(5 + (unsigned)(random() % 150));
		confirmed = crash_drain(fds[0], confirmed, 0);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* confirmations written before the kill are still in the pipe
		 */
		confirmed = crash_drain(fds[0], confirmed, 0);
		close(fds[0]);
		print_message("# kill %d: %" PRIu64 " cookies confirmed\n",
		    iter, confirmed);

		db = raw_open("crash.db");
		raw_query(db, "PRAGMA integrity_check", buf, sizeof(buf));
		assert_string_equal(buf, "ok");
		snprintf(sql, sizeof(sql),
		    "SELECT count(*) FROM cookies WHERE name LIKE 'it%d-%%' "
		    "AND last_access_us <= %" PRIu64,
		    iter, confirmed);
		assert_int_equal(
		    raw_query(db, sql, NULL, 0), (int64_t)confirmed);
		sqlite3_close(db);
	}
	/* and the store opens and loads it */
	{
		struct wk_jar_store *st = open_store("crash.db");
		struct loaded l = { 0 };

		assert_int_equal(wk_jar_store_load(st, on_load, &l), 0);
		assert_true(l.n >= 10);
		wk_jar_store_close(st);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_load_then_start),
		cmocka_unit_test(test_sync_calls),
		cmocka_unit_test(test_kill9),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
