/* src/config/conf.c: the config parser (keyword tables, handlers, error
 * reporting), the immutable snapshot, dump and client access checks. */
#include "core/wk.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf-int.h"
#include "config/conf.h"
#include "config/lex.h"
#include "core/alloc.h"
#include "core/bug.h"
#include "core/idna.h"
#include "upstream/connector.h"
#include "zone/zone.h"

#include <sys/stat.h>

#define CONF_MAX_ARGS 32   /* arguments of one statement */
#define CONF_MAX_NESTING 8 /* nested known blocks */
#define CONF_ERRLEN 512	   /* handler message buffer */
#define CONF_MAX_WORKERS 256
#define CONF_MAX_VIA 64 /* bytes of the Via pseudonym */
#define CONF_DEFAULT_LISTEN "127.0.0.1:3128"

/* A file position, for "already set at" messages. */
struct conf_loc {
	const char *file; /* owned by the lexer */
	unsigned line;
	unsigned col;
};

struct conf_seen {
	const void *key;   /* keyword table entry */
	const void *block; /* enclosing block: singletons are per block */
	struct conf_loc loc;
};

/* ------------------------------------------------------------------ */
/* The snapshot                                                        */

static void
conf_free(struct wk_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_listens; i++)
		free(c->listens[i].text);
	free(c->listens);
	for (i = 0; i < c->n_upstreams; i++) {
		struct wk_upstream *u = &c->upstreams[i];

		free(u->name);
		free(u->host);
		free(u->user);
		if (u->password != NULL)
			explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	free(c->upstreams);
	free(c->route.hops);
	free(c->pac.url);
	for (i = 0; i < c->dial.argc; i++)
		free(c->dial.argv[i]);
	free(c->dial.argv);
	free(c->pac.fallback.hops);
	if (c->zones != NULL) {
		wk_zones_clear(c->zones);
		free(c->zones);
	}
	free(c->users_file);
	free(c->tls.ca_file);
	free(c->tls.ca_dir);
	free(c->acl);
	free(c->path);
	free(c->state_dir);
	free(c->via_name);
	free(c->log.error_target);
	free(c->log.access_path);
	free(c);
}

/* Every default but the listen address. */
static struct wk_config *
conf_new(void)
{
	struct wk_config *c = wk_calloc(1, sizeof(*c));

	c->refcnt = 1;
	c->workers = 0;
	c->via_name = wk_strdup("wicket");
	c->timeout.connect_ms = 10 * 1000;
	c->timeout.header_read_ms = 30 * 1000;
	c->timeout.keepalive_ms = 60 * 1000;
	c->timeout.upstream_response_ms = 60 * 1000;
	c->timeout.tunnel_idle_ms = 600 * 1000;
	c->timeout.shutdown_ms = 10 * 1000;
	c->timeout.pool_idle_ms = 30 * 1000;
	c->timeout.pac_ms = 2 * 1000;
	c->timeout.pac_cache_ms = 30 * 1000;
	c->limit.pac_heap = 32 * 1024 * 1024;
	c->limit.cookies = 20000;
	c->limit.decoded_size = (size_t)4 << 30;
	c->limit.decoded_ratio = 200;
	c->limit.spool_memory = 1024 * 1024;
	c->limit.spool_size = 256 * 1024 * 1024;
	c->dial.timeout_ms = 60 * 1000;
	c->dial.holdoff_ms = 30 * 1000;
	c->dial.on = (1u << WK_CONN_UNREACH) | (1u << WK_CONN_DNS) |
	    (1u << WK_CONN_DNS_TIMEOUT);
	c->limit.request_line = 8192;
	c->limit.header_bytes = 65536;
	c->limit.header_count = 100;
	c->limit.connections = 10000;
	c->log.level = WK_LOG_NOTICE;
	c->log.error_target = wk_strdup("stderr");
	c->log.access_path = NULL;
	c->log.access_format = WK_ACCESS_TEXT;
	return c;
}

static void
conf_add_listen(struct wk_config *c, const struct wk_listen *l)
{
	c->listens =
	    wk_realloc(c->listens, (c->n_listens + 1) * sizeof(*c->listens));
	c->listens[c->n_listens++] = *l;
}

struct wk_config *
wk_conf_defaults(void)
{
	struct wk_config *c = conf_new();
	struct wk_listen l;
	char err[CONF_ERRLEN];

	WK_BUG_ON(wk_conf_parse_listen(
		      CONF_DEFAULT_LISTEN, &l, err, sizeof(err)) != 0);
	conf_add_listen(c, &l);
	c->zones = wk_calloc(1, sizeof(*c->zones));
	wk_zones_finish(c->zones);
	return c;
}

struct wk_config *
wk_conf_ref(struct wk_config *c)
{
	__atomic_add_fetch(&c->refcnt, 1, __ATOMIC_RELAXED);
	return c;
}

