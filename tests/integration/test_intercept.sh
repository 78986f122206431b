#!/bin/bash
# test_intercept.sh: TLS interception. curl trusts wicket's local CA; wicket
# trusts the test CA of the HTTPS origins (tls-ca-file). Checks: the page
# through an intercepted CONNECT, with the request in the access log;
# clients with and without SNI, TLS 1.2 and 1.3; origins with an expired
# certificate, a wrong name, an unknown issuer (502 saying which);
# tls-verify off; a non-TLS stream in an intercepted tunnel; the leaf
# cache; GET https://... in absolute form; `wicket ca export`; key modes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tls.sh"
wk_require_wicket

wk_tls_certs_make
sha=$(wk_data_sha 1000)
wk_tls_origin_start good good
G=$WK_TLS_PORT
wk_tls_origin_start expired expired
E=$WK_TLS_PORT
wk_tls_origin_start wronghost wronghost
W=$WK_TLS_PORT
wk_tls_origin_start unknown unknown
U=$WK_TLS_PORT
wk_tls_origin_start tls12 good --tls-max 1.2
T12=$WK_TLS_PORT
wk_tls_origin_start raw - --raw-echo
R=$WK_TLS_PORT

wk_proxy_start_or_bail "tls-ca-file $WK_TESTCA" \
    "zone lax { match lax.test; intercept on; tls-verify off }" \
    "zone all { match *; intercept on }"
P=$WK_PROXY_PORT
CA=$WK_DIR/state/ca/ca.pem
wk_retry 10 test -s "$CA"
wk_ok "the local CA was created at start" test -s "$CA"

# raw_tunnel PROXYPORT HOST:PORT: a CONNECT through wicket, then bytes that
# are not TLS and a half-close; prints the 200's status line and what came
# back until the close (or 5 s)
raw_tunnel() {
	wk_py "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2].encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
s.sendall(b"hello, not TLS\n")
s.shutdown(socket.SHUT_WR)
s.settimeout(5)
data = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
except OSError:
    pass
print(head.split(b"\r\n")[0].decode(), data.decode(errors="replace").strip())
EOF
}

# pc ARGS...: curl through wicket, trusting wicket's CA only
pc() {
	curl -sS --max-time 20 -x "http://127.0.0.1:$P" --cacert "$CA" "$@"
}

wk_is "$(pc "https://localhost:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "intercepted CONNECT: the page arrives (curl trusts wicket's CA)"
wk_retry 30 grep -q "GET https://localhost:$G/bytes/1000 200" "$WK_ACCESS"
wk_like "$(cat "$WK_ACCESS")" "GET https://localhost:$G/bytes/1000 200 " \
    "the access log shows the intercepted request: method, URL, status"
wk_like "$(cat "$WK_ACCESS")" "CONNECT localhost:$G 200 .*\"intercepted\"" \
    "the tunnel's own line says intercepted"
issuer=$(pc -v "https://localhost:$G/bytes/10" -o /dev/null 2>&1 | grep -i "issuer:")
wk_like "$issuer" "wicket" "the certificate curl saw was issued by wicket's CA"
wk_like "$(cat "$WK_T/good.log")" "sni=localhost" "wicket sent the SNI to the origin"

# several requests on one intercepted connection
out=$(pc "https://localhost:$G/bytes/1000" "https://localhost:$G/bytes/1000" \
    -w '%{num_connects}\n' -o /dev/null -o /dev/null)
wk_is "$(printf '%s\n' "$out" | tr -d '\n')" "10" "keep-alive inside the intercepted tunnel (one connect)"

# SOCKS clients are intercepted too (SOCKS4: the tunnel has an address
# only; the leaf and the origin's check use the SNI)
wk_is "$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P" --cacert "$CA" \
    "https://localhost:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "a SOCKS5 client is intercepted"
wk_is "$(curl -sS --max-time 20 --socks4 "127.0.0.1:$P" --cacert "$CA" \
    "https://localhost:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "a SOCKS4 client (address only, SNI localhost) is intercepted"
wk_retry 30 grep -q "SOCKS5 localhost:$G 200 .*\"intercepted\"" "$WK_ACCESS"
wk_like "$(cat "$WK_ACCESS")" "SOCKS5 localhost:$G 200 .*\"intercepted\"" \
    "the SOCKS tunnel's line says intercepted"

