/* src/proto/tls_hello.c: the first TLS ClientHello of a tunnel.
 *
 * Two steps on every call. The record layer is walked first: the payloads
 * of up to WK_TLS_HELLO_RECORDS_MAX handshake records, as far as they are
 * in, form one stream of handshake bytes (struct tls_hs). Then the
 * ClientHello is read from that stream. Every read of n bytes at pos inside
 * a container ending at end is checked twice (tls_have): against end, which
 * comes from lengths already received (too long: ERROR), and against the
 * bytes present (short: NEED_MORE). So a prefix of a valid hello can only
 * ask for more, and a malformed one is refused once the bad bytes are in. */
#include "core/wk.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/bug.h"
#include "proto/tls_hello.h"

#define TLS_CT_HANDSHAKE 0x16
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_HEADER 4 /* msg_type, uint24 length */
#define TLS_RANDOM_LEN 32
#define TLS_SESSION_ID_MAX 32
#define TLS_EXT_SERVER_NAME 0
#define TLS_EXT_ALPN 16
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_SNI_HOST_NAME 0
#define TLS_LABEL_MAX 63
#define TLS_VERSION_13 0x0304

/* Extensions seen, to refuse a repeated one (RFC 8446 4.2). */
#define TLS_SEEN_SNI 0x1u
#define TLS_SEEN_ALPN 0x2u
#define TLS_SEEN_VERSIONS 0x4u

/* The handshake bytes received so far, as one stream over the record
 * payloads; position 0 is the handshake msg_type. */
struct tls_hs {
	const uint8_t *seg[WK_TLS_HELLO_RECORDS_MAX];
	size_t seg_len[WK_TLS_HELLO_RECORDS_MAX];
	size_t n_seg;
	size_t avail; /* bytes present, over all segments */
};

/* Propagates anything but DONE from tls_have() or a sub-parser. */
#define TLS_TRY(expr)                                                          \
	do {                                                                   \
		int tls_res_ = (expr);                                         \
		if (tls_res_ != WK_TLS_HELLO_DONE)                             \
			return tls_res_;                                       \
	} while (0)

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The byte at pos; pos < hs->avail. */
static uint8_t
hs_u8(const struct tls_hs *hs, size_t pos)
{
	WK_BUG_ON(pos >= hs->avail);
	for (size_t i = 0; i < hs->n_seg; i++) {
		if (pos < hs->seg_len[i])
			return hs->seg[i][pos];
		pos -= hs->seg_len[i];
	}
	abort(); /* not reached: avail is the sum of seg_len */
}

static uint16_t
hs_u16(const struct tls_hs *hs, size_t pos)
{
	return (uint16_t)((hs_u8(hs, pos) << 8) | hs_u8(hs, pos + 1));
}

/* n bytes at pos, inside a container that ends at end (pos <= end): ERROR
 * if they do not fit in it, NEED_MORE if they are not all in yet, DONE. */
static int
tls_have(const struct tls_hs *hs, size_t pos, size_t n, size_t end)
{
	WK_BUG_ON(pos > end);
	if (n > end - pos)
		return WK_TLS_HELLO_ERROR;
	if (pos + n > hs->avail)
		return WK_TLS_HELLO_NEED_MORE;
	return WK_TLS_HELLO_DONE;
}

static bool
tls_is_ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_';
}

/* Copies the host_name of n bytes at pos into h->sni, lower-cased, and
 * checks it: an IPv4 or IPv6 literal (sets sni_is_ip), or dot-separated
 * labels of 1..63 letters, digits, '-' and '_'. All n bytes are in. */
static bool
tls_sni_copy(
    const struct tls_hs *hs, size_t pos, size_t n, struct wk_tls_hello *h)
{
	struct in6_addr a6;
	struct in_addr a4;
	size_t label = 0;

	if (n == 0 || n > WK_TLS_SNI_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = hs_u8(hs, pos + i);

		/* a NUL would also hide the rest from inet_pton() */
		if (c == '\0')
			return false;
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h->sni[i] = (char)c;
	}
	h->sni[n] = '\0';
	if (inet_pton(AF_INET, h->sni, &a4) == 1 ||
	    inet_pton(AF_INET6, h->sni, &a6) == 1) {
		h->sni_is_ip = true;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)h->sni[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (!tls_is_ldh(c) || ++label > TLS_LABEL_MAX) {
			return false;
		}
	}
	return label != 0; /* no trailing dot (RFC 6066 3) */
}

/* server_name (RFC 6066 3): ServerNameList<1..2^16-1> of name_type and
 * opaque<1..2^16-1>; at most one host_name. The extension is all in. */
static int
tls_parse_sni(
    const struct tls_hs *hs, size_t pos, size_t end, struct wk_tls_hello *h)
{
	size_t n;

	TLS_TRY(tls_have(hs, pos, 2, end));
	n = hs_u16(hs, pos);
	pos += 2;
	if (n == 0 || n != end - pos)
		return WK_TLS_HELLO_ERROR;
	while (pos < end) {
		uint8_t type;

		TLS_TRY(tls_have(hs, pos, 3, end));
		type = hs_u8(hs, pos);
		n = hs_u16(hs, pos + 1);
		pos += 3;
		TLS_TRY(tls_have(hs, pos, n, end));
		/* other name types are skipped (none is defined) */
		if (type == TLS_SNI_HOST_NAME) {
			if (h->has_sni || !tls_sni_copy(hs, pos, n, h))
				return WK_TLS_HELLO_ERROR;
			h->has_sni = true;
		}
		pos += n;
	}
	return WK_TLS_HELLO_DONE;
}

