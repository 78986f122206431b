/* src/core/ring.c: see ring.h. */
#include "core/wk.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/bug.h"
#include "core/ring.h"

int
wk_ring_space(const struct wk_ring *r, struct iovec iov[2])
{
	size_t tail, n = 0;

	if (r->buf == NULL || r->len == r->size)
		return 0;
	tail = (r->head + r->len) % r->size;
	if (tail >= r->head) {
		/* [tail, size) then [0, head) */
		iov[n].iov_base = r->buf + tail;
		iov[n++].iov_len = r->size - tail;
		if (r->head > 0) {
			iov[n].iov_base = r->buf;
			iov[n++].iov_len = r->head;
		}
	} else {
		iov[n].iov_base = r->buf + tail;
		iov[n++].iov_len = r->head - tail;
	}
	return (int)n;
}

int
wk_ring_data(const struct wk_ring *r, struct iovec iov[2])
{
	size_t first;

	if (r->len == 0)
		return 0;
	first = r->size - r->head;
	if (first >= r->len) {
		iov[0].iov_base = r->buf + r->head;
		iov[0].iov_len = r->len;
		return 1;
	}
	iov[0].iov_base = r->buf + r->head;
	iov[0].iov_len = first;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = r->len - first;
	return 2;
}

void
wk_ring_fill(struct wk_ring *r, size_t n)
{
	WK_BUG_ON(n > r->size - r->len);
	r->len += n;
}

void
wk_ring_drain(struct wk_ring *r, size_t n)
{
	WK_BUG_ON(n > r->len);
	r->len -= n;
	r->head = r->len == 0 ? 0 : (r->head + n) % r->size;
}

void
wk_ring_alloc(struct wk_ring *r, size_t size)
{
	WK_BUG_ON(r->len != 0 || size == 0);
	free(r->buf);
	r->buf = wk_malloc(size);
	r->size = size;
	r->head = 0;
}

void
wk_ring_free(struct wk_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = 0;
	r->head = r->len = 0;
}
