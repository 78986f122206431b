/* src/proto/http_decode.c: response decoding in the HTTP engine. The
 * policy part is pure (heads in, decisions out); the streaming part queues
 * encoded bytes, decodes them a block at a time while the client's output
 * has room, and frames what comes out. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>

#include <event2/buffer.h>

#include "config/conf.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/spare.h"
#include "log/log.h"
#include "proto/http_decode.h"
#include "sys/workq.h"
#include "worker/worker.h"
#include "sess/session.h"
#include "zone/zone.h"

#define DECODE_BUF (256 * 1024) /* decoded bytes per step (< 16 MiB) */
/* A chunk's size line, fixed width so the data can be decoded in place
 * after it (leading zeros are valid: RFC 9112 7.1) */
#define DECODE_CHUNK_LINE 8		 /* "%06zx\r\n" */
#define DECODE_RATIO_AFTER (1024 * 1024) /* small bodies may compress well */
/* room for one step's chunk: its size line, the data, CRLF */
#define DECODE_STEP_ROOM (DECODE_CHUNK_LINE + DECODE_BUF + 2)
/* Past this much decoded, the body is decoded on the pool
 * (src/sys/workq.c), one job at a time, each going on for as long as it
 * has input and room: the worker hands it the encoded bytes as they come
 * and takes its full blocks (by reference) as they are done, so the
 * decoding never waits for a hand-over. A job stops when the client's
 * output (as of the worker's last look, which every write of it
 * refreshes) and the blocks not taken yet reach DECODE_OUT_MAX, or when
 * DECODE_BACK_MAX of that output was still there unwritten (the client is
 * slower than the decoding: depth would only cost memory); the next starts
 * once both are down to their resume marks. The first bound is deep
 * because the worker is often a few milliseconds late to take a block
 * (its wake-up), and that is megabytes of brotli output. The second is
 * shallow, 2 MiB, for a client that has made a job stop in the last
 * DECODE_BACK_CALM of output (a slow one: it stays at the small bound),
 * and 8 MiB for one that has not: a fast client also stalls for a few
 * milliseconds now and then (curl not on a CPU), and a job that stopped
 * at 2 MiB unwritten cost a br download 2-7 % (doc/PERFORMANCE.md). A
 * body starts at the small bound. */
#define DECODE_INLINE_MAX (1024 * 1024)
#define DECODE_BLOCK (4 * DECODE_STEP_ROOM)
#define DECODE_OUT_MAX (16 * DECODE_BLOCK)
#define DECODE_OUT_RESUME (12 * DECODE_BLOCK)
#define DECODE_BACK_MAX (2 * DECODE_BLOCK)
#define DECODE_BACK_RESUME (1 * DECODE_BLOCK)
#define DECODE_BACK_CALM_MAX (8 * DECODE_BLOCK)
#define DECODE_BACK_CALM_RESUME (6 * DECODE_BLOCK)
#define DECODE_BACK_CALM (32 * DECODE_BLOCK)
/* What wicket asks for on behalf of a client (compress-upstream). */
#define DECODE_OURS "gzip, br, zstd"

struct decode_pool;

struct wk_http_decode {
	struct wk_decoder *dec;	  /* the pool's while a job runs */
	struct wk_worker *w;	  /* NULL: everything inline */
	void (*ready)(void *arg); /* blocks are back, or a job stopped */
	void *ready_arg;
	struct decode_pool *pool; /* past the first MiB */
	bool orphan; /* freed while jobs were out: the last one frees it */
	struct evbuffer *queue; /* encoded bytes not decoded yet */
	bool chunked;		/* frame the output as chunks */
	bool ended;		/* the decoder saw the end of every stream */
	bool done;		/* the last chunk went out */
	bool failed;
	bool limited;
	uint64_t trailing; /* bytes after the end, ignored */
	char name[64];
	char err[200];
};

