/* src/core/spare.c: a bounded, shared list of spare buffers (spare.h). */
#include "core/wk.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/spare.h"

void *
wk_spare_get(struct wk_spare *sp)
{
	void *p;

	pthread_mutex_lock(&sp->mu);
	p = sp->head;
	if (p != NULL) {
		sp->head = *(void **)p;
		sp->n--;
	}
	pthread_mutex_unlock(&sp->mu);
	return p != NULL ? p : wk_malloc(sp->size);
}

void
wk_spare_put(struct wk_spare *sp, void *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&sp->mu);
	if (sp->n < sp->max) {
		*(void **)p = sp->head;
		sp->head = p;
		sp->n++;
		p = NULL;
	}
	pthread_mutex_unlock(&sp->mu);
	free(p);
}

void
wk_spare_drain(struct wk_spare *sp)
{
	void *p;

	pthread_mutex_lock(&sp->mu);
	p = sp->head;
	sp->head = NULL;
	sp->n = 0;
	pthread_mutex_unlock(&sp->mu);
	while (p != NULL) {
		void *next = *(void **)p;

		free(p);
		p = next;
	}
}

size_t
wk_spare_count(struct wk_spare *sp)
{
	size_t n;

	pthread_mutex_lock(&sp->mu);
	n = sp->n;
	pthread_mutex_unlock(&sp->mu);
	return n;
}
