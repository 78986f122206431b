/* src/proto/http_int.h: what the parts of the HTTP engine share. The
 * engine is http_front.c (request heads, upstream connections, events),
 * http_body.c (request bodies) and http_response.c (response heads and
 * bodies, decoding). Not for use outside src/proto/http_*.c. */
#ifndef WK_PROTO_HTTP_INT_H
#define WK_PROTO_HTTP_INT_H

#include "core/wk.h"

#include "proto/http_parse.h"

struct evbuffer;
struct wk_sess;

/* The output a body read from side src may queue before that side stops
 * being read: two of its reads (wk_sess_read_room), HTTP_BODY_HIGH at
 * least, so a bulk body moves a megabyte a system call. */
size_t wk_http_body_high(const struct wk_sess *s, int src);

#define HTTP_BODY_HIGH                                                         \
	(512u * 1024)		    /* pause the source past this much queued */
#define HTTP_BODY_LOW (128u * 1024) /* resume when the sink drains to this */
#define HTTP_READ_MAX (256 * 1024)  /* bytes per read(2) */
#define HTTP_WRITE_MAX (4u << 20)   /* bytes per write(2) by libevent */
#define HTTP_RESP_MAX_LINE 16384
#define HTTP_RESP_MAX_HEAD (256u * 1024)

/* http_front.c */
uint64_t wk_http_wall_us(void);
/* Our pseudonym in Via. */
const char *wk_http_via(struct wk_sess *s);
/* Sends an error of our own for the current request. keep is honoured
 * only when nothing of the request is left unread. */
void wk_http_error(struct wk_sess *s, int status, const char *code, bool keep,
    const char *fmt, ...) WK_PRINTF(5, 6);
/* The request is over: on to the next one on this connection, or close
 * once the output is written. */
void wk_http_finish(struct wk_sess *s, bool keep, const char *reason);
/* Finishes the current request and closes once the output is written. */
void wk_http_close_after_flush(struct wk_sess *s, const char *reason);
/* Decides the request's zone and route, then forwards it. */
void wk_http_decide(struct wk_sess *s);
/* Sends the request on along its route (again, after a dial or retry). */
void wk_http_forward(struct wk_sess *s);

/* http_body.c */
/* Measures how many bytes waiting in `in` belong to a body delimited as
 * kind (left: bytes still due for a Content-Length body; c: the chunked
 * scanner). Sets *n; returns WK_PARSE_DONE when the body ends within them,
 * WK_PARSE_NEED_MORE, or WK_PARSE_ERROR with *err. */
int wk_http_body_measure(enum wk_http_body kind, uint64_t *left,
    struct wk_chunk_scan *c, struct evbuffer *in, size_t *n,
    enum wk_http_err *err);
/* Moves request body bytes from the client to the upstream. */
void wk_http_req_body(struct wk_sess *s);
/* After a request head (drained): for an HTTP/1.0 origin, answers Expect
 * itself; a chunked body is then spooled, and the request goes on
 * (wk_http_decide / wk_http_forward) once it is whole. Returns true when
 * it took the request over. */
bool wk_http_body_begin(struct wk_sess *s, const struct wk_http_head *h);
/* Client bytes into the spool; 413 past `limit spool-size`. */
void wk_http_spool_read(struct wk_sess *s);
/* The head of a spooled request, with its Content-Length, into out. */
void wk_http_spool_head(struct wk_sess *s, struct evbuffer *out);
/* Spooled bytes to the upstream, with back-pressure. */
void wk_http_spool_send(struct wk_sess *s);

/* http_response.c */
/* Response bytes arrived while waiting for a head: parse and relay it. */
void wk_http_resp_head(struct wk_sess *s);
/* Moves response body bytes from upstream to the client. */
void wk_http_resp_body(struct wk_sess *s);
/* The response is complete: pool the upstream, finish the request. */
void wk_http_resp_done(struct wk_sess *s);

#endif
