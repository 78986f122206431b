#!/bin/bash
# test_upstream.sh: routes through upstream proxies: microsocks (SOCKS5),
# tinyproxy (HTTP), a second wicket, a fake SOCKS4/4a/5 server that logs
# what it is asked (names must arrive unresolved), failover, all hops down.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
O=$WK_ORIGIN_PORT
sha=$(wk_data_sha 100000)

# fake SOCKS servers: one open, one with user/password
start_fake() {
	local name=$1
	shift
	setsid "$WK_PY" "$WK_SERVERS/fakesocks.py" --port-file "$WK_T/$name.port" \
	    --log "$WK_T/$name.log" "$@" </dev/null >"$WK_T/$name.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 test -s "$WK_T/$name.port" || { echo "Bail out! $name"; exit 99; }
	: >>"$WK_T/$name.log"
}
start_fake fake
start_fake fakeauth --user bob --password pw
F=$(cat "$WK_T/fake.port")
FA=$(cat "$WK_T/fakeauth.port")
CLOSED=$(wk_free_port)

# three ways through a route: plain HTTP, CONNECT, a SOCKS5 client
check_route() {
	local what=$1 got
	got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "$what: plain HTTP"
	got=$(curl -sS --max-time 20 -p -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "$what: CONNECT"
	got=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "$what: SOCKS5 client"
}

if command -v microsocks >/dev/null; then
	MS=$(wk_free_port)
	setsid microsocks -i 127.0.0.1 -p "$MS" </dev/null >"$WK_T/ms.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 wk_port_open "$MS"
	wk_proxy_start_or_bail "upstream ms { socks5 127.0.0.1:$MS }" "route ms"
	check_route "wicket -> microsocks (SOCKS5)"
	wk_log_wait 'GET http://127\.0\.0\.1:[0-9]+/bytes/100000 200 .* socks5:ms ' 5 "$WK_ACCESS"
	wk_is "$?" 0 "the access log names the hop (socks5:ms)"
	# failover: the first hop refuses
	wk_proxy_start_or_bail "upstream down { socks5 127.0.0.1:$CLOSED }" \
	    "upstream ms { socks5 127.0.0.1:$MS }" "route down ms"
	check_route "failover: down -> ms"
	wk_log_wait 'upstream down \(socks5 127\.0\.0\.1:[0-9]+\): connection refused' 5
	wk_is "$?" 0 "failover: the log names the hop that failed"
else
	for i in 1 2 3 4 5 6 7 8; do wk_skip "microsocks chains" "microsocks not installed"; done
fi

if command -v tinyproxy >/dev/null; then
	TP=$(wk_free_port)
	cat >"$WK_T/tp.conf" <<EOF
Port $TP
Listen 127.0.0.1
Timeout 30
MaxClients 50
Allow 127.0.0.1
ConnectPort $O
LogLevel Error
LogFile "$WK_T/tp.log"
EOF
	setsid tinyproxy -d -c "$WK_T/tp.conf" </dev/null >"$WK_T/tp.out" 2>&1 &
	WK_PIDS="$WK_PIDS $!"
	wk_retry 15 wk_port_open "$TP"
	wk_proxy_start_or_bail "upstream tp { http 127.0.0.1:$TP }" "route tp"
	check_route "wicket -> tinyproxy (HTTP)"
	out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:$O/echo")
	wk_like "$out" 'tinyproxy' "through tinyproxy: the origin sees tinyproxy's Via"
else
	for i in 1 2 3 4; do wk_skip "tinyproxy chain" "tinyproxy not installed"; done
fi

# wicket -> wicket (HTTP upstream)
wk_proxy_start_or_bail
W1=$WK_PROXY_PORT
wk_proxy_start_or_bail "upstream w1 { http 127.0.0.1:$W1 }" "route w1"
check_route "wicket -> wicket (HTTP)"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:$O/echo")
wk_is "$(printf '%s\n' "$out" | tr -d '\r' | grep -ci '^via: 1\.1 wicket$')" 2 \
    "wicket -> wicket: the origin sees both proxies in Via"

# names pass to SOCKS4a/5 upstreams unresolved; SOCKS4 gets an address
for kind in socks5 socks4a socks4; do
	wk_proxy_start_or_bail "upstream f { $kind 127.0.0.1:$F }" "route f"
	host=origin.test
	[ "$kind" = socks4 ] && host=localhost
	got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://$host:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
	wk_is "$got" "$sha" "through a $kind upstream by name: body intact"
	case $kind in
	socks4) re="REQ socks4 ip 127\\.0\\.0\\.1 $O" ;;
	*) re="REQ $kind name origin\\.test $O" ;;
	esac
	wk_log_wait "$re" 5 "$WK_T/fake.log"
	wk_is "$?" 0 "$kind upstream received: $(echo "$re" | sed 's/\\//g')"
done
wk_proxy_start_or_bail "upstream f { socks5 127.0.0.1:$F }" "route f"
WK_REQ="GET http://b%C3%BCcher.test:$O/bytes/100 HTTP/1.1|Host: localhost|Connection: close||" \
    wk_py <<'EOF' >/dev/null
import os, wkclient as w
s = w.connect(timeout=10)
s.sendall(os.environ["WK_REQ"].encode().replace(b"|", b"\r\n"))
w.read_response(w.Reader(s))
EOF
wk_log_wait "REQ socks5 name xn--bcher-kva\\.test $O" 5 "$WK_T/fake.log"
wk_is "$?" 0 "a UTF-8 name reaches the SOCKS5 upstream as its A-label, unresolved"

# SOCKS5 upstream with user/password (the config file must be 0600)
wk_proxy_start_or_bail "upstream a { socks5 127.0.0.1:$FA; user bob; password pw }" "route a"
got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$sha" "SOCKS5 upstream with user/password"
wk_log_wait "AUTH bob ok" 5 "$WK_T/fakeauth.log"
wk_is "$?" 0 "the upstream saw the right credentials"

# an https upstream (TLS to proxies comes later) is skipped, never spoken to in clear
wk_proxy_start_or_bail "upstream s { https 127.0.0.1:$CLOSED }" "route s direct"
got=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
    "http://127.0.0.1:$O/bytes/100000" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$sha" "an https upstream is skipped; the next hop (direct) serves"
wk_log_wait 'upstream s \(https .*TLS to upstream proxies is not supported yet' 5
wk_is "$?" 0 "... and the log says why"

# every hop down
wk_proxy_start_or_bail "upstream d1 { socks5 127.0.0.1:$CLOSED }" \
    "upstream d2 { http 127.0.0.1:$CLOSED }" "route d1 d2"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" -D - \
    "http://127.0.0.1:$O/bytes/10" 2>&1)
wk_like "$out" 'HTTP/1.1 502' "all hops down: 502"
wk_like "$out" 'X-Wicket-Error: upstream' "... X-Wicket-Error: upstream"
wk_like "$out" 'upstream d2 \(http 127\.0\.0\.1:[0-9]+\): connection refused' \
    "... the body names the last upstream tried"
curl -sS --max-time 20 --socks5 "127.0.0.1:$WK_PROXY_PORT" "http://127.0.0.1:$O/bytes/10" >/dev/null 2>&1
wk_is "$?" 97 "all hops down: a SOCKS5 client gets a failure reply"

wk_done
