/* tests/unit/test_decode.c: the Content-Encoding decoder chain, with the
 * gzip-deflate corpus in WK_TESTDATA (wuffs, flate2, miniz_oxide pairs and
 * the synthetic manifest), br streams made with brotli(1) (tests/unit/data
 * and below), zstd and zlib streams made here, stacked codings, limits,
 * the field-value parsers and a long body in bounded memory. */
#include "core/wk.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "testjson.h"

#include "codec/decode.h"

/* --- helpers ------------------------------------------------------------- */

static uint8_t *
read_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* WK_TESTDATA/gzip-deflate/rel, or NULL (no corpus). */
static uint8_t *
read_corpus(const char *rel, size_t *len)
{
	const char *dir = getenv("WK_TESTDATA");
	char path[1024];

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	snprintf(path, sizeof(path), "%s/gzip-deflate/%s", dir, rel);
	return read_path(path, len);
}

static bool
have_corpus(void)
{
	const char *dir = getenv("WK_TESTDATA");

	return dir != NULL && dir[0] != '\0';
}

/* $WK_TOP_SRCDIR/tests/unit/data/name (our own files); must exist. */
static uint8_t *
read_data(const char *name, size_t *len)
{
	const char *top = getenv("WK_TOP_SRCDIR");
	char path[1024];
	uint8_t *p;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s",
	    top != NULL && top[0] != '\0' ? top : ".", name);
	p = read_path(path, len);
	if (p == NULL)
		fail_msg("cannot read %s (set WK_TOP_SRCDIR)", path);
	return p;
}

