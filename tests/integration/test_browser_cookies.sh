#!/bin/bash
# test_browser_cookies.sh: a real browser feeds the shared cookie jar.
# Headless Chromium (Debian's chromium), told --proxy-server=wicket, loads
# http://origin.test:PORT/set-cookie?c=browser=chromium; Max-Age=3600; then
# curl through wicket, with no cookies of its own, sends browser=chromium;
# the row is in wicket's STATE_DIR/wicket.db; a second Chromium with a fresh
# profile gets it from wicket too; Chromium's own profile kept it (its
# Cookies database; checked when Chromium wrote it before exiting).
#
# As in test_browser.sh, the page is on origin.test (Chromium never sends
# loopback names to a proxy) and wicket routes that zone through
# servers/fakesocks.py, which maps names ending in .test to 127.0.0.1.
# Chromium is not told where origin.test is, so the cookie can only have
# come through the proxy; every other host falls in `zone default { action
# deny }` and gets 403, so nothing leaves loopback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_browser.sh"
wk_require_wicket
[ "$WK_TEST_PROXY" = wicket ] || wk_skip_all "wicket's cookie jar only"

wk_require_chromium
"$WK_PY" -c 'import sqlite3' 2>/dev/null || wk_skip_all "no Python sqlite3"

wk_fake_socks_start fake
F=$(cat "$WK_T/fake.port")

wk_origin_start http
O=$WK_ORIGIN_PORT

ST=$WK_T/state
DB=$ST/wicket.db
wk_proxy_start_or_bail "state-dir $ST" \
    "upstream fake { socks5 127.0.0.1:$F }" \
    "zone origin { match origin.test; route fake }" \
    "zone other { match other.test; route fake }" \
    "zone default { action deny }"
P=$WK_PROXY_PORT
SETURL="http://origin.test:$O/set-cookie?c=browser%3Dchromium%3B+Max-Age%3D3600"
GETURL=http://origin.test:$O/cookies

# run_chromium NAME ARGS...: headless Chromium with a fresh profile and
# HOME in $WK_T/NAME (kept: the profile is checked afterwards), through
# wicket, bounded to 40 s; the DOM on NAME.dom, its stderr on NAME.err,
# the exit status in CHROME_RC. It runs in its own process group (in
# WK_PIDS while it runs), killed whole when done.
run_chromium() {
	local name=$1
	shift
	wk_chromium "$name" 40 --password-store=basic \
	    --proxy-server="http://127.0.0.1:$P" "$@"
}

# Nothing in the jar yet.
wk_is "$(wk_curl "$GETURL" 2>&1)" "" "before: curl through wicket sends no cookie"

before=$(wk_access_lines)
run_chromium c1 --dump-dom "$SETURL"
wk_is "$CHROME_RC" 0 "chromium exits 0" ||
    wk_diag "chromium stderr:" "$(tail -n 20 "$WK_T/c1.err")"
wk_like "$(cat "$WK_T/c1.dom")" "ok" "Chromium shows the origin's set-cookie page"
wk_retry 10 grep -q "origin\\.test:$O/set-cookie" "$WK_ACCESS"
log=$(tail -n +"$((before + 1))" "$WK_ACCESS")
wk_like "$log" "^[^ ]+ 127\\.0\\.0\\.1:[0-9]+ GET http://origin\\.test:$O/set-cookie\\?c=browser%3Dchromium%3B\\+Max-Age%3D3600 200 [0-9]+ [0-9]+ [0-9]+ socks5:fake " \
    "access log: Chromium's GET of the page through wicket and upstream fake, 200"

# curl through wicket, no cookies of its own, sends the browser's cookie
out=$(wk_curl "$GETURL" 2>&1)
wk_is "$out" "browser=chromium" "curl through wicket sends the cookie Chromium was set"
out=$(wget -q -O - --no-cookies -e use_proxy=yes -e "http_proxy=http://127.0.0.1:$P" \
    "$GETURL" 2>&1)
