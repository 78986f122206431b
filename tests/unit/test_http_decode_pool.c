/* tests/unit/test_http_decode_pool.c: decoding a large gzip body with the
 * blocks past the first MiB on the work queue (src/sys/workq.c), on a real
 * worker whose loop runs on the test thread. The test plays the session:
 * it feeds the encoded body in odd-sized pieces, drains the client's
 * output when the decoding says FULL (the socket took it), and runs the
 * decoding again from the ready callback. Output is compared byte for byte,
 * chunked (strict framing) and not, on the pool and inline; also freeing
 * with a block out or back, running again while a block is out, the
 * fallback when the queue is stopped, and streams corrupt past the first
 * MiB (caught at once, and caught only by the CRC at the end). */
#include "core/wk.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <zlib.h>

#include "codec/decode.h"
#include "config/conf.h"
#include "proto/http_decode.h"
#include "sys/workq.h"
#include "testworker.h"
#include "worker/worker.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define BODY_LEN (48 * MIB)
#define HIGH (256 * KIB)	/* the client output's high mark */
#define QUEUE_AHEAD (512 * KIB) /* input queued while a block is out */

/* The body and its gzip form, made once for every case. */
static struct {
	uint8_t *body;
	uint8_t *gz;
	size_t gz_len;
	size_t mark; /* where a full flush's empty stored block (00 00 ff ff
		      * after the block's header bits) sits: just past 5 MiB */
} B;

/* Piece sizes of the encoded body, cycled. */
static const size_t pieces[] = { 1, 4093, 65521, 17, 131071, 8191, 255, 100003,
	3, 262147 };

/* A deterministic body that compresses about 2.7:1 (far from the ratio
 * limit): letters from an LCG, words, and now and then a repeat. */
static void
body_make(uint8_t *p, size_t n)
{
	static const char abc[] = "etaoinshrdlucmfw";
	uint64_t x = 0x9e3779b97f4a7c15u;
	size_t i = 0;

	while (i < n) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		if ((x >> 58) == 0 && i >= 4096) {
			size_t from = i - 64 - (size_t)((x >> 20) & 4095);
			size_t len =
			    WK_MIN((size_t)(16 + ((x >> 8) & 63)), n - i);

			memmove(p + i, p + from, len);
			i += len;
		} else if ((x >> 59) == 1) {
			p[i++] = ' ';
		} else {
			p[i++] = (uint8_t)abc[(x >> 33) & 15];
		}
	}
}

/* The gzip form of src[0..n) (wbits 31), or NULL. Once the output has
 * reached mark_at bytes, a full flush ends the block there and *mark is
 * the offset of the empty stored block's LEN and NLEN. */
static uint8_t *
gzip_make(
    const uint8_t *src, size_t n, size_t mark_at, size_t *len, size_t *mark)
{
	z_stream z;
	size_t cap = n + n / 100 + 1024, fed = 0;
	uint8_t *out = malloc(cap);
	int rc = Z_OK;

	memset(&z, 0, sizeof(z));
	*mark = 0;
	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		free(out);
		return NULL;
	}
	z.next_out = out;
	z.avail_out = (uInt)cap;
	while (rc == Z_OK) {
		size_t step = WK_MIN(n - fed, (size_t)(64 * KIB));
		int flush = Z_NO_FLUSH;

		z.next_in = (Bytef *)src + fed;
		z.avail_in = (uInt)step;
		fed += step;
		if (fed == n)
			flush = Z_FINISH;
		else if (*mark == 0 && z.total_out >= mark_at)
			flush = Z_FULL_FLUSH;
		rc = deflate(&z, flush);
		if (flush == Z_FULL_FLUSH)
			*mark = z.total_out - 4;
		if (rc == Z_OK && z.avail_in != 0)
			rc = Z_BUF_ERROR; /* out of room */
	}
	*len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || *mark == 0 ||
	    memcmp(out + *mark, "\x00\x00\xff\xff", 4) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int
