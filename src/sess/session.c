/* src/sess/session.c: session lifecycle, state, timers and the access
 * line. The protocol logic lives in the front-ends (proto/http_front.c). */
#include "core/wk.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "worker/worker.h"
#include "log/log.h"
#include "proto/http_decode.h"
#include "proto/http_front.h"
#include "proto/socks_front.h"
#include "sess/relay.h"
#include "sess/session.h"
#include "sess/target.h"
#include "sys/autodial.h"
#include "sys/spool.h"
#include "upstream/chain.h"
#include "upstream/connector.h"
#include "upstream/pool.h"

static const char *const sess_state_names[] = {
	[WK_SESS_ST_HEAD] = "HEAD",
	[WK_SESS_ST_CONNECT] = "CONNECT",
	[WK_SESS_ST_FORWARD] = "FORWARD",
	[WK_SESS_ST_TUNNEL] = "TUNNEL",
	[WK_SESS_ST_LOCAL] = "LOCAL",
	[WK_SESS_ST_UDP] = "UDP",
	[WK_SESS_ST_CLOSING] = "CLOSING",
};
_Static_assert(WK_ARRAY_LEN(sess_state_names) == WK_SESS_ST_COUNT,
    "a name for every session state");

static uint64_t sess_next_id = 1; /* atomic */

const char *
wk_sess_state_name(enum wk_sess_state st)
{
	return (unsigned)st < WK_SESS_ST_COUNT ? sess_state_names[st] : "?";
}

void
wk_sess_set_state_(struct wk_sess *s, enum wk_sess_state st, int line)
{
	if (s->state != st)
		wk_log_debug("sess %llu: %s -> %s (line %d)",
		    (unsigned long long)s->id, wk_sess_state_name(s->state),
		    wk_sess_state_name(st), line);
	s->state = st;
}

