/* src/config/lex.c: the config tokenizer over a stack of included files
 * (OpenBSD parse.y `struct file`, without yacc). */
#include "core/wk.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/lex.h"
#include "core/alloc.h"
#include "core/bug.h"

#define LEX_MAX_GLOB 1024 /* files matched by one include pattern */

/* Where an unclosed "{" was opened. */
struct lex_pos {
	unsigned line;
	unsigned col;
};

/* One file (or buffer) being read; frames form the include stack. */
struct lex_frame {
	struct lex_frame *up; /* the including file, NULL at the top */
	unsigned depth;	      /* 0 for the top-level input */
	const char *name;     /* owned by the lexer's name list */
	char *dir;	      /* base of relative includes; NULL: cwd */
	char *buf;
	size_t len;
	size_t pos;
	unsigned line;
	unsigned col;
	bool has_id; /* dev/ino valid (files, not buffers) */
	dev_t dev;
	ino_t ino;

	struct lex_pos *braces; /* open "{" of this file */
	size_t n_braces;
	size_t cap_braces;
	size_t rbrace_owed; /* "}" to supply at the end of the file */
	bool eof_sent;	    /* the final END went out: pop on next read */

	bool has_peek; /* a token put back by wk_lex_unget */
	struct wk_tok peek;

	char **queue; /* files of the last include, read in order */
	size_t nq;
	size_t iq;
	const char *inc_file; /* where that include's pattern was */
	unsigned inc_line;
	unsigned inc_col;
};

struct wk_lex {
	FILE *errs;
	unsigned flags;
	unsigned nerr;
	bool gave_up;
	struct lex_frame *top;
	char **names; /* every file name handed out in tokens */
	size_t n_names;
	const char *eof_file; /* for the final EOF token */
	unsigned eof_line;
	unsigned eof_col;
};

static const char *const tok_names[WK_TOK_TYPE_COUNT] = {
	[WK_TOK_EOF] = "end of file",
	[WK_TOK_WORD] = "word",
	[WK_TOK_STRING] = "string",
	[WK_TOK_LBRACE] = "\"{\"",
	[WK_TOK_RBRACE] = "\"}\"",
	[WK_TOK_END] = "end of statement",
};

const char *
wk_tok_type_name(enum wk_tok_type type)
{
	if ((unsigned)type >= WK_TOK_TYPE_COUNT)
		return "?";
	return tok_names[type];
}

void
wk_tok_clear(struct wk_tok *t)
{
	wk_free(t->text);
	memset(t, 0, sizeof(*t));
}

struct wk_lex *
wk_lex_new(FILE *errs, unsigned flags)
{
	struct wk_lex *lx = wk_calloc(1, sizeof(*lx));

	lx->errs = errs;
	lx->flags = flags;
	lx->eof_file = "";
	return lx;
}

static const char *
lex_keep_name(struct wk_lex *lx, char *name)
{
	lx->names = wk_realloc(lx->names, (lx->n_names + 1) * sizeof(char *));
	lx->names[lx->n_names++] = name;
	return name;
}

static void
lex_frame_free(struct lex_frame *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nq; i++)
		free(f->queue[i]);
	free(f->queue);
	if (f->has_peek)
		wk_tok_clear(&f->peek);
	free(f->braces);
	free(f->buf);
	free(f->dir);
	free(f);
}

void
wk_lex_free_(struct wk_lex *lx)
{
	struct lex_frame *f;
	size_t i;

	if (lx == NULL)
		return;
	while ((f = lx->top) != NULL) {
		lx->top = f->up;
		lex_frame_free(f);
	}
	for (i = 0; i < lx->n_names; i++)
		free(lx->names[i]);
	free(lx->names);
	free(lx);
}

static void lex_verror(struct wk_lex *lx, const char *file, unsigned line,
    unsigned col, const char *fmt, va_list ap) WK_PRINTF(5, 0);

