/* src/pac/pac_helper.c: the pac-helper process. Blocking reads and
 * writes are fine here: this process does nothing else, and the daemon
 * kills it when an answer is late. */
#include "core/wk.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "pac/pac_helper.h"
#include "pac/pac_js.h"

#if defined(__SANITIZE_ADDRESS__) || defined(WK_SANITIZERS)
#define PAC_HELPER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAC_HELPER_ASAN 1
#endif
#endif

#define PAC_HELPER_AS_MARGIN ((size_t)256 * 1024 * 1024)
#define PAC_HELPER_NOFILE 32
#define PAC_HELPER_ERR_MAX 1024

struct pac_reader {
	int fd;
	size_t start, end;
	char buf[8192];
};

struct pac_helper {
	int out_fd;
	bool write_failed;
	struct pac_reader in;
	char line[WK_PAC_HELPER_LINE_MAX + 1];
	char result[WK_PAC_HELPER_RESULT_MAX];
	char err[PAC_HELPER_ERR_MAX];
};

enum pac_line_res {
	PAC_LINE_ERROR = -1, /* read error */
	PAC_LINE_EOF = 0,    /* end of input (a partial line is dropped) */
	PAC_LINE_OK,	     /* a line, without its '\n' */
	PAC_LINE_TOO_LONG    /* skipped; its first bytes are kept */
};

/* Refills r; returns the bytes read, 0 at EOF, -1 on error. */
static ssize_t
pac_fill(struct pac_reader *r)
{
	ssize_t n;

	r->start = r->end = 0;
	do
		n = read(r->fd, r->buf, sizeof(r->buf));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->end = (size_t)n;
	return n;
}

/* The next line into line (cap bytes incl. the NUL), *len its length. */
static enum pac_line_res
pac_read_line(struct pac_reader *r, char *line, size_t cap, size_t *len)
{
	size_t n = 0;
	bool too_long = false;

	for (;;) {
		char *nl;
		size_t k, take;
		ssize_t got;

		if (r->start == r->end) {
			got = pac_fill(r);
			if (got < 0)
				return PAC_LINE_ERROR;
			if (got == 0)
				return PAC_LINE_EOF;
		}
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		k = nl != NULL ? (size_t)(nl - (r->buf + r->start)) :
				 r->end - r->start;
		take = WK_MIN(k, cap - 1 - n);
		if (take < k)
			too_long = true;
		memcpy(line + n, r->buf + r->start, take);
		n += take;
		r->start += k;
		if (nl != NULL) {
			r->start++;
			line[n] = '\0';
			*len = n;
			return too_long ? PAC_LINE_TOO_LONG : PAC_LINE_OK;
		}
	}
}

/* Exactly n bytes into dst (NULL: skip them); -1 on error or EOF. */
static int
pac_read_exact(struct pac_reader *r, char *dst, size_t n)
{
	while (n > 0) {
		size_t k;

		if (r->start == r->end && pac_fill(r) <= 0)
			return -1;
		k = WK_MIN(n, r->end - r->start);
		if (dst != NULL) {
			memcpy(dst, r->buf + r->start, k);
			dst += k;
		}
		r->start += k;
		n -= k;
	}
	return 0;
}

