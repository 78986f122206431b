/* src/core/alloc.c: allocation wrappers that abort on OOM. */
#include "core/wk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

static void
alloc_die(size_t n)
{
	fprintf(stderr, "wicket: out of memory (%zu bytes)\n", n);
	abort();
}

void *
wk_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		alloc_die(n);
	return p;
}

void *
wk_calloc(size_t nmemb, size_t n)
{
	void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);

	if (p == NULL)
		alloc_die(nmemb * n);
	return p;
}

void *
wk_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		alloc_die(n);
	return q;
}

char *
wk_strndup(const char *s, size_t n)
{
	char *p = wk_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
wk_strdup(const char *s)
{
	return wk_strndup(s, strlen(s));
}

char *
wk_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		alloc_die(0);
	return p;
}

/* glibc's defaults map every block over 128 KiB on its own, then raise
 * that bound to the largest block freed, and trim a heap as soon as
 * twice that is free at its top. A decoding hands 1 MiB blocks from a
 * pool thread to a worker, and a brotli stream holds a ring buffer of up
 * to 16 MiB: with the defaults their pages go back to the system and are
 * faulted in again, tens of thousands of page faults per GiB (each a few
 * to tens of microseconds in a virtual machine: the first 1 GiB br
 * download took 1.6x as long as the next). Fixed bounds keep them. */
void
wk_alloc_tune(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
	const char *t = getenv("GLIBC_TUNABLES");

	if (t != NULL && strstr(t, "glibc.malloc.") != NULL)
		return;
	(void)mallopt(M_MMAP_THRESHOLD, (int)WK_ALLOC_MMAP_MAX);
	(void)mallopt(M_TRIM_THRESHOLD, (int)WK_ALLOC_KEEP);
#endif
}
