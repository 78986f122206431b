/* src/proto/http_parse.h: strict HTTP/1.1 message head and chunked-body
 * parser (RFC 9110/9112). Pure: no sockets, no allocation, no globals. */
#ifndef WK_PROTO_HTTP_PARSE_H
#define WK_PROTO_HTTP_PARSE_H

#include "core/wk.h"

/* Why a message was refused; each maps to a status (wk_http_err_status). */
enum wk_http_err {
	WK_HTTP_OK = 0,	    /* no error */
	WK_HTTP_E_SYNTAX,   /* 400: malformed request/status line or field */
	WK_HTTP_E_VERSION,  /* 505: not HTTP/1.x */
	WK_HTTP_E_BARE_LF,  /* 400: line ended by LF without CR */
	WK_HTTP_E_BARE_CR,  /* 400: CR not followed by LF */
	WK_HTTP_E_CTL,	    /* 400: NUL, CR, LF or other CTL inside a field */
	WK_HTTP_E_OBS_FOLD, /* 400: obs-fold continuation line */
	WK_HTTP_E_WS_BEFORE_COLON, /* 400: white space between name and colon */
	WK_HTTP_E_BAD_NAME,	   /* 400: field name is not a token */
	WK_HTTP_E_CL_INVALID, /* 400: Content-Length not 1*DIGIT or overflow */
	WK_HTTP_E_CL_DIFFERS, /* 400: several differing Content-Length */
	WK_HTTP_E_CL_AND_TE,  /* 400: both Content-Length and Transfer-Encoding
			       */
	WK_HTTP_E_TE_NOT_CHUNKED, /* 400 (request) : TE whose final coding is
				     not chunked */
	WK_HTTP_E_TE_UNKNOWN,	  /* 501: TE coding we do not implement */
	WK_HTTP_E_TE_HTTP10, /* 400: Transfer-Encoding in an HTTP/1.0 request */
	WK_HTTP_E_HOST,	     /* 400: missing (1.1), repeated or bad Host */
	WK_HTTP_E_TARGET,    /* 400: request-target malformed for its method */
	WK_HTTP_E_URI_TOO_LONG,	   /* 414: request line over the limit */
	WK_HTTP_E_HEAD_TOO_BIG,	   /* 431: head over the byte limit */
	WK_HTTP_E_TOO_MANY_FIELDS, /* 431: more fields than the limit */
	WK_HTTP_E_STATUS,	   /* 502 (response): bad status line/code */
	WK_HTTP_E_CHUNK_SIZE,	   /* 400: bad or overflowing chunk size */
	WK_HTTP_E_CHUNK_EXT,	   /* 400: malformed chunk extension */
	WK_HTTP_E_CHUNK_CRLF,	   /* 400: chunk data not followed by CRLF */
	WK_HTTP_E_TRAILER, /* 400: malformed or oversized trailer section */
	WK_HTTP_E_COUNT
};

/* How the body after a head is delimited. */
enum wk_http_body {
	WK_HTTP_BODY_NONE =
	    0, /* no body (GET without CL, HEAD response, 204, 304, 1xx) */
	WK_HTTP_BODY_LENGTH,  /* exactly content_length bytes */
	WK_HTTP_BODY_CHUNKED, /* chunked transfer coding */
	WK_HTTP_BODY_CLOSE,   /* response read until the connection closes */
	WK_HTTP_BODY_TUNNEL   /* after a 2xx to CONNECT or a 101: raw bytes */
};

/* Request-target forms (RFC 9112 3.2). */
enum wk_http_target_form {
	WK_HTTP_TARGET_ORIGIN = 0, /* /path?query */
	WK_HTTP_TARGET_ABSOLUTE,   /* scheme://authority/path?query */
	WK_HTTP_TARGET_AUTHORITY,  /* host:port, CONNECT only */
	WK_HTTP_TARGET_ASTERISK	   /* *, OPTIONS only */
};

/* Bits of what Connection (and Proxy-Connection) said. */
#define WK_HTTP_CONN_CLOSE 0x01u
#define WK_HTTP_CONN_KEEPALIVE 0x02u
#define WK_HTTP_CONN_UPGRADE 0x04u

/* A slice of the input buffer. */
struct wk_str {
	const char *p;
	size_t len;
};

struct wk_http_field {
	struct wk_str name;  /* as sent (case kept) */
	struct wk_str value; /* leading and trailing OWS removed */
};

#define WK_HTTP_MAX_FIELDS 256 /* hard cap, above any configured limit */

