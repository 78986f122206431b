/* src/cookie/jar.c: the shared in-memory cookie jar: RFC 6265bis storage
 * model (5.7) and retrieval (5.8), limits with eviction, change log. */
#include "core/wk.h"

#include <sys/types.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "cookie/cookie_parse.h"
#include "cookie/jar.h"
#include "core/alloc.h"

/* Last-access updates are logged at most this often per cookie (Chrome's
 * kLastAccessThreshold). */
#define JAR_ACCESS_LOG_US (60 * INT64_C(1000000))
#define JAR_BUCKETS_MIN 256

struct jar_entry {
	struct wk_cookie c;
	uint64_t seq;		  /* insertion order: the last tie-break */
	int64_t logged_access_us; /* last_access_us last logged */
};

/* The cookies sharing one domain value, in a hash chain. */
struct jar_domain {
	char *domain;
	struct jar_entry **v;
	size_t n, cap;
	struct jar_domain *next;
};

struct jar_change {
	enum wk_jar_change_kind kind;
	struct wk_cookie c; /* zeroed for RESYNC */
};

struct wk_jar {
	pthread_mutex_t mu;
	struct jar_domain **buckets;
	size_t nbuckets, ndomains, count, nsecure;
	struct wk_jar_limits lim;
	psl_ctx_t *psl;
	bool psl_owned;
	int64_t last_creation_us;
	uint64_t seq;
	struct jar_change *log;
	size_t nlog, caplog;
	bool log_overflow; /* the log collapsed: RESYNC at the next take */
};

/* --- cookies ------------------------------------------------------------- */

void
wk_cookie_copy(struct wk_cookie *dst, const struct wk_cookie *src)
{
	*dst = *src;
	dst->name = wk_strdup(src->name != NULL ? src->name : "");
	dst->value = wk_strdup(src->value != NULL ? src->value : "");
	dst->domain = wk_strdup(src->domain != NULL ? src->domain : "");
	dst->path = wk_strdup(src->path != NULL ? src->path : "/");
}