static void
sha256_hex(const uint8_t *p, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (p == NULL)
		p = (const uint8_t *)"";
	assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Deterministic text-like test data of n bytes. */
static uint8_t *
make_text(size_t n, uint32_t seed)
{
	static const char *const words[] = { "wicket ", "proxy ", "gzip ",
		"zstd ", "brotli ", "deflate ", "the ", "quick ", "fox ",
		"decoder ", "stream ", "\n" };
	uint8_t *p = malloc(n ? n : 1);
	uint32_t x = seed;
	size_t w = 0;

	assert_non_null(p);
	while (w < n) {
		const char *s;
		size_t l;

		x = x * 1103515245u + 12345u;
		s = words[(x >> 16) % WK_ARRAY_LEN(words)];
		l = WK_MIN(strlen(s), n - w);
		memcpy(p + w, s, l);
		w += l;
	}
	return p;
}

/* zlib's compressor: wbits 15 (zlib), -15 (raw), 31 (gzip). */
static uint8_t *
zlib_make(const uint8_t *src, size_t n, int wbits, size_t *len)
{
	z_stream z;
	uint8_t *out;
	size_t cap;

	memset(&z, 0, sizeof(z));
	assert_int_equal(
	    deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	cap = deflateBound(&z, (uLong)n) + 64;
	out = malloc(cap);
	assert_non_null(out);
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* zstd with a checksum; wlog 0: default window. In chunks, so the frame
 * does not know its size and declares the window itself. */
static uint8_t *
zstd_make(const uint8_t *src, size_t n, int wlog, size_t *len)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(n) + 1024, off = 0;
	uint8_t *out = malloc(cap);
	ZSTD_outBuffer ob = { out, cap, 0 };

	assert_non_null(cc);
	assert_non_null(out);
	assert_false(
	    ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
	assert_false(ZSTD_isError(
	    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3)));
	if (wlog != 0)
		assert_false(ZSTD_isError(
		    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, wlog)));
	do {
		size_t chunk = WK_MIN(n - off, (size_t)1 << 20), r;
		ZSTD_inBuffer ib = { src + off, chunk, 0 };
		ZSTD_EndDirective e =
		    off + chunk == n ? ZSTD_e_end : ZSTD_e_continue;

		do {
			r = ZSTD_compressStream2(cc, &ob, &ib, e);
			assert_false(ZSTD_isError(r));
		} while (ib.pos < ib.size || (e == ZSTD_e_end && r != 0));
		off += chunk;
	} while (off < n);
	*len = ob.pos;
	ZSTD_freeCCtx(cc);
	return out;
}

/* The outcome of a whole decode. */
struct run {
	enum wk_decode_res res;
	uint8_t *out;
	size_t out_len;
	size_t in_used;
	char err[256];
};

static void
run_free(struct run *r)
{
	free(r->out);
	r->out = NULL;
}

/* In a step size: eof is not given with the last bytes but after them. */
#define LATE_EOF ((size_t)1 << 62)

/* Decodes in[0..len) feeding in_step bytes and giving out_step bytes of
 * room per call; checks the step contract on the way. */
static void
run_decode(const enum wk_coding *c, size_t n,
    const struct wk_decode_limits *lim, const uint8_t *in, size_t len,
    size_t in_step, size_t out_step, struct run *r)
{
	struct wk_decoder *d = wk_decoder_new(c, n, lim);
	uint8_t *chunk = malloc(out_step);
	size_t off = 0, cap = 0, o, u;
	bool late = in_step != SIZE_MAX && (in_step & LATE_EOF) != 0;

	assert_non_null(d);
	assert_non_null(chunk);
	if (in == NULL)
		in = (const uint8_t *)"";
	memset(r, 0, sizeof(*r));
	if (late)
		in_step &= ~LATE_EOF;
	for (;;) {
		size_t take = WK_MIN(in_step, len - off);
		bool eof = late ? take == 0 : off + take == len;

		r->res = wk_decoder_step(
		    d, in + off, take, &u, chunk, out_step, &o, eof);
		assert_true(u <= take);
		assert_true(o <= out_step);
		if (r->res == WK_DECODE_OK)
			assert_true(u > 0 || o > 0); /* progress, always */
		if (r->out_len + o > cap) {
			cap = (r->out_len + o) * 2 + 64;
			r->out = realloc(r->out, cap);
			assert_non_null(r->out);
		}
		if (o > 0)
			memcpy(r->out + r->out_len, chunk, o);
		r->out_len += o;
		off += u;
		if (r->res != WK_DECODE_OK)
			break;
	}
	assert_int_equal(wk_decoder_in_total(d), off);
	assert_int_equal(wk_decoder_out_total(d), r->out_len);
	/* a finished decoder stays finished */
	assert_int_equal(wk_decoder_step(d, in + off, len - off, &u, chunk,
			     out_step, &o, true),
	    r->res);
	assert_int_equal(u, 0);
	assert_int_equal(o, 0);
	r->in_used = off;
	snprintf(r->err, sizeof(r->err), "%s", wk_decoder_error(d));
	wk_decoder_free(d);
	free(chunk);
}

/* The step sizes every pair runs with: whole input at once, one byte at a
 * time, a 7-byte output buffer, both, and 3-byte steps where eof comes
 * alone in a last call without input. */
static const struct mode {
	size_t in_step, out_step;
	const char *name;
} modes[] = {
	{ SIZE_MAX, 256 * 1024, "whole" },
	{ 1, 64 * 1024, "in=1" },
	{ SIZE_MAX, 7, "out=7" },
	{ 1, 7, "in=1,out=7" },
	{ 3 | LATE_EOF, 1000, "in=3,late eof" },
};

/* Decodes with every mode; true when each gives END and exactly want. */
static bool
decodes_to(const enum wk_coding *c, size_t n, const uint8_t *in, size_t len,
    const uint8_t *want, size_t want_len, const char *label)
{
	bool ok = true;

	for (size_t m = 0; m < WK_ARRAY_LEN(modes); m++) {
		struct run r;

		run_decode(c, n, NULL, in, len, modes[m].in_step,
		    modes[m].out_step, &r);
		if (r.res != WK_DECODE_END || r.out_len != want_len ||
		    (want_len > 0 && memcmp(r.out, want, want_len) != 0)) {
			printf("# FAIL %s (%s): res %d, %zu bytes (want %zu): "
			       "%s\n",
			    label, modes[m].name, r.res, r.out_len, want_len,
			    r.err);
			ok = false;
		}
		run_free(&r);
	}
	return ok;
}

/* Decodes with every mode; true when each gives ERROR. */
static bool
decodes_to_error(const enum wk_coding *c, size_t n, const uint8_t *in,
    size_t len, const char *label)
{
	static char last[128];
	bool ok = true;

	for (size_t m = 0; m < WK_ARRAY_LEN(modes); m++) {
		struct run r;

		run_decode(c, n, NULL, in, len, modes[m].in_step,
		    modes[m].out_step, &r);
		if (r.res != WK_DECODE_ERROR) {
			printf("# FAIL %s (%s): res %d, want ERROR\n", label,
			    modes[m].name, r.res);
			ok = false;
		} else if (m == 0 && strcmp(label, last) != 0) {
			printf("# %s: %s\n", label, r.err);
			snprintf(last, sizeof(last), "%s", label);
		}
		run_free(&r);
	}
	return ok;
}

/* A stream cut short: ERROR in every mode, after the same output, all of
 * it a prefix of want (the decoded bytes do not depend on the steps). */
static void
cut_consistent(enum wk_coding c, const uint8_t *in, size_t len,
    const uint8_t *want, size_t want_len, const char *label)
{
	size_t first = 0;

	for (size_t m = 0; m < WK_ARRAY_LEN(modes); m++) {
		struct run r;

		run_decode(&c, 1, NULL, in, len, modes[m].in_step,
		    modes[m].out_step, &r);
		if (m == 0)
			first = r.out_len;
		if (r.res != WK_DECODE_ERROR || r.out_len != first ||
		    r.out_len > want_len ||
		    (r.out_len > 0 && memcmp(r.out, want, r.out_len) != 0))
			fail_msg("%s (%s): res %d, %zu bytes (first mode: %zu)",
			    label, modes[m].name, r.res, r.out_len, first);
		run_free(&r);
	}
}

/* --- the synthetic manifest ---------------------------------------------- */

/* output_len of the idx-th object: testjson skips numbers, so it is read
 * from the text between the idx-th "file" key and the next. */
static long
manifest_len(const char *text, size_t idx)
{
	const char *p = text, *next, *l;

	for (size_t i = 0; i <= idx; i++) {
		p = strstr(p, "\"file\"");
		assert_non_null(p);
		p++;
	}
	next = strstr(p, "\"file\"");
	l = strstr(p, "\"output_len\"");
	if (l == NULL || (next != NULL && l > next))
		return -1;
	l = strchr(l, ':');
	assert_non_null(l);
	return strtol(l + 1, NULL, 10);
}

/* Checks one ok case in every mode (the bomb only in the quick ones). */
static bool
synthetic_ok(enum wk_coding c, const uint8_t *in, size_t len, long want_len,
    const char *want_sha, const char *file, bool garbage)
{
	bool ok = true;
	size_t nmodes =
	    len > 10000 && want_len > 1000000 ? 2 : WK_ARRAY_LEN(modes);

	for (size_t m = 0; m < nmodes; m++) {
		struct run r;
		char hex[65];

		run_decode(&c, 1, NULL, in, len, modes[m].in_step,
		    modes[m].out_step, &r);
		sha256_hex(r.out, r.out_len, hex);
		if (r.res != WK_DECODE_END || (long)r.out_len != want_len ||
		    strcmp(hex, want_sha) != 0 ||
		    (garbage ? r.in_used >= len : r.in_used != len)) {
			printf("# FAIL %s (%s): res %d, %zu bytes, %zu of %zu "
			       "read: %s\n",
			    file, modes[m].name, r.res, r.out_len, r.in_used,
			    len, r.err);
			ok = false;
		}
		run_free(&r);
	}
	return ok;
}

/* The bomb with limits: LIMIT, and never more than max_out. */
static bool
synthetic_bomb_limits(const uint8_t *in, size_t len, const char *file)
{
	enum wk_coding c = WK_CODING_GZIP;
	struct wk_decode_limits by_size = { 1u << 20, 0, 0 };
	struct wk_decode_limits by_ratio = { 0, 100, 1u << 20 };
	struct run r;
	bool ok = true;

	run_decode(&c, 1, &by_size, in, len, SIZE_MAX, 7 * 1024, &r);
	if (r.res != WK_DECODE_LIMIT || r.out_len != 1u << 20 ||
	    strstr(r.err, "decoded size over 1048576 bytes") == NULL) {
		printf("# FAIL %s (max_out): res %d, %zu bytes: %s\n", file,
		    r.res, r.out_len, r.err);
		ok = false;
	}
	run_free(&r);
	run_decode(&c, 1, &by_ratio, in, len, 1, 64 * 1024, &r);
	if (r.res != WK_DECODE_LIMIT || r.out_len < 1u << 20 ||
	    r.out_len > (1u << 20) + 64 * 1024 ||
	    strstr(r.err, "ratio over 100:1") == NULL) {
		printf("# FAIL %s (max_ratio): res %d, %zu bytes: %s\n", file,
		    r.res, r.out_len, r.err);
		ok = false;
	}
	run_free(&r);
	return ok;
}

/* One manifest case. The documented choices for the "-or-" cases:
 *   error-or-lenient (bad header CRC): ERROR, zlib checks FHCRC;
 *   ok-or-error (trailing garbage, zero padding): ok, the member's bytes
 *     and END, with the bytes after it not consumed (the caller logs them);
 *   error-or-empty (0-byte body): END with no output, as browsers do;
 *   ok-or-limit (the bomb): ok without limits, LIMIT with them. */
static bool
synthetic_case(const struct tj *o, long want_len)
{
	const struct tj *file = tj_get(o, "file");
	const struct tj *fmt = tj_get(o, "format");
	const struct tj *exp = tj_get(o, "expect");
	const struct tj *sha = tj_get(o, "output_sha256");
	enum wk_coding c;
	char rel[256];
	uint8_t *in;
	size_t len;
	bool ok;

	assert_non_null(file);
	assert_non_null(fmt);
	assert_non_null(exp);
	c = strcmp(fmt->s, "gzip") == 0 ? WK_CODING_GZIP : WK_CODING_DEFLATE;
	assert_true(c == WK_CODING_GZIP || strcmp(fmt->s, "zlib") == 0 ||
	    strcmp(fmt->s, "raw-deflate") == 0);
	snprintf(rel, sizeof(rel), "synthetic/%s", file->s);
	in = read_corpus(rel, &len);
	assert_non_null(in);
	if (strcmp(exp->s, "ok") == 0 || strcmp(exp->s, "ok-or-error") == 0 ||
	    strcmp(exp->s, "ok-or-limit") == 0) {
		assert_non_null(sha);
		assert_true(want_len >= 0);
		ok = synthetic_ok(c, in, len, want_len, sha->s, file->s,
		    strcmp(exp->s, "ok-or-error") == 0);
		if (strcmp(exp->s, "ok-or-limit") == 0)
			ok = synthetic_bomb_limits(in, len, file->s) && ok;
	} else if (strcmp(exp->s, "error") == 0 ||
	    strcmp(exp->s, "error-or-lenient") == 0) {
		ok = decodes_to_error(&c, 1, in, len, file->s);
	} else if (strcmp(exp->s, "error-or-empty") == 0) {
		ok = decodes_to(&c, 1, in, len, NULL, 0, file->s);
	} else {
		printf("# FAIL %s: unknown expect \"%s\"\n", file->s, exp->s);
		ok = false;
	}
	free(in);
	return ok;
}

static void
test_synthetic(void **state)
{
	const char *rel = "gzip-deflate/synthetic/manifest.json";
	char path[1024];
	struct tj root;
	unsigned pass = 0;
	uint8_t *text;
	size_t len;

	(void)state;
	if (!tj_load(rel, &root))
		skip();
	snprintf(path, sizeof(path), "%s/%s", getenv("WK_TESTDATA"), rel);
	text = read_path(path, &len);
	assert_non_null(text);
	text[len] = '\0';
	assert_int_equal(root.type, TJ_ARR);
	for (size_t i = 0; i < root.n; i++)
		if (synthetic_case(
			&root.kids[i], manifest_len((const char *)text, i)))
			pass++;
	printf("# synthetic: %u/%zu\n", pass, root.n);
	free(text);
	tj_free(&root);
	assert_int_equal(pass, root.n);
}

/* --- the corpus pairs ---------------------------------------------------- */

struct pair {
	const char *in;	  /* encoded */
	const char *want; /* decoded; NULL: must be an error */
	enum wk_coding c;
};

static unsigned
run_pairs(const char *set, const struct pair *p, size_t n)
{
	unsigned pass = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t *in, *want = NULL;
		size_t len, want_len = 0;
		bool ok;

		in = read_corpus(p[i].in, &len);
		assert_non_null(in);
		if (p[i].want != NULL) {
			want = read_corpus(p[i].want, &want_len);
			assert_non_null(want);
			ok = decodes_to(
			    &p[i].c, 1, in, len, want, want_len, p[i].in);
		} else {
			ok = decodes_to_error(&p[i].c, 1, in, len, p[i].in);
		}
		pass += ok;
		free(in);
		free(want);
	}
	printf("# %s: %u/%zu\n", set, pass, n);
	return pass;
}

