/* src/config/conf-int.h: keyword tables and handler interface shared by the
 * config core and the modules that own directives (zone, upstream, ...). */
#ifndef WK_CONFIG_CONF_INT_H
#define WK_CONFIG_CONF_INT_H

#include "core/wk.h"

#include <stdio.h>

#include "config/conf.h"
#include "config/lex.h"

/* Sections: where a directive may appear. A block directive names the
 * section of its body. To add a block (say `zone NAME { ... }`): add
 * WK_SEC_ZONE here, a WK_KW_BLOCK entry in the main table with
 * .body = WK_SEC_ZONE, and a table of entries with .section = WK_SEC_ZONE
 * listed in conf.c's conf_kw_lists. */
enum wk_conf_sec {
	WK_SEC_MAIN = 0, /* top level of the file */
	WK_SEC_UPSTREAM, /* inside `upstream NAME { ... }` */
	WK_SEC_ZONE,	 /* inside `zone NAME { ... }` */
	WK_SEC_DIAL,	 /* inside `dial { ... }` */
	WK_SEC_COUNT
};

/* The statement being handled: argv[0] is the directive itself. */
struct wk_conf_args {
	size_t argc;
	const struct wk_tok *argv;
};

struct conf_seen;
struct conf_loc;

/* A word of a route, kept until every upstream block has been read. */
struct wk_conf_word {
	char *text;
	const char *file; /* owned by the lexer */
	unsigned line;
	unsigned col;
};

/* The words of one route and where the hops go once resolved. */
enum wk_conf_route_owner {
	WK_CONF_ROUTE_MAIN = 0,	    /* `route` */
	WK_CONF_ROUTE_PAC_FALLBACK, /* `pac-fallback` */
	WK_CONF_ROUTE_ZONE	    /* a zone's `route`; .zone says which */
};

struct wk_conf_route_words {
	enum wk_conf_route_owner owner;
	size_t zone; /* WK_CONF_ROUTE_ZONE: index in c->zones */
	struct wk_conf_word *w;
	size_t n;
};

/* State shared by handlers while one file (with includes) is parsed. */
struct wk_conf_ctx {
	struct wk_config *c; /* being built; owned by the parser */
	struct wk_lex *lx;
	size_t err_arg; /* a failing handler sets the index in argv of the
			 * offending argument; 0 (default): the directive */
	void *block;	/* object of the enclosing block, set by the block
			 * directive's handler, restored after its "}" */

	/* private to conf.c */
	struct conf_seen *seen; /* singleton directives set so far */
	size_t n_seen;
	struct conf_loc *listen_locs; /* parallel to c->listens */
	/* owned by conf_upstream.c */
	struct wk_conf_word *upstream_locs; /* parallel to c->upstreams */
	/* owned by conf_route.c */
	struct wk_conf_route_words *routes; /* resolved at the end */
	size_t n_routes;
	struct wk_conf_word *zone_locs; /* parallel to c->zones->zones */
	unsigned zone_errors; /* lexer errors when the zone block began */
};

/* Handler: returns 0, or -1 with a message in err (no location, no
 * trailing newline; the core adds "file:line:col: error: "). A handler
 * that reported its errors itself returns -1 with err empty. Never prints. */
typedef int (*wk_conf_handler)(struct wk_conf_ctx *ctx,
    const struct wk_conf_args *args, char *err, size_t errlen);

/* Keyword flags. */
#define WK_KW_ONCE 0x1u	 /* may appear once per section (singleton) */
#define WK_KW_BLOCK 0x2u /* takes a "{ ... }" body, parsed as .body */
#define WK_KW_ANY 0x4u	 /* valid in every section (include) */

struct wk_conf_kw {
	enum wk_conf_sec section; /* where it may appear */
	const char *name;
	wk_conf_handler handler;
	unsigned min_args; /* not counting the directive */
	unsigned max_args;
	unsigned flags;	       /* WK_KW_* */
	const char *usage;     /* "listen ADDR:PORT", for arity messages */
	enum wk_conf_sec body; /* WK_KW_BLOCK: section of the body */
	/* WK_KW_BLOCK, optional: called after the closing "}". */
	int (*end)(struct wk_conf_ctx *ctx, char *err, size_t errlen);
};

/* One module's table; conf.c keeps the explicit list of them. */
struct wk_conf_kw_list {
	const struct wk_conf_kw *kws;
	size_t n;
};

/* Marks key (any unique address, e.g. a table entry) as set at t. Returns
 * 0 the first time; later returns -1 with "duplicate \"what\" (already set
 * at file:line:col)" in err. */
int wk_conf_once(struct wk_conf_ctx *ctx, const void *key, const char *what,
    const struct wk_tok *t, char *err, size_t errlen);

/* The candidate nearest to word (edit distance, case-insensitive), or NULL
 * when none is close enough to suggest. */
const char *wk_conf_suggest(
    const char *word, const char *const *cands, size_t n);

/* Index of word in names, or -1 with an "unknown" message in err. */
int wk_conf_pick(const char *what, const char *word, const char *const *names,
    size_t n, char *err, size_t errlen);

/* DIGITS[ms|s|m|h] (bare: seconds) to milliseconds: 0, -1 when
 * malformed, -2 on overflow. */
int wk_conf_parse_duration(const char *s, uint64_t *ms);
void wk_conf_fmt_duration(uint64_t ms, char *buf, size_t len);

/* "N" with N <= max into *out: 0, or -1. */
int wk_conf_parse_small(const char *s, unsigned max, unsigned *out);
/* Writes s as a config word, quoted when it must be. */
void wk_conf_put_word(FILE *out, const char *s);

/* conf_acl.c: `allow` and `deny`. */
extern const struct wk_conf_kw_list wk_conf_acl_list;
void wk_conf_acl_dump(const struct wk_config *c, FILE *out);

/* conf_upstream.c: `upstream NAME { ... }` blocks. */
extern const struct wk_conf_kw_list wk_conf_upstream_list;
void wk_conf_upstreams_dump(const struct wk_config *c, FILE *out);

/* conf_dial.c: the `dial { ... }` block. */
extern const struct wk_conf_kw_list wk_conf_dial_list;
void wk_conf_dial_dump(const struct wk_config *c, FILE *out);

/* For a handler: the error is at argv[arg]. Returns -1. */
int wk_conf_bad(struct wk_conf_ctx *ctx, size_t arg);

/* conf_route.c: `route`, `pac`, `pac-fallback` and `zone` blocks. */
extern const struct wk_conf_kw_list wk_conf_route_list;
extern const struct wk_conf_kw_list wk_conf_zone_list;
/* After the whole file: route words to hops, zone checks, the zone
 * index. Errors go to the lexer. Frees the words. */
void wk_conf_routes_finish(struct wk_conf_ctx *ctx);
/* Writes the route, zone and pac directives (wk_conf_dump). */
void wk_conf_routes_dump(const struct wk_config *c, FILE *out);

/* Parser flags. */
#define WK_CONF_F_NO_INCLUDE 0x1u /* include is an error (fuzzing) */

/* wk_conf_parse_string with flags. */
struct wk_config *wk_conf_parse_flags(const char *name, const char *text,
    size_t len, unsigned flags, const struct wk_conf_overrides *ov, FILE *errs);

#endif
