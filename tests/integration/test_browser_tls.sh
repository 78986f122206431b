#!/bin/bash
# test_browser_tls.sh: a real browser through TLS interception (issue 5).
# Headless Chromium (Debian's chromium), with wicket's local CA in its NSS
# database (certutil, in a private HOME), loads an HTTPS page through
# wicket (--proxy-server) with no certificate error: wicket intercepts the
# CONNECT, mints a leaf for the SNI and talks verified TLS to the test
# origin (servers/tls_origin.py, whose CA wicket gets as tls-ca-file).
#
# As in test_browser.sh, the page is on origin.test (Chromium never sends
# loopback names to a proxy) and wicket routes that zone through
# servers/fakesocks.py, which maps names ending in .test to 127.0.0.1.
# Chromium is not told where origin.test is, so the page can only have
# come through the proxy; every other host falls in `zone default
# { action deny }` and gets 403, so nothing leaves loopback.
#
# Negative control: the same Chromium run with an empty NSS database (no
# wicket CA) must not show the page, and its net log must show
# ERR_CERT_AUTHORITY_INVALID; that proves the good run's checks can fail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_tls.sh"
. "$(dirname "$0")/lib_browser.sh"
wk_require_wicket
[ "$WK_TEST_PROXY" = wicket ] || wk_skip_all "wicket TLS interception only"

wk_require_chromium
command -v certutil >/dev/null 2>&1 ||
    wk_skip_all "certutil is not installed (Debian: libnss3-tools)"
command -v openssl >/dev/null 2>&1 || wk_skip_all "openssl is not installed"

wk_tls_certs_make
wk_tls_origin_start tlso good
O=$WK_TLS_PORT

wk_fake_socks_start fake
F=$(cat "$WK_T/fake.port")

wk_proxy_start_or_bail "tls-ca-file $WK_TESTCA" \
    "upstream fake { socks5 127.0.0.1:$F }" \
    "zone origin { match origin.test; route fake; intercept on }" \
    "zone default { action deny }"
P=$WK_PROXY_PORT
CA=$WK_DIR/state/ca/ca.pem
wk_retry 10 test -s "$CA"
wk_ok "wicket's local CA was created at start" \
    openssl x509 -in "$CA" -noout
PAGE=/echo/wicket-tls-page
URL=https://origin.test:$O$PAGE

# run_chromium NAME TRUST ARGS...: headless Chromium with a fresh profile
# and HOME in $WK_T/NAME, bounded to 30 s. Its NSS database
# ($HOME/.pki/nssdb) is made empty, then holds wicket's CA (trusted for
# TLS servers) when TRUST is yes. The DOM on NAME.dom, its stderr on
# NAME.err, the net log on NAME.netlog.json, the exit status in CHROME_RC.
# It runs in its own process group (in WK_PIDS while it runs), killed
# whole when done.
run_chromium() {
	local name=$1 trust=$2 d=$WK_T/$1 db
	shift 2
	db=$d/home/.pki/nssdb
	mkdir -p "$db"
	certutil -d "sql:$db" -N --empty-password >"$d.certutil" 2>&1
	if [ "$trust" = yes ]; then
		certutil -d "sql:$db" -A -t C,, -n wicket -i "$CA" \
		    >>"$d.certutil" 2>&1
	fi
	certutil -d "sql:$db" -L >>"$d.certutil" 2>&1
	wk_chromium "$name" 30 --proxy-server="http://127.0.0.1:$P" \
	    --log-net-log="$d.netlog.json" "$@"
}

# netlog FILE URL: from Chromium's net log, one line per fact:
#   "cert error NAME EVENT" for every event whose net_error is a
#   certificate error (-200 .. -299) or that names ERR_CERT_*,
#   "error NAME EVENT" for other net errors on the page's jobs,
#   "proxy PROXY" for the proxy chosen for URL,
#   "cert FILE" the server certificate Chromium got for origin.test,
#   saved as PEM in FILE.pem.
netlog() {
	"$WK_PY" - "$1" "$2" <<'EOF'
import json, re, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("net log unreadable: %s" % e)
    sys.exit(0)
c = d["constants"]
names = {v: k for k, v in c["logEventTypes"].items()}
errs = {v: k for k, v in c.get("netError", {}).items()}
ev = [(names.get(e["type"], "?"), e["source"]["id"], e.get("params", {}))
      for e in d["events"]]
seen = set()
for n, s, p in ev:
    ne = p.get("net_error")
    txt = json.dumps(p)
    line = None
    if isinstance(ne, int) and -299 <= ne <= -200:
        line = "cert error %s %s" % (errs.get(ne, ne), n)
    elif "ERR_CERT" in txt:
        line = "cert error %s %s" % (re.search(r"ERR_CERT_[A-Z_]+", txt).group(0), n)
    if line and line not in seen:
        seen.add(line)
        print(line)
jobs = {s for n, s, p in ev
        if n == "HTTP_STREAM_JOB_CONTROLLER" and p.get("url") == sys.argv[2]}
for n, s, p in ev:
    if s in jobs and n == "PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST":
        print("proxy %s" % p.get("proxy_info"))
k = 0
for n, s, p in ev:
    if n == "SSL_CERTIFICATES_RECEIVED" and p.get("certificates"):
        k += 1
        f = "%s.cert%d" % (sys.argv[1], k)
        with open(f + ".pem", "w") as out:
            out.write("".join(p["certificates"]))
        print("cert %s" % f)
EOF
}