/* Appends the protocol name of n bytes at pos to h->alpn unless it holds
 * a NUL; there is room for it. */
static void
tls_alpn_keep(
    const struct tls_hs *hs, size_t pos, size_t n, struct wk_tls_hello *h)
{
	char *dst = h->alpn[h->n_alpn];

	for (size_t i = 0; i < n; i++) {
		dst[i] = (char)hs_u8(hs, pos + i);
		if (dst[i] == '\0') {
			memset(dst, 0, WK_TLS_ALPN_NAME_MAX + 1);
			return;
		}
	}
	dst[n] = '\0';
	h->n_alpn++;
}

/* ALPN (RFC 7301 3.1): ProtocolNameList<2..2^16-1> of opaque<1..2^8-1>.
 * The first WK_TLS_ALPN_MAX names of at most WK_TLS_ALPN_NAME_MAX bytes and
 * without NUL are kept; others are skipped. The extension is all in. */
static int
tls_parse_alpn(
    const struct tls_hs *hs, size_t pos, size_t end, struct wk_tls_hello *h)
{
	size_t n;

	TLS_TRY(tls_have(hs, pos, 2, end));
	n = hs_u16(hs, pos);
	pos += 2;
	if (n == 0 || n != end - pos)
		return WK_TLS_HELLO_ERROR;
	while (pos < end) {
		TLS_TRY(tls_have(hs, pos, 1, end));
		n = hs_u8(hs, pos);
		pos++;
		if (n == 0)
			return WK_TLS_HELLO_ERROR;
		TLS_TRY(tls_have(hs, pos, n, end));
		if (h->n_alpn < WK_TLS_ALPN_MAX && n <= WK_TLS_ALPN_NAME_MAX)
			tls_alpn_keep(hs, pos, n, h);
		pos += n;
	}
	h->has_alpn = true;
	return WK_TLS_HELLO_DONE;
}

/* supported_versions in a ClientHello (RFC 8446 4.2.1):
 * ProtocolVersion versions<2..254>. The extension is all in. */
static int
tls_parse_versions(
    const struct tls_hs *hs, size_t pos, size_t end, struct wk_tls_hello *h)
{
	size_t n;

	TLS_TRY(tls_have(hs, pos, 1, end));
	n = hs_u8(hs, pos);
	pos++;
	if (n == 0 || n % 2 != 0 || n != end - pos)
		return WK_TLS_HELLO_ERROR;
	for (; pos < end; pos += 2)
		if (hs_u16(hs, pos) == TLS_VERSION_13)
			h->tls13 = true;
	return WK_TLS_HELLO_DONE;
}

/* Extension extensions<8..2^16-1> filling [pos, end) exactly; each one is
 * read once it is all in. */
static int
tls_parse_exts(
    const struct tls_hs *hs, size_t pos, size_t end, struct wk_tls_hello *h)
{
	unsigned seen = 0;

	while (pos < end) {
		uint16_t type;
		size_t n;
		int res;

		TLS_TRY(tls_have(hs, pos, 4, end));
		type = hs_u16(hs, pos);
		n = hs_u16(hs, pos + 2);
		pos += 4;
		TLS_TRY(tls_have(hs, pos, n, end));
		switch (type) {
		case TLS_EXT_SERVER_NAME:
			if (seen & TLS_SEEN_SNI)
				return WK_TLS_HELLO_ERROR;
			seen |= TLS_SEEN_SNI;
			res = tls_parse_sni(hs, pos, pos + n, h);
			break;
		case TLS_EXT_ALPN:
			if (seen & TLS_SEEN_ALPN)
				return WK_TLS_HELLO_ERROR;
			seen |= TLS_SEEN_ALPN;
			res = tls_parse_alpn(hs, pos, pos + n, h);
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			if (seen & TLS_SEEN_VERSIONS)
				return WK_TLS_HELLO_ERROR;
			seen |= TLS_SEEN_VERSIONS;
			res = tls_parse_versions(hs, pos, pos + n, h);
			break;
		default:
			res = WK_TLS_HELLO_DONE;
			break;
		}
		TLS_TRY(res);
		pos += n;
	}
	return WK_TLS_HELLO_DONE;
}

