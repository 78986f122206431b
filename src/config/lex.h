/* src/config/lex.h: the config tokenizer: words, "strings", braces and
 * statement ends, each tagged with file:line:col, over a stack of files. */
#ifndef WK_CONFIG_LEX_H
#define WK_CONFIG_LEX_H

#include "core/wk.h"

#include <stdio.h>

#include "core/alloc.h"

#define WK_LEX_MAX_FILE (1024 * 1024) /* bytes per file */
#define WK_LEX_MAX_DEPTH 16	      /* nested includes */
#define WK_LEX_MAX_TOKEN 4096	      /* bytes of one word or string */
#define WK_LEX_MAX_ERRORS 100	      /* then the lexer gives up */

enum wk_tok_type {
	WK_TOK_EOF = 0, /* end of the top-level input (repeats) */
	WK_TOK_WORD,	/* bare word */
	WK_TOK_STRING,	/* "quoted string", escapes resolved */
	WK_TOK_LBRACE,	/* { */
	WK_TOK_RBRACE,	/* } */
	WK_TOK_END,	/* ; newline, or the end of an included file */
	WK_TOK_TYPE_COUNT
};

struct wk_tok {
	enum wk_tok_type type;
	char *text;	  /* NUL-terminated, owned by the token; "" for
			   * punctuation */
	size_t len;	  /* bytes in text */
	const char *file; /* owned by the lexer, valid until wk_lex_free */
	unsigned line;	  /* 1-based */
	unsigned col;	  /* 1-based, counts bytes */
};

/* Lexer flags. */
#define WK_LEX_F_NO_INCLUDE 0x1u /* every include is an error (fuzzing) */

struct wk_lex;

/* Returns a lexer that reports errors on errs (NULL: count them only). */
struct wk_lex *wk_lex_new(FILE *errs, unsigned flags);
void wk_lex_free_(struct wk_lex *lx);
#define wk_lex_free(lx)                                                        \
	do {                                                                   \
		wk_lex_free_(lx);                                              \
		(lx) = NULL;                                                   \
	} while (0)

/* Opens the top-level file path (name in messages as given). Returns 0, or
 * -1 after reporting the error. */
int wk_lex_push_file(struct wk_lex *lx, const char *path);

/* Uses text (copied) as the top-level input; includes in it are relative to
 * the current directory. */
void wk_lex_push_buf(
    struct wk_lex *lx, const char *name, const char *text, size_t len);

/* Reads the next token into t (caller clears it with wk_tok_clear). Braces
 * come balanced per file: a stray "}" is reported and dropped, a missing one
 * is reported and supplied. */
void wk_lex_next(struct wk_lex *lx, struct wk_tok *t);

/* Puts t back (takes ownership): the next wk_lex_next returns it, unless an
 * include is queued in between, whose tokens come first. */
void wk_lex_unget(struct wk_lex *lx, struct wk_tok *t);

/* Queues the files matched by pattern (a path or glob(3) pattern, relative
 * to the directory of the file being read) to be read next. at locates the
 * pattern for messages. Returns 0, or -1 after reporting the error. */
int wk_lex_include(
    struct wk_lex *lx, const struct wk_tok *at, const char *pattern);

/* Reports "file:line:col: error: msg" (or "file: error: msg" when line is 0)
 * and counts it. */
void wk_lex_error(struct wk_lex *lx, const char *file, unsigned line,
    unsigned col, const char *fmt, ...) WK_PRINTF(5, 6);

/* Errors reported so far (by the lexer and through wk_lex_error). */
unsigned wk_lex_errors(const struct wk_lex *lx);

/* Frees the text of t and resets it. */
void wk_tok_clear(struct wk_tok *t);

/* Name of a token type for messages: "word", "\"{\"", ... */
const char *wk_tok_type_name(enum wk_tok_type type);

#endif
