#!/bin/bash
# test_zones.sh: zones. Requests routed to different upstreams by zone
# (seen by which fake SOCKS upstream received them), over plain HTTP,
# CONNECT and SOCKS5; deny in HTTP (403 naming zone and rule), CONNECT,
# SOCKS5 (0x02) and SOCKS4 (0x5b); the default zone; CIDR terms against a
# name's resolved addresses; reload swaps zones while a request in flight
# keeps its route; `wicket zone` names zone, rule and route.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
O=$WK_ORIGIN_PORT
sha=$(wk_data_sha 1000)

wk_fake_socks_start fa
wk_fake_socks_start fb
FA=$(cat "$WK_T/fa.port")
FB=$(cat "$WK_T/fb.port")

zone_lines() { # $1: the upstream of zone a
	printf '%s\n' "upstream ua { socks5 127.0.0.1:$FA }" \
	    "upstream ub { socks5 127.0.0.1:$FB }" \
	    "zone a { match *.a.test; route $1 }" \
	    "zone b { match .b.test bücher.test; route ub }" \
	    "zone blocked {
	match .deny.test 127.0.0.2 ads*.test:80
	action deny
}" \
	    "zone local { match 127.0.0.1; route direct; cookies off }"
}
mapfile -t lines < <(zone_lines ua)
wk_proxy_start_or_bail "${lines[@]}"
P=$WK_PROXY_PORT

# got URL [CURL-ARGS...]: the body's sha256
got() {
	local u=$1
	shift
	curl -sS --max-time 20 "$@" "$u" | sha256sum | cut -d' ' -f1
}

wk_is "$(got "http://x.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P")" "$sha" \
    "zone a (plain HTTP): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name x\.a\.test $O" \
    "zone a (plain HTTP): upstream ua carried it"
wk_unlike "$(cat "$WK_T/fb.log")" "x\.a\.test" "zone a: not upstream ub"

wk_is "$(got "http://y.a.test:$O/bytes/1000" -p -x "http://127.0.0.1:$P")" "$sha" \
    "zone a (CONNECT): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name y\.a\.test $O" \
    "zone a (CONNECT): upstream ua carried it"

wk_is "$(got "http://b.test:$O/bytes/1000" --socks5-hostname "127.0.0.1:$P")" "$sha" \
    "zone b (SOCKS5 client): the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name b\.test $O" \
    "zone b (.b.test matches b.test itself): upstream ub carried it"
wk_is "$(got "http://deep.er.b.test:$O/bytes/1000" -x "http://127.0.0.1:$P")" "$sha" \
    "zone b: a deeper name"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name deep\.er\.b\.test $O" \
    "zone b: .b.test matches deep.er.b.test"
# curl here has no IDN: send the name percent-encoded (UTF-8) ourselves
out=$(wk_py "$P" "$O" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("GET http://b%%C3%%BCcher.test:%s/bytes/1000 HTTP/1.1\r\n"
           "Host: xn--bcher-kva.test:%s\r\nConnection: close\r\n\r\n"
           % (sys.argv[2], sys.argv[2])).encode())
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.split(b"\r\n")[0].decode())
EOF
)
wk_like "$out" "^HTTP/1\.1 200" "zone b: a Unicode name in the config"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name xn--bcher-kva\.test $O" \
    "zone b: the UTF-8 term matched the A-label destination"

# *.a.test does not match a.test itself: the default zone, direct (the name
# does not resolve, so the direct connection fails with 502)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P" "http://a.test:$O/")
wk_is "$code" 502 "*.a.test does not match a.test (default zone: direct)"
wk_unlike "$(cat "$WK_T/fa.log")" "name a\.test " "a.test never reached ua"

# the local zone: direct
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" -x "http://127.0.0.1:$P")" "$sha" \
    "zone local (127.0.0.1): direct"

# deny: HTTP
body=$(curl -s -D "$WK_T/h403" --max-time 20 -x "http://127.0.0.1:$P" \
    "http://www.deny.test:$O/")
wk_like "$(head -n1 "$WK_T/h403")" "^HTTP/1\.1 403" "deny (HTTP): 403"
wk_like "$body" 'zone "blocked"' "deny page names the zone"
wk_like "$body" "wicket\.conf:[0-9]+: match \.deny\.test" "deny page names the rule (file:line)"
wk_like "$(tr -d '\r' <"$WK_T/h403")" "X-Wicket-Error: zone" "deny: X-Wicket-Error: zone"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P" "http://ads7.test:80/")
wk_is "$code" 403 "deny: shell pattern with a port (ads*.test:80)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P" "http://127.0.0.2:$O/")
wk_is "$code" 403 "deny: an IP literal (127.0.0.2)"

# deny: CONNECT, SOCKS5 (0x02), SOCKS4 (0x5b)
out=$(wk_py "$P" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s
s = conn()
s.sendall(b"CONNECT www.deny.test:443 HTTP/1.1\r\nHost: www.deny.test:443\r\n\r\n")
print("connect", s.recv(100).split(b"\r\n")[0].decode())
s.close()
s = conn()
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
name = b"x.deny.test"
s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", 80))
r = s.recv(10)
print("socks5 rep %d" % r[1])
s.close()
s = conn()
s.sendall(b"\x04\x01" + struct.pack(">H", 80) + bytes([127, 0, 0, 2]) + b"u\0")
r = s.recv(8)
print("socks4 rep %#x" % r[1])
s.close()
EOF
)
wk_like "$out" "connect HTTP/1\.1 403" "deny (CONNECT): 403"
wk_like "$out" "socks5 rep 2" "deny (SOCKS5): reply 0x02"
wk_like "$out" "socks4 rep 0x5b" "deny (SOCKS4): reply 0x5b"
wk_retry 30 grep -q 'x\.deny\.test' "$WK_ACCESS"
wk_like "$(cat "$WK_ACCESS")" "SOCKS5 x\.deny\.test:80 .*403" \
    "deny (SOCKS5) is in the access log"

