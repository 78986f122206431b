/* src/cookie/jar_store.c: the persistent cookies in SQLite, the only SQLite
 * user. Workers queue changes under a mutex; a writer thread commits them in
 * one transaction per flush and polls PRAGMA data_version, which changes
 * only when another connection commits, to follow edits by other processes.
 * A snapshot of (key, row hash) for every row, kept up to date with the
 * writer's own commits, turns a reload into a list of differences without
 * echoing those commits. */
#include "core/wk.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cookie/jar_store.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/thread.h"
#include "log/log.h"

#define STORE_BUSY_MS 5000
/* Queue length that wakes the writer before its interval ends. */
#define STORE_WAKE_OPS 4096
#define STORE_COLS                                                             \
	"name, value, domain, path, creation_us, last_access_us, expiry_s, "   \
	"persistent, host_only, secure, http_only, same_site, partitioned"

/* Version 1. Defaults let a script insert with few columns. */
static const char store_schema[] =
    "CREATE TABLE cookies (\n"
    "  name TEXT NOT NULL,\n"
    "  value TEXT NOT NULL DEFAULT '',\n"
    "  domain TEXT NOT NULL,\n"
    "  path TEXT NOT NULL DEFAULT '/',\n"
    "  creation_us INTEGER NOT NULL DEFAULT\n"
    "    (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),\n"
    "  last_access_us INTEGER NOT NULL DEFAULT\n"
    "    (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),\n"
    "  expiry_s INTEGER NOT NULL,\n"
    "  persistent INTEGER NOT NULL DEFAULT 1,\n"
    "  host_only INTEGER NOT NULL DEFAULT 1,\n"
    "  secure INTEGER NOT NULL DEFAULT 0,\n"
    "  http_only INTEGER NOT NULL DEFAULT 0,\n"
    "  same_site TEXT NOT NULL DEFAULT 'default'\n"
    "    CHECK (lower(same_site) IN ('default', 'none', 'lax', 'strict')),\n"
    "  partitioned INTEGER NOT NULL DEFAULT 0,\n"
    "  UNIQUE (domain, path, name)\n"
    ");\n"
    "CREATE INDEX cookies_expiry ON cookies (expiry_s);\n"
    "PRAGMA user_version = 1;";

static const char *const store_samesite_names[] = {
	[WK_SAMESITE_DEFAULT] = "default",
	[WK_SAMESITE_NONE] = "none",
	[WK_SAMESITE_LAX] = "lax",
	[WK_SAMESITE_STRICT] = "strict",
};
_Static_assert(WK_ARRAY_LEN(store_samesite_names) == WK_SAMESITE_COUNT,
    "a name per SameSite value");

enum store_op_kind {
	STORE_OP_UPSERT = 0, /* insert or replace the row of c's key */
	STORE_OP_DELETE	     /* delete the row of c's key */
};

/* A queued change; owns the strings of c. */
struct store_op {
	enum store_op_kind kind;
	struct wk_cookie c;
};

/* What the caller's memory holds of one row. */
struct store_snap_ent {
	char *domain, *path, *name;
	uint64_t keyhash;
	uint64_t rowhash;
	unsigned gen; /* reload that last saw the row */
	struct store_snap_ent *next;
};

struct store_snap {
	struct store_snap_ent **b;
	size_t nb; /* buckets, a power of two */
	size_t n;
	unsigned gen;
	bool valid; /* taken (by load or start) */
};

struct wk_jar_store {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *s_upsert, *s_delete, *s_select, *s_clear, *s_version;
	/* db_mu serialises the connection, the snapshot and errbuf. */
	pthread_mutex_t db_mu;
	int64_t data_version;
	struct store_snap snap;
	char errbuf[256];