struct wk_http_limits {
	size_t max_line;   /* request line / status line bytes (414) */
	size_t max_head;   /* whole head bytes incl. final CRLF (431) */
	size_t max_fields; /* header field count (431), <= WK_HTTP_MAX_FIELDS */
};

/* A parsed head. Every wk_str points into the caller's buffer, which must
 * outlive this struct. */
struct wk_http_head {
	bool is_request;
	int version_minor; /* 0 or 1 (major is always 1) */
	size_t head_len;   /* bytes of the head incl. the final CRLF CRLF */

	/* request line */
	struct wk_str method;
	struct wk_str target; /* exactly as sent */
	enum wk_http_target_form target_form;
	struct wk_str scheme; /* absolute-form: "http" (lower-cased compare) */
	struct wk_str host; /* absolute/authority form: host without brackets */
	uint16_t port;	    /* explicit port, or the scheme's default */
	bool port_explicit;
	struct wk_str path;    /* absolute-form: path+query ("/" if empty);
				  origin-form: target */
	bool path_needs_slash; /* absolute-form "http://h?q": path is "?q", send
				  "/" first */

	/* status line */
	int status;
	struct wk_str reason;

	/* fields */
	struct wk_http_field fields[WK_HTTP_MAX_FIELDS];
	size_t n_fields;

	/* derived framing */
	enum wk_http_body body;
	uint64_t content_length; /* valid when body == WK_HTTP_BODY_LENGTH */
	unsigned conn; /* WK_HTTP_CONN_* from Connection/Proxy-Connection */
	bool expect_continue; /* Expect: 100-continue */
	bool has_host;
	struct wk_str host_field; /* the Host field value */
	bool has_upgrade;	  /* an Upgrade field is present */
};

/* Parses a request head from buf[0..len). Returns WK_PARSE_DONE with the
 * head filled (head_len bytes used), WK_PARSE_NEED_MORE if the head is not
 * complete yet and within the limits, or WK_PARSE_ERROR with *err set.
 * Leading empty lines (RFC 9112 2.2) are skipped and counted in head_len. */
int wk_http_parse_request(const char *buf, size_t len,
    const struct wk_http_limits *lim, struct wk_http_head *h,
    enum wk_http_err *err);

/* Parses a response head. req_method is the method of the request it
 * answers (HEAD and CONNECT change the framing). */
int wk_http_parse_response(const char *buf, size_t len,
    const struct wk_http_limits *lim, struct wk_str req_method,
    struct wk_http_head *h, enum wk_http_err *err);

/* Finds a field by name (case-insensitive); returns the first at or after
 * index *from (pass NULL to start at 0), updating *from past it. */
const struct wk_http_field *wk_http_find(
    const struct wk_http_head *h, const char *name, size_t *from);

/* True when the comma-separated list in value has token tok
 * (case-insensitive, OWS trimmed). */
bool wk_http_list_has(struct wk_str value, const char *tok);

/* Maps an error to the HTTP status a client should get. */
int wk_http_err_status(enum wk_http_err err);
/* Short human text for an error ("Content-Length and Transfer-Encoding both
 * present"). */
const char *wk_http_err_str(enum wk_http_err err);

/* Incremental chunked-body scanner. It validates framing byte by byte and
 * tells how many input bytes belong to the body; the bytes themselves are
 * forwarded unchanged by the caller. Zero-initialise, set the limits. */
struct wk_chunk_scan {
	int state;	    /* private */
	uint64_t remaining; /* private: data bytes left in this chunk */
	size_t line_len; /* private: bytes in the current size/trailer line */
	size_t trailer_bytes; /* private: trailer section size so far */
	bool digits;	      /* private: a hex digit was seen */
	size_t max_line;      /* limit for a chunk-size line (0: 4096) */
	size_t max_trailer;   /* limit for the trailer section (0: 65536) */
	uint64_t data_total;  /* data bytes seen so far */
	void (*on_data)(void *arg, const char *p,
	    size_t n); /* optional: decoded data spans */
	void *arg;
};

/* Scans buf[0..len). Sets *used to the bytes that belong to the chunked
 * body. Returns WK_PARSE_DONE when the body (last-chunk and trailers) ended
 * within buf (bytes after *used belong to the next message),
 * WK_PARSE_NEED_MORE when all of buf was used, or WK_PARSE_ERROR with *err. */
int wk_chunk_scan(struct wk_chunk_scan *c, const char *buf, size_t len,
    size_t *used, enum wk_http_err *err);

#endif