static void
test_pairs_wuffs(void **state)
{
	static const struct pair p[] = {
		{ "wuffs/256.bytes.gz", "wuffs/256.bytes", WK_CODING_GZIP },
		{ "wuffs/midsummer.txt.gz", "wuffs/midsummer.txt",
		    WK_CODING_GZIP },
		{ "wuffs/midsummer.txt.zlib", "wuffs/midsummer.txt",
		    WK_CODING_DEFLATE },
		{ "wuffs/pi.txt.gz", "wuffs/pi.txt", WK_CODING_GZIP },
		{ "wuffs/pi.txt.zlib", "wuffs/pi.txt", WK_CODING_DEFLATE },
		{ "wuffs/romeo.txt.gz", "wuffs/romeo.txt", WK_CODING_GZIP },
		{ "wuffs/romeo.txt.zlib", "wuffs/romeo.txt",
		    WK_CODING_DEFLATE },
		{ "wuffs/romeo.txt.deflate", "wuffs/romeo.txt",
		    WK_CODING_DEFLATE },
		{ "wuffs/romeo.txt.fixed-huff.deflate", "wuffs/romeo.txt",
		    WK_CODING_DEFLATE },
		{ "wuffs/artificial-deflate/backref-crosses-blocks.deflate",
		    "wuffs/artificial-deflate/"
		    "backref-crosses-blocks.deflate.decompressed",
		    WK_CODING_DEFLATE },
		{ "wuffs/artificial-deflate/degenerate-huffman.deflate",
		    "wuffs/artificial-deflate/"
		    "degenerate-huffman.deflate.decompressed",
		    WK_CODING_DEFLATE },
		{ "wuffs/artificial-deflate/distance-32768.deflate",
		    "wuffs/artificial-deflate/"
		    "distance-32768.deflate.decompressed",
		    WK_CODING_DEFLATE },
		{ "wuffs/artificial-deflate/huffman-primlen-9.deflate",
		    "wuffs/artificial-deflate/"
		    "huffman-primlen-9.deflate.decompressed",
		    WK_CODING_DEFLATE },
		/* invalid distance code 31 */
		{ "wuffs/artificial-deflate/distance-code-31.deflate", NULL,
		    WK_CODING_DEFLATE },
	};

	(void)state;
	if (!have_corpus())
		skip();
	assert_int_equal(
	    run_pairs("wuffs", p, WK_ARRAY_LEN(p)), WK_ARRAY_LEN(p));
}

static void
test_pairs_flate2(void **state)
{
	static const struct pair p[] = {
		{ "flate2/good-file.gz", "flate2/good-file.txt",
		    WK_CODING_GZIP },
		/* two members: "first\n" alone would be wrong */
		{ "flate2/multi.gz", "flate2/multi.txt", WK_CODING_GZIP },
	};

	(void)state;
	if (!have_corpus())
		skip();
	assert_int_equal(
	    run_pairs("flate2", p, WK_ARRAY_LEN(p)), WK_ARRAY_LEN(p));
}