void
wk_conf_unref(struct wk_config *c)
{
	if (c == NULL)
		return;
	if (__atomic_sub_fetch(&c->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		conf_free(c);
}

static const char *const log_level_names[WK_LOG_LEVEL_COUNT] = {
	[WK_LOG_ERR] = "err",
	[WK_LOG_WARN] = "warn",
	[WK_LOG_NOTICE] = "notice",
	[WK_LOG_INFO] = "info",
	[WK_LOG_DEBUG] = "debug",
};

static const char *const access_format_names[WK_ACCESS_FORMAT_COUNT] = {
	[WK_ACCESS_TEXT] = "text",
	[WK_ACCESS_JSON] = "json",
};

const char *
wk_log_level_name(enum wk_log_level l)
{
	if ((unsigned)l >= WK_LOG_LEVEL_COUNT)
		return "?";
	return log_level_names[l];
}

/* ------------------------------------------------------------------ */
/* Suggestions                                                         */

#define CONF_SUGGEST_MAX 64 /* longer words get no suggestion */

/* Optimal string alignment distance (Levenshtein plus transpositions),
 * ignoring case. Both strings are at most CONF_SUGGEST_MAX bytes. */
static unsigned
conf_distance(const char *a, const char *b)
{
	unsigned d[CONF_SUGGEST_MAX + 1][CONF_SUGGEST_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;

	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			unsigned v = d[i - 1][j - 1] + (ca != cb);

			v = WK_MIN(v, d[i - 1][j] + 1);
			v = WK_MIN(v, d[i][j - 1] + 1);
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb)
				v = WK_MIN(v, d[i - 2][j - 2] + 1);
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *
wk_conf_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	unsigned best_d = 0, limit, dist;
	size_t i, len = strlen(word);

	if (len == 0 || len > CONF_SUGGEST_MAX)
		return NULL;
	limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	for (i = 0; i < n; i++) {
		if (strlen(cands[i]) > CONF_SUGGEST_MAX)
			continue;
		dist = conf_distance(word, cands[i]);
		if (dist <= limit && (best == NULL || dist < best_d)) {
			best = cands[i];
			best_d = dist;
		}
	}
	return best;
}

/* Writes "unknown WHAT "word"" plus a suggestion, or the list of choices
 * when nothing is close. */
static void
conf_unknown(const char *what, const char *word, const char *const *cands,
    size_t n, bool list, char *err, size_t errlen)
{
	const char *s = wk_conf_suggest(word, cands, n);
	size_t used, i;

	if (s != NULL) {
		snprintf(err, errlen,
		    "unknown %s \"%s\" (did you mean \"%s\"?)", what, word, s);
		return;
	}
	used = (size_t)snprintf(err, errlen, "unknown %s \"%s\"", what, word);
	if (!list || used >= errlen)
		return;
	for (i = 0; i < n && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, "%s%s",
		    i == 0	   ? " (expected " :
			i + 1 == n ? " or " :
				     ", ",
		    cands[i]);
	if (used < errlen)
		snprintf(err + used, errlen - used, ")");
}

int
wk_conf_pick(const char *what, const char *word, const char *const *names,
    size_t n, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return (int)i;
	conf_unknown(what, word, names, n, true, err, errlen);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Values: durations, sizes, addresses                                 */

/* Parses DIGITS[ms|s|m|h] (bare: seconds) into milliseconds. Returns 0,
 * -1 when malformed, -2 when it overflows. */
int
wk_conf_parse_duration(const char *s, uint64_t *ms)
{
	uint64_t v = 0, mul;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -2;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (strcmp(p, "") == 0 || strcmp(p, "s") == 0)
		mul = 1000;
	else if (strcmp(p, "ms") == 0)
		mul = 1;
	else if (strcmp(p, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		mul = 3600 * 1000;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -2;
	*ms = v * mul;
	return 0;
}

/* Prints ms with the largest unit that divides it. */
void
wk_conf_fmt_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % (3600 * 1000) == 0)
		snprintf(buf, len, "%" PRIu64 "h", ms / (3600 * 1000));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(buf, len, "%" PRIu64 "m", ms / (60 * 1000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "ms", ms);
}

/* Parses DIGITS[k|m] (1024-based). Returns 0, -1 malformed, -2 overflow. */
static int
conf_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -2;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '\0')
		mul = 1;
	else if ((*p == 'k' || *p == 'K') && p[1] == '\0')
		mul = 1024;
	else if ((*p == 'm' || *p == 'M') && p[1] == '\0')
		mul = 1024 * 1024;
	else if ((*p == 'g' || *p == 'G') && p[1] == '\0')
		mul = 1024 * 1024 * 1024;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -2;
	*out = v * mul;
	return 0;
}

static void
conf_fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v != 0 && v % (1024 * 1024 * 1024) == 0)
		snprintf(buf, len, "%" PRIu64 "g", v / (1024 * 1024 * 1024));
	else if (v != 0 && v % (1024 * 1024) == 0)
		snprintf(buf, len, "%" PRIu64 "m", v / (1024 * 1024));
	else if (v != 0 && v % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 "k", v / 1024);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

/* Parses 1 to 3 decimal digits up to max. */
int
wk_conf_parse_small(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t n = strlen(s), i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
wk_conf_parse_listen(
    const char *s, struct wk_listen *l, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s, *h;
	size_t hlen;
	unsigned port;

	memset(l, 0, sizeof(*l));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			goto bad;
		h = s + 1;
		hlen = (size_t)(close - h);
		if (close[1] == '\0')
			goto noport;
		if (close[1] != ':')
			goto bad;
		port_s = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (colon == NULL)
			goto noport;
		h = s;
		hlen = (size_t)(colon - s);
		if (memchr(h, ':', hlen) != NULL) {
			snprintf(err, errlen,
			    "IPv6 address in listen address \"%s\" must be in "
			    "brackets, e.g. [::1]:3128",
			    s);
			return -1;
		}
		port_s = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (port_s[0] == '\0')
		goto noport;
	if (wk_conf_parse_small(port_s, 65535, &port) || port == 0) {
		snprintf(err, errlen,
		    "invalid port in listen address \"%s\" (1 to 65535)", s);
		return -1;
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (void *)&l->addr;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		l->addrlen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (void *)&l->addr;

		if (strcasecmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		l->addrlen = sizeof(*sin);
	}
	l->text = wk_strdup(s);
	return 0;
noport:
	snprintf(err, errlen,
	    "missing port in listen address \"%s\" (expected ADDR:PORT)", s);
	return -1;
bad:
	snprintf(err, errlen,
	    "invalid listen address \"%s\" (expected IPv4:PORT, [IPv6]:PORT "
	    "or localhost:PORT)",
	    s);
	return -1;
}

/* "127.0.0.1:3128" or "[::1]:3128". */
static void
conf_fmt_listen(const struct wk_listen *l, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (l->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&l->addr;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const void *)&l->addr;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	}
}

static bool
conf_listen_same(const struct wk_listen *a, const struct wk_listen *b)
{
	char x[80], y[80];

	conf_fmt_listen(a, x, sizeof(x));
	conf_fmt_listen(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */

int
wk_conf_once(struct wk_conf_ctx *ctx, const void *key, const char *what,
    const struct wk_tok *t, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < ctx->n_seen; i++) {
		const struct conf_loc *l = &ctx->seen[i].loc;

		if (ctx->seen[i].key != key || ctx->seen[i].block != ctx->block)
			continue;
		snprintf(err, errlen,
		    "duplicate \"%s\" (already set at %s:%u:%u)", what, l->file,
		    l->line, l->col);
		return -1;
	}
	ctx->seen =
	    wk_realloc(ctx->seen, (ctx->n_seen + 1) * sizeof(*ctx->seen));
	ctx->seen[ctx->n_seen].key = key;
	ctx->seen[ctx->n_seen].block = ctx->block;
	ctx->seen[ctx->n_seen].loc.file = t->file;
	ctx->seen[ctx->n_seen].loc.line = t->line;
	ctx->seen[ctx->n_seen].loc.col = t->col;
	ctx->n_seen++;
	return 0;
}

int
wk_conf_bad(struct wk_conf_ctx *ctx, size_t arg)
{
	ctx->err_arg = arg;
	return -1;
}

static int
kw_include(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	(void)err;
	(void)errlen;
	if (wk_lex_include(ctx->lx, &args->argv[1], args->argv[1].text))
		return wk_conf_bad(ctx, 1); /* reported by the lexer */
	return 0;
}

static const char *const conf_listen_proto_names[WK_LISTEN_PROTO_COUNT] = {
	[WK_LISTEN_AUTO] = "auto",
	[WK_LISTEN_HTTP] = "http",
	[WK_LISTEN_SOCKS] = "socks",
};

static int
kw_listen(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	struct wk_config *c = ctx->c;
	const struct wk_tok *t = &args->argv[1];
	struct wk_listen l;
	char text[80];
	size_t i;

	if (wk_conf_parse_listen(t->text, &l, err, errlen))
		return wk_conf_bad(ctx, 1);
	if (args->argc > 2) {
		int p = wk_conf_pick("listen protocol", args->argv[2].text,
		    conf_listen_proto_names, WK_LISTEN_PROTO_COUNT, err,
		    errlen);

		if (p < 0) {
			free(l.text);
			return wk_conf_bad(ctx, 2);
		}
		l.proto = (enum wk_listen_proto)p;
	}
	for (i = 0; i < c->n_listens; i++) {
		const struct conf_loc *loc = &ctx->listen_locs[i];

		if (!conf_listen_same(&c->listens[i], &l))
			continue;
		conf_fmt_listen(&l, text, sizeof(text));
		snprintf(err, errlen,
		    "duplicate listen address %s (already at %s:%u:%u)", text,
		    loc->file, loc->line, loc->col);
		free(l.text);
		return wk_conf_bad(ctx, 1);
	}
	conf_add_listen(c, &l);
	ctx->listen_locs = wk_realloc(
	    ctx->listen_locs, c->n_listens * sizeof(*ctx->listen_locs));
	ctx->listen_locs[c->n_listens - 1].file = t->file;
	ctx->listen_locs[c->n_listens - 1].line = t->line;
	ctx->listen_locs[c->n_listens - 1].col = t->col;
	return 0;
}

static int
kw_workers(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const char *s = args->argv[1].text;
	unsigned n;

	if (strcmp(s, "auto") == 0) {
		ctx->c->workers = 0;
		return 0;
	}
	if (wk_conf_parse_small(s, CONF_MAX_WORKERS, &n) || n == 0) {
		snprintf(err, errlen,
		    "invalid number of workers \"%s\" (1 to %u, or auto)", s,
		    CONF_MAX_WORKERS);
		return wk_conf_bad(ctx, 1);
	}
	ctx->c->workers = n;
	return 0;
}

static int
kw_state_dir(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	const char *s = args->argv[1].text;

	if (s[0] == '\0') {
		snprintf(err, errlen, "empty state-dir path");
		return wk_conf_bad(ctx, 1);
	}
	free(ctx->c->state_dir);
	ctx->c->state_dir = wk_strdup(s);
	return 0;
}

/* RFC 9110 token characters: the pseudonym of a Via entry. */
static bool
conf_is_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch));
}

