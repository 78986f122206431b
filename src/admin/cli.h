/* src/admin/cli.h: subcommands that answer from the configuration. */
#ifndef WK_ADMIN_CLI_H
#define WK_ADMIN_CLI_H

#include "core/wk.h"

#include <stdio.h>

struct wk_config;

/* `wicket zone URL|HOST[:PORT]`: the zone, the rule that matched
 * (file:line) and the route. Returns the exit status. */
int wk_cli_zone(
    const struct wk_config *c, const char *arg, FILE *out, FILE *err);

#endif
