/* src/sess/session.h: one client connection, from accept to close: its
 * state, buffers, timers and the request in progress. Front-ends (HTTP now,
 * SOCKS later) drive it; the relay moves bytes once a tunnel is up. */
#ifndef WK_SESS_SESSION_H
#define WK_SESS_SESSION_H

#include "core/wk.h"

#include <event2/bufferevent.h>

#include <sys/queue.h>
#include <sys/socket.h>

#include "core/idna.h"
#include "core/netaddr.h"
#include "proto/http_parse.h"

struct bufferevent;
struct wk_sess;
struct event;
struct wk_config;
struct wk_chain;
struct wk_dial_wait;
struct wk_route;
struct wk_route_dyn;
struct wk_target;
struct wk_upstream;
struct wk_zone;
struct wk_relay;
struct wk_worker;
struct wk_http_decode;
struct wk_spool;

#define WK_SESS_MAGIC 0x5e55104bu

/* The two sides of a session. */
enum wk_side {
	WK_SIDE_CLI = 0, /* the client connection */
	WK_SIDE_UP,	 /* the upstream connection */
	WK_SIDE_COUNT
};

enum wk_sess_state {
	WK_SESS_ST_HEAD = 0, /* waiting for / reading a request head */
	WK_SESS_ST_CONNECT,  /* resolving and connecting upstream */
	WK_SESS_ST_FORWARD,  /* request going up, response coming down */
	WK_SESS_ST_TUNNEL,   /* CONNECT or Upgrade: raw bytes both ways */
	WK_SESS_ST_LOCAL,    /* sending a response of our own */
	WK_SESS_ST_UDP,	     /* a SOCKS5 UDP association */
	WK_SESS_ST_CLOSING,  /* flushing, then lingering, then close */
	WK_SESS_ST_COUNT
};

/* Where the response to the current request stands. */
enum wk_resp_state {
	WK_RESP_NONE = 0, /* not asked yet */
	WK_RESP_HEAD,	  /* waiting for the (next) response head */
	WK_RESP_BODY,	  /* relaying the body */
	WK_RESP_DONE	  /* complete */
};

/* The request in progress; reset for each request on a connection. */
struct wk_req {
	char *method; /* owned copies, for logs and framing */
	char *target;
	char *host; /* upstream host (no brackets) */
	uint16_t port;
	char *key;	/* pool key "host:port" */
	char *out_head; /* head sent upstream, kept for one retry */
	size_t out_head_len;
	char *raw_head; /* the client's head, when the route has an HTTP
			 * upstream (it is rebuilt in absolute form) */
	size_t raw_head_len;
	char *authority;	    /* IDNA A-label authority when it differs */
	const struct wk_zone *zone; /* the destination's zone, or NULL */
	/* the zone as matched for the head (no DNS): cookies, encodings */
	const struct wk_zone *head_zone;
	char *client_ae; /* the client's Accept-Encoding, NULL: none sent */
	const struct wk_route *route;  /* the hops to try (conf or dyn) */
	struct wk_route_dyn *dyn;      /* a route from the PAC script */
	const struct wk_upstream *hop; /* the hop that carries the request */
	bool absolute; /* this request goes to an HTTP upstream */
	bool is_head, is_connect, upgrade;
	bool https;  /* GET https://...: TLS to the origin is ours */
	int cookies; /* enum wk_zone_cookies of the request */
	char *path;  /* the request's path (no query), for the jar */
	bool client_http10;
	bool keep_alive; /* the client connection may carry another request */
	bool retried;	 /* already resent once on a fresh connection */
	bool dialed;	 /* the dial command ran for this request */
	bool up_reused;	 /* the upstream connection came from the pool */
	enum wk_http_body body; /* request body framing */
	uint64_t body_left;
	struct wk_chunk_scan chunk;
	bool body_done;
	bool body_started;	/* some body bytes went upstream */
	bool origin10;		/* the origin speaks HTTP/1.0 only */
	struct wk_spool *spool; /* a chunked body held for its length */
	bool spooling;		/* still reading it from the client */

	enum wk_resp_state resp;
	enum wk_http_body resp_body;
	uint64_t resp_left;
	struct wk_chunk_scan resp_chunk;
	bool resp_dechunk; /* HTTP/1.0 client: strip chunked framing */
	bool resp_keep_up; /* the upstream connection can be pooled after */
	bool resp_ended;   /* every byte of the response body was read */
	struct wk_http_decode *decode; /* decoding the body, or NULL */