static void
lex_verror(struct wk_lex *lx, const char *file, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
	lx->nerr++;
	if (lx->errs == NULL)
		return;
	if (line > 0)
		fprintf(lx->errs, "%s:%u:%u: error: ", file, line, col);
	else
		fprintf(lx->errs, "%s: error: ", file);
	vfprintf(lx->errs, fmt, ap);
	fputc('\n', lx->errs);
}

void
wk_lex_error(struct wk_lex *lx, const char *file, unsigned line, unsigned col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lex_verror(lx, file, line, col, fmt, ap);
	va_end(ap);
}

unsigned
wk_lex_errors(const struct wk_lex *lx)
{
	return lx->nerr;
}

/* Directory part of path for relative includes; NULL when path has none. */
static char *
lex_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return wk_strdup("/");
	return wk_strndup(path, (size_t)(slash - path));
}

/* Reads a whole regular file of at most WK_LEX_MAX_FILE bytes. Returns 0, or
 * -1 with a message in err. Never blocks on FIFOs or devices. */
static int
lex_read_file(const char *path, char **bufp, size_t *lenp, struct stat *st,
    char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "is a directory");
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "not a regular file");
		goto out;
	}
	if (st->st_size > WK_LEX_MAX_FILE)
		goto toobig;
	buf = wk_malloc(WK_LEX_MAX_FILE + 2);
	for (;;) {
		n = read(fd, buf + len, WK_LEX_MAX_FILE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > WK_LEX_MAX_FILE)
			goto toobig;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	ret = 0;
	goto out;
toobig:
	snprintf(
	    err, errlen, "file is larger than %u KiB", WK_LEX_MAX_FILE / 1024);
out:
	free(buf);
	close(fd);
	return ret;
}

/* Makes a frame for buf (takes ownership) and pushes it. A NUL byte makes
 * the whole file an error. */