static int
kw_via(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const char *s = args->argv[1].text;
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (!conf_is_tchar((unsigned char)s[i]))
			break;
	if (n == 0 || n > CONF_MAX_VIA || i < n) {
		snprintf(err, errlen,
		    "invalid via name \"%s\" (1 to %u letters, digits or "
		    "!#$%%&'*+-.^_`|~)",
		    s, CONF_MAX_VIA);
		return wk_conf_bad(ctx, 1);
	}
	free(ctx->c->via_name);
	ctx->c->via_name = wk_strdup(s);
	return 0;
}

/* timeout NAME DURATION */
struct conf_timeout {
	const char *name;
	size_t off; /* of the unsigned in struct wk_config */
	uint64_t min_ms;
	uint64_t max_ms;
};

#define CONF_T(n, f, lo, hi)                                                   \
	{                                                                      \
		n, offsetof(struct wk_config, timeout.f), lo, hi               \
	}
static const struct conf_timeout conf_timeouts[] = {
	CONF_T("connect", connect_ms, 1, 3600 * 1000),
	CONF_T("header-read", header_read_ms, 1, 3600 * 1000),
	CONF_T("keepalive", keepalive_ms, 1, 24 * 3600 * 1000),
	CONF_T("upstream-response", upstream_response_ms, 1, 24 * 3600 * 1000),
	CONF_T("tunnel-idle", tunnel_idle_ms, 1, 24 * 3600 * 1000),
	CONF_T("shutdown", shutdown_ms, 0, 3600 * 1000),
	CONF_T("pool-idle", pool_idle_ms, 1, 24 * 3600 * 1000),
	CONF_T("pac", pac_ms, 10, 60 * 1000),
	CONF_T("pac-cache", pac_cache_ms, 0, 24 * 3600 * 1000),
};
#undef CONF_T

