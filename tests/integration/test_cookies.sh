#!/bin/bash
# test_cookies.sh: the shared cookie jar in the HTTP engine. An origin sets
# a cookie in a response to curl; wget, with no cookie file of its own,
# then sends it; the same over HTTPS through interception (Secure cookies
# only there); jar-only zones take Set-Cookie out and send exactly the
# jar's; cookies off leaves both untouched; session-only keeps them too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tls.sh"
wk_require_wicket

wk_origin_start http
O=$WK_ORIGIN_PORT
wk_tls_certs_make
wk_tls_origin_start good good
G=$WK_TLS_PORT

# other hosts for the jar-only and off zones: names the fake SOCKS upstream
# maps to 127.0.0.1
wk_fake_socks_start fs
FS=$(cat "$WK_T/fs.port")
ST=$WK_T/state
wk_proxy_start_or_bail "tls-ca-file $WK_TESTCA" "state-dir $ST" \
    "upstream fs { socks5 127.0.0.1:$FS }" \
    "zone jar { match jar.test; cookies jar-only; route fs }" \
    "zone off { match off.test; cookies off; route fs }" \
    "zone tls { match localhost:$G; intercept on }"
P=$WK_PROXY_PORT
CA=$ST/ca/ca.pem
wk_retry 10 test -s "$CA"

# curl gets a cookie set; the response still carries Set-Cookie (zone on)
h=$(curl -sS --max-time 20 -D - -o /dev/null -x "http://127.0.0.1:$P" \
    "http://127.0.0.1:$O/set-cookie?c=sid%3Dabc123%3B+Path%3D%2F&c=pref%3Ddark%3B+Max-Age%3D3600")
wk_like "$h" "Set-Cookie: sid=abc123" "zone on: Set-Cookie still reaches the client"
# wget, no cookie file of its own, sends them through wicket
out=$(wget -q -O - --no-cookies -e use_proxy=yes -e "http_proxy=http://127.0.0.1:$P" \
    "http://127.0.0.1:$O/cookies" 2>&1)
wk_like "$out" "sid=abc123" "wget (no cookies of its own) sends the jar's sid"
wk_like "$out" "pref=dark" "... and pref"
# a client's own cookie wins over the jar's of the same name, others added
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" -H "Cookie: sid=mine" \
    "http://127.0.0.1:$O/cookies")
wk_like "$out" "^sid=mine; pref=dark$" "the client's own sid is kept; the jar adds pref only"
# another host does not get them
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://localhost:$O/cookies")
wk_unlike "$out" "sid=" "another host gets none of them"

# cookies off: untouched both ways
h=$(curl -sS --max-time 20 -D - -x "http://127.0.0.1:$P" \
    "http://off.test:$O/set-cookie?c=x%3D1")
wk_like "$h" "Set-Cookie: x=1" "cookies off: Set-Cookie passes"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://off.test:$O/cookies")
wk_is "$out" "" "cookies off: the jar adds nothing"

# jar-only: Set-Cookie is taken out, and the Cookie header is exactly the jar's
h=$(curl -sS --max-time 20 -D - -x "http://127.0.0.1:$P" \
    "http://jar.test:$O/set-cookie?c=j%3D42")
wk_unlike "$h" "Set-Cookie" "jar-only: Set-Cookie is taken out of the response"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" -H "Cookie: mine=1" \
    "http://jar.test:$O/cookies")
wk_is "$out" "j=42" "jar-only: the Cookie header is exactly the jar's"

# HTTPS through interception: a Secure cookie set there is sent there only
h=$(curl -sS --max-time 20 -D - -o /dev/null -x "http://127.0.0.1:$P" --cacert "$CA" \
    "https://localhost:$G/set-cookie?c=tok%3Dsecret%3B+Secure%3B+HttpOnly")
wk_like "$h" "Set-Cookie: tok=secret" "intercepted HTTPS: the cookie is set"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" --cacert "$CA" \
    "https://localhost:$G/cookies")
wk_like "$out" "tok=secret" "intercepted HTTPS: the jar sends it back"
out=$(wget -q -O - --no-cookies --ca-certificate="$CA" -e use_proxy=yes \
    -e "https_proxy=http://127.0.0.1:$P" "https://localhost:$G/cookies" 2>&1)
wk_like "$out" "tok=secret" "intercepted HTTPS: wget (no cookies of its own) sends the cookie curl got"
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://localhost:$G/cookies" 2>&1)
wk_unlike "$out" "tok=secret" "the Secure cookie is not sent over plain http"

# SameSite, from the request's Sec-Fetch-* fields: a cross-site request
# gets neither a Strict nor a Lax cookie, a cross-site top-level navigation
# the Lax one, a same-site request both
curl -sS --max-time 20 -o /dev/null -x "http://127.0.0.1:$P" \
    "http://127.0.0.1:$O/set-cookie?c=st%3D1%3B+SameSite%3DStrict%3B+Path%3D%2Fcookies%2Fss&c=lx%3D1%3B+SameSite%3DLax%3B+Path%3D%2Fcookies%2Fss"
ss() { curl -sS --max-time 20 -x "http://127.0.0.1:$P" "$@" "http://127.0.0.1:$O/cookies/ss"; }
wk_is "$(ss -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: no-cors' | grep -o 'st=1\|lx=1' | tr '\n' ' ')" "" \
    "SameSite: a cross-site subresource request gets neither Strict nor Lax cookies"
