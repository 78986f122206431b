/* tests/fuzz/fuzz_conf.c: libFuzzer target for the config lexer and parser.
 * Includes are disabled so fuzz input never reads the filesystem. A config
 * that parses must dump to text that parses back to the same dump. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf-int.h"
#include "config/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Dumps c into a new string (caller frees). */
static char *
fuzz_dump(const struct wk_config *c, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);

	if (f == NULL)
		abort();
	wk_conf_dump(c, f);
	fclose(f);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct wk_config *c, *again;
	char *d1, *d2;
	size_t l1, l2;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	c = wk_conf_parse_flags("fuzz.conf", (const char *)data, size,
	    WK_CONF_F_NO_INCLUDE, NULL, devnull);
	if (c == NULL)
		return 0;
	d1 = fuzz_dump(c, &l1);
	again = wk_conf_parse_flags("dump.conf", d1, l1, WK_CONF_F_NO_INCLUDE,
	    NULL, stderr);
	if (again == NULL)
		abort(); /* the dump does not parse */
	d2 = fuzz_dump(again, &l2);
	if (l1 != l2 || memcmp(d1, d2, l1) != 0) {
		fprintf(stderr, "dump 1:\n%s\ndump 2:\n%s\n", d1, d2);
		abort(); /* the dump is not a fixed point */
	}
	free(d1);
	free(d2);
	wk_conf_unref(again);
	wk_conf_unref(c);
	return 0;
}
