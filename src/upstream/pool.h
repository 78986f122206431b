/* src/upstream/pool.h: per-worker pool of idle upstream connections, keyed
 * by "host:port" (later: by route), most recently used first. */
#ifndef WK_UPSTREAM_POOL_H
#define WK_UPSTREAM_POOL_H

#include "core/wk.h"

#include <sys/socket.h>

struct bufferevent;
struct event;
struct wk_worker;
struct wk_pool;

struct wk_pool *wk_pool_new(struct wk_worker *w);
void wk_pool_free(struct wk_pool *p);
/* Closes every idle connection (drain, reload). */
void wk_pool_clear(struct wk_pool *p);

/* Returns an idle connection for key, or NULL. The caller owns the
 * bufferevent and must set its callbacks; peer receives its address.
 * *idle_ev is the pool's read event on the fd, still added: free it only
 * after adding your own, so the fd's epoll registration never changes. */
struct bufferevent *wk_pool_take(struct wk_pool *p, const char *key,
    struct sockaddr_storage *peer, struct event **idle_ev);

/* Parks bev (taking ownership) for idle_ms. It is closed when the peer
 * closes it, sends anything, or the time runs out. Call it before
 * dropping your own read event on the fd (same reason as above). */
void wk_pool_put(struct wk_pool *p, const char *key, struct bufferevent *bev,
    const struct sockaddr *peer, unsigned idle_ms);

size_t wk_pool_idle_count(const struct wk_pool *p);

#endif