/* The ClientHello body, handshake bytes [TLS_HS_HEADER, end). */
static int
tls_parse_body(const struct tls_hs *hs, size_t end, struct wk_tls_hello *h)
{
	size_t pos = TLS_HS_HEADER, n;

	/* legacy_version, random */
	TLS_TRY(tls_have(hs, pos, 2, end));
	h->legacy_version = hs_u16(hs, pos);
	if (h->legacy_version >> 8 != 3)
		return WK_TLS_HELLO_ERROR;
	pos += 2;
	TLS_TRY(tls_have(hs, pos, TLS_RANDOM_LEN, end));
	pos += TLS_RANDOM_LEN;
	/* legacy_session_id<0..32> */
	TLS_TRY(tls_have(hs, pos, 1, end));
	n = hs_u8(hs, pos);
	pos++;
	if (n > TLS_SESSION_ID_MAX)
		return WK_TLS_HELLO_ERROR;
	TLS_TRY(tls_have(hs, pos, n, end));
	pos += n;
	/* cipher_suites<2..2^16-2> */
	TLS_TRY(tls_have(hs, pos, 2, end));
	n = hs_u16(hs, pos);
	pos += 2;
	if (n == 0 || n % 2 != 0)
		return WK_TLS_HELLO_ERROR;
	TLS_TRY(tls_have(hs, pos, n, end));
	pos += n;
	/* legacy_compression_methods<1..2^8-1> */
	TLS_TRY(tls_have(hs, pos, 1, end));
	n = hs_u8(hs, pos);
	pos++;
	if (n == 0)
		return WK_TLS_HELLO_ERROR;
	TLS_TRY(tls_have(hs, pos, n, end));
	pos += n;
	/* extensions are optional before TLS 1.3 (RFC 5246 7.4.1.2) */
	if (pos == end)
		return WK_TLS_HELLO_DONE;
	TLS_TRY(tls_have(hs, pos, 2, end));
	n = hs_u16(hs, pos);
	pos += 2;
	if (n != end - pos)
		return WK_TLS_HELLO_ERROR;
	return tls_parse_exts(hs, pos, end, h);
}

int
wk_tls_hello_parse(const uint8_t *buf, size_t len, struct wk_tls_hello *h)
{
	struct tls_hs hs;
	size_t off = 0, declared = 0, need = 0;
	int res;

	memset(h, 0, sizeof(*h));
	memset(&hs, 0, sizeof(hs));
	if (len == 0)
		return WK_TLS_HELLO_NEED_MORE;
	if (buf[0] != TLS_CT_HANDSHAKE)
		return WK_TLS_HELLO_NOT_TLS;
	/* The records: stop once those seen hold the whole hello (need is
	 * its length, known from its first 4 bytes), or at the first one
	 * not all in. */
	for (;;) {
		size_t rlen, have;

		if (need != 0 && declared >= need)
			break;
		/* every record is non-empty, so need is known by now */
		if (hs.n_seg == WK_TLS_HELLO_RECORDS_MAX)
			return WK_TLS_HELLO_ERROR;
		if (off == len)
			break;
		/* a change_cipher_spec, alert or data record here is wrong */
		if (buf[off] != TLS_CT_HANDSHAKE)
			return WK_TLS_HELLO_ERROR;
		if (len - off < 2)
			break;
		if (buf[off + 1] != 3)
			return WK_TLS_HELLO_ERROR;
		if (len - off < 5)
			break;
		rlen = get16(buf + off + 3);
		/* zero-length handshake fragments are forbidden (RFC 8446 5.1)
		 */
		if (rlen == 0 || rlen > WK_TLS_RECORD_MAX)
			return WK_TLS_HELLO_ERROR;
		if (hs.n_seg == 0)
			h->record_version = get16(buf + off + 1);
		have = WK_MIN(rlen, len - off - 5);
		hs.seg[hs.n_seg] = buf + off + 5;
		hs.seg_len[hs.n_seg] = have;
		hs.n_seg++;
		hs.avail += have;
		declared += rlen;
		if (need == 0 && hs.avail >= TLS_HS_HEADER) {
			need = ((size_t)hs_u8(&hs, 1) << 16) |
			    ((size_t)hs_u8(&hs, 2) << 8) | hs_u8(&hs, 3);
			if (need > WK_TLS_HELLO_BODY_MAX)
				return WK_TLS_HELLO_ERROR;
			need += TLS_HS_HEADER;
		}
		off += 5 + rlen;
		if (have < rlen)
			break;
	}
	if (hs.avail == 0)
		return WK_TLS_HELLO_NEED_MORE;
	if (hs_u8(&hs, 0) != TLS_HS_CLIENT_HELLO)
		return WK_TLS_HELLO_ERROR;
	if (need == 0)
		return WK_TLS_HELLO_NEED_MORE;
	/* nothing may follow the ClientHello in its last record: the client
	 * waits for the ServerHello */
	if (declared > need)
		return WK_TLS_HELLO_ERROR;
	res = tls_parse_body(&hs, need, h);
	if (res == WK_TLS_HELLO_DONE)
		h->hello_len = off;
	return res;
}

const char *
wk_tls_hello_res_name(int res)
{
	switch (res) {
	case WK_TLS_HELLO_NOT_TLS:
		return "NOT_TLS";
	case WK_TLS_HELLO_ERROR:
		return "ERROR";
	case WK_TLS_HELLO_NEED_MORE:
		return "NEED_MORE";
	case WK_TLS_HELLO_DONE:
		return "DONE";
	default:
		return "?";
	}
}