uint64_t
wk_sess_now_ms(struct wk_sess *s)
{
	struct timeval tv;

	event_base_gettimeofday_cached(s->w->base, &tv);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

void
wk_sess_timer(struct wk_sess *s, unsigned ms)
{
	if (ms == 0) {
		evtimer_del(s->timer);
		return;
	}
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(s->timer, &tv);
}

#define SESS_READ_SMALL (16u * 1024) /* waiting for heads */
#define SESS_READ_LARGE (64u * 1024) /* a body's first reads */
/* a worker's sessions together grow their body reads by this much at most
 * (a slow client of a grown session holds up to three reads' worth) */
#define SESS_ROOM_BUDGET (32u << 20)

size_t
wk_sess_read_room(const struct wk_sess *s, enum wk_side side)
{
	return s->read_room[side] != 0 ? s->read_room[side] : SESS_READ_LARGE;
}

/* Sets side's read size, within the worker's budget for grown ones. */
static void
sess_set_room(struct wk_sess *s, enum wk_side side, size_t room)
{
	size_t old = wk_sess_read_room(s, side);
	uint64_t *st = &s->w->ctx->stats.read_room_grown;

	if (room > old) {
		if (s->w->read_room_grown + (room - old) > SESS_ROOM_BUDGET)
			return;
		s->w->read_room_grown += room - old;
		__atomic_add_fetch(st, room - old, __ATOMIC_RELAXED);
	} else {
		s->w->read_room_grown -= old - room;
		__atomic_sub_fetch(st, old - room, __ATOMIC_RELAXED);
	}
	s->read_room[side] = room;
}

static void
sess_do_read(struct wk_sess *s, enum wk_side side, bool fresh)
{
	struct bufferevent *bev = side == WK_SIDE_CLI ? s->cli : s->up;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	bool body = s->state == WK_SESS_ST_FORWARD;
	size_t room = body ? wk_sess_read_room(s, side) : SESS_READ_SMALL;
	struct evbuffer_iovec v[2];
	ssize_t n;
	int nv;

	if (s->read_limit[side] != 0 && len >= s->read_limit[side]) {
		/* let the handler consume first; if it cannot, stop reading
		 * until it moves on (wk_sess_reading turns it back on) */
		s->front->on_read(s, side);
		if (s->dead || !s->reading[side])
			return;
		bev = side == WK_SIDE_CLI ? s->cli : s->up;
		if (bev == NULL)
			return;
		if (evbuffer_get_length(bufferevent_get_input(bev)) >=
		    s->read_limit[side]) {
			wk_sess_reading(s, side, false);
			return;
		}
	}
	if (!fresh) {
		/* re-run on buffered bytes only */
		if (len > 0)
			s->front->on_read(s, side);
		return;
	}
	/* a socket bufferevent keeps the end of its input frozen except
	 * while it reads: do as it does */
	evbuffer_unfreeze(in, 0);
	if (side == WK_SIDE_CLI && len == 0 && !body) {
		/* a request into an empty buffer goes through the stack: a
		 * client accepted before it spoke (wk_sess_new reads at once)
		 * then holds no reserved chain while it stays silent */
		char head[SESS_READ_SMALL];

		n = read(bufferevent_getfd(bev), head, sizeof(head));
		if (n > 0 && evbuffer_add(in, head, (size_t)n) < 0) {
			errno = ENOMEM;
			n = -1;
		}
	} else {
		nv = evbuffer_reserve_space(in, (ev_ssize_t)room, v, 2);
		n = nv > 0 ?
		    readv(bufferevent_getfd(bev), (struct iovec *)v, nv) :
		    -1;
		if (n > 0) {
			size_t first = WK_MIN((size_t)n, v[0].iov_len);

			v[0].iov_len = first;
			if (nv > 1)
				v[1].iov_len = (size_t)n - first;
			evbuffer_commit_space(
			    in, v, nv > 1 && v[1].iov_len ? 2 : 1);
			if (body && (size_t)n >= room &&
			    room < WK_SESS_READ_BULK)
				sess_set_room(s, side,
				    WK_MIN(room * 2, WK_SESS_READ_BULK));
		}
	}
	evbuffer_freeze(in, 0);
	if (n > 0) {
		s->front->on_read(s, side);
	} else if (n == 0) {
		wk_sess_reading(s, side, false);
		s->front->on_close(s, side, BEV_EVENT_READING | BEV_EVENT_EOF);
	} else if (errno != EAGAIN && errno != EINTR) {
		wk_sess_reading(s, side, false);
		s->front->on_close(
		    s, side, BEV_EVENT_READING | BEV_EVENT_ERROR);
	}
}

static void
sess_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)what;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (s->cli != NULL && fd == bufferevent_getfd(s->cli))
		sess_do_read(s, WK_SIDE_CLI, true);
	else if (s->up != NULL && fd == bufferevent_getfd(s->up))
		sess_do_read(s, WK_SIDE_UP, true);
	wk_sess_leave(s);
}

static void
sess_reread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)fd, (void)what;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (s->cli != NULL && s->reading[WK_SIDE_CLI])
		sess_do_read(s, WK_SIDE_CLI, false);
	wk_sess_leave(s);
}

void
wk_sess_reread(struct wk_sess *s, enum wk_side side)
{
	(void)side; /* only the client side has pipelining */
	if (s->reread == NULL)
		s->reread = event_new(s->w->base, -1, 0, sess_reread_cb, s);
	event_active(s->reread, EV_READ, 0);
}

/* --- TLS sides: the bufferevent reads and writes ------------------------ */

static int
sess_side_of(struct wk_sess *s, struct bufferevent *bev)
{
	return bev == s->cli ? WK_SIDE_CLI : bev == s->up ? WK_SIDE_UP : -1;
}

static void
sess_tls_read_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;
	int side;

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	side = sess_side_of(s, bev);
	if (side >= 0 && s->reading[side])
		s->front->on_read(s, side);
	wk_sess_leave(s);
}

static void
sess_tls_write_cb(struct bufferevent *bev, void *arg)
{
	struct wk_sess *s = arg;
	int side = sess_side_of(s, bev);

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	if (side >= 0 && s->tls_wcb[side] != NULL)
		s->tls_wcb[side](bev, s);
}

