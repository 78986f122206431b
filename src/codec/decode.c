/* src/codec/decode.c: the Content-Encoding decoder chain of decode.h.
 *
 * Each coding is a stage; stage 0 undoes the last coding applied and reads
 * the caller's input, stage i + 1 reads stage i's bounded buffer, and the
 * innermost stage writes to the caller's output. A step runs the stages
 * outside in, again and again, until nothing moves: each buffer is at most
 * DECODE_BUF_SIZE, so memory does not depend on the body's size. */
#include "core/wk.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZLIB_CONST
#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec/decode.h"
#include "core/alloc.h"
#include "core/bug.h"

/* The intermediate buffer of each stage but the innermost. */
#define DECODE_BUF_SIZE (64u * 1024)

/* RFC 8878 section 3.1.1.1.2 / RFC 9659: HTTP zstd windows are at most
 * 8 MiB. */
#define DECODE_ZSTD_WINDOW_LOG 23

struct decode_stage {
	enum wk_coding coding;
	bool ended;	 /* the stream is complete; what follows is not read */
	bool seen_input; /* a byte of input arrived */

	/* gzip, deflate */
	z_stream z;
	bool z_init;	 /* inflateInit2 done (deflate: after the sniff) */
	bool member_end; /* gzip: a member ended, another may follow */
	uint8_t hold[2]; /* bytes consumed but not yet given to zlib */
	size_t hold_len;
	size_t hold_off;

	/* br */
	BrotliDecoderState *br;

	/* zstd */
	ZSTD_DStream *zs;
	bool frame_end; /* the last call ended a frame (fully flushed) */

	/* What this stage decoded, for the next stage (NULL: innermost). */
	uint8_t *buf;
	size_t start;
	size_t len;
	uint64_t out_total; /* max_out bounds inner streams too */
};

struct wk_decoder {
	struct decode_stage st[WK_CODING_MAX];
	size_t n;
	struct wk_decode_limits lim;
	uint64_t in_total;
	uint64_t out_total;
	enum wk_decode_res res; /* OK while running; END, ERROR, LIMIT stick */
	char err[192];
};

static const char *const decode_names[WK_CODING_COUNT] = {
	[WK_CODING_IDENTITY] = "identity",
	[WK_CODING_GZIP] = "gzip",
	[WK_CODING_DEFLATE] = "deflate",
	[WK_CODING_BR] = "br",
	[WK_CODING_ZSTD] = "zstd",
	[WK_CODING_UNKNOWN] = "unknown",
};

const char *
wk_coding_name(enum wk_coding c)
{
	if ((unsigned)c >= WK_CODING_COUNT)
		return "unknown";
	return decode_names[c];
}

/* --- field values -------------------------------------------------------- */

static bool
decode_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
decode_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool
decode_token_is(const char *tok, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(tok, name, len) == 0;
}

enum wk_coding
wk_coding_from_token(const char *tok, size_t len)
{
	if (decode_token_is(tok, len, "gzip") ||
	    decode_token_is(tok, len, "x-gzip"))
		return WK_CODING_GZIP;
	if (decode_token_is(tok, len, "deflate"))
		return WK_CODING_DEFLATE;
	if (decode_token_is(tok, len, "br"))
		return WK_CODING_BR;
	if (decode_token_is(tok, len, "zstd"))
		return WK_CODING_ZSTD;
	if (decode_token_is(tok, len, "identity"))
		return WK_CODING_IDENTITY;
	return WK_CODING_UNKNOWN;
}

/* Skips OWS from *p; returns the index of the first other byte. */
static size_t
decode_skip_ows(const char *v, size_t len, size_t p)
{
	while (p < len && decode_is_ows(v[p]))
		p++;
	return p;
}

/* Scans a token at v[p..]; returns its end (== p: no token). */
static size_t
decode_scan_token(const char *v, size_t len, size_t p)
{
	while (p < len && decode_is_tchar((unsigned char)v[p]))
		p++;
	return p;
}

