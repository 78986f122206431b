#!/bin/bash
# test_pac.sh: routing by a proxy auto-config script. `route pac` with a
# file:// and an http:// script sends .a.test through fake SOCKS upstream A
# and the rest direct (plain HTTP, CONNECT, a SOCKS5 client), with failover
# inside the answer; the URL the script is given; the answer cache; reload
# on change and on SIGHUP; a new script that does not load keeps the old
# one; no script at start; a throwing, a looping, a garbage-returning and
# a heap-eating script (pac-fallback or 502 X-Wicket-Error: pac, never a
# silent DIRECT; the helper is restarted); alert(); zones with `route pac` next to direct, denied and
# fixed-upstream zones; the generated PAC (/proxy.pac, /wpad.dat,
# STATE_DIR/proxy.pac, `wicket pac`), evaluated by a second wicket.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
O=$WK_ORIGIN_PORT
sha=$(wk_data_sha 1000)

wk_fake_socks_start fa
wk_fake_socks_start fb
wk_fake_socks_start fc
A=$(cat "$WK_T/fa.port")
B=$(cat "$WK_T/fb.port")
C=$(cat "$WK_T/fc.port")
wk_closed_port_start
CLOSED=$WK_CLOSED_PORT

# an HTTP server for http:// scripts: serves $WK_T/www, logs each request
mkdir -p "$WK_T/www"
setsid timeout 600 "$WK_PY" -c 'import functools, http.server, os, sys
d, pf, log = sys.argv[1:4]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *a):
        with open(log, "a") as f:
            f.write((fmt % a) + "\n")
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                    functools.partial(H, directory=d))
with open(pf + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(pf + ".tmp", pf)
s.serve_forever()' "$WK_T/www" "$WK_T/hs.port" "$WK_T/hs.log" \
    </dev/null >"$WK_T/hs.out" 2>&1 &
WK_PIDS="$WK_PIDS $!"
wk_retry 15 test -s "$WK_T/hs.port" || { echo "Bail out! PAC HTTP server"; exit 99; }
HS=$(cat "$WK_T/hs.port")
: >>"$WK_T/hs.log"

LOCALHOST_OK=
getent hosts localhost | grep -q '^127\.0\.0\.1' && LOCALHOST_OK=1

# got URL [CURL-ARGS...]: the body's sha256 (through proxy $P)
got() {
	local u=$1
	shift
	curl -sS --max-time 20 "$@" "$u" 2>/dev/null | sha256sum | cut -d' ' -f1
}
# count ERE FILE: matching lines
count() {
	grep -Ec -- "$1" "$2" 2>/dev/null
}
# wait_count ERE N FILE [SECONDS]: until FILE has N lines matching ERE
wait_count() {
	local i=0 lim=$((${4:-5} * 10))
	while [ "$(count "$1" "$3")" -lt "$2" ] && [ $i -lt $lim ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(count "$1" "$3")" -ge "$2" ]
}
# log_has ERE FILE DESC: FILE gets a line matching ERE within 5 s (access
# log lines are written when the connection ends)
log_has() {
	if wk_log_wait "$1" 5 "$2"; then
		wk_pass "$3"
	else
		wk_fail "$3" "no line matching /$1/ in $2:" "$(tail -n 8 "$2" 2>/dev/null)"
	fi
}
# put FILE: stdin to FILE, atomically
put() {
	cat >"$1.tmp" && mv -f "$1.tmp" "$1"
}
# main_pac PORT TAG: .a.test through SOCKS5 127.0.0.1:PORT, failover cases,
# the rest DIRECT; alerts each URL it is asked about
main_pac() {
	cat <<EOF
// main PAC script, $2
alert("main script $2 loaded");
function FindProxyForURL(url, host) {
  alert("ask $2 " + url + " host " + host);
  if (dnsDomainIs(host, ".a.test"))
    return "SOCKS5 127.0.0.1:$1";
  if (dnsDomainIs(host, ".fo.test"))
    return "SOCKS5 127.0.0.1:$CLOSED; SOCKS5 127.0.0.1:$B";
  if (host == "localhost")
    return "PROXY 127.0.0.1:$CLOSED; DIRECT";
  if (dnsDomainIs(host, ".hs.test"))
    return "HTTPS 127.0.0.1:$CLOSED; SOCKS5 127.0.0.1:$B";
  return "DIRECT";
}
EOF
}

# ---- 1. file:// PAC: .a.test through A, the rest DIRECT --------------------
main_pac "$A" v1 | put "$WK_T/main.pac"
wk_proxy_start_or_bail "pac file://$WK_T/main.pac" "route pac"
P1=$WK_PROXY_PORT
W1=$WK_PID
E1=$WK_ERRLOG
L1=$WK_ACCESS
wk_log_wait 'pac: loaded file://.*/main\.pac \([0-9]+ bytes\)' 5 "$E1"
wk_is "$?" 0 "file:// PAC: the log says it was loaded"

wk_is "$(got "http://p1.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "file:// PAC, .a.test (plain HTTP): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name p1\.a\.test $O" \
    "... upstream A carried it (the name unresolved)"
wk_is "$(got "http://c1.a.test:$O/bytes/1000" -p -x "http://127.0.0.1:$P1")" "$sha" \
    "file:// PAC, .a.test (CONNECT): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name c1\.a\.test $O" \
    "... upstream A carried it"
wk_is "$(got "http://s1.a.test:$O/bytes/1000" --socks5-hostname "127.0.0.1:$P1")" "$sha" \
    "file:// PAC, .a.test (SOCKS5 client): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name s1\.a\.test $O" \
    "... upstream A carried it"
wk_unlike "$(cat "$WK_T/fb.log" "$WK_T/fc.log")" "a\.test" \
    "... and no other upstream saw .a.test"

n0=$(wk_access_lines)
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "file:// PAC, DIRECT (plain HTTP): the page arrives"
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" -p -x "http://127.0.0.1:$P1")" "$sha" \
    "file:// PAC, DIRECT (CONNECT): the page arrives"
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" --socks5-hostname "127.0.0.1:$P1")" "$sha" \
    "file:// PAC, DIRECT (SOCKS5 client): the page arrives"
wk_unlike "$(cat "$WK_T/fa.log" "$WK_T/fb.log" "$WK_T/fc.log")" "127\.0\.0\.1 $O" \
    "... no upstream saw the DIRECT requests"
wk_access_wait $((n0 + 3))
wk_is "$(tail -n +$((n0 + 1)) "$L1" | grep -Ec " 200 [0-9]+ [0-9]+ [0-9]+ 127\.0\.0\.1:$O ")" 3 \
    "... the access log shows them connected to the origin itself"
log_has "GET http://p1\.a\.test:$O/bytes/1000 200 [0-9]+ [0-9]+ [0-9]+ socks5:pac-127\.0\.0\.1:$A " "$L1" \
    "the access log names the PAC hop (pac-127.0.0.1:A)"
log_has "SOCKS5 s1\.a\.test:$O 200 [0-9]+ [0-9]+ [0-9]+ socks5:pac-127\.0\.0\.1:$A " "$L1" \
    "... with its kind for a SOCKS5 client (socks5:pac-127.0.0.1:A)"
wk_like "$(grep " GET http://p1\.a\.test:$O/bytes/1000 " "$L1")" \
    " 200 [0-9]+ [0-9]+ [0-9]+ socks5:pac-127\.0\.0\.1:$A " \
    "... and with its kind for plain HTTP too (socks5:pac-127.0.0.1:A)"

# the URL the script is given
wk_like "$(cat "$E1")" "pac: alert: ask v1 http://p1\.a\.test:$O/bytes/1000 host p1\.a\.test\$" \
    "plain HTTP: the script gets http://host:port/path and the host"
wk_like "$(cat "$E1")" "pac: alert: ask v1 https://c1\.a\.test:$O/ host c1\.a\.test\$" \
    "CONNECT: the script gets https://host:port/"
wk_like "$(cat "$E1")" "pac: alert: ask v1 https://s1\.a\.test:$O/ host s1\.a\.test\$" \
    "SOCKS5 client: the script gets https://host:port/"
curl -sS --max-time 10 --socks5-hostname "127.0.0.1:$P1" "http://p80.a.test/" >/dev/null 2>&1
wk_log_wait "pac: alert: ask v1 .* host p80\.a\.test\$" 5 "$E1"
wk_like "$(grep 'host p80\.a\.test$' "$E1")" "ask v1 http://p80\.a\.test/ host" \
    "SOCKS5 client to port 80: the script gets http://host/"

# the answer cache (default 30 s): a second request for p1.a.test does not
# ask the script again
n=$(count "alert: ask v1 .* host p1\.a\.test\$" "$E1")
wk_is "$(got "http://p1.a.test:$O/bytes/1000?again" -x "http://127.0.0.1:$P1")" "$sha" \
    "cached answer: the page arrives again"
sleep 0.3
wk_is "$(count "alert: ask v1 .* host p1\.a\.test\$" "$E1")" "$n" \
    "... the script was not asked again (the answer is cached)"
wk_log_wait "GET http://p1\\.a\\.test:$O/bytes/1000\\?again 200 [0-9]+ [0-9]+ [0-9]+ (socks5:)?pac-127\\.0\\.0\\.1:$A " 5 "$L1"
wk_is "$?" 0 "... and the cached answer still routes through A"

# ---- 2. failover inside the answer -----------------------------------------
wk_is "$(got "http://x.fo.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "\"SOCKS5 closed; SOCKS5 B\" (plain HTTP): the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name x\.fo\.test $O" "... B carried it"
wk_log_wait "pac-127\\.0\\.0\\.1:$CLOSED \\(socks5 127\\.0\\.0\\.1:$CLOSED\\): connection refused" 5 "$E1"
wk_is "$?" 0 "... after the closed SOCKS5 hop refused (logged)"
wk_is "$(got "http://y.fo.test:$O/bytes/1000" --socks5-hostname "127.0.0.1:$P1")" "$sha" \
    "\"SOCKS5 closed; SOCKS5 B\" (SOCKS5 client): the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name y\.fo\.test $O" "... B carried it"
if [ -n "$LOCALHOST_OK" ]; then
	wk_is "$(got "http://localhost:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
	    "\"PROXY closed; DIRECT\": the page arrives"
	wk_log_wait "pac-127\\.0\\.0\\.1:$CLOSED \\(http 127\\.0\\.0\\.1:$CLOSED\\): connection refused" 5 "$E1"
	wk_is "$?" 0 "... after the closed PROXY hop refused (logged)"
	log_has "GET http://localhost:$O/bytes/1000 200 [0-9]+ [0-9]+ [0-9]+ 127\\.0\\.0\\.1:$O " "$L1" \
	    "... and it went DIRECT (the access log names the origin's address)"
else
	for i in 1 2 3; do wk_skip "PROXY closed; DIRECT" "localhost is not 127.0.0.1 here"; done
fi

wk_is "$(got "http://x.hs.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "\"HTTPS closed; SOCKS5 B\": the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name x\.hs\.test $O" "... B carried it"
wk_log_wait "pac-127\\.0\\.0\\.1:$CLOSED \\(https 127\\.0\\.0\\.1:$CLOSED\\): .*connection refused" 5 "$E1"
wk_is "$?" 0 "... the HTTPS entry was tried (TLS) and its failure logged"

# ---- 3. the same from an http:// script ------------------------------------
main_pac "$A" h1 | put "$WK_T/www/main.pac"
wk_proxy_start_or_bail "pac http://127.0.0.1:$HS/main.pac" "route pac"
P2=$WK_PROXY_PORT
E2=$WK_ERRLOG
wk_log_wait "pac: loaded http://127\\.0\\.0\\.1:$HS/main\\.pac" 5 "$E2"
wk_is "$?" 0 "http:// PAC: the log says it was loaded"
wk_like "$(cat "$WK_T/hs.log")" '"GET /main\.pac HTTP/1\.[01]" 200' \
    "http:// PAC: wicket fetched it from the server"
wk_is "$(got "http://p2.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P2")" "$sha" \
    "http:// PAC, .a.test (plain HTTP): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name p2\.a\.test $O" "... upstream A carried it"
wk_is "$(got "http://c2.a.test:$O/bytes/1000" -p -x "http://127.0.0.1:$P2")" "$sha" \
    "http:// PAC, .a.test (CONNECT): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name c2\.a\.test $O" "... upstream A carried it"
wk_is "$(got "http://s2.a.test:$O/bytes/1000" --socks5-hostname "127.0.0.1:$P2")" "$sha" \
    "http:// PAC, .a.test (SOCKS5 client): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name s2\.a\.test $O" "... upstream A carried it"
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" -x "http://127.0.0.1:$P2")" "$sha" \
    "http:// PAC, DIRECT: the page arrives"
wk_like "$(cat "$E2")" "pac: alert: ask h1 http://127\.0\.0\.1:$O/bytes/1000 host 127\.0\.0\.1\$" \
    "... the http:// script was asked"
wk_is "$(got "http://h.fo.test:$O/bytes/1000" -x "http://127.0.0.1:$P2")" "$sha" \
    "http:// PAC, \"SOCKS5 closed; SOCKS5 B\": the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name h\.fo\.test $O" "... B carried it"
if [ -n "$LOCALHOST_OK" ]; then
	wk_is "$(got "http://localhost:$O/bytes/1000?h" -x "http://127.0.0.1:$P2")" "$sha" \
	    "http:// PAC, \"PROXY closed; DIRECT\": the page arrives"
else
	wk_skip "http:// PAC, PROXY closed; DIRECT" "localhost is not 127.0.0.1 here"
fi

# ---- 4. reload --------------------------------------------------------------
# file://: .a.test now goes through B (a longer comment: another size too)
nl=$(count 'pac: loaded ' "$E1")
main_pac "$B" "v2, routing .a.test through B" | put "$WK_T/main.pac"
wk_log_wait 'pac: file://.*/main\.pac changed; reloading' 5 "$E1"
wk_is "$?" 0 "file:// PAC changed: the log says it is reloading"
wait_count 'pac: loaded ' $((nl + 1)) "$E1"
wk_is "$?" 0 "... and that the new script was loaded"
wk_is "$(got "http://r1.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "after the reload: a new .a.test request arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name r1\.a\.test $O" "... through B now"
wk_unlike "$(cat "$WK_T/fa.log")" "r1\.a\.test" "... not through A"
wk_is "$(got "http://p1.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "after the reload: a host cached under the old script"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name p1\.a\.test $O" \
    "... follows the new script at once (old answers dropped)"
wk_like "$(cat "$E1")" "pac: alert: main script v2, routing .a.test through B loaded" \
    "an alert() at load time reaches the log"

# http://: a changed file on the server is not seen before SIGHUP, then is
nl=$(count 'pac: loaded ' "$E2")
nf=$(count '"GET /main\.pac ' "$WK_T/hs.log")
main_pac "$B" "h2, routing .a.test through B" | put "$WK_T/www/main.pac"
sleep 1.2
wk_is "$(got "http://pre.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P2")" "$sha" \
    "http:// PAC changed on the server, no SIGHUP: a new request"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name pre\.a\.test $O" \
    "... still follows the script fetched at start (A)"
kill -HUP "$WK_PID"
wait_count '"GET /main\.pac ' $((nf + 1)) "$WK_T/hs.log"
wk_is "$?" 0 "SIGHUP: wicket fetches the http:// script again"
wait_count 'pac: loaded ' $((nl + 1)) "$E2"
wk_is "$?" 0 "... and loads the new one"
wk_is "$(got "http://r2.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P2")" "$sha" \
    "after SIGHUP: a new .a.test request arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name r2\.a\.test $O" "... through B now"
wk_unlike "$(cat "$WK_T/fa.log")" "r2\.a\.test" "... not through A"

# ---- 5. a new script that does not load keeps the previous one -------------
nl=$(count 'pac: loaded ' "$E1")
{
	echo "// a broken script: ES5 has no let"
	echo "// (line 3 is the error)"
	echo "let x = 1;"
	main_pac "$C" v3
} | put "$WK_T/main.pac"
wk_log_wait 'pac: file://.*/main\.pac does not load: file://.*/main\.pac:3: SyntaxError.*; keeping the previous script' 5 "$E1"
wk_is "$?" 0 "a script with a syntax error: logged with NAME:LINE, the old one kept"
wk_is "$(got "http://k1.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
    "after the broken script: a new .a.test request arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name k1\.a\.test $O" \
    "... still through B (the previous script)"
wk_unlike "$(cat "$WK_T/fc.log")" "a\.test" "... never through C (the broken script)"
wk_is "$(count 'pac: loaded ' "$E1")" "$nl" "... and no \"loaded\" line for it"
wk_unlike "$(cat "$E1")" "main script v3 loaded" "... none of its code ran"

# no script at all (it does not load at start, or the server has none):
# requests routed by pac fail with 502, never DIRECT
printf '%s\n' "let y = 2;" "function FindProxyForURL(u, h) { return \"DIRECT\"; }" |
    put "$WK_T/bad.pac"
for src in "file://$WK_T/bad.pac" "http://127.0.0.1:$HS/missing.pac"; do
	wk_proxy_start_or_bail "pac $src" "route pac"
	case $src in
	file:*) re='pac: file://.*/bad\.pac does not load: file://.*/bad\.pac:1: SyntaxError.*requests routed by pac use pac-fallback or fail' ;;
	*) re="pac: fetching http://127\\.0\\.0\\.1:$HS/missing\\.pac: HTTP 404" ;;
	esac
	wk_log_wait "$re" 5
	wk_is "$?" 0 "no script at start ($src): the log says why"
	body=$(curl -sS -D "$WK_T/h5" --max-time 20 -x "http://127.0.0.1:$WK_PROXY_PORT" \
	    "http://127.0.0.1:$O/bytes/1000" 2>&1)
	wk_like "$(head -n1 "$WK_T/h5")$(tr -d '\r' <"$WK_T/h5" | grep -i '^X-Wicket-Error')" \
	    "^HTTP/1\.1 502 .*X-Wicket-Error: pac" "... a request gets 502, X-Wicket-Error: pac (not DIRECT)"
	wk_like "$body" "no PAC script is loaded" "... the body says no script is loaded"
	wk_proxy_stop
