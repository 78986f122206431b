/* src/core/thread.h: each of wicket's threads names itself, so that
 * top -H, ps -L, perf and gdb tell the workers from the helpers. */
#ifndef WK_CORE_THREAD_H
#define WK_CORE_THREAD_H

#include "core/wk.h"

#include <pthread.h>
#include <stdio.h>

/* base, then "-index" unless index < 0; Linux keeps 15 bytes. */
static inline void
wk_thread_name(const char *base, int index)
{
	char name[16];

	if (index < 0)
		snprintf(name, sizeof(name), "%.15s", base);
	else
		snprintf(name, sizeof(name), "%.10s-%u", base,
		    (unsigned)index % 1000u);
	(void)pthread_setname_np(pthread_self(), name);
}

#endif
