/* tests/unit/test_ring.c: the relay's byte ring (src/core/ring.c): the
 * iovecs of its space and data at every wrap position, the restart at
 * offset 0 when it empties, and a long random run against a plain FIFO. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ring.h"

/* Copies src into the ring's space as readv would; returns bytes taken. */
static size_t
ring_put(struct wk_ring *r, const char *src, size_t n)
{
	struct iovec iov[2];
	int cnt = wk_ring_space(r, iov);
	size_t done = 0;

	for (int i = 0; i < cnt && done < n; i++) {
		size_t k =
		    iov[i].iov_len < n - done ? iov[i].iov_len : n - done;

		memcpy(iov[i].iov_base, src + done, k);
		done += k;
	}
	wk_ring_fill(r, done);
	return done;
}

/* Takes up to n bytes out as sendmsg would; returns bytes taken. */
static size_t
ring_get(struct wk_ring *r, char *dst, size_t n)
{
	struct iovec iov[2];
	int cnt = wk_ring_data(r, iov);
	size_t done = 0;

	for (int i = 0; i < cnt && done < n; i++) {
		size_t k =
		    iov[i].iov_len < n - done ? iov[i].iov_len : n - done;

		memcpy(dst + done, iov[i].iov_base, k);
		done += k;
	}
	wk_ring_drain(r, done);
	return done;
}

static void
test_empty_ring_has_no_space(void **state)
{
	struct wk_ring r = { 0 };
	struct iovec iov[2];

	(void)state;
	assert_int_equal(wk_ring_space(&r, iov), 0);
	assert_int_equal(wk_ring_data(&r, iov), 0);
	wk_ring_alloc(&r, 16);
	assert_int_equal(wk_ring_space(&r, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf);
	assert_int_equal(iov[0].iov_len, 16);
	assert_int_equal(wk_ring_data(&r, iov), 0);
	wk_ring_free(&r);
	assert_null(r.buf);
	assert_int_equal(r.size, 0);
}

static void
test_space_and_data_wrap(void **state)
{
	struct wk_ring r = { 0 };
	struct iovec iov[2];
	char out[16];

	(void)state;
	wk_ring_alloc(&r, 16);
	assert_int_equal(ring_put(&r, "abcdefghijkl", 12), 12);
	/* 4 free at the end, none at the start */
	assert_int_equal(wk_ring_space(&r, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf + 12);
	assert_int_equal(iov[0].iov_len, 4);
	assert_int_equal(ring_get(&r, out, 10), 10);
	assert_memory_equal(out, "abcdefghij", 10);
	/* data "kl" at 10..12; space 12..16 then 0..10 */
	assert_int_equal(wk_ring_space(&r, iov), 2);
	assert_ptr_equal(iov[0].iov_base, r.buf + 12);
	assert_int_equal(iov[0].iov_len, 4);
	assert_ptr_equal(iov[1].iov_base, r.buf);
	assert_int_equal(iov[1].iov_len, 10);
	assert_int_equal(ring_put(&r, "mnopqrst", 8), 8);
	/* data wraps: 10..16 then 0..4 */
	assert_int_equal(wk_ring_data(&r, iov), 2);
	assert_ptr_equal(iov[0].iov_base, r.buf + 10);
	assert_int_equal(iov[0].iov_len, 6);
	assert_ptr_equal(iov[1].iov_base, r.buf);
	assert_int_equal(iov[1].iov_len, 4);
	/* space is the one gap between the tail and the head */
	assert_int_equal(wk_ring_space(&r, iov), 1);
	assert_ptr_equal(iov[0].iov_base, r.buf + 4);
	assert_int_equal(iov[0].iov_len, 6);
	assert_int_equal(ring_put(&r, "uvwxyz!!", 8), 6);
	assert_int_equal(r.len, 16);
	assert_int_equal(wk_ring_space(&r, iov), 0);
	assert_int_equal(ring_get(&r, out, 16), 16);
	assert_memory_equal(out, "klmnopqrstuvwxyz", 16);
	wk_ring_free(&r);
}

static void
test_empty_ring_restarts_at_zero(void **state)
{
	struct wk_ring r = { 0 };
	struct iovec iov[2];
	char out[16];

	(void)state;
	wk_ring_alloc(&r, 16);
	assert_int_equal(ring_put(&r, "abcdefghij", 10), 10);
	assert_int_equal(ring_get(&r, out, 10), 10);
	assert_int_equal(r.head, 0);
	/* the whole buffer is one iovec again: one read can fill it */
	assert_int_equal(wk_ring_space(&r, iov), 1);
	assert_int_equal(iov[0].iov_len, 16);
	/* and an empty ring can take a bigger buffer */
	wk_ring_alloc(&r, 64);
	assert_int_equal(r.size, 64);
	assert_int_equal(wk_ring_space(&r, iov), 1);
	assert_int_equal(iov[0].iov_len, 64);
	wk_ring_free(&r);
}

/* Random puts and gets of random sizes against a plain FIFO: every byte
 * comes out once, in order, whatever the wrap positions. */
static void
test_random_against_fifo(void **state)
{
	enum { TOTAL = 1 << 20 };
	struct wk_ring r = { 0 };
	char *in = malloc(TOTAL), *out = malloc(TOTAL), chunk[97];
	size_t put = 0, got = 0;
	unsigned seed = 12345;

	(void)state;
	for (size_t i = 0; i < TOTAL; i++)
		in[i] = (char)(rand_r(&seed) & 0xff);
	wk_ring_alloc(&r, 61);
	while (got < TOTAL) {
		size_t n = (size_t)rand_r(&seed) % sizeof(chunk) + 1;

		if (rand_r(&seed) & 1) {
			if (n > TOTAL - put)
				n = TOTAL - put;
			put += ring_put(&r, in + put, n);
		} else {
			size_t k = ring_get(&r, chunk, n);

			memcpy(out + got, chunk, k);
			got += k;
		}
		assert_true(r.len == put - got);
		assert_true(r.len <= r.size);
	}
	assert_memory_equal(in, out, TOTAL);
	wk_ring_free(&r);
	free(in);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_ring_has_no_space),
		cmocka_unit_test(test_space_and_data_wrap),
		cmocka_unit_test(test_empty_ring_restarts_at_zero),
		cmocka_unit_test(test_random_against_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
