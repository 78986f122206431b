/* src/tls/ca_cli.c: the `wicket ca export|rotate` subcommands. */
#include "core/wk.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tls/ca.h"
#include "tls/ca_cli.h"

static int
ca_cli_usage(FILE *f, int status)
{
	fprintf(f,
	    "usage: wicket ca export [--der]\n"
	    "       wicket ca rotate\n");
	return status;
}

/* "SHA256 Fingerprint=AB:CD:..." as `openssl x509 -fingerprint` says it. */
static void
ca_cli_fingerprint(X509 *x, FILE *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	fprintf(out, "SHA256 Fingerprint=");
	for (unsigned int i = 0; i < n; i++)
		fprintf(out, "%02X%s", md[i], i + 1 < n ? ":" : "\n");
}

static int
ca_cli_export(const char *state_dir, bool der, FILE *out, FILE *err)
{
	char why[512];
	struct wk_ca *ca;
	int status = 0;

	ca = wk_ca_open(state_dir, why, sizeof(why));
	if (ca == NULL) {
		fprintf(err, "wicket: ca export: %s\n", why);
		return 1;
	}
	if (wk_ca_write_cert(ca, der, out) == -1) {
		fprintf(
		    err, "wicket: ca export: cannot write the certificate\n");
		status = 1;
	}
	wk_ca_free(ca);
	return status;
}

static int
ca_cli_rotate(const char *state_dir, FILE *out, FILE *err)
{
	char why[512];
	struct wk_ca *ca;

	if (wk_ca_rotate(state_dir, why, sizeof(why)) == -1) {
		fprintf(err, "wicket: ca rotate: %s\n", why);
		return 1;
	}
	ca = wk_ca_open(state_dir, why, sizeof(why));
	if (ca == NULL) {
		fprintf(err, "wicket: ca rotate: the new CA: %s\n", why);
		return 1;
	}
	fprintf(out,
	    "wicket: new CA in %s (the previous one is kept as ca.pem.old)\n",
	    wk_ca_cert_path(ca));
	ca_cli_fingerprint(wk_ca_cert(ca), out);
	fprintf(out,
	    "Trust the new certificate where you trusted the old "
	    "one, then restart wicket (doc/CA.md).\n");
	wk_ca_free(ca);
	return 0;
}

int
wk_ca_cli(const char *state_dir, int argc, char **argv, FILE *out, FILE *err)
{
	bool der = false;

	if (argc < 1 || argv[0] == NULL)
		return ca_cli_usage(err, 2);
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0)
		return ca_cli_usage(out, 0);
	if (state_dir == NULL || state_dir[0] == '\0') {
		fprintf(err, "wicket: ca: no state directory (state_dir)\n");
		return 1;
	}
	if (strcmp(argv[0], "export") == 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--der") == 0)
				der = true;
			else if (strcmp(argv[i], "--pem") == 0)
				der = false;
			else {
				fprintf(err,
				    "wicket: ca export: unknown "
				    "option \"%s\"\n",
				    argv[i]);
				return ca_cli_usage(err, 2);
			}
		}
		return ca_cli_export(state_dir, der, out, err);
	}
	if (strcmp(argv[0], "rotate") == 0) {
		if (argc > 1) {
			fprintf(err, "wicket: ca rotate: unexpected \"%s\"\n",
			    argv[1]);
			return ca_cli_usage(err, 2);
		}
		return ca_cli_rotate(state_dir, out, err);
	}
	fprintf(err, "wicket: ca: unknown subcommand \"%s\"\n", argv[0]);
	return ca_cli_usage(err, 2);
}
