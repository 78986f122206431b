#!/bin/bash
# test_tls_servers.sh: a self-test of the TLS test servers (no wicket
# needed): servers/make_test_certs.sh makes a test CA and good, expired,
# wrong-host and unknown-issuer leaves (checked with openssl verify, keys
# 0600, fast, idempotent); servers/tls_origin.py, driven by curl directly,
# serves origin.py's endpoints over TLS (bytes with the right sha256,
# echo, keep-alive, HEAD, an upload) with the good certificate, and curl
# refuses the broken ones with the expected reasons; TLS 1.2-only and
# 1.3-only servers; ALPN; the SNI the client sent is logged; --raw-echo is
# a plain TCP echo.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tls.sh"

# ---- certificates -----------------------------------------------------------

t0=$(date +%s%N)
wk_tls_certs_make
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
wk_diag "make_test_certs.sh took $ms ms"
if [ "$ms" -lt 5000 ]; then
	wk_pass "make_test_certs.sh is fast ($ms ms)"
else
	wk_fail "make_test_certs.sh is fast ($ms ms)"
fi
C=$WK_TLS_CERTS
wk_is "$WK_TESTCA" "$C/testca.pem" "WK_TESTCA is the test CA"

missing=
for n in testca good expired wronghost unknownca unknown; do
	[ -s "$C/$n.pem" ] && [ -s "$C/$n.key" ] || missing="$missing $n"
