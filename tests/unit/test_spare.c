/* tests/unit/test_spare.c: the shared spare-buffer list (src/core/spare.c):
 * last given back, first taken; never more than its bound kept (the rest
 * freed: LeakSanitizer checks that under ASan); a buffer given back by one
 * thread is the one another thread takes next; two threads at once. */
#include "core/wk.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/spare.h"

#define SIZE 4096
#define MAX 4

static void
test_last_first(void **state)
{
	struct wk_spare sp = WK_SPARE_INIT(SIZE, MAX);
	void *a, *b, *c;

	(void)state;
	a = wk_spare_get(&sp);
	b = wk_spare_get(&sp);
	c = wk_spare_get(&sp);
	assert_non_null(a);
	assert_true(a != b && b != c && a != c);
	memset(a, 0xa5, SIZE); /* the whole size is there */
	assert_int_equal(wk_spare_count(&sp), 0);
	wk_spare_put(&sp, a);
	wk_spare_put(&sp, b);
	wk_spare_put(&sp, c);
	assert_int_equal(wk_spare_count(&sp), 3);
	assert_ptr_equal(wk_spare_get(&sp), c);
	assert_ptr_equal(wk_spare_get(&sp), b);
	assert_ptr_equal(wk_spare_get(&sp), a);
	assert_int_equal(wk_spare_count(&sp), 0);
	wk_spare_put(&sp, a);
	wk_spare_put(&sp, b);
	wk_spare_put(&sp, c);
	wk_spare_drain(&sp);
	assert_int_equal(wk_spare_count(&sp), 0);
}

static void
test_bound(void **state)
{
	struct wk_spare sp = WK_SPARE_INIT(SIZE, MAX);
	void *p[MAX + 3];

	(void)state;
	for (size_t i = 0; i < MAX + 3; i++)
		p[i] = wk_spare_get(&sp);
	for (size_t i = 0; i < MAX + 3; i++) {
		wk_spare_put(&sp, p[i]);
		assert_int_equal(wk_spare_count(&sp), i < MAX ? i + 1 : MAX);
	}
	wk_spare_put(&sp, NULL); /* nothing */
	assert_int_equal(wk_spare_count(&sp), MAX);
	/* the kept ones are the first MAX given back, the last of them on top
	 */
	assert_ptr_equal(wk_spare_get(&sp), p[MAX - 1]);
	wk_spare_put(&sp, p[MAX - 1]);
	wk_spare_drain(&sp);
}

struct across {
	struct wk_spare *sp;
	void *got;
};

static void *
take_one(void *arg)
{
	struct across *a = arg;

	a->got = wk_spare_get(a->sp);
	return NULL;
}

static void
test_across_threads(void **state)
{
	struct wk_spare sp = WK_SPARE_INIT(SIZE, MAX);
	struct across a = { &sp, NULL };
	pthread_t t;
	void *mine;

	(void)state;
	mine = wk_spare_get(&sp);
	wk_spare_put(&sp, mine);
	assert_int_equal(pthread_create(&t, NULL, take_one, &a), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_ptr_equal(a.got, mine);
	wk_spare_put(&sp, a.got);
	wk_spare_drain(&sp);
}

#define ROUNDS 20000

struct churner {
	struct wk_spare *sp;
	unsigned clobbered; /* buffers another thread wrote into while ours */
};

/* cmocka's asserts are for the test's own thread: this one counts */
static void *
churn(void *arg)
{
	struct churner *c = arg;
	void *held[3] = { NULL, NULL, NULL };

	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned k = i % 3;

		if (held[k] != NULL) {
			if (((unsigned char *)held[k])[SIZE - 1] !=
			    (unsigned char)k)
				c->clobbered++;
			wk_spare_put(c->sp, held[k]);
		}
		held[k] = wk_spare_get(c->sp);
		((unsigned char *)held[k])[SIZE - 1] = (unsigned char)k;
	}
	for (unsigned k = 0; k < 3; k++)
		wk_spare_put(c->sp, held[k]);
	return NULL;
}

static void
test_two_threads(void **state)
{
	struct wk_spare sp = WK_SPARE_INIT(SIZE, MAX);
	struct churner c[2] = { { &sp, 0 }, { &sp, 0 } };
	pthread_t t[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, &c[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	/* nobody else wrote into a buffer while it was held */
	assert_int_equal(c[0].clobbered, 0);
	assert_int_equal(c[1].clobbered, 0);
	assert_true(wk_spare_count(&sp) <= MAX);
	assert_true(wk_spare_count(&sp) >= 3); /* both gave their last back */
	wk_spare_drain(&sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_first),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_across_threads),
		cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
