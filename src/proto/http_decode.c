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
 * (src/sys/workq.c): a job takes up to DECODE_JOB_IN of the queue and
 * decodes it into blocks, each handed to the worker as soon as it is full
 * while the job goes on with the next (the worker writes one block while
 * the pool decodes the next; a block stays small enough to be written
 * from the cache). A job stops early once the client's output (as of the
 * worker's last look) and the blocks not taken yet reach DECODE_JOB_OUT:
 * a slow client bounds the memory, not the job. */
#define DECODE_INLINE_MAX (1024 * 1024)
#define DECODE_JOB_IN (1024 * 1024)
#define DECODE_BLOCK (4 * DECODE_STEP_ROOM)
#define DECODE_JOB_OUT (3 * DECODE_BLOCK)
/* A job starts while the client's output holds less than the high mark
 * plus this: what it holds keeps the client busy until the first block
 * is back. */
#define DECODE_AHEAD DECODE_BLOCK
/* What wicket asks for on behalf of a client (compress-upstream). */
#define DECODE_OURS "gzip, br, zstd"

struct decode_job;

struct wk_http_decode {
	struct wk_decoder *dec;	  /* the job's while one is out */
	struct wk_worker *w;	  /* NULL: everything inline */
	void (*ready)(void *arg); /* a job's output is back */
	void *ready_arg;
	struct decode_job *job; /* out on the pool, or back and not taken */
	bool job_back;
	bool orphan; /* freed while a job was out: the job frees it */
	uint64_t in_seen, out_seen; /* the totals when the job went out */
	struct evbuffer *queue;	    /* encoded bytes not decoded yet */
	bool chunked;		    /* frame the output as chunks */
	bool ended; /* the decoder saw the end of every stream */
	bool done;  /* the last chunk went out */
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

/* Decoding on the pool: the decoder is the job's meanwhile. */
struct decode_job {
	struct wk_http_decode *d;
	struct wk_worker *w;
	uint8_t *in; /* a copy of the queue's first bytes */
	size_t in_len, used;
	bool last;		  /* they are the body's last */
	struct decode_block *out; /* the block being filled */
	unsigned blocks;	  /* blocks begun */
	enum wk_decode_res res;
	pthread_mutex_t mu;	   /* guards the next four */
	struct decode_block *full; /* full blocks the worker has not taken */
	size_t full_len;	   /* their bytes */
	size_t client_out;	   /* the client's output when it took some */
	bool posted;		   /* decode_job_blocks is on its way */
};

static struct decode_block *
decode_block_new(void)
{
	struct decode_block *b = wk_malloc(sizeof(*b) + DECODE_BLOCK);

	b->next = NULL;
	b->len = 0;
	return b;
}

static void
decode_blocks_free(struct decode_block *b)
{
	while (b != NULL) {
		struct decode_block *next = b->next;

		free(b);
		b = next;
	}
}

static void
decode_job_free(struct decode_job *j)
{
	free(j->in);
	free(j->out);
	decode_blocks_free(j->full);
	pthread_mutex_destroy(&j->mu);
	free(j);
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
	if (d->job != NULL && !d->job_back) {
		d->orphan = true; /* decode_job_done frees both */
		return;
	}
	if (d->job != NULL)
		decode_job_free(d->job);
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
	return evbuffer_get_length(d->queue);
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

/* Back on the worker: blocks the job finished; the owner takes them in
 * its next run. (Posted before the job's done, which frees the job.) */
static void
decode_job_blocks(void *arg)
{
	struct decode_job *j = arg;

	if (!j->d->orphan)
		j->d->ready(j->d->ready_arg);
}

/* On a pool thread: steps until the input is used up, the stream ends or
 * fails, or the output waiting reaches DECODE_JOB_OUT; every full block
 * but the last goes to the worker at once. */
static void
decode_job_run(void *arg)
{
	struct decode_job *j = arg;

	for (;;) {
		size_t used = 0, len = 0;
		bool post;

		j->res = decode_step_mem(j->d, j->out->data + j->out->len,
		    j->in + j->used, j->in_len - j->used, &used, j->last, &len);
		j->used += used;
		j->out->len += len;
		if (j->res != WK_DECODE_OK || (used == 0 && len == 0))
			break;
		if (DECODE_BLOCK - j->out->len >= DECODE_STEP_ROOM)
			continue;
		pthread_mutex_lock(&j->mu);
		if (j->client_out + j->full_len + j->out->len >=
		    DECODE_JOB_OUT) {
			/* enough waits: this block goes back with the job */
			pthread_mutex_unlock(&j->mu);
			break;
		}
		struct decode_block **tail = &j->full;

		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = j->out;
		j->full_len += j->out->len;
		post = !j->posted;
		j->posted = true;
		pthread_mutex_unlock(&j->mu);
		if (post)
			wk_worker_post(j->w, decode_job_blocks, j);
		j->out = decode_block_new();
		j->blocks++;
	}
}

/* Back on the worker: the owner takes it in its next run. */
static void
decode_job_done(void *arg)
{
	struct decode_job *j = arg;
	struct wk_http_decode *d = j->d;

	if (d->orphan) {
		decode_job_free(j);
		decode_release(d);
		return;
	}
	d->job_back = true;
	d->ready(d->ready_arg);
}

static void
decode_out_free(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	free(arg);
}

/* Moves the job's full blocks (by reference) to out. */
static void
decode_take_full(struct decode_job *j, struct evbuffer *out, uint64_t *written)
{
	struct decode_block *b;

	pthread_mutex_lock(&j->mu);
	b = j->full;
	j->full = NULL;
	j->client_out = evbuffer_get_length(out) + j->full_len;
	j->full_len = 0;
	j->posted = false;
	pthread_mutex_unlock(&j->mu);
	while (b != NULL) {
		struct decode_block *next = b->next;

		evbuffer_add_reference(
		    out, b->data, b->len, decode_out_free, b);
		*written += b->len;
		b = next;
	}
}

/* Sends a block of the queue to the pool. Returns false when the pool is
 * not there (decode inline). */
static bool
decode_submit(struct wk_http_decode *d, struct evbuffer *out, bool eof)
{
	size_t qlen = evbuffer_get_length(d->queue);
	struct decode_job *j = wk_calloc(1, sizeof(*j));

	j->d = d;
	j->w = d->w;
	pthread_mutex_init(&j->mu, NULL);
	j->in_len = WK_MIN(qlen, (size_t)DECODE_JOB_IN);
	j->in = wk_malloc(WK_MAX(j->in_len, (size_t)1));
	evbuffer_copyout(d->queue, j->in, j->in_len);
	j->last = eof && j->in_len == qlen;
	j->out = decode_block_new();
	j->blocks = 1;
	j->client_out = evbuffer_get_length(out);
	d->job = j;
	d->job_back = false;
	d->in_seen = wk_decoder_in_total(d->dec);
	d->out_seen = wk_decoder_out_total(d->dec);
	if (wk_workq_submit(d->w, decode_job_run, decode_job_done, j) < 0) {
		d->job = NULL;
		decode_job_free(j);
		return false;
	}
	return true;
}

/* Takes a job's output (by reference) and its outcome; *stalled: it
 * neither used nor made a byte. */
static enum wk_decode_res
decode_take(struct wk_http_decode *d, struct evbuffer *out, uint64_t *written,
    bool *stalled)
{
	struct decode_job *j = d->job;
	enum wk_decode_res res = j->res;

	evbuffer_drain(d->queue, j->used);
	decode_take_full(j, out, written);
	*stalled = res == WK_DECODE_OK && j->used == 0 && j->out->len == 0 &&
	    j->blocks == 1;
	if (j->out->len > 0) {
		evbuffer_add_reference(
		    out, j->out->data, j->out->len, decode_out_free, j->out);
		*written += j->out->len;
		j->out = NULL;
	}
	d->job = NULL;
	d->job_back = false;
	decode_job_free(j);
	return res;
}

static enum wk_http_decode_res
decode_fail(struct wk_http_decode *d, enum wk_decode_res res)
{
	d->limited = res == WK_DECODE_LIMIT;
	snprintf(d->err, sizeof(d->err), "%s",
	    res == WK_DECODE_OK ? "the decoder made no progress" :
				  wk_decoder_error(d->dec));
	return WK_HTTP_DECODE_FAIL;
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
		bool last, stalled = false, pool;

		/* while a job is out, the decoder is its own: touch nothing
		 * but the blocks it has finished */
		if (d->job != NULL && !d->job_back) {
			decode_take_full(d->job, out, written);
			return WK_HTTP_DECODE_WAIT;
		}
		if (d->job != NULL) {
			res = decode_take(d, out, written, &stalled);
			goto outcome;
		}
		/* the first MiB inline (most bodies end there), the rest on
		 * the pool, one block decoding while the one before is
		 * written */
		pool = d->w != NULL &&
		    wk_decoder_out_total(d->dec) >= DECODE_INLINE_MAX;
		if (evbuffer_get_length(out) >=
		    high + (pool ? DECODE_AHEAD : 0))
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
		if (pool && decode_submit(d, out, eof))
			return WK_HTTP_DECODE_WAIT;
		if (qlen > 0 && evbuffer_peek(d->queue, -1, NULL, &v, 1) < 1)
			return decode_fail(d, WK_DECODE_OK);
		last = eof && v.iov_len == qlen;
		res = decode_step(d, out, &v, &used, last, written);
		evbuffer_drain(d->queue, used);
		stalled =
		    used == 0 && *written == before && (last || v.iov_len > 0);
outcome:
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
	return DECODE_AHEAD;
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

/* With a job out, the totals from before it (the decoder is the job's). */
static bool
decode_out(const struct wk_http_decode *d)
{
	return d->job != NULL && !d->job_back;
}

uint64_t
wk_http_decode_encoded(const struct wk_http_decode *d)
{
	return (decode_out(d) ? d->in_seen : wk_decoder_in_total(d->dec)) +
	    d->trailing;
}

uint64_t
wk_http_decode_decoded(const struct wk_http_decode *d)
{
	return decode_out(d) ? d->out_seen : wk_decoder_out_total(d->dec);
}
