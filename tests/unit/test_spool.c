/* tests/unit/test_spool.c: the body spool on a real worker loop and the
 * real disk thread: memory only, past memory (byte-exact read-back), odd
 * appends, the max bound, back-pressure, the hidden 0600 file, freeing
 * with jobs and posts in flight, and I/O errors. pwrite is wrapped
 * (-Wl,--wrap, see spool.am) so a test can hold the disk thread, chop
 * writes short with EINTR, or make them fail with ENOSPC. */
#include "core/wk.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
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
#include <event2/buffer.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/bug.h"
#include "sys/spool.h"
#include "testworker.h"
#include "worker/worker.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* --- the pwrite seam -------------------------------------------------- */

enum wrap_mode {
	WRAP_PASS = 0, /* the real pwrite */
	WRAP_CHOPPY,   /* EINTR every third call, at most ~1000 bytes */
	WRAP_ENOSPC    /* every call fails */
};

/* Calls wait at the gate while it is closed; its mutex guards the rest. */
static struct {
	struct wk_test_gate gate;
	unsigned calls;
	enum wrap_mode mode;
} W = { .gate = WK_TEST_GATE_INIT };

ssize_t __real_pwrite(int fd, const void *p, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *p, size_t n, off_t off);
ssize_t __real_pwrite64(int fd, const void *p, size_t n, off_t off);
ssize_t __wrap_pwrite64(int fd, const void *p, size_t n, off_t off);

ssize_t
__wrap_pwrite(int fd, const void *p, size_t n, off_t off)
{
	enum wrap_mode mode;
	unsigned call;

	pthread_mutex_lock(&W.gate.mu);
	wk_test_gate_pass_locked(&W.gate);
	call = ++W.calls;
	mode = W.mode;
	pthread_mutex_unlock(&W.gate.mu);
	if (mode == WRAP_ENOSPC) {
		errno = ENOSPC;
		return -1;
	}
	if (mode == WRAP_CHOPPY) {
		if (call % 3 == 0) {
			errno = EINTR;
			return -1;
		}
		n = WK_MIN(n, 1000 + call % 7);
	}
	return __real_pwrite(fd, p, n, off);
}

ssize_t
__wrap_pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return __wrap_pwrite(fd, p, n, off);
}

static void
gate_close(void)
{
	wk_test_gate_close(&W.gate);
}

static void
gate_open(void)
{
	wk_test_gate_open(&W.gate);
}

/* Waits until the disk thread sits in pwrite at the closed gate. */
static void
gate_wait_inside(void)
{
	assert_int_equal(wk_test_gate_wait_inside(&W.gate, 1), 1);
}

static unsigned
wrap_calls(void)
{
	unsigned n;

	pthread_mutex_lock(&W.gate.mu);
	n = W.calls;
	pthread_mutex_unlock(&W.gate.mu);
	return n;
}

static void
wrap_mode(enum wrap_mode m)
{
	pthread_mutex_lock(&W.gate.mu);
	W.mode = m;
	pthread_mutex_unlock(&W.gate.mu);
}

/* --- the fixture: a worker with no listeners, run on this thread ------ */

struct fixture {
	struct wk_test_worker tw;
	char dir[64];
	unsigned calls; /* callbacks seen */
	struct wk_spool *last;
	struct wk_spool *sp; /* the test's spool, freed by teardown if a
			      * failed assertion left it */
};

static struct fixture *F;

static void
spool_cb(struct wk_spool *sp, void *arg)
{
	struct fixture *f = arg;

	f->calls++;
	f->last = sp;
}

static struct wk_spool *
spool_new(struct fixture *f, const char *dir, size_t mem_max, uint64_t max,
    wk_spool_cb cb)
{
	f->sp = wk_spool_new(f->tw.w, dir, mem_max, max, cb, f);
	return f->sp;
}

static void
spool_free(struct fixture *f)
{
	wk_spool_free(f->sp);
	f->sp = NULL;
}

static int
group_setup(void **state)
{
	(void)state;
	return wk_spool_service_start();
}

static int
group_teardown(void **state)
{
	(void)state;
	wk_spool_service_stop();
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	wk_test_worker_init(&f->tw);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wk-spool-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	wrap_mode(WRAP_PASS);
	gate_open();
	F = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	gate_open();
	wk_spool_free(f->sp);
	wk_test_worker_fini(&f->tw);
	rmdir(f->dir);
	free(f);
	F = NULL;
	return 0;
}