wk_is "$out" "browser=chromium" "... and so does wget"
# the zone's host only
out=$(wk_curl "http://other.test:$O/cookies" 2>&1)
wk_is "$out" "" "another host (other.test, routed the same way) does not get it"

# wicket's database has the row (persistent: Max-Age), within a few seconds
q() { "$WK_PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=5)
print("\n".join("|".join(str(x) for x in r) for r in c.execute(sys.argv[2])))' "$DB" "$1" 2>&1; }
sel="select name, value, domain, path, host_only, persistent from cookies where name = 'browser'"
wk_retry 10 sh -c "test -f '$DB'"
row=
for i in $(seq 1 50); do
	row=$(q "$sel")
	[ -n "$row" ] && break
	sleep 0.1
done
wk_is "$row" "browser|chromium|origin.test|/|1|1" "wicket's database has the row (host-only, persistent)"
left=$(q "select expiry_s - strftime('%s', 'now') from cookies where name = 'browser'")
if [ -n "$left" ] && [ "$left" -gt 3000 ] 2>/dev/null && [ "$left" -le 3600 ]; then
	wk_pass "... expiring in about an hour (Max-Age=3600: $left s left)"
else
	wk_fail "... expiring in about an hour (Max-Age=3600)" "seconds left: '$left'"
fi

# a second Chromium with a fresh profile (no cookie of its own) is sent it
# by wicket: the page echoes the Cookie field the origin got
run_chromium c2 --dump-dom "$GETURL"
wk_is "$CHROME_RC" 0 "chromium (fresh profile) exits 0" ||
    wk_diag "chromium stderr:" "$(tail -n 20 "$WK_T/c2.err")"
wk_like "$(cat "$WK_T/c2.dom")" "browser=chromium" \
    "a fresh Chromium profile gets the cookie from wicket's jar"

# Chromium's own profile kept it too (if it wrote its Cookies database
# before exiting; it writes it lazily)
cdb=$(find "$WK_T/c1/profile" -name Cookies -type f 2>/dev/null | head -n 1)
crow=
[ -n "$cdb" ] && crow=$("$WK_PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
print("\n".join("|".join(str(x) for x in r) for r in c.execute(
    "select host_key, name, path from cookies where name = ?", ("browser",))))' \
    "$cdb" 2>&1)
if [ -n "$crow" ]; then
	wk_is "$crow" "origin.test|browser|/" "Chromium's own profile kept the cookie (its Cookies database)"
else
	wk_skip "Chromium's own profile kept the cookie" \
	    "no row in Chromium's Cookies database (${cdb:-none}); it is written lazily"
fi

# Every request Chromium sent through wicket: origin.test through upstream
# fake, every other host 403 (nothing left loopback).
n=-1
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(wk_access_lines)" = "$n" ] && break
	n=$(wk_access_lines)
	sleep 0.3
done
log=$(tail -n +"$((before + 1))" "$WK_ACCESS")
hostof='{ t = $4; sub(/^[a-z]+:\/\//, "", t); sub(/[\/?].*/, "", t) }'
bad=$(printf '%s\n' "$log" | awk "$hostof"' NF && $4 !~ /^\// &&
	!(t ~ /^(origin|other)\.test(:[0-9]+)?$/ ? $9 == "socks5:fake" : $5 == 403)')
wk_is "$bad" "" "origin.test went through upstream fake; every other host got 403"

# after a restart the cookie is still sent (it came from the database)
wk_proxy_stop
wk_is "$WK_RC" 0 "wicket exits 0 on SIGTERM"
wk_proxy_start_or_bail "state-dir $ST" \
    "upstream fake { socks5 127.0.0.1:$F }" \
    "zone origin { match origin.test; route fake }" \
    "zone other { match other.test; route fake }" \
    "zone default { action deny }"
wk_is "$(wk_curl "$GETURL" 2>&1)" "browser=chromium" \
    "after a restart: curl through wicket still sends it (from the database)"

wk_done