group_setup(void **state)
{
	(void)state;
	B.body = malloc(BODY_LEN);
	body_make(B.body, BODY_LEN);
	B.gz = gzip_make(B.body, BODY_LEN, 5 * MIB, &B.gz_len, &B.mark);
	/* the corrupt cases change bytes at 5 MiB of it */
	if (B.gz == NULL || B.gz_len < 6 * MIB || B.gz_len > BODY_LEN / 2 ||
	    B.mark < 5 * MIB || B.mark > 5 * MIB + 256 * KIB) {
		fprintf(
		    stderr, "gzip: %zu bytes, mark %zu\n", B.gz_len, B.mark);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(B.body);
	free(B.gz);
	return 0;
}

/* --- the fixture: a worker with no listeners, run on this thread ------ */

struct fixture {
	struct wk_test_worker tw;
	struct wk_config *conf;
	struct wk_decode_plan plan;
	pthread_t test_thread;
};

static struct fixture *F;

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	wk_test_worker_init(&f->tw);
	f->conf = wk_conf_defaults();
	f->plan.codings[0] = WK_CODING_GZIP;
	f->plan.n = 1;
	snprintf(f->plan.name, sizeof(f->plan.name), "gzip");
	f->test_thread = pthread_self();
	F = f;
	*state = f;
	return wk_workq_start(2);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	wk_workq_stop();	     /* every post is queued now */
	wk_test_worker_fini(&f->tw); /* runs them */
	wk_conf_unref(f->conf);
	free(f);
	F = NULL;
	return 0;
}

static bool
run_until(bool (*pred)(void *), void *arg, int ms)
{
	return wk_test_run_until(&F->tw, pred, arg, ms);
}

static bool
posts_pending(void *arg)
{
	return wk_test_posts_pending(arg);
}

static bool
no_posts_pending(void *arg)
{
	return !posts_pending(arg);
}

/* --- the session's part ----------------------------------------------- */

struct drive {
	struct wk_http_decode *d;
	const uint8_t *in;
	size_t in_len, fed;
	unsigned piece;
	struct evbuffer *out;  /* the client's output */
	struct evbuffer *sent; /* what the socket took from it */
	uint64_t written;      /* the sum of run's *written */
	unsigned waits, fulls, mores, readies;
	bool ready_elsewhere; /* a ready ran off the test thread */
	bool hold;	      /* ready only counts (no run) */
	bool finished;
	enum wk_http_decode_res res;
	const char *bad; /* what went wrong in a callback */
};

static void
drive_feed(struct drive *dr)
{
	size_t n = pieces[dr->piece++ % WK_ARRAY_LEN(pieces)];

	n = WK_MIN(n, dr->in_len - dr->fed);
	wk_http_decode_add(dr->d, (const char *)dr->in + dr->fed, n);
	dr->fed += n;
}

/* Runs the decoding until it waits for the pool, ends or fails. */
static void
drive_pump(struct drive *dr)
{
	for (;;) {
		uint64_t w = 0;
		bool eof = dr->fed == dr->in_len;
		enum wk_http_decode_res res =
		    wk_http_decode_run(dr->d, dr->out, HIGH, eof, &w);

		dr->written += w;
		switch (res) {
		case WK_HTTP_DECODE_MORE:
			dr->mores++;
			if (eof) {
				dr->bad = "MORE at eof";
				dr->finished = true;
				return;
			}
			drive_feed(dr);
			break;
		case WK_HTTP_DECODE_FULL:
			dr->fulls++;
			evbuffer_add_buffer(dr->sent, dr->out);
			break;
		case WK_HTTP_DECODE_WAIT:
			dr->waits++;
			/* the body keeps arriving while a block decodes */
			if (!eof && wk_http_decode_queued(dr->d) < QUEUE_AHEAD)
				drive_feed(dr);
			return;
		case WK_HTTP_DECODE_DONE:
		case WK_HTTP_DECODE_FAIL:
			dr->res = res;
			dr->finished = true;
			evbuffer_add_buffer(dr->sent, dr->out);
			return;
		}
	}
}

static void
drive_ready(void *arg)
{
	struct drive *dr = arg;

	dr->readies++;
	if (!pthread_equal(pthread_self(), F->test_thread))
		dr->ready_elsewhere = true;
	if (dr->finished) {
		dr->bad = "ready after the end";
		return;
	}
	if (!dr->hold)
		drive_pump(dr);
}

static bool
drive_finished(void *arg)
{
	return ((struct drive *)arg)->finished;
}

static bool
drive_readied(void *arg)
{
	struct drive *dr = arg;

	return dr->readies == dr->waits;
}

