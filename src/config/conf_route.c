/* src/config/conf_route.c: where requests go: `route`, `pac`,
 * `pac-fallback` and `zone NAME { ... }` blocks. Route words name
 * upstreams that may be defined later in the file, so they are resolved
 * once the whole file has been read. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf-int.h"
#include "config/conf.h"
#include "config/lex.h"
#include "core/alloc.h"
#include "zone/zone.h"

#define ROUTE_MAX_HOPS 16

static struct wk_zones *
route_zones(struct wk_config *c)
{
	if (c->zones == NULL)
		c->zones = wk_calloc(1, sizeof(*c->zones));
	return c->zones;
}

/* Keeps the words of args[1..] for owner. */
static void
route_keep_words(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    enum wk_conf_route_owner owner, size_t zone)
{
	struct wk_conf_route_words *rw;

	ctx->routes =
	    wk_realloc(ctx->routes, (ctx->n_routes + 1) * sizeof(*ctx->routes));
	rw = &ctx->routes[ctx->n_routes++];
	rw->owner = owner;
	rw->zone = zone;
	rw->n = args->argc - 1;
	rw->w = wk_calloc(rw->n, sizeof(*rw->w));
	for (size_t i = 1; i < args->argc; i++) {
		rw->w[i - 1].text = wk_strdup(args->argv[i].text);
		rw->w[i - 1].file = args->argv[i].file;
		rw->w[i - 1].line = args->argv[i].line;
		rw->w[i - 1].col = args->argv[i].col;
	}
}

/* route direct|NAME...|pac */
static int
kw_route(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	(void)err, (void)errlen;
	route_keep_words(ctx, args, WK_CONF_ROUTE_MAIN, 0);
	return 0;
}

static int
kw_pac_fallback(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	(void)err, (void)errlen;
	route_keep_words(ctx, args, WK_CONF_ROUTE_PAC_FALLBACK, 0);
	return 0;
}

/* pac file:///PATH | http://HOST[:PORT]/PATH */
static int
kw_pac(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const char *u = args->argv[1].text;

	if (strncmp(u, "file:///", 8) != 0 && strncmp(u, "http://", 7) != 0) {
		snprintf(err, errlen,
		    "pac URL must be file:///PATH or http://HOST/PATH, got "
		    "\"%s\"",
		    u);
		return wk_conf_bad(ctx, 1);
	}
	if (strncmp(u, "http://", 7) == 0 &&
	    (u[7] == '\0' || u[7] == '/' || strpbrk(u, " \t\r\n") != NULL)) {
		snprintf(err, errlen, "pac URL \"%s\" has no host", u);
		return wk_conf_bad(ctx, 1);
	}
	free(ctx->c->pac.url);
	ctx->c->pac.url = wk_strdup(u);
	return 0;
}

/* ------------------------------------------------------------------ */
/* zone NAME { ... }                                                   */

static struct wk_zone *
route_cur_zone(struct wk_conf_ctx *ctx)
{
	size_t idx = (size_t)(uintptr_t)ctx->block;

	if (idx == 0 || ctx->c->zones == NULL || idx > ctx->c->zones->n)
		return NULL;
	return &ctx->c->zones->zones[idx - 1];
}

static int
kw_zone(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	struct wk_zones *zs = route_zones(ctx->c);
	const char *name = args->argv[1].text;
	struct wk_zone *z;
	char where[512];

	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
			*p == '.')) {
			snprintf(err, errlen,
			    "invalid zone name \"%s\" (letters, digits, '-', "
			    "'_' and '.')",
			    name);
			return wk_conf_bad(ctx, 1);
		}
	for (size_t i = 0; i < zs->n; i++)
		if (strcmp(zs->zones[i].name, name) == 0) {
			const struct wk_conf_word *l = &ctx->zone_locs[i];

			snprintf(err, errlen,
			    "duplicate zone \"%s\" (already at %s:%u:%u)", name,
			    l->file, l->line, l->col);
			return wk_conf_bad(ctx, 1);
		}
	zs->zones = wk_realloc(zs->zones, (zs->n + 1) * sizeof(*zs->zones));
	ctx->zone_locs =
	    wk_realloc(ctx->zone_locs, (zs->n + 1) * sizeof(*ctx->zone_locs));
	z = &zs->zones[zs->n];
	memset(z, 0, sizeof(*z));
	z->name = wk_strdup(name);
	snprintf(where, sizeof(where), "%s:%u", args->argv[0].file,
	    args->argv[0].line);
	z->where = wk_strdup(where);
	ctx->zone_locs[zs->n].text = NULL;
	ctx->zone_locs[zs->n].file = args->argv[0].file;
	ctx->zone_locs[zs->n].line = args->argv[0].line;
	ctx->zone_locs[zs->n].col = args->argv[0].col;
	zs->n++;
	ctx->block = (void *)(uintptr_t)zs->n;
	ctx->zone_errors = wk_lex_errors(ctx->lx);
	return 0;
}

