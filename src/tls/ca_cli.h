/* src/tls/ca_cli.h: the `wicket ca export|rotate` subcommands. */
#ifndef WK_TLS_CA_CLI_H
#define WK_TLS_CA_CLI_H

#include "core/wk.h"

#include <stdio.h>

/* Runs `wicket ca ARGV...` on the CA of state_dir: argv[0] is the
 * subcommand, "export [--der]" (the certificate, PEM by default, on out;
 * the CA is created if absent) or "rotate" (a new CA; the old files are
 * kept as *.old). Returns the exit status: 0, 1 on failure (said on err),
 * 2 on a usage error. */
int wk_ca_cli(
    const char *state_dir, int argc, char **argv, FILE *out, FILE *err);

#endif