static const char *const conf_timeout_names[] = { "connect", "header-read",
	"keepalive", "upstream-response", "tunnel-idle", "shutdown",
	"pool-idle", "pac", "pac-cache" };
_Static_assert(WK_ARRAY_LEN(conf_timeout_names) == WK_ARRAY_LEN(conf_timeouts),
    "timeout names");

static int
kw_timeout(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const struct conf_timeout *t;
	const char *s = args->argv[2].text;
	char what[64], lo[32], hi[32];
	uint64_t ms = 0;
	int i, rc;

	i = wk_conf_pick("timeout", args->argv[1].text, conf_timeout_names,
	    WK_ARRAY_LEN(conf_timeout_names), err, errlen);
	if (i < 0)
		return wk_conf_bad(ctx, 1);
	t = &conf_timeouts[i];
	snprintf(what, sizeof(what), "timeout %s", t->name);
	if (wk_conf_once(ctx, t, what, &args->argv[0], err, errlen))
		return -1;
	rc = wk_conf_parse_duration(s, &ms);
	if (rc == -1) {
		snprintf(err, errlen,
		    "invalid duration \"%s\" (expected a number with unit ms, "
		    "s, m or h, e.g. 10s)",
		    s);
		return wk_conf_bad(ctx, 2);
	}
	if (rc == -2 || ms < t->min_ms || ms > t->max_ms) {
		wk_conf_fmt_duration(t->min_ms, lo, sizeof(lo));
		wk_conf_fmt_duration(t->max_ms, hi, sizeof(hi));
		snprintf(err, errlen, "%s \"%s\" out of range (%s to %s)", what,
		    s, lo, hi);
		return wk_conf_bad(ctx, 2);
	}
	*(unsigned *)(void *)((char *)ctx->c + t->off) = (unsigned)ms;
	return 0;
}

/* limit NAME N */
struct conf_limit {
	const char *name;
	size_t off; /* of the size_t in struct wk_config */
	uint64_t min;
	uint64_t max;
};

#define CONF_L(n, f, lo, hi)                                                   \
	{                                                                      \
		n, offsetof(struct wk_config, limit.f), lo, hi                 \
	}
static const struct conf_limit conf_limits[] = {
	CONF_L("request-line", request_line, 64, 1024 * 1024),
	CONF_L("header-bytes", header_bytes, 1024, 16 * 1024 * 1024),
	CONF_L("header-count", header_count, 1, 10000),
	CONF_L("connections", connections, 1, 1024 * 1024),
	CONF_L("pac-heap", pac_heap, 1024 * 1024, 1024 * 1024 * 1024),
	CONF_L("cookies", cookies, 100, 10 * 1000 * 1000),
	CONF_L("decoded-size", decoded_size, 64 * 1024, (uint64_t)1 << 40),
	CONF_L("decoded-ratio", decoded_ratio, 2, 1000000),
	CONF_L("spool-memory", spool_memory, 0, 1024 * 1024 * 1024),
	CONF_L("spool-size", spool_size, 1024, (uint64_t)1 << 40),
};
#undef CONF_L

static const char *const conf_limit_names[] = { "request-line", "header-bytes",
	"header-count", "connections", "pac-heap", "cookies", "decoded-size",
	"decoded-ratio", "spool-memory", "spool-size" };
_Static_assert(
    WK_ARRAY_LEN(conf_limit_names) == WK_ARRAY_LEN(conf_limits), "limit names");