done

# SIGHUP re-reads a file:// script even when its size and mtime look the
# same (the once-a-second check cannot see this change)
f=$WK_T/main.pac
size=$(stat -c %s "$f")
mt=$(stat -c %.9Y "$f")
main_pac "$C" v4 >"$WK_T/v4.pac"
pad=$((size - $(stat -c %s "$WK_T/v4.pac") - 3))
if [ "$pad" -ge 0 ]; then
	printf '//%*s\n' "$pad" "" >>"$WK_T/v4.pac"
	cp "$WK_T/v4.pac" "$f"
	touch -d "@$mt" "$f"
	nl=$(count 'pac: loaded ' "$E1")
	sleep 1.5
	wk_is "$(stat -c %s.%.9Y "$f") $(count 'pac: loaded ' "$E1")" "$size.$mt $nl" \
	    "a file:// script replaced, same size and mtime: not reloaded by the check"
	kill -HUP "$W1"
	wait_count 'pac: loaded ' $((nl + 1)) "$E1"
	wk_is "$?" 0 "... SIGHUP re-reads and loads it"
	wk_like "$(cat "$E1")" "pac: alert: main script v4 loaded" "... the new script ran"
	wk_is "$(got "http://h1.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P1")" "$sha" \
	    "after SIGHUP: a new .a.test request arrives"
	wk_like "$(cat "$WK_T/fc.log")" "REQ socks5 name h1\.a\.test $O" "... through C, as the new script says"
