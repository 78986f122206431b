/* src/core/bug.h: assertions for our own bugs, never for bad input. */
#ifndef WK_CORE_BUG_H
#define WK_CORE_BUG_H

#include <stdio.h>
#include <stdlib.h>

/* Crashes: the program state is known to be wrong. */
#define WK_BUG_ON(cond)                                                        \
	do {                                                                   \
		if (cond) {                                                    \
			fprintf(stderr, "BUG at %s:%d: %s\n", __FILE__,        \
			    __LINE__, #cond);                                  \
			abort();                                               \
		}                                                              \
	} while (0)

#endif