static void
test_pairs_miniz_oxide(void **state)
{
	/* The fuzzer-found streams: all of them are invalid or truncated,
	 * so every one must be an ERROR (never a crash, hang or a success,
	 * which would hide a truncated body). */
	static const struct pair p[] = {
		{ "miniz_oxide/numbers.deflate", "miniz_oxide/numbers.txt",
		    WK_CODING_DEFLATE },
		{ "miniz_oxide/issue_14.zlib", NULL, WK_CODING_DEFLATE },
		{ "miniz_oxide/issue_19.deflate", NULL, WK_CODING_DEFLATE },
		{ "miniz_oxide/invalid_code_len_oom", NULL, WK_CODING_DEFLATE },
		{ "miniz_oxide/issue_130_table_size.bin", NULL,
		    WK_CODING_DEFLATE },
		{ "miniz_oxide/invalid_code_len_short", NULL,
		    WK_CODING_DEFLATE },
		{ "miniz_oxide/write_len_bytes_to_end", NULL,
		    WK_CODING_DEFLATE },
	};

	(void)state;
	if (!have_corpus())
		skip();
	assert_int_equal(
	    run_pairs("miniz_oxide", p, WK_ARRAY_LEN(p)), WK_ARRAY_LEN(p));
}

/* --- gzip and deflate made here ------------------------------------------ */

static void
test_zlib_made(void **state)
{
	enum wk_coding gz = WK_CODING_GZIP, df = WK_CODING_DEFLATE;
	size_t n = 200000, zl, rl, gl, cl;
	uint8_t *x = make_text(n, 1);
	uint8_t *z = zlib_make(x, n, MAX_WBITS, &zl);
	uint8_t *raw = zlib_make(x, n, -MAX_WBITS, &rl);
	uint8_t *g = zlib_make(x, n, 16 + MAX_WBITS, &gl);
	uint8_t *cat = malloc(2 * gl + 1);
	uint8_t *x2 = malloc(2 * n);

	(void)state;
	assert_true(decodes_to(&df, 1, z, zl, x, n, "zlib"));
	assert_true(decodes_to(&df, 1, raw, rl, x, n, "raw deflate"));
	assert_true(decodes_to(&gz, 1, g, gl, x, n, "gzip"));
	/* members in series, then a lone 1f (not a member: ignored) */
	memcpy(cat, g, gl);
	memcpy(cat + gl, g, gl);
	cat[2 * gl] = 0x1f;
	memcpy(x2, x, n);
	memcpy(x2 + n, x, n);
	cl = 2 * gl;
	assert_true(decodes_to(&gz, 1, cat, cl, x2, 2 * n, "gzip x2"));
	assert_true(decodes_to(&gz, 1, cat, cl + 1, x2, 2 * n, "gzip x2+1f"));
	for (size_t k = 1; k < 8; k++) {
		cut_consistent(gz, g, gl * k / 8, x, n, "gzip cut k/8");
		cut_consistent(df, z, zl * k / 8, x, n, "zlib cut k/8");
	}
	/* a truncated second member is an error */
	assert_true(decodes_to_error(&gz, 1, cat, cl - 3, "gzip x2 cut"));
	/* x-gzip's deflate-in-gzip is not deflate's: a gzip body given
	 * as deflate is raw deflate garbage */
	assert_true(decodes_to_error(&df, 1, g, gl, "gzip as deflate"));
	/* a 1-byte body */
	assert_true(decodes_to_error(&df, 1, z, 1, "deflate 1 byte"));
	assert_true(decodes_to_error(&gz, 1, g, 1, "gzip 1 byte"));
	free(x);
	free(z);
	free(raw);
	free(g);
	free(cat);
	free(x2);
}

/* --- br ------------------------------------------------------------------ */

/* brotli -q 11 of br_hello_text. */
static const char br_hello_text[] =
    "wicket decodes br: hello, hello, hello, world!\n";
static const uint8_t br_hello[] = { 0x1f, 0x2e, 0x00, 0xf8, 0x45, 0x4f, 0xd6,
	0x5f, 0xd2, 0x95, 0xaa, 0x45, 0x3c, 0x98, 0x66, 0x36, 0xb0, 0x01, 0x07,
	0x0e, 0x81, 0xa5, 0x11, 0x6e, 0x77, 0x02, 0x3b, 0x6c, 0x93, 0x92, 0xfd,
	0xce, 0xd1, 0xb1, 0x14, 0x5d, 0xac, 0x1f, 0x8d, 0x03, 0x6a, 0x00 };
/* brotli of an empty file */
static const uint8_t br_empty[] = { 0x3f };

static void
test_br(void **state)
{
	enum wk_coding br = WK_CODING_BR;
	uint8_t buf[sizeof(br_hello) + 4];
	unsigned errors = 0;
	uint8_t *mid, *want = NULL;
	size_t mid_len, want_len = 0;

	(void)state;
	assert_true(decodes_to(&br, 1, br_hello, sizeof(br_hello),
	    (const uint8_t *)br_hello_text, strlen(br_hello_text), "br hello"));
	assert_true(decodes_to(&br, 1, br_empty, 1, NULL, 0, "br empty"));
	/* truncated at every length */
	for (size_t n = 1; n < sizeof(br_hello); n++)
		assert_true(decodes_to_error(&br, 1, br_hello, n, "br cut"));
	/* corrupt: the window bits of the first byte set to 0010001, the
	 * large-window escape, which HTTP's br does not allow */
	memcpy(buf, br_hello, sizeof(br_hello));
	buf[0] = 0x11;
	assert_true(
	    decodes_to_error(&br, 1, buf, sizeof(br_hello), "br wbits"));
	/* every byte flipped: never a crash; errors are counted */
	for (size_t i = 0; i < sizeof(br_hello); i++) {
		struct run r;

		memcpy(buf, br_hello, sizeof(br_hello));
		buf[i] ^= 0x55;
		run_decode(&br, 1, NULL, buf, sizeof(br_hello), 1, 7, &r);
		assert_true(r.res == WK_DECODE_END || r.res == WK_DECODE_ERROR);
		errors += r.res == WK_DECODE_ERROR;
		run_free(&r);
	}
	printf("# br: %u of %zu flipped bytes are errors\n", errors,
	    sizeof(br_hello));
	assert_true(errors > sizeof(br_hello) / 2);
	/* bytes after the end are not read */
	memcpy(buf, br_hello, sizeof(br_hello));
	memcpy(buf + sizeof(br_hello), "junk", 4);
	{
		struct run r;

		run_decode(&br, 1, NULL, buf, sizeof(buf), SIZE_MAX, 4096, &r);
		assert_int_equal(r.res, WK_DECODE_END);
		assert_int_equal(r.in_used, sizeof(br_hello));
		run_free(&r);
	}
	/* a larger one: midsummer.txt (wuffs) by brotli -q 11 */
	mid = read_data("midsummer.txt.br", &mid_len);
	if (have_corpus())
		want = read_corpus("wuffs/midsummer.txt", &want_len);
	if (want != NULL) {
		assert_true(decodes_to(
		    &br, 1, mid, mid_len, want, want_len, "midsummer.txt.br"));
		printf("# br: midsummer.txt.br ok\n");
	}
	assert_true(decodes_to_error(&br, 1, mid, mid_len - 1, "br mid cut"));
	if (want != NULL)
		for (size_t k = 1; k < 8; k++)
			cut_consistent(br, mid, mid_len * k / 8, want, want_len,
			    "br mid cut k/8");
	assert_true(decodes_to_error(&br, 1, mid, mid_len / 2, "br mid half"));
	free(mid);
	free(want);
}