static void
sess_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct wk_sess *s = arg;
	int side = sess_side_of(s, bev);

	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	if (side < 0)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (s->tls_ecb[side] != NULL)
			s->tls_ecb[side](bev, what, s);
		return;
	}
	if (what & BEV_EVENT_READING) {
		/* EOF or an error while reading: what a read of ours
		 * would have reported */
		wk_sess_enter(s);
		wk_sess_reading(s, (enum wk_side)side, false);
		s->front->on_close(s, side, what);
		wk_sess_leave(s);
	} else if (s->tls_ecb[side] != NULL) {
		s->tls_ecb[side](bev, what, s);
	}
}

void
wk_sess_setcb(struct wk_sess *s, enum wk_side side, bufferevent_data_cb wcb,
    bufferevent_event_cb ecb)
{
	struct bufferevent *bev = side == WK_SIDE_CLI ? s->cli : s->up;

	if (bev == NULL)
		return;
	if (!s->tls[side]) {
		bufferevent_setcb(bev, NULL, wcb, ecb, s);
		return;
	}
	s->tls_wcb[side] = wcb;
	s->tls_ecb[side] = ecb;
	bufferevent_setcb(
	    bev, sess_tls_read_cb, sess_tls_write_cb, sess_tls_event_cb, s);
}

void
wk_sess_set_upstream(struct wk_sess *s, struct bufferevent *bev,
    const struct sockaddr_storage *peer, bool tls)
{
	s->up = bev;
	memcpy(&s->up_addr, peer, sizeof(s->up_addr));
	if (tls)
		wk_sess_set_tls(s, WK_SIDE_UP, bev); /* an https proxy */
}

void
wk_sess_set_tls(struct wk_sess *s, enum wk_side side, struct bufferevent *bev)
{
	bool was_reading = s->reading[side];

	/* the old bufferevent's fd is read by our event no more */
	wk_sess_reading(s, side, false);
	if (s->rev[side] != NULL) {
		event_free(s->rev[side]);
		s->rev[side] = NULL;
	}
	if (side == WK_SIDE_CLI)
		s->cli = bev;
	else
		s->up = bev;
	s->tls[side] = true;
	s->tls_wcb[side] = NULL;
	s->tls_ecb[side] = NULL;
	bufferevent_setcb(
	    bev, sess_tls_read_cb, sess_tls_write_cb, sess_tls_event_cb, s);
	bufferevent_enable(bev, EV_WRITE);
	if (was_reading)
		wk_sess_reading(s, side, true);
}

static void
sess_tls_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)fd, (void)what;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	if (s->tls_drained != NULL)
		s->tls_drained(s);
	wk_sess_leave(s);
}

bool
wk_sess_tls_pending(struct wk_sess *s, void (*again)(struct wk_sess *s))
{
	struct bufferevent *u;
	struct timeval tv = { 0, 20 * 1000 };

	if (!s->tls[WK_SIDE_CLI] ||
	    (u = bufferevent_get_underlying(s->cli)) == NULL ||
	    evbuffer_get_length(bufferevent_get_output(u)) == 0)
		return false;
	s->tls_drained = again;
	if (s->tls_drain == NULL)
		s->tls_drain = evtimer_new(s->w->base, sess_tls_drain_cb, s);
	evtimer_add(s->tls_drain, &tv);
	return true;
}

void
wk_sess_reading(struct wk_sess *s, enum wk_side side, bool on)
{
	struct bufferevent *bev = side == WK_SIDE_CLI ? s->cli : s->up;

	if (on == s->reading[side] || bev == NULL)
		return;
	if (s->tls[side]) {
		if (on) {
			bufferevent_setwatermark(
			    bev, EV_READ, 0, s->read_limit[side]);
			bufferevent_enable(bev, EV_READ);
		} else {
			bufferevent_disable(bev, EV_READ);
		}
		s->reading[side] = on;
		return;
	}
	if (s->rev[side] == NULL)
		s->rev[side] = event_new(s->w->base, bufferevent_getfd(bev),
		    EV_READ | EV_PERSIST, sess_read_cb, s);
	if (on)
		event_add(s->rev[side], NULL);
	else
		event_del(s->rev[side]);
	s->reading[side] = on;
}