static struct lex_frame *
lex_push(struct wk_lex *lx, char *name, char *dir, char *buf, size_t len)
{
	struct lex_frame *f = wk_calloc(1, sizeof(*f));
	const char *nul;

	f->up = lx->top;
	f->depth = f->up ? f->up->depth + 1 : 0;
	f->name = lex_keep_name(lx, name);
	f->dir = dir;
	f->buf = buf;
	f->len = len;
	f->line = 1;
	f->col = 1;
	lx->top = f;
	nul = memchr(buf, '\0', len);
	if (nul != NULL) {
		unsigned line = 1, col = 1;
		const char *p;

		for (p = buf; p < nul; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		wk_lex_error(lx, f->name, line, col,
		    "file contains a NUL byte (not a text file?)");
		f->len = 0;
	}
	return f;
}

int
wk_lex_push_file(struct wk_lex *lx, const char *path)
{
	struct lex_frame *f;
	struct stat st;
	char err[256];
	char *buf;
	size_t len;

	WK_BUG_ON(lx->top != NULL);
	lx->eof_file = lex_keep_name(lx, wk_strdup(path));
	if (lex_read_file(path, &buf, &len, &st, err, sizeof(err)) == -1) {
		wk_lex_error(lx, path, 0, 0, "cannot read file: %s", err);
		return -1;
	}
	f = lex_push(lx, wk_strdup(path), lex_dirname(path), buf, len);
	f->has_id = true;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

void
wk_lex_push_buf(
    struct wk_lex *lx, const char *name, const char *text, size_t len)
{
	WK_BUG_ON(lx->top != NULL);
	lx->eof_file = lex_keep_name(lx, wk_strdup(name));
	lex_push(lx, wk_strdup(name), NULL, wk_strndup(text, len), len);
}

static void
lex_advance(struct lex_frame *f)
{
	if (f->buf[f->pos] == '\n') {
		f->line++;
		f->col = 1;
	} else {
		f->col++;
	}
	f->pos++;
}

static bool
lex_is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/* Ends a word (not a string). */
static bool
lex_is_delim(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' ||
	    c == '{' || c == '}';
}

static void
lex_tok_start(struct lex_frame *f, struct wk_tok *t, enum wk_tok_type type)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->file = f->name;
	t->line = f->line;
	t->col = f->col;
}

static void
lex_punct(struct lex_frame *f, struct wk_tok *t, enum wk_tok_type type)
{
	lex_tok_start(f, t, type);
	t->text = wk_strdup("");
	lex_advance(f);
}

/* Appends c to t->text (capacity WK_LEX_MAX_TOKEN + 1), reporting an
 * overflow once per token. */
static void
lex_append(struct wk_lex *lx, struct wk_tok *t, char c, bool *toolong)
{
	if (t->len >= WK_LEX_MAX_TOKEN) {
		if (!*toolong)
			wk_lex_error(lx, t->file, t->line, t->col,
			    "token is longer than %u bytes", WK_LEX_MAX_TOKEN);
		*toolong = true;
		return;
	}
	t->text[t->len++] = c;
	t->text[t->len] = '\0';
}

static void
lex_string(struct wk_lex *lx, struct lex_frame *f, struct wk_tok *t)
{
	bool toolong = false;
	unsigned char c;

	lex_tok_start(f, t, WK_TOK_STRING);
	t->text = wk_malloc(WK_LEX_MAX_TOKEN + 1);
	t->text[0] = '\0';
	lex_advance(f); /* opening quote */
	for (;;) {
		if (f->pos >= f->len || f->buf[f->pos] == '\n') {
			wk_lex_error(lx, t->file, t->line, t->col,
			    "unterminated quoted string");
			return;
		}
		c = (unsigned char)f->buf[f->pos];
		if (c == '"') {
			lex_advance(f);
			break;
		}
		if (c == '\\') {
			unsigned char n = f->pos + 1 < f->len ?
			    (unsigned char)f->buf[f->pos + 1] :
			    '\0';

			if (n == '"' || n == '\\') {
				lex_advance(f);
				lex_append(lx, t, (char)n, &toolong);
				lex_advance(f);
				continue;
			}
			if (n >= 0x21 && n < 0x7f)
				wk_lex_error(lx, f->name, f->line, f->col,
				    "invalid escape \"\\%c\" in quoted string "
				    "(only \\\" and \\\\ are allowed)",
				    n);
			else
				wk_lex_error(lx, f->name, f->line, f->col,
				    "invalid escape in quoted string (only "
				    "\\\" and \\\\ are allowed)");
			lex_advance(f);
			continue;
		}
		if (lex_is_ctl(c) || c == '\r') {
			wk_lex_error(lx, f->name, f->line, f->col,
			    "invalid character 0x%02x in quoted string", c);
			lex_advance(f);
			continue;
		}
		lex_append(lx, t, (char)c, &toolong);
		lex_advance(f);
	}
	if (f->pos < f->len && !lex_is_delim((unsigned char)f->buf[f->pos]) &&
	    f->buf[f->pos] != '#')
		wk_lex_error(lx, f->name, f->line, f->col,
		    "missing space after quoted string");
}

static void
lex_word(struct wk_lex *lx, struct lex_frame *f, struct wk_tok *t)
{
	bool toolong = false;
	unsigned char c;

	lex_tok_start(f, t, WK_TOK_WORD);
	t->text = wk_malloc(WK_LEX_MAX_TOKEN + 1);
	t->text[0] = '\0';
	while (f->pos < f->len) {
		c = (unsigned char)f->buf[f->pos];
		if (lex_is_delim(c) || lex_is_ctl(c))
			break;
		if (c == '"') {
			wk_lex_error(lx, f->name, f->line, f->col,
			    "unexpected quote inside a word");
			break;
		}
		lex_append(lx, t, (char)c, &toolong);
		lex_advance(f);
	}
}

/* Scans one token of f. Returns false at the end of f (after the missing
 * "}" were supplied), with t untouched. */
static bool
lex_scan(struct wk_lex *lx, struct lex_frame *f, struct wk_tok *t)
{
	unsigned char c;

	for (;;) {
		if (f->pos >= f->len) {
			size_t i;

			for (i = 0; i < f->n_braces; i++)
				wk_lex_error(lx, f->name, f->braces[i].line,
				    f->braces[i].col,
				    "unterminated block: \"{\" has no matching "
				    "\"}\"");
			f->rbrace_owed += f->n_braces;
			f->n_braces = 0;
			if (f->rbrace_owed == 0)
				return false;
			f->rbrace_owed--;
			lex_tok_start(f, t, WK_TOK_RBRACE);
			t->text = wk_strdup("");
			return true;
		}
		c = (unsigned char)f->buf[f->pos];
		switch (c) {
		case ' ':
		case '\t':
		case '\r':
			lex_advance(f);
			continue;
		case '#':
			while (f->pos < f->len && f->buf[f->pos] != '\n')
				lex_advance(f);
			continue;
		case '\n':
		case ';':
			lex_punct(f, t, WK_TOK_END);
			return true;
		case '{':
			if (f->n_braces == f->cap_braces) {
				f->cap_braces =
				    f->cap_braces ? 2 * f->cap_braces : 8;
				f->braces = wk_realloc(f->braces,
				    f->cap_braces * sizeof(*f->braces));
			}
			f->braces[f->n_braces].line = f->line;
			f->braces[f->n_braces].col = f->col;
			f->n_braces++;
			lex_punct(f, t, WK_TOK_LBRACE);
			return true;
		case '}':
			if (f->n_braces == 0) {
				wk_lex_error(lx, f->name, f->line, f->col,
				    "unexpected \"}\" (no block is open)");
				lex_advance(f);
				continue;
			}
			f->n_braces--;
			lex_punct(f, t, WK_TOK_RBRACE);
			return true;
		case '"':
			lex_string(lx, f, t);
			return true;
		default:
			if (lex_is_ctl(c)) {
				wk_lex_error(lx, f->name, f->line, f->col,
				    "invalid character 0x%02x", c);
				lex_advance(f);
				continue;
			}
			lex_word(lx, f, t);
			return true;
		}
	}
}

/* "a.conf -> b.conf -> a.conf" for the cycle message. */
static void
lex_cycle_chain(
    const struct lex_frame *f, const char *last, char *buf, size_t len)
{
	const struct lex_frame *g;
	size_t n = 0, used = 0;
	size_t i, k;

	for (g = f; g != NULL; g = g->up)
		n++;
	buf[0] = '\0';
	for (i = n; i > 0; i--) {
		g = f;
		for (k = 1; k < i; k++)
			g = g->up;
		used +=
		    (size_t)snprintf(buf + used, len - used, "%s -> ", g->name);
		if (used >= len)
			return;
	}
	snprintf(buf + used, len - used, "%s", last);
}

/* Opens the queued include path (takes ownership) as a child of f. */
static void
lex_open_child(struct wk_lex *lx, struct lex_frame *f, char *path)
{
	struct lex_frame *g, *child;
	struct stat st;
	char err[256];
	char chain[1024];
	char *buf;
	size_t len;

	if (lex_read_file(path, &buf, &len, &st, err, sizeof(err)) == -1) {
		wk_lex_error(lx, f->inc_file, f->inc_line, f->inc_col,
		    "cannot read include file \"%s\": %s", path, err);
		free(path);
		return;
	}
	for (g = f; g != NULL; g = g->up) {
		if (g->has_id && g->dev == st.st_dev && g->ino == st.st_ino) {
			lex_cycle_chain(f, path, chain, sizeof(chain));
			wk_lex_error(lx, f->inc_file, f->inc_line, f->inc_col,
			    "include cycle: %s", chain);
			free(buf);
			free(path);
			return;
		}
	}
	child = lex_push(lx, path, lex_dirname(path), buf, len);
	child->has_id = true;
	child->dev = st.st_dev;
	child->ino = st.st_ino;
}

static bool
lex_has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int
wk_lex_include(struct wk_lex *lx, const struct wk_tok *at, const char *pattern)
{
	struct lex_frame *f = lx->top;
	glob_t g;
	char *path;
	size_t i;
	int rc;

	WK_BUG_ON(f == NULL);
	if (lx->flags & WK_LEX_F_NO_INCLUDE) {
		wk_lex_error(lx, at->file, at->line, at->col,
		    "include is not allowed here");
		return -1;
	}
	if (pattern[0] == '\0') {
		wk_lex_error(
		    lx, at->file, at->line, at->col, "empty include path");
		return -1;
	}
	if (f->depth + 1 > WK_LEX_MAX_DEPTH) {
		wk_lex_error(lx, at->file, at->line, at->col,
		    "includes nested too deeply (limit %u)", WK_LEX_MAX_DEPTH);
		return -1;
	}
	for (i = f->iq; i < f->nq; i++)
		free(f->queue[i]);
	wk_free(f->queue);
	f->nq = f->iq = 0;
	f->inc_file = at->file;
	f->inc_line = at->line;
	f->inc_col = at->col;

	if (pattern[0] == '/' || f->dir == NULL)
		path = wk_strdup(pattern);
	else
		path = wk_asprintf("%s%s%s", f->dir,
		    f->dir[strlen(f->dir) - 1] == '/' ? "" : "/", pattern);
	if (!lex_has_glob(pattern)) {
		f->queue = wk_malloc(sizeof(char *));
		f->queue[0] = path;
		f->nq = 1;
		return 0;
	}
	rc = glob(path, GLOB_MARK, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		free(path);
		return 0; /* an empty conf.d is fine */
	}
	if (rc != 0) {
		wk_lex_error(lx, at->file, at->line, at->col,
		    "cannot expand include pattern \"%s\"", path);
		free(path);
		if (rc != GLOB_NOSPACE)
			globfree(&g);
		return -1;
	}
	free(path);
	if (g.gl_pathc > LEX_MAX_GLOB) {
		wk_lex_error(lx, at->file, at->line, at->col,
		    "include pattern matches more than %u files", LEX_MAX_GLOB);
		globfree(&g);
		return -1;
	}
	f->queue = wk_calloc(g.gl_pathc, sizeof(char *));
	for (i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i];
		size_t n = strlen(p);

		if (n > 0 && p[n - 1] == '/')
			continue; /* GLOB_MARK: a directory */
		f->queue[f->nq++] = wk_strdup(p);
	}
	globfree(&g);
	return 0;
}