/* --- zstd ---------------------------------------------------------------- */

static void
test_zstd(void **state)
{
	enum wk_coding zs = WK_CODING_ZSTD;
	size_t n = 300000, fl, gl, cl;
	uint8_t *x = make_text(n, 2), *y = make_text(1000, 3);
	uint8_t *f = zstd_make(x, n, 0, &fl);
	uint8_t *g = zstd_make(y, 1000, 0, &gl);
	uint8_t *cat = malloc(fl + gl + 8 + 5 + 4);
	uint8_t *xy = malloc(n + 1000);
	static const uint8_t skippable[] = { 0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0,
		'h', 'e', 'l', 'l', 'o' };

	(void)state;
	assert_true(decodes_to(&zs, 1, f, fl, x, n, "zstd"));
	/* frames in series, with a skippable frame between */
	memcpy(cat, f, fl);
	memcpy(cat + fl, skippable, sizeof(skippable));
	memcpy(cat + fl + sizeof(skippable), g, gl);
	cl = fl + sizeof(skippable) + gl;
	memcpy(xy, x, n);
	memcpy(xy + n, y, 1000);
	assert_true(decodes_to(&zs, 1, cat, cl, xy, n + 1000, "zstd x2"));
	assert_true(decodes_to(
	    &zs, 1, skippable, sizeof(skippable), NULL, 0, "zstd skippable"));
	/* truncated: by the checksum, mid-frame, mid-header; the second
	 * frame cut */
	assert_true(decodes_to_error(&zs, 1, f, fl - 1, "zstd cut 1"));
	assert_true(decodes_to_error(&zs, 1, f, fl / 2, "zstd cut half"));
	assert_true(decodes_to_error(&zs, 1, f, 3, "zstd cut 3"));
	assert_true(decodes_to_error(&zs, 1, cat, cl - 2, "zstd x2 cut"));
	for (size_t k = 1; k < 8; k++)
		cut_consistent(zs, f, fl * k / 8, x, n, "zstd cut k/8");
	/* corrupt: a flipped byte in the blocks (the checksum catches what
	 * the block decoder does not), and garbage after the frame */
	f[fl / 2] ^= 0x20;
	assert_true(decodes_to_error(&zs, 1, f, fl, "zstd flipped"));
	f[fl / 2] ^= 0x20;
	memcpy(cat, f, fl);
	memcpy(cat + fl, "junk", 4);
	assert_true(decodes_to_error(&zs, 1, cat, fl + 4, "zstd + junk"));
	free(x);
	free(y);
	free(f);
	free(g);
	free(cat);
	free(xy);
}

static void
test_zstd_window(void **state)
{
	enum wk_coding zs = WK_CODING_ZSTD;
	size_t n = 12u << 20, fl;
	uint8_t *x = malloc(n), *f;
	struct run r;

	(void)state;
	assert_non_null(x);
	/* 4 MiB of noise, repeated: matches 4 MiB back */
	for (size_t i = 0, v = 7; i < (4u << 20); i++) {
		v = v * 1103515245u + 12345u;
		x[i] = (uint8_t)(v >> 16);
	}
	memcpy(x + (4u << 20), x, 4u << 20);
	memcpy(x + (8u << 20), x, 4u << 20);
	/* an 8 MiB window is the most HTTP allows, and is fine */
	f = zstd_make(x, n, 23, &fl);
	run_decode(&zs, 1, NULL, f, fl, SIZE_MAX, 1u << 20, &r);
	assert_int_equal(r.res, WK_DECODE_END);
	assert_int_equal(r.out_len, n);
	assert_memory_equal(r.out, x, n);
	run_free(&r);
	free(f);
	/* 128 MiB (zstd --long=27): refused, with a clear message */
	f = zstd_make(x, 9u << 20, 27, &fl);
	run_decode(&zs, 1, NULL, f, fl, SIZE_MAX, 1u << 20, &r);
	assert_int_equal(r.res, WK_DECODE_ERROR);
	assert_int_equal(r.out_len, 0);
	printf("# zstd window 27: %s\n", r.err);
	assert_non_null(strstr(r.err, "zstd: window over 8 MiB"));
	run_free(&r);
	free(f);
	free(x);
}

/* --- stacked codings ----------------------------------------------------- */

static void
test_stacked(void **state)
{
	static const enum wk_coding gzip_br[] = { WK_CODING_GZIP,
		WK_CODING_BR };
	static const enum wk_coding dgz[] = { WK_CODING_DEFLATE, WK_CODING_GZIP,
		WK_CODING_ZSTD };
	static const enum wk_coding four[] = { WK_CODING_GZIP,
		WK_CODING_DEFLATE, WK_CODING_ZSTD, WK_CODING_GZIP };
	size_t n = 300000, l1, l2, l3, l4, mid_len, want_len;
	uint8_t *x = make_text(n, 4), *a, *b, *c, *e, *mid, *want;

	(void)state;
	/* "deflate, gzip, zstd": deflate applied first, zstd last */
	a = zlib_make(x, n, MAX_WBITS, &l1);
	b = zlib_make(a, l1, 16 + MAX_WBITS, &l2);
	c = zstd_make(b, l2, 0, &l3);
	assert_true(decodes_to(dgz, 3, c, l3, x, n, "deflate, gzip, zstd"));
	/* the same, undone in the wrong order */
	{
		static const enum wk_coding wrong[] = { WK_CODING_GZIP,
			WK_CODING_DEFLATE, WK_CODING_ZSTD };

		assert_true(
		    decodes_to_error(wrong, 3, c, l3, "gzip, deflate, zstd"));
	}
	/* truncated outer stream */
	assert_true(
	    decodes_to_error(dgz, 3, c, l3 - 1, "deflate, gzip, zstd cut"));
	/* "gzip, deflate, zstd, gzip": four, the most */
	free(a);
	free(b);
	a = zlib_make(x, n, 16 + MAX_WBITS, &l1);
	b = zlib_make(a, l1, MAX_WBITS, &l2);
	free(c);
	c = zstd_make(b, l2, 0, &l3);
	e = zlib_make(c, l3, 16 + MAX_WBITS, &l4);
	assert_true(decodes_to(four, 4, e, l4, x, n, "four codings"));
	/* "gzip, br": br(gzip -9 -n midsummer.txt) by brotli(1) */
	mid = read_data("midsummer.txt.gz.br", &mid_len);
	if (have_corpus()) {
		want = read_corpus("wuffs/midsummer.txt", &want_len);
		assert_non_null(want);
		assert_true(decodes_to(
		    gzip_br, 2, mid, mid_len, want, want_len, "gzip, br"));
		free(want);
	}
	assert_true(
	    decodes_to_error(gzip_br, 2, mid, mid_len - 1, "gzip, br cut"));
	free(mid);
	free(x);
	free(a);
	free(b);
	free(c);
	free(e);
}