static bool
run_until(bool (*pred)(void *), void *arg, int ms)
{
	return wk_test_run_until(&F->tw, pred, arg, ms);
}

static unsigned want_calls;

static bool
calls_reached(void *arg)
{
	(void)arg;
	return F->calls >= want_calls;
}

/* Runs the loop until the callback has come n times in all. */
static void
wait_calls(unsigned n)
{
	want_calls = n;
	assert_true(run_until(calls_reached, NULL, 10000));
}

static bool
posts_pending(void *arg)
{
	(void)arg;
	return wk_test_posts_pending(F->tw.w);
}

/* The fd of an open file under dir, or -1. */
static int
fd_in_dir(const char *dir, char *link, size_t len)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fd = -1;
	size_t dl = strlen(dir);

	assert_non_null(d);
	while (fd < 0 && (e = readdir(d)) != NULL) {
		char path[PATH_MAX], to[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, to, sizeof(to) - 1);
		if (n <= 0)
			continue;
		to[n] = '\0';
		if (strncmp(to, dir, dl) == 0 && to[dl] == '/') {
			fd = (int)strtol(e->d_name, NULL, 10);
			snprintf(link, len, "%s", to);
		}
	}
	closedir(d);
	return fd;
}

static bool
no_fd_in_dir(void *arg)
{
	char link[PATH_MAX];

	return fd_in_dir(arg, link, sizeof(link)) < 0;
}

static bool
fd_in_dir_pred(void *arg)
{
	return !no_fd_in_dir(arg);
}

static int
dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Byte i of every test body. */
static uint8_t
pattern(uint64_t i)
{
	uint32_t v = (uint32_t)(i >> 2) * 2654435761u;

	return (uint8_t)(v >> ((i & 3) * 8));
}

/* Appends bytes [*pos, *pos + n) of the pattern. */
static int
append_pattern(struct wk_spool *sp, uint64_t *pos, size_t n)
{
	struct evbuffer *b = evbuffer_new();
	uint8_t *p = malloc(n ? n : 1);
	int rc;

	for (size_t i = 0; i < n; i++)
		p[i] = pattern(*pos + i);
	evbuffer_add(b, p, n);
	rc = wk_spool_append(sp, b);
	if (rc == 0) {
		assert_int_equal(evbuffer_get_length(b), 0);
		*pos += n;
	} else {
		assert_int_equal(evbuffer_get_length(b), n); /* not taken */
	}
	evbuffer_free(b);
	free(p);
	return rc;
}

/* Reads everything back with read sizes from steps (cycled) and checks it
 * against the pattern. */
static void
read_back(struct wk_spool *sp, uint64_t len, const size_t *steps, size_t nsteps)
{
	struct evbuffer *out = evbuffer_new();
	uint64_t pos = 0;
	size_t k = 0;
	uint8_t *p;

	while (!wk_spool_done(sp)) {
		size_t max = steps[k++ % nsteps];
		unsigned seen = F->calls;
		ssize_t n = wk_spool_read(sp, out, max);
		size_t got;

		assert_true(n >= 0);
		assert_true((size_t)n <= max);
		if (n == 0) {
			assert_false(wk_spool_done(sp));
			wait_calls(seen + 1);
			continue;
		}
		got = evbuffer_get_length(out);
		assert_int_equal(got, (size_t)n);
		p = evbuffer_pullup(out, -1);
		for (size_t i = 0; i < got; i++)
			if (p[i] != pattern(pos + i))
				fail_msg("byte %llu differs",
				    (unsigned long long)(pos + i));
		pos += got;
		evbuffer_drain(out, got);
	}
	assert_int_equal(pos, len);
	assert_int_equal(wk_spool_read(sp, out, 4096), 0);
	assert_true(wk_spool_done(sp));
	assert_null(wk_spool_error(sp));
	evbuffer_free(out);
}

static const size_t step_64k[] = { 64 * KIB };

/* --- tests ------------------------------------------------------------ */