int
wk_coding_parse_list(const char *v, size_t len, enum wk_coding *out, size_t max)
{
	size_t p = 0;
	int n = 0;

	if (v == NULL)
		return 0;
	while (p < len) {
		size_t t, e;

		p = decode_skip_ows(v, len, p);
		if (p < len && v[p] == ',') { /* empty element */
			p++;
			continue;
		}
		if (p == len)
			break;
		t = p;
		e = decode_scan_token(v, len, p);
		if (e == t)
			return -1;
		p = decode_skip_ows(v, len, e);
		if (p < len && v[p] != ',')
			return -1;
		if (p < len)
			p++;
		enum wk_coding c = wk_coding_from_token(v + t, e - t);
		if (c == WK_CODING_IDENTITY)
			continue;
		if ((size_t)n >= max)
			return -1;
		out[n++] = c;
	}
	return n;
}

/* RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0")
 * ] ). Sets *q in thousandths; false when malformed. */
static bool
decode_parse_q(const char *s, size_t len, unsigned *q)
{
	size_t i;
	unsigned frac = 0, scale = 100;

	if (len == 0 || (s[0] != '0' && s[0] != '1'))
		return false;
	if (len > 1 && (s[1] != '.' || len > 5))
		return false;
	for (i = 2; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (s[0] == '1' && s[i] != '0')
			return false;
		frac += (unsigned)(s[i] - '0') * scale;
		scale /= 10;
	}
	*q = s[0] == '1' ? 1000 : frac;
	return true;
}

/* One Accept-Encoding element at v[*p..]: its token and weight. Moves *p
 * past the element and its comma. Returns false for an element that is
 * malformed (including its q), which then counts as absent. */
static bool
decode_accept_elem(const char *v, size_t len, size_t *pp, size_t *tok,
    size_t *tok_len, unsigned *q)
{
	size_t p = decode_skip_ows(v, len, *pp), e;
	bool ok = true;

	*q = 1000;
	*tok = p;
	e = decode_scan_token(v, len, p);
	*tok_len = e - p;
	if (e == p)
		ok = false;
	p = decode_skip_ows(v, len, e);
	while (ok && p < len && v[p] == ';') {
		size_t n, ne, vs, ve;

		n = decode_skip_ows(v, len, p + 1);
		ne = decode_scan_token(v, len, n);
		if (ne == n || ne >= len || v[ne] != '=') {
			ok = false;
			break;
		}
		vs = ne + 1;
		if (vs < len && v[vs] == '"') { /* quoted-string value */
			for (ve = vs + 1; ve < len && v[ve] != '"'; ve++)
				if (v[ve] == '\\' && ve + 1 < len)
					ve++;
			if (ve >= len) {
				ok = false;
				break;
			}
			ve++;
		} else {
			ve = decode_scan_token(v, len, vs);
		}
		if (ne - n == 1 && (v[n] == 'q' || v[n] == 'Q') &&
		    !decode_parse_q(v + vs, ve - vs, q))
			ok = false;
		p = decode_skip_ows(v, len, ve);
	}
	if (p < len && v[p] != ',')
		ok = false;
	/* Skip to the next element, whatever this one was. */
	while (p < len && v[p] != ',')
		p++;
	*pp = p < len ? p + 1 : p;
	return ok;
}

bool
wk_coding_accepted(const char *v, size_t len, enum wk_coding c)
{
	bool have_c = false, have_star = false;
	unsigned q_c = 0, q_star = 0;
	size_t p = 0;

	if ((unsigned)c >= WK_CODING_UNKNOWN)
		return false;
	if (v == NULL)
		return c == WK_CODING_IDENTITY;
	while (p < len) {
		size_t tok, tok_len;
		unsigned q;

		if (!decode_accept_elem(v, len, &p, &tok, &tok_len, &q))
			continue;
		if (tok_len == 1 && v[tok] == '*') {
			have_star = true;
			q_star = WK_MAX(q_star, q);
			continue;
		}
		if (wk_coding_from_token(v + tok, tok_len) == c) {
			have_c = true;
			q_c = WK_MAX(q_c, q);
		}
	}
	if (have_c)
		return q_c > 0;
	if (have_star)
		return q_star > 0;
	/* identity is acceptable unless refused by name or by "*;q=0" */
	return c == WK_CODING_IDENTITY;
}

/* --- stages -------------------------------------------------------------- */

static int decode_fail(struct wk_decoder *d, const char *fmt, ...)
    WK_PRINTF(2, 3);

/* Sets the error message; returns -1. */
static int
decode_fail(struct wk_decoder *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

static voidpf
decode_zalloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return wk_calloc(items, size);
}