	int status;
	uint64_t start_us;
	uint64_t bytes_in, bytes_out;
	char upstream[WK_HOST_MAX + 64];
	const char
	    *reason; /* why the request ended: static text, or reason_own */
	char *reason_own; /* an owned reason (details of a failure) */
};

/* A front-end: the protocol spoken with the client (HTTP, SOCKS). The
 * session calls it for bytes, closes and its timer. */
struct wk_front_ops {
	const char *name;
	void (*on_read)(struct wk_sess *s, int side); /* enum wk_side */
	void (*on_close)(
	    struct wk_sess *s, int side, short what); /* BEV_EVENT_* */
	void (*on_timeout)(struct wk_sess *s);
};

struct wk_socks_sess;
struct wk_socks_udp;

struct wk_sess {
	uint32_t magic;
	uint64_t id;
	enum wk_sess_state state;
	struct wk_worker *w;
	struct wk_config *conf; /* reference, refreshed per request */
	TAILQ_ENTRY(wk_sess) link;

	const struct wk_front_ops *front;
	int proto;		     /* enum wk_listen_proto of the listener */
	struct wk_socks_sess *socks; /* SOCKS front-end state, NULL for HTTP */
	struct wk_socks_udp *socks_udp; /* a UDP association, or NULL */

	struct bufferevent *cli;
	struct sockaddr_storage cli_addr;
	char cli_str[WK_ADDRSTRLEN];
	int cli_fd;

	struct bufferevent *up; /* upstream connection, NULL when none */
	struct sockaddr_storage up_addr;
	struct wk_chain *connecting;  /* the route being tried */
	struct wk_target *targeting;  /* the zone and route being decided */
	struct wk_dial_wait *dialing; /* waiting for the dial command */
	struct wk_relay *relay;	      /* TUNNEL state: the splice relay */

	/* Reading is ours, not the bufferevents': libevent 2.1 reads at most
	 * 4 KiB per call (plus an ioctl). These events read up to 64 KiB into
	 * the bufferevents' input buffers; the bufferevents still write. */
	struct event *rev[WK_SIDE_COUNT];
	bool reading[WK_SIDE_COUNT];
	size_t read_limit[WK_SIDE_COUNT]; /* stop reading past this input */
	size_t read_room[WK_SIDE_COUNT];  /* a body read's size; 0: the start */
	struct event *reread; /* wk_sess_reread's deferred callback */

	struct event *timer;	 /* the one deadline of the current state */
	uint64_t last_active_ms; /* for idle bounds in relay states */
	unsigned idle_ms;	 /* the idle bound of a relay state */
	bool head_started;	 /* bytes of a request head have arrived */
	/* A side that is a TLS bufferevent (an intercepted client, or TLS to
	 * the origin) is read and written by the bufferevent itself; its
	 * callbacks are the session's, which call the front's. */
	bool tls[WK_SIDE_COUNT];
	bufferevent_data_cb tls_wcb[WK_SIDE_COUNT];
	bufferevent_event_cb tls_ecb[WK_SIDE_COUNT];
	bool intercepted; /* the client's TLS ends here: origin-form
			     requests go to tls_host:tls_port over s->up */
	char *tls_host;	  /* the CONNECT (or SOCKS) target */
	uint16_t tls_port;
	bool tls_cli_done; /* the client's handshake finished */
	bool tls_up_done;  /* the origin's handshake finished */
	char *tls_up_err;  /* why the origin's failed, or NULL */
	char *tls_via;	   /* the tunnel's UPSTREAM, for its requests' lines */
	char *tls_dest;	   /* where the tunnel goes (tls_host: the SNI's) */
	const struct wk_route *tls_route; /* the tunnel's, for reconnecting */
	struct wk_route_dyn *tls_dyn;	  /* ... when a PAC script gave it */
	bool tls_verify; /* the origin's certificate is checked */
	char *tls_key;	 /* the pool key of TLS to tls_dest ("tls:...") */
	/* the origin connection may be shared under tls_key: verified, and
	 * for tls_dest itself (not for another SNI name) */
	bool tls_share;
	bool up_idle;	    /* intercepted: s->up is between requests */
	bool tls_up_pooled; /* s->up came from the pool at the CONNECT */
	const struct wk_front_ops *tls_prev_front; /* for a non-TLS tunnel */
	struct event *tls_drain; /* closing: re-checks a TLS client's output */
	void (*tls_drained)(struct wk_sess *s); /* ... then calls this */
	bool cli_eof;				/* the client sent FIN */
	bool up_eof;
	bool cli_shut;	   /* we sent FIN to the client (tunnel) */
	bool up_shut;	   /* we sent FIN upstream (tunnel) */
	bool cli_paused;   /* client reads stopped: upstream is full */
	bool up_paused;	   /* upstream reads stopped: client is full */
	bool lingering;	   /* CLOSING: output flushed, FIN sent */
	unsigned cb_depth; /* callbacks on the stack; free waits for 0 */
	bool dead;	   /* closed; freed when the callback unwinds */
	uint64_t requests; /* requests served on this connection */