static void
test_new_args(void **state)
{
	static const enum wk_coding five[] = { WK_CODING_GZIP, WK_CODING_GZIP,
		WK_CODING_GZIP, WK_CODING_GZIP, WK_CODING_GZIP };
	enum wk_coding c;

	(void)state;
	assert_null(wk_decoder_new(five, 0, NULL));
	assert_null(wk_decoder_new(five, 5, NULL));
	c = WK_CODING_IDENTITY;
	assert_null(wk_decoder_new(&c, 1, NULL));
	c = WK_CODING_UNKNOWN;
	assert_null(wk_decoder_new(&c, 1, NULL));
	c = WK_CODING_COUNT;
	assert_null(wk_decoder_new(&c, 1, NULL));
	wk_decoder_free(wk_decoder_new(five, 4, NULL));
	wk_decoder_free(NULL);
	assert_string_equal(wk_coding_name(WK_CODING_GZIP), "gzip");
	assert_string_equal(wk_coding_name(WK_CODING_DEFLATE), "deflate");
	assert_string_equal(wk_coding_name(WK_CODING_BR), "br");
	assert_string_equal(wk_coding_name(WK_CODING_ZSTD), "zstd");
	assert_string_equal(wk_coding_name(WK_CODING_IDENTITY), "identity");
	assert_string_equal(wk_coding_name(WK_CODING_UNKNOWN), "unknown");
	assert_string_equal(wk_coding_name(WK_CODING_COUNT), "unknown");
}

/* Zero bytes at eof is an empty body, for every coding and stack. */
static void
test_empty_body(void **state)
{
	static const enum wk_coding all[] = { WK_CODING_GZIP, WK_CODING_DEFLATE,
		WK_CODING_BR, WK_CODING_ZSTD };

	(void)state;
	for (size_t i = 0; i < WK_ARRAY_LEN(all); i++)
		assert_true(decodes_to(&all[i], 1, NULL, 0, NULL, 0, "empty"));
	assert_true(decodes_to(all, 4, NULL, 0, NULL, 0, "empty x4"));
}

/* --- limits -------------------------------------------------------------- */

static void
test_limit_max_out(void **state)
{
	static const enum wk_coding two[] = { WK_CODING_GZIP, WK_CODING_ZSTD };
	enum wk_coding gz = WK_CODING_GZIP;
	size_t n = 100000, gl, zl;
	uint8_t *x = make_text(n, 5);
	uint8_t *g = zlib_make(x, n, 16 + MAX_WBITS, &gl);
	uint8_t *z = zstd_make(g, gl, 0, &zl);
	const size_t outs[] = { 7, 4096, 100000, 1u << 20 };

	(void)state;
	for (size_t i = 0; i < WK_ARRAY_LEN(outs); i++) {
		struct wk_decode_limits exact = { n, 0, 0 },
					less = { n - 1, 0, 0 };
		struct run r;
		char msg[64];

		/* == max_out: fine */
		run_decode(&gz, 1, &exact, g, gl, SIZE_MAX, outs[i], &r);
		assert_int_equal(r.res, WK_DECODE_END);
		assert_int_equal(r.out_len, n);
		run_free(&r);
		run_decode(two, 2, &exact, z, zl, 1, outs[i], &r);
		assert_int_equal(r.res, WK_DECODE_END);
		assert_int_equal(r.out_len, n);
		run_free(&r);
		/* one more: LIMIT, and not a byte past max_out */
		snprintf(
		    msg, sizeof(msg), "decoded size over %zu bytes", n - 1);
		run_decode(&gz, 1, &less, g, gl, SIZE_MAX, outs[i], &r);
		assert_int_equal(r.res, WK_DECODE_LIMIT);
		assert_int_equal(r.out_len, n - 1);
		assert_memory_equal(r.out, x, n - 1);
		assert_string_equal(r.err, msg);
		run_free(&r);
		run_decode(two, 2, &less, z, zl, 1, outs[i], &r);
		assert_int_equal(r.res, WK_DECODE_LIMIT);
		assert_int_equal(r.out_len, n - 1);
		run_free(&r);
	}
	free(x);
	free(g);
	free(z);
}

/* max_out bounds the inner streams too: a gzip member with a 200 KB name
 * inside zstd decodes to nothing, but is 200 KB of work. */
static void
test_limit_inner(void **state)
{
	static const enum wk_coding two[] = { WK_CODING_GZIP, WK_CODING_ZSTD };
	struct wk_decode_limits lim = { 100000, 0, 0 }, big = { 300000, 0, 0 };
	size_t name_len = 200000, gl, zl;
	char *name = malloc(name_len + 1);
	uint8_t *g = malloc(name_len + 1024), *z;
	gz_header h;
	z_stream s;
	struct run r;

	(void)state;
	assert_non_null(name);
	assert_non_null(g);
	memset(name, 'n', name_len);
	name[name_len] = '\0';
	memset(&h, 0, sizeof(h));
	h.name = (Bytef *)name;
	memset(&s, 0, sizeof(s));
	assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			     Z_DEFAULT_STRATEGY),
	    Z_OK);
	assert_int_equal(deflateSetHeader(&s, &h), Z_OK);
	s.next_in = (Bytef *)(uintptr_t) "hi";
	s.avail_in = 2;
	s.next_out = g;
	s.avail_out = (uInt)(name_len + 1024);
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	gl = s.total_out;
	deflateEnd(&s);
	z = zstd_make(g, gl, 0, &zl);
	run_decode(two, 2, &lim, z, zl, SIZE_MAX, 4096, &r);
	assert_int_equal(r.res, WK_DECODE_LIMIT);
	assert_int_equal(r.out_len, 0);
	assert_string_equal(
	    r.err, "decoded size over 100000 bytes (inner gzip stream)");
	run_free(&r);
	run_decode(two, 2, &big, z, zl, 1, 4096, &r);
	assert_int_equal(r.res, WK_DECODE_END);
	assert_int_equal(r.out_len, 2);
	assert_memory_equal(r.out, "hi", 2);
	run_free(&r);
	free(name);
	free(g);
	free(z);
}