# no SNI: an IP literal gets an IP SAN
wk_is "$(pc "https://127.0.0.1:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "a client without SNI (IP literal): the leaf has the IP in its SAN"
# TLS 1.2-only and TLS 1.3 clients
wk_is "$(pc --tls-max 1.2 "https://localhost:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "a TLS 1.2-only client"
wk_is "$(pc --tlsv1.3 "https://localhost:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "a TLS 1.3 client"
wk_is "$(pc "https://localhost:$T12/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "an origin that speaks TLS 1.2 only"

# broken origins: 502 naming the reason
for c in "expired:$E:certificate has expired" \
    "wronghost:$W:(hostname mismatch|Hostname mismatch)" \
    "unknown:$U:unable to get local issuer certificate"; do
	name=${c%%:*}
	rest=${c#*:}
	port=${rest%%:*}
	why=${rest#*:}
	body=$(pc -D "$WK_T/h.$name" "https://localhost:$port/" 2>&1)
	wk_like "$(grep '^HTTP/' "$WK_T/h.$name" | tail -n1)" "^HTTP/1\.1 502" "origin $name: 502"
	wk_like "$body" "$why" "origin $name: the page says why"
	wk_like "$(tr -d '\r' <"$WK_T/h.$name")" "X-Wicket-Error: tls" "origin $name: X-Wicket-Error: tls"
done
wk_like "$(cat "$WK_ERRLOG")" "TLS to localhost:$E: .*expired" "the failure is logged"

# tls-verify off (a zone for lax.test, the unknown issuer's origin reached
# through a fake SOCKS upstream that maps *.test to 127.0.0.1)
wk_fake_socks_start fs
FS=$(cat "$WK_T/fs.port")
wk_proxy_stop
wk_proxy_start_or_bail "tls-ca-file $WK_TESTCA" \
    "upstream fs { socks5 127.0.0.1:$FS }" \
    "zone lax { match lax.test; intercept on; tls-verify off; route fs }" \
    "zone all { match *; intercept on }"
P=$WK_PROXY_PORT
CA=$WK_DIR/state/ca/ca.pem
wk_retry 10 test -s "$CA"
wk_is "$(pc "https://lax.test:$U/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "tls-verify off: an unknown issuer is accepted"
wk_like "$(cat "$WK_ERRLOG")" "NOT verified \(tls-verify off in zone lax\)" \
    "tls-verify off: a warning on every use"

# TLS sessions to the origin are resumed: a later intercepted connection to
# the same origin resumes the session of an earlier one
pc "https://localhost:$G/bytes/10" -o /dev/null
pc "https://localhost:$G/bytes/10" -o /dev/null
wk_retry 30 grep -q "reused=yes" "$WK_T/good.log"
wk_like "$(cat "$WK_T/good.log")" "tls version=.* sni=localhost reused=yes" \
    "TLS to the origin: a later connection resumed the session"

# a non-TLS stream in an intercepted tunnel passes through unchanged
out=$(raw_tunnel "$P" "127.0.0.1:$R")
wk_like "$out" "^HTTP/1\.1 200 .*hello, not TLS" "a non-TLS stream in an intercepted tunnel passes through"

# the leaf cache: a second connection mints nothing
pc "https://localhost:$G/bytes/10" -o /dev/null
pc "https://localhost:$G/bytes/10" -o /dev/null
n=$(grep -c "minted a certificate for localhost" "$WK_ERRLOG")
wk_is "$n" 1 "the second connection to a host mints nothing (leaf cache)"

# GET https://... in absolute form: wicket makes the TLS connection
out=$(wk_py "$P" "$G" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET https://localhost:%s/bytes/1000 HTTP/1.1\r\nHost: localhost:%s\r\nConnection: close\r\n\r\n"
          % (sys.argv[2].encode(), sys.argv[2].encode()))
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
import hashlib
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), hashlib.sha256(body).hexdigest())
EOF
)
wk_is "$out" "HTTP/1.1 200 OK $sha" "GET https://... in absolute form: wicket speaks TLS to the origin"
out=$(wk_py "$P" "$E" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET https://localhost:%s/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
          % sys.argv[2].encode())
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.decode(errors="replace"))
EOF
)
wk_like "$out" "502 .*certificate has expired" "GET https:// to an expired origin: 502 with the reason"

