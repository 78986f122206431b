/* src/config/conf.h: the configuration, parsed from one text file (with
 * include) into an immutable, reference-counted snapshot. */
#ifndef WK_CONFIG_CONF_H
#define WK_CONFIG_CONF_H

#include "core/wk.h"

#include <sys/socket.h>
#include <stdio.h>

/* Which protocols a listener serves. */
enum wk_listen_proto {
	WK_LISTEN_AUTO = 0, /* by the first byte: 4/5 SOCKS, else HTTP */
	WK_LISTEN_HTTP,	    /* HTTP only */
	WK_LISTEN_SOCKS,    /* SOCKS4/4a/5 only */
	WK_LISTEN_PROTO_COUNT
};

/* One `listen` address: `listen ADDR:PORT [auto|http|socks]`. */
struct wk_listen {
	struct sockaddr_storage addr; /* port filled in */
	socklen_t addrlen;
	char *text; /* as written, for logs */
	enum wk_listen_proto proto;
};

/* Kinds of upstream proxy. */
enum wk_upstream_kind {
	WK_UPSTREAM_HTTP = 0, /* absolute-form requests, CONNECT for tunnels */
	WK_UPSTREAM_HTTPS,    /* the same over TLS to the proxy (issue 5) */
	WK_UPSTREAM_SOCKS4,   /* SOCKS4: names resolved by us */
	WK_UPSTREAM_SOCKS4A,  /* SOCKS4a: names passed on unresolved */
	WK_UPSTREAM_SOCKS5,   /* SOCKS5: names passed on, user/password */
	WK_UPSTREAM_KIND_COUNT
};

/* `upstream NAME { socks5 HOST:PORT; user U; password P }` */
struct wk_upstream {
	char *name;
	enum wk_upstream_kind kind;
	char *host; /* A-label form, or an IP literal without brackets */
	uint16_t port;
	char *user; /* NULL: none (SOCKS5 user/password, HTTP Basic) */
	char *password;
};

/* A route: the hops tried in order until one connects. A hop is an
 * upstream, or NULL for a direct connection. Zones (a later issue) give
 * each zone its own route; the config's default route is `route`. */
struct wk_route {
	const struct wk_upstream **hops; /* into wk_config.upstreams */
	size_t n_hops;
	bool pac; /* `route pac`: the PAC script gives the hops; hops is
		     empty */
};

/* One client access rule: allow|deny CIDR. First match wins. */
struct wk_acl_rule {
	bool allow;
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network address (4 bytes used for AF_INET) */
	unsigned prefix;  /* 0..32 or 0..128 */
};

enum wk_log_level {
	WK_LOG_ERR = 0, /* errors */
	WK_LOG_WARN,	/* warnings */
	WK_LOG_NOTICE,	/* normal but significant */
	WK_LOG_INFO,	/* informational */
	WK_LOG_DEBUG,	/* debugging */
	WK_LOG_LEVEL_COUNT
};

enum wk_access_format {
	WK_ACCESS_TEXT = 0, /* one space-separated line per request */
	WK_ACCESS_JSON,	    /* one JSON object per line */
	WK_ACCESS_FORMAT_COUNT
};

struct wk_zones;

struct wk_config {
	int refcnt; /* atomic; see wk_conf_ref/unref */
	char *path; /* file it came from, NULL for built-in defaults */

	struct wk_listen *listens;
	size_t n_listens;

	/* Client access rules. When n_acl == 0, only loopback clients
	 * (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) are allowed. A client that
	 * matches no rule is denied. */
	struct wk_acl_rule *acl;
	size_t n_acl;

	struct wk_upstream *upstreams; /* `upstream` blocks, in file order */
	size_t n_upstreams;
	struct wk_route route; /* `route direct|NAME...|pac`; default: direct */
	struct wk_zones *zones; /* `zone` blocks; never NULL once parsed */

	struct {
		char *url; /* `pac URL`: file:// or http://; NULL: none */
		/* `pac-fallback`: when the script fails; none: the request
		 * fails (never a silent DIRECT) */
		bool has_fallback;
		struct wk_route fallback;
	} pac;

	/* `dial { command ...; timeout; hold-off; on ... }` */
	struct {
		char **argv; /* NULL-terminated; argc == 0: no dial block */
		size_t argc;
		unsigned timeout_ms; /* the command's bound (default 60 s) */
		unsigned holdoff_ms; /* no new dial after a failure (30 s) */
		unsigned on; /* bit (1 << enum wk_conn_err) per failure that
				dials (default unreachable, dns, dns-timeout) */
	} dial;
	char *users_file; /* `users FILE`: SOCKS5 user/password needed */
	struct {
		char *ca_file; /* `tls-ca-file`: trusted besides the system */
		char *ca_dir;  /* `tls-ca-dir` */
	} tls;