	/* q_mu guards the queue, the thread state and the counters. */
	pthread_mutex_t q_mu;
	pthread_cond_t q_cv;	/* wakes the writer */
	pthread_cond_t done_cv; /* wakes wk_jar_store_sync */
	struct store_op *q;
	size_t qlen, qcap;
	uint64_t q_seq;	   /* ops accepted */
	uint64_t done_seq; /* ops committed */
	bool running, stopping, sync_req;
	pthread_t thr;
	unsigned flush_ms;
	struct wk_jar_store_cbs cbs;
	struct wk_jar_store_stats stats;
};

static void store_err(struct wk_jar_store *st, const char *fmt, ...)
    WK_PRINTF(2, 3);

static void
store_err(struct wk_jar_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->errbuf, sizeof(st->errbuf), fmt, ap);
	va_end(ap);
}

/* --- hashing and the snapshot ------------------------------------------ */

static uint64_t
store_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
store_fnv_str(uint64_t h, const char *s)
{
	/* with its NUL, so "a","bc" and "ab","c" differ */
	return store_fnv(h, s, strlen(s) + 1);
}

static uint64_t
store_keyhash(const char *domain, const char *path, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = store_fnv_str(h, domain);
	h = store_fnv_str(h, path);
	return store_fnv_str(h, name);
}

static uint64_t
store_rowhash(const struct wk_cookie *c)
{
	int64_t v[3] = { c->creation_us, c->last_access_us, c->expiry_s };
	uint8_t b[6] = { c->persistent, c->host_only, c->secure, c->http_only,
		c->partitioned, (uint8_t)c->same_site };
	uint64_t h = store_keyhash(c->domain, c->path, c->name);

	h = store_fnv_str(h, c->value);
	h = store_fnv(h, v, sizeof(v));
	return store_fnv(h, b, sizeof(b));
}

static struct store_snap_ent **
store_snap_find(struct store_snap *s, const char *domain, const char *path,
    const char *name, uint64_t kh)
{
	struct store_snap_ent **pp = &s->b[kh & (s->nb - 1)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		struct store_snap_ent *e = *pp;

		if (e->keyhash == kh && strcmp(e->domain, domain) == 0 &&
		    strcmp(e->path, path) == 0 && strcmp(e->name, name) == 0)
			break;
	}
	return pp;
}

static void
store_snap_grow(struct store_snap *s)
{
	size_t nb = s->nb * 2;
	struct store_snap_ent **b = wk_calloc(nb, sizeof(*b));

	for (size_t i = 0; i < s->nb; i++) {
		struct store_snap_ent *e, *next;

		for (e = s->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->keyhash & (nb - 1)];
			b[e->keyhash & (nb - 1)] = e;
		}
	}
	wk_free(s->b);
	s->b = b;
	s->nb = nb;
}

static void
store_snap_ent_free(struct store_snap_ent *e)
{
	wk_free(e->domain);
	wk_free(e->path);
	wk_free(e->name);
	free(e);
}

/* Records the row of c. Returns true if it is new or differs. */
static bool
store_snap_put(struct store_snap *s, const struct wk_cookie *c)
{
	uint64_t kh = store_keyhash(c->domain, c->path, c->name);
	uint64_t rh = store_rowhash(c);
	struct store_snap_ent **pp, *e;

	pp = store_snap_find(s, c->domain, c->path, c->name, kh);
	if ((e = *pp) != NULL) {
		e->gen = s->gen;
		if (e->rowhash == rh)
			return false;
		e->rowhash = rh;
		return true;
	}
	e = wk_calloc(1, sizeof(*e));
	e->domain = wk_strdup(c->domain);
	e->path = wk_strdup(c->path);
	e->name = wk_strdup(c->name);
	e->keyhash = kh;
	e->rowhash = rh;
	e->gen = s->gen;
	*pp = e;
	if (++s->n > s->nb)
		store_snap_grow(s);
	return true;
}

static void
store_snap_del(struct store_snap *s, const char *domain, const char *path,
    const char *name)
{
	struct store_snap_ent **pp, *e;

	pp = store_snap_find(
	    s, domain, path, name, store_keyhash(domain, path, name));
	if ((e = *pp) != NULL) {
		*pp = e->next;
		store_snap_ent_free(e);
		s->n--;
	}
}

