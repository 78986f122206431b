/* src/sys/spool.h: a body held back before it is sent (a chunked upload
 * for an HTTP/1.0 origin, which needs its Content-Length first): kept in
 * memory up to a bound, then in an unlinked temporary file that a disk
 * thread writes and reads, so a worker's loop never touches the disk. */
#ifndef WK_SYS_SPOOL_H
#define WK_SYS_SPOOL_H

#include "core/wk.h"

#include <sys/types.h>

struct evbuffer;
struct wk_worker;
struct wk_spool;

/* Called on the owning worker's loop when the spool has news: queued
 * writes drained to the bound (append more), read-back data arrived
 * (call wk_spool_read again), or an I/O error happened
 * (wk_spool_error() then says what). Never called after wk_spool_free();
 * the callback may free the spool. */
typedef void (*wk_spool_cb)(struct wk_spool *sp, void *arg);

/* A spool owned by worker w (used on w's loop only): the first mem_max
 * bytes stay in memory, the rest go to a temporary file in dir (created
 * 0700 if missing; the file is O_TMPFILE or unlinked at once, mode 0600),
 * opened on the disk thread when the first byte past mem_max arrives; more
 * than max bytes in all is refused. dir is copied. The service must run. */
struct wk_spool *wk_spool_new(struct wk_worker *w, const char *dir,
    size_t mem_max, uint64_t max, wk_spool_cb cb, void *arg);
/* Frees it (NULL allowed); jobs in flight on the disk thread and posts
 * queued on the worker are abandoned safely (the callback is never called
 * after this; the file is closed when the last of them is done). */
void wk_spool_free(struct wk_spool *sp);

/* Takes every byte of data (data is drained). Returns 0, or -1 when the
 * total would pass max or after an I/O error (nothing is taken then).
 * Appending after the first wk_spool_read() is a bug. */
int wk_spool_append(struct wk_spool *sp, struct evbuffer *data);
/* Bytes appended in all. */
uint64_t wk_spool_length(const struct wk_spool *sp);
/* True while more than the bound (1 MiB) waits for the disk thread: the
 * caller stops reading its source until the callback, which is posted
 * once when the queue is back to the bound. */
bool wk_spool_busy(const struct wk_spool *sp);

/* After the last append (the first call ends appending): moves up to max
 * bytes, in order from the start, into out. Returns the number of bytes
 * moved; 0 means wait for the callback (the disk thread is reading),
 * unless wk_spool_done(); -1 on an I/O error. File bytes are read ahead
 * in 256 KiB blocks while the caller sends the previous ones. */
ssize_t wk_spool_read(struct wk_spool *sp, struct evbuffer *out, size_t max);
/* Every byte has been read back (true at once for an empty spool). */
bool wk_spool_done(const struct wk_spool *sp);
/* What failed, after -1 or an error callback, e.g. "spool: write: No
 * space left on device"; NULL if nothing did. */
const char *wk_spool_error(const struct wk_spool *sp);

/* The disk thread, shared by all workers: started by main before the
 * workers, stopped after them (joins the thread; jobs still queued are
 * dropped). Returns 0, or -1 if the thread cannot be started. */
int wk_spool_service_start(void);
void wk_spool_service_stop(void);

#endif