else
	for i in 1 2 3 4 5; do wk_skip "SIGHUP re-reads a file:// script" "cannot pad the script"; done
fi

# ---- 6. a script that throws, loops or returns garbage -----------------------
cat <<EOF | put "$WK_T/fail.pac"
function FindProxyForURL(url, host) {
  if (host == "throw.test" || url.indexOf("/throw") >= 0) throw new Error("boom for " + host);
  if (host == "loop.test" || url.indexOf("/loop") >= 0) { while (true) {} }
  if (host == "junk.test" || url.indexOf("/junk") >= 0) return "FROBNICATE 1.2.3.4";
  if (host == "hog.test") {
    var a = [], s = "x";
    while (true) { s = s + s; a.push(s); }
  }
  if (dnsDomainIs(host, ".a.test"))
    return "SOCKS5 127.0.0.1:$A";
  return "DIRECT";
}
EOF
# with pac-fallback: the fallback upstream C carries them
wk_proxy_start_or_bail "pac file://$WK_T/fail.pac" "route pac" "timeout pac 500ms" \
    "upstream fb { socks5 127.0.0.1:$C }" "pac-fallback fb"
P3=$WK_PROXY_PORT
E3=$WK_ERRLOG
wk_log_wait 'pac: loaded file://.*/fail\.pac' 5 "$E3"
wk_is "$(got "http://throw.test:$O/bytes/1000" -x "http://127.0.0.1:$P3")" "$sha" \
    "a throwing script, pac-fallback fb: the page arrives"
