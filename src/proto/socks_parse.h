/* src/proto/socks_parse.h: SOCKS4, SOCKS4a and SOCKS5 (RFC 1928, RFC 1929)
 * messages, both the server side (what clients send us) and the client side
 * (what we send to and read from SOCKS upstreams). Pure: no sockets, no
 * allocation, no globals. Parsers return enum wk_parse_res and the bytes
 * they used; builders return the bytes written (0 if out is too small). */
#ifndef WK_PROTO_SOCKS_PARSE_H
#define WK_PROTO_SOCKS_PARSE_H

#include "core/wk.h"

/* Why a message was refused. */
enum wk_socks_err {
	WK_SOCKS_OK = 0,	 /* no error */
	WK_SOCKS_E_VERSION,	 /* version byte is not the expected one */
	WK_SOCKS_E_NO_METHODS,	 /* SOCKS5 greeting offers zero methods */
	WK_SOCKS_E_COMMAND,	 /* unknown command (SOCKS5 reply 0x07) */
	WK_SOCKS_E_ATYP,	 /* unknown address type (SOCKS5 reply 0x08) */
	WK_SOCKS_E_NAME,	 /* empty name, NUL or control byte in it */
	WK_SOCKS_E_TOO_LONG,	 /* SOCKS4 user id or 4a name over 255 bytes */
	WK_SOCKS_E_RESERVED,	 /* reserved byte is not zero */
	WK_SOCKS_E_AUTH_VERSION, /* RFC 1929 version is not 1 */
	WK_SOCKS_E_EMPTY_USER,	 /* RFC 1929 empty user name */
	WK_SOCKS_E_REPLY,	 /* (client side) malformed reply */
	WK_SOCKS_E_COUNT
};

/* SOCKS5 commands (RFC 1928 4). */
enum wk_socks_cmd {
	WK_SOCKS_CMD_CONNECT = 1, /* CONNECT */
	WK_SOCKS_CMD_BIND = 2,	  /* BIND */
	WK_SOCKS_CMD_UDP = 3	  /* UDP ASSOCIATE */
};

/* SOCKS5 address types (RFC 1928 5). */
enum wk_socks_atyp {
	WK_SOCKS_ATYP_IPV4 = 1, /* 4 bytes */
	WK_SOCKS_ATYP_NAME = 3, /* length byte + name */
	WK_SOCKS_ATYP_IPV6 = 4	/* 16 bytes */
};

/* SOCKS5 methods and reply codes. */
#define WK_SOCKS5_METHOD_NONE 0x00
#define WK_SOCKS5_METHOD_USERPASS 0x02
#define WK_SOCKS5_METHOD_REFUSED 0xff
#define WK_SOCKS5_REP_OK 0x00
#define WK_SOCKS5_REP_FAILURE 0x01
#define WK_SOCKS5_REP_NOT_ALLOWED 0x02
#define WK_SOCKS5_REP_NET_UNREACH 0x03
#define WK_SOCKS5_REP_HOST_UNREACH 0x04
#define WK_SOCKS5_REP_REFUSED 0x05
#define WK_SOCKS5_REP_TTL 0x06
#define WK_SOCKS5_REP_CMD 0x07
#define WK_SOCKS5_REP_ATYP 0x08
/* SOCKS4 reply codes */
#define WK_SOCKS4_GRANTED 0x5a
#define WK_SOCKS4_REJECTED 0x5b

/* A destination as sent: an address or a name (NUL-terminated, as sent,
 * not yet IDNA-mapped). */
struct wk_socks_target {
	enum wk_socks_atyp atyp;
	uint8_t addr[16]; /* 4 bytes used for IPv4 */
	char name[256];
	uint16_t port;
};

/* SOCKS4/4a request: VN=4 CD DSTPORT DSTIP USERID NUL [HOST NUL]. A
 * DSTIP of 0.0.0.x (x != 0) means 4a: the name follows. */
struct wk_socks4_req {
	uint8_t cmd; /* 1 CONNECT, 2 BIND */
	bool is_4a;
	struct wk_socks_target t;
	char userid[256];
};

struct wk_socks5_greeting {
	uint8_t n_methods;
	uint8_t methods[255];
};

