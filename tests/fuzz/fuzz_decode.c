/* tests/fuzz/fuzz_decode.c: the Content-Encoding decoder chain. The input's
 * first byte picks the coding stack: bits 0-1 the number of codings (1-3;
 * 3 means 1), bits 2-7 two bits per coding (gzip, deflate, br, zstd), in
 * applied order. The second byte picks the steps: bits 0-2 the input step,
 * bits 3-5 the output room per call, bit 6 eof given alone after the last
 * bytes, bit 7 a ratio limit. The rest is the body.
 *
 * Each body is decoded twice, with those steps and whole (all input, large
 * output), under max_out (so bombs stop), checking the step contract on the
 * way. The decoded stream does not depend on the steps: one output is a
 * prefix of the other, and when both END they are equal (for one coding,
 * having read the same input). */
#include "core/wk.h"

#include <stdlib.h>
#include <string.h>

#include "codec/decode.h"

#define FUZZ_MAX_OUT (256u * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t fuzz_in_steps[8] = { 1, 2, 3, 7, 64, 511, 4096, SIZE_MAX };
static const size_t fuzz_out_steps[8] = { 7, 13, 64, 1000, 4096, 65536, 100000,
	FUZZ_MAX_OUT + 1 };

struct fuzz_run {
	enum wk_decode_res res;
	uint8_t *out; /* FUZZ_MAX_OUT bytes */
	size_t out_len;
	size_t in_used;
	bool by_ratio; /* LIMIT came from max_ratio */
};

static void
fuzz_decode(const enum wk_coding *c, size_t n,
    const struct wk_decode_limits *lim, const uint8_t *in, size_t len,
    size_t in_step, size_t out_step, bool late_eof, struct fuzz_run *r)
{
	struct wk_decoder *d = wk_decoder_new(c, n, lim);
	uint8_t *room = malloc(out_step);
	size_t off = 0;

	if (d == NULL || room == NULL)
		abort();
	r->out_len = 0;
	for (;;) {
		size_t take = WK_MIN(in_step, len - off), u = 99, o = 99;
		bool eof = late_eof ? take == 0 : off + take == len;

		r->res = wk_decoder_step(
		    d, in + off, take, &u, room, out_step, &o, eof);
		if (u > take || o > out_step)
			abort();
		if (r->res == WK_DECODE_OK && u == 0 && o == 0)
			abort(); /* no progress: the caller would spin */
		if (r->res < WK_DECODE_OK || r->res > WK_DECODE_LIMIT)
			abort();
		if (r->out_len + o > FUZZ_MAX_OUT)
			abort(); /* past max_out */
		memcpy(r->out + r->out_len, room, o);
		r->out_len += o;
		off += u;
		if (r->res != WK_DECODE_OK)
			break;
	}
	if (wk_decoder_in_total(d) != off ||
	    wk_decoder_out_total(d) != r->out_len)
		abort();
	if (r->res >= WK_DECODE_ERROR &&
	    strncmp(wk_decoder_error(d), "no error", 8) == 0)
		abort(); /* an error has a message */
	r->by_ratio = r->res == WK_DECODE_LIMIT &&
	    strncmp(wk_decoder_error(d), "ratio", 5) == 0;
	r->in_used = off;
	wk_decoder_free(d);
	free(room);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum wk_coding pick[4] = { WK_CODING_GZIP,
		WK_CODING_DEFLATE, WK_CODING_BR, WK_CODING_ZSTD };
	enum wk_coding c[3];
	struct wk_decode_limits lim = { FUZZ_MAX_OUT, 0, 0 };
	struct fuzz_run a, b;
	size_t n, shorter;

	if (size < 2)
		return 0;
	n = (data[0] & 3) % 3 + 1;
	for (size_t i = 0; i < n; i++)
		c[i] = pick[(data[0] >> (2 + 2 * i)) & 3];
	a.out = malloc(FUZZ_MAX_OUT);
	b.out = malloc(FUZZ_MAX_OUT);
	if (a.out == NULL || b.out == NULL)
		abort();
	fuzz_decode(c, n, &lim, data + 2, size - 2, SIZE_MAX, FUZZ_MAX_OUT + 1,
	    false, &a);
	if (data[1] & 0x80) {
		lim.max_ratio = 20;
		lim.ratio_after = 4096;
	}
	fuzz_decode(c, n, &lim, data + 2, size - 2, fuzz_in_steps[data[1] & 7],
	    fuzz_out_steps[(data[1] >> 3) & 7], (data[1] & 0x40) != 0, &b);

	shorter = WK_MIN(a.out_len, b.out_len);
	if (memcmp(a.out, b.out, shorter) != 0)
		abort();
	if (a.res == WK_DECODE_END && b.res == WK_DECODE_END &&
	    (a.out_len != b.out_len || (n == 1 && a.in_used != b.in_used)))
		abort();
	/* one coding runs to its end whatever the steps: END, ERROR and a
	 * max_out LIMIT do not change (a corrupt br stream may show its
	 * error before or after max_out bytes came out) */
	if (n == 1 && !b.by_ratio && a.res != b.res &&
	    !(a.res >= WK_DECODE_ERROR && b.res >= WK_DECODE_ERROR))
		abort();
	if (a.res == WK_DECODE_LIMIT && b.res == WK_DECODE_LIMIT &&
	    !b.by_ratio && n == 1 && a.out_len != b.out_len)
		abort();
	free(a.out);
	free(b.out);
	return 0;
}