wk_like "$(cat "$WK_T/fc.log")" "REQ socks5 name throw\.test $O" "... through the fallback (C)"
wk_like "$(cat "$E3")" "pac: FindProxyForURL\\(http://throw\\.test:$O/bytes/1000\\): file://.*/fail\\.pac:2: Error: boom for throw\\.test" \
    "... the log has the script's error with NAME:LINE"
wk_like "$(cat "$E3")" "for http://throw\\.test:$O/bytes/1000; using pac-fallback" \
    "... and says pac-fallback was used"
wk_is "$(got "http://junk.test:$O/bytes/1000" -x "http://127.0.0.1:$P3")" "$sha" \
    "a script returning garbage, pac-fallback fb: the page arrives"
wk_like "$(cat "$WK_T/fc.log")" "REQ socks5 name junk\.test $O" "... through the fallback (C)"
nh=$(count 'pac: helper process [0-9]+ started' "$E3")
wk_is "$(got "http://loop.test:$O/bytes/1000" -x "http://127.0.0.1:$P3")" "$sha" \
    "a looping script, pac-fallback fb: the page arrives"
wk_like "$(cat "$WK_T/fc.log")" "REQ socks5 name loop\.test $O" "... through the fallback (C)"
wk_log_wait "pac: the script ran longer than 500 ms and was stopped evaluating http://loop\\.test:$O/bytes/1000" 5 "$E3"
wk_is "$?" 0 "... the log says the script was stopped after 500 ms"
wk_is "$(got "http://a3.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P3")" "$sha" \
    "after the loop: an ordinary .a.test request arrives"