static void
test_limit_ratio(void **state)
{
	enum wk_coding gz = WK_CODING_GZIP;
	size_t n = 4u << 20, gl;
	uint8_t *x = calloc(1, n);
	uint8_t *g;
	unsigned ratio;
	struct run r;

	(void)state;
	assert_non_null(x);
	g = zlib_make(x, n, 16 + MAX_WBITS, &gl);
	ratio = (unsigned)(n / gl); /* about 1000 */
	printf("# ratio: %zu -> %zu bytes (%u:1)\n", n, gl, ratio);
	{
		/* checked from the start: stops early */
		struct wk_decode_limits lim = { 0, 100, 0 };

		run_decode(&gz, 1, &lim, g, gl, SIZE_MAX, 64 * 1024, &r);
		assert_int_equal(r.res, WK_DECODE_LIMIT);
		assert_string_equal(r.err, "ratio over 100:1");
		assert_true(r.out_len < (1u << 20));
		run_free(&r);
	}
	{
		/* checked once 1 MiB is out: stops there, not before */
		struct wk_decode_limits lim = { 0, 100, 1u << 20 };

		run_decode(&gz, 1, &lim, g, gl, 1, 64 * 1024, &r);
		assert_int_equal(r.res, WK_DECODE_LIMIT);
		assert_true(r.out_len >= (1u << 20));
		assert_true(r.out_len < (1u << 20) + 64 * 1024);
		run_free(&r);
	}
	{
		/* never out that much: fine */
		struct wk_decode_limits lim = { 0, 100, n + 1 };

		run_decode(&gz, 1, &lim, g, gl, SIZE_MAX, 64 * 1024, &r);
		assert_int_equal(r.res, WK_DECODE_END);
		assert_int_equal(r.out_len, n);
		run_free(&r);
	}
	{
		/* a ratio above the body's: fine */
		struct wk_decode_limits lim = { 0, ratio * 2, 0 };

		run_decode(&gz, 1, &lim, g, gl, 1, 64 * 1024, &r);
		assert_int_equal(r.res, WK_DECODE_END);
		assert_int_equal(r.out_len, n);
		run_free(&r);
	}
	free(x);
	free(g);
}

/* --- memory stays bounded ------------------------------------------------ */

static size_t
rss_bytes(void)
{
	unsigned long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

/* 64 MiB of zeros (the step is the same for 1 GiB): the output is never
 * held, the decoder allocates nothing after it starts, RSS stays flat. */
static void
test_long_body(void **state)
{
	static const enum wk_coding two[] = { WK_CODING_GZIP, WK_CODING_ZSTD };
	const uint64_t total = 64ull << 20;
	uint8_t *zeros = calloc(1, 1u << 20), *g, *z, out[64 * 1024];
	size_t gl, zl, base, peak = 0;

	(void)state;
	assert_non_null(zeros);
	/* gzip of 64 MiB: one member, made in 1 MiB steps */
	{
		z_stream s;
		size_t cap = 1u << 20;

		memset(&s, 0, sizeof(s));
		assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS,
				     8, Z_DEFAULT_STRATEGY),
		    Z_OK);
		g = malloc(cap);
		assert_non_null(g);
		s.next_out = g;
		s.avail_out = (uInt)cap;
		for (int i = 0; i < 64; i++) {
			s.next_in = zeros;
			s.avail_in = 1u << 20;
			assert_int_equal(
			    deflate(&s, i == 63 ? Z_FINISH : Z_NO_FLUSH),
			    i == 63 ? Z_STREAM_END : Z_OK);
			assert_int_equal(s.avail_in, 0);
		}
		gl = s.total_out;
		deflateEnd(&s);
	}
	z = zstd_make(g, gl, 0, &zl); /* and the stacked one */
	for (int k = 0; k < 2; k++) {
		/* gzip alone, then zstd(gzip) */
		struct wk_decoder *d = wk_decoder_new(two, k + 1, NULL);
		const uint8_t *in = k == 0 ? g : z;
		size_t len = k == 0 ? gl : zl, off = 0;
		enum wk_decode_res res;
		uint64_t got = 0;
		unsigned steps = 0;

		assert_non_null(d);
		base = rss_bytes();
		do {
			size_t take = WK_MIN(len - off, (size_t)4096), u, o;

			res = wk_decoder_step(d, in + off, take, &u, out,
			    sizeof(out), &o, off + take == len);
			for (size_t i = 0; i < o; i += 4096)
				assert_int_equal(out[i], 0);
			off += u;
			got += o;
			if ((++steps & 63) == 0)
				peak = WK_MAX(peak, rss_bytes());
		} while (res == WK_DECODE_OK);
		assert_int_equal(res, WK_DECODE_END);
		assert_int_equal(got, total);
		assert_int_equal(wk_decoder_out_total(d), total);
		assert_int_equal(off, len);
		printf("# long body (%d stage%s): %u steps, rss +%zu KiB\n",
		    k + 1, k ? "s" : "", steps,
		    peak > base ? (peak - base) / 1024 : 0);
		/* the output is 64 MiB; what grows must be far less */
		assert_true(peak < base + (16u << 20));
		wk_decoder_free(d);
	}
	free(zeros);
	free(g);
	free(z);
}

/* --- field values -------------------------------------------------------- */