/* Forgets a side's read event (its connection is going away). */
static void
sess_reading_free(struct wk_sess *s, enum wk_side side)
{
	if (s->rev[side] != NULL) {
		event_free(s->rev[side]);
		s->rev[side] = NULL;
	}
	s->reading[side] = false;
}

static void
sess_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wk_sess *s = arg;

	(void)fd, (void)what;
	WK_BUG_ON(s->magic != WK_SESS_MAGIC);
	wk_sess_enter(s);
	s->front->on_timeout(s);
	wk_sess_leave(s);
}

void
wk_sess_new(struct wk_worker *w, int fd, const struct sockaddr *sa,
    socklen_t salen, int proto)
{
	struct wk_sess *s = wk_calloc(1, sizeof(*s));

	s->magic = WK_SESS_MAGIC;
	s->id = __atomic_fetch_add(&sess_next_id, 1, __ATOMIC_RELAXED);
	s->w = w;
	s->conf = wk_conf_ref(wk_worker_conf(w));
	memcpy(&s->cli_addr, sa, WK_MIN((size_t)salen, sizeof(s->cli_addr)));
	wk_addr_str(sa, s->cli_str, sizeof(s->cli_str));
	s->cli_fd = fd;
	s->proto = proto;
	s->cli = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(w->base, sess_timer_cb, s);
	TAILQ_INSERT_TAIL(&w->sessions, s, link);
	w->n_sessions++;
	__atomic_add_fetch(&w->ctx->stats.conns_open, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&w->ctx->stats.conns_total, 1, __ATOMIC_RELAXED);
	wk_log_debug(
	    "sess %llu: accepted %s", (unsigned long long)s->id, s->cli_str);
	wk_http_start(s);
	/* the listener defers accept until the client's first bytes are in:
	 * read them now instead of in another trip through epoll */
	wk_sess_enter(s);
	if (!s->dead && s->reading[WK_SIDE_CLI])
		sess_do_read(s, WK_SIDE_CLI, true);
	wk_sess_leave(s);
}

static void
req_clear(struct wk_req *r)
{
	free(r->method);
	free(r->target);
	free(r->host);
	free(r->key);
	free(r->out_head);
	free(r->reason_own);
	free(r->raw_head);
	free(r->authority);
	free(r->path);
	free(r->client_ae);
	wk_http_decode_free(r->decode);
	if (r->spool != NULL)
		wk_spool_free(r->spool);
	wk_route_dyn_free(r->dyn);
	memset(r, 0, sizeof(*r));
}

/* Pools s->up under key when reuse and it can be, frees it otherwise. */
static void
sess_release_upstream(struct wk_sess *s, bool reuse, const char *key)
{
	if (reuse && s->up != NULL && s->tls[WK_SIDE_UP]) {
		/* a TLS connection is parked whole; bytes the socket layer
		 * read but TLS did not consume would be lost */
		struct bufferevent *u = bufferevent_get_underlying(s->up);

		if (u == NULL || evbuffer_get_length(bufferevent_get_input(u)))
			reuse = false;
	}
	if (s->up == NULL) {
		sess_reading_free(s, WK_SIDE_UP);
		return;
	}
	if (reuse && key != NULL && !s->w->draining &&
	    evbuffer_get_length(bufferevent_get_input(s->up)) == 0) {
		/* the pool watches the fd before we stop: no epoll change */
		wk_pool_put(s->w->pool, key, s->up,
		    (struct sockaddr *)&s->up_addr,
		    s->conf->timeout.pool_idle_ms);
		sess_reading_free(s, WK_SIDE_UP);
	} else {
		sess_reading_free(s, WK_SIDE_UP);
		bufferevent_free(s->up);
	}
	s->up = NULL;
	s->up_eof = false;
	s->up_paused = false;
	s->up_idle = false;
	s->tls[WK_SIDE_UP] = false;
}