wait_count 'pac: helper process [0-9]+ started' $((nh + 1)) "$E3"
wk_is "$?" 0 "... a new helper process was started"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name a3\.a\.test $O" "... through A (the script answers again)"
wk_unlike "$(cat "$WK_T/fc.log")" "a3\.a\.test" "... not through the fallback"

# without pac-fallback: 502 X-Wicket-Error: pac, never a silent DIRECT (the
# /throw, /junk, /loop URLs on 127.0.0.1 would work DIRECT). Answers are
# cached per scheme+host: these come before any answer for 127.0.0.1 here,
# and the DIRECT request after them shows that failures are not cached.
wk_proxy_start_or_bail "pac file://$WK_T/fail.pac" "route pac" "timeout pac 500ms" \
    "limit pac-heap 2m"
P4=$WK_PROXY_PORT
E4=$WK_ERRLOG
wk_log_wait 'pac: loaded file://.*/fail\.pac' 5 "$E4"
body=$(curl -sS -D "$WK_T/h4" --max-time 20 -x "http://127.0.0.1:$P4" \
    "http://127.0.0.1:$O/throw/x" 2>&1)
wk_like "$(head -n1 "$WK_T/h4")" "^HTTP/1\.1 502" "a throwing script, no pac-fallback: 502 (not DIRECT)"
wk_like "$(tr -d '\r' <"$WK_T/h4")" "X-Wicket-Error: pac" "... X-Wicket-Error: pac"
wk_like "$body" "PAC script gave no route: the script failed: .*fail\\.pac:2: Error: boom for 127\\.0\\.0\\.1" \
    "... the body names the script's error"
