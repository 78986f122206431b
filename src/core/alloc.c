/* src/core/alloc.c: allocation wrappers that abort on OOM. */
#include "core/wk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

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
