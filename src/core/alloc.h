/* src/core/alloc.h: allocation that never returns NULL (aborts on OOM). */
#ifndef WK_CORE_ALLOC_H
#define WK_CORE_ALLOC_H

#include "core/wk.h"

void *wk_malloc(size_t n);
void *wk_calloc(size_t nmemb, size_t n);
void *wk_realloc(void *p, size_t n);
char *wk_strdup(const char *s);
char *wk_strndup(const char *s, size_t n);
char *wk_asprintf(const char *fmt, ...) WK_PRINTF(1, 2);

/* Frees p (NULL allowed) and sets it to NULL. */
#define wk_free(p)                                                             \
	do {                                                                   \
		free(p);                                                       \
		(p) = NULL;                                                    \
	} while (0)

#endif