body=$(curl -sS -D "$WK_T/h4" --max-time 20 -x "http://127.0.0.1:$P4" \
    "http://127.0.0.1:$O/junk/x" 2>&1)
wk_like "$(head -n1 "$WK_T/h4")" "^HTTP/1\.1 502" "a script returning garbage, no pac-fallback: 502"
wk_like "$(tr -d '\r' <"$WK_T/h4")" "X-Wicket-Error: pac" "... X-Wicket-Error: pac"
wk_like "$body" 'returned \\?"FROBNICATE 1\.2\.3\.4' "... the body quotes what it returned"
curl -sS --max-time 20 -p -x "http://127.0.0.1:$P4" "http://throw.test:$O/" >/dev/null 2>&1
wk_is "$?" 56 "a throwing script, no pac-fallback: CONNECT is refused"
log_has "CONNECT throw\\.test:$O 502 .*\"pac\"" "$WK_ACCESS" "... with a 502 (pac) in the access log"
curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$P4" "http://throw.test:$O/" >/dev/null 2>&1
wk_is "$?" 97 "a throwing script, no pac-fallback: a SOCKS5 client gets a failure reply"
nh=$(count 'pac: helper process [0-9]+ started' "$E4")
out=$(curl -sS -D "$WK_T/h4" --max-time 20 -w '\ntime %{time_total}\n' \
    -x "http://127.0.0.1:$P4" "http://127.0.0.1:$O/loop/x" 2>&1)
wk_like "$(head -n1 "$WK_T/h4")" "^HTTP/1\.1 502" "a looping script, no pac-fallback: 502 (not DIRECT)"
wk_like "$(tr -d '\r' <"$WK_T/h4")" "X-Wicket-Error: pac" "... X-Wicket-Error: pac"
wk_like "$out" "the script ran longer than 500 ms and was stopped" "... the body says it was stopped"
t=$(printf '%s\n' "$out" | sed -n 's/^time //p')
wk_ok "... after about 500 ms (timeout pac), not the 2 s default: ${t}s" \
    awk -v t="$t" 'BEGIN { exit !(t >= 0.4 && t < 1.8) }'
wk_is "$(got "http://a4.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P4")" "$sha" \
    "after the loop: an ordinary .a.test request arrives"
wait_count 'pac: helper process [0-9]+ started' $((nh + 1)) "$E4"
wk_is "$?" 0 "... a new helper process was started"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name a4\.a\.test $O" "... through A"
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" -x "http://127.0.0.1:$P4")" "$sha" \
    "after the loop: an ordinary DIRECT request arrives"

# limit pac-heap: a script that eats its heap fails (502), and the next
# request is answered again
body=$(curl -sS -D "$WK_T/h4" --max-time 20 -x "http://127.0.0.1:$P4" \
    "http://hog.test:$O/hog/x" 2>&1)
wk_like "$(head -n1 "$WK_T/h4")$(tr -d '\r' <"$WK_T/h4" | grep -i '^X-Wicket-Error')" \
    "^HTTP/1\.1 502 .*X-Wicket-Error: pac" "limit pac-heap 2m, a script that eats its heap: 502 pac"
