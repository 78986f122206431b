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

/* Sets the C library's allocator for a daemon that moves large blocks
 * between threads: blocks up to WK_ALLOC_MMAP_MAX come from the heap, and
 * a heap keeps up to WK_ALLOC_KEEP free at its top instead of giving it
 * back to the system at once. A setting in GLIBC_TUNABLES wins. */
#define WK_ALLOC_MMAP_MAX (32u << 20)
#define WK_ALLOC_KEEP (32u << 20)
void wk_alloc_tune(void);

/* Frees p (NULL allowed) and sets it to NULL. */
#define wk_free(p)                                                             \
	do {                                                                   \
		free(p);                                                       \
		(p) = NULL;                                                    \
	} while (0)

#endif