static void
store_snap_clear(struct store_snap *s)
{
	for (size_t i = 0; i < s->nb; i++) {
		struct store_snap_ent *e, *next;

		for (e = s->b[i]; e != NULL; e = next) {
			next = e->next;
			store_snap_ent_free(e);
		}
		s->b[i] = NULL;
	}
	s->n = 0;
	s->valid = false;
}

/* Removes the rows the last reload did not see, reporting each. */
static void
store_snap_sweep(struct wk_jar_store *st)
{
	struct store_snap *s = &st->snap;

	for (size_t i = 0; i < s->nb; i++) {
		struct store_snap_ent **pp = &s->b[i];

		while (*pp != NULL) {
			struct store_snap_ent *e = *pp;
			struct wk_cookie c = { 0 };

			if (e->gen == s->gen) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			s->n--;
			c.domain = e->domain;
			c.path = e->path;
			c.name = e->name;
			c.value = "";
			if (st->cbs.external != NULL) {
				st->cbs.external(st->cbs.arg, &c, true);
				st->stats.external++;
			}
			store_snap_ent_free(e);
		}
	}
}

/* --- rows -------------------------------------------------------------- */

static enum wk_cookie_samesite
store_samesite(const char *s)
{
	for (size_t i = 0; i < WK_SAMESITE_COUNT; i++)
		if (s != NULL && strcasecmp(s, store_samesite_names[i]) == 0)
			return (enum wk_cookie_samesite)i;
	return WK_SAMESITE_DEFAULT;
}

/* Fills c from the current row of s_select (strings borrowed until the
 * next step). Returns 0, or -1 for a row that is not a cookie. */
static int
store_row(sqlite3_stmt *s, struct wk_cookie *c)
{
	memset(c, 0, sizeof(*c));
	c->name = (char *)sqlite3_column_text(s, 0);
	c->value = (char *)sqlite3_column_text(s, 1);
	c->domain = (char *)sqlite3_column_text(s, 2);
	c->path = (char *)sqlite3_column_text(s, 3);
	if (c->name == NULL || c->value == NULL || c->domain == NULL ||
	    c->path == NULL || c->domain[0] == '\0' || c->path[0] != '/')
		return -1;
	c->creation_us = sqlite3_column_int64(s, 4);
	c->last_access_us = sqlite3_column_int64(s, 5);
	c->expiry_s = sqlite3_column_int64(s, 6);
	c->persistent = sqlite3_column_int(s, 7) != 0;
	c->host_only = sqlite3_column_int(s, 8) != 0;
	c->secure = sqlite3_column_int(s, 9) != 0;
	c->http_only = sqlite3_column_int(s, 10) != 0;
	c->same_site = store_samesite((const char *)sqlite3_column_text(s, 11));
	c->partitioned = sqlite3_column_int(s, 12) != 0;
	return 0;
}

static void
store_cookie_copy(struct wk_cookie *dst, const struct wk_cookie *src)
{
	*dst = *src;
	dst->name = wk_strdup(src->name);
	dst->value = wk_strdup(src->value != NULL ? src->value : "");
	dst->domain = wk_strdup(src->domain);
	dst->path = wk_strdup(src->path);
}

static void
store_op_clear(struct store_op *op)
{
	wk_free(op->c.name);
	wk_free(op->c.value);
	wk_free(op->c.domain);
	wk_free(op->c.path);
}