static int
kw_limit(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const struct conf_limit *l;
	const char *s = args->argv[2].text;
	char what[64], lo[32], hi[32];
	uint64_t v = 0;
	int i, rc;

	i = wk_conf_pick("limit", args->argv[1].text, conf_limit_names,
	    WK_ARRAY_LEN(conf_limit_names), err, errlen);
	if (i < 0)
		return wk_conf_bad(ctx, 1);
	l = &conf_limits[i];
	snprintf(what, sizeof(what), "limit %s", l->name);
	if (wk_conf_once(ctx, l, what, &args->argv[0], err, errlen))
		return -1;
	rc = conf_parse_size(s, &v);
	if (rc == -1) {
		snprintf(err, errlen,
		    "invalid number \"%s\" (expected digits with an optional k, m "
		    "or g suffix, e.g. 8k)",
		    s);
		return wk_conf_bad(ctx, 2);
	}
	if (rc == -2 || v < l->min || v > l->max) {
		conf_fmt_size(l->min, lo, sizeof(lo));
		conf_fmt_size(l->max, hi, sizeof(hi));
		snprintf(err, errlen, "%s \"%s\" out of range (%s to %s)", what,
		    s, lo, hi);
		return wk_conf_bad(ctx, 2);
	}
	*(size_t *)(void *)((char *)ctx->c + l->off) = (size_t)v;
	return 0;
}

/* log level|error|access|access-format VALUE */
enum conf_log_what {
	CONF_LOG_LEVEL = 0, /* log level NAME */
	CONF_LOG_ERROR,	    /* log error stderr|syslog|PATH */
	CONF_LOG_ACCESS,    /* log access PATH|-|off */
	CONF_LOG_FORMAT,    /* log access-format text|json */
	CONF_LOG_COUNT
};

static const char *const conf_log_names[CONF_LOG_COUNT] = {
	[CONF_LOG_LEVEL] = "level",
	[CONF_LOG_ERROR] = "error",
	[CONF_LOG_ACCESS] = "access",
	[CONF_LOG_FORMAT] = "access-format",
};

static int
kw_log(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	struct wk_config *c = ctx->c;
	const char *s = args->argv[2].text;
	char what[64];
	int i, v;

	i = wk_conf_pick("log setting", args->argv[1].text, conf_log_names,
	    CONF_LOG_COUNT, err, errlen);
	if (i < 0)
		return wk_conf_bad(ctx, 1);
	snprintf(what, sizeof(what), "log %s", conf_log_names[i]);
	if (wk_conf_once(
		ctx, &conf_log_names[i], what, &args->argv[0], err, errlen))
		return -1;
	switch ((enum conf_log_what)i) {
	case CONF_LOG_LEVEL:
		v = wk_conf_pick("log level", s, log_level_names,
		    WK_LOG_LEVEL_COUNT, err, errlen);
		if (v < 0)
			return wk_conf_bad(ctx, 2);
		c->log.level = (enum wk_log_level)v;
		return 0;
	case CONF_LOG_FORMAT:
		v = wk_conf_pick("access log format", s, access_format_names,
		    WK_ACCESS_FORMAT_COUNT, err, errlen);
		if (v < 0)
			return wk_conf_bad(ctx, 2);
		c->log.access_format = (enum wk_access_format)v;
		return 0;
	case CONF_LOG_ERROR:
	case CONF_LOG_ACCESS:
	case CONF_LOG_COUNT:
		break;
	}
	if (s[0] == '\0') {
		snprintf(err, errlen, "empty log path");
		return wk_conf_bad(ctx, 2);
	}
	if (i == CONF_LOG_ERROR) {
		free(c->log.error_target);
		c->log.error_target = wk_strdup(s);
	} else {
		wk_free(c->log.access_path);
		if (strcmp(s, "off") != 0)
			c->log.access_path = wk_strdup(s);
	}
	return 0;
}

/* users FILE: relative to the folder of the file that says it. */
static int
kw_users(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const struct wk_tok *t = &args->argv[1];
	const char *slash = strrchr(t->file, '/');

	(void)err, (void)errlen;
	free(ctx->c->users_file);
	if (t->text[0] == '/' || slash == NULL)
		ctx->c->users_file = wk_strdup(t->text);
	else
		ctx->c->users_file = wk_asprintf(
		    "%.*s/%s", (int)(slash - t->file), t->file, t->text);
	return 0;
}

/* tls-ca-file PATH | tls-ca-dir PATH: what origins' certificates are
 * checked against, besides the system store. Relative to the file. */
static int
kw_tls_ca(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const struct wk_tok *t = &args->argv[1];
	const char *slash = strrchr(t->file, '/');
	char **dst = strcmp(args->argv[0].text, "tls-ca-file") == 0 ?
	    &ctx->c->tls.ca_file :
	    &ctx->c->tls.ca_dir;

	(void)err, (void)errlen;
	free(*dst);
	if (t->text[0] == '/' || slash == NULL)
		*dst = wk_strdup(t->text);
	else
		*dst = wk_asprintf(
		    "%.*s/%s", (int)(slash - t->file), t->file, t->text);
	return 0;
}