void
wk_sess_park_upstream(struct wk_sess *s, const char *key)
{
	sess_release_upstream(s, true, key);
}

void
wk_sess_drop_upstream(struct wk_sess *s, bool reuse)
{
	if (s->connecting != NULL) {
		wk_chain_cancel(s->connecting);
		s->connecting = NULL;
	}
	if (s->targeting != NULL) {
		wk_target_cancel(s->targeting);
		s->targeting = NULL;
	}
	if (s->dialing != NULL) {
		wk_dial_cancel(s->dialing);
		s->dialing = NULL;
	}
	if (s->up != NULL && s->intercepted && reuse) {
		/* the TLS connection to the origin serves the next request of
		 * this client connection */
		wk_sess_reading(s, WK_SIDE_UP, false);
		s->up_idle = true;
		return;
	}
	if (s->up != NULL && s->intercepted && s->up_idle) {
		/* ... or, once this client is done, another tunnel's */
		sess_release_upstream(s, s->tls_share, s->tls_key);
		return;
	}
	sess_release_upstream(s, reuse, s->req.key);
}

void
wk_sess_end_request(struct wk_sess *s, const char *reason)
{
	struct wk_req *r = &s->req;

	if (r->method != NULL) {
		struct timeval tv;
		struct wk_access_rec rec;
		uint64_t now;

		gettimeofday(&tv, NULL);
		now = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
		if (wk_log_access_enabled()) {
			rec.start_us = r->start_us;
			rec.duration_us =
			    now > r->start_us ? now - r->start_us : 0;
			rec.client = s->cli_str;
			rec.method = r->method;
			rec.target = r->target;
			rec.status = r->status;
			rec.bytes_in = r->bytes_in;
			rec.bytes_out = r->bytes_out;
			rec.upstream = r->upstream[0] ? r->upstream : NULL;
			rec.reason = reason ? reason : r->reason;
			rec.coding = NULL;
			if (r->decode != NULL) {
				rec.coding = wk_http_decode_name(r->decode);
				rec.encoded = wk_http_decode_encoded(r->decode);
				rec.decoded = wk_http_decode_decoded(r->decode);
			}
			wk_log_access(&rec);
		}
		struct wk_stats *st = &s->w->ctx->stats;
		__atomic_add_fetch(
		    &st->bytes_in, r->bytes_in, __ATOMIC_RELAXED);
		__atomic_add_fetch(
		    &st->bytes_out, r->bytes_out, __ATOMIC_RELAXED);
		if (r->status >= 400 || r->status == 0)
			__atomic_add_fetch(&st->errors, 1, __ATOMIC_RELAXED);
	}
	req_clear(r);
	/* the next exchange starts with small reads again */
	sess_set_room(s, WK_SIDE_CLI, SESS_READ_LARGE);
	sess_set_room(s, WK_SIDE_UP, SESS_READ_LARGE);
}

static void
sess_destroy(struct wk_sess *s)
{
	struct wk_worker *w = s->w;

	sess_set_room(s, WK_SIDE_CLI, SESS_READ_LARGE);
	sess_set_room(s, WK_SIDE_UP, SESS_READ_LARGE);
	TAILQ_REMOVE(&w->sessions, s, link);
	w->n_sessions--;
	__atomic_sub_fetch(&w->ctx->stats.conns_open, 1, __ATOMIC_RELAXED);
	s->magic = 0;
	free(s);
	wk_worker_sess_gone(w);
}