static void
decode_zfree(voidpf opaque, voidpf p)
{
	(void)opaque;
	free(p);
}

static void *
decode_br_alloc(void *opaque, size_t size)
{
	(void)opaque;
	return wk_malloc(size);
}

static void
decode_br_free(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

static int
decode_zlib_init(struct wk_decoder *d, struct decode_stage *s, int wbits)
{
	s->z.zalloc = decode_zalloc;
	s->z.zfree = decode_zfree;
	s->z.opaque = NULL;
	if (inflateInit2(&s->z, wbits) != Z_OK)
		return decode_fail(
		    d, "%s: cannot start zlib", wk_coding_name(s->coding));
	s->z_init = true;
	return 0;
}

/* deflate: zlib-wrapped when the first two bytes are a zlib header, else
 * raw (what browsers accept). Collects them into s->hold first. Returns 1
 * when decided and zlib is ready, 0 when more input is needed. */
static int
decode_deflate_sniff(struct wk_decoder *d, struct decode_stage *s,
    const uint8_t *in, size_t in_len, size_t *used, bool eof)
{
	bool zlib;

	while (s->hold_len < 2 && *used < in_len)
		s->hold[s->hold_len++] = in[(*used)++];
	if (s->hold_len < 2 && !eof)
		return 0;
	zlib = s->hold_len == 2 && (s->hold[0] & 0x0f) == 8 &&
	    (s->hold[0] >> 4) <= 7 &&
	    ((unsigned)s->hold[0] * 256 + s->hold[1]) % 31 == 0;
	if (decode_zlib_init(d, s, zlib ? MAX_WBITS : -MAX_WBITS) == -1)
		return -1;
	return 1;
}

/* gzip: after a member, the next must start with 1f 8b; anything else is
 * trailing garbage, left unread (but a lone 1f byte before it has been
 * counted as read: it is kept in s->hold until the next byte shows). */
static void
decode_gzip_next(struct decode_stage *s, const uint8_t *in, size_t in_len,
    size_t *used, bool eof)
{
	if (s->hold_len == 0) {
		if (*used == in_len) {
			if (eof)
				s->ended = true;
			return;
		}
		if (in[*used] != 0x1f) {
			s->ended = true;
			return;
		}
		s->hold[0] = 0x1f;
		s->hold_len = 1;
		s->hold_off = 0;
		(*used)++;
	}
	if (*used == in_len) {
		if (eof)
			s->ended = true;
		return;
	}
	if (in[*used] != 0x8b) {
		s->ended = true;
		return;
	}
	inflateReset(&s->z);
	s->member_end = false;
}

static int
decode_zlib_run(struct wk_decoder *d, struct decode_stage *s, const uint8_t *in,
    size_t in_len, size_t *used, uint8_t *out, size_t cap, size_t *made,
    bool eof)
{
	const char *name = wk_coding_name(s->coding);
	uint8_t dummy;
	int ret;

	if (!s->z_init) {
		int r = decode_deflate_sniff(d, s, in, in_len, used, eof);

		if (r <= 0)
			return r;
	}
	for (;;) {
		const uint8_t *src;
		size_t avail, room = cap - *made;
		bool from_hold;

		if (s->member_end) {
			decode_gzip_next(s, in, in_len, used, eof);
			if (s->member_end)
				return 0;
		}
		from_hold = s->hold_len > 0;
		if (from_hold) {
			src = s->hold + s->hold_off;
			avail = s->hold_len - s->hold_off;
		} else {
			src = in + *used;
			avail = in_len - *used;
		}
		s->z.next_in = src;
		s->z.avail_in = (uInt)WK_MIN(avail, (size_t)UINT_MAX);
		s->z.next_out = room ? out + *made : &dummy;
		s->z.avail_out = (uInt)WK_MIN(room, (size_t)UINT_MAX);
		ret = inflate(&s->z, Z_NO_FLUSH);
		size_t took = (size_t)(s->z.next_in - src);
		size_t gave =
		    room ? (size_t)(s->z.next_out - (out + *made)) : 0;
		if (from_hold) {
			s->hold_off += took;
			if (s->hold_off == s->hold_len)
				s->hold_len = s->hold_off = 0;
		} else {
			*used += took;
		}
		*made += gave;
		switch (ret) {
		case Z_OK:
			if (took == 0 && gave == 0)
				goto stalled;
			if (from_hold)
				continue;
			if (*used < in_len && *made < cap)
				continue;
			goto stalled;
		case Z_BUF_ERROR:
			goto stalled;
		case Z_STREAM_END:
			/* held bytes past the end are dropped as garbage */
			s->hold_len = s->hold_off = 0;
			if (s->coding == WK_CODING_GZIP) {
				s->member_end = true;
				continue;
			}
			s->ended = true;
			return 0;
		case Z_NEED_DICT:
			return decode_fail(
			    d, "%s: needs a preset dictionary", name);
		case Z_MEM_ERROR:
			return decode_fail(d, "%s: out of memory", name);
		default:
			return decode_fail(d, "%s: %s", name,
			    s->z.msg ? s->z.msg : zError(ret));
		}
	}
stalled:
	if (eof && *used == in_len && s->hold_len == 0 && *made < cap)
		return decode_fail(d, "%s: truncated", name);
	return 0;
}

static int
decode_br_run(struct wk_decoder *d, struct decode_stage *s, const uint8_t *in,
    size_t in_len, size_t *used, uint8_t *out, size_t cap, size_t *made,
    bool eof)
{
	size_t avail_in = in_len, avail_out = cap;
	const uint8_t *next_in = in;
	uint8_t dummy, *next_out = cap ? out : &dummy;
	BrotliDecoderResult r;

	r = BrotliDecoderDecompressStream(
	    s->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
	*used = in_len - avail_in;
	*made = cap - avail_out;
	switch (r) {
	case BROTLI_DECODER_RESULT_SUCCESS:
		s->ended = true;
		return 0;
	case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
		/* it may say so with decoded bytes still to give when there
		 * was no room: truncated only once they are all out */
		if (eof && *used == in_len && *made < cap &&
		    !BrotliDecoderHasMoreOutput(s->br))
			return decode_fail(d, "br: truncated");
		return 0;
	case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
		return 0;
	default: {
		const char *e =
		    BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s->br));

		while (*e == '_')
			e++;
		return decode_fail(d, "br: corrupt stream (%s)", e);
	}
	}
}