static void
drive_init(struct drive *dr, struct fixture *f, const uint8_t *in,
    size_t in_len, bool chunked, struct wk_worker *w)
{
	memset(dr, 0, sizeof(*dr));
	dr->in = in;
	dr->in_len = in_len;
	dr->out = evbuffer_new();
	dr->sent = evbuffer_new();
	dr->d =
	    wk_http_decode_new(&f->plan, f->conf, chunked, w, drive_ready, dr);
}

static void
drive_clear(struct drive *dr)
{
	wk_http_decode_free(dr->d);
	evbuffer_free(dr->out);
	evbuffer_free(dr->sent);
}

/* Runs the loop until the decoding ended or failed. */
static void
drive_wait_end(struct drive *dr)
{
	assert_true(run_until(drive_finished, dr, 120000));
	assert_null(dr->bad);
	assert_false(dr->ready_elsewhere);
	assert_int_equal(dr->readies, dr->waits);
	assert_int_equal(evbuffer_get_length(dr->out), 0);
	assert_int_equal(evbuffer_get_length(dr->sent), dr->written);
}

/* Decodes in[0..in_len) to the end or a failure. */
static void
drive_all(struct drive *dr)
{
	drive_pump(dr);
	drive_wait_end(dr);
}

/* Takes the chunk framing off p[0..n) strictly: "%06x\r\n" size lines of
 * lowercase hex, each chunk's CRLF, the last chunk "0\r\n\r\n" and nothing
 * after it (partial: or the end of p after a whole chunk). Returns the
 * data length (moved to the front of p), or -1. */
static long
dechunk(uint8_t *p, size_t n, bool partial)
{
	size_t i = 0, o = 0;

	for (;;) {
		size_t len = 0;

		if (partial && i == n)
			return (long)o;
		if (n - i >= 5 && memcmp(p + i, "0\r\n\r\n", 5) == 0)
			return i + 5 == n ? (long)o : -1;
		if (n - i < 8)
			return -1;
		for (int k = 0; k < 6; k++) {
			uint8_t c = p[i + k];

			if (c >= '0' && c <= '9')
				len = len * 16 + (size_t)(c - '0');
			else if (c >= 'a' && c <= 'f')
				len = len * 16 + (size_t)(c - 'a' + 10);
			else
				return -1;
		}
		if (len == 0 || memcmp(p + i + 6, "\r\n", 2) != 0)
			return -1;
		i += 8;
		if (n - i < len + 2 || memcmp(p + i + len, "\r\n", 2) != 0)
			return -1;
		memmove(p + o, p + i, len);
		o += len;
		i += len + 2;
	}
}

/* What the client got equals the body. */
static void
check_sent(struct drive *dr, bool chunked)
{
	size_t n = evbuffer_get_length(dr->sent);
	uint8_t *p = evbuffer_pullup(dr->sent, -1);
	long len = (long)n;

	assert_non_null(p);
	if (chunked)
		len = dechunk(p, n, false);
	assert_int_equal(len, BODY_LEN);
	assert_true(memcmp(p, B.body, BODY_LEN) == 0);
	assert_int_equal(wk_http_decode_decoded(dr->d), BODY_LEN);
	assert_int_equal(wk_http_decode_encoded(dr->d), B.gz_len);
}

static void
decode_whole(
    struct fixture *f, bool chunked, struct wk_worker *w, unsigned *waits)
{
	struct drive dr;

	drive_init(&dr, f, B.gz, B.gz_len, chunked, w);
	drive_all(&dr);
	assert_int_equal(dr.res, WK_HTTP_DECODE_DONE);
	check_sent(&dr, chunked);
	assert_true(dr.fulls > 0); /* back-pressure was exercised */
	*waits = dr.waits;
	drive_clear(&dr);
}

/* --- cases ------------------------------------------------------------- */

static void
test_pool_chunked(void **state)
{
	struct fixture *f = *state;
	unsigned waits;

	decode_whole(f, true, f->tw.w, &waits);
	assert_true(waits > 0); /* blocks really went to the pool */
}

static void
test_pool_plain(void **state)
{
	struct fixture *f = *state;
	unsigned waits;

	decode_whole(f, false, f->tw.w, &waits);
	assert_true(waits > 0);
}

static void
test_inline_chunked(void **state)
{
	struct fixture *f = *state;
	unsigned waits;

	decode_whole(f, true, NULL, &waits);
	assert_int_equal(waits, 0);
}