# the TLS connections of GET https:// requests are pooled: two requests,
# one after the other on one client connection (the pool is per worker),
# one TLS handshake with the origin
n0=$(grep -c "tls version=" "$WK_T/good.log")
wk_py "$P" "$G" <<'EOF' >/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
for close in (False, True):
    s.sendall(b"GET https://localhost:%s/bytes/100 HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
              % (sys.argv[2].encode(), b"Connection: close\r\n" if close else b""))
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 100:
        d = s.recv(65536)
        if not d:
            break
        data += d
EOF
n1=$(grep -c "tls version=" "$WK_T/good.log")
wk_ok "GET https://: two requests, at most one new TLS handshake ($((n1 - n0)))" \
    test $((n1 - n0)) -le 1

# origin connections of intercepted tunnels are pooled (one worker, so
# the pool is the same for every tunnel): three tunnels one after the
# other, each asking for its origin connection's id, all get the same one
wk_proxy_start_or_bail "workers 1" "tls-ca-file $WK_TESTCA" \
    "zone all { match *; intercept on }"
P=$WK_PROXY_PORT
CA=$WK_DIR/state/ca/ca.pem
wk_retry 10 test -s "$CA"
n0=$(grep -c "tls version=" "$WK_T/good.log")
ids=$(for i in 1 2 3; do pc "https://localhost:$G/conn-id"; done)
wk_is "$(printf '%s\n' "$ids" | sort -u | wc -l)" 1 \
    "intercepted tunnels one after the other share one origin connection ($(echo $ids))"
n1=$(grep -c "tls version=" "$WK_T/good.log")
wk_is "$((n1 - n0))" 1 "three intercepted tunnels, one TLS handshake with the origin"
s1=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P" --cacert "$CA" \
    "https://localhost:$G/conn-id")
wk_is "$s1" "$(printf '%s\n' "$ids" | sed -n 1p)" \
    "a SOCKS5 tunnel starts on the idle origin connection an HTTP tunnel left"
# a client that says Connection: close ends its tunnel, not the origin
# connection (the close is hop-by-hop): the next tunnel gets that one
c1=$(pc -H "Connection: close" "https://localhost:$G/conn-id")
c2=$(pc -H "Connection: close" "https://localhost:$G/conn-id")
wk_ok "clients sending Connection: close: the origin connection still serves the next tunnel ($c1, $c2)" \
    test -n "$c1" -a "$c1" = "$c2"
# the origin closes after a response: the next request of the same
# intercepted connection gets a new origin connection (it used to get 502)
out=$(pc "https://localhost:$G/conn-id?close=1" "https://localhost:$G/conn-id" \
    -w ' %{http_code} %{num_connects}\n' | paste -d '' - -)
wk_like "$(printf '%s\n' "$out" | sed -n 1p)" "^[0-9]+ 200 1$" \
    "the origin closes after the first response: 200"
wk_like "$(printf '%s\n' "$out" | sed -n 2p)" "^[0-9]+ 200 0$" \
    "... and the second request on the same tunnel: 200 from a new origin connection"
a=$(printf '%s\n' "$out" | sed -n '1s/ .*//p')
b=$(printf '%s\n' "$out" | sed -n '2s/ .*//p')
wk_ok "... which is another origin connection ($a, then $b)" test "$a" != "$b"
# a pooled connection was verified for the name it is filed under: a
# tunnel to 127.0.0.1 (no SNI, the IP SAN) leaves one filed under
# 127.0.0.1; a tunnel to the same address whose client asks for localhost
# must not be given it
id_ip=$(pc "https://127.0.0.1:$G/conn-id")
id_ip2=$(pc "https://127.0.0.1:$G/conn-id")
wk_is "$id_ip2" "$id_ip" "a tunnel to 127.0.0.1 reuses the connection filed under 127.0.0.1"
id_sni=$(pc --connect-to "localhost:$G:127.0.0.1:$G" "https://localhost:$G/conn-id")
wk_like "$(cat "$WK_ACCESS")" "CONNECT 127\.0\.0\.1:$G 200 " \
    "curl --connect-to: the CONNECT names 127.0.0.1"
wk_ok "SNI localhost in a tunnel to 127.0.0.1: not the connection verified for 127.0.0.1 ($id_ip, $id_sni)" \
    test -n "$id_sni" -a "$id_sni" != "$id_ip"
