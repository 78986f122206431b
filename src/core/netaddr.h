/* src/core/netaddr.h: socket address helpers. */
#ifndef WK_CORE_NETADDR_H
#define WK_CORE_NETADDR_H

#include "core/wk.h"

#include <sys/socket.h>

#define WK_ADDRSTRLEN 64 /* "[v6 addr]:port" fits */

/* Writes "1.2.3.4:80" or "[::1]:80" into buf (WK_ADDRSTRLEN bytes). */
const char *wk_addr_str(const struct sockaddr *sa, char *buf, size_t len);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool wk_addr_is_loopback(const struct sockaddr *sa);
/* True when s is an IPv4 or IPv6 literal (IPv6 without brackets). */
bool wk_host_is_ip_literal(const char *s);
/* Fills *ss with literal s and port and returns its length, or 0 when s is
 * not an IPv4 or IPv6 literal (IPv6 without brackets). */
socklen_t wk_addr_from_literal(
    const char *s, uint16_t port, struct sockaddr_storage *ss);

#endif