static void
test_inline_plain(void **state)
{
	struct fixture *f = *state;
	unsigned waits;

	decode_whole(f, false, NULL, &waits);
	assert_int_equal(waits, 0);
}

/* A worker but the queue stopped: submit fails, the blocks are inline. */
static void
test_queue_stopped(void **state)
{
	struct fixture *f = *state;
	unsigned waits;

	wk_workq_stop();
	decode_whole(f, true, f->tw.w, &waits);
	assert_int_equal(waits, 0);
}

/* Runs until the first block is out on the pool. */
static void
drive_to_first_wait(struct drive *dr)
{
	drive_pump(dr);
	assert_null(dr->bad);
	assert_false(dr->finished);
	assert_int_equal(dr->waits, 1);
	assert_int_equal(dr->readies, 0);
	/* (not wk_http_decode_decoded: the decoder is the job's now) */
	assert_true(dr->written >= MIB);
}

/* Freed right after WAIT: the job frees it when it comes back; ready is
 * not called. (ASan: no leak, no use after free.) */
static void
test_free_with_block_out(void **state)
{
	struct fixture *f = *state;
	struct drive dr;

	drive_init(&dr, f, B.gz, B.gz_len, true, f->tw.w);
	drive_to_first_wait(&dr);
	wk_http_decode_free(dr.d);
	dr.d = NULL;
	wk_workq_stop(); /* the job has run and its post is queued */
	assert_true(posts_pending(f->tw.w));
	assert_true(run_until(no_posts_pending, f->tw.w, 10000));
	assert_true(run_until(NULL, NULL, 30));
	assert_int_equal(dr.readies, 0);
	drive_clear(&dr);
}

/* Freed with a block back and not taken yet. */
static void
test_free_with_block_back(void **state)
{
	struct fixture *f = *state;
	struct drive dr;

	drive_init(&dr, f, B.gz, B.gz_len, true, f->tw.w);
	dr.hold = true;
	drive_to_first_wait(&dr);
	assert_true(run_until(drive_readied, &dr, 10000));
	assert_int_equal(dr.readies, 1);
	drive_clear(&dr);
}

/* The session calls run again (the client's socket drained, more body
 * came) while a job runs: WAIT, the queue only shrinks (the job takes
 * input as it goes), nothing written but the job's finished blocks; it
 * reads the sizes for the access line (a session closed mid-body: the
 * totals as of the job's last step, under the pool's lock); then it goes
 * on. */
static void
test_run_while_block_out(void **state)
{
	struct fixture *f = *state;
	struct drive dr;
	unsigned calls = 0;

	drive_init(&dr, f, B.gz, B.gz_len, true, f->tw.w);
	drive_to_first_wait(&dr);
	evbuffer_add_buffer(dr.sent, dr.out); /* the socket took it */
	/* until the block is back (its done function is posted), so the
	 * calls overlap the job */
	while (!posts_pending(f->tw.w) || calls < 100) {
		uint64_t w = 1;
		size_t queued = wk_http_decode_queued(dr.d);
		size_t before = evbuffer_get_length(dr.out);

		assert_int_equal(wk_http_decode_run(dr.d, dr.out, HIGH,
				     dr.fed == dr.in_len, &w),
		    WK_HTTP_DECODE_WAIT);
		/* only blocks the job has finished, whole */
		assert_int_equal(evbuffer_get_length(dr.out), before + w);
		dr.written += w;
		assert_true(wk_http_decode_queued(dr.d) <= queued);
		assert_true(wk_http_decode_decoded(dr.d) >= MIB);
		assert_true(wk_http_decode_encoded(dr.d) <= B.gz_len);
		/* the socket takes what came and more body arrives meanwhile,
		 * so the job stops neither for a slow client nor for input */
		evbuffer_add_buffer(dr.sent, dr.out);
		while (dr.fed < dr.in_len &&
		    wk_http_decode_queued(dr.d) < QUEUE_AHEAD)
			drive_feed(&dr);
		calls++;
	}
	assert_int_equal(dr.readies, 0);
	drive_wait_end(&dr);
	assert_int_equal(dr.res, WK_HTTP_DECODE_DONE);
	check_sent(&dr, true);
	drive_clear(&dr);
}

/* Decodes bad (a corrupt copy of the body) on the pool: FAIL with the
 * decoder's message; what went out before is framed and the body's
 * start. Returns the bytes decoded. */