static int
decode_zstd_run(struct wk_decoder *d, struct decode_stage *s, const uint8_t *in,
    size_t in_len, size_t *used, uint8_t *out, size_t cap, size_t *made,
    bool eof)
{
	uint8_t dummy;
	ZSTD_inBuffer ib = { in, in_len, 0 };
	ZSTD_outBuffer ob = { cap ? out : &dummy, cap, 0 };

	for (;;) {
		size_t pin = ib.pos, pout = ob.pos;
		size_t ret = ZSTD_decompressStream(s->zs, &ob, &ib);

		*used = ib.pos;
		*made = ob.pos;
		if (ZSTD_isError(ret)) {
			if (ZSTD_getErrorCode(ret) ==
			    ZSTD_error_frameParameter_windowTooLarge)
				return decode_fail(d,
				    "zstd: window over 8 MiB (%s)",
				    ZSTD_getErrorName(ret));
			return decode_fail(
			    d, "zstd: %s", ZSTD_getErrorName(ret));
		}
		/* past a frame's end, a call without input asks for the next
		 * frame's header: only a call that moved tells the state */
		if (ib.pos == pin && ob.pos == pout)
			break;
		s->frame_end = ret == 0;
		if (ib.pos == ib.size && (ob.pos == ob.size || ret == 0))
			break;
	}
	if (eof && *used == in_len) {
		if (s->frame_end)
			s->ended = true;
		else if (*made < cap)
			return decode_fail(d, "zstd: truncated");
	}
	return 0;
}

/* Runs stage s on in[0..in_len) into out[0..cap). Sets *used, *made and
 * s->ended. Returns -1 (d->err set) for corrupt or truncated input. */