/* The top-level directives. */
static const struct wk_conf_kw conf_main_kws[] = {
	{ .section = WK_SEC_MAIN,
	    .name = "tls-ca-file",
	    .handler = kw_tls_ca,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "tls-ca-file PATH" },
	{ .section = WK_SEC_MAIN,
	    .name = "tls-ca-dir",
	    .handler = kw_tls_ca,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "tls-ca-dir PATH" },
	{ .section = WK_SEC_MAIN,
	    .name = "users",
	    .handler = kw_users,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "users FILE" },
	{ .section = WK_SEC_MAIN,
	    .name = "include",
	    .handler = kw_include,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ANY,
	    .usage = "include PATH" },
	{ .section = WK_SEC_MAIN,
	    .name = "listen",
	    .handler = kw_listen,
	    .min_args = 1,
	    .max_args = 2,
	    .usage = "listen ADDR:PORT [auto|http|socks]" },
	{ .section = WK_SEC_MAIN,
	    .name = "workers",
	    .handler = kw_workers,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "workers N|auto" },
	{ .section = WK_SEC_MAIN,
	    .name = "state-dir",
	    .handler = kw_state_dir,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "state-dir PATH" },
	{ .section = WK_SEC_MAIN,
	    .name = "via",
	    .handler = kw_via,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "via NAME" },
	{ .section = WK_SEC_MAIN,
	    .name = "timeout",
	    .handler = kw_timeout,
	    .min_args = 2,
	    .max_args = 2,
	    .usage = "timeout NAME DURATION" },
	{ .section = WK_SEC_MAIN,
	    .name = "limit",
	    .handler = kw_limit,
	    .min_args = 2,
	    .max_args = 2,
	    .usage = "limit NAME N" },
	{ .section = WK_SEC_MAIN,
	    .name = "log",
	    .handler = kw_log,
	    .min_args = 2,
	    .max_args = 2,
	    .usage = "log SETTING VALUE" },
};

static const struct wk_conf_kw_list conf_main_list = { conf_main_kws,
	WK_ARRAY_LEN(conf_main_kws) };

/* Every keyword table, explicitly (no constructor magic). */
static const struct wk_conf_kw_list *const conf_kw_lists[] = {
	&conf_main_list,
	&wk_conf_upstream_list,
	&wk_conf_acl_list,
	&wk_conf_route_list,
	&wk_conf_zone_list,
	&wk_conf_dial_list,
};

/* ------------------------------------------------------------------ */
/* The parser                                                          */

static const struct wk_conf_kw *
conf_lookup(enum wk_conf_sec sec, const char *name)
{
	size_t i, j;

	for (i = 0; i < WK_ARRAY_LEN(conf_kw_lists); i++) {
		for (j = 0; j < conf_kw_lists[i]->n; j++) {
			const struct wk_conf_kw *kw = &conf_kw_lists[i]->kws[j];

			if ((kw->section == sec || (kw->flags & WK_KW_ANY)) &&
			    strcmp(kw->name, name) == 0)
				return kw;
		}
	}
	return NULL;
}

static void
conf_unknown_directive(
    enum wk_conf_sec sec, const char *name, char *err, size_t errlen)
{
	const char *cands[64];
	size_t i, j, n = 0;

	for (i = 0; i < WK_ARRAY_LEN(conf_kw_lists); i++) {
		for (j = 0; j < conf_kw_lists[i]->n; j++) {
			const struct wk_conf_kw *kw = &conf_kw_lists[i]->kws[j];

			if ((kw->section == sec || (kw->flags & WK_KW_ANY)) &&
			    n < WK_ARRAY_LEN(cands))
				cands[n++] = kw->name;
		}
	}
	conf_unknown("directive", name, cands, n, false, err, errlen);
}

static void
conf_error_at(struct wk_conf_ctx *ctx, const struct wk_tok *t, const char *msg)
{
	wk_lex_error(ctx->lx, t->file, t->line, t->col, "%s", msg);
}

/* Skips the body of a block whose "{" was just read (braces come balanced
 * from the lexer). */
static void
conf_skip_block(struct wk_conf_ctx *ctx)
{
	struct wk_tok t;
	size_t depth = 1;

	while (depth > 0) {
		wk_lex_next(ctx->lx, &t);
		if (t.type == WK_TOK_EOF)
			depth = 0;
		else if (t.type == WK_TOK_LBRACE)
			depth++;
		else if (t.type == WK_TOK_RBRACE)
			depth--;
		wk_tok_clear(&t);
	}
}

static void conf_parse_body(
    struct wk_conf_ctx *ctx, enum wk_conf_sec sec, unsigned depth);

/* Checks and runs one statement; block: a "{" followed it. */
static void
conf_dispatch(struct wk_conf_ctx *ctx, enum wk_conf_sec sec,
    const struct wk_tok *argv, size_t argc, bool block, unsigned depth)
{
	const struct wk_conf_kw *kw = conf_lookup(sec, argv[0].text);
	struct wk_conf_args args = { argc, argv };
	char err[CONF_ERRLEN];
	unsigned nargs = (unsigned)argc - 1;
	void *saved = ctx->block;

	err[0] = '\0';
	if (kw == NULL) {
		conf_unknown_directive(sec, argv[0].text, err, sizeof(err));
		goto fail;
	}
	if (block && !(kw->flags & WK_KW_BLOCK)) {
		snprintf(err, sizeof(err),
		    "directive \"%s\" does not take a "
		    "block",
		    kw->name);
		goto fail;
	}
	if (!block && (kw->flags & WK_KW_BLOCK)) {
		snprintf(err, sizeof(err),
		    "directive \"%s\" needs a block "
		    "(usage: %s { ... })",
		    kw->name, kw->usage);
		goto fail;
	}
	if (nargs < kw->min_args || nargs > kw->max_args) {
		if (kw->min_args == kw->max_args)
			snprintf(err, sizeof(err),
			    "directive \"%s\" takes %u argument%s, got %u "
			    "(usage: %s)",
			    kw->name, kw->min_args,
			    kw->min_args == 1 ? "" : "s", nargs, kw->usage);
		else
			snprintf(err, sizeof(err),
			    "directive \"%s\" takes %u to %u arguments, got %u "
			    "(usage: %s)",
			    kw->name, kw->min_args, kw->max_args, nargs,
			    kw->usage);
		goto fail;
	}
	if ((kw->flags & WK_KW_ONCE) &&
	    wk_conf_once(ctx, kw, kw->name, &argv[0], err, sizeof(err)))
		goto fail;
	if (block && depth + 1 > CONF_MAX_NESTING) {
		snprintf(err, sizeof(err),
		    "blocks nested too deeply (limit %u)", CONF_MAX_NESTING);
		goto fail;
	}
	ctx->err_arg = 0;
	if (kw->handler(ctx, &args, err, sizeof(err)) != 0)
		goto fail_handler;
	if (block) {
		conf_parse_body(ctx, kw->body, depth + 1);
		if (kw->end != NULL && kw->end(ctx, err, sizeof(err)) != 0 &&
		    err[0] != '\0')
			conf_error_at(ctx, &argv[0], err);
	}
	ctx->block = saved;
	return;
fail_handler:
	ctx->block = saved;
	if (err[0] == '\0') /* already reported */
		goto skip;
	conf_error_at(ctx, &argv[WK_MIN(ctx->err_arg, argc - 1)], err);
	goto skip;
fail:
	conf_error_at(ctx, &argv[0], err);
skip:
	if (block)
		conf_skip_block(ctx);
}

