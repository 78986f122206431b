/* src/proto/http_decode.h: decoding response bodies in the HTTP engine by
 * the zone's `decompress` policy: which Accept-Encoding goes upstream,
 * whether a response is decoded, and the decoding itself, streamed into
 * the client's output (chunked to HTTP/1.1 clients) with back-pressure. */
#ifndef WK_PROTO_HTTP_DECODE_H
#define WK_PROTO_HTTP_DECODE_H

#include "core/wk.h"

#include "codec/decode.h"
#include "proto/http_parse.h"

struct evbuffer;
struct wk_config;
struct wk_req;
struct wk_worker;
struct wk_zone;

/* The Accept-Encoding value to send upstream for request h in zone z
 * (NULL: the client's fields as they are; "": none). Keeps the client's
 * own value in r->client_ae for the response. Allocated: free it. */
char *wk_http_decode_request(
    struct wk_req *r, const struct wk_zone *z, const struct wk_http_head *h);

/* What a response's body is decoded from. */
struct wk_decode_plan {
	enum wk_coding codings[WK_CODING_MAX]; /* in the order applied */
	size_t n;
	char name[64]; /* "gzip", "gzip,br": for logs */
};

/* Whether response resp to request r in zone z is decoded (fills *plan).
 * Not: HEAD, 1xx, 204, 206, 304, bodies without bytes, codings we do not
 * know (logged), `decompress never`, and in `auto` a coding the client
 * accepts; `always` honours Cache-Control: no-transform. */
bool wk_http_decode_wanted(const struct wk_req *r, const struct wk_zone *z,
    const struct wk_http_head *resp, struct wk_decode_plan *plan);

struct wk_http_decode;

/* A decoding of plan's codings under c's limits; chunked: frame the output
 * as chunks (an HTTP/1.1 client). Past the first MiB, it runs on the work
 * queue for worker w (NULL: all inline), and ready(arg) runs on w's loop
 * when blocks are done or a job stopped (call wk_http_decode_run again);
 * never after run said DONE or FAIL. */
struct wk_http_decode *wk_http_decode_new(const struct wk_decode_plan *plan,
    const struct wk_config *c, bool chunked, struct wk_worker *w,
    void (*ready)(void *arg), void *arg);
void wk_http_decode_free(struct wk_http_decode *d);

/* Queues n encoded body bytes (they are copied). */
void wk_http_decode_add(struct wk_http_decode *d, const char *p, size_t n);
/* Queues the first n bytes of in (moved, not copied). */
void wk_http_decode_add_buffer(
    struct wk_http_decode *d, struct evbuffer *in, size_t n);
/* Encoded bytes queued and not decoded yet. */
size_t wk_http_decode_queued(const struct wk_http_decode *d);

enum wk_http_decode_res {
	WK_HTTP_DECODE_MORE = 0, /* the queue is empty: more input please */
	WK_HTTP_DECODE_FULL,	 /* out reached high: call again later */
	WK_HTTP_DECODE_WAIT,	 /* a job is on the pool: wait for ready */
	WK_HTTP_DECODE_DONE,	 /* the body ended (last chunk written) */
	WK_HTTP_DECODE_FAIL	 /* corrupt or over a limit: cut it off */
};

/* Decodes what is queued into out while out holds less than high bytes.
 * eof: every encoded byte has been queued. *written: bytes added to out. */
enum wk_http_decode_res wk_http_decode_run(struct wk_http_decode *d,
    struct evbuffer *out, size_t high, bool eof, uint64_t *written);

/* The client's write watermark during a decoding: call again whenever out
 * has drained to this many bytes (after FULL, and while a job runs on the
 * pool, whose view of out each call refreshes). It is deep, so the next
 * job starts while out still holds enough to keep the client busy. */
size_t wk_http_decode_resume_mark(void);

/* After FAIL: what went wrong, and whether it was a limit (a bomb). */
const char *wk_http_decode_error(const struct wk_http_decode *d);
bool wk_http_decode_limited(const struct wk_http_decode *d);

/* For the access log: the coding and both sizes so far. */
const char *wk_http_decode_name(const struct wk_http_decode *d);
uint64_t wk_http_decode_encoded(const struct wk_http_decode *d);
uint64_t wk_http_decode_decoded(const struct wk_http_decode *d);

#endif