static int
store_step_done(struct wk_jar_store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		store_err(st, "%s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

static int
store_exec(struct wk_jar_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_err(st, "%s", msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* One change, inside the caller's transaction. */
static int
store_apply(
    struct wk_jar_store *st, enum store_op_kind kind, const struct wk_cookie *c)
{
	sqlite3_stmt *s;

	if (kind == STORE_OP_DELETE || !c->persistent) {
		s = st->s_delete;
		sqlite3_bind_text(s, 1, c->domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, c->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, c->name, -1, SQLITE_STATIC);
		return store_step_done(st, s);
	}
	s = st->s_upsert;
	sqlite3_bind_text(s, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->value, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, c->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, c->creation_us);
	sqlite3_bind_int64(s, 6, c->last_access_us);
	sqlite3_bind_int64(s, 7, c->expiry_s);
	sqlite3_bind_int(s, 8, 1);
	sqlite3_bind_int(s, 9, c->host_only);
	sqlite3_bind_int(s, 10, c->secure);
	sqlite3_bind_int(s, 11, c->http_only);
	sqlite3_bind_text(s, 12,
	    (unsigned)c->same_site < WK_SAMESITE_COUNT ?
		store_samesite_names[c->same_site] :
		"default",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 13, c->partitioned);
	return store_step_done(st, s);
}

/* Keeps the snapshot in line with a change this store committed. */
static void
store_snap_apply(
    struct wk_jar_store *st, enum store_op_kind kind, const struct wk_cookie *c)
{
	if (!st->snap.valid)
		return;
	if (kind == STORE_OP_DELETE || !c->persistent)
		store_snap_del(&st->snap, c->domain, c->path, c->name);
	else
		store_snap_put(&st->snap, c);
}

/* Commits ops in one transaction; db_mu held. Returns 0 or -1 (rolled
 * back, nothing written). */
static int
store_write_ops(struct wk_jar_store *st, struct store_op *ops, size_t n)
{
	if (store_exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (store_apply(st, ops[i].kind, &ops[i].c) < 0)
			goto fail;
	if (store_exec(st, "COMMIT") < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		store_snap_apply(st, ops[i].kind, &ops[i].c);
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
store_data_version(struct wk_jar_store *st, int64_t *out)
{
	int rc = sqlite3_step(st->s_version);

	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st->s_version, 0);
	sqlite3_reset(st->s_version);
	if (rc != SQLITE_ROW) {
		store_err(st, "data_version: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* Reads every row; with diff, reports those that differ from the snapshot
 * (and the snapshot's rows now gone), else calls cb for each and makes them
 * the snapshot. db_mu held. Returns 0 or -1. */
static int
store_scan(struct wk_jar_store *st, bool diff,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg)
{
	sqlite3_stmt *s = st->s_select;
	uint64_t skipped = 0;
	int rc;

	if (!diff)
		store_snap_clear(&st->snap);
	st->snap.gen++;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct wk_cookie c;
		bool changed;

		if (store_row(s, &c) < 0) {
			skipped++;
			continue;
		}
		changed = store_snap_put(&st->snap, &c);
		if (!diff) {
			if (cb != NULL)
				cb(arg, &c);
		} else if (changed && st->cbs.external != NULL) {
			st->cbs.external(st->cbs.arg, &c, false);
			st->stats.external++;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_err(st, "reading cookies: %s", sqlite3_errmsg(st->db));
		/* a partial read says nothing about deletions */
		store_snap_clear(&st->snap);
		return -1;
	}
	if (diff)
		store_snap_sweep(st);
	st->snap.valid = true;
	st->stats.skipped = skipped;
	return 0;
}

/* --- opening ----------------------------------------------------------- */

/* Creates path 0600 if missing; sets an existing file (and its -wal and
 * -shm) back to 0600 if others may read it. Returns 0 or -1. */
static int
store_prepare_file(const char *path, char *err, size_t errlen)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((sb.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		snprintf(
		    err, errlen, "%s: chmod 0600: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	for (size_t i = 0; i < WK_ARRAY_LEN(sfx); i++) {
		char *p = wk_asprintf("%s%s", path, sfx[i]);

		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 07777) != 0600)
			chmod(p, 0600);
		wk_free(p);
	}
	return 0;
}

static int
store_schema_check(struct wk_jar_store *st)
{
	sqlite3_stmt *s = NULL;
	int version = -1, tables = -1;

	if (store_exec(st, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(st->db,
		"SELECT count(*) FROM sqlite_master WHERE name = 'cookies'", -1,
		&s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version < 0 || tables < 0) {
		store_err(st, "reading the schema: %s", sqlite3_errmsg(st->db));
		goto fail;
	}
	if (version == 0 && tables == 0) {
		if (store_exec(st, store_schema) < 0)
			goto fail;
	} else if (version != WK_JAR_STORE_SCHEMA) {
		store_err(st, "schema version %d, this wicket knows %d",
		    version, WK_JAR_STORE_SCHEMA);
		goto fail;
	}
	return store_exec(st, "COMMIT");
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
store_prepare(struct wk_jar_store *st)
{
	static const struct {
		size_t off;
		const char *sql;
	} stmts[] = {
		{ offsetof(struct wk_jar_store, s_upsert),
		    "INSERT INTO cookies (" STORE_COLS ") VALUES (?1, ?2, ?3, "
		    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT "
		    "(domain, path, name) DO UPDATE SET value = excluded.value, "
		    "creation_us = excluded.creation_us, last_access_us = "
		    "excluded.last_access_us, expiry_s = excluded.expiry_s, "
		    "persistent = excluded.persistent, host_only = "
		    "excluded.host_only, secure = excluded.secure, http_only = "
		    "excluded.http_only, same_site = excluded.same_site, "
		    "partitioned = excluded.partitioned" },
		{ offsetof(struct wk_jar_store, s_delete),
		    "DELETE FROM cookies WHERE domain = ?1 AND path = ?2 AND "
		    "name = ?3" },
		{ offsetof(struct wk_jar_store, s_select),
		    "SELECT " STORE_COLS " FROM cookies ORDER BY domain, path, "
		    "name" },
		{ offsetof(struct wk_jar_store, s_clear),
		    "DELETE FROM cookies" },
		{ offsetof(struct wk_jar_store, s_version),
		    "PRAGMA data_version" },
	};

	for (size_t i = 0; i < WK_ARRAY_LEN(stmts); i++) {
		sqlite3_stmt **sp =
		    (sqlite3_stmt **)((char *)st + stmts[i].off);

		if (sqlite3_prepare_v3(st->db, stmts[i].sql, -1,
			SQLITE_PREPARE_PERSISTENT, sp, NULL) != SQLITE_OK) {
			store_err(st, "%s", sqlite3_errmsg(st->db));
			return -1;
		}
	}
	return 0;
}

static int
store_setup(struct wk_jar_store *st)
{
	sqlite3_stmt *s = NULL;
	bool wal = false;

	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
		NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(s, 0);

		wal = m != NULL && strcasecmp(m, "wal") == 0;
	}
	sqlite3_finalize(s);
	if (!wal) {
		store_err(st, "cannot use WAL: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	/* In WAL mode NORMAL never corrupts the file; a power loss may drop
	 * the last commits, a killed process loses nothing committed. */
	if (store_exec(st, "PRAGMA synchronous = NORMAL") < 0 ||
	    store_exec(st, "PRAGMA foreign_keys = OFF") < 0)
		return -1;
	if (store_schema_check(st) < 0 || store_prepare(st) < 0)
		return -1;
	return store_data_version(st, &st->data_version);
}

struct wk_jar_store *
wk_jar_store_open(const char *path, char *err, size_t errlen)
{
	struct wk_jar_store *st;
	pthread_condattr_t ca;
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	if (errlen > 0)
		err[0] = '\0';
	if (store_prepare_file(path, err, errlen) < 0)
		return NULL;
	st = wk_calloc(1, sizeof(*st));
	st->path = wk_strdup(path);
	st->flush_ms = WK_JAR_STORE_FLUSH_MS;
	st->snap.nb = 64;
	st->snap.b = wk_calloc(st->snap.nb, sizeof(*st->snap.b));
	pthread_mutex_init(&st->db_mu, NULL);
	pthread_mutex_init(&st->q_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->q_cv, &ca);
	pthread_cond_init(&st->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		store_err(st, "%s",
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (store_setup(st) < 0)
		goto fail;
	return st;
fail:
	snprintf(err, errlen, "%s: %s", path, st->errbuf);
	wk_jar_store_close_(st);
	return NULL;
}

/* --- the writer thread ------------------------------------------------- */

static void
store_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static bool
store_passed(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	    (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

static void
store_ops_free(struct store_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_op_clear(&ops[i]);
	free(ops);
}

/* Writes what is queued; q_mu held on entry and exit (released while
 * writing). With give_up, a failed batch is dropped (the last flush at
 * stop) rather than queued again. Returns 0 or -1. */
static int
store_flush_locked(struct wk_jar_store *st, bool give_up)
{
	struct store_op *ops = st->q;
	size_t n = st->qlen, cap = st->qcap;
	uint64_t seq = st->q_seq;
	int rc;

	if (n == 0)
		return 0;
	st->q = NULL;
	st->qlen = st->qcap = 0;
	pthread_mutex_unlock(&st->q_mu);

	pthread_mutex_lock(&st->db_mu);
	rc = store_write_ops(st, ops, n);
	if (rc < 0)
		wk_log_warnx("cookie store %s: writing %zu changes: %s%s",
		    st->path, n, st->errbuf, give_up ? " (dropped)" : "");
	pthread_mutex_unlock(&st->db_mu);

	pthread_mutex_lock(&st->q_mu);
	if (rc == 0 || give_up) {
		store_ops_free(ops, n);
		if (rc == 0) {
			st->done_seq = seq;
			st->stats.written += n;
			st->stats.flushes++;
		} else
			st->stats.failures++;
		pthread_cond_broadcast(&st->done_cv);
		return rc;
	}
	/* keep the order: the failed batch, then what came meanwhile */
	st->stats.failures++;
	if (cap < n + st->qlen) {
		cap = n + st->qlen;
		ops = wk_realloc(ops, cap * sizeof(*ops));
	}
	if (st->qlen > 0)
		memcpy(ops + n, st->q, st->qlen * sizeof(*ops));
	free(st->q);
	st->q = ops;
	st->qlen += n;
	st->qcap = cap;
	return -1;
}

/* Reports other connections' commits; db_mu held. */
static void
store_poll_external(struct wk_jar_store *st)
{
	int64_t v;

	if (store_data_version(st, &v) < 0 || v == st->data_version)
		return;
	if (store_scan(st, true, NULL, NULL) < 0) {
		wk_log_warnx("cookie store %s: %s", st->path, st->errbuf);
		return;
	}
	st->data_version = v;
	st->stats.reloads++;
}

static void *
store_writer(void *arg)
{
	struct wk_jar_store *st = arg;
	struct timespec dl;
	bool stop = false;

	wk_thread_name("wk-cookie-db", -1);
	pthread_mutex_lock(&st->q_mu);
	while (!stop) {
		uint64_t before = st->done_seq;

		store_deadline(&dl, st->flush_ms);
		while (!st->stopping && !st->sync_req &&
		    st->qlen < STORE_WAKE_OPS && !store_passed(&dl))
			pthread_cond_timedwait(&st->q_cv, &st->q_mu, &dl);
		stop = st->stopping;
		st->sync_req = false;
		store_flush_locked(st, stop);
		if (st->done_seq != before && st->cbs.flushed != NULL) {
			uint64_t done = st->done_seq;

			pthread_mutex_unlock(&st->q_mu);
			st->cbs.flushed(st->cbs.arg, done);
			pthread_mutex_lock(&st->q_mu);
		}
		pthread_mutex_unlock(&st->q_mu);
		if (!stop) {
			pthread_mutex_lock(&st->db_mu);
			store_poll_external(st);
			pthread_mutex_unlock(&st->db_mu);
		}
		pthread_mutex_lock(&st->q_mu);
	}
	pthread_mutex_unlock(&st->q_mu);
	return NULL;
}

int
wk_jar_store_load(struct wk_jar_store *st,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg)
{
	int rc;

	pthread_mutex_lock(&st->db_mu);
	rc = store_data_version(st, &st->data_version);
	if (rc == 0)
		rc = store_scan(st, false, cb, arg);
	pthread_mutex_unlock(&st->db_mu);
	return rc;
}

int
wk_jar_store_start(struct wk_jar_store *st, unsigned flush_ms,
    const struct wk_jar_store_cbs *cbs)
{
	int rc = 0;

	pthread_mutex_lock(&st->db_mu);
	if (!st->snap.valid &&
	    (store_data_version(st, &st->data_version) < 0 ||
		store_scan(st, false, NULL, NULL) < 0))
		rc = -1;
	pthread_mutex_unlock(&st->db_mu);
	if (rc < 0)
		return -1;

	pthread_mutex_lock(&st->q_mu);
	if (st->running)
		rc = -1;
	else {
		st->flush_ms = flush_ms > 0 ? flush_ms : WK_JAR_STORE_FLUSH_MS;
		if (cbs != NULL)
			st->cbs = *cbs;
		st->stopping = false;
		if (pthread_create(&st->thr, NULL, store_writer, st) != 0)
			rc = -1;
		else
			st->running = true;
	}
	pthread_mutex_unlock(&st->q_mu);
	return rc;
}

void
wk_jar_store_stop(struct wk_jar_store *st)
{
	pthread_mutex_lock(&st->q_mu);
	if (!st->running) {
		pthread_mutex_unlock(&st->q_mu);
		return;
	}
	st->stopping = true;
	pthread_cond_signal(&st->q_cv);
	pthread_mutex_unlock(&st->q_mu);
	pthread_join(st->thr, NULL);
	pthread_mutex_lock(&st->q_mu);
	st->running = false;
	st->stopping = false;
	pthread_mutex_unlock(&st->q_mu);
}

static int
store_queue(
    struct wk_jar_store *st, enum store_op_kind kind, const struct wk_cookie *c)
{
	struct store_op *op;

	if (c->domain == NULL || c->path == NULL || c->name == NULL)
		return -1;
	pthread_mutex_lock(&st->q_mu);
	if (st->qlen >= WK_JAR_STORE_QUEUE_MAX) {
		st->stats.dropped++;
		pthread_mutex_unlock(&st->q_mu);
		return -1;
	}
	if (st->qlen == st->qcap) {
		st->qcap = st->qcap > 0 ? st->qcap * 2 : 64;
		st->q = wk_realloc(st->q, st->qcap * sizeof(*st->q));
	}
	op = &st->q[st->qlen++];
	op->kind = kind;
	store_cookie_copy(&op->c, c);
	st->q_seq++;
	st->stats.queued++;
	if (st->qlen == STORE_WAKE_OPS)
		pthread_cond_signal(&st->q_cv);
	pthread_mutex_unlock(&st->q_mu);
	return 0;
}

int
wk_jar_store_queue_upsert(struct wk_jar_store *st, const struct wk_cookie *c)
{
	return store_queue(st, STORE_OP_UPSERT, c);
}

int
wk_jar_store_queue_delete(struct wk_jar_store *st, const char *domain,
    const char *path, const char *name)
{
	struct wk_cookie c = { 0 };

	c.domain = (char *)domain;
	c.path = (char *)path;
	c.name = (char *)name;
	return store_queue(st, STORE_OP_DELETE, &c);
}

int
wk_jar_store_sync(struct wk_jar_store *st, unsigned timeout_ms)
{
	struct timespec dl;
	uint64_t target;
	int rc = 0;

	store_deadline(&dl, timeout_ms);
	pthread_mutex_lock(&st->q_mu);
	target = st->q_seq;
	while (st->done_seq < target) {
		if (!st->running || store_passed(&dl)) {
			rc = -1;
			break;
		}
		st->sync_req = true;
		pthread_cond_signal(&st->q_cv);
		pthread_cond_timedwait(&st->done_cv, &st->q_mu, &dl);
	}
	pthread_mutex_unlock(&st->q_mu);
	return rc;
}

void
wk_jar_store_get_stats(struct wk_jar_store *st, struct wk_jar_store_stats *out)
{
	/* reloads, external and skipped are the writer's (under db_mu) */
	pthread_mutex_lock(&st->db_mu);
	pthread_mutex_lock(&st->q_mu);
	*out = st->stats;
	pthread_mutex_unlock(&st->q_mu);
	pthread_mutex_unlock(&st->db_mu);
}

/* --- synchronous calls ------------------------------------------------- */

int
wk_jar_store_upsert_now(struct wk_jar_store *st, const struct wk_cookie *c)
{
	struct store_op op = { .kind = STORE_OP_UPSERT };
	int rc;

	if (c->domain == NULL || c->path == NULL || c->name == NULL)
		return -1;
	op.c = *c;
	if (op.c.value == NULL)
		op.c.value = "";
	pthread_mutex_lock(&st->db_mu);
	rc = store_write_ops(st, &op, 1);
	pthread_mutex_unlock(&st->db_mu);
	return rc;
}

int
wk_jar_store_delete_now(struct wk_jar_store *st, const char *domain,
    const char *path, const char *name)
{
	struct store_op op = { .kind = STORE_OP_DELETE };
	int rc;

	op.c.domain = (char *)domain;
	op.c.path = (char *)path;
	op.c.name = (char *)name;
	pthread_mutex_lock(&st->db_mu);
	rc = store_write_ops(st, &op, 1);
	if (rc == 0)
		rc = sqlite3_changes(st->db);
	pthread_mutex_unlock(&st->db_mu);
	return rc;
}

int
wk_jar_store_clear_now(struct wk_jar_store *st)
{
	int rc;

	pthread_mutex_lock(&st->db_mu);
	rc = store_step_done(st, st->s_clear);
	if (rc == 0) {
		rc = sqlite3_changes(st->db);
		if (st->snap.valid) {
			store_snap_clear(&st->snap);
			st->snap.valid = true;
		}
	}
	pthread_mutex_unlock(&st->db_mu);
	return rc;
}

int
wk_jar_store_for_each(struct wk_jar_store *st,
    void (*cb)(void *arg, const struct wk_cookie *c), void *arg)
{
	sqlite3_stmt *s = st->s_select;
	int rc;

	pthread_mutex_lock(&st->db_mu);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct wk_cookie c;

		if (store_row(s, &c) == 0)
			cb(arg, &c);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		store_err(st, "reading cookies: %s", sqlite3_errmsg(st->db));
	pthread_mutex_unlock(&st->db_mu);
	return rc == SQLITE_DONE ? 0 : -1;
}

const char *
wk_jar_store_errmsg(struct wk_jar_store *st)
{
	return st->errbuf;
}

void
wk_jar_store_close_(struct wk_jar_store *st)
{
	if (st == NULL)
		return;
	wk_jar_store_stop(st);
	pthread_mutex_lock(&st->q_mu);
	if (st->db != NULL && st->s_upsert != NULL)
		store_flush_locked(st, true);
	store_ops_free(st->q, st->qlen);
	pthread_mutex_unlock(&st->q_mu);
	sqlite3_finalize(st->s_upsert);
	sqlite3_finalize(st->s_delete);
	sqlite3_finalize(st->s_select);
	sqlite3_finalize(st->s_clear);
	sqlite3_finalize(st->s_version);
	sqlite3_close(st->db);
	store_snap_clear(&st->snap);
	wk_free(st->snap.b);
	pthread_cond_destroy(&st->q_cv);
	pthread_cond_destroy(&st->done_cv);
	pthread_mutex_destroy(&st->q_mu);
	pthread_mutex_destroy(&st->db_mu);
	wk_free(st->path);
	free(st);
}