void
wk_lex_next(struct wk_lex *lx, struct wk_tok *t)
{
	struct lex_frame *f;

	for (;;) {
		if (!lx->gave_up && lx->nerr >= WK_LEX_MAX_ERRORS) {
			lx->gave_up = true;
			if (lx->errs != NULL)
				fprintf(lx->errs,
				    "%s: error: too many errors, giving up\n",
				    lx->eof_file);
		}
		f = lx->top;
		if (f == NULL || lx->gave_up) {
			memset(t, 0, sizeof(*t));
			t->type = WK_TOK_EOF;
			t->text = wk_strdup("");
			t->file = lx->eof_file;
			t->line = lx->eof_line;
			t->col = lx->eof_col;
			return;
		}
		if (f->iq < f->nq) {
			char *path = f->queue[f->iq];

			f->queue[f->iq++] = NULL;
			lex_open_child(lx, f, path);
			continue;
		}
		if (f->has_peek) {
			*t = f->peek;
			f->has_peek = false;
			memset(&f->peek, 0, sizeof(f->peek));
			return;
		}
		if (f->eof_sent) {
			if (f->up == NULL) {
				lx->eof_line = f->line;
				lx->eof_col = f->col;
			}
			lx->top = f->up;
			lex_frame_free(f);
			continue;
		}
		if (lex_scan(lx, f, t))
			return;
		/* End of f: its last statement ends here; f is popped on the
		 * next read, after any include that statement queued. */
		f->eof_sent = true;
		lex_tok_start(f, t, WK_TOK_END);
		t->text = wk_strdup("");
		return;
	}
}

void
wk_lex_unget(struct wk_lex *lx, struct wk_tok *t)
{
	struct lex_frame *f = lx->top;

	if (f == NULL || t->type == WK_TOK_EOF) {
		/* EOF repeats by itself. */
		wk_tok_clear(t);
		return;
	}
	WK_BUG_ON(f->has_peek);
	f->peek = *t;
	f->has_peek = true;
	memset(t, 0, sizeof(*t));
}