wk_is "$(pc "https://127.0.0.1:$G/conn-id")" "$id_ip" \
    "... which went back to the pool for the next tunnel to 127.0.0.1"
# a tunnel that could start on a pooled TLS connection but carries no TLS
# gets a plain connection of its own: the origin sees the raw bytes (its
# TLS handshake fails on them) instead of receiving them inside TLS
pc "https://localhost:$G/conn-id" -o /dev/null
nf0=$(grep -c "tls handshake failed" "$WK_T/good.log")
out=$(raw_tunnel "$P" "localhost:$G")
wk_like "$out" "^HTTP/1\.1 200 " "a non-TLS stream after a pooled connection: the tunnel is up"
wk_retry 20 test "$(grep -c "tls handshake failed" "$WK_T/good.log")" -gt "$nf0"
wk_ok "... and its bytes reached the origin on a connection of their own, not inside TLS" \
    test "$(grep -c "tls handshake failed" "$WK_T/good.log")" -gt "$nf0"
wk_proxy_stop

# an https upstream proxy: TLS to the proxy (here a TLS front on a second
# wicket), verified against the test CA; plain requests in absolute form,
# a CONNECT tunnel (bytes copied, a TLS side has no splice) and an
# intercepted tunnel inside it
wk_proxy_start_or_bail
P2=$WK_PROXY_PORT
ACC2=$WK_ACCESS
setsid "$WK_PY" "$WK_SERVERS/tls_front.py" --cert "$WK_TLS_CERTS/good.pem" \
    --key "$WK_TLS_CERTS/good.key" --to "$P2" --port-file "$WK_T/front.port" \
    --log "$WK_T/front.log" </dev/null >/dev/null 2>&1 &
WK_PIDS="$WK_PIDS $!"
wk_retry 15 test -s "$WK_T/front.port" || { echo "Bail out! tls_front"; exit 99; }
FP=$(cat "$WK_T/front.port")
wk_origin_start http
wk_proxy_start_or_bail "tls-ca-file $WK_TESTCA" \
    "upstream sp { https localhost:$FP }" "route sp" \
    "zone tls { match localhost:$G; intercept on }"
P=$WK_PROXY_PORT
CA=$WK_DIR/state/ca/ca.pem
wk_retry 10 test -s "$CA"
wk_is "$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://127.0.0.1:$WK_ORIGIN_PORT/bytes/1000" \
    | sha256sum | cut -d' ' -f1)" "$sha" "https upstream: a plain request goes through it"
wk_like "$(cat "$WK_T/front.log")" "conn TLSv1\.[23]" "https upstream: wicket spoke TLS to the proxy"
wk_retry 30 grep -q "GET http://127.0.0.1:$WK_ORIGIN_PORT/bytes/1000 200" "$ACC2"
wk_like "$(cat "$ACC2")" "GET http://127\.0\.0\.1:$WK_ORIGIN_PORT/bytes/1000 200" \
    "https upstream: the request reached the second proxy in absolute form"
wk_is "$(curl -sS --max-time 20 -p -x "http://127.0.0.1:$P" "http://127.0.0.1:$WK_ORIGIN_PORT/bytes/100000" \
    | sha256sum | cut -d' ' -f1)" "$(wk_data_sha 100000)" \
    "https upstream: a CONNECT tunnel through it (bytes copied)"
wk_is "$(pc "https://localhost:$G/bytes/1000" | sha256sum | cut -d' ' -f1)" "$sha" \
    "https upstream: an intercepted tunnel through it (TLS inside TLS)"
wk_proxy_stop

# the CA: export, modes
out=$("$WICKET" ca -c "$WK_CONF" export)
wk_is "$out" "$(cat "$CA")" "wicket ca export prints the CA certificate"
wk_ok "wicket ca export --der is DER" sh -c \
    "'$WICKET' ca -c '$WK_CONF' export --der | openssl x509 -inform DER -noout"
wk_is "$(stat -c %a "$WK_DIR/state/ca")" 700 "the CA directory is 0700"
wk_is "$(stat -c %a "$WK_DIR/state/ca/ca.key")" 600 "the CA key is 0600"
bad=$(find "$WK_DIR/state/ca" -name '*.key' -perm /077 | wc -l)
wk_is "$bad" 0 "no key file is readable by others"
wk_proxy_stop

wk_done