done
wk_is "$missing" "" "every certificate and key was made"
modes=$(stat -c '%a' "$C"/*.key | sort -u | tr '\n' ' ')
wk_is "$modes" "600 " "keys are mode 0600"

sum1=$(cat "$C"/*.pem | sha256sum)
bash "$WK_SERVERS/make_test_certs.sh" "$C" >/dev/null 2>&1
rc=$?
sum2=$(cat "$C"/*.pem | sha256sum)
wk_is "$rc:$sum2" "0:$sum1" "a second run keeps the existing set"
leftover=$(find "$C" -name '.make.*' | wc -l)
wk_is "$leftover" 0 "no temporary folder is left behind"

out=$(openssl x509 -in "$WK_TESTCA" -noout -ext basicConstraints 2>&1)
wk_like "$out" 'CA:TRUE' "the test CA is CA:TRUE"
out=$(openssl verify -x509_strict -purpose sslserver -CAfile "$WK_TESTCA" \
    -verify_hostname origin.test "$C/good.pem" 2>&1)
wk_like "$out" ': OK$' "good.pem verifies (strict, sslserver, origin.test)"
out=$(openssl verify -x509_strict -CAfile "$WK_TESTCA" -verify_ip 127.0.0.1 \
    "$C/good.pem" 2>&1 && openssl verify -CAfile "$WK_TESTCA" -verify_ip ::1 \
    "$C/good.pem" 2>&1 && openssl verify -CAfile "$WK_TESTCA" \
    -verify_hostname localhost "$C/good.pem" 2>&1)
wk_unlike "$out" 'error|mismatch' "good.pem is valid for 127.0.0.1, ::1, localhost"
out=$(openssl x509 -in "$C/good.pem" -noout -ext extendedKeyUsage 2>&1)
wk_like "$out" 'TLS Web Server Authentication' "good.pem has serverAuth"
out=$(openssl verify -CAfile "$WK_TESTCA" "$C/expired.pem" 2>&1)
wk_like "$out" 'certificate has expired' "expired.pem has expired"
out=$(openssl verify -CAfile "$WK_TESTCA" -no_check_time "$C/expired.pem" 2>&1)
wk_like "$out" ': OK$' "expired.pem is otherwise valid (from the test CA)"
openssl x509 -in "$C/expired.pem" -noout -checkend 0 >/dev/null 2>&1
wk_is "$?" 1 "expired.pem: notAfter is in the past"
out=$(openssl verify -CAfile "$WK_TESTCA" -verify_hostname origin.test \
    "$C/wronghost.pem" 2>&1)
wk_like "$out" 'mismatch' "wronghost.pem is not valid for origin.test"
out=$(openssl x509 -in "$C/wronghost.pem" -noout -ext subjectAltName 2>&1 |
    tail -n 1 | tr -d ' ')
wk_is "$out" "DNS:other.example" "wronghost.pem names other.example only"
out=$(openssl verify -CAfile "$WK_TESTCA" "$C/unknown.pem" 2>&1)
wk_like "$out" 'unable to get local issuer certificate' \
    "unknown.pem is not from the test CA"

# ---- the good origin --------------------------------------------------------

wk_tls_origin_start good good
G=$WK_TLS_PORT
wk_is "$(wk_tls_port good)" "$G" "the port is in \$WK_T/good.port"
wk_is "$WK_TLS_LOG" "$WK_T/good.log" "the log is \$WK_T/good.log"

tc() {
	curl -sS --max-time 15 "$@"
}
res="--resolve origin.test:$G:127.0.0.1"
sha=$(wk_data_sha 1000)

out=$(tc --cacert "$WK_TESTCA" -D "$WK_T/h1" -o "$WK_T/b1" \
    "https://127.0.0.1:$G/bytes/1000" 2>&1)
rc=$?
got=$(sha256sum <"$WK_T/b1" 2>/dev/null | cut -d' ' -f1)
wk_is "$rc:$got" "0:$sha" "GET https://127.0.0.1/bytes/1000: the right bytes"
wk_like "$(cat "$WK_T/h1")" "X-Body-Sha256: $sha" "... with X-Body-Sha256"
wk_like "$(cat "$WK_T/h1")" "Content-Length: 1000" "... and Content-Length"

n=$((3 * 1048576 + 17))
got=$(tc --cacert "$WK_TESTCA" $res "https://origin.test:$G/bytes/$n" |
    sha256sum | cut -d' ' -f1)
wk_is "$got" "$(wk_data_sha $n)" "3 MiB over https://origin.test: the right bytes"

out=$(tc --cacert "$WK_TESTCA" $res "https://origin.test:$G/echo/hello?x=1" \
    -H 'X-Test: tls' 2>&1)
wk_like "$out" '^GET /echo/hello\?x=1 HTTP/1.1' "/echo: the request line"
wk_like "$out" "Host: origin.test:$G" "/echo: the Host header"
wk_like "$out" 'X-Test: tls' "/echo: a request header"

out=$(tc --cacert "$WK_TESTCA" $res "https://origin.test:$G/conn-id" \
    "https://origin.test:$G/conn-id" "https://origin.test:$G/conn-id" 2>&1)
ids=$(printf '%s\n' "$out" | sort -u | wc -l)
wk_is "$(printf '%s\n' "$out" | wc -l):$ids" "3:1" \
    "keep-alive: three requests on one TLS connection"

out=$(tc --cacert "$WK_TESTCA" -I "https://localhost:$G/bytes/5000" \
    --resolve "localhost:$G:127.0.0.1" 2>&1)
wk_like "$out" 'Content-Length: 5000' "HEAD (https://localhost): the length"

wk_make_file "$WK_T/up" 200000
out=$(tc --cacert "$WK_TESTCA" --data-binary "@$WK_T/up" \
    "https://127.0.0.1:$G/upload" 2>&1)
wk_is "$out" "200000 $(sha256sum <"$WK_T/up" | cut -d' ' -f1)" \
    "an upload reaches the origin intact"

out=$(tc --cacert "$WK_TESTCA" "https://127.0.0.1:$G/chunked/70000" |
    sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 70000)" "/chunked/N over TLS"

wk_tls_log_wait good 'req=[0-9]+ GET /echo/hello\?x=1 '
wk_like "$(cat "$WK_T/good.log")" 'req=1 GET /echo/hello\?x=1 body=none:0' \
    "the request line is logged"
wk_like "$(cat "$WK_T/good.log")" 'sni=origin.test$' \
    "the SNI origin.test is logged (sni_callback)"
wk_like "$(cat "$WK_T/good.log")" \
    'tls version=TLSv1.3 cipher=[^ ]+ alpn=- sni=origin.test' \
    "the handshake is logged: TLS 1.3, no ALPN, the SNI"
wk_like "$(cat "$WK_T/good.log")" 'sni=localhost( reused=(yes|no))?$' "the SNI localhost is logged"
wk_like "$(cat "$WK_T/good.log")" 'tls version=TLSv1.3 .* sni=- reused=(yes|no)$' \
    "no SNI for an IP address: sni=-"

# The same good origin, with the wrong trust: curl must refuse it.
out=$(tc --cacert "$C/unknownca.pem" "https://127.0.0.1:$G/bytes/10" 2>&1)
rc=$?
wk_is "$rc" 60 "good.pem with another CA as trust: curl refuses (exit 60)"
wk_like "$out" 'unable to get local issuer certificate' "... unknown issuer"
out=$(tc "https://127.0.0.1:$G/bytes/10" 2>&1)
rc=$?
wk_is "$rc" 60 "good.pem against the system CAs: curl refuses (exit 60)"
wk_tls_log_wait good 'tls handshake failed'
wk_like "$(cat "$WK_T/good.log")" 'tls handshake failed: .*(unknown ca|alert)' \
    "the origin logs the handshake the client aborted"

# ---- broken certificates ------------------------------------------------------

wk_tls_origin_start expired expired
E=$WK_TLS_PORT
out=$(tc --cacert "$WK_TESTCA" "https://127.0.0.1:$E/bytes/10" 2>&1)
rc=$?
wk_is "$rc" 60 "expired: curl refuses (exit 60)"
wk_like "$out" 'certificate has expired' "expired: \"certificate has expired\""
out=$(tc -k "https://127.0.0.1:$E/bytes/10" | sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 10)" "expired: serves with -k (the server itself works)"

wk_tls_origin_start wronghost wronghost
W=$WK_TLS_PORT
out=$(tc --cacert "$WK_TESTCA" "https://127.0.0.1:$W/bytes/10" 2>&1)
rc=$?
wk_is "$rc" 60 "wronghost by IP: curl refuses (exit 60)"
wk_like "$out" 'no alternative certificate subject name matches' \
    "wronghost by IP: name mismatch"
out=$(tc --cacert "$WK_TESTCA" --resolve "origin.test:$W:127.0.0.1" \
    "https://origin.test:$W/bytes/10" 2>&1)
rc=$?
wk_like "$rc $out" "^60 .*no alternative certificate subject name matches target host name 'origin.test'" \
    "wronghost as origin.test: name mismatch"
out=$(tc --cacert "$WK_TESTCA" --resolve "other.example:$W:127.0.0.1" \
    "https://other.example:$W/bytes/10" | sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 10)" "wronghost as other.example: accepted"
wk_like "$(cat "$WK_T/wronghost.log")" 'sni=other.example$' \
    "wronghost: the SNI other.example is logged"

wk_tls_origin_start unknown unknown
U=$WK_TLS_PORT
out=$(tc --cacert "$WK_TESTCA" "https://127.0.0.1:$U/bytes/10" 2>&1)
rc=$?
wk_is "$rc" 60 "unknown issuer: curl refuses (exit 60)"
wk_like "$out" 'unable to get local issuer certificate' \
    "unknown issuer: \"unable to get local issuer certificate\""
out=$(tc --cacert "$C/unknownca.pem" "https://127.0.0.1:$U/bytes/10" |
    sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 10)" "unknown: accepted when its own CA is trusted"

# A chain file as --cert (by path; the key is the .key beside it).
cp "$C/good.key" "$WK_T/chain.key"
cp "$C/good-chain.pem" "$WK_T/chain.pem"
wk_tls_origin_start chain "$WK_T/chain.pem"
out=$(tc --cacert "$WK_TESTCA" "https://127.0.0.1:$WK_TLS_PORT/bytes/10" |
    sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 10)" "a server started by path, with a chain file"

# ---- TLS versions, ALPN -------------------------------------------------------

wk_tls_origin_start tls12 good --tls-max 1.2 --alpn http/1.1
T12=$WK_TLS_PORT
out=$(tc --cacert "$WK_TESTCA" --tls-max 1.2 "https://127.0.0.1:$T12/bytes/10" |
    sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 10)" "TLS 1.2-only: curl --tls-max 1.2 works"
out=$(tc --cacert "$WK_TESTCA" --tlsv1.3 "https://127.0.0.1:$T12/bytes/10" 2>&1)
rc=$?
wk_is "$rc" 35 "TLS 1.2-only: curl --tlsv1.3 is refused (exit 35)"
wk_like "$out" 'protocol version' "... protocol version alert"
wk_like "$(cat "$WK_T/tls12.log")" 'tls version=TLSv1.2 .* alpn=http/1.1' \
    "TLS 1.2-only: logged TLSv1.2 and ALPN http/1.1"
wk_like "$(cat "$WK_T/tls12.log")" 'tls handshake failed: .*UNSUPPORTED_PROTOCOL' \
    "TLS 1.2-only: the refused handshake is logged"
out=$(tc -v --cacert "$WK_TESTCA" "https://127.0.0.1:$T12/bytes/10" 2>&1 \
    >/dev/null)
wk_like "$out" 'ALPN.*accepted.*http/1.1' "--alpn http/1.1: curl sees ALPN http/1.1"

wk_tls_origin_start tls13 good --tls-min 1.3
T13=$WK_TLS_PORT
out=$(tc --cacert "$WK_TESTCA" --tls-max 1.2 "https://127.0.0.1:$T13/" 2>&1)
rc=$?
wk_is "$rc" 35 "TLS 1.3-only: curl --tls-max 1.2 is refused (exit 35)"
out=$(tc --cacert "$WK_TESTCA" --tlsv1.3 "https://127.0.0.1:$T13/bytes/10" |
    sha256sum | cut -d' ' -f1)
wk_is "$out" "$(wk_data_sha 10)" "TLS 1.3-only: curl --tlsv1.3 works"

# ---- raw echo ---------------------------------------------------------------

wk_tls_origin_start raw - --raw-echo
R=$WK_TLS_PORT
out=$(wk_py "$R" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
msg = b"not TLS at all\r\n" * 1000
s.sendall(msg)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
import hashlib
want = msg + b"bye %d %s\n" % (len(msg), hashlib.sha256(msg).hexdigest().encode())
print("ok" if got == want else "bad %d %r" % (len(got), got[-80:]))
EOF
)
wk_is "$out" ok "--raw-echo: echoes a plain byte stream, then bye LEN SHA"
wk_like "$(cat "$WK_T/raw.log")" 'conn=1 raw half-close received after 16000 bytes' \
    "--raw-echo: logged"
out=$(tc --cacert "$WK_TESTCA" "https://127.0.0.1:$R/" 2>&1)
rc=$?
[ $rc -ne 0 ]
wk_is "$?" 0 "--raw-echo: a TLS client fails there (exit $rc)"

wk_done