wk_is "$(ss -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: navigate' | grep -o 'st=1\|lx=1' | tr '\n' ' ')" "lx=1 " \
    "SameSite: a cross-site top-level navigation gets the Lax one only"
wk_is "$(ss -H 'Sec-Fetch-Site: same-origin' | grep -o 'st=1\|lx=1' | tr '\n' ' ')" "st=1 lx=1 " \
    "SameSite: a same-origin request gets both"

# persistence: STATE_DIR/wicket.db (0600, WAL) holds the persistent cookies
# within a second or so; a script's change to it is seen by the daemon
db=$ST/wicket.db
q() { "$WK_PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5)
print("\n".join("|".join(str(x) for x in r) for r in c.execute(sys.argv[2])))
c.commit()' "$db" "$1"; }
wk_retry 50 sh -c "test -f '$db'"
wk_is "$(stat -c %a "$db")" 600 "wicket.db is mode 0600"
wk_retry 50 sh -c "\"$WK_PY\" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute(\"select count(*) from cookies where name=\x27pref\x27\").fetchone()[0] else 1)' '$db'"
wk_is "$(q "select value from cookies where name='pref'")" "dark" "the persistent cookie is in the database"
wk_is "$(q "select count(*) from cookies where name='sid'")" "0" "the session cookie is not"
wk_is "$(q "pragma journal_mode")" "wal" "the database is in WAL mode"
q "insert into cookies (name, value, domain, path, expiry_s, persistent, host_only) values ('ext', 'fromscript', '127.0.0.1', '/', 4102444800, 1, 1)" >/dev/null
seen=
for i in $(seq 1 40); do
	out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/cookies")
	case "$out" in *ext=fromscript*) seen=yes; break ;; esac
	sleep 0.1
done
wk_is "$seen" yes "a cookie a script put in the database is sent by the running daemon"

# the command line, while the daemon runs
"$WICKET" cookies -c "$WK_CONF" set "http://127.0.0.1:$O/" 'cli=yes; Max-Age=3600' >/dev/null
seen=
for i in $(seq 1 40); do
	out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/cookies")
	case "$out" in *cli=yes*) seen=yes; break ;; esac
	sleep 0.1
done
wk_is "$seen" yes "wicket cookies set: the running daemon sends it"
wk_like "$("$WICKET" cookies -c "$WK_CONF" get "http://127.0.0.1:$O/x")" "pref=dark" \
    "wicket cookies get: the Cookie header that would be sent"
wk_like "$("$WICKET" cookies -c "$WK_CONF" list --json)" '"name":"pref","value":"dark","domain":"127\.0\.0\.1"' \
    "wicket cookies list --json"
"$WICKET" cookies -c "$WK_CONF" export "$WK_T/export.txt" >/dev/null
wk_like "$(cat "$WK_T/export.txt")" "127\.0\.0\.1	FALSE	/	FALSE	[0-9]+	pref	dark" \
    "wicket cookies export: Netscape cookies.txt"
wk_like "$(curl -sS --max-time 20 -b "$WK_T/export.txt" "http://127.0.0.1:$O/cookies")" "pref=dark" \
    "the export is read back by curl -b"
printf '127.0.0.1\tFALSE\t/\tFALSE\t4102444800\timp\tfromfile\n#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t4102444800\thimp\tho\n' >"$WK_T/import.txt"
wk_like "$("$WICKET" cookies -c "$WK_CONF" import "$WK_T/import.txt")" "^2 imported" \
    "wicket cookies import (with #HttpOnly_)"
wk_like "$("$WICKET" cookies -c "$WK_CONF" list --domain 127.0.0.1)" "himp=ho.*HttpOnly" \
    "the imported HttpOnly cookie is marked so"
wk_like "$("$WICKET" cookies -c "$WK_CONF" delete 127.0.0.1 cli)" "^1 deleted" "wicket cookies delete"
gone=
for i in $(seq 1 40); do
	out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/cookies")
	case "$out" in *cli=yes*) sleep 0.1 ;; *) gone=yes; break ;; esac
done
wk_is "$gone" yes "... and the running daemon stops sending it"
wk_proxy_stop

# an expired row (here put in while the daemon is down) leaves the
# database once the daemon has loaded it
q "insert into cookies (name, value, domain, path, expiry_s, persistent, host_only) values ('old', 'x', '127.0.0.1', '/', 1000, 1, 1)" >/dev/null

# after a restart: persistent cookies stay, session cookies are gone
wk_proxy_start_or_bail "state-dir $ST"
P=$WK_PROXY_PORT
out=$(curl -sS --max-time 20 -x "http://127.0.0.1:$P" "http://127.0.0.1:$O/cookies")
wk_like "$out" "pref=dark" "after a restart: the persistent cookie is sent"
wk_like "$out" "ext=fromscript" "... and the one the script added"
wk_unlike "$out" "sid=" "after a restart: the session cookie is gone"
wk_unlike "$out" "old=" "the expired cookie is not sent"
wk_retry 50 sh -c "test \"\$(\"$WK_PY\" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from cookies where name=\x27old\x27\").fetchone()[0])' '$db')\" = 0"
wk_is "$(q "select count(*) from cookies where name='old'")" "0" "the expired row left the database"
wk_proxy_stop

wk_done
