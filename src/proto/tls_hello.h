/* src/proto/tls_hello.h: the TLS ClientHello a client sends first in a
 * tunnel (RFC 8446 4.1.2, RFC 5246 7.4.1.2), read far enough to decide
 * whether to intercept and which certificate to mint: server_name (RFC 6066
 * 3), ALPN (RFC 7301) and supported_versions (RFC 8446 4.2.1). Pure: no I/O,
 * no allocation, no globals, no OpenSSL. */
#ifndef WK_PROTO_TLS_HELLO_H
#define WK_PROTO_TLS_HELLO_H

#include "core/wk.h"

/* Results of wk_tls_hello_parse(); ERROR, NEED_MORE and DONE have the values
 * of enum wk_parse_res. */
enum wk_tls_hello_res {
	WK_TLS_HELLO_NOT_TLS = -2, /* first byte is not 0x16 (handshake) */
	WK_TLS_HELLO_ERROR = -1, /* TLS records, but a malformed ClientHello */
	WK_TLS_HELLO_NEED_MORE = 0, /* a valid prefix so far, more is needed */
	WK_TLS_HELLO_DONE = 1	    /* the whole ClientHello is in */
};

/* Bounds. A record holds at most 2^14 + 2048 bytes (RFC 5246 6.2.2); the
 * ClientHello may be spread over a few records but is capped well below
 * the protocol's 2^24. */
#define WK_TLS_RECORD_MAX (16384 + 2048)
#define WK_TLS_HELLO_RECORDS_MAX 4
#define WK_TLS_HELLO_BODY_MAX (64 * 1024)
#define WK_TLS_SNI_MAX 253
#define WK_TLS_ALPN_MAX 8	/* protocols kept; more are skipped */
#define WK_TLS_ALPN_NAME_MAX 31 /* longer protocol names are skipped */

/* What the ClientHello says. Filled by wk_tls_hello_parse(); only DONE
 * guarantees every field. */
struct wk_tls_hello {
	uint16_t record_version; /* of the first record, e.g. 0x0301 */
	uint16_t legacy_version; /* ClientHello.legacy_version, e.g. 0x0303 */
	bool has_sni;		 /* a host_name entry was sent */
	bool sni_is_ip;		 /* ... and it is an IPv4 or IPv6 literal */
	char sni[256];		 /* that name, lower-cased, NUL-ended */
	bool has_alpn;		 /* the ALPN extension was sent */
	char alpn[WK_TLS_ALPN_MAX][WK_TLS_ALPN_NAME_MAX + 1]; /* in order */
	size_t n_alpn;					      /* kept in alpn */
	bool tls13;	  /* supported_versions lists 0x0304 */
	size_t hello_len; /* DONE: bytes of the records holding the hello */
};

/* Parses the first len bytes a client sent in a tunnel; call again with
 * the whole buffer when more arrive (nothing is kept between calls).
 *
 * Returns NOT_TLS at once when buf[0] is not 0x16, so other byte streams
 * (HTTP, SSH, an SSLv2-compatible hello starting 0x80) can be passed
 * through. Otherwise NEED_MORE while what is there is a prefix of a valid
 * ClientHello (never ERROR or DONE for such a prefix), ERROR as soon as it
 * cannot be one, and DONE when the whole ClientHello is in: h is filled and
 * h->hello_len is the length of the record(s) holding it. Bytes after
 * hello_len are not looked at.
 *
 * Errors: a record that is not handshake, has a major version other than 3,
 * is empty or longer than WK_TLS_RECORD_MAX; a hello spread over more than
 * WK_TLS_HELLO_RECORDS_MAX records or longer than WK_TLS_HELLO_BODY_MAX; a
 * record that goes on after the hello ends; a first handshake message other
 * than ClientHello; any length that does not fit its container; session_id
 * over 32 bytes; empty or odd cipher_suites; no compression method; a
 * repeated server_name, ALPN or supported_versions extension; a host_name
 * that is not 1..253 bytes of letters, digits, '-', '_' in dot-separated
 * labels of 1..63 (an IP literal is accepted and flagged in sni_is_ip), or
 * a second host_name; an empty ALPN list or protocol name; an odd
 * supported_versions list. Work is linear in len and len is not read past
 * the hello's records (at most about 74 KiB). */
int wk_tls_hello_parse(const uint8_t *buf, size_t len, struct wk_tls_hello *h);

/* "NOT_TLS", "ERROR", "NEED_MORE", "DONE", or "?" for any other value. */
const char *wk_tls_hello_res_name(int res);

#endif
