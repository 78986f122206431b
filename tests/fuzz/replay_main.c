/* tests/fuzz/replay_main.c: run a libFuzzer harness over saved inputs, without
 * libFuzzer, so `make check` replays every seed corpus as a TAP test.
 *
 *	replay_NAME [FILE|DIR]...
 *
 * Every FILE, and every regular file directly inside each DIR (sorted), is read
 * into a buffer of exactly its size and passed to LLVMFuzzerTestOneInput().
 * With no argument, the corpus is $WK_TOP_SRCDIR/tests/fuzz/corpus/NAME, NAME
 * being this program's name without its "replay_" prefix. One TAP line per
 * input; a crash or a failed assertion ends the run early, which the TAP
 * driver reports as an error. */
#include "core/wk.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX_INPUT (64u * 1024 * 1024)

struct replay_list {
	char **paths;
	size_t len;
	size_t cap;
};

static void
replay_list_add(struct replay_list *l, const char *path)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **p = realloc(l->paths, cap * sizeof(*p));

		if (p == NULL) {
			perror("replay: realloc");
			exit(99);
		}
		l->paths = p;
		l->cap = cap;
	}
	l->paths[l->len] = strdup(path);
	if (l->paths[l->len] == NULL) {
		perror("replay: strdup");
		exit(99);
	}
	l->len++;
}

static int
replay_skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Adds FILE, or the regular files inside DIR. Returns -1 if unreadable. */
static int
replay_collect(struct replay_list *l, const char *arg)
{
	struct dirent **ents;
	struct stat st;
	int i, n;

	if (stat(arg, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_list_add(l, arg);
		return 0;
	}
	n = scandir(arg, &ents, replay_skip_dot, alphasort);
	if (n == -1) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		int len =
		    snprintf(path, sizeof(path), "%s/%s", arg, ents[i]->d_name);

		if (len > 0 && (size_t)len < sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			replay_list_add(l, path);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* Reads PATH into a buffer of exactly its size (so ASan sees overreads). */
static uint8_t *
replay_read(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) < 0 ||
	    (unsigned long)size > REPLAY_MAX_INPUT || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(size ? (size_t)size : 1);
	if (buf == NULL)
		goto out;
	if (size && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	*lenp = (size_t)size;
out:
	fclose(f);
	return buf;
}

/* The name shown in TAP lines: from "corpus/" on, if there. */
static const char *
replay_label(const char *path)
{
	const char *c = strstr(path, "corpus/");

	return c ? c + 7 : path;
}

/* "replay_http_parse" -> $WK_TOP_SRCDIR/tests/fuzz/corpus/http_parse */
static int
replay_default_corpus(const char *argv0, char *out, size_t outlen)
{
	const char *top = getenv("WK_TOP_SRCDIR");
	const char *base = strrchr(argv0, '/');
	int len;

	base = base ? base + 1 : argv0;
	if (strncmp(base, "replay_", 7) == 0)
		base += 7;
	if (top == NULL || *top == '\0')
		top = ".";
	len = snprintf(out, outlen, "%s/tests/fuzz/corpus/%s", top, base);
	return len > 0 && (size_t)len < outlen ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct replay_list list = { NULL, 0, 0 };
	char corpus[4096];
	int failed = 0;
	size_t i;
	int a;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);

	if (argc < 2) {
		struct stat st;

		if (replay_default_corpus(argv[0], corpus, sizeof(corpus)) ==
		    -1) {
			printf("Bail out! corpus path too long\n");
			return 99;
		}
		if (stat(corpus, &st) == -1) {
			printf("1..0 # SKIP no corpus at %s\n", corpus);
			return 0;
		}
		if (replay_collect(&list, corpus) == -1)
			failed = 1;
	}
	for (a = 1; a < argc; a++)
		if (replay_collect(&list, argv[a]) == -1)
			failed = 1;
	if (failed) {
		printf("Bail out! cannot read the inputs\n");
		return 99;
	}
	if (list.len == 0) {
		printf("1..0 # SKIP empty corpus\n");
		return 0;
	}

	printf("1..%zu\n", list.len);
	fflush(stdout);
	for (i = 0; i < list.len; i++) {
		size_t len = 0;
		uint8_t *buf = replay_read(list.paths[i], &len);

		if (buf == NULL) {
			printf("not ok %zu - %s (unreadable)\n", i + 1,
			    replay_label(list.paths[i]));
			failed = 1;
		} else {
			/* A crash here leaves the plan short: the driver
			 * reports it, and stderr names the input. */
			fprintf(stderr, "replay: %s (%zu bytes)\n",
			    list.paths[i], len);
			LLVMFuzzerTestOneInput(buf, len);
			free(buf);
			printf("ok %zu - %s\n", i + 1,
			    replay_label(list.paths[i]));
		}
		fflush(stdout);
		free(list.paths[i]);
	}
	free(list.paths);
	return failed;
}
