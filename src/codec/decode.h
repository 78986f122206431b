/* src/codec/decode.h: Content-Encoding decoders (gzip, deflate, br, zstd)
 * as one streaming chain, pure: bytes in, bytes out, bounded memory, with
 * limits against decompression bombs. The HTTP engine feeds it a response
 * body and writes what comes out; nothing here knows about sockets. */
#ifndef WK_CODEC_DECODE_H
#define WK_CODEC_DECODE_H

#include "core/wk.h"

/* One content coding (RFC 9110 8.4.1). */
enum wk_coding {
	WK_CODING_IDENTITY = 0,
	WK_CODING_GZIP,	   /* "gzip", "x-gzip": RFC 1952, members in series */
	WK_CODING_DEFLATE, /* "deflate": zlib (RFC 1950), or raw RFC 1951 */
	WK_CODING_BR,	   /* "br": RFC 7932 */
	WK_CODING_ZSTD,	   /* "zstd": RFC 8878, window at most 8 MiB */
	WK_CODING_UNKNOWN, /* anything else ("compress", ...) */
	WK_CODING_COUNT
};

/* At most this many codings stacked in one Content-Encoding. */
#define WK_CODING_MAX 4

/* The coding's canonical token ("gzip", "deflate", "br", "zstd",
 * "identity", "unknown"). */
const char *wk_coding_name(enum wk_coding c);

/* The coding named by one token (case-insensitive; "x-gzip" is gzip). */
enum wk_coding wk_coding_from_token(const char *tok, size_t len);

/* Parses a Content-Encoding field value ("gzip, br": gzip applied first)
 * into out[] in the order the codings were applied, skipping "identity".
 * Returns the number of codings (0 for identity only or an empty value),
 * or -1 when there are more than max, or a list element is malformed.
 * Unknown tokens are returned as WK_CODING_UNKNOWN. Several fields are
 * passed as one value joined by ", ". */
int wk_coding_parse_list(
    const char *v, size_t len, enum wk_coding *out, size_t max);

/* Whether an Accept-Encoding field value (RFC 9110 12.5.3: tokens with
 * optional ";q=" weights, "*", "identity") accepts coding c. A coding
 * with q=0 is refused; "*" covers codings not listed. An absent field
 * (v == NULL) accepts identity only. */
bool wk_coding_accepted(const char *v, size_t len, enum wk_coding c);

/* Limits of one decode. */
struct wk_decode_limits {
	uint64_t max_out;     /* decoded bytes in all; 0: no bound */
	unsigned max_ratio;   /* decoded / encoded bytes; 0: no bound */
	uint64_t ratio_after; /* the ratio is checked once this much is out */
};

/* The result of a step. */
enum wk_decode_res {
	WK_DECODE_OK = 0, /* progress made; call again (more input or room) */
	WK_DECODE_END,	  /* every coding's stream ended; bytes after the end
			     are not consumed (*in_used tells) */
	WK_DECODE_ERROR,  /* corrupt, truncated (at eof) or unsupported data */
	WK_DECODE_LIMIT	  /* past max_out or max_ratio: stop */
};

struct wk_decoder;

/* A decoder for codings[0..n) as applied in that order (they are undone
 * last first). n is 1..WK_CODING_MAX; WK_CODING_IDENTITY and
 * WK_CODING_UNKNOWN are not accepted (returns NULL). Allocates only the
 * libraries' state and one bounded buffer per stage. */
struct wk_decoder *wk_decoder_new(const enum wk_coding *codings, size_t n,
    const struct wk_decode_limits *lim);
void wk_decoder_free(struct wk_decoder *d);

/* Decodes from in[0..in_len) into out[0..out_cap). Sets *in_used and
 * *out_len. eof: no input follows in (the body ended); a stream that has not
 * ended by then is an error ("truncated"). Returns OK while it made progress
 * or needs more input; it never returns OK with nothing consumed and nothing
 * produced unless in_len == 0 and !eof (or out_cap == 0). A body of zero
 * bytes at eof is END (empty), as browsers treat it. gzip members in series
 * decode as one stream; bytes after the last member that do not start
 * another are left unread and the result is END (a lone 0x1f before them is
 * counted in *in_used); after a zstd frame only frames may follow. In a
 * stack, once the innermost stream ended, what an outer stage still decodes
 * is ignored the same way; an outer stream that decodes to nothing more must
 * still end (or it is truncated). Memory is bounded whatever the body size:
 * the libraries' state (zlib 32 KiB window, br up to 16 MiB, zstd up to 8
 * MiB) and 64 KiB per stage but the innermost. After ERROR or LIMIT,
 * *in_used and *out_len still count what was read and written before it;
 * max_out also bounds each inner stream (a stacked stream that decodes to a
 * huge gzip header is LIMIT, not endless work). */
enum wk_decode_res wk_decoder_step(struct wk_decoder *d, const uint8_t *in,
    size_t in_len, size_t *in_used, uint8_t *out, size_t out_cap,
    size_t *out_len, bool eof);

/* After ERROR or LIMIT: what went wrong, e.g. "gzip: invalid block type",
 * "decoded size over 1073741824 bytes". Static or owned by d. */
const char *wk_decoder_error(const struct wk_decoder *d);

/* Totals so far: encoded bytes consumed, decoded bytes produced. */
uint64_t wk_decoder_in_total(const struct wk_decoder *d);
uint64_t wk_decoder_out_total(const struct wk_decoder *d);

#endif