# ---- the good run: wicket's CA trusted -------------------------------------
before=$(wk_access_lines)
run_chromium good yes --dump-dom "$URL"
wk_like "$(cat "$WK_T/good.certutil")" "^wicket +C,," \
    "the NSS database holds wicket's CA, trusted for TLS servers (C,,)"
dom=$(cat "$WK_T/good.dom")
wk_is "$CHROME_RC" 0 "chromium exits 0" ||
    wk_diag "chromium stderr:" "$(tail -n 20 "$WK_T/good.err")"
wk_like "$dom" "GET $PAGE HTTP/1\\.1" \
    "the DOM holds the HTTPS page (the origin's echo of the request)" ||
    wk_diag "dom:" "$(head -c 600 "$WK_T/good.dom")" \
        "chromium stderr:" "$(tail -n 20 "$WK_T/good.err")"
wk_like "$dom" "Host: origin\\.test:$O" "the page was asked for as origin.test"
wk_like "$dom" "Via: 1\\.1 wicket" \
    "the origin saw the request come through wicket (Via, inside TLS)"

# The access log, once quiet: every line Chromium caused.
wk_retry 10 grep -q "GET https://origin\\.test:$O$PAGE " "$WK_ACCESS"
n=-1
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(wk_access_lines)" = "$n" ] && break
	n=$(wk_access_lines)
	sleep 0.3
done
log=$(tail -n +"$((before + 1))" "$WK_ACCESS")
wk_like "$log" "^[^ ]+ 127\\.0\\.0\\.1:[0-9]+ GET https://origin\\.test:$O$PAGE 200 " \
    "access log: GET https://origin.test:$O$PAGE 200 (the intercepted request)"
wk_like "$log" "^[^ ]+ 127\\.0\\.0\\.1:[0-9]+ CONNECT origin\\.test:$O 200 .*\"intercepted\"" \
    "access log: Chromium's CONNECT to origin.test was intercepted"
wk_like "$(cat "$WK_T/fake.log")" "REQ socks5 name origin\\.test $O" \
    "fakesocks carried origin.test (zone origin, the name unresolved)"
wk_like "$(cat "$WK_T/tlso.log")" "tls version=[^ ]+ .*sni=origin\\.test" \
    "the origin's TLS handshake was with wicket, SNI origin.test"
wk_like "$(cat "$WK_T/tlso.log")" "req=[0-9]+ GET $PAGE " \
    "the origin's log has the request"

# Text line: time client method target status in out ms upstream reason.
hostof='{ t = $4; sub(/^[a-z]+:\/\//, "", t); sub(/[\/?].*/, "", t) }'
hosts=$(printf '%s\n' "$log" |
    awk "$hostof"' NF && $4 !~ /^\// { print $3, t, $5 }' | sort | uniq -c)
wk_diag "requests Chromium sent through wicket (count method host status):" \
    "$hosts"
bad=$(printf '%s\n' "$log" | awk "$hostof"' NF && $4 !~ /^\// &&
	!(t ~ /^origin\.test(:[0-9]+)?$/ ? $3 != "CONNECT" || $9 == "socks5:fake" : $5 == 403)')
wk_is "$bad" "" "origin.test tunnels went through upstream fake; every other host got 403"
# doc/CONTRACT.md: "The access log UPSTREAM field names the hop: socks5:NAME
# / http:NAME, or the address:port for direct": also for the requests inside
# an intercepted tunnel.
bad=$(printf '%s\n' "$log" | awk "$hostof"' NF && $3 != "CONNECT" &&
	t ~ /^origin\.test(:[0-9]+)?$/ && $9 != "socks5:fake"')
wk_is "$bad" "" "intercepted requests name their hop, socks5:fake"

# The net log: the proxy used, no certificate error, and the certificate
# Chromium accepted was minted by wicket's CA for origin.test.
out=$(netlog "$WK_T/good.netlog.json" "$URL")
wk_is "$(printf '%s\n' "$out" | grep '^proxy ' | sort -u)" \
    "proxy PROXY 127.0.0.1:$P" "net log: the page went to PROXY 127.0.0.1:$P"
wk_is "$(printf '%s\n' "$out" | grep -E '^(cert error|net log unreadable)')" "" \
    "net log: no certificate error"
cf=$(printf '%s\n' "$out" | sed -n 's/^cert //p' | head -n 1)
if [ -n "$cf" ] && [ -s "$cf.pem" ]; then
	wk_ok "net log: the certificate Chromium got verifies against wicket's CA" \
	    openssl verify -CAfile "$CA" -untrusted "$cf.pem" "$cf.pem"
	wk_like "$(openssl x509 -in "$cf.pem" -noout -ext subjectAltName 2>&1)" \
	    "DNS:origin\\.test" "net log: the minted leaf names origin.test"
else
	wk_fail "net log: the certificate Chromium got verifies against wicket's CA" \
	    "no SSL_CERTIFICATES_RECEIVED in the net log"
	wk_fail "net log: the minted leaf names origin.test" "no certificate"
fi

# ---- negative control: the same, with wicket's CA not in the NSS db --------
run_chromium bad no --dump-dom "$URL"
wk_unlike "$(cat "$WK_T/bad.certutil")" "^wicket " \
    "control: the NSS database does not hold wicket's CA"
wk_unlike "$(cat "$WK_T/bad.dom")" "GET $PAGE HTTP/1\\.1" \
    "control: without wicket's CA, Chromium does not show the page"
out=$(netlog "$WK_T/bad.netlog.json" "$URL")
wk_like "$out" "^cert error ERR_CERT_AUTHORITY_INVALID " \
    "control: its net log has ERR_CERT_AUTHORITY_INVALID" ||
    wk_diag "net log facts:" "$out"

wk_done
