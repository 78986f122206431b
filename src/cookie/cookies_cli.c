/* src/cookie/cookies_cli.c: `wicket cookies ...`, working on
 * STATE_DIR/wicket.db directly, so it works while the daemon runs (which
 * sees the changes within a second): list, get, set, delete, clear,
 * import and export (Netscape cookies.txt, as curl and wget use). */
#include "core/wk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "cookie/cookie.h"
#include "cookie/cookies_cli.h"
#include "cookie/cookies_txt.h"
#include "cookie/jar.h"
#include "cookie/jar_store.h"
#include "core/alloc.h"
#include "core/idna.h"

#define CLI_FILE_MAX (64 * 1024 * 1024)

static int64_t
cli_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Splits URL into host (A-label), path and https. */
static int
cli_url(const char *url, char *host, char **path, bool *https, FILE *err)
{
	const char *h, *end, *colon;
	char why[160];

	if (strncasecmp(url, "https://", 8) == 0) {
		*https = true;
		h = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*https = false;
		h = url + 7;
	} else {
		fprintf(err,
		    "wicket: expected an http:// or https:// URL, got "
		    "\"%s\"\n",
		    url);
		return -1;
	}
	end = h + strcspn(h, "/?#");
	colon = memchr(h, ':', (size_t)(end - h));
	if (h[0] == '[')
		colon = memchr(h, ']', (size_t)(end - h)) ?
		    memchr(memchr(h, ']', (size_t)(end - h)), ':',
			(size_t)(end -
			    (const char *)memchr(h, ']', (size_t)(end - h)))) :
		    NULL;
	if (wk_idna_host(h[0] == '[' ? h + 1 : h,
		(size_t)((colon ? colon : end) - h) - (h[0] == '[' ? 2 : 0),
		true, host, why, sizeof(why)) < 0) {
		fprintf(err, "wicket: bad host in \"%s\": %s\n", url, why);
		return -1;
	}
	*path = wk_strndup(
	    end[0] == '/' ? end : "/", end[0] == '/' ? strcspn(end, "?#") : 1);
	return 0;
}

static struct wk_jar_store *
cli_open(const char *state_dir, FILE *err)
{
	char e[512], *path = wk_asprintf("%s/wicket.db", state_dir);
	struct wk_jar_store *st = wk_jar_store_open(path, e, sizeof(e));

	if (st == NULL)
		fprintf(err, "wicket: %s: %s\n", path, e);
	free(path);
	return st;
}

struct cli_list {
	FILE *out;
	const char *domain;
	bool json;
	size_t n;
};

static void
cli_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static bool
cli_domain_match(const char *domain, const char *want)
{
	size_t dl = strlen(domain), wl = strlen(want);

	return want == NULL || strcmp(domain, want) == 0 ||
	    (dl > wl && domain[dl - wl - 1] == '.' &&
		strcmp(domain + dl - wl, want) == 0);
}

static void
cli_list_cb(void *arg, const struct wk_cookie *c)
{
	static const char *const ss[] = { "", "None", "Lax", "Strict" };
	struct cli_list *l = arg;

	if (l->domain != NULL && !cli_domain_match(c->domain, l->domain))
		return;
	if (l->json) {
		fprintf(l->out, "%s{\"name\":", l->n ? ",\n " : "[");
		cli_json_str(l->out, c->name);
		fputs(",\"value\":", l->out);
		cli_json_str(l->out, c->value);
		fputs(",\"domain\":", l->out);
		cli_json_str(l->out, c->domain);
		fputs(",\"path\":", l->out);
		cli_json_str(l->out, c->path);
		fprintf(l->out,
		    ",\"expires\":%lld,\"host_only\":%s,\"secure\":%s,"
		    "\"http_only\":%s,\"same_site\":\"%s\"}",
		    (long long)c->expiry_s, c->host_only ? "true" : "false",
		    c->secure ? "true" : "false",
		    c->http_only ? "true" : "false",
		    (unsigned)c->same_site < 4 ? ss[c->same_site] : "");
	} else {
		fprintf(l->out, "%s%s\t%s\t%s=%s\t%lld%s%s\n",
		    c->host_only ? "" : ".", c->domain, c->path, c->name,
		    c->value, (long long)c->expiry_s,
		    c->secure ? "\tSecure" : "",
		    c->http_only ? "\tHttpOnly" : "");
	}
	l->n++;
}

static void
cli_jar_cb(void *arg, const struct wk_cookie *c)
{
	wk_jar_insert(arg, c);
}

static void
cli_export_cb(void *arg, const struct wk_cookie *c)
{
	wk_cookies_txt_write(arg, c);
}

struct cli_import {
	struct wk_jar_store *st;
	unsigned stored, session, failed;
};

static void
cli_import_cb(void *arg, const struct wk_cookie *c)
{
	struct cli_import *im = arg;

	if (!c->persistent) {
		im->session++; /* session cookies live in a daemon's memory */
		return;
	}
	if (wk_jar_store_upsert_now(im->st, c) == 0)
		im->stored++;
	else
		im->failed++;
}

static void
cli_upsert_cb(void *arg, const struct wk_cookie *c)
{
	wk_jar_store_upsert_now(arg, c);
}

/* The cookies `delete DOMAIN [NAME [PATH]]` names: collected, then
 * deleted by their exact keys. */
struct cli_delete {
	const char *domain, *name, *path;
	struct wk_cookie *found;
	size_t n, cap;
};