void
wk_cookie_clear(struct wk_cookie *c)
{
	free(c->name);
	free(c->value);
	free(c->domain);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static bool
jar_same_key(const struct wk_cookie *a, const struct wk_cookie *b)
{
	return a->host_only == b->host_only && strcmp(a->name, b->name) == 0 &&
	    strcmp(a->domain, b->domain) == 0 && strcmp(a->path, b->path) == 0;
}

static bool
jar_expired(const struct wk_cookie *c, int64_t now_s)
{
	return c->persistent && c->expiry_s <= now_s;
}

static void
jar_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static bool
jar_is_ip(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* RFC 6265bis 5.1.3: s domain-matches d. */
static bool
jar_domain_match(const char *s, const char *d)
{
	size_t ls = strlen(s), ld = strlen(d);

	if (strcmp(s, d) == 0)
		return true;
	return ld > 0 && ls > ld && strcmp(s + ls - ld, d) == 0 &&
	    s[ls - ld - 1] == '.' && !jar_is_ip(s);
}

/* RFC 6265bis 5.1.4: request path rp path-matches cookie path cp. */
static bool
jar_path_match(const char *rp, const char *cp)
{
	size_t lc = strlen(cp);

	if (strncmp(rp, cp, lc) != 0)
		return false;
	return rp[lc] == '\0' || (lc > 0 && cp[lc - 1] == '/') || rp[lc] == '/';
}

/* The request path without query or fragment ("" if none). */
static char *
jar_req_path(const char *p)
{
	if (p == NULL)
		return wk_strdup("");
	return wk_strndup(p, strcspn(p, "?#"));
}

/* RFC 6265bis 5.1.4 default-path of a request path. */
static char *
jar_default_path(const char *rp)
{
	const char *last;

	if (rp[0] != '/')
		return wk_strdup("/");
	last = strrchr(rp, '/');
	if (last == rp)
		return wk_strdup("/");
	return wk_strndup(rp, (size_t)(last - rp));
}

/* --- the table ----------------------------------------------------------- */

static size_t
jar_hash(const char *s, size_t nb)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return (size_t)(h % nb);
}

static struct jar_domain *
jar_find_domain(struct wk_jar *j, const char *domain)
{
	struct jar_domain *d = j->buckets[jar_hash(domain, j->nbuckets)];

	for (; d != NULL; d = d->next)
		if (strcmp(d->domain, domain) == 0)
			return d;
	return NULL;
}

static void
jar_grow(struct wk_jar *j)
{
	size_t nb = j->nbuckets * 2;
	struct jar_domain **b = wk_calloc(nb, sizeof(*b));

	for (size_t i = 0; i < j->nbuckets; i++) {
		struct jar_domain *d = j->buckets[i], *next;

		for (; d != NULL; d = next) {
			size_t h = jar_hash(d->domain, nb);

			next = d->next;
			d->next = b[h];
			b[h] = d;
		}
	}
	free(j->buckets);
	j->buckets = b;
	j->nbuckets = nb;
}

static struct jar_domain *
jar_get_domain(struct wk_jar *j, const char *domain)
{
	struct jar_domain *d = jar_find_domain(j, domain);
	size_t h;

	if (d != NULL)
		return d;
	if (j->ndomains >= j->nbuckets)
		jar_grow(j);
	d = wk_calloc(1, sizeof(*d));
	d->domain = wk_strdup(domain);
	h = jar_hash(domain, j->nbuckets);
	d->next = j->buckets[h];
	j->buckets[h] = d;
	j->ndomains++;
	return d;
}

static void
jar_drop_domain_if_empty(struct wk_jar *j, struct jar_domain *d)
{
	struct jar_domain **pp = &j->buckets[jar_hash(d->domain, j->nbuckets)];

	if (d->n > 0)
		return;
	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	free(d->domain);
	free(d->v);
	free(d);
	j->ndomains--;
}

/* --- change log (under the lock) ----------------------------------------- */

static void
jar_log_reset(struct wk_jar *j)
{
	for (size_t i = 0; i < j->nlog; i++)
		wk_cookie_clear(&j->log[i].c);
	j->nlog = 0;
}

/* Appends a change regardless of the limit. */
static void
jar_log_push(
    struct wk_jar *j, enum wk_jar_change_kind kind, const struct wk_cookie *c)
{
	struct jar_change *ch;

	if (j->nlog == j->caplog) {
		j->caplog = j->caplog ? j->caplog * 2 : 64;
		j->log = wk_realloc(j->log, j->caplog * sizeof(*j->log));
	}
	ch = &j->log[j->nlog++];
	ch->kind = kind;
	if (c != NULL)
		wk_cookie_copy(&ch->c, c);
	else
		memset(&ch->c, 0, sizeof(ch->c));
}

/* Appends a change; past max_changes the log collapses (RESYNC later). */
static void
jar_log(
    struct wk_jar *j, enum wk_jar_change_kind kind, const struct wk_cookie *c)
{
	if (j->log_overflow)
		return;
	if (j->nlog >= j->lim.max_changes) {
		jar_log_reset(j);
		j->log_overflow = true;
		return;
	}
	jar_log_push(j, kind, c);
}

/* --- insertion and removal (under the lock) ------------------------------ */

/* Removes d->v[i]; logs a DELETE of a persistent cookie when logging. */
static void
jar_remove_at(struct wk_jar *j, struct jar_domain *d, size_t i, bool logging)
{
	struct jar_entry *e = d->v[i];

	if (logging && e->c.persistent)
		jar_log(j, WK_JAR_CHANGE_DELETE, &e->c);
	if (e->c.secure)
		j->nsecure--;
	wk_cookie_clear(&e->c);
	free(e);
	d->v[i] = d->v[--d->n];
	j->count--;
}

static ssize_t
jar_find_in(struct jar_domain *d, const struct wk_cookie *c)
{
	for (size_t i = 0; d != NULL && i < d->n; i++)
		if (jar_same_key(&d->v[i]->c, c))
			return (ssize_t)i;
	return -1;
}

/* Picks the victim in d (or in the whole jar when d is NULL): an expired
 * cookie first, else the least recently accessed, never keep. */
static bool
jar_pick_victim(struct wk_jar *j, struct jar_domain *d, int64_t now_s,
    const struct jar_entry *keep, struct jar_domain **vd, size_t *vi)
{
	const struct jar_entry *best = NULL;
	bool best_expired = false;

	for (size_t b = 0; b < j->nbuckets; b++) {
		struct jar_domain *x = d != NULL ? d : j->buckets[b];

		for (; x != NULL; x = d != NULL ? NULL : x->next) {
			for (size_t i = 0; i < x->n; i++) {
				const struct jar_entry *e = x->v[i];
				bool ex = jar_expired(&e->c, now_s);

				if (e == keep)
					continue;
				if (best == NULL || (ex && !best_expired) ||
				    (ex == best_expired &&
					e->c.last_access_us <
					    best->c.last_access_us)) {
					best = e;
					best_expired = ex;
					*vd = x;
					*vi = i;
				}
			}
		}
		if (d != NULL)
			break;
	}
	return best != NULL;
}

static void
jar_enforce_limits(struct wk_jar *j, struct jar_domain *d,
    const struct jar_entry *keep, int64_t now_s)
{
	struct jar_domain *vd;
	size_t vi;

	while (d->n > j->lim.per_domain &&
	    jar_pick_victim(j, d, now_s, keep, &vd, &vi))
		jar_remove_at(j, vd, vi, true);
	while (j->count > j->lim.total &&
	    jar_pick_victim(j, NULL, now_s, keep, &vd, &vi)) {
		jar_remove_at(j, vd, vi, true);
		if (vd != d)
			jar_drop_domain_if_empty(j, vd);
	}
}

/* Stores *c (taking ownership of its strings), replacing the cookie with
 * its key. keep_creation: take the old cookie's creation time. */
static void
jar_store(struct wk_jar *j, struct wk_cookie *c, bool keep_creation,
    bool logging, int64_t now_s)
{
	struct jar_domain *d = jar_get_domain(j, c->domain);
	ssize_t i = jar_find_in(d, c);
	struct jar_entry *e;
	bool was_persistent = false;

	if (i >= 0) {
		e = d->v[i];
		was_persistent = e->c.persistent;
		if (keep_creation)
			c->creation_us = e->c.creation_us;
		jar_remove_at(j, d, (size_t)i, false);
	}
	e = wk_calloc(1, sizeof(*e));
	e->c = *c;
	memset(c, 0, sizeof(*c));
	e->seq = j->seq++;
	e->logged_access_us = e->c.last_access_us;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 4;
		d->v = wk_realloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = e;
	j->count++;
	if (e->c.secure)
		j->nsecure++;
	if (e->c.creation_us > j->last_creation_us)
		j->last_creation_us = e->c.creation_us;
	if (logging && e->c.persistent)
		jar_log(j, WK_JAR_CHANGE_UPSERT, &e->c);
	else if (logging && was_persistent)
		jar_log(j, WK_JAR_CHANGE_DELETE, &e->c);
	jar_enforce_limits(j, d, e, now_s);
}

/* Deletes the cookie with c's key, if any. */
static void
jar_delete_key(struct wk_jar *j, const struct wk_cookie *c, bool logging)
{
	struct jar_domain *d = jar_find_domain(j, c->domain);
	ssize_t i = jar_find_in(d, c);

	if (i < 0)
		return;
	jar_remove_at(j, d, (size_t)i, logging);
	jar_drop_domain_if_empty(j, d);
}

/* "Leave secure cookies alone": a secure cookie with c's name whose domain
 * domain-matches c's or the reverse, and whose path c's path matches. */
static bool
jar_shadows_secure(struct wk_jar *j, const struct wk_cookie *c)
{
	if (j->nsecure == 0)
		return false;
	for (size_t b = 0; b < j->nbuckets; b++)
		for (struct jar_domain *d = j->buckets[b]; d; d = d->next) {
			if (!jar_domain_match(d->domain, c->domain) &&
			    !jar_domain_match(c->domain, d->domain))
				continue;
			for (size_t i = 0; i < d->n; i++) {
				const struct wk_cookie *o = &d->v[i]->c;

				if (o->secure &&
				    strcmp(o->name, c->name) == 0 &&
				    jar_path_match(c->path, o->path))
					return true;
			}
		}
	return false;
}

/* --- public API ---------------------------------------------------------- */

struct wk_jar *
wk_jar_new(const struct wk_jar_limits *lim)
{
	struct wk_jar *j = wk_calloc(1, sizeof(*j));

	if (lim != NULL)
		j->lim = *lim;
	if (j->lim.per_domain == 0)
		j->lim.per_domain = WK_JAR_DEFAULT_PER_DOMAIN;
	if (j->lim.total == 0)
		j->lim.total = WK_JAR_DEFAULT_TOTAL;
	if (j->lim.max_changes == 0)
		j->lim.max_changes = WK_JAR_DEFAULT_MAX_CHANGES;
	if (j->lim.psl_file != NULL) {
		j->psl = psl_load_file(j->lim.psl_file);
		if (j->psl == NULL) {
			free(j);
			return NULL;
		}
		j->psl_owned = true;
	} else if ((j->psl = psl_latest(NULL)) != NULL) {
		j->psl_owned = true;
	} else {
		j->psl = (psl_ctx_t *)psl_builtin();
	}
	j->lim.psl_file = NULL;
	j->nbuckets = JAR_BUCKETS_MIN;
	j->buckets = wk_calloc(j->nbuckets, sizeof(*j->buckets));
	pthread_mutex_init(&j->mu, NULL);
	return j;
}

static void
jar_free_all(struct wk_jar *j)
{
	for (size_t b = 0; b < j->nbuckets; b++) {
		struct jar_domain *d = j->buckets[b], *next;

		for (; d != NULL; d = next) {
			next = d->next;
			for (size_t i = 0; i < d->n; i++) {
				wk_cookie_clear(&d->v[i]->c);
				free(d->v[i]);
			}
			free(d->v);
			free(d->domain);
			free(d);
		}
		j->buckets[b] = NULL;
	}
	j->ndomains = j->count = j->nsecure = 0;
}

void
wk_jar_free_(struct wk_jar *j)
{
	if (j == NULL)
		return;
	jar_free_all(j);
	free(j->buckets);
	jar_log_reset(j);
	free(j->log);
	if (j->psl_owned)
		psl_free(j->psl);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

bool
wk_jar_is_public_suffix(struct wk_jar *j, const char *domain)
{
	if (j->psl == NULL) /* no list at all: the implicit "*" rule */
		return strchr(domain, '.') == NULL;
	return psl_is_public_suffix2(j->psl, domain, PSL_TYPE_ANY) != 0;
}

static bool
jar_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Steps 5.7 from the parsed cookie to a cookie to store, without the
 * store's state; returns false to ignore it. */
static bool
jar_build(struct wk_jar *j, const struct wk_set_cookie *sc, const char *host,
    const char *rpath, bool https, int64_t now_us, struct wk_cookie *c)
{
	int64_t now_s = now_us / 1000000;
	const char *dom = sc->domain != NULL ? sc->domain : "";

	memset(c, 0, sizeof(*c));
	for (const char *p = dom; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return false;
	if (dom[0] != '\0' && wk_jar_is_public_suffix(j, dom)) {
		if (strcmp(dom, host) != 0)
			return false;
		dom = "";
	}
	if (dom[0] != '\0' && !jar_domain_match(host, dom))
		return false;
	if (sc->secure && !https)
		return false;
	if (sc->has_same_site && sc->same_site == WK_SAMESITE_NONE &&
	    !sc->secure)
		return false;
	if (jar_prefix(sc->name, "__Secure-") && !sc->secure)
		return false;
	if (jar_prefix(sc->name, "__Host-") &&
	    (!sc->secure || dom[0] != '\0' || sc->path == NULL ||
		strcmp(sc->path, "/") != 0))
		return false;
	if (sc->name[0] == '\0' &&
	    (jar_prefix(sc->value, "__Secure-") ||
		jar_prefix(sc->value, "__Host-")))
		return false;
	if (sc->has_max_age) {
		c->persistent = true;
		c->expiry_s = sc->max_age_s <= 0 ?
		    INT64_MIN :
		    now_s + WK_MIN(sc->max_age_s, WK_JAR_MAX_AGE_S);
	} else if (sc->has_expires) {
		c->persistent = true;
		c->expiry_s = WK_MIN(sc->expires_s, now_s + WK_JAR_MAX_AGE_S);
	}
	c->name = wk_strdup(sc->name);
	c->value = wk_strdup(sc->value);
	c->host_only = dom[0] == '\0';
	c->domain = wk_strdup(c->host_only ? host : dom);
	c->path =
	    sc->path != NULL ? wk_strdup(sc->path) : jar_default_path(rpath);
	c->secure = sc->secure;
	c->http_only = sc->http_only;
	c->partitioned = sc->partitioned;
	c->same_site = sc->same_site;
	c->creation_us = c->last_access_us = now_us;
	return true;
}

int
wk_jar_set_from_header(struct wk_jar *j, const char *url_host,
    const char *url_path, bool https, const char *set_cookie, size_t len,
    int64_t now_us, enum wk_jar_store_mode mode)
{
	struct wk_set_cookie sc;
	struct wk_cookie c;
	char *host, *rpath;
	int64_t now_s = now_us / 1000000;
	int res = WK_JAR_SET_IGNORED;

	if (url_host == NULL || url_host[0] == '\0' || set_cookie == NULL)
		return WK_JAR_SET_ERROR;
	if (wk_set_cookie_parse(set_cookie, len, &sc) != 0)
		return WK_JAR_SET_IGNORED;
	host = wk_strdup(url_host);
	jar_lower(host);
	rpath = jar_req_path(url_path);
	if (!jar_build(j, &sc, host, rpath, https, now_us, &c))
		goto out;
	pthread_mutex_lock(&j->mu);
	if (!c.secure && !https && jar_shadows_secure(j, &c)) {
		pthread_mutex_unlock(&j->mu);
		wk_cookie_clear(&c);
		goto out;
	}
	if (jar_expired(&c, now_s)) {
		jar_delete_key(j, &c, true);
		wk_cookie_clear(&c);
	} else {
		if (mode == WK_JAR_STORE_SESSION_ONLY)
			c.persistent = false;
		if (c.creation_us <= j->last_creation_us)
			c.creation_us = j->last_creation_us + 1;
		jar_store(j, &c, true, true, now_s);
	}
	pthread_mutex_unlock(&j->mu);
	res = WK_JAR_SET_STORED;
out:
	wk_set_cookie_clear(&sc);
	free(host);
	free(rpath);
	return res;
}

/* Whether c may go in this request's Cookie header (besides matching). */
static bool
jar_sendable(const struct wk_jar *j, const struct wk_cookie *c, bool https,
    const struct wk_jar_request *rq)
{
	enum wk_cookie_samesite ss = c->same_site;

	if (c->secure && !https)
		return false;
	if (rq == NULL || rq->site != WK_JAR_SITE_CROSS_SITE)
		return true;
	if (ss == WK_SAMESITE_DEFAULT)
		ss = j->lim.lax_by_default ? WK_SAMESITE_LAX : WK_SAMESITE_NONE;
	if (ss == WK_SAMESITE_STRICT)
		return false;
	if (ss == WK_SAMESITE_LAX)
		return rq->navigate && !rq->nested && rq->safe_method;
	return true;
}

static int
jar_order(const void *pa, const void *pb)
{
	const struct jar_entry *a = *(const struct jar_entry *const *)pa;
	const struct jar_entry *b = *(const struct jar_entry *const *)pb;
	size_t la = strlen(a->c.path), lb = strlen(b->c.path);

	if (la != lb)
		return la > lb ? -1 : 1;
	if (a->c.creation_us != b->c.creation_us)
		return a->c.creation_us < b->c.creation_us ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Collects the cookies of domain d that match and may be sent; purges
 * expired ones met on the way. */
static void
jar_collect(struct wk_jar *j, struct jar_domain *d, const char *host,
    const char *rpath, bool https, const struct wk_jar_request *rq,
    int64_t now_s, struct jar_entry ***v, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < d->n;) {
		struct jar_entry *e = d->v[i];

		if (jar_expired(&e->c, now_s)) {
			jar_remove_at(j, d, i, true);
			continue;
		}
		i++;
		if (e->c.host_only && strcmp(e->c.domain, host) != 0)
			continue;
		if (!jar_path_match(rpath, e->c.path) ||
		    !jar_sendable(j, &e->c, https, rq))
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*v = wk_realloc(*v, *cap * sizeof(**v));
		}
		(*v)[(*n)++] = e;
	}
}

size_t
wk_jar_cookie_header(struct wk_jar *j, const char *host, const char *path,
    bool https, const struct wk_jar_request *rq, int64_t now_us, char *out,
    size_t outlen)
{
	struct jar_entry **v = NULL;
	size_t n = 0, cap = 0, need = 0, w = 0;
	int64_t now_s = now_us / 1000000;
	char *h, *rpath;
	const char *s;

	if (outlen > 0)
		out[0] = '\0';
	if (host == NULL || host[0] == '\0')
		return 0;
	h = wk_strdup(host);
	jar_lower(h);
	rpath = jar_req_path(path);
	pthread_mutex_lock(&j->mu);
	/* the host, then each parent domain (domain cookies); an IP address
	 * only matches itself */
	for (s = h; s != NULL;) {
		struct jar_domain *d = jar_find_domain(j, s);

		if (d != NULL) {
			jar_collect(
			    j, d, h, rpath, https, rq, now_s, &v, &n, &cap);
			jar_drop_domain_if_empty(j, d);
		}
		if (s == h && jar_is_ip(h))
			break;
		s = strchr(s, '.');
		if (s != NULL)
			s++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), jar_order);
	for (size_t i = 0; i < n; i++) {
		struct wk_cookie *c = &v[i]->c;
		size_t ln = strlen(c->name), lv = strlen(c->value);
		size_t item = (need > 0 ? 2 : 0) + ln + (ln > 0 ? 1 : 0) + lv;

		if (ln == 0 && lv == 0)
			continue;
		if (w == need && outlen > 0 && w + item < outlen) {
			if (need > 0) {
				memcpy(out + w, "; ", 2);
				w += 2;
			}
			memcpy(out + w, c->name, ln);
			w += ln;
			if (ln > 0)
				out[w++] = '=';
			memcpy(out + w, c->value, lv);
			w += lv;
			out[w] = '\0';
		}
		need += item;
		c->last_access_us = now_us;
		if (c->persistent &&
		    now_us - v[i]->logged_access_us >= JAR_ACCESS_LOG_US) {
			v[i]->logged_access_us = now_us;
			jar_log(j, WK_JAR_CHANGE_UPSERT, c);
		}
	}
	pthread_mutex_unlock(&j->mu);
	free(v);
	free(h);
	free(rpath);
	return need;
}

size_t
wk_jar_enumerate(struct wk_jar *j, wk_jar_cookie_cb fn, void *arg)
{
	size_t n = 0;

	pthread_mutex_lock(&j->mu);
	for (size_t b = 0; b < j->nbuckets; b++)
		for (struct jar_domain *d = j->buckets[b]; d; d = d->next)
			for (size_t i = 0; i < d->n; i++, n++)
				fn(arg, &d->v[i]->c);
	pthread_mutex_unlock(&j->mu);
	return n;
}

size_t
wk_jar_count(struct wk_jar *j)
{
	size_t n;

	pthread_mutex_lock(&j->mu);
	n = j->count;
	pthread_mutex_unlock(&j->mu);
	return n;
}

static bool
jar_str_sel(const char *sel, const char *s)
{
	return sel == NULL || strcmp(sel, s) == 0;
}

size_t
wk_jar_delete(
    struct wk_jar *j, const char *domain, const char *name, const char *path)
{
	size_t n = 0;

	pthread_mutex_lock(&j->mu);
	for (size_t b = 0; b < j->nbuckets; b++) {
		struct jar_domain *d = j->buckets[b], *next;

		for (; d != NULL; d = next) {
			next = d->next;
			if (!jar_str_sel(domain, d->domain))
				continue;
			for (size_t i = 0; i < d->n;) {
				const struct wk_cookie *c = &d->v[i]->c;

				if (jar_str_sel(name, c->name) &&
				    jar_str_sel(path, c->path)) {
					jar_remove_at(j, d, i, true);
					n++;
				} else {
					i++;
				}
			}
			jar_drop_domain_if_empty(j, d);
		}
	}
	pthread_mutex_unlock(&j->mu);
	return n;
}

void
wk_jar_clear(struct wk_jar *j)
{
	pthread_mutex_lock(&j->mu);
	jar_free_all(j);
	jar_log_reset(j);
	j->log_overflow = false;
	jar_log_push(j, WK_JAR_CHANGE_RESYNC, NULL);
	pthread_mutex_unlock(&j->mu);
}

size_t
wk_jar_purge_expired(struct wk_jar *j, int64_t now_us)
{
	int64_t now_s = now_us / 1000000;
	size_t n = 0;

	pthread_mutex_lock(&j->mu);
	for (size_t b = 0; b < j->nbuckets; b++) {
		struct jar_domain *d = j->buckets[b], *next;

		for (; d != NULL; d = next) {
			next = d->next;
			for (size_t i = 0; i < d->n;) {
				if (jar_expired(&d->v[i]->c, now_s)) {
					jar_remove_at(j, d, i, true);
					n++;
				} else {
					i++;
				}
			}
			jar_drop_domain_if_empty(j, d);
		}
	}
	pthread_mutex_unlock(&j->mu);
	return n;
}

/* A copy of an outside cookie with its domain in the jar's form. */
static void
jar_copy_normal(struct wk_cookie *dst, const struct wk_cookie *src)
{
	wk_cookie_copy(dst, src);
	jar_lower(dst->domain);
	if (dst->domain[0] == '.')
		memmove(dst->domain, dst->domain + 1, strlen(dst->domain));
}

static int
jar_insert(struct wk_jar *j, const struct wk_cookie *c, bool logging)
{
	struct wk_cookie cc;

	if (c == NULL || c->name == NULL || c->value == NULL ||
	    c->domain == NULL || c->domain[0] == '\0' || c->path == NULL ||
	    c->path[0] != '/')
		return -1;
	jar_copy_normal(&cc, c);
	pthread_mutex_lock(&j->mu);
	/* no clock here: the limits judge expiry by the newest last access */
	jar_store(j, &cc, false, logging, c->last_access_us / 1000000);
	pthread_mutex_unlock(&j->mu);
	return 0;
}

int
wk_jar_insert(struct wk_jar *j, const struct wk_cookie *c)
{
	return jar_insert(j, c, true);
}

int
wk_jar_apply_external(struct wk_jar *j, const struct wk_cookie *c, bool deleted)
{
	struct wk_cookie cc;

	if (!deleted)
		return jar_insert(j, c, false);
	if (c == NULL || c->name == NULL || c->domain == NULL ||
	    c->path == NULL)
		return -1;
	jar_copy_normal(&cc, c);
	pthread_mutex_lock(&j->mu);
	jar_delete_key(j, &cc, false);
	pthread_mutex_unlock(&j->mu);
	wk_cookie_clear(&cc);
	return 0;
}

size_t
wk_jar_take_changes(struct wk_jar *j, wk_jar_change_cb fn, void *arg)
{
	struct jar_change *log;
	size_t nlog, calls = 0;
	bool resync;

	pthread_mutex_lock(&j->mu);
	resync = j->log_overflow;
	j->log_overflow = false;
	if (resync) {
		/* the snapshot becomes the log: RESYNC + every persistent */
		jar_log_reset(j);
		jar_log_push(j, WK_JAR_CHANGE_RESYNC, NULL);
		for (size_t b = 0; b < j->nbuckets; b++)
			for (struct jar_domain *d = j->buckets[b]; d;
			     d = d->next)
				for (size_t i = 0; i < d->n; i++)
					if (d->v[i]->c.persistent)
						jar_log_push(j,
						    WK_JAR_CHANGE_UPSERT,
						    &d->v[i]->c);
	}
	log = j->log;
	nlog = j->nlog;
	j->log = NULL;
	j->nlog = j->caplog = 0;
	pthread_mutex_unlock(&j->mu);
	for (size_t i = 0; i < nlog; i++) {
		fn(arg, log[i].kind,
		    log[i].kind == WK_JAR_CHANGE_RESYNC ? NULL : &log[i].c);
		calls++;
		wk_cookie_clear(&log[i].c);
	}
	free(log);
	return calls;
}