static void
test_memory_only(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 10 * MIB, spool_cb);
	unsigned calls0 = wrap_calls();
	uint64_t pos = 0;

	assert_true(wk_spool_done(sp)); /* empty */
	/* exactly mem_max, in odd pieces: still no file */
	while (pos < 64 * KIB)
		assert_int_equal(
		    append_pattern(sp, &pos, WK_MIN(4099, 64 * KIB - pos)), 0);
	assert_int_equal(wk_spool_length(sp), 64 * KIB);
	assert_false(wk_spool_busy(sp));
	assert_false(wk_spool_done(sp));
	run_until(NULL, NULL, 50);
	assert_true(no_fd_in_dir(f->dir));
	read_back(sp, pos, (const size_t[]){ 1000, 7 }, 2);
	run_until(NULL, NULL, 50);
	assert_int_equal(wrap_calls(), calls0); /* no disk write at all */
	assert_true(no_fd_in_dir(f->dir));
	assert_int_equal(dir_entries(f->dir), 0);
	assert_int_equal(f->calls, 0);
	spool_free(f);
}

static void
test_past_memory(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	uint64_t pos = 0;

	while (pos < 5 * MIB) {
		assert_int_equal(
		    append_pattern(sp, &pos, WK_MIN(100000, 5 * MIB - pos)), 0);
		if (wk_spool_busy(sp))
			wait_calls(f->calls + 1);
	}
	assert_int_equal(wk_spool_length(sp), 5 * MIB);
	read_back(sp, pos, step_64k, 1);
	spool_free(f);
	assert_true(run_until(no_fd_in_dir, f->dir, 5000));
}

static void
test_odd_appends(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp = spool_new(f, f->dir, 1000, 64 * MIB, spool_cb);
	static const size_t sizes[] = { 7, 13, 4097, 65537, 300001, 1, 3 };
	static const size_t steps[] = { 1, 3, 999, 65537, 262145, 5 };
	uint64_t pos = 0;

	for (int i = 0; i < 5000; i++)
		assert_int_equal(append_pattern(sp, &pos, 1), 0);
	for (size_t i = 0; i < WK_ARRAY_LEN(sizes); i++)
		assert_int_equal(append_pattern(sp, &pos, sizes[i]), 0);
	assert_int_equal(append_pattern(sp, &pos, 0), 0);
	assert_int_equal(wk_spool_length(sp), pos);
	read_back(sp, pos, steps, WK_ARRAY_LEN(steps));
	spool_free(f);
}

/* Short writes and EINTR on the disk thread lose no byte. */
static void
test_short_writes(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp = spool_new(f, f->dir, 4 * KIB, 64 * MIB, spool_cb);
	uint64_t pos = 0;

	wrap_mode(WRAP_CHOPPY);
	assert_int_equal(append_pattern(sp, &pos, 700 * KIB + 11), 0);
	read_back(sp, pos, step_64k, 1);
	assert_true(wrap_calls() > 700);
	spool_free(f);
}

static void
test_max(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp = spool_new(f, f->dir, 4096, 10000, spool_cb);
	uint64_t pos = 0;

	assert_int_equal(append_pattern(sp, &pos, 9999), 0);
	assert_int_equal(append_pattern(sp, &pos, 2), -1); /* 10001 */
	assert_int_equal(wk_spool_length(sp), 9999);
	assert_int_equal(append_pattern(sp, &pos, 1), 0); /* == max */
	assert_int_equal(wk_spool_length(sp), 10000);
	assert_int_equal(append_pattern(sp, &pos, 1), -1);
	assert_int_equal(append_pattern(sp, &pos, 0), 0);
	assert_int_equal(wk_spool_length(sp), 10000);
	assert_null(wk_spool_error(sp));
	read_back(sp, pos, step_64k, 1);
	spool_free(f);

	/* one append over max at once: nothing taken */
	sp = spool_new(f, f->dir, 4096, 10000, spool_cb);
	pos = 0;
	assert_int_equal(append_pattern(sp, &pos, 10001), -1);
	assert_int_equal(wk_spool_length(sp), 0);
	assert_true(wk_spool_done(sp));
	spool_free(f);
}

static void
test_busy(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	uint64_t pos = 0;

	gate_close(); /* the disk thread stops in its first pwrite */
	assert_int_equal(append_pattern(sp, &pos, 1000 * KIB), 0);
	assert_false(wk_spool_busy(sp)); /* < 1 MiB past memory */
	assert_int_equal(append_pattern(sp, &pos, 4 * MIB), 0);
	assert_true(wk_spool_busy(sp));
	gate_wait_inside();
	run_until(NULL, NULL, 50);
	assert_int_equal(f->calls, 0); /* nothing drained yet */
	assert_true(wk_spool_busy(sp));
	gate_open();
	wait_calls(1);
	assert_ptr_equal(f->last, sp);
	assert_false(wk_spool_busy(sp));
	assert_null(wk_spool_error(sp));
	/* posted once: draining further brings no more */
	run_until(NULL, NULL, 200);
	assert_int_equal(f->calls, 1);
	read_back(sp, pos, step_64k, 1);
	spool_free(f);
}

