/* src/config/conf_upstream.c: `upstream NAME { KIND HOST:PORT; user U;
 * password P }` blocks: other proxies wicket forwards through. */
#include "core/wk.h"

#include <sys/stat.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf-int.h"
#include "config/conf.h"
#include "core/alloc.h"
#include "core/idna.h"

static const char *const conf_upstream_kinds[WK_UPSTREAM_KIND_COUNT] = {
	[WK_UPSTREAM_HTTP] = "http",
	[WK_UPSTREAM_HTTPS] = "https",
	[WK_UPSTREAM_SOCKS4] = "socks4",
	[WK_UPSTREAM_SOCKS4A] = "socks4a",
	[WK_UPSTREAM_SOCKS5] = "socks5",
};

const char *
wk_upstream_kind_name(enum wk_upstream_kind k)
{
	return (unsigned)k < WK_UPSTREAM_KIND_COUNT ? conf_upstream_kinds[k] :
						      "?";
}

const struct wk_upstream *
wk_conf_upstream(const struct wk_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_upstreams; i++)
		if (strcmp(c->upstreams[i].name, name) == 0)
			return &c->upstreams[i];
	return NULL;
}

static struct wk_upstream *
conf_cur_upstream(struct wk_conf_ctx *ctx)
{
	size_t idx = (size_t)(uintptr_t)ctx->block;

	return idx == 0 ? NULL : &ctx->c->upstreams[idx - 1];
}

static bool
conf_is_name_char(unsigned char ch)
{
	return isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
}

/* upstream NAME { ... } */
static int
kw_upstream(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	struct wk_config *c = ctx->c;
	const char *name = args->argv[1].text;
	const struct wk_upstream *dup = wk_conf_upstream(c, name);

	for (const char *p = name; *p != '\0'; p++)
		if (!conf_is_name_char((unsigned char)*p)) {
			snprintf(err, errlen,
			    "invalid upstream name \"%s\" (letters, digits, "
			    "'-', '_' and '.')",
			    name);
			return wk_conf_bad(ctx, 1);
		}
	if (strcmp(name, "direct") == 0) {
		snprintf(err, errlen,
		    "\"direct\" is reserved (it means no "
		    "upstream in a route)");
		return wk_conf_bad(ctx, 1);
	}
	if (dup != NULL) {
		const struct wk_conf_word *l =
		    &ctx->upstream_locs[dup - c->upstreams];
		snprintf(err, errlen,
		    "duplicate upstream \"%s\" (already at %s:%u:%u)", name,
		    l->file, l->line, l->col);
		return wk_conf_bad(ctx, 1);
	}
	c->upstreams = wk_realloc(
	    c->upstreams, (c->n_upstreams + 1) * sizeof(*c->upstreams));
	ctx->upstream_locs = wk_realloc(ctx->upstream_locs,
	    (c->n_upstreams + 1) * sizeof(*ctx->upstream_locs));
	memset(&c->upstreams[c->n_upstreams], 0, sizeof(*c->upstreams));
	c->upstreams[c->n_upstreams].name = wk_strdup(name);
	c->upstreams[c->n_upstreams].kind = WK_UPSTREAM_KIND_COUNT; /* unset */
	ctx->upstream_locs[c->n_upstreams].file = args->argv[0].file;
	ctx->upstream_locs[c->n_upstreams].line = args->argv[0].line;
	ctx->upstream_locs[c->n_upstreams].col = args->argv[0].col;
	c->n_upstreams++;
	ctx->block = (void *)(uintptr_t)c->n_upstreams;
	return 0;
}

static int
conf_upstream_end(struct wk_conf_ctx *ctx, char *err, size_t errlen)
{
	struct wk_upstream *u = conf_cur_upstream(ctx);

	if (u == NULL)
		return 0;
	if (u->kind == WK_UPSTREAM_KIND_COUNT) {
		snprintf(err, errlen,
		    "upstream \"%s\" needs an address: http, https, socks4, "
		    "socks4a or socks5 HOST:PORT",
		    u->name);
		u->kind = WK_UPSTREAM_HTTP;
		return -1;
	}
	if (u->password != NULL && u->user == NULL) {
		snprintf(err, errlen,
		    "upstream \"%s\" has a password but no user", u->name);
		return -1;
	}
	if (u->password != NULL &&
	    (u->kind == WK_UPSTREAM_SOCKS4 || u->kind == WK_UPSTREAM_SOCKS4A)) {
		snprintf(err, errlen,
		    "upstream \"%s\": SOCKS4 has a user id but no password",
		    u->name);
		return -1;
	}
	return 0;
}

