/* tests/unit/test_alloc.c: the allocator settings of wk_alloc_tune keep
 * large blocks' pages across free and malloc (no page faults to get them
 * back), as a decoding's blocks and ring buffers need. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/resource.h>

#include "core/alloc.h"

#define MIB (1u << 20)
#define PAGE 4096u

static long
minor_faults(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

static void
touch(char *p, size_t n)
{
	for (size_t i = 0; i < n; i += PAGE)
		p[i] = (char)i;
}

/* One round as a decoding makes it: a 4 MiB ring buffer and four 1 MiB
 * output blocks, written, then all freed. glibc's defaults map the ring
 * buffer anew each round (it is over the raised mmap bound) and trim the
 * blocks' pages once more than 2 MiB are free: a thousand faults or more a
 * round. */
static void
decode_round(void)
{
	char *ring = malloc(4 * MIB), *blk[4];

	assert_non_null(ring);
	touch(ring, 4 * MIB);
	for (int i = 0; i < 4; i++) {
		blk[i] = malloc(MIB + 64);
		assert_non_null(blk[i]);
		touch(blk[i], MIB + 64);
	}
	for (int i = 0; i < 4; i++)
		free(blk[i]);
	free(ring);
}

static void
test_large_blocks_keep_their_pages(void **state)
{
	long before, faults;
	const long pages = 20 * (8 * MIB / PAGE);

	(void)state;
	wk_alloc_tune();
	decode_round(); /* the first round maps the pages once */
	before = minor_faults();
	for (int i = 0; i < 20; i++)
		decode_round();
	faults = minor_faults() - before;
	print_message("%ld page faults in 20 rounds (%ld pages written)\n",
	    faults, pages);
	assert_true(faults < pages / 20);
}

int
main(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer has an allocator of its own: nothing to count */
	printf("1..0 # SKIP built with AddressSanitizer\n");
	return 0;
#endif
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_blocks_keep_their_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
