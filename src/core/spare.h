/* src/core/spare.h: a bounded list of spare buffers of one size, shared by
 * threads. A buffer made on one thread and freed on another goes back to
 * the allocator arena of the thread that made it; buffers that go round
 * through a list instead are reused wherever they are needed, the last one
 * given back first (the one most likely still in a cache). */
#ifndef WK_CORE_SPARE_H
#define WK_CORE_SPARE_H

#include "core/wk.h"

#include <pthread.h>
#include <stddef.h>

struct wk_spare {
	pthread_mutex_t mu;
	void *head;  /* the list, linked through each buffer's first bytes */
	size_t n;    /* buffers on it */
	size_t max;  /* it keeps no more; the rest are freed */
	size_t size; /* bytes per buffer (at least a pointer's) */
};

#define WK_SPARE_INIT(size_, max_)                                             \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, NULL, 0, (max_), (size_)            \
	}

/* A buffer of sp->size bytes: a spare one, or a new one. */
void *wk_spare_get(struct wk_spare *sp);
/* p (from wk_spare_get, or NULL) back onto the list, or freed if it is
 * full. */
void wk_spare_put(struct wk_spare *sp, void *p);
/* Frees the spares (tests; the daemon's lists live as long as it). */
void wk_spare_drain(struct wk_spare *sp);
/* Buffers on the list now. */
size_t wk_spare_count(struct wk_spare *sp);

#endif
