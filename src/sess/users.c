/* src/sess/users.c: the users file and password checks. One helper
 * thread runs the slow hashes (and reads the file, so no disk I/O happens
 * on a worker's loop); answers go back through wk_worker_post. */
#include "core/wk.h"

#include <sys/stat.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/thread.h"
#include "log/log.h"
#include "sess/users.h"
#include "worker/worker.h"

#define USERS_LINE_MAX 1024
#define USERS_QUEUE_MAX 256 /* pending checks before new ones fail */

struct wk_users_check {
	struct wk_users_check *next; /* in the helper's queue */
	struct wk_worker *w;
	char *path;
	char user[256];
	char pass[256];
	bool ok;
	bool cancelled; /* touched on the worker's thread only */
	wk_users_cb cb;
	void *arg;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stop;
	struct wk_users_check *head, *tail;
	size_t n;
} U = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

/* Compares without an early exit, so timing says nothing. */
static bool
users_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Finds user's hash in path; returns 1 found, 0 not, -1 file error. */
static int
users_lookup(const char *path, const char *user, char *hash, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[USERS_LINE_MAX];
	size_t ulen = strlen(user);
	int found = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, user, ulen) == 0 && line[ulen] == ':') {
			snprintf(hash, len, "%s", line + ulen + 1);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

int
wk_users_verify(const char *path, const char *user, const char *pass)
{
	/* a hash of the right shape to spend the same time on unknown users */
	static const char dummy[] =
	    "$y$j9T$4bB0Bvm4K0J7Gv2kG0pBL.$"
	    "p4XoNw6J1Ec6vz4sD4d2W4uU8q0oJqgFZ8Z5a6Yc3hD";
	struct crypt_data *cd = wk_calloc(1, sizeof(*cd));
	char hash[USERS_LINE_MAX];
	const char *out;
	int found, rc;

	found = users_lookup(path, user, hash, sizeof(hash));
	if (found < 0) {
		free(cd);
		return -1;
	}
	out = crypt_r(pass, found ? hash : dummy, cd);
	rc = found && out != NULL && out[0] != '*' && users_equal(out, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

static void
users_done(void *arg)
{
	struct wk_users_check *c = arg;

	if (!c->cancelled)
		c->cb(c->ok, c->arg);
	free(c->path);
	free(c);
}

static void *
users_main(void *arg)
{
	(void)arg;
	wk_thread_name("wk-passwords", -1);
	pthread_mutex_lock(&U.mu);
	for (;;) {
		struct wk_users_check *c;
		int rc;

		while (!U.stop && U.head == NULL)
			pthread_cond_wait(&U.cv, &U.mu);
		if (U.stop)
			break;
		c = U.head;
		U.head = c->next;
		if (U.head == NULL)
			U.tail = NULL;
		U.n--;
		pthread_mutex_unlock(&U.mu);

		rc = wk_users_verify(c->path, c->user, c->pass);
		if (rc < 0)
			wk_log_warn("cannot read the users file %s", c->path);
		c->ok = rc == 1;
		explicit_bzero(c->pass, sizeof(c->pass));
		wk_worker_post(c->w, users_done, c);

		pthread_mutex_lock(&U.mu);
	}
	pthread_mutex_unlock(&U.mu);
	return NULL;
}

struct wk_users_check *
wk_users_check_start(struct wk_worker *w, const char *path, const char *user,
    const char *pass, wk_users_cb cb, void *arg)
{
	struct wk_users_check *c = wk_calloc(1, sizeof(*c));
	bool full;

	c->w = w;
	c->path = wk_strdup(path);
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->pass, sizeof(c->pass), "%s", pass);
	c->cb = cb;
	c->arg = arg;
	pthread_mutex_lock(&U.mu);
	if (!U.running &&
	    pthread_create(&U.thread, NULL, users_main, NULL) == 0)
		U.running = true;
	full = !U.running || U.n >= USERS_QUEUE_MAX;
	if (!full) {
		if (U.tail != NULL)
			U.tail->next = c;
		else
			U.head = c;
		U.tail = c;
		U.n++;
		pthread_cond_signal(&U.cv);
	}
	pthread_mutex_unlock(&U.mu);
	if (full) {
		/* too many at once: refuse rather than queue without end */
		explicit_bzero(c->pass, sizeof(c->pass));
		c->ok = false;
		wk_worker_post(w, users_done, c);
	}
	return c;
}

void
wk_users_check_cancel(struct wk_users_check *c)
{
	c->cancelled = true; /* users_done frees it */
}

void
wk_users_shutdown(void)
{
	pthread_mutex_lock(&U.mu);
	if (!U.running) {
		pthread_mutex_unlock(&U.mu);
		return;
	}
	U.stop = true;
	pthread_cond_signal(&U.cv);
	pthread_mutex_unlock(&U.mu);
	pthread_join(U.thread, NULL);
	while (U.head != NULL) {
		struct wk_users_check *c = U.head;
		U.head = c->next;
		free(c->path);
		free(c);
	}
	U.tail = NULL;
	U.running = false;
}

int
wk_users_set(const char *path, const char *user, const char *pass, char *err,
    size_t errlen)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], line[USERS_LINE_MAX];
	struct crypt_data *cd;
	const char *hash;
	char *tmp;
	FILE *in, *out;
	int fd, rc = -1;
	size_t ulen = strlen(user);

	if (ulen == 0 || ulen > 255 || strpbrk(user, ":\r\n") != NULL) {
		snprintf(err, errlen,
		    "a user name is 1 to 255 bytes, without "
		    "':' or line breaks");
		return -1;
	}
	if (strlen(pass) > 255) {
		snprintf(err, errlen,
		    "a password is at most 255 bytes "
		    "(the SOCKS5 limit)");
		return -1;
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		snprintf(
		    err, errlen, "cannot make a salt: %s", strerror(errno));
		return -1;
	}
	cd = wk_calloc(1, sizeof(*cd));
	hash = crypt_r(pass, salt, cd);
	if (hash == NULL || hash[0] == '*') {
		snprintf(err, errlen, "cannot hash the password");
		free(cd);
		return -1;
	}
	tmp = wk_asprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto done;
	}
	/* keep every other user's line */
	if ((in = fopen(path, "re")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL) {
			if (strncmp(line, user, ulen) == 0 && line[ulen] == ':')
				continue;
			fputs(line, out);
		}
		fclose(in);
	}
	fprintf(out, "%s:%s\n", user, hash);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(out);
		unlink(tmp);
		goto done;
	}
	fclose(out);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(tmp);
	return rc;
}