/* Parses statements until the end of input or the "}" closing this body. */
static void
conf_parse_body(struct wk_conf_ctx *ctx, enum wk_conf_sec sec, unsigned depth)
{
	struct wk_tok argv[CONF_MAX_ARGS + 1];
	struct wk_tok t;
	size_t argc, i;
	unsigned nerr;
	bool block, toomany;

	for (;;) {
		wk_lex_next(ctx->lx, &t);
		switch (t.type) {
		case WK_TOK_END:
			wk_tok_clear(&t);
			continue;
		case WK_TOK_EOF:
			wk_tok_clear(&t);
			return;
		case WK_TOK_RBRACE:
			wk_tok_clear(&t);
			if (depth > 0)
				return;
			continue; /* not reached: the lexer balances */
		case WK_TOK_LBRACE:
			conf_error_at(ctx, &t,
			    "unexpected \"{\" (a block needs a directive "
			    "before it on the same line)");
			wk_tok_clear(&t);
			conf_skip_block(ctx);
			continue;
		case WK_TOK_WORD:
		case WK_TOK_STRING:
		case WK_TOK_TYPE_COUNT:
			break;
		}
		nerr = wk_lex_errors(ctx->lx);
		argv[0] = t;
		argc = 1;
		block = toomany = false;
		for (;;) {
			wk_lex_next(ctx->lx, &t);
			if (t.type == WK_TOK_WORD || t.type == WK_TOK_STRING) {
				if (argc < WK_ARRAY_LEN(argv)) {
					argv[argc++] = t;
					continue;
				}
				if (!toomany)
					conf_error_at(
					    ctx, &t, "too many arguments");
				toomany = true;
				wk_tok_clear(&t);
				continue;
			}
			if (t.type == WK_TOK_LBRACE)
				block = true;
			if (t.type == WK_TOK_RBRACE || t.type == WK_TOK_EOF)
				wk_lex_unget(ctx->lx, &t);
			else
				wk_tok_clear(&t);
			break;
		}
		/* A lexer error inside the statement already explains it. */
		if (wk_lex_errors(ctx->lx) == nerr)
			conf_dispatch(ctx, sec, argv, argc, block, depth);
		else if (block)
			conf_skip_block(ctx);
		for (i = 0; i < argc; i++)
			wk_tok_clear(&argv[i]);
	}
}

/* Parses what lx holds, then applies ov. */
static struct wk_config *
conf_parse(struct wk_lex *lx, const char *name,
    const struct wk_conf_overrides *ov, FILE *errs)
{
	struct wk_conf_ctx ctx;
	struct wk_config *c = conf_new();
	char err[CONF_ERRLEN];

	memset(&ctx, 0, sizeof(ctx));
	ctx.c = c;
	ctx.lx = lx;
	conf_parse_body(&ctx, WK_SEC_MAIN, 0);
	wk_conf_routes_finish(&ctx);
	free(ctx.seen);
	free(ctx.listen_locs);
	free(ctx.upstream_locs);
	if (wk_lex_errors(lx) > 0) {
		conf_free(c);
		return NULL;
	}
	if (c->n_listens == 0) {
		struct wk_listen l;

		WK_BUG_ON(wk_conf_parse_listen(
			      CONF_DEFAULT_LISTEN, &l, err, sizeof(err)) != 0);
		conf_add_listen(c, &l);
	}
	c->path = wk_strdup(name);
	if (wk_conf_apply_overrides(c, ov, err, sizeof(err))) {
		if (errs != NULL)
			fprintf(errs, "wicket: error: %s\n", err);
		conf_free(c);
		return NULL;
	}
	return c;
}

struct wk_config *
wk_conf_load(const char *path, const struct wk_conf_overrides *ov, FILE *errs)
{
	struct wk_lex *lx = wk_lex_new(errs, 0);
	struct wk_config *c = NULL;

	if (wk_lex_push_file(lx, path) == 0)
		c = conf_parse(lx, path, ov, errs);
	wk_lex_free(lx);
	return c;
}