/* RFC 1929 sub-negotiation. */
struct wk_socks5_auth {
	char user[256];
	char pass[256];
};

struct wk_socks5_req {
	uint8_t cmd;
	struct wk_socks_target t;
};

/* A SOCKS5 UDP datagram header: RSV(2) FRAG ATYP ADDR PORT, then data. */
struct wk_socks5_udp {
	uint8_t frag;
	struct wk_socks_target t;
	size_t header_len; /* the data starts here */
};

/* --- server side: parse what a client sends ---------------------------- */

int wk_socks4_parse_request(const uint8_t *buf, size_t len,
    struct wk_socks4_req *r, size_t *used, enum wk_socks_err *err);
int wk_socks5_parse_greeting(const uint8_t *buf, size_t len,
    struct wk_socks5_greeting *g, size_t *used, enum wk_socks_err *err);
bool wk_socks5_greeting_offers(
    const struct wk_socks5_greeting *g, uint8_t method);
int wk_socks5_parse_auth(const uint8_t *buf, size_t len,
    struct wk_socks5_auth *a, size_t *used, enum wk_socks_err *err);
/* An unknown command is reported as WK_SOCKS_E_COMMAND only once the whole
 * request is in, so the caller can reply 0x07 and close cleanly. */
int wk_socks5_parse_request(const uint8_t *buf, size_t len,
    struct wk_socks5_req *r, size_t *used, enum wk_socks_err *err);
/* A whole datagram: WK_PARSE_DONE or WK_PARSE_ERROR (never NEED_MORE). */
int wk_socks5_parse_udp(const uint8_t *buf, size_t len, struct wk_socks5_udp *u,
    enum wk_socks_err *err);

/* --- server side: build replies ---------------------------------------- */

/* 8 bytes: 0x00 CODE PORT IP. */
size_t wk_socks4_build_reply(uint8_t *out, size_t len, uint8_t code,
    uint16_t port, const uint8_t ip4[4]);
/* VER=5 METHOD. */
size_t wk_socks5_build_method(uint8_t *out, size_t len, uint8_t method);
/* VER=1 STATUS (RFC 1929). */
size_t wk_socks5_build_auth_status(uint8_t *out, size_t len, uint8_t status);
/* VER=5 REP RSV ATYP BND.ADDR BND.PORT; bound may be NULL (0.0.0.0:0). */
size_t wk_socks5_build_reply(
    uint8_t *out, size_t len, uint8_t rep, const struct wk_socks_target *bound);
/* The header for a datagram sent back to a UDP ASSOCIATE client. */
size_t wk_socks5_build_udp_header(
    uint8_t *out, size_t len, const struct wk_socks_target *from);

/* --- client side: talking to a SOCKS upstream --------------------------- */

/* SOCKS4 (ip4 != NULL) or SOCKS4a (ip4 == NULL: the name goes in). */
size_t wk_socks4_build_request(uint8_t *out, size_t len, uint8_t cmd,
    const struct wk_socks_target *t, const char *userid);
int wk_socks4_parse_reply(const uint8_t *buf, size_t len, uint8_t *code,
    size_t *used, enum wk_socks_err *err);
size_t wk_socks5_build_greeting(uint8_t *out, size_t len, bool userpass);
int wk_socks5_parse_method(const uint8_t *buf, size_t len, uint8_t *method,
    size_t *used, enum wk_socks_err *err);
size_t wk_socks5_build_auth(
    uint8_t *out, size_t len, const char *user, const char *pass);
int wk_socks5_parse_auth_status(const uint8_t *buf, size_t len, uint8_t *status,
    size_t *used, enum wk_socks_err *err);
size_t wk_socks5_build_request(
    uint8_t *out, size_t len, uint8_t cmd, const struct wk_socks_target *t);
int wk_socks5_parse_reply(const uint8_t *buf, size_t len, uint8_t *rep,
    struct wk_socks_target *bound, size_t *used, enum wk_socks_err *err);

const char *wk_socks_err_str(enum wk_socks_err err);
/* Human text for a SOCKS5 reply code ("connection refused"). */
const char *wk_socks5_rep_str(uint8_t rep);

#endif