static uint64_t
decode_corrupt(struct fixture *f, const uint8_t *bad, const char *want)
{
	struct drive dr;
	const char *err;
	uint64_t decoded;
	uint8_t *p;
	long len;

	drive_init(&dr, f, bad, B.gz_len, true, f->tw.w);
	drive_all(&dr);
	assert_int_equal(dr.res, WK_HTTP_DECODE_FAIL);
	err = wk_http_decode_error(dr.d);
	decoded = wk_http_decode_decoded(dr.d);
	print_message("# corrupt: \"%s\" after %llu decoded bytes, %u blocks "
		      "on the pool\n",
	    err, (unsigned long long)decoded, dr.waits);
	assert_string_equal(err, want);
	assert_false(wk_http_decode_limited(dr.d));
	assert_true(dr.waits > 0);
	/* what came out of the corrupt part before the decoder noticed may
	 * be garbage; the body's first 4 MiB are not */
	p = evbuffer_pullup(dr.sent, -1);
	len = dechunk(p, evbuffer_get_length(dr.sent), true);
	assert_true(len > (long)(4 * MIB));
	assert_true(memcmp(p, B.body, 4 * MIB) == 0);
	drive_clear(&dr);
	return decoded;
}

/* The empty stored block's NLEN flipped (at 5 MiB): the decoder
 * stops there, far past the first MiB. */
struct readies_after {
	struct drive *dr;
	unsigned n;
};

static bool
drive_readies_after(void *arg)
{
	struct readies_after *ra = arg;

	return ra->dr->readies > ra->n;
}

/* A client that reads the first read_until bytes as they come, then
 * nothing: the decoding stops (FULL) far short of the 48 MiB body, and
 * stays there while the pool has nothing to do. Returns the client's
 * output left unwritten. */
static size_t
stall_after(struct fixture *f, size_t read_until)
{
	struct drive dr;
	enum wk_http_decode_res res = WK_HTTP_DECODE_MORE;
	size_t left;

	drive_init(&dr, f, B.gz, B.gz_len, true, f->tw.w);
	dr.hold = true; /* ready only counts */
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t w = 0;
		struct readies_after ra = { &dr, dr.readies };

		res = wk_http_decode_run(
		    dr.d, dr.out, HIGH, dr.fed == dr.in_len, &w);
		dr.written += w;
		assert_true(res == WK_HTTP_DECODE_MORE ||
		    res == WK_HTTP_DECODE_WAIT || res == WK_HTTP_DECODE_FULL);
		/* the body comes faster than it is decoded */
		while (
		    dr.fed < dr.in_len && wk_http_decode_queued(dr.d) < 4 * MIB)
			drive_feed(&dr);
		if (dr.written < read_until)
			evbuffer_add_buffer(dr.sent, dr.out);
		if (res == WK_HTTP_DECODE_MORE)
			continue;
		if (res == WK_HTTP_DECODE_WAIT)
			assert_true(run_until(drive_readies_after, &ra, 30000));
		else if (dr.written >= read_until)
			break;
	}
	assert_int_equal(res, WK_HTTP_DECODE_FULL);
	assert_true(dr.written >= read_until);
	left = evbuffer_get_length(dr.out);
	assert_int_equal(left + evbuffer_get_length(dr.sent), dr.written);
	/* asked again, still nothing read: FULL, nothing more */
	for (int i = 0; i < 3; i++) {
		uint64_t w = 0;

		assert_int_equal(wk_http_decode_run(dr.d, dr.out, HIGH,
				     dr.fed == dr.in_len, &w),
		    WK_HTTP_DECODE_FULL);
		assert_int_equal(w, 0);
	}
	assert_true(run_until(NULL, NULL, 20));
	assert_false(posts_pending(f->tw.w));
	assert_true(dr.written < BODY_LEN - 2 * MIB);
	drive_clear(&dr);
	return left;
}

/* A client that stops reading early in the body: a job stops once 2 MiB
 * of its output were there unwritten at the worker's last look
 * (DECODE_BACK_MAX in src/proto/http_decode.c), so it is left little. */
static void
test_stalled_client_bounded(void **state)
{
	size_t left = stall_after(*state, 2 * MIB);

	print_message("# a client stalled at 2 MiB was left %zu bytes\n", left);
	assert_true(left < 8 * MIB);
}

