/* src/upstream/origin_ver.h: origins seen answering in HTTP/1.0, so that a
 * chunked upload to them goes with a Content-Length instead (RFC 9112
 * 6.1: a 1.0 recipient cannot read chunked). Shared by the workers. */
#ifndef WK_UPSTREAM_ORIGIN_VER_H
#define WK_UPSTREAM_ORIGIN_VER_H

#include "core/wk.h"

/* A response from host:port said HTTP/1.minor. */
void wk_origin_ver_note(const char *host, uint16_t port, int minor);
/* Was host:port's last answer (within the hour) an HTTP/1.0 one? */
bool wk_origin_ver_is10(const char *host, uint16_t port);

#endif
