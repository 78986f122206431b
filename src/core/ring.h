/* src/core/ring.h: a byte ring over one buffer, filled by readv and drained
 * by writev without moving bytes. The tunnel relay keeps one per direction:
 * a buffer that can take a megabyte or more per system call moves bulk data
 * with far fewer wake-ups than a 64-slot splice pipe. */
#ifndef WK_CORE_RING_H
#define WK_CORE_RING_H

#include "core/wk.h"

#include <stddef.h>
#include <sys/uio.h>

struct wk_ring {
	char *buf;   /* NULL until wk_ring_alloc */
	size_t size; /* bytes in buf */
	size_t head; /* offset of the first byte held */
	size_t len;  /* bytes held */
};

/* The free space after the held bytes, as one or two iovecs (it may wrap).
 * Returns how many (0: full, or no buffer). */
int wk_ring_space(const struct wk_ring *r, struct iovec iov[2]);
/* The held bytes in order, as one or two iovecs. Returns how many. */
int wk_ring_data(const struct wk_ring *r, struct iovec iov[2]);
/* n bytes were written into the space wk_ring_space gave. */
void wk_ring_fill(struct wk_ring *r, size_t n);
/* n bytes of the data were sent; an empty ring starts again at offset 0,
 * so the next read gets the whole buffer as one iovec. */
void wk_ring_drain(struct wk_ring *r, size_t n);
/* Gives an empty ring a buffer of size bytes (replacing any it had);
 * wk_malloc's rule: no memory is an abort. */
void wk_ring_alloc(struct wk_ring *r, size_t size);
/* Frees the buffer and drops what it holds. */
void wk_ring_free(struct wk_ring *r);

#endif