static bool
decode_ieq(struct wk_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

/* The values of every field called name, joined by ", "; NULL if none. */
static char *
decode_join(const struct wk_http_head *h, const char *name)
{
	char *v = NULL;
	size_t len = 0;

	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];

		if (!decode_ieq(f->name, name))
			continue;
		v = wk_realloc(v, len + f->value.len + 3);
		if (len > 0) {
			memcpy(v + len, ", ", 2);
			len += 2;
		}
		memcpy(v + len, f->value.p, f->value.len);
		len += f->value.len;
		v[len] = '\0';
	}
	return v;
}

/* The elements of an Accept-Encoding value whose codings we decode
 * ("identity" too); "" when none is left. */
static char *
decode_filter_accept(const char *v)
{
	size_t vl = strlen(v), len = 0;
	char *out = wk_malloc(vl + 1);
	const char *p = v, *end = v + vl;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma != NULL ? comma : end, *b = p, *t;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		t = b;
		while (t < e && *t != ';' && *t != ' ' && *t != '\t')
			t++;
		if (t > b &&
		    wk_coding_from_token(b, (size_t)(t - b)) !=
			WK_CODING_UNKNOWN) {
			const char *te = e;

			while (te > b && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			if (len > 0) {
				memcpy(out + len, ", ", 2);
				len += 2;
			}
			memcpy(out + len, b, (size_t)(te - b));
			len += (size_t)(te - b);
		}
		p = comma != NULL ? comma + 1 : end;
	}
	out[len] = '\0';
	return out;
}

char *
wk_http_decode_request(
    struct wk_req *r, const struct wk_zone *z, const struct wk_http_head *h)
{
	enum wk_zone_decompress pol =
	    z != NULL ? z->decompress : WK_ZONE_DECOMP_AUTO;
	bool ask = z != NULL && z->compress_upstream;

	free(r->client_ae);
	r->client_ae = decode_join(h, "accept-encoding");
	if (pol == WK_ZONE_DECOMP_NEVER)
		return NULL;
	if (ask && (r->client_ae == NULL || pol == WK_ZONE_DECOMP_ALWAYS))
		return wk_strdup(DECODE_OURS);
	if (pol == WK_ZONE_DECOMP_ALWAYS && r->client_ae != NULL)
		return decode_filter_accept(r->client_ae);
	return NULL;
}

/* Does a Cache-Control field of h say no-transform? */
static bool
decode_no_transform(const struct wk_http_head *h)
{
	for (size_t i = 0; i < h->n_fields; i++) {
		const struct wk_http_field *f = &h->fields[i];
		const char *p = f->value.p, *end = p + f->value.len;

		if (!decode_ieq(f->name, "cache-control"))
			continue;
		for (; end - p >= 12; p++)
			if (strncasecmp(p, "no-transform", 12) == 0)
				return true;
	}
	return false;
}

bool
wk_http_decode_wanted(const struct wk_req *r, const struct wk_zone *z,
    const struct wk_http_head *resp, struct wk_decode_plan *plan)
{
	enum wk_zone_decompress pol =
	    z != NULL ? z->decompress : WK_ZONE_DECOMP_AUTO;
	bool foreign = false;
	char *ce;
	int n;

	memset(plan, 0, sizeof(*plan));
	if (pol == WK_ZONE_DECOMP_NEVER || r->is_head || resp->status < 200 ||
	    resp->status == 204 || resp->status == 206 || resp->status == 304 ||
	    resp->body == WK_HTTP_BODY_NONE ||
	    resp->body == WK_HTTP_BODY_TUNNEL ||
	    (resp->body == WK_HTTP_BODY_LENGTH && resp->content_length == 0))
		return false;
	ce = decode_join(resp, "content-encoding");
	if (ce == NULL)
		return false;
	n = wk_coding_parse_list(ce, strlen(ce), plan->codings, WK_CODING_MAX);
	for (int i = 0; i < n; i++)
		if (plan->codings[i] == WK_CODING_UNKNOWN)
			n = -1;
	if (n < 0)
		wk_log_info("%s: Content-Encoding \"%.100s\" is not one we "
			    "decode: passed as it is",
		    r->host != NULL ? r->host : "-", ce);
	free(ce);
	if (n <= 0)
		return false;
	plan->n = (size_t)n;
	for (size_t i = 0; i < plan->n; i++) {
		size_t used = strlen(plan->name);

		snprintf(plan->name + used, sizeof(plan->name) - used, "%s%s",
		    i > 0 ? "," : "", wk_coding_name(plan->codings[i]));
		if (!wk_coding_accepted(r->client_ae,
			r->client_ae != NULL ? strlen(r->client_ae) : 0,
			plan->codings[i]))
			foreign = true;
	}
	if (pol == WK_ZONE_DECOMP_ALWAYS)
		return !decode_no_transform(resp);
	/* auto: the client could not use the body as it is, so no-transform
	 * would only hand it bytes it cannot read */
	return foreign;
}