static void
sess_teardown(struct wk_sess *s)
{
	/* the relay's events watch the bufferevents' fds: free it first */
	wk_relay_free(s->relay);
	s->relay = NULL;
	wk_socks_free(s);
	wk_sess_drop_upstream(s, false);
	sess_reading_free(s, WK_SIDE_CLI);
	if (s->reread != NULL) {
		event_free(s->reread);
		s->reread = NULL;
	}
	if (s->tls_drain != NULL) {
		event_free(s->tls_drain);
		s->tls_drain = NULL;
	}
	if (s->cli != NULL) {
		bufferevent_free(s->cli);
		s->cli = NULL;
	}
	if (s->timer != NULL) {
		event_free(s->timer);
		s->timer = NULL;
	}
	req_clear(&s->req);
	free(s->tls_host);
	s->tls_host = NULL;
	free(s->tls_up_err);
	s->tls_up_err = NULL;
	free(s->tls_via);
	s->tls_via = NULL;
	free(s->tls_dest);
	s->tls_dest = NULL;
	free(s->tls_key);
	s->tls_key = NULL;
	wk_route_dyn_free(s->tls_dyn);
	if (s->conf != NULL) {
		wk_conf_unref(s->conf);
		s->conf = NULL;
	}
}

void
wk_sess_close(struct wk_sess *s, const char *reason)
{
	if (s->dead)
		return;
	/* reason may point into the request: log it before it is freed */
	wk_log_debug(
	    "sess %llu: closed: %s", (unsigned long long)s->id, reason);
	if (s->req.method != NULL)
		wk_sess_end_request(s, reason);
	sess_teardown(s);
	s->dead = true;
	if (s->cb_depth == 0)
		sess_destroy(s);
}

static void
sess_flush_one(struct bufferevent *bev, bool tls)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	int n;

	if (evbuffer_get_length(out) == 0 ||
	    (bufferevent_get_enabled(bev) & EV_WRITE))
		return;
	if (tls) {
		/* TLS records are the bufferevent's to write */
		bufferevent_enable(bev, EV_WRITE);
		return;
	}
	/* socket bufferevents keep the front of their output frozen except
	 * while they write; do as their write callback does */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, bufferevent_getfd(bev));
	evbuffer_freeze(out, 1);
	if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
	    evbuffer_get_length(out) > 0) {
		/* the rest (or the error) is libevent's to handle */
		bufferevent_enable(bev, EV_WRITE);
		return;
	}
	/* drained at once: run what the write callback would have */
	bufferevent_trigger(bev, EV_WRITE, 0);
}

/* Output waiting that nobody will write: not handed to libevent. */
static bool
sess_unflushed(struct bufferevent *bev)
{
	return bev != NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0 &&
	    !(bufferevent_get_enabled(bev) & EV_WRITE);
}

void
wk_sess_flush(struct wk_sess *s)
{
	/* a write callback may queue more (a resumed source): a few rounds,
	 * then what is left is libevent's */
	for (int round = 0; !s->dead; round++) {
		if (!sess_unflushed(s->cli) && !sess_unflushed(s->up))
			return;
		if (round == 4) {
			if (sess_unflushed(s->cli))
				bufferevent_enable(s->cli, EV_WRITE);
			if (sess_unflushed(s->up))
				bufferevent_enable(s->up, EV_WRITE);
			return;
		}
		if (s->cli != NULL)
			sess_flush_one(s->cli, s->tls[WK_SIDE_CLI]);
		if (!s->dead && s->up != NULL)
			sess_flush_one(s->up, s->tls[WK_SIDE_UP]);
	}
}

bool
wk_sess_leave(struct wk_sess *s)
{
	if (s->cb_depth == 1 && !s->dead && s->relay == NULL)
		wk_sess_flush(s);
	if (--s->cb_depth == 0 && s->dead) {
		sess_destroy(s);
		return true;
	}
	return false;
}

void
wk_sess_free(struct wk_sess *s)
{
	if (!s->dead)
		sess_teardown(s);
	sess_destroy(s);
}

void
wk_sess_drain(struct wk_sess *s)
{
	if (s->dead)
		return;
	if (s->state == WK_SESS_ST_HEAD && !s->head_started)
		wk_sess_close(s, "shutting down");
}
