#!/bin/bash
# test_browser.sh: a real browser. Headless Chromium (Debian's chromium),
# told only --proxy-pac-url=http://127.0.0.1:PORT/proxy.pac (the PAC wicket
# serves), loads a page from the test origin through wicket.
#
# Chromium never sends loopback names to a PAC-chosen proxy, so the page is
# on origin.test: wicket routes that zone through servers/fakesocks.py,
# which maps names ending in .test to 127.0.0.1 (no /etc/hosts needed).
# Chromium is not told where origin.test is (no --host-resolver-rules, no
# /etc/hosts entry), so the page can only have come through the proxy.
# Everything else Chromium asks for (update and account hosts) falls in
# `zone default { action deny }` and gets 403, so nothing leaves loopback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_browser.sh"
wk_require_wicket
[ "$WK_TEST_PROXY" = wicket ] || wk_skip_all "wicket zones and PAC only"

wk_require_chromium

wk_fake_socks_start fake
F=$(cat "$WK_T/fake.port")

wk_origin_start http
O=$WK_ORIGIN_PORT

wk_proxy_start_or_bail "upstream fake { socks5 127.0.0.1:$F }" \
    "zone origin { match origin.test; route fake }" \
    "zone default { action deny }"
P=$WK_PROXY_PORT
PAC_URL=http://127.0.0.1:$P/proxy.pac
PAGE=/echo/wicket-browser-page
URL=http://origin.test:$O$PAGE

# The PAC sends origin.test (and everything else) to wicket.
pac=$(curl -sS --max-time 10 -D "$WK_T/pac.head" "$PAC_URL")
wk_like "$(tr -d '\r' <"$WK_T/pac.head")" \
    "^Content-Type: application/x-ns-proxy-autoconfig" \
    "the PAC is served as application/x-ns-proxy-autoconfig"
wk_like "$pac" "\"PROXY 127\\.0\\.0\\.1:$P\"" "the served PAC names wicket"

# run_chromium NAME ARGS...: headless Chromium with a fresh profile and
# HOME in $WK_T/NAME, bounded to 60 s; the DOM on NAME.dom, its stderr on
# NAME.err, the exit status in CHROME_RC. It runs in its own process group
# (in WK_PIDS while it runs), killed whole when done.
run_chromium() {
	local name=$1
	shift
	wk_chromium "$name" 60 --proxy-pac-url="$PAC_URL" "$@"
}

before=$(wk_access_lines)
run_chromium c1 --log-net-log="$WK_T/c1.netlog.json" --dump-dom "$URL"
dom=$(cat "$WK_T/c1.dom")
wk_is "$CHROME_RC" 0 "chromium exits 0" ||
    wk_diag "chromium stderr:" "$(tail -n 20 "$WK_T/c1.err")"
wk_like "$dom" "GET $PAGE HTTP/1\\.1" "the DOM holds the page (the origin's echo of the request)"
wk_like "$dom" "Host: origin\\.test:$O" "the page was asked for as origin.test"
wk_like "$dom" "Via: 1\\.1 wicket" "the origin saw the request come through wicket"

# The access log, once quiet: every line Chromium caused.
wk_retry 10 grep -q "origin\\.test:$O$PAGE" "$WK_ACCESS"
n=-1
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(wk_access_lines)" = "$n" ] && break
	n=$(wk_access_lines)
	sleep 0.3
done
log=$(tail -n +"$((before + 1))" "$WK_ACCESS")
wk_like "$log" "^[^ ]+ 127\\.0\\.0\\.1:[0-9]+ GET http://origin\\.test:$O$PAGE 200 [0-9]+ [0-9]+ [0-9]+ socks5:fake " \
    "access log: GET of the page through wicket and upstream fake, 200"
wk_like "$(cat "$WK_T/fake.log")" "REQ socks5 name origin\\.test $O" \
    "fakesocks carried origin.test (zone origin, the name unresolved)"
wk_like "$log" "^[^ ]+ 127\\.0\\.0\\.1:[0-9]+ GET /proxy\\.pac 200 " \
    "access log: Chromium fetched the served PAC"

# Text line: time client method target status in out ms upstream reason.
# Lines for origin.test all went through upstream fake; every other host
# was denied by the default zone, so nothing left loopback. (Targets that
# start with / are wicket's own pages.)
hostof='{ t = $4; sub(/^[a-z]+:\/\//, "", t); sub(/[\/?].*/, "", t) }'
hosts=$(printf '%s\n' "$log" |
    awk "$hostof"' NF && $4 !~ /^\// { print $3, t, $5 }' | sort | uniq -c)
wk_diag "requests Chromium sent through wicket (count method host status):" \
    "$hosts"
bad=$(printf '%s\n' "$log" | awk "$hostof"' NF && $4 !~ /^\// &&
	!(t ~ /^origin\.test(:[0-9]+)?$/ ? $9 == "socks5:fake" : $5 == 403)')
wk_is "$bad" "" "origin.test went through upstream fake; every other host got 403"
wk_is "$(grep REQ "$WK_T/fake.log" | grep -cv " name origin\\.test $O\$")" 0 \
    "fakesocks was asked for no host but origin.test"

# The net log: where Chromium took the PAC from, and its answer for the page.
out=$("$WK_PY" - "$WK_T/c1.netlog.json" "$URL" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("net log unreadable: %s" % e)
    sys.exit(0)
names = {v: k for k, v in d["constants"]["logEventTypes"].items()}
ev = [(names.get(e["type"], "?"), e["source"]["id"], e.get("params", {}))
      for e in d["events"]]
for n, _, p in ev:
    if n == "PAC_FILE_DECIDER_FETCH_PAC_SCRIPT" and "source" in p:
        print("pac source: %s" % p["source"])
jobs = {s for n, s, p in ev
        if n == "HTTP_STREAM_JOB_CONTROLLER" and p.get("url") == sys.argv[2]}
for n, s, p in ev:
    if s in jobs and n == "PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST":
        print("page proxy: %s" % p.get("proxy_info"))
EOF
)
wk_like "$out" "pac source: Custom PAC URL: http://127\\.0\\.0\\.1:$P/proxy\\.pac" \
    "net log: Chromium took its PAC from wicket's URL"
wk_is "$(printf '%s\n' "$out" | grep -v '^pac source:' | sort -u)" \
    "page proxy: PROXY 127.0.0.1:$P" \
    "net log: the PAC chose PROXY 127.0.0.1:$P for the page"

wk_done
