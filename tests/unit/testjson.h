/* tests/unit/testjson.h: a small JSON reader for the conformance files
 * in WK_TESTDATA (tests only). */
#ifndef WK_TESTS_TESTJSON_H
#define WK_TESTS_TESTJSON_H

#include "core/wk.h"

enum tj_type {
	TJ_NULL = 0, /* null (also true/false/numbers: unused here) */
	TJ_STR,	     /* string (s, len: decoded UTF-8) */
	TJ_ARR,	     /* array (kids) */
	TJ_OBJ	     /* object (kids, keys) */
};

struct tj {
	enum tj_type type;
	char *s;
	size_t len;
	struct tj *kids;
	char **keys;
	size_t n;
};

/* The member key of object o, or NULL. */
const struct tj *tj_get(const struct tj *o, const char *key);
void tj_free(struct tj *v);
/* Reads and parses WK_TESTDATA/rel; false (test skipped) without data. */
bool tj_load(const char *rel, struct tj *root);

#endif