/* A client that has kept up for more than 32 MiB (DECODE_BACK_CALM), then
 * stops reading: its jobs stop only at 8 MiB unwritten
 * (DECODE_BACK_CALM_MAX; the depth that lets a fast client's stall pass),
 * and never past the 16 MiB bound of all output (DECODE_OUT_MAX). */
static void
test_calm_client_deeper(void **state)
{
	size_t left = stall_after(*state, 33 * MIB);

	print_message(
	    "# a client stalled at 33 MiB was left %zu bytes\n", left);
	assert_true(left > 6 * MIB);
	assert_true(left < 17 * MIB + 64 * KIB);
}

static bool
drive_two_readies(void *arg)
{
	return ((struct drive *)arg)->readies >= 2;
}

/* A worker late to look (it takes nothing) while its client has written
 * everything: the job decodes on into blocks, posting once, until 16 MiB
 * of them wait (DECODE_OUT_MAX), then stops (its done is the second
 * post); the next run takes them all. Then the body goes on to its end. */
static void
test_late_worker_depth(void **state)
{
	struct fixture *f = *state;
	struct drive dr;
	enum wk_http_decode_res res;
	uint64_t w = 0;

	drive_init(&dr, f, B.gz, B.gz_len, true, f->tw.w);
	dr.hold = true;
	while (dr.fed < dr.in_len)
		drive_feed(&dr);
	/* the first MiB inline, the client taking all of it */
	do {
		w = 0;
		res = wk_http_decode_run(dr.d, dr.out, HIGH, true, &w);
		dr.written += w;
		evbuffer_add_buffer(dr.sent, dr.out);
	} while (res == WK_HTTP_DECODE_FULL);
	assert_int_equal(res, WK_HTTP_DECODE_WAIT);
	assert_true(run_until(drive_two_readies, &dr, 60000));
	assert_true(run_until(NULL, NULL, 20));
	assert_int_equal(dr.readies, 2); /* nothing more: the job stopped */
	w = 0;
	res = wk_http_decode_run(dr.d, dr.out, HIGH, true, &w);
	dr.written += w;
	print_message(
	    "# a late worker took %llu bytes at once\n", (unsigned long long)w);
	assert_int_equal(res, WK_HTTP_DECODE_FULL);
	assert_true(w >= 15 * MIB);
	assert_true(w < 17 * MIB + 64 * KIB);
	assert_int_equal(evbuffer_get_length(dr.out), w);
	/* the client takes it; from here the session's usual dance */
	evbuffer_add_buffer(dr.sent, dr.out);
	dr.hold = false;
	dr.readies = dr.waits = 0;
	drive_pump(&dr);
	drive_wait_end(&dr);
	assert_int_equal(dr.res, WK_HTTP_DECODE_DONE);
	check_sent(&dr, true);
	drive_clear(&dr);
}

static void
test_corrupt_on_pool(void **state)
{
	struct fixture *f = *state;
	uint8_t *bad = malloc(B.gz_len);
	uint64_t decoded;

	memcpy(bad, B.gz, B.gz_len);
	bad[B.mark + 2] ^= 0xff; /* NLEN no longer ~LEN */
	bad[B.mark + 3] ^= 0xff;
	decoded = decode_corrupt(f, bad, "gzip: invalid stored block lengths");
	assert_true(decoded > 4 * MIB);
	assert_true(decoded < BODY_LEN);
	free(bad);
}

/* 4 KiB of noise at 5 MiB: it decodes as other valid codes (complete
 * Huffman trees, distances within the window), so only the CRC at the
 * end tells. */
static void
test_noise_on_pool(void **state)
{
	struct fixture *f = *state;
	uint8_t *bad = malloc(B.gz_len);

	memcpy(bad, B.gz, B.gz_len);
	for (size_t i = 0, x = 12345; i < 4096; i++) {
		x = x * 1103515245 + 12345;
		bad[5 * MIB + i] = (uint8_t)(x >> 16);
	}
	(void)decode_corrupt(f, bad, "gzip: incorrect data check");
	free(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_pool_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inline_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_inline_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_queue_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_with_block_out, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_with_block_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_run_while_block_out, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_stalled_client_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_calm_client_deeper, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_late_worker_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_corrupt_on_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_noise_on_pool, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