	unsigned workers; /* 0: one per online CPU */
	char *state_dir;  /* NULL: $XDG_STATE_HOME/wicket or
			     ~/.local/state/wicket */
	char *via_name;	  /* pseudonym in Via (default "wicket") */

	struct {
		unsigned connect_ms; /* upstream TCP connect (default 10 s) */
		unsigned header_read_ms; /* whole request head from its first
					    byte (default 30 s) */
		unsigned keepalive_ms; /* idle client between requests (default
					  60 s) */
		unsigned upstream_response_ms; /* waiting for response bytes
						  (default 60 s) */
		unsigned tunnel_idle_ms; /* CONNECT/Upgrade with no traffic
					    (default 600 s) */
		unsigned shutdown_ms;  /* SIGTERM drain bound (default 10 s) */
		unsigned pool_idle_ms; /* idle pooled upstream connection
					  (default 30 s) */
		unsigned pac_ms;       /* one PAC evaluation (default 2 s) */
		unsigned pac_cache_ms; /* a PAC answer is reused (30 s) */
	} timeout;

	struct {
		size_t request_line; /* bytes (default 8192) -> 414 */
		size_t
		    header_bytes; /* bytes of a head (default 65536) -> 431 */
		size_t header_count; /* fields (default 100) -> 431 */
		size_t
		    connections; /* open client connections (default 10000) */
		size_t pac_heap; /* PAC script heap (default 32 MiB) */
		size_t cookies;	 /* cookies in the shared jar (default 20000) */
		size_t decoded_size; /* decoded bytes of one response (4 GiB) */
		size_t
		    decoded_ratio; /* decoded : encoded bytes (default 200) */
		size_t
		    spool_memory;  /* a spooled upload held in memory (1 MiB) */
		size_t spool_size; /* a spooled upload in all (256 MiB): 413 */
	} limit;

	struct {
		enum wk_log_level level; /* default notice */
		char *error_target; /* "stderr" (default), "syslog" or a file
				       path */
		char *access_path;  /* NULL: no access log; "-": stdout */
		enum wk_access_format access_format;
	} log;
};

/* Command-line overrides applied after the file (or the defaults). */
struct wk_conf_overrides {
	const char **listens; /* --listen ADDR:PORT, replaces every listen */
	size_t n_listens;
	const char *state_dir; /* --state-dir DIR */
};

/* Returns a new config with the built-in defaults (listen 127.0.0.1:3128). */
struct wk_config *wk_conf_defaults(void);

/* Parses path (following includes). On success returns a config with
 * refcnt 1. On failure writes every error as "file:line:col: error: msg\n"
 * to errs and returns NULL. ov may be NULL. */
struct wk_config *wk_conf_load(
    const char *path, const struct wk_conf_overrides *ov, FILE *errs);

/* Same, from text in memory; name is used in messages (tests, fuzzing).
 * include is resolved relative to the current directory. */
struct wk_config *wk_conf_parse_string(const char *name, const char *text,
    size_t len, const struct wk_conf_overrides *ov, FILE *errs);

/* Applies overrides to a config (used with wk_conf_defaults()). Returns 0,
 * or -1 with a message in err. */
int wk_conf_apply_overrides(struct wk_config *c,
    const struct wk_conf_overrides *ov, char *err, size_t errlen);

/* Prints the normalised configuration, in the file's own syntax. */
void wk_conf_dump(const struct wk_config *c, FILE *out);

/* Parses "ADDR:PORT", "[V6]:PORT", "HOST:PORT" (HOST: localhost, or
 * numeric) into l. Returns 0 or -1 with err. */
int wk_conf_parse_listen(
    const char *s, struct wk_listen *l, char *err, size_t errlen);

/* Finds an upstream by name, or NULL. */
const struct wk_upstream *wk_conf_upstream(
    const struct wk_config *c, const char *name);
const char *wk_upstream_kind_name(enum wk_upstream_kind k);

/* True when the client address is allowed by the rules. */
bool wk_conf_client_allowed(
    const struct wk_config *c, const struct sockaddr *sa);

struct wk_config *wk_conf_ref(struct wk_config *c);
void wk_conf_unref(struct wk_config *c);

const char *wk_log_level_name(enum wk_log_level l);

#endif