static void
test_parse_list(void **state)
{
	static const struct {
		const char *v;
		int n;
		enum wk_coding c[4];
	} t[] = {
		{ "gzip", 1, { WK_CODING_GZIP } },
		{ "x-gzip", 1, { WK_CODING_GZIP } },
		{ "GZip", 1, { WK_CODING_GZIP } },
		{ "X-GZIP", 1, { WK_CODING_GZIP } },
		{ "gzip, br", 2, { WK_CODING_GZIP, WK_CODING_BR } },
		{ " \tgzip ,\tbr\t ", 2, { WK_CODING_GZIP, WK_CODING_BR } },
		{ ", ,gzip,,br,", 2, { WK_CODING_GZIP, WK_CODING_BR } },
		{ "deflate,zstd", 2, { WK_CODING_DEFLATE, WK_CODING_ZSTD } },
		{ "identity", 0, { 0 } },
		{ "Identity, gzip, identity", 1, { WK_CODING_GZIP } },
		{ "", 0, { 0 } },
		{ " , , ", 0, { 0 } },
		{ "compress", 1, { WK_CODING_UNKNOWN } },
		{ "gzip, x-compress", 2,
		    { WK_CODING_GZIP, WK_CODING_UNKNOWN } },
		{ "gzip, gzip, gzip, gzip", 4,
		    { WK_CODING_GZIP, WK_CODING_GZIP, WK_CODING_GZIP,
			WK_CODING_GZIP } },
		/* too many */
		{ "gzip, br, zstd, deflate, gzip", -1, { 0 } },
		/* malformed elements */
		{ "gzip;q=1", -1, { 0 } },
		{ "gzip br", -1, { 0 } },
		{ "gz\"ip\"", -1, { 0 } },
		{ "gzip, (br)", -1, { 0 } },
		{ "gzip,\x01", -1, { 0 } },
	};

	(void)state;
	for (size_t i = 0; i < WK_ARRAY_LEN(t); i++) {
		enum wk_coding out[WK_CODING_MAX];
		int n = wk_coding_parse_list(
		    t[i].v, strlen(t[i].v), out, WK_CODING_MAX);

		if (n != t[i].n)
			fail_msg(
			    "\"%s\": %d codings, want %d", t[i].v, n, t[i].n);
		for (int k = 0; k < n; k++)
			assert_int_equal(out[k], t[i].c[k]);
	}
	/* only len bytes count */
	{
		enum wk_coding out[2];

		assert_int_equal(wk_coding_parse_list("brotli", 2, out, 2), 1);
		assert_int_equal(out[0], WK_CODING_BR);
		assert_int_equal(wk_coding_parse_list(NULL, 0, out, 2), 0);
		assert_int_equal(
		    wk_coding_parse_list("gzip, br", 8, out, 1), -1);
	}
	assert_int_equal(wk_coding_from_token("x-gzip", 6), WK_CODING_GZIP);
	assert_int_equal(wk_coding_from_token("gzip2", 5), WK_CODING_UNKNOWN);
	assert_int_equal(wk_coding_from_token("", 0), WK_CODING_UNKNOWN);
	assert_int_equal(wk_coding_from_token("ZSTD", 4), WK_CODING_ZSTD);
}

static void
test_accepted(void **state)
{
	static const struct {
		const char *v; /* NULL: no Accept-Encoding */
		enum wk_coding c;
		bool want;
	} t[] = {
		{ NULL, WK_CODING_IDENTITY, true },
		{ NULL, WK_CODING_GZIP, false },
		{ "", WK_CODING_IDENTITY, true },
		{ "", WK_CODING_GZIP, false },
		{ "gzip", WK_CODING_GZIP, true },
		{ "gzip", WK_CODING_BR, false },
		{ "gzip", WK_CODING_IDENTITY, true },
		{ "x-gzip", WK_CODING_GZIP, true },
		{ "GZIP", WK_CODING_GZIP, true },
		{ "gzip, deflate, br, zstd", WK_CODING_ZSTD, true },
		{ "gzip,deflate", WK_CODING_DEFLATE, true },
		{ " , ,gzip , ", WK_CODING_GZIP, true },
		{ "gzip;q=0", WK_CODING_GZIP, false },
		{ "gzip ; q=0", WK_CODING_GZIP, false },
		{ "gzip;q=0.", WK_CODING_GZIP, false },
		{ "gzip;q=0.0", WK_CODING_GZIP, false },
		{ "gzip;q=0.000", WK_CODING_GZIP, false },
		{ "gzip;q=0.001", WK_CODING_GZIP, true },
		{ "gzip;Q=1", WK_CODING_GZIP, true },
		{ "gzip;q=1.000", WK_CODING_GZIP, true },
		{ "gzip;q=0.5", WK_CODING_GZIP, true },
		/* malformed weights: the element is not there */
		{ "gzip;q=1.001", WK_CODING_GZIP, false },
		{ "gzip;q=0.0000", WK_CODING_GZIP, false },
		{ "gzip;q=2", WK_CODING_GZIP, false },
		{ "gzip;q=", WK_CODING_GZIP, false },
		{ "gzip;q=abc", WK_CODING_GZIP, false },
		{ "gzip;q=-0", WK_CODING_GZIP, false },
		{ "gzip;q=abc, *", WK_CODING_GZIP, true },
		{ "gzip;q=0.x, br", WK_CODING_BR, true },
		{ "gzip;level=9", WK_CODING_GZIP, true },
		{ "gzip;level=\"a,b\";q=0", WK_CODING_GZIP, false },
		{ "*", WK_CODING_BR, true },
		{ "*", WK_CODING_IDENTITY, true },
		{ "*;q=0", WK_CODING_GZIP, false },
		{ "*;q=0", WK_CODING_IDENTITY, false },
		{ "*;q=0, identity", WK_CODING_IDENTITY, true },
		{ "*;q=0, gzip", WK_CODING_GZIP, true },
		{ "gzip;q=0.5, *;q=0", WK_CODING_BR, false },
		{ "gzip;q=0.5, *;q=0", WK_CODING_GZIP, true },
		{ "identity;q=0", WK_CODING_IDENTITY, false },
		{ "identity;q=0, *", WK_CODING_IDENTITY, false },
		{ "br;q=0, *", WK_CODING_BR, false },
		{ "*, br;q=0", WK_CODING_BR, false },
		{ "deflate, gzip;q=0.8, br;q=0.9", WK_CODING_ZSTD, false },
		{ "*", WK_CODING_UNKNOWN, false },
		{ "compress", WK_CODING_UNKNOWN, false },
	};

	(void)state;
	for (size_t i = 0; i < WK_ARRAY_LEN(t); i++) {
		bool got = wk_coding_accepted(
		    t[i].v, t[i].v ? strlen(t[i].v) : 0, t[i].c);

		if (got != t[i].want)
			fail_msg("\"%s\" accepts %s: %d, want %d",
			    t[i].v ? t[i].v : "(absent)",
			    wk_coding_name(t[i].c), got, t[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_body),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_pairs_wuffs),
		cmocka_unit_test(test_pairs_flate2),
		cmocka_unit_test(test_pairs_miniz_oxide),
		cmocka_unit_test(test_zlib_made),
		cmocka_unit_test(test_br),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_zstd_window),
		cmocka_unit_test(test_stacked),
		cmocka_unit_test(test_new_args),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_limit_max_out),
		cmocka_unit_test(test_limit_inner),
		cmocka_unit_test(test_limit_ratio),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