static int
decode_stage_run(struct wk_decoder *d, struct decode_stage *s,
    const uint8_t *in, size_t in_len, size_t *used, uint8_t *out, size_t cap,
    size_t *made, bool eof)
{
	int r = 0;

	*used = 0;
	*made = 0;
	if (s->ended)
		return 0;
	if (!s->seen_input) {
		if (in_len == 0) {
			/* a body of zero bytes is empty, as in browsers */
			if (eof)
				s->ended = true;
			return 0;
		}
		s->seen_input = true;
	}
	switch (s->coding) {
	case WK_CODING_GZIP:
	case WK_CODING_DEFLATE:
		r = decode_zlib_run(
		    d, s, in, in_len, used, out, cap, made, eof);
		break;
	case WK_CODING_BR:
		r = decode_br_run(d, s, in, in_len, used, out, cap, made, eof);
		break;
	case WK_CODING_ZSTD:
		r = decode_zstd_run(
		    d, s, in, in_len, used, out, cap, made, eof);
		break;
	default:
		WK_BUG_ON(1);
	}
	WK_BUG_ON(*used > in_len || *made > cap);
	return r;
}

static void
decode_stage_clear(struct decode_stage *s)
{
	if (s->z_init)
		inflateEnd(&s->z);
	if (s->br != NULL)
		BrotliDecoderDestroyInstance(s->br);
	ZSTD_freeDStream(s->zs);
	wk_free(s->buf);
	memset(s, 0, sizeof(*s));
}

static int
decode_stage_init(struct wk_decoder *d, struct decode_stage *s,
    enum wk_coding c, bool innermost)
{
	memset(s, 0, sizeof(*s));
	s->coding = c;
	switch (c) {
	case WK_CODING_GZIP:
		if (decode_zlib_init(d, s, 16 + MAX_WBITS) == -1)
			return -1;
		break;
	case WK_CODING_DEFLATE:
		break; /* zlib or raw: decided by the first two bytes */
	case WK_CODING_BR:
		s->br = BrotliDecoderCreateInstance(
		    decode_br_alloc, decode_br_free, NULL);
		if (s->br == NULL)
			return -1;
		break;
	case WK_CODING_ZSTD:
		s->zs = ZSTD_createDStream();
		if (s->zs == NULL)
			return -1;
		if (ZSTD_isError(ZSTD_DCtx_setParameter(
			s->zs, ZSTD_d_windowLogMax, DECODE_ZSTD_WINDOW_LOG)))
			return -1;
		break;
	default:
		return -1;
	}
	if (!innermost)
		s->buf = wk_malloc(DECODE_BUF_SIZE);
	return 0;
}

/* --- the chain ----------------------------------------------------------- */

