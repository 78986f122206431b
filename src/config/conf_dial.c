/* src/config/conf_dial.c: the `dial { ... }` block: the command that
 * brings the network up (words, never a shell line), its time bound, the
 * hold-off after a failure, and which failures run it. */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf-int.h"
#include "config/conf.h"
#include "core/alloc.h"
#include "upstream/connector.h"

/* The failures `on` may name, as enum wk_conn_err bits. */
static const struct {
	const char *name;
	enum wk_conn_err err;
} dial_ons[] = {
	{ "unreachable", WK_CONN_UNREACH },
	{ "dns", WK_CONN_DNS },
	{ "dns-timeout", WK_CONN_DNS_TIMEOUT },
	{ "refused", WK_CONN_REFUSED },
	{ "timeout", WK_CONN_TIMEOUT },
};

static int
kw_dial(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	(void)args, (void)err, (void)errlen;
	ctx->block = (void *)(uintptr_t)1;
	return 0;
}

static int
dial_end(struct wk_conf_ctx *ctx, char *err, size_t errlen)
{
	if (ctx->c->dial.argc == 0) {
		snprintf(err, errlen,
		    "dial needs a command (command PROGRAM [ARG...])");
		return -1;
	}
	return 0;
}

static int
kw_dial_command(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	struct wk_config *c = ctx->c;

	if (args->argv[1].text[0] == '\0') {
		snprintf(err, errlen, "empty program name");
		return wk_conf_bad(ctx, 1);
	}
	c->dial.argv = wk_calloc(args->argc, sizeof(*c->dial.argv));
	for (size_t i = 1; i < args->argc; i++)
		c->dial.argv[i - 1] = wk_strdup(args->argv[i].text);
	c->dial.argc = args->argc - 1;
	return 0;
}

static int
kw_dial_duration(struct wk_conf_ctx *ctx, const struct wk_conf_args *args,
    char *err, size_t errlen)
{
	bool hold = strcmp(args->argv[0].text, "hold-off") == 0;
	uint64_t ms = 0;
	int rc = wk_conf_parse_duration(args->argv[1].text, &ms);

	if (rc < 0 || ms > 24ull * 3600 * 1000 || (!hold && ms == 0)) {
		snprintf(err, errlen,
		    "invalid %s \"%s\" (a duration such as 30s, at most 24h%s)",
		    args->argv[0].text, args->argv[1].text,
		    hold ? "" : ", not 0");
		return wk_conf_bad(ctx, 1);
	}
	if (hold)
		ctx->c->dial.holdoff_ms = (unsigned)ms;
	else
		ctx->c->dial.timeout_ms = (unsigned)ms;
	return 0;
}

static int
kw_dial_on(struct wk_conf_ctx *ctx, const struct wk_conf_args *args, char *err,
    size_t errlen)
{
	const char *names[WK_ARRAY_LEN(dial_ons)];
	unsigned on = 0;

	for (size_t j = 0; j < WK_ARRAY_LEN(dial_ons); j++)
		names[j] = dial_ons[j].name;
	for (size_t i = 1; i < args->argc; i++) {
		int k = wk_conf_pick("dial failure", args->argv[i].text, names,
		    WK_ARRAY_LEN(names), err, errlen);

		if (k < 0)
			return wk_conf_bad(ctx, i);
		on |= 1u << dial_ons[k].err;
	}
	ctx->c->dial.on = on;
	return 0;
}

void
wk_conf_dial_dump(const struct wk_config *c, FILE *out)
{
	char buf[64];

	if (c->dial.argc == 0)
		return;
	fputs("dial {\n\tcommand", out);
	for (size_t i = 0; i < c->dial.argc; i++)
		fprintf(out, " \"%s\"", c->dial.argv[i]);
	wk_conf_fmt_duration(c->dial.timeout_ms, buf, sizeof(buf));
	fprintf(out, "\n\ttimeout %s\n", buf);
	wk_conf_fmt_duration(c->dial.holdoff_ms, buf, sizeof(buf));
	fprintf(out, "\thold-off %s\n\ton", buf);
	for (size_t j = 0; j < WK_ARRAY_LEN(dial_ons); j++)
		if (c->dial.on & (1u << dial_ons[j].err))
			fprintf(out, " %s", dial_ons[j].name);
	fputs("\n}\n", out);
}

static const struct wk_conf_kw dial_kws[] = {
	{ .section = WK_SEC_MAIN,
	    .name = "dial",
	    .handler = kw_dial,
	    .min_args = 0,
	    .max_args = 0,
	    .flags = WK_KW_BLOCK | WK_KW_ONCE,
	    .usage = "dial { command PROGRAM [ARG...] }",
	    .body = WK_SEC_DIAL,
	    .end = dial_end },
	{ .section = WK_SEC_DIAL,
	    .name = "command",
	    .handler = kw_dial_command,
	    .min_args = 1,
	    .max_args = 31,
	    .flags = WK_KW_ONCE,
	    .usage = "command PROGRAM [ARG...]" },
	{ .section = WK_SEC_DIAL,
	    .name = "timeout",
	    .handler = kw_dial_duration,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "timeout DURATION" },
	{ .section = WK_SEC_DIAL,
	    .name = "hold-off",
	    .handler = kw_dial_duration,
	    .min_args = 1,
	    .max_args = 1,
	    .flags = WK_KW_ONCE,
	    .usage = "hold-off DURATION" },
	{ .section = WK_SEC_DIAL,
	    .name = "on",
	    .handler = kw_dial_on,
	    .min_args = 1,
	    .max_args = 5,
	    .flags = WK_KW_ONCE,
	    .usage = "on unreachable|dns|dns-timeout|refused|timeout ..." },
};

const struct wk_conf_kw_list wk_conf_dial_list = { dial_kws,
	WK_ARRAY_LEN(dial_kws) };
