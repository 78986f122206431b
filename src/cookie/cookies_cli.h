/* src/cookie/cookies_cli.h: `wicket cookies`, on STATE_DIR/wicket.db. */
#ifndef WK_COOKIE_COOKIES_CLI_H
#define WK_COOKIE_COOKIES_CLI_H

#include "core/wk.h"

#include <stdio.h>

/* argv[0] is the subcommand (list, get, set, delete, clear, import,
 * export). Returns the exit status (2: usage). */
int wk_cookies_cli(
    const char *state_dir, int argc, char **argv, FILE *out, FILE *err);

#endif