struct wk_decoder *
wk_decoder_new(
    const enum wk_coding *codings, size_t n, const struct wk_decode_limits *lim)
{
	struct wk_decoder *d;
	size_t i;

	if (n == 0 || n > WK_CODING_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (codings[i] == WK_CODING_IDENTITY ||
		    (unsigned)codings[i] >= WK_CODING_UNKNOWN)
			return NULL;
	d = wk_calloc(1, sizeof(*d));
	if (lim != NULL)
		d->lim = *lim;
	d->res = WK_DECODE_OK;
	for (i = 0; i < n; i++) {
		/* stage 0 undoes the coding applied last */
		if (decode_stage_init(
			d, &d->st[i], codings[n - 1 - i], i + 1 == n) == -1) {
			d->n = i + 1;
			wk_decoder_free(d);
			return NULL;
		}
	}
	d->n = n;
	return d;
}

void
wk_decoder_free(struct wk_decoder *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		decode_stage_clear(&d->st[i]);
	free(d);
}

/* Done when the innermost stream ended and, going outwards, every stage
 * ended too, or left bytes its inner stage will not read (garbage after the
 * inner stream: ignored like bytes after the last gzip member). */
static bool
decode_chain_done(const struct wk_decoder *d)
{
	size_t i = d->n;

	if (!d->st[i - 1].ended)
		return false;
	while (--i > 0) {
		const struct decode_stage *p = &d->st[i - 1];

		if (p->start < p->len)
			return true;
		if (!p->ended)
			return false;
	}
	return true;
}

static bool
decode_ratio_over(const struct wk_decoder *d)
{
	uint64_t r = d->lim.max_ratio;

	if (r == 0 || d->out_total < d->lim.ratio_after)
		return false;
	if (d->in_total > UINT64_MAX / r)
		return false;
	return d->out_total > r * d->in_total;
}

/* Makes room at the end of s->buf (data moves only when at least half the
 * buffer is free before it, so copying stays linear). */
static void
decode_compact(struct decode_stage *s)
{
	if (s->start == s->len) {
		s->start = s->len = 0;
	} else if (s->start >= DECODE_BUF_SIZE / 2) {
		memmove(s->buf, s->buf + s->start, s->len - s->start);
		s->len -= s->start;
		s->start = 0;
	}
}

/* One pass over the stages, outside in. Sets *moved when anything was
 * read, written or ended. Returns -1 on error, 1 past max_out. */
static int
decode_pass(struct wk_decoder *d, const uint8_t *in, size_t in_len,
    size_t *in_used, uint8_t *out, size_t out_cap, size_t *out_len, bool eof,
    bool *moved)
{
	uint8_t probe;

	for (size_t i = 0; i < d->n; i++) {
		struct decode_stage *s = &d->st[i];
		struct decode_stage *p = i > 0 ? &d->st[i - 1] : NULL;
		const uint8_t *src;
		size_t srclen, cap, used, made;
		uint8_t *dst;
		bool seof, probing = false;
		int r;

		if (s->ended)
			continue;
		if (p == NULL) {
			src = in + *in_used;
			srclen = in_len - *in_used;
			seof = eof;
		} else {
			src = p->buf + p->start;
			srclen = p->len - p->start;
			seof = p->ended;
		}
		if (s->buf != NULL) {
			decode_compact(s);
			dst = s->buf + s->len;
			cap = DECODE_BUF_SIZE - s->len;
		} else {
			uint64_t left = UINT64_MAX;

			if (d->lim.max_out != 0)
				left = d->lim.max_out - d->out_total;
			dst = out + *out_len;
			cap = out_cap - *out_len;
			if (left < cap)
				cap = (size_t)left;
			if (left == 0) {
				/* any byte more is over the limit */
				dst = &probe;
				cap = 1;
				probing = true;
			}
		}
		r = decode_stage_run(
		    d, s, src, srclen, &used, dst, cap, &made, seof);
		/* what came before an error counts (and is delivered) too */
		if (used > 0 || made > 0 || s->ended)
			*moved = true;
		if (p == NULL) {
			*in_used += used;
			d->in_total += used;
		} else {
			p->start += used;
		}
		if (s->buf != NULL) {
			s->len += made;
			s->out_total += made;
		} else if (!probing) {
			*out_len += made;
			d->out_total += made;
		}
		if (r == -1)
			return -1;
		/* a gzip name or br metadata is decoded without output:
		 * max_out bounds the inner streams' size too */
		if (s->buf != NULL && d->lim.max_out != 0 &&
		    s->out_total > d->lim.max_out) {
			decode_fail(d,
			    "decoded size over %llu bytes (inner %s stream)",
			    (unsigned long long)d->lim.max_out,
			    wk_coding_name(d->st[i + 1].coding));
			return 1;
		}
		if (probing && made > 0) {
			decode_fail(d, "decoded size over %llu bytes",
			    (unsigned long long)d->lim.max_out);
			return 1;
		}
	}
	return 0;
}

enum wk_decode_res
wk_decoder_step(struct wk_decoder *d, const uint8_t *in, size_t in_len,
    size_t *in_used, uint8_t *out, size_t out_cap, size_t *out_len, bool eof)
{
	static const uint8_t none;
	uint8_t spare;

	*in_used = 0;
	*out_len = 0;
	if (in == NULL || in_len == 0) { /* no NULL + 0 below */
		in = &none;
		in_len = 0;
	}
	if (out == NULL || out_cap == 0) {
		out = &spare;
		out_cap = 0;
	}
	while (d->res == WK_DECODE_OK) {
		bool moved = false;
		int r = decode_pass(
		    d, in, in_len, in_used, out, out_cap, out_len, eof, &moved);

		if (r == -1)
			d->res = WK_DECODE_ERROR;
		else if (r == 1)
			d->res = WK_DECODE_LIMIT;
		else if (decode_ratio_over(d)) {
			decode_fail(d, "ratio over %u:1", d->lim.max_ratio);
			d->res = WK_DECODE_LIMIT;
		} else if (decode_chain_done(d))
			d->res = WK_DECODE_END;
		else if (!moved)
			break;
	}
	return d->res;
}

const char *
wk_decoder_error(const struct wk_decoder *d)
{
	return d->err[0] != '\0' ? d->err : "no error";
}

uint64_t
wk_decoder_in_total(const struct wk_decoder *d)
{
	return d->in_total;
}

uint64_t
wk_decoder_out_total(const struct wk_decoder *d)
{
	return d->out_total;
}