struct wk_config *
wk_conf_parse_flags(const char *name, const char *text, size_t len,
    unsigned flags, const struct wk_conf_overrides *ov, FILE *errs)
{
	struct wk_lex *lx;
	struct wk_config *c;

	lx = wk_lex_new(
	    errs, (flags & WK_CONF_F_NO_INCLUDE) ? WK_LEX_F_NO_INCLUDE : 0);
	wk_lex_push_buf(lx, name, text, len);
	c = conf_parse(lx, name, ov, errs);
	wk_lex_free(lx);
	return c;
}

struct wk_config *
wk_conf_parse_string(const char *name, const char *text, size_t len,
    const struct wk_conf_overrides *ov, FILE *errs)
{
	return wk_conf_parse_flags(name, text, len, 0, ov, errs);
}

int
wk_conf_apply_overrides(struct wk_config *c, const struct wk_conf_overrides *ov,
    char *err, size_t errlen)
{
	struct wk_listen *ls;
	char msg[CONF_ERRLEN];
	size_t i, j;

	if (ov == NULL)
		return 0;
	if (ov->state_dir != NULL && ov->state_dir[0] == '\0') {
		snprintf(err, errlen, "--state-dir: empty path");
		return -1;
	}
	if (ov->n_listens > 0) {
		ls = wk_calloc(ov->n_listens, sizeof(*ls));
		for (i = 0; i < ov->n_listens; i++) {
			if (wk_conf_parse_listen(ov->listens[i], &ls[i], msg,
				sizeof(msg)) == 0) {
				for (j = 0; j < i; j++)
					if (conf_listen_same(&ls[j], &ls[i]))
						break;
				if (j == i)
					continue;
				snprintf(msg, sizeof(msg),
				    "duplicate listen address \"%s\"",
				    ov->listens[i]);
				i++; /* ls[i] is set: free it too */
			}
			snprintf(err, errlen, "--listen: %s", msg);
			for (j = 0; j < i; j++)
				free(ls[j].text);
			free(ls);
			return -1;
		}
		for (i = 0; i < c->n_listens; i++)
			free(c->listens[i].text);
		free(c->listens);
		c->listens = ls;
		c->n_listens = ov->n_listens;
	}
	if (ov->state_dir != NULL) {
		free(c->state_dir);
		c->state_dir = wk_strdup(ov->state_dir);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dump                                                                */

/* Prints s as a word, or quoted when it would not read back as one. */
void
wk_conf_put_word(FILE *out, const char *s)
{
	const char *p;
	bool quote = s[0] == '\0' || s[0] == '#';

	for (p = s; *p != '\0' && !quote; p++)
		quote = strchr(" \t\r\n;{}\"\\", *p) != NULL;
	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

void
wk_conf_dump(const struct wk_config *c, FILE *out)
{
	char buf[80];
	size_t i;

	for (i = 0; i < c->n_listens; i++) {
		conf_fmt_listen(&c->listens[i], buf, sizeof(buf));
		fprintf(out, "listen %s", buf);
		if (c->listens[i].proto != WK_LISTEN_AUTO)
			fprintf(out, " %s",
			    conf_listen_proto_names[c->listens[i].proto]);
		fputc('\n', out);
	}
	wk_conf_upstreams_dump(c, out);
	wk_conf_routes_dump(c, out);
	wk_conf_dial_dump(c, out);
	if (c->tls.ca_file != NULL) {
		fputs("tls-ca-file ", out);
		wk_conf_put_word(out, c->tls.ca_file);
		fputc('\n', out);
	}
	if (c->tls.ca_dir != NULL) {
		fputs("tls-ca-dir ", out);
		wk_conf_put_word(out, c->tls.ca_dir);
		fputc('\n', out);
	}
	if (c->users_file != NULL) {
		fputs("users ", out);
		wk_conf_put_word(out, c->users_file);
		fputc('\n', out);
	}
	wk_conf_acl_dump(c, out);
	if (c->workers == 0)
		fprintf(out, "workers auto\n");
	else
		fprintf(out, "workers %u\n", c->workers);
	if (c->state_dir != NULL) {
		fputs("state-dir ", out);
		wk_conf_put_word(out, c->state_dir);
		fputc('\n', out);
	}
	fputs("via ", out);
	wk_conf_put_word(out, c->via_name);
	fputc('\n', out);
	for (i = 0; i < WK_ARRAY_LEN(conf_timeouts); i++) {
		const struct conf_timeout *t = &conf_timeouts[i];

		wk_conf_fmt_duration(
		    *(const unsigned *)(const void *)((const char *)c + t->off),
		    buf, sizeof(buf));
		fprintf(out, "timeout %s %s\n", t->name, buf);
	}
	for (i = 0; i < WK_ARRAY_LEN(conf_limits); i++) {
		const struct conf_limit *l = &conf_limits[i];

		conf_fmt_size(
		    *(const size_t *)(const void *)((const char *)c + l->off),
		    buf, sizeof(buf));
		fprintf(out, "limit %s %s\n", l->name, buf);
	}
	fprintf(out, "log level %s\n", wk_log_level_name(c->log.level));
	fputs("log error ", out);
	wk_conf_put_word(out, c->log.error_target);
	fputc('\n', out);
	fputs("log access ", out);
	wk_conf_put_word(out, c->log.access_path ? c->log.access_path : "off");
	fputc('\n', out);
	fprintf(out, "log access-format %s\n",
	    (unsigned)c->log.access_format < WK_ACCESS_FORMAT_COUNT ?
		access_format_names[c->log.access_format] :
		"?");
}