static void
cli_delete_cb(void *arg, const struct wk_cookie *c)
{
	struct cli_delete *d = arg;

	if (strcmp(c->domain, d->domain) != 0 ||
	    (d->name != NULL && strcmp(c->name, d->name) != 0) ||
	    (d->path != NULL && strcmp(c->path, d->path) != 0))
		return;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->found = wk_realloc(d->found, d->cap * sizeof(*d->found));
	}
	memset(&d->found[d->n], 0, sizeof(d->found[0]));
	wk_cookie_copy(&d->found[d->n++], c);
}

static char *
cli_read_file(const char *path, size_t *len, FILE *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t cap = 65536, n = 0, got;
	char *buf;

	if (f == NULL) {
		fprintf(err, "wicket: cannot open %s\n", path);
		return NULL;
	}
	buf = wk_malloc(cap);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= CLI_FILE_MAX)
				break;
			cap *= 2;
			buf = wk_realloc(buf, cap);
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

int
wk_cookies_cli(
    const char *state_dir, int argc, char **argv, FILE *out, FILE *err)
{
	struct wk_jar_store *st;
	const char *cmd = argc > 0 ? argv[0] : "";
	int rc = 0;

	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "get") != 0 &&
	    strcmp(cmd, "set") != 0 && strcmp(cmd, "delete") != 0 &&
	    strcmp(cmd, "clear") != 0 && strcmp(cmd, "import") != 0 &&
	    strcmp(cmd, "export") != 0) {
		fprintf(err,
		    "usage: wicket cookies list [--domain D] [--json] "
		    "| get URL | set URL 'SET-COOKIE' | delete DOMAIN "
		    "[NAME [PATH]] | clear | import FILE | export FILE\n");
		return 2;
	}
	st = cli_open(state_dir, err);
	if (st == NULL)
		return 1;
	if (strcmp(cmd, "list") == 0) {
		struct cli_list l = { .out = out };

		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				l.json = true;
			else if (strcmp(argv[i], "--domain") == 0 &&
			    i + 1 < argc)
				l.domain = argv[++i];
			else {
				fprintf(err,
				    "wicket: cookies list: unexpected "
				    "\"%s\"\n",
				    argv[i]);
				rc = 2;
				goto out;
			}
		}
		wk_jar_store_for_each(st, cli_list_cb, &l);
		if (l.json)
			fputs(l.n ? "]\n" : "[]\n", out);
	} else if (strcmp(cmd, "get") == 0 || strcmp(cmd, "set") == 0) {
		char host[WK_HOST_MAX], *path = NULL, hdr[65536];
		struct wk_jar *j;
		bool https;

		if (argc != (strcmp(cmd, "get") == 0 ? 2 : 3)) {
			rc = 2;
			goto out;
		}
		if (cli_url(argv[1], host, &path, &https, err) < 0) {
			rc = 1;
			goto out;
		}
		j = wk_jar_new(NULL);
		if (strcmp(cmd, "get") == 0) {
			wk_jar_store_for_each(st, cli_jar_cb, j);
			if (wk_jar_cookie_header(j, host, path, https, NULL,
				cli_now_us(), hdr, sizeof(hdr)) > 0)
				fprintf(out, "%s\n", hdr);
		} else if (wk_jar_set_from_header(j, host, path, https, argv[2],
			       strlen(argv[2]), cli_now_us(),
			       WK_JAR_STORE_NORMAL) != WK_JAR_SET_STORED) {
			fprintf(err,
			    "wicket: the cookie was refused (see RFC "
			    "6265bis: domain, prefixes, Secure)\n");
			rc = 1;
		} else {
			wk_jar_enumerate(j, cli_upsert_cb, st);
		}
		wk_jar_free(j);
		free(path);
	} else if (strcmp(cmd, "delete") == 0) {
		if (argc < 2 || argc > 4) {
			rc = 2;
			goto out;
		}
		struct cli_delete d = { .domain = argv[1],
			.name = argc > 2 ? argv[2] : NULL,
			.path = argc > 3 ? argv[3] : NULL };
		int n = 0;

		wk_jar_store_for_each(st, cli_delete_cb, &d);
		for (size_t i = 0; i < d.n; i++) {
			if (wk_jar_store_delete_now(st, d.found[i].domain,
				d.found[i].path, d.found[i].name) > 0)
				n++;
			wk_cookie_clear(&d.found[i]);
		}
		free(d.found);
		fprintf(out, "%d deleted\n", n);
	} else if (strcmp(cmd, "clear") == 0) {
		fprintf(out, "%d deleted\n", wk_jar_store_clear_now(st));
	} else if (strcmp(cmd, "import") == 0) {
		struct cli_import im = { .st = st };
		struct wk_cookies_txt_stats stats;
		char e[256];
		size_t len;
		char *text;

		if (argc != 2) {
			rc = 2;
			goto out;
		}
		text = cli_read_file(argv[1], &len, err);
		if (text == NULL) {
			rc = 1;
			goto out;
		}
		wk_cookies_txt_parse(
		    text, len, cli_import_cb, &im, &stats, e, sizeof(e));
		free(text);
		fprintf(out, "%u imported, %u session cookies skipped",
		    im.stored, im.session);
		if (stats.bad > 0)
			fprintf(out, ", %u bad lines (%s)", stats.bad, e);
		fputc('\n', out);
		rc = im.failed > 0 ? 1 : 0;
	} else {
		FILE *f;

		if (argc != 2) {
			rc = 2;
			goto out;
		}
		f = strcmp(argv[1], "-") == 0 ? out : fopen(argv[1], "w");
		if (f == NULL) {
			fprintf(err, "wicket: cannot write %s\n", argv[1]);
			rc = 1;
			goto out;
		}
		wk_cookies_txt_write_header(f);
		wk_jar_store_for_each(st, cli_export_cb, f);
		if (f != out && fclose(f) != 0)
			rc = 1;
	}
out:
	wk_jar_store_close(st);
	return rc;
}