# UDP ASSOCIATE: a datagram to a denied zone (127.0.0.2) and one to a zone
# that only goes through an upstream (x.a.test) are dropped; one to the
# direct zone (127.0.0.1) is relayed
out=$(wk_py <<'EOF'
import socket, threading, wkclient as w
echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.bind(("0.0.0.0", 0))
eport = echo.getsockname()[1]
def serve():
    while True:
        d, a = echo.recvfrom(2048)
        echo.sendto(b"echo:" + d, a)
threading.Thread(target=serve, daemon=True).start()
s = w.connect(timeout=5)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
rep = b""
while len(rep) < 10:
    rep += s.recv(10 - len(rep))
bnd = (socket.inet_ntoa(rep[4:8]), int.from_bytes(rep[8:10], "big"))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1.5)
p = eport.to_bytes(2, "big")
name = b"x.a.test"
u.sendto(b"\x00\x00\x00\x01\x7f\x00\x00\x02" + p + b"denied", bnd)
u.sendto(b"\x00\x00\x00\x03" + bytes([len(name)]) + name + p + b"upstream", bnd)
u.sendto(b"\x00\x00\x00\x01\x7f\x00\x00\x01" + p + b"direct", bnd)
got = []
try:
    while True:
        d, _ = u.recvfrom(2048)
        got.append(d[10:].decode(errors="replace"))
except socket.timeout:
    pass
print("got", " ".join(sorted(got)))
EOF
)
wk_is "$out" "got echo:direct" "UDP: only the datagram to the direct zone was relayed"
wk_like "$(cat "$WK_ERRLOG")" 'UDP datagram to 127\.0\.0\.2:[0-9]+ dropped: zone "blocked" denies it' \
    "UDP: the denied datagram is logged"

# `wicket zone`: zone, rule, route
out=$("$WICKET" zone -c "$WK_CONF" "http://x.a.test/page")
wk_like "$out" "zone +a " "wicket zone: the zone"
wk_like "$out" "rule +.*wicket\.conf:[0-9]+: match \*\.a\.test" "wicket zone: the rule"
wk_like "$out" "route +ua" "wicket zone: the route"
out=$("$WICKET" zone -c "$WK_CONF" "bücher.test")
wk_like "$out" "bücher\.test \(xn--bcher-kva\.test\)" "wicket zone: both forms of the name"
out=$("$WICKET" zone -c "$WK_CONF" "www.deny.test:443")
wk_like "$out" "action +deny" "wicket zone: deny"
out=$("$WICKET" zone -c "$WK_CONF" "nowhere.example")
wk_like "$out" "default zone" "wicket zone: no rule, the default zone"

# reload: zone a now goes through ub; a slow request started before keeps ua
: >"$WK_T/fa.log"
: >"$WK_T/fb.log"
curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://slow.a.test:$O/slow/1500" \
    >"$WK_T/slow.out" 2>&1 &
slowpid=$!
wk_retry 50 grep -q "slow\.a\.test" "$WK_T/fa.log"
mapfile -t lines < <(zone_lines ub)
wk_proxy_write_conf "$WK_CONF" "$P" "$WK_DIR" "${lines[@]}"
kill -HUP "$WK_PID"
wk_log_wait "configuration reloaded" >/dev/null
wait $slowpid
wk_is "$(cat "$WK_T/slow.out")" "slow" "reload: the request in flight finished"
wk_like "$(cat "$WK_T/fa.log")" "slow\.a\.test" "reload: it kept the route it started with (ua)"
wk_is "$(got "http://z.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P")" "$sha" \
    "reload: a new request to zone a"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name z\.a\.test" "reload: now through ub"
wk_unlike "$(cat "$WK_T/fa.log")" "z\.a\.test" "reload: not through ua"
wk_proxy_stop

# the default zone denies; CIDR terms see a name's addresses (localhost is
# 127.0.0.1 in /etc/hosts)
wk_proxy_start_or_bail "zone default { action deny }" \
    "zone mine { match 127.0.0.1:$O }" \
    "zone lan { match 127.0.0.0/8; route direct }"
P=$WK_PROXY_PORT
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/")
wk_is "$code" 200 "zone with a port: allowed"
body=$(curl -s --max-time 20 -x "http://127.0.0.1:$P" "http://elsewhere.test:$O/")
wk_like "$body" "default zone" "the default zone denies what nothing matched"
if getent hosts localhost | grep -q '127\.0\.0\.1'; then
	wk_is "$(got "http://localhost:$O/bytes/1000" -x "http://127.0.0.1:$P")" \
	    "$sha" "CIDR term matched a name by its resolved address"
else
	wk_skip "CIDR term matched a name by its resolved address" \
	    "localhost is not 127.0.0.1 here"
fi
wk_proxy_stop

wk_done