	struct wk_req req;
};

/* Creates a session for an accepted socket (taking ownership of fd) and
 * reads what the client already sent; the session may be gone on return. */
void wk_sess_new(struct wk_worker *w, int fd, const struct sockaddr *sa,
    socklen_t salen, int proto);
/* Frees everything at once (worker teardown). */
void wk_sess_free(struct wk_sess *s);
/* Ends the session: logs the request if one is open, closes both sides. */
void wk_sess_close(struct wk_sess *s, const char *reason);
/* Asked to finish: idle sessions close now, busy ones after this request. */
void wk_sess_drain(struct wk_sess *s);

void wk_sess_set_state_(struct wk_sess *s, enum wk_sess_state st, int line);
#define wk_sess_set_state(s, st) wk_sess_set_state_((s), (st), __LINE__)
const char *wk_sess_state_name(enum wk_sess_state st);

/* Arms the session timer to fire in ms (0: disarm). */
void wk_sess_timer(struct wk_sess *s, unsigned ms);
/* The most one read takes from side while a body moves: 64 KiB at first,
 * doubled up to WK_SESS_READ_BULK each time a read fills it whole (a bulk
 * body: fewer, larger system calls), back to 64 KiB at the next request;
 * a worker's sessions grow theirs by 32 MiB at most together. */
#define WK_SESS_READ_BULK (1024u * 1024 - 256) /* one 1 MiB evbuffer chain */
size_t wk_sess_read_room(const struct wk_sess *s, enum wk_side side);
/* Milliseconds on the worker's cached clock. */
uint64_t wk_sess_now_ms(struct wk_sess *s);

/* Writes the access line for the current request and resets it. */
void wk_sess_end_request(struct wk_sess *s, const char *reason);
/* Frees the upstream connection (or returns it to the pool). */
void wk_sess_drop_upstream(struct wk_sess *s, bool reuse);
/* Returns the idle upstream connection to the pool under key (or frees it
 * when it cannot be reused). */
void wk_sess_park_upstream(struct wk_sess *s, const char *key);

/* Trampoline bracket: callbacks call enter first and leave last. The
 * outermost leave writes what the callback queued (wk_sess_flush) and frees
 * a session closed meanwhile; it returns true when it did. */
static inline void
wk_sess_enter(struct wk_sess *s)
{
	s->cb_depth++;
}
bool wk_sess_leave(struct wk_sess *s);

/* Turns reading from one side on or off (creating its event on first use).
 * Read bytes go to the side's bufferevent input, then to
 * wk_http_on_read(); EOF and errors to wk_http_on_close(). */
void wk_sess_reading(struct wk_sess *s, enum wk_side side, bool on);
/* Runs the read handler once more on what is already buffered (a request
 * pipelined behind the one just answered), from a fresh callback. */
void wk_sess_reread(struct wk_sess *s, enum wk_side side);

/* Sets a side's write and event callbacks (a TLS side keeps the
 * session's read callback, which feeds the front). */
void wk_sess_setcb(struct wk_sess *s, enum wk_side side,
    bufferevent_data_cb wcb, bufferevent_event_cb ecb);
/* The side's bufferevent is now a TLS one (it replaced the old one, which
 * it owns). */
void wk_sess_set_tls(
    struct wk_sess *s, enum wk_side side, struct bufferevent *bev);
/* The chain's connection becomes s->up: its peer address, and its TLS
 * side when the first hop is an https proxy. */
void wk_sess_set_upstream(struct wk_sess *s, struct bufferevent *bev,
    const struct sockaddr_storage *peer, bool tls);

/* A TLS client's records may still sit in the socket bufferevent under
 * it: true, and again() is called (in a callback of its own) once they may
 * have been written, to check again. */
bool wk_sess_tls_pending(struct wk_sess *s, void (*again)(struct wk_sess *s));

/* Writes queued output at once instead of waiting for the socket to be
 * reported writable: most responses fit the socket buffer, and this saves
 * two epoll_ctl calls and a loop turn per write. Only what does not fit
 * waits for a write event (EV_WRITE is enabled only then). */
void wk_sess_flush(struct wk_sess *s);

#endif