wk_like "$body" "PAC script gave no route: .*(alloc|memory)" "... the body says it ran out of memory"
wk_log_wait "pac: restarting the helper with a fresh heap" 5 "$E4"
wk_is "$?" 0 "... and the helper is restarted with a fresh heap"
wk_is "$(got "http://a5.a.test:$O/bytes/1000" -x "http://127.0.0.1:$P4")" "$sha" \
    "... and the next request is routed by the script again"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name a5\.a\.test $O" "... through A"

# ---- 7. alert() ------------------------------------------------------------
wk_like "$(cat "$E1")" "notice: pac: alert: main script v1 loaded" \
    "alert() at load time: a notice line in the log"
wk_like "$(cat "$E1")" "notice: pac: alert: ask v1 http://127\\.0\\.0\\.1:$O/bytes/1000 host 127\\.0\\.0\\.1\$" \
    "alert() in FindProxyForURL: a notice line in the log"

# ---- 8. zones: only the pac zone asks the script ----------------------------
cat <<EOF | put "$WK_T/zones.pac"
function FindProxyForURL(url, host) {
  alert("zone-pac " + host);
  return "SOCKS5 127.0.0.1:$B";
}
EOF
wk_proxy_start_or_bail "pac file://$WK_T/zones.pac" "timeout pac-cache 0" \
    "upstream ua { socks5 127.0.0.1:$A }" \
    "zone p { match .p.test; route pac }" \
    "zone d { match 127.0.0.1 localhost; route direct }" \
    "zone blocked { match .deny.test; action deny }" \
    "zone u { match .u.test; route ua }"
P5=$WK_PROXY_PORT
E5=$WK_ERRLOG
D5=$WK_DIR
C5=$WK_CONF
L5=$WK_ACCESS
wk_log_wait 'pac: loaded file://.*/zones\.pac' 5 "$E5"
wk_is "$(got "http://x.p.test:$O/bytes/1000" -x "http://127.0.0.1:$P5")" "$sha" \
    "zone p (route pac, plain HTTP): the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name x\.p\.test $O" "... through B, as the script says"
wk_is "$(got "http://y.p.test:$O/bytes/1000" --socks5-hostname "127.0.0.1:$P5")" "$sha" \
    "zone p (route pac, SOCKS5 client): the page arrives"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name y\.p\.test $O" "... through B"
wk_is "$(got "http://x.p.test:$O/bytes/1000" -x "http://127.0.0.1:$P5")" "$sha" \
    "zone p again"
wk_is "$(count 'pac: alert: zone-pac x\.p\.test$' "$E5")" 2 \
    "... timeout pac-cache 0: the script was asked each time"
wk_is "$(got "http://127.0.0.1:$O/bytes/1000" -x "http://127.0.0.1:$P5")" "$sha" \
    "zone d (route direct): the page arrives"
wk_is "$(got "http://z.u.test:$O/bytes/1000" -x "http://127.0.0.1:$P5")" "$sha" \
    "zone u (route ua): the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name z\.u\.test $O" "... through A (its own route)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P5" "http://www.deny.test:$O/")
wk_is "$code" 403 "zone blocked (deny): 403"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P5" "http://nozone.test:$O/")
wk_is "$code" 502 "the default zone (direct): nozone.test does not resolve, 502"
sleep 0.3
wk_like "$(grep 'pac: alert: zone-pac' "$E5")" "zone-pac y\\.p\\.test" \
    "the script was asked for the pac zone's hosts"
wk_unlike "$(grep 'pac: alert: zone-pac' "$E5")" "127\\.0\\.0\\.1|u\\.test|deny\\.test|nozone\\.test" \
    "... and never for the direct, fixed-route, denied or default zone"

# ---- 9. the generated PAC ---------------------------------------------------
for path in proxy.pac wpad.dat; do
	body=$(curl -sS -D "$WK_T/hg" --max-time 20 "http://127.0.0.1:$P5/$path")
	printf '%s\n' "$body" >"$WK_T/gen-$path"
	wk_like "$(head -n1 "$WK_T/hg")" "^HTTP/1\.[01] 200" "GET /$path on wicket's port: 200"
	wk_like "$(tr -d '\r' <"$WK_T/hg")" "^Content-Type: application/x-ns-proxy-autoconfig" \
	    "... Content-Type: application/x-ns-proxy-autoconfig"
	wk_like "$body" "function FindProxyForURL\\(url, host\\)" "... it defines FindProxyForURL"
	wk_like "$body" "\"PROXY 127\\.0\\.0\\.1:$P5\"" "... it names wicket (PROXY 127.0.0.1:$P5)"
