/* src/sys/workq.h: CPU-heavy work off the event loops (decoding large
 * bodies): a few threads; a worker's jobs go to one of them (worker id
 * modulo threads) and run in the order they came; each job's done
 * function then runs on the loop of the worker that submitted it. */
#ifndef WK_SYS_WORKQ_H
#define WK_SYS_WORKQ_H

#include "core/wk.h"

struct wk_worker;

/* Starts n threads (main, before the workers). Returns 0 or -1. */
int wk_workq_start(unsigned n);
/* Runs what is queued, then joins the threads (after the workers have
 * stopped, before they are freed: every done function is posted). */
void wk_workq_stop(void);

/* Runs run(arg) on a pool thread, then done(arg) on w's loop. Returns -1
 * when the pool is not running (the caller does the work itself). run must
 * touch only what the job owns; done may find its owner gone. */
int wk_workq_submit(struct wk_worker *w, void (*run)(void *arg),
    void (*done)(void *arg), void *arg);

#endif