/* While the caller sends one block, the disk thread reads the next: after
 * a pause, the next read needs no wait. */
static void
test_read_ahead(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp = spool_new(f, f->dir, 0, 64 * MIB, spool_cb);
	struct evbuffer *out = evbuffer_new();
	uint64_t pos = 0;
	uint8_t *p;
	ssize_t n;

	assert_int_equal(append_pattern(sp, &pos, 1 * MIB), 0);
	n = wk_spool_read(sp, out, 256 * KIB);
	if (n == 0) {
		wait_calls(1);
		n = wk_spool_read(sp, out, 256 * KIB);
	}
	assert_int_equal(n, 256 * KIB);
	for (int i = 1; i < 4; i++) {
		usleep(300 * 1000); /* the network is slow */
		n = wk_spool_read(sp, out, 256 * KIB);
		assert_int_equal(n, 256 * KIB);
	}
	assert_true(wk_spool_done(sp));
	assert_int_equal(evbuffer_get_length(out), 1 * MIB);
	p = evbuffer_pullup(out, -1);
	for (size_t i = 0; i < 1 * MIB; i++)
		if (p[i] != pattern(i))
			fail_msg("byte %zu differs", i);
	evbuffer_free(out);
	spool_free(f);
}

/* Not in dir by any name, yet open, and 0600. */
static void
test_hidden_file(void **state)
{
	struct fixture *f = *state;
	char sub[96], link[PATH_MAX], proc[64];
	struct wk_spool *sp;
	struct stat st;
	uint64_t pos = 0;
	int fd;

	/* a directory that does not exist yet: made 0700 */
	snprintf(sub, sizeof(sub), "%s/spool", f->dir);
	sp = spool_new(f, sub, 16 * KIB, 64 * MIB, spool_cb);
	assert_int_equal(append_pattern(sp, &pos, 16 * KIB), 0);
	run_until(NULL, NULL, 50);
	assert_int_equal(dir_entries(sub), -1); /* memory only so far */
	assert_int_equal(append_pattern(sp, &pos, 1), 0);
	assert_true(run_until(fd_in_dir_pred, sub, 5000));
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(dir_entries(sub), 0);

	fd = fd_in_dir(sub, link, sizeof(link));
	assert_true(fd >= 0);
	assert_non_null(strstr(link, "(deleted)"));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	assert_int_equal(stat(proc, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 0);

	read_back(sp, pos, step_64k, 1);
	assert_int_equal(dir_entries(sub), 0);
	spool_free(f);
	assert_true(run_until(no_fd_in_dir, sub, 5000));
	assert_int_equal(rmdir(sub), 0);
}

/* Freed while a write runs and more are queued. */
static void
test_free_while_writing(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	uint64_t pos = 0;
	unsigned calls;

	gate_close();
	assert_int_equal(append_pattern(sp, &pos, 4 * MIB), 0);
	assert_true(wk_spool_busy(sp));
	gate_wait_inside(); /* the first write job is running */
	calls = wrap_calls();
	spool_free(f);
	gate_open();
	/* the running write ends, the queued ones are dropped, the file is
	 * closed on the disk thread */
	assert_true(run_until(no_fd_in_dir, f->dir, 5000));
	run_until(NULL, NULL, 100);
	assert_true(wrap_calls() <= calls + 1);
	assert_int_equal(f->calls, 0);
}

/* Freed while a read-back job waits behind writes. */
static void
test_free_while_reading(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	struct evbuffer *out = evbuffer_new();
	uint64_t pos = 0;
	ssize_t n;

	gate_close();
	assert_int_equal(append_pattern(sp, &pos, 2 * MIB), 0);
	gate_wait_inside();
	/* the memory part comes at once, then the file must wait */
	while ((n = wk_spool_read(sp, out, 16 * KIB)) > 0)
		;
	assert_int_equal(n, 0);
	assert_int_equal(evbuffer_get_length(out), 64 * KIB);
	assert_false(wk_spool_done(sp));
	spool_free(f);
	gate_open();
	assert_true(run_until(no_fd_in_dir, f->dir, 5000));
	run_until(NULL, NULL, 100);
	assert_int_equal(f->calls, 0);
	evbuffer_free(out);
}

/* Freed while its callback is queued on the worker. */
static void
test_free_with_post_queued(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	uint64_t pos = 0;

	assert_int_equal(append_pattern(sp, &pos, 4 * MIB), 0);
	/* the drain is posted; the loop does not run meanwhile */
	for (int i = 0; i < 10000 && !posts_pending(NULL); i++)
		usleep(1000);
	assert_true(posts_pending(NULL));
	spool_free(f);
	run_until(NULL, NULL, 100);
	assert_false(posts_pending(NULL));
	assert_int_equal(f->calls, 0);
	assert_true(run_until(no_fd_in_dir, f->dir, 5000));
}

/* A post still queued when the worker goes is run by wk_worker_free:
 * the spool was freed first, so only the reference goes. */
static void
test_post_at_worker_free(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	uint64_t pos = 0;

	assert_int_equal(append_pattern(sp, &pos, 4 * MIB), 0);
	for (int i = 0; i < 10000 && !posts_pending(NULL); i++)
		usleep(1000);
	assert_true(posts_pending(NULL));
	spool_free(f);
	/* teardown frees the worker with the post queued (ASan: no leak) */
}

static void
test_write_error(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp =
	    spool_new(f, f->dir, 64 * KIB, 64 * MIB, spool_cb);
	struct evbuffer *out = evbuffer_new();
	uint64_t pos = 0;

	wrap_mode(WRAP_ENOSPC);
	assert_int_equal(append_pattern(sp, &pos, 100 * KIB), 0);
	wait_calls(1);
	assert_ptr_equal(f->last, sp);
	assert_string_equal(
	    wk_spool_error(sp), "spool: write: No space left on device");
	assert_false(wk_spool_busy(sp));
	assert_int_equal(append_pattern(sp, &pos, 10), -1);
	assert_int_equal(wk_spool_read(sp, out, 4096), -1);
	assert_int_equal(evbuffer_get_length(out), 0);
	assert_false(wk_spool_done(sp));
	spool_free(f);
	evbuffer_free(out);
	assert_true(run_until(no_fd_in_dir, f->dir, 5000));
}

/* A directory that cannot be made: the first byte past memory fails. */
static void
test_open_error(void **state)
{
	struct fixture *f = *state;
	const char *bad = "/proc/wk-spool-test/spool";
	struct wk_spool *sp = spool_new(f, bad, 64 * KIB, 64 * MIB, spool_cb);
	struct evbuffer *out = evbuffer_new();
	uint64_t pos = 0;
	const char *e;

	assert_int_equal(append_pattern(sp, &pos, 64 * KIB), 0);
	run_until(NULL, NULL, 50);
	assert_null(wk_spool_error(sp)); /* memory only: no file yet */
	assert_int_equal(append_pattern(sp, &pos, 1), 0);
	wait_calls(1);
	e = wk_spool_error(sp);
	assert_non_null(e);
	assert_true(strncmp(e, "spool: mkdir: ", 14) == 0 ||
	    strncmp(e, "spool: open: ", 13) == 0);
	assert_int_equal(append_pattern(sp, &pos, 1), -1);
	assert_int_equal(wk_spool_length(sp), 64 * KIB + 1);
	assert_int_equal(wk_spool_read(sp, out, 4096), -1);
	assert_int_equal(evbuffer_get_length(out), 0);
	spool_free(f);
	evbuffer_free(out);
}

/* The callback may free the spool. */
static void
free_cb(struct wk_spool *sp, void *arg)
{
	struct fixture *f = arg;

	f->calls++;
	spool_free(f);
}

static void
test_free_in_callback(void **state)
{
	struct fixture *f = *state;
	struct wk_spool *sp = spool_new(f, f->dir, 0, 64 * MIB, free_cb);
	uint64_t pos = 0;

	assert_int_equal(append_pattern(sp, &pos, 3 * MIB), 0);
	wait_calls(1);
	run_until(NULL, NULL, 100);
	assert_int_equal(f->calls, 1);
	assert_true(run_until(no_fd_in_dir, f->dir, 5000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_memory_only, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_past_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_odd_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_short_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_read_ahead, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hidden_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_while_reading, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_with_post_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_post_at_worker_free, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_open_error, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_in_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
