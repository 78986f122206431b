/* src/worker/worker.h: the shared daemon context and the worker threads, each
 * with its own event_base, evdns_base, listeners, sessions and upstream
 * pool. */
#ifndef WK_WORKER_WORKER_H
#define WK_WORKER_WORKER_H

#include "core/wk.h"

#include <sys/queue.h>
#include <pthread.h>

struct event;
struct event_base;
struct evdns_base;
struct evconnlistener;
struct wk_listener;
struct wk_config;
struct wk_pool;
struct wk_sess;
struct wk_post;

/* Counters for the status page; updated with relaxed atomics. */
struct wk_stats {
	uint64_t conns_open;
	uint64_t conns_total;
	uint64_t requests;
	uint64_t tunnels;
	uint64_t errors;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t tunnel_buf_bytes; /* held by tunnel relays now */
	uint64_t tunnel_buf_max;   /* the largest one buffer so far */
	uint64_t read_room_grown;  /* body read sizes past 64 KiB, summed */
};

/* Shared by every worker; owned by main.c. */
struct wk_ctx {
	pthread_mutex_t conf_mu;
	struct wk_config *conf; /* current config; swapped on reload */
	unsigned conf_gen;	/* bumped on every swap (atomic) */
	struct wk_worker **workers;
	unsigned n_workers;
	struct wk_stats stats;
	int64_t started; /* unix time */
	bool draining;	 /* SIGTERM received (atomic) */
	char *spool_dir; /* STATE_DIR/spool: held request bodies */
};

#define WK_WORKER_CMD_DRAIN 0x01u /* close listeners, finish sessions, exit */
#define WK_WORKER_CMD_STOP 0x02u  /* exit now */
#define WK_WORKER_CMD_CONF 0x04u  /* a new config is available */

struct wk_worker {
	struct wk_ctx *ctx;
	unsigned id;
	pthread_t thread;
	struct event_base *base;
	struct evdns_base *dns;
	struct wk_listener *listeners; /* one per configured listen */
	size_t n_listeners;
	pthread_mutex_t post_mu;	    /* guards posts */
	struct wk_post *posts, *posts_tail; /* wk_worker_post queue */
	struct event *ctl; /* reads ctl_fd: other threads' commands */
	int ctl_fd;	   /* eventfd written by wk_worker_command */
	unsigned cmd;	   /* WK_WORKER_CMD_* bits (atomic) */
	struct wk_config
	    *conf; /* this worker's reference to the current config */
	unsigned conf_gen;
	TAILQ_HEAD(wk_sess_list, wk_sess) sessions;
	size_t n_sessions;
	struct wk_pool *pool;
	size_t relay_buf_bytes; /* its tunnels' buffers (sess/relay.c) */
	size_t read_room_grown; /* body reads past 64 KiB (sess/session.c) */
	bool draining;
};

/* Swaps in a new config (takes ownership of c's reference). */
void wk_ctx_set_conf(struct wk_ctx *ctx, struct wk_config *c);
/* Returns a new reference to the current config. */
struct wk_config *wk_ctx_get_conf(struct wk_ctx *ctx);

/* Creates worker id with listener sockets fds (takes ownership of them),
 * fds[i] serving protocol protos[i] (enum wk_listen_proto). */
struct wk_worker *wk_worker_new(struct wk_ctx *ctx, unsigned id, const int *fds,
    const int *protos, size_t n_fds);
int wk_worker_start(struct wk_worker *w);
/* Thread-safe: sets cmd bits and wakes the worker. */
void wk_worker_command(struct wk_worker *w, unsigned cmd);
void wk_worker_join(struct wk_worker *w);
void wk_worker_free(struct wk_worker *w);

/* The worker's current config, refreshed when a reload happened. The
 * pointer is borrowed: take wk_conf_ref() to keep it. */
struct wk_config *wk_worker_conf(struct wk_worker *w);

/* Thread-safe: runs fn(arg) on w's loop soon (answers from helper
 * threads). Jobs still queued when the worker is freed run then. */
void wk_worker_post(struct wk_worker *w, void (*fn)(void *), void *arg);

/* Called by sessions when they end, so a draining worker can exit. */
void wk_worker_sess_gone(struct wk_worker *w);

#endif
