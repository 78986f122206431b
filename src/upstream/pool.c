/* src/upstream/pool.c: idle upstream connections. A hash of keys, each with
 * a LIFO list; one global list bounds the total and evicts the oldest. */
#include "core/wk.h"

#include <sys/queue.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/alloc.h"
#include "worker/worker.h"
#include "upstream/pool.h"

#define POOL_BUCKETS 256
#define POOL_MAX_TOTAL 1024 /* idle connections per worker */
#define POOL_MAX_PER_KEY 256

struct pool_conn {
	TAILQ_ENTRY(pool_conn) key_link; /* in its key's list, newest first */
	TAILQ_ENTRY(pool_conn) all_link; /* in p->all, oldest first */
	struct pool_key *key;
	struct bufferevent *bev;
	struct event *ev; /* read interest and idle bound on bev's fd */
	struct sockaddr_storage peer;
	struct wk_pool *pool;
};

struct pool_key {
	LIST_ENTRY(pool_key) link;
	TAILQ_HEAD(pool_conn_list, pool_conn) conns;
	size_t n;
	char name[];
};

struct wk_pool {
	struct wk_worker *w;
	LIST_HEAD(, pool_key) buckets[POOL_BUCKETS];
	TAILQ_HEAD(, pool_conn) all;
	size_t total;
};

static unsigned
pool_hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % POOL_BUCKETS;
}

static struct pool_key *
pool_key_find(struct wk_pool *p, const char *name, bool create)
{
	unsigned b = pool_hash(name);
	struct pool_key *k;

	LIST_FOREACH (k, &p->buckets[b], link)
		if (strcmp(k->name, name) == 0)
			return k;
	if (!create)
		return NULL;
	size_t len = strlen(name) + 1;
	k = wk_calloc(1, sizeof(*k) + len);
	memcpy(k->name, name, len);
	TAILQ_INIT(&k->conns);
	LIST_INSERT_HEAD(&p->buckets[b], k, link);
	return k;
}

/* Unlinks c; frees its key when empty. Does not touch c->bev. */
static void
pool_unlink(struct pool_conn *c)
{
	struct wk_pool *p = c->pool;
	struct pool_key *k = c->key;

	TAILQ_REMOVE(&k->conns, c, key_link);
	TAILQ_REMOVE(&p->all, c, all_link);
	p->total--;
	if (--k->n == 0) {
		LIST_REMOVE(k, link);
		free(k);
	}
}

static void
pool_close(struct pool_conn *c)
{
	pool_unlink(c);
	event_free(c->ev);
	bufferevent_free(c->bev);
	free(c);
}

/* Anything from an idle connection (data, EOF, error) or the end of its
 * idle time ends it: an origin never speaks first on HTTP/1.1. */
static void
pool_idle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	pool_close(arg);
}

struct wk_pool *
wk_pool_new(struct wk_worker *w)
{
	struct wk_pool *p = wk_calloc(1, sizeof(*p));

	p->w = w;
	for (size_t i = 0; i < POOL_BUCKETS; i++)
		LIST_INIT(&p->buckets[i]);
	TAILQ_INIT(&p->all);
	return p;
}

void
wk_pool_clear(struct wk_pool *p)
{
	struct pool_conn *c;

	while ((c = TAILQ_FIRST(&p->all)) != NULL)
		pool_close(c);
}

void
wk_pool_free(struct wk_pool *p)
{
	if (p == NULL)
		return;
	wk_pool_clear(p);
	free(p);
}

size_t
wk_pool_idle_count(const struct wk_pool *p)
{
	return p->total;
}

struct bufferevent *
wk_pool_take(struct wk_pool *p, const char *key, struct sockaddr_storage *peer,
    struct event **idle_ev)
{
	struct pool_key *k = pool_key_find(p, key, false);
	struct pool_conn *c;
	struct bufferevent *bev;

	if (k == NULL)
		return NULL;
	c = TAILQ_FIRST(&k->conns);
	bev = c->bev;
	*peer = c->peer;
	*idle_ev = c->ev;
	event_remove_timer(c->ev);
	pool_unlink(c);
	free(c);
	return bev;
}

void
wk_pool_put(struct wk_pool *p, const char *key, struct bufferevent *bev,
    const struct sockaddr *peer, unsigned idle_ms)
{
	struct pool_key *k = pool_key_find(p, key, true);
	struct pool_conn *c;
	struct timeval tv = { idle_ms / 1000, (idle_ms % 1000) * 1000 };

	if (k->n >= POOL_MAX_PER_KEY)
		pool_close(TAILQ_LAST(&k->conns, pool_conn_list));
	if (p->total >= POOL_MAX_TOTAL)
		pool_close(TAILQ_FIRST(&p->all));
	/* closing may have freed k */
	k = pool_key_find(p, key, true);

	c = wk_calloc(1, sizeof(*c));
	c->pool = p;
	c->key = k;
	c->bev = bev;
	memcpy(&c->peer, peer,
	    peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					  sizeof(struct sockaddr_in));
	TAILQ_INSERT_HEAD(&k->conns, c, key_link);
	TAILQ_INSERT_TAIL(&p->all, c, all_link);
	k->n++;
	p->total++;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	c->ev = event_new(bufferevent_get_base(bev), bufferevent_getfd(bev),
	    EV_READ | EV_PERSIST, pool_idle_cb, c);
	event_add(c->ev, &tv);
}
