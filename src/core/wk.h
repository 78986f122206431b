/* src/core/wk.h: first include of every wicket source file. */
#ifndef WK_CORE_WK_H
#define WK_CORE_WK_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Internals visible to unit tests (Tor STATIC, curl UNITTEST). */
#ifdef WK_UNIT_TESTS
#define WK_STATIC
#else
#define WK_STATIC static
#endif

#define WK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define WK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WK_MAX(a, b) ((a) > (b) ? (a) : (b))
#define WK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WK_UNUSED __attribute__((unused))

/* Results of every incremental parser (Tor socks_result_t). */
enum wk_parse_res {
	WK_PARSE_ERROR = -1,	/* input is malformed; see the parser's error */
	WK_PARSE_NEED_MORE = 0, /* all input consumed, more is needed */
	WK_PARSE_DONE = 1	/* a complete unit was parsed */
};

#endif
