/* src/cookie/jar_store.h: the persistent cookies in SQLite (STATE_DIR/
 * wicket.db, doc/COOKIES-DB.md): a writer thread that commits queued changes
 * in batches off the event loops and reports other processes' edits, and
 * synchronous calls for the command line. */
#ifndef WK_COOKIE_JAR_STORE_H
#define WK_COOKIE_JAR_STORE_H

#include "core/wk.h"

#include "cookie/cookie.h"

/* PRAGMA user_version of the schema this code writes. */
#define WK_JAR_STORE_SCHEMA 1
/* Default flush and poll interval of the writer thread. */
#define WK_JAR_STORE_FLUSH_MS 500
/* Changes queued and not yet written, beyond which new ones are dropped
 * (and counted) rather than growing memory without bound. */
#define WK_JAR_STORE_QUEUE_MAX (1u << 20)

struct wk_jar_store;

/* Callbacks of the writer thread, called on that thread (not on a worker's
 * loop), one at a time. They may queue changes but must not call the
 * synchronous (*_now, for_each, load) functions of the same store. */
struct wk_jar_store_cbs {
	/* A row another process (the CLI, sqlite3) inserted or changed
	 * (deleted false), or deleted (deleted true: only name, domain and
	 * path are set). *c is borrowed for the call. NULL: not reported. */
	void (*external)(void *arg, const struct wk_cookie *c, bool deleted);
	/* After each commit: ops queued so far that are now in the database
	 * (queue calls are numbered 1, 2, ... in the order they returned).
	 * NULL: not reported. */
	void (*flushed)(void *arg, uint64_t ops_done);
	void *arg;
};

/* Counters, for the status page and tests. */
struct wk_jar_store_stats {
	uint64_t queued;   /* changes accepted by the queue calls */
	uint64_t written;  /* of those, committed */
	uint64_t dropped;  /* refused: queue full */
	uint64_t flushes;  /* transactions committed by the writer */
	uint64_t failures; /* flushes that failed (retried later) */
	uint64_t reloads;  /* external changes noticed */
	uint64_t external; /* rows reported to the external callback */
	uint64_t skipped;  /* rows not loadable (bad columns), last load */
};

/* Opens (creating it, mode 0600) the database at path: WAL, synchronous
 * NORMAL, a busy timeout, the schema created or checked. A group- or
 * world-accessible file is set back to 0600. Returns the store, or NULL
 * with a message in err. */
struct wk_jar_store *wk_jar_store_open(
    const char *path, char *err, size_t errlen);

/* Stops the writer (flushing) if started, closes the database and frees
 * st; NULL allowed. Sets st to NULL. */
void wk_jar_store_close_(struct wk_jar_store *st);
#define wk_jar_store_close(st)                                                 \
	do {                                                                   \
		wk_jar_store_close_(st);                                       \
		(st) = NULL;                                                   \
	} while (0)

/* Calls cb for every row (borrowed for the call) and remembers them as the
 * state the caller holds, so that the writer reports only later changes by
 * other processes. Call before wk_jar_store_start. Returns 0 or -1. */
int wk_jar_store_load(struct wk_jar_store *st,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg);

/* Starts the writer thread: every flush_ms (0: WK_JAR_STORE_FLUSH_MS) it
 * commits the queued changes in one transaction, then checks whether
 * another connection committed (PRAGMA data_version) and if so reloads the
 * rows and reports the differences through cbs->external. Without a prior
 * wk_jar_store_load the current rows are taken as known. cbs is copied;
 * NULL: no callbacks. Returns 0, or -1 (thread not started, or already
 * running). */
int wk_jar_store_start(struct wk_jar_store *st, unsigned flush_ms,
    const struct wk_jar_store_cbs *cbs);

/* Flushes what is queued and joins the writer thread. No-op if not
 * started. */
void wk_jar_store_stop(struct wk_jar_store *st);

/* Queue a change for the writer; thread-safe, never waits on SQLite
 * (only on a mutex held for a copy). The cookie's strings are copied. An
 * upsert of a session cookie (!persistent) deletes the stored row of that
 * key, since session cookies are never stored. Return 0, or -1 if the
 * queue is full (the change is dropped and counted). */
int wk_jar_store_queue_upsert(
    struct wk_jar_store *st, const struct wk_cookie *c);
int wk_jar_store_queue_delete(struct wk_jar_store *st, const char *domain,
    const char *path, const char *name);

/* Waits until everything queued before the call is committed, or
 * timeout_ms passed. Returns 0, or -1 on timeout or if not started. */
int wk_jar_store_sync(struct wk_jar_store *st, unsigned timeout_ms);

void wk_jar_store_get_stats(
    struct wk_jar_store *st, struct wk_jar_store_stats *out);

/* Synchronous calls (the command line, while the daemon may run): each is
 * its own transaction, seen by a running daemon within a second.
 * upsert_now of a session cookie deletes the row, as the queue does.
 * Return 0 or -1; delete_now and clear_now return the number of rows
 * deleted, or -1. */
int wk_jar_store_upsert_now(struct wk_jar_store *st, const struct wk_cookie *c);
int wk_jar_store_delete_now(struct wk_jar_store *st, const char *domain,
    const char *path, const char *name);
int wk_jar_store_clear_now(struct wk_jar_store *st);
/* Calls cb for every row, ordered by domain, path, name (borrowed for the
 * call). Returns 0 or -1. */
int wk_jar_store_for_each(struct wk_jar_store *st,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg);

/* The last error of the synchronous calls (or of open), for messages. */
const char *wk_jar_store_errmsg(struct wk_jar_store *st);

#endif