/* Inside an upstream block: KIND HOST:PORT. */
static int
kw_up_address(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	struct wk_upstream *u = conf_cur_upstream(ctx);
	const char *s = args->argv[1].text, *colon, *hs = s;
	char host[WK_HOST_MAX], why[160];
	size_t hl;
	unsigned port;
	int k;

	k = wk_conf_pick("upstream kind", args->argv[0].text,
	    conf_upstream_kinds, WK_UPSTREAM_KIND_COUNT, err, errlen);
	if (k < 0 || u == NULL)
		return -1;
	if (u->kind != WK_UPSTREAM_KIND_COUNT) {
		snprintf(err, errlen,
		    "upstream \"%s\" already has an address (one per block)",
		    u->name);
		return -1;
	}
	/* an address was given: a bad one is its own error, not also a
	 * missing one at the end of the block */
	u->kind = (enum wk_upstream_kind)k;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':') {
			snprintf(
			    err, errlen, "expected [IPv6]:PORT, got \"%s\"", s);
			return wk_conf_bad(ctx, 1);
		}
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || colon == s) {
			snprintf(
			    err, errlen, "expected HOST:PORT, got \"%s\"", s);
			return wk_conf_bad(ctx, 1);
		}
		hl = (size_t)(colon - s);
	}
	if (wk_conf_parse_small(colon + 1, 65535, &port) != 0 || port == 0) {
		snprintf(
		    err, errlen, "invalid port \"%s\" (1 to 65535)", colon + 1);
		return wk_conf_bad(ctx, 1);
	}
	if (wk_idna_host(hs, hl, false, host, why, sizeof(why)) < 0) {
		snprintf(
		    err, errlen, "invalid host \"%.*s\": %s", (int)hl, hs, why);
		return wk_conf_bad(ctx, 1);
	}
	u->kind = (enum wk_upstream_kind)k;
	u->host = wk_strdup(host);
	u->port = (uint16_t)port;
	return 0;
}

/* A file that holds a password must be readable by its owner only. */
static int
conf_check_secrecy(const char *file, char *err, size_t errlen)
{
	struct stat st;

	if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		    "%s holds a password but others can read it (chmod 600)",
		    file);
		return -1;
	}
	return 0;
}

static int
kw_up_credential(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	struct wk_upstream *u = conf_cur_upstream(ctx);
	const char *v = args->argv[1].text;
	bool is_pass = strcmp(args->argv[0].text, "password") == 0;
	char **dst;

	if (u == NULL)
		return -1;
	if (strlen(v) > 255) {
		snprintf(err, errlen, "%s longer than 255 bytes",
		    is_pass ? "password" : "user");
		return wk_conf_bad(ctx, 1);
	}
	if (is_pass && conf_check_secrecy(args->argv[1].file, err, errlen))
		return wk_conf_bad(ctx, 1);
	dst = is_pass ? &u->password : &u->user;
	if (*dst != NULL) {
		snprintf(err, errlen, "duplicate \"%s\" in upstream \"%s\"",
		    args->argv[0].text, u->name);
		return -1;
	}
	*dst = wk_strdup(v);
	return 0;
}

static const struct wk_conf_kw conf_upstream_kws[] = {
	{ .section = WK_SEC_MAIN,
	    .name = "upstream",
	    .handler = kw_upstream,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_BLOCK,
	    .usage = "upstream NAME",
	    .body = WK_SEC_UPSTREAM,
	    .end = conf_upstream_end },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "http",
	    .handler = kw_up_address,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "http HOST:PORT" },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "https",
	    .handler = kw_up_address,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "https HOST:PORT" },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "socks4",
	    .handler = kw_up_address,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "socks4 HOST:PORT" },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "socks4a",
	    .handler = kw_up_address,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "socks4a HOST:PORT" },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "socks5",
	    .handler = kw_up_address,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "socks5 HOST:PORT" },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "user",
	    .handler = kw_up_credential,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "user NAME" },
	{ .section = WK_SEC_UPSTREAM,
	    .name = "password",
	    .handler = kw_up_credential,
	    .min_args = 1,
	    .max_args = 1,
	    .usage = "password SECRET" },
};

const struct wk_conf_kw_list wk_conf_upstream_list = { conf_upstream_kws,
	WK_ARRAY_LEN(conf_upstream_kws) };

void
wk_conf_upstreams_dump(const struct wk_config *c, FILE *out)
{
	size_t i;

	for (i = 0; i < c->n_upstreams; i++) {
		const struct wk_upstream *u = &c->upstreams[i];
		bool v6 = strchr(u->host, ':') != NULL;

		fprintf(out, "upstream %s {\n\t%s %s%s%s:%u\n", u->name,
		    wk_upstream_kind_name(u->kind), v6 ? "[" : "", u->host,
		    v6 ? "]" : "", u->port);
		if (u->user != NULL) {
			fputs("\tuser ", out);
			wk_conf_put_word(out, u->user);
			fputc('\n', out);
		}
		if (u->password != NULL) {
			fputs("\tpassword ", out);
			wk_conf_put_word(out, u->password);
			fputc('\n', out);
		}
		fputs("}\n", out);
	}
}