done
g=$WK_T/gen-proxy.pac
wk_ok "/proxy.pac and /wpad.dat are the same script" cmp "$g" "$WK_T/gen-wpad.dat"
for z in p d blocked u; do
	wk_like "$(cat "$g")" "// zone $z \\(" "generated PAC: a comment for zone $z"
done
wk_like "$(cat "$g")" "// the default zone" "generated PAC: a comment for the default zone"
# zone_ret FILE ZONE: what the block after "// zone ZONE (" returns
zone_ret() {
	awk -v z="// zone $2 (" 'index($0, z) { on = 1; next }
	    on && /return / { sub(/^ *return /, ""); print; exit }' "$1"
}
wk_is "$(zone_ret "$g" d)" '"DIRECT";' "generated PAC: zone d (direct) returns DIRECT"
for z in p blocked u; do
	wk_is "$(zone_ret "$g" "$z")" 'wkProxy;' "generated PAC: zone $z returns PROXY wicket"
done
wk_is "$(sed -n '/the default zone/{n;p;}' "$g" | tr -d ' ')" 'return"DIRECT";' \
    "generated PAC: the default zone (direct here) returns DIRECT"
wk_is "$(grep -c 'return "DIRECT"' "$g")" 2 "generated PAC: DIRECT for zone d and the default zone only"
"$WICKET" pac -c "$WK_T/proxy1/wicket.conf" >"$WK_T/gen1.pac" 2>&1
wk_is "$(sed -n '/the default zone/{n;p;}' "$WK_T/gen1.pac" | tr -d ' ')" 'returnwkProxy;' \
    "generated PAC with a top-level route pac: the default zone returns PROXY wicket"
sf=$D5/state/proxy.pac
if [ -f "$sf" ]; then
	wk_pass "STATE_DIR/proxy.pac exists"
	wk_ok "... it is the script served at /proxy.pac" cmp "$sf" "$g"
else
	wk_fail "STATE_DIR/proxy.pac exists" "no $sf"
	wk_fail "... it is the script served at /proxy.pac"
fi
"$WICKET" pac -c "$C5" >"$WK_T/gen-cli.pac" 2>"$WK_T/gen-cli.err"
wk_is "$?" 0 "wicket pac -c CONF: exit 0"
wk_ok "... it prints the script served at /proxy.pac" cmp "$WK_T/gen-cli.pac" "$g"

# evaluate the served script: a second wicket uses it, as a desktop would
wk_proxy_start_or_bail "pac http://127.0.0.1:$P5/proxy.pac" "route pac" "timeout pac-cache 0"
P6=$WK_PROXY_PORT
L6=$WK_ACCESS
wk_log_wait "pac: loaded http://127\\.0\\.0\\.1:$P5/proxy\\.pac" 5 "$WK_ERRLOG"
wk_is "$?" 0 "a second wicket loads the generated PAC from the first"
wk_is "$(got "http://127.0.0.1:$O/bytes/1000?gen" -x "http://127.0.0.1:$P6")" "$sha" \
    "through the generated PAC, zone d: the page arrives"
log_has "GET http://127\\.0\\.0\\.1:$O/bytes/1000\\?gen 200 [0-9]+ [0-9]+ [0-9]+ 127\\.0\\.0\\.1:$O " "$L6" \
    "... DIRECT from the second wicket"
wk_unlike "$(cat "$L5")" "bytes/1000\\?gen" "... the first wicket never saw it"
wk_is "$(got "http://g.p.test:$O/bytes/1000" -x "http://127.0.0.1:$P6")" "$sha" \
    "through the generated PAC, zone p: the page arrives"
log_has "GET http://g\\.p\\.test:$O/bytes/1000 200 [0-9]+ [0-9]+ [0-9]+ (http:)?pac-127\\.0\\.0\\.1:$P5 " "$L6" \
    "... sent to the first wicket (PROXY)"
wk_like "$(cat "$WK_T/fb.log")" "REQ socks5 name g\.p\.test $O" "... which routed it by its own PAC (B)"
wk_is "$(got "http://g.u.test:$O/bytes/1000" -x "http://127.0.0.1:$P6")" "$sha" \
    "through the generated PAC, zone u: the page arrives"
wk_like "$(cat "$WK_T/fa.log")" "REQ socks5 name g\.u\.test $O" "... via the first wicket and A"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    -x "http://127.0.0.1:$P6" "http://www.deny.test:$O/gen")
wk_is "$code" 403 "through the generated PAC, zone blocked: 403 from the first wicket"
wk_log_wait "GET http://www\\.deny\\.test:$O/gen 403" 5 "$L5"
wk_is "$?" 0 "... in the first wicket's access log"

wk_done