static int
route_zone_end(struct wk_conf_ctx *ctx, char *err, size_t errlen)
{
	struct wk_zone *z = route_cur_zone(ctx);

	if (z == NULL)
		return 0;
	if (strcmp(z->name, "default") == 0 && z->n_terms > 0) {
		snprintf(err, errlen,
		    "zone \"default\" takes no match: it is the zone of what "
		    "no other zone matches");
		return -1;
	}
	if (strcmp(z->name, "default") != 0 && z->n_terms == 0 &&
	    wk_lex_errors(ctx->lx) == ctx->zone_errors) {
		snprintf(err, errlen,
		    "zone \"%s\" has no match terms (match HOST|*.SUFFIX|"
		    ".DOMAIN|PATTERN|CIDR[:PORT] ...)",
		    z->name);
		return -1;
	}
	return 0;
}

/* match TERM... */
static int
kw_zone_match(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	struct wk_zone *z = route_cur_zone(ctx);
	char where[512], why[256];

	if (z == NULL)
		return -1;
	for (size_t i = 1; i < args->argc; i++) {
		struct wk_zone_term t;

		snprintf(where, sizeof(where), "%s:%u", args->argv[i].file,
		    args->argv[i].line);
		if (wk_zone_term_parse(
			args->argv[i].text, where, &t, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s", why);
			return wk_conf_bad(ctx, i);
		}
		z->terms =
		    wk_realloc(z->terms, (z->n_terms + 1) * sizeof(*z->terms));
		z->terms[z->n_terms++] = t;
	}
	return 0;
}

static int
kw_zone_route(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	struct wk_zone *z = route_cur_zone(ctx);

	(void)err, (void)errlen;
	if (z == NULL)
		return -1;
	z->has_route = true;
	route_keep_words(
	    ctx, args, WK_CONF_ROUTE_ZONE, (size_t)(z - ctx->c->zones->zones));
	return 0;
}

static const char *const route_on_off[] = { "off", "on" };

/* The one-word policies: action, cookies, credentials, intercept,
 * tls-verify, decompress, compress-upstream, http10, log. */
static int
kw_zone_policy(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	static const char *const actions[] = { "allow", "deny" };
	static const char *const cookies[] = { "on", "off", "session-only",
		"jar-only" };
	static const char *const creds[] = { "auto", "prompt", "never" };
	static const char *const decomp[] = { "auto", "always", "never" };
	static const char *const logs[] = { "meta", "none", "full" };
	struct wk_zone *z = route_cur_zone(ctx);
	const char *what = args->argv[0].text, *v = args->argv[1].text;
	int i;

	if (z == NULL)
		return -1;
#define ZONE_PICK(names, field, type)                                          \
	do {                                                                   \
		i = wk_conf_pick(                                              \
		    what, v, names, WK_ARRAY_LEN(names), err, errlen);         \
		if (i < 0)                                                     \
			return wk_conf_bad(ctx, 1);                            \
		z->field = (type)i;                                            \
	} while (0)
	if (strcmp(what, "action") == 0)
		ZONE_PICK(actions, action, enum wk_zone_action);
	else if (strcmp(what, "cookies") == 0)
		ZONE_PICK(cookies, cookies, enum wk_zone_cookies);
	else if (strcmp(what, "credentials") == 0)
		ZONE_PICK(creds, credentials, enum wk_zone_creds);
	else if (strcmp(what, "intercept") == 0)
		ZONE_PICK(route_on_off, intercept, bool);
	else if (strcmp(what, "tls-verify") == 0) {
		ZONE_PICK(route_on_off, tls_noverify, bool);
		z->tls_noverify = !z->tls_noverify;
	} else if (strcmp(what, "decompress") == 0)
		ZONE_PICK(decomp, decompress, enum wk_zone_decompress);
	else if (strcmp(what, "compress-upstream") == 0)
		ZONE_PICK(route_on_off, compress_upstream, bool);
	else if (strcmp(what, "http10") == 0)
		ZONE_PICK(route_on_off, http10, bool);
	else
		ZONE_PICK(logs, log, enum wk_zone_log);
#undef ZONE_PICK
	return 0;
}

/* ------------------------------------------------------------------ */
/* The end of the file                                                 */

/* Turns words into hops; errors at the words. */
static void
route_build(struct wk_conf_ctx *ctx, const struct wk_conf_route_words *rw,
    struct wk_route *out, bool allow_pac)
{
	struct wk_config *c = ctx->c;

	free(out->hops);
	memset(out, 0, sizeof(*out));
	if (rw->n == 1 && strcmp(rw->w[0].text, "pac") == 0) {
		if (!allow_pac)
			wk_lex_error(ctx->lx, rw->w[0].file, rw->w[0].line,
			    rw->w[0].col,
			    "pac-fallback cannot be \"pac\" (it is used when "
			    "the script fails)");
		else if (c->pac.url == NULL)
			wk_lex_error(ctx->lx, rw->w[0].file, rw->w[0].line,
			    rw->w[0].col,
			    "route pac needs a `pac URL` directive");
		out->pac = true;
		return;
	}
	if (rw->n > ROUTE_MAX_HOPS) {
		wk_lex_error(ctx->lx, rw->w[0].file, rw->w[0].line,
		    rw->w[0].col, "a route has at most %d hops",
		    ROUTE_MAX_HOPS);
		return;
	}
	out->hops = wk_calloc(rw->n, sizeof(*out->hops));
	out->n_hops = rw->n;
	for (size_t i = 0; i < rw->n; i++) {
		const struct wk_conf_word *w = &rw->w[i];
		const char *cands[64];
		const char *near;
		size_t n = 0;

		if (strcmp(w->text, "direct") == 0)
			continue;
		out->hops[i] = wk_conf_upstream(c, w->text);
		if (out->hops[i] != NULL)
			continue;
		if (strcmp(w->text, "pac") == 0) {
			wk_lex_error(ctx->lx, w->file, w->line, w->col,
			    "\"pac\" stands alone in a route (the script "
			    "gives the hops)");
			continue;
		}
		for (size_t j = 0; j < c->n_upstreams && n < 62; j++)
			cands[n++] = c->upstreams[j].name;
		cands[n++] = "direct";
		if (allow_pac)
			cands[n++] = "pac";
		near = wk_conf_suggest(w->text, cands, n);
		wk_lex_error(ctx->lx, w->file, w->line, w->col,
		    "unknown upstream \"%s\" in route%s%s%s", w->text,
		    near ? " (did you mean \"" : "", near ? near : "",
		    near ? "\"?)" : "");
	}
}

void
wk_conf_routes_finish(struct wk_conf_ctx *ctx)
{
	struct wk_config *c = ctx->c;
	struct wk_zones *zs = route_zones(c);

	for (size_t i = 0; i < ctx->n_routes; i++) {
		const struct wk_conf_route_words *rw = &ctx->routes[i];

		switch (rw->owner) {
		case WK_CONF_ROUTE_MAIN:
			route_build(ctx, rw, &c->route, true);
			break;
		case WK_CONF_ROUTE_PAC_FALLBACK:
			route_build(ctx, rw, &c->pac.fallback, false);
			c->pac.has_fallback = true;
			break;
		case WK_CONF_ROUTE_ZONE:
			route_build(ctx, rw, &zs->zones[rw->zone].route, true);
			break;
		}
		for (size_t j = 0; j < rw->n; j++)
			free(rw->w[j].text);
		free(rw->w);
	}
	free(ctx->routes);
	ctx->routes = NULL;
	ctx->n_routes = 0;
	free(ctx->zone_locs);
	ctx->zone_locs = NULL;
	wk_zones_finish(zs);
}

/* ------------------------------------------------------------------ */
/* Dump                                                                */

static void
route_dump_hops(FILE *out, const char *directive, const struct wk_route *r)
{
	fputs(directive, out);
	if (r->pac)
		fputs(" pac", out);
	else if (r->n_hops == 0)
		fputs(" direct", out);
	for (size_t i = 0; i < r->n_hops; i++)
		fprintf(out, " %s", r->hops[i] ? r->hops[i]->name : "direct");
	fputc('\n', out);
}

void
wk_conf_routes_dump(const struct wk_config *c, FILE *out)
{
	const struct wk_zones *zs = c->zones;

	if (c->route.n_hops > 0 || c->route.pac)
		route_dump_hops(out, "route", &c->route);
	if (c->pac.url != NULL)
		fprintf(out, "pac \"%s\"\n", c->pac.url);
	if (c->pac.has_fallback)
		route_dump_hops(out, "pac-fallback", &c->pac.fallback);
	for (size_t i = 0; zs != NULL && i < zs->n; i++) {
		const struct wk_zone *z = &zs->zones[i];

		fprintf(out, "zone %s {\n", z->name);
		if (z->n_terms > 0) {
			fputs("\tmatch", out);
			for (size_t j = 0; j < z->n_terms; j++)
				fprintf(out, " \"%s\"", z->terms[j].text);
			fputc('\n', out);
		}
		fprintf(out, "\taction %s\n", wk_zone_action_name(z->action));
		if (z->has_route)
			route_dump_hops(out, "\troute", &z->route);
		fprintf(
		    out, "\tcookies %s\n", wk_zone_cookies_name(z->cookies));
		fprintf(out, "\tcredentials %s\n",
		    wk_zone_creds_name(z->credentials));
		fprintf(out, "\tintercept %s\n", route_on_off[z->intercept]);
		if (z->tls_noverify)
			fputs("\ttls-verify off\n", out);
		fprintf(out, "\tdecompress %s\n",
		    wk_zone_decompress_name(z->decompress));
		if (z->compress_upstream)
			fputs("\tcompress-upstream on\n", out);
		if (z->http10)
			fputs("\thttp10 on\n", out);
		fprintf(out, "\tlog %s\n}\n", wk_zone_log_name(z->log));
	}
}

/* ------------------------------------------------------------------ */
/* Keyword tables                                                      */

static const struct wk_conf_kw route_kws[] = {
	{ .section = WK_SEC_MAIN,
	    .name = "route",
	    .handler = kw_route,
	    .min_args = 1,
	    .max_args = ROUTE_MAX_HOPS + 1,
	    .flags = WK_KW_ONCE,
	    .usage = "route direct|pac|UPSTREAM ..." },
	{ .section = WK_SEC_MAIN,
	    .name = "pac",
	    .handler = kw_pac,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "pac file:///PATH|http://HOST/PATH" },
	{ .section = WK_SEC_MAIN,
	    .name = "pac-fallback",
	    .handler = kw_pac_fallback,
	    .min_args = 1,
	    .max_args = ROUTE_MAX_HOPS + 1,
	    .flags = WK_KW_ONCE,
	    .usage = "pac-fallback direct|UPSTREAM ..." },
	{ .section = WK_SEC_MAIN,
	    .name = "zone",
	    .handler = kw_zone,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_BLOCK,
	    .usage = "zone NAME",
	    .body = WK_SEC_ZONE,
	    .end = route_zone_end },
};

const struct wk_conf_kw_list wk_conf_route_list = { route_kws,
	WK_ARRAY_LEN(route_kws) };

#define ZONE_POLICY(n, u)                                                      \
	{                                                                      \
		.section = WK_SEC_ZONE, .name = n, .handler = kw_zone_policy,  \
		.min_args = 1, .max_args = 1, .flags = WK_KW_ONCE, .usage = u  \
	}
static const struct wk_conf_kw zone_kws[] = {
	{ .section = WK_SEC_ZONE,
	    .name = "match",
	    .handler = kw_zone_match,
	    .min_args = 1,
	    .max_args = 31,
	    .usage = "match HOST|*.SUFFIX|.DOMAIN|PATTERN|CIDR[:PORT] ..." },
	{ .section = WK_SEC_ZONE,
	    .name = "route",
	    .handler = kw_zone_route,
	    .min_args = 1,
	    .max_args = ROUTE_MAX_HOPS + 1,
	    .flags = WK_KW_ONCE,
	    .usage = "route direct|pac|UPSTREAM ..." },
	ZONE_POLICY("action", "action allow|deny"),
	ZONE_POLICY("cookies", "cookies on|off|session-only|jar-only"),
	ZONE_POLICY("credentials", "credentials auto|prompt|never"),
	ZONE_POLICY("intercept", "intercept on|off"),
	ZONE_POLICY("tls-verify", "tls-verify on|off"),
	ZONE_POLICY("decompress", "decompress auto|always|never"),
	ZONE_POLICY("compress-upstream", "compress-upstream on|off"),
	ZONE_POLICY("http10", "http10 on|off"),
	ZONE_POLICY("log", "log meta|none|full"),
};
#undef ZONE_POLICY

const struct wk_conf_kw_list wk_conf_zone_list = { zone_kws,
	WK_ARRAY_LEN(zone_kws) };