struct wk_http_decode *
wk_http_decode_new(const struct wk_decode_plan *plan, const struct wk_config *c,
    bool chunked, struct wk_worker *w, void (*ready)(void *arg), void *arg)
{
	struct wk_decode_limits lim = {
		.max_out = c->limit.decoded_size,
		.max_ratio = (unsigned)c->limit.decoded_ratio,
		.ratio_after = DECODE_RATIO_AFTER,
	};
	struct wk_http_decode *d = wk_calloc(1, sizeof(*d));

	d->dec = wk_decoder_new(plan->codings, plan->n, &lim);
	WK_BUG_ON(d->dec == NULL);
	d->queue = evbuffer_new();
	d->chunked = chunked;
	d->w = w;
	d->ready = ready;
	d->ready_arg = arg;
	snprintf(d->name, sizeof(d->name), "%s", plan->name);
	return d;
}

/* A full block of framed output on its way to the worker. */
struct decode_block {
	struct decode_block *next;
	size_t len;
	char data[];
};

/* Encoded bytes handed to the pool. */
struct decode_piece {
	struct decode_piece *next;
	size_t len, used;
	uint8_t data[];
};

/* The decoding on the pool. The mutex guards the fields up to cur, on
 * both sides; cur is the running job's, the rest the worker's. */
struct decode_pool {
	struct wk_http_decode *d;
	pthread_mutex_t mu;
	struct decode_piece *in, *in_tail; /* input not used up yet */
	size_t in_len;			   /* its bytes not used */
	bool eof;			   /* all the input is in */
	bool running;			   /* a job is on the pool */
	bool cancel;			   /* the owner is gone: stop */
	bool stalled;		/* a step neither used nor made a byte */
	enum wk_decode_res res; /* not OK: the decoding is over */
	struct decode_block *full, *full_tail; /* blocks not taken yet */
	size_t full_len;		       /* their bytes */
	size_t client_out;  /* the client's output at the worker's last look */
	size_t client_back; /* of it, what was there before (not written) */
	uint64_t back_stop; /* out_total when the client last stopped a job */
	bool posted;	    /* decode_pool_blocks is on its way */
	uint64_t in_total, out_total; /* the decoder's, after the last step */
	struct decode_block *cur;     /* the block being filled */
	unsigned jobs;		      /* submitted, their done not run yet */
};

/* Spare blocks, shared by every decoding (src/core/spare.h): a block is
 * made in a pool thread's allocator arena and freed on the worker, and
 * without the list a body decoded on the other pool thread would grow
 * that arena by as much again. It keeps what one decoding at its deepest
 * holds. */
static struct wk_spare decode_spare =
    WK_SPARE_INIT(sizeof(struct decode_block) + DECODE_BLOCK,
	DECODE_OUT_MAX / DECODE_BLOCK + 4);

static struct decode_block *
decode_block_new(void)
{
	struct decode_block *b = wk_spare_get(&decode_spare);

	b->next = NULL;
	b->len = 0;
	return b;
}