static void
pac_write(struct pac_helper *h, const char *p, size_t n)
{
	while (n > 0 && !h->write_failed) {
		ssize_t w = write(h->out_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			h->write_failed = true;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Writes text with '\t', '\n' and other control bytes as spaces. */
static void
pac_write_clean(struct pac_helper *h, const char *s, size_t max)
{
	char buf[256];
	size_t n = 0;

	for (size_t i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		if (n == sizeof(buf)) {
			pac_write(h, buf, n);
			n = 0;
		}
	}
	pac_write(h, buf, n);
}

/* Writes "HEAD" (as is) then "MSG" cleaned, then '\n'. */
static void
pac_answer(struct pac_helper *h, const char *head, const char *msg)
{
	pac_write(h, head, strlen(head));
	if (msg != NULL)
		pac_write_clean(h, msg, WK_PAC_HELPER_RESULT_MAX);
	pac_write(h, "\n", 1);
}

static void
pac_helper_alert(void *arg, const char *msg)
{
	struct pac_helper *h = arg;

	pac_write(h, "A\t", 2);
	pac_write_clean(h, msg, WK_PAC_HELPER_ALERT_MAX);
	pac_write(h, "\n", 1);
}

static void
pac_answer_id(struct pac_helper *h, const char *id, const char *msg)
{
	pac_write(h, "F\t", 2);
	pac_write_clean(h, id, WK_PAC_HELPER_LINE_MAX);
	pac_answer(h, "\terr\t", msg);
}

/* An unusable line: "F\tID..." is answered for that id, "L\t..." as a
 * load, anything else with "E". */
static void
pac_answer_bad(struct pac_helper *h, char *line, const char *msg)
{
	char *id_end;

	if (line[0] == 'F' && line[1] == '\t' &&
	    (id_end = strchr(line + 2, '\t')) != NULL && id_end > line + 2) {
		*id_end = '\0';
		pac_answer_id(h, line + 2, msg);
	} else if (line[0] == 'L' && line[1] == '\t')
		pac_answer(h, "L\terr\t", msg);
	else
		pac_answer(h, "E\terr\t", msg);
}

/* "L\tNAME\tLENGTH" (already split); reads the script. -1: input cut. */
static int
pac_do_load(struct pac_helper *h, struct wk_pac_js *js, const char *name,
    const char *lenstr, size_t heap_max)
{
	size_t len = 0;
	char *src;
	int rc;

	if (lenstr[0] == '\0' || strlen(lenstr) > 10 ||
	    strspn(lenstr, "0123456789") != strlen(lenstr)) {
		pac_answer(h, "L\terr\t", "bad script length");
		return 0;
	}
	len = (size_t)strtoull(lenstr, NULL, 10);
	if (len > heap_max) {
		if (pac_read_exact(&h->in, NULL, len) < 0)
			return -1;
		pac_answer(h, "L\terr\t", "script larger than the heap");
		return 0;
	}
	src = wk_malloc(len + 1);
	if (pac_read_exact(&h->in, src, len) < 0) {
		free(src);
		return -1;
	}
	src[len] = '\0';
	rc = wk_pac_js_load(js, name, src, len, h->err, sizeof(h->err));
	free(src);
	if (rc == 0)
		pac_answer(h, "L\tok", NULL);
	else
		pac_answer(h, "L\terr\t", h->err);
	return 0;
}

static void
pac_do_find(struct pac_helper *h, struct wk_pac_js *js, const char *id,
    const char *url, const char *host)
{
	int rc = wk_pac_js_find(js, url, host, h->result, sizeof(h->result),
	    h->err, sizeof(h->err));

	pac_write(h, "F\t", 2);
	pac_write_clean(h, id, WK_PAC_HELPER_LINE_MAX);
	if (rc == 0)
		pac_answer(h, "\tok\t", h->result);
	else
		pac_answer(h, "\terr\t", h->err);
}

/* Splits line at tabs into at most max fields; returns the count. */
static size_t
pac_split(char *line, char **f, size_t max)
{
	size_t n = 0;

	f[n++] = line;
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\t') {
			if (n == max)
				return max + 1;
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static void
pac_helper_limits(size_t heap_max)
{
	struct rlimit rl;

	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
#ifndef PAC_HELPER_ASAN
	/* ASan reserves terabytes of shadow memory up front, so an address
	 * space limit would make every later mapping fail */
	if (heap_max <= SIZE_MAX / 2 && getrlimit(RLIMIT_AS, &rl) == 0) {
		rlim_t want = (rlim_t)heap_max + PAC_HELPER_AS_MARGIN;

		if (rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max)
			rl.rlim_max = want;
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_AS, &rl);
	}
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > PAC_HELPER_NOFILE)
			rl.rlim_max = PAC_HELPER_NOFILE;
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
	/* a parent gone away is a write error, not a signal */
	signal(SIGPIPE, SIG_IGN);
}

int
wk_pac_helper_main(int in_fd, int out_fd, size_t heap_max)
{
	struct pac_helper *h = wk_calloc(1, sizeof(*h));
	struct wk_pac_js_hooks hooks = { 0 };
	struct wk_pac_js *js;
	int rc = -1;

	pac_helper_limits(heap_max);
	h->out_fd = out_fd;
	h->in.fd = in_fd;
	hooks.alert = pac_helper_alert;
	hooks.arg = h;
	js = wk_pac_js_new(heap_max, &hooks);
	while (!h->write_failed) {
		size_t len;
		enum pac_line_res lr =
		    pac_read_line(&h->in, h->line, sizeof(h->line), &len);
		char *f[5];
		size_t nf;

		if (lr == PAC_LINE_EOF) {
			rc = 0;
			break;
		}
		if (lr == PAC_LINE_ERROR)
			break;
		if (lr == PAC_LINE_TOO_LONG) {
			pac_answer_bad(h, h->line, "request line too long");
			continue;
		}
		if (memchr(h->line, '\0', len) != NULL) {
			pac_answer_bad(h, h->line, "NUL byte in request");
			continue;
		}
		if (len < 2 || h->line[1] != '\t' ||
		    (h->line[0] != 'L' && h->line[0] != 'F')) {
			pac_answer(h, "E\terr\t", "unknown request");
			continue;
		}
		nf = pac_split(h->line, f, h->line[0] == 'L' ? 3 : 4);
		if (h->line[0] == 'L') {
			if (nf != 3)
				pac_answer(h, "L\terr\t", "bad request");
			else if (pac_do_load(h, js, f[1], f[2], heap_max) < 0)
				break;
		} else if (f[1][0] == '\0' || nf < 2)
			pac_answer(h, "E\terr\t", "bad request");
		else if (nf != 4)
			pac_answer_id(h, f[1], "bad request");
		else
			pac_do_find(h, js, f[1], f[2], f[3]);
	}
	wk_pac_js_free(js);
	free(h);
	return rc;
}