static void
decode_block_put(struct decode_block *b)
{
	wk_spare_put(&decode_spare, b);
}

static void
decode_blocks_free(struct decode_block *b)
{
	while (b != NULL) {
		struct decode_block *next = b->next;

		decode_block_put(b);
		b = next;
	}
}

static void
decode_pieces_free(struct decode_piece *pc)
{
	while (pc != NULL) {
		struct decode_piece *next = pc->next;

		free(pc);
		pc = next;
	}
}

static void
decode_pool_free(struct decode_pool *p)
{
	decode_pieces_free(p->in);
	decode_blocks_free(p->full);
	decode_block_put(p->cur);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static void
decode_release(struct wk_http_decode *d)
{
	wk_decoder_free(d->dec);
	evbuffer_free(d->queue);
	free(d);
}

void
wk_http_decode_free(struct wk_http_decode *d)
{
	if (d == NULL)
		return;
	if (d->pool != NULL && d->pool->jobs > 0) {
		pthread_mutex_lock(&d->pool->mu);
		d->pool->cancel = true;
		pthread_mutex_unlock(&d->pool->mu);
		d->orphan = true; /* decode_pool_done frees both */
		return;
	}
	if (d->pool != NULL)
		decode_pool_free(d->pool);
	decode_release(d);
}

void
wk_http_decode_add(struct wk_http_decode *d, const char *p, size_t n)
{
	evbuffer_add(d->queue, p, n);
}

void
wk_http_decode_add_buffer(
    struct wk_http_decode *d, struct evbuffer *in, size_t n)
{
	evbuffer_remove_buffer(in, d->queue, n);
}

size_t
wk_http_decode_queued(const struct wk_http_decode *d)
{
	size_t n = evbuffer_get_length(d->queue);

	if (d->pool != NULL) {
		pthread_mutex_lock(&d->pool->mu);
		n += d->pool->in_len;
		pthread_mutex_unlock(&d->pool->mu);
	}
	return n;
}

/* One step into p[0..cap), as a chunk for an HTTP/1.1 client (cap must
 * hold DECODE_BUF and the framing). Sets *len to the bytes written. */
static enum wk_decode_res
decode_step_mem(struct wk_http_decode *d, char *p, const uint8_t *in,
    size_t in_len, size_t *used, bool last, size_t *len)
{
	size_t pre = d->chunked ? DECODE_CHUNK_LINE : 0, got = 0;
	enum wk_decode_res res = wk_decoder_step(d->dec, in, in_len, used,
	    (uint8_t *)p + pre, DECODE_BUF, &got, last);

	*len = 0;
	if (got > 0) {
		if (d->chunked) {
			static const char hex[] = "0123456789abcdef";

			/* got < 16 MiB: six digits */
			for (int i = 0; i < 6; i++)
				p[i] = hex[(got >> (4 * (5 - i))) & 15];
			memcpy(p + 6, "\r\n", 2);
			memcpy(p + pre + got, "\r\n", 2);
			*len = pre + got + 2;
		} else {
			*len = got;
		}
	}
	return res;
}

/* One step straight into out's free space. Adds to *written. */
static enum wk_decode_res
decode_step(struct wk_http_decode *d, struct evbuffer *out,
    const struct evbuffer_iovec *in, size_t *used, bool last, uint64_t *written)
{
	struct evbuffer_iovec v;
	enum wk_decode_res res;

	if (evbuffer_reserve_space(out, DECODE_STEP_ROOM, &v, 1) < 1)
		return WK_DECODE_ERROR;
	res = decode_step_mem(
	    d, v.iov_base, in->iov_base, in->iov_len, used, last, &v.iov_len);
	evbuffer_commit_space(out, &v, 1);
	*written += v.iov_len;
	return res;
}

static enum wk_http_decode_res
decode_fail(struct wk_http_decode *d, enum wk_decode_res res)
{
	d->failed = true;
	d->limited = res == WK_DECODE_LIMIT;
	snprintf(d->err, sizeof(d->err), "%s",
	    res == WK_DECODE_OK ? "the decoder made no progress" :
				  wk_decoder_error(d->dec));
	return WK_HTTP_DECODE_FAIL;
}

/* Back on the worker: full blocks to take. */
static void
decode_pool_blocks(void *arg)
{
	struct decode_pool *p = arg;
	struct wk_http_decode *d = p->d;

	if (!d->orphan && !d->done && !d->failed)
		d->ready(d->ready_arg);
}

/* mu held: the client has not stopped a job for DECODE_BACK_CALM of
 * output, so it gets the deeper unwritten-output bounds. */
static bool
decode_calm(const struct decode_pool *p)
{
	return p->out_total - p->back_stop >= DECODE_BACK_CALM;
}

/* mu held: the unwritten output that stops a job, and the mark that
 * starts the next. */
static size_t
decode_back_max(const struct decode_pool *p)
{
	return decode_calm(p) ? DECODE_BACK_CALM_MAX : DECODE_BACK_MAX;
}

static size_t
decode_back_resume(const struct decode_pool *p)
{
	return decode_calm(p) ? DECODE_BACK_CALM_RESUME : DECODE_BACK_RESUME;
}

/* On the pool, mu held: the block being filled goes to the worker. */
static void
decode_pool_hand(struct decode_pool *p, bool post)
{
	if (p->full_tail != NULL)
		p->full_tail->next = p->cur;
	else
		p->full = p->cur;
	p->full_tail = p->cur;
	p->full_len += p->cur->len;
	p->cur = NULL;
	if (post && !p->posted) {
		p->posted = true;
		wk_worker_post(p->d->w, decode_pool_blocks, p);
	}
}

/* On a pool thread: steps while there is input (or the end to see) and
 * room for the output, handing every full block over at once. */
static void
decode_pool_run(void *arg)
{
	struct decode_pool *p = arg;
	struct wk_http_decode *d = p->d;

	pthread_mutex_lock(&p->mu);
	while (!p->cancel && (p->in != NULL || p->eof) &&
	    p->client_out + p->full_len < DECODE_OUT_MAX &&
	    p->client_back < decode_back_max(p)) {
		struct decode_piece *pc = p->in;
		const uint8_t *in = pc != NULL ? pc->data + pc->used : NULL;
		size_t in_len = pc != NULL ? pc->len - pc->used : 0;
		bool last = p->eof && (pc == NULL || pc->next == NULL);
		size_t used = 0, len = 0;
		enum wk_decode_res res;

		pthread_mutex_unlock(&p->mu);
		if (p->cur == NULL)
			p->cur = decode_block_new();
		res = decode_step_mem(d, p->cur->data + p->cur->len, in, in_len,
		    &used, last, &len);
		p->cur->len += len;
		pthread_mutex_lock(&p->mu);
		p->in_total = wk_decoder_in_total(d->dec);
		p->out_total = wk_decoder_out_total(d->dec);
		p->in_len -= used;
		if (pc != NULL && (pc->used += used) == pc->len) {
			p->in = pc->next;
			if (p->in == NULL)
				p->in_tail = NULL;
			free(pc);
		}
		if (res != WK_DECODE_OK) {
			p->res = res;
			break;
		}
		if (used == 0 && len == 0) {
			p->stalled = true;
			break;
		}
		if (DECODE_BLOCK - p->cur->len < DECODE_STEP_ROOM)
			decode_pool_hand(p, true);
	}
	if (!p->cancel && p->res == WK_DECODE_OK &&
	    p->client_back >= decode_back_max(p))
		p->back_stop = p->out_total; /* a slow client */
	/* what is decoded goes out now: the next job may be a while */
	if (p->cur != NULL && p->cur->len > 0)
		decode_pool_hand(p, false); /* the done is on its way */
	p->running = false;
	pthread_mutex_unlock(&p->mu);
}

/* Back on the worker after a job: the owner looks in its next run. */
static void
decode_pool_done(void *arg)
{
	struct decode_pool *p = arg;
	struct wk_http_decode *d = p->d;

	p->jobs--;
	if (d->orphan) {
		if (p->jobs == 0) {
			decode_pool_free(p);
			decode_release(d);
		}
		return;
	}
	if (!d->done && !d->failed) /* the owner may know the end already */
		d->ready(d->ready_arg);
}

static void
decode_out_free(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	decode_block_put(arg);
}

/* The pool is not there (any more): the input goes back to the queue and
 * the decoding goes on inline. No job is out. */
static void
decode_pool_leave(struct wk_http_decode *d)
{
	struct decode_pool *p = d->pool;

	for (struct decode_piece *pc = p->in; pc != NULL; pc = pc->next)
		evbuffer_add(d->queue, pc->data + pc->used, pc->len - pc->used);
	decode_pool_free(p);
	d->pool = NULL;
	d->w = NULL;
}

/* One look at the pool: hands it the queue, takes its full blocks (by
 * reference) and starts a job when there is work and room. DONE: the
 * streams ended (the rest is the caller's); MORE, FULL, WAIT, FAIL as
 * for wk_http_decode_run; *inline: go on without the pool. */
static enum wk_http_decode_res
decode_pool_turn(struct wk_http_decode *d, struct evbuffer *out, bool eof,
    uint64_t *written, bool *inline_)
{
	struct decode_pool *p = d->pool;
	size_t qlen = evbuffer_get_length(d->queue);
	struct decode_piece *pc = NULL;
	struct decode_block *b;
	enum wk_decode_res res;
	bool start = false, stalled, running, full;
	size_t trailing;

	if (qlen > 0) {
		pc = wk_malloc(sizeof(*pc) + qlen);
		pc->next = NULL;
		pc->len = qlen;
		pc->used = 0;
		evbuffer_remove(d->queue, pc->data, qlen);
	}
	pthread_mutex_lock(&p->mu);
	if (pc != NULL) {
		if (p->in_tail != NULL)
			p->in_tail->next = pc;
		else
			p->in = pc;
		p->in_tail = pc;
		p->in_len += qlen;
	}
	p->eof = eof;
	b = p->full;
	p->client_back = evbuffer_get_length(out);
	p->client_out = p->client_back + p->full_len;
	p->full = p->full_tail = NULL;
	p->full_len = 0;
	p->posted = false;
	res = p->res;
	stalled = p->stalled;
	full = p->client_out > DECODE_OUT_RESUME ||
	    p->client_back > decode_back_resume(p);
	if (!p->running && res == WK_DECODE_OK && !stalled &&
	    (p->in != NULL || p->eof) && !full) {
		p->running = true;
		start = true;
	}
	running = p->running;
	trailing = 0;
	if (!running && res == WK_DECODE_END) {
		/* the bytes after the end are not decoded */
		trailing = p->in_len;
		decode_pieces_free(p->in);
		p->in = p->in_tail = NULL;
		p->in_len = 0;
	}
	pthread_mutex_unlock(&p->mu);
	while (b != NULL) {
		struct decode_block *next = b->next;

		evbuffer_add_reference(
		    out, b->data, b->len, decode_out_free, b);
		*written += b->len;
		b = next;
	}
	if (start) {
		if (wk_workq_submit(
			d->w, decode_pool_run, decode_pool_done, p) < 0) {
			decode_pool_leave(d);
			*inline_ = true;
			return WK_HTTP_DECODE_MORE;
		}
		p->jobs++;
		return WK_HTTP_DECODE_WAIT;
	}
	if (running)
		return WK_HTTP_DECODE_WAIT;
	if (res == WK_DECODE_ERROR || res == WK_DECODE_LIMIT)
		return decode_fail(d, res);
	if (res == WK_DECODE_END) {
		/* after the end: nothing more is decoded */
		d->trailing += trailing;
		d->ended = true;
		return WK_HTTP_DECODE_DONE;
	}
	if (stalled)
		return decode_fail(d, WK_DECODE_OK);
	return full ? WK_HTTP_DECODE_FULL : WK_HTTP_DECODE_MORE;
}

enum wk_http_decode_res
wk_http_decode_run(struct wk_http_decode *d, struct evbuffer *out, size_t high,
    bool eof, uint64_t *written)
{
	*written = 0;
	while (!d->done) {
		size_t qlen = evbuffer_get_length(d->queue), used = 0;
		uint64_t before = *written;
		struct evbuffer_iovec v = { NULL, 0 };
		enum wk_decode_res res;
		bool last, stalled;

		/* the first MiB inline (most bodies end there), the rest on
		 * the pool */
		if (d->pool == NULL && d->w != NULL && !d->ended &&
		    wk_decoder_out_total(d->dec) >= DECODE_INLINE_MAX) {
			d->pool = wk_calloc(1, sizeof(*d->pool));
			d->pool->d = d;
			d->pool->in_total = wk_decoder_in_total(d->dec);
			d->pool->out_total = wk_decoder_out_total(d->dec);
			pthread_mutex_init(&d->pool->mu, NULL);
		}
		if (d->pool != NULL && !d->ended) {
			bool inline_ = false;
			enum wk_http_decode_res r =
			    decode_pool_turn(d, out, eof, written, &inline_);

			if (r == WK_HTTP_DECODE_DONE || inline_)
				continue;
			return r;
		}
		if (evbuffer_get_length(out) >= high)
			return WK_HTTP_DECODE_FULL;
		if (d->ended) {
			/* after the end: nothing more is decoded */
			d->trailing += qlen;
			evbuffer_drain(d->queue, qlen);
			if (!eof)
				return WK_HTTP_DECODE_MORE;
			if (d->chunked) {
				evbuffer_add(out, "0\r\n\r\n", 5);
				*written += 5;
			}
			d->done = true;
			break;
		}
		if (qlen == 0 && !eof)
			return WK_HTTP_DECODE_MORE;
		if (qlen > 0 && evbuffer_peek(d->queue, -1, NULL, &v, 1) < 1)
			return decode_fail(d, WK_DECODE_OK);
		last = eof && v.iov_len == qlen;
		res = decode_step(d, out, &v, &used, last, written);
		evbuffer_drain(d->queue, used);
		stalled =
		    used == 0 && *written == before && (last || v.iov_len > 0);
		if (res == WK_DECODE_ERROR || res == WK_DECODE_LIMIT)
			return decode_fail(d, res);
		if (res == WK_DECODE_END)
			d->ended = true;
		else if (stalled)
			return decode_fail(d, res);
	}
	return WK_HTTP_DECODE_DONE;
}

size_t
wk_http_decode_resume_mark(void)
{
	return DECODE_OUT_RESUME;
}

const char *
wk_http_decode_error(const struct wk_http_decode *d)
{
	return d->err;
}

bool
wk_http_decode_limited(const struct wk_http_decode *d)
{
	return d->limited;
}

const char *
wk_http_decode_name(const struct wk_http_decode *d)
{
	return d->name;
}

/* With the pool decoding, the totals as of its last step (the decoder is
 * the pool's while a job runs). */
static uint64_t
decode_total(const struct wk_http_decode *d, bool in)
{
	uint64_t n;

	if (d->pool == NULL)
		return in ? wk_decoder_in_total(d->dec) :
			    wk_decoder_out_total(d->dec);
	pthread_mutex_lock(&d->pool->mu);
	n = in ? d->pool->in_total : d->pool->out_total;
	pthread_mutex_unlock(&d->pool->mu);
	return n;
}

uint64_t
wk_http_decode_encoded(const struct wk_http_decode *d)
{
	return decode_total(d, true) + d->trailing;
}

uint64_t
wk_http_decode_decoded(const struct wk_http_decode *d)
{
	return decode_total(d, false);
}
