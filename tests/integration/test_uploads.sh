#!/bin/bash
# test_uploads.sh: chunked uploads. To an HTTP/1.1 origin they stream
# chunked; to an origin that speaks HTTP/1.0 only (marked `http10 on` in
# its zone, or seen answering in 1.0) wicket spools the body (memory, then
# a temporary file) and sends it with a Content-Length; past `limit
# spool-size` the client gets 413. Expect: 100-continue works in both cases
# (the 1.1 origin's own 100; wicket's for the 1.0 origin). Bodies by sha256.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
O10=$(wk_origin_named o10 --http10)
L10=$(wk_origin_named l10 --http10)
wk_proxy_start_or_bail "zone old { match 127.0.0.1:$O10; http10 on }" \
    "limit spool-memory 64k"
export O10 L10

wk_make_file "$WK_T/up.bin" 20000000
SHA=$(wk_data_sha 20000000)

# ---- an HTTP/1.1 origin: chunked, streamed --------------------------------
out=$(wk_curl -T "$WK_T/up.bin" -H 'Transfer-Encoding: chunked' -X POST \
    -D "$WK_T/h" "$(wk_url /echo/up)" -o /dev/null)
h=$(tr -d '\r' <"$WK_T/h")
wk_like "$h" '^X-Body-Framing: chunked' "1.1 origin: the upload arrives chunked"
wk_like "$h" "^X-Body-Sha256: $SHA" "1.1 origin: body intact (20 MB by sha256)"

expect_py() { # PORT PATH: a chunked POST with Expect, the body sent only after a 100
	PORT=$1 TPATH=$2 wk_py <<'EOF'
import os, hashlib
import wkclient as w
port, path = int(os.environ["PORT"]), os.environ["TPATH"]
s = w.connect()
body = bytes(range(256)) * 4000
head = ("POST http://127.0.0.1:%d%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
        "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
        "Connection: close\r\n\r\n" % (port, path, port)).encode()
s.sendall(head)
rd = w.Reader(s)
print("interim:", w.read_interim(s, rd, 8))
for i in range(0, len(body), 70000):
    c = body[i:i + 70000]
    s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
s.sendall(b"0\r\n\r\n")
r = w.read_response(rd)
print("status", r.status)
print("body", r.body.decode("latin-1").strip())
print("want", len(body), hashlib.sha256(body).hexdigest())
EOF
}
out=$(expect_py "$WK_ORIGIN_PORT" /upload)
wk_like "$out" 'interim: HTTP/1.1 100 Continue' "1.1 origin, Expect: the origin's 100 Continue comes through"
want=$(printf '%s\n' "$out" | sed -n 's/^want //p')
wk_like "$out" "body $want" "1.1 origin, Expect: then the body arrives intact"

h=$(wk_curl -T "$WK_T/up.bin" -H 'Transfer-Encoding: chunked' -H 'Expect:' \
    -X POST -D - -o /dev/null "$(wk_url /echo/noexpect)" | tr -d '\r')
wk_like "$h" "^X-Body-Sha256: $SHA" "1.1 origin, no Expect: body intact"
wk_like "$h" '^X-Saw-Expect: -$' "1.1 origin, no Expect: none was added"

# ---- an HTTP/1.0 origin marked in the config ---------------------------------
out=$(wk_curl -T "$WK_T/up.bin" -H 'Transfer-Encoding: chunked' -X POST \
    "http://127.0.0.1:$O10/upload")
wk_is "$out" "20000000 $SHA" "http10 zone: 20 MB chunked upload intact (sha256)"
wk_like "$(grep '^upload' "$WK_T/o10.log" | tail -n 1)" 'len=20000000 .*expect=none' \
    "http10 zone: the origin got a Content-Length body, no Expect"
wk_like "$(grep 'PUT\|POST' "$WK_T/o10.log" | tail -n 1)" 'body=length:20000000' \
    "http10 zone: framed by Content-Length"
out=$(wk_curl -T "$WK_T/up.bin" -H 'Transfer-Encoding: chunked' -H 'Expect:' \
    -X POST "http://127.0.0.1:$O10/upload")
wk_is "$out" "20000000 $SHA" "http10 zone, no Expect: chunked upload intact"
out=$(expect_py "$O10" /upload)
wk_like "$out" 'interim: HTTP/1.1 100 Continue' "http10 zone, Expect: wicket answers 100 Continue itself"
want=$(printf '%s\n' "$out" | sed -n 's/^want //p')
wk_like "$out" "body $want" "http10 zone, Expect: the spooled body arrives intact"
wk_like "$(grep '^upload' "$WK_T/o10.log" | tail -n 1)" 'expect=none' \
    "http10 zone, Expect: not passed to the 1.0 origin"

# a Content-Length body with Expect to a 1.0 origin: our 100, no spooling
out=$(wk_py <<'EOF'
import os
import wkclient as w
port = int(os.environ["O10"])
s = w.connect()
body = b"L" * 100000
s.sendall(("PUT http://127.0.0.1:%d/upload HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "Content-Length: %d\r\nExpect: 100-continue\r\nConnection: close"
           "\r\n\r\n" % (port, port, len(body))).encode())
rd = w.Reader(s)
print("interim:", w.read_interim(s, rd, 8))
s.sendall(body)
print("body", w.read_response(rd).body.decode().strip(), w.sha(body))
EOF
)
wk_like "$out" 'interim: HTTP/1.1 100 Continue' "1.0 origin, Content-Length + Expect: wicket's 100 Continue"
wk_like "$out" '^body 100000 ([0-9a-f]+) \1$' "1.0 origin, Content-Length + Expect: body intact"

# ---- an HTTP/1.0 origin learnt from its answers -----------------------------
code=$(wk_curl -o /dev/null -w '%{http_code}' "http://127.0.0.1:$L10/bytes/10")
wk_is "$code" 200 "a first response from the other 1.0 origin"
out=$(wk_curl -H 'Transfer-Encoding: chunked' -X POST \
    -T "$WK_T/up.bin" "http://127.0.0.1:$L10/upload" \
    -T "$WK_T/up.bin" "http://127.0.0.1:$L10/upload")
wk_is "$out" "20000000 $SHA
20000000 $SHA" "learnt 1.0 origin: two chunked uploads on one client connection, intact"
wk_is "$(grep -c '^upload len=20000000' "$WK_T/l10.log")" 2 \
    "learnt 1.0 origin: both arrived with a Content-Length"

# ---- the spool: a file past spool-memory, 413 past spool-size ----------------
wk_is "$(stat -c %a "$WK_DIR/state/spool")" 700 "the spool directory is 0700"
wk_is "$(ls -A "$WK_DIR/state/spool" | wc -l)" 0 "spooled bodies leave no files behind"
wk_proxy_stop
wk_is "$WK_RC" 0 "first instance exits 0"

wk_proxy_start_or_bail "zone old { match 127.0.0.1:$O10; http10 on }" \
    "limit spool-size 1m"
out=$(wk_curl -T "$WK_T/up.bin" -H 'Transfer-Encoding: chunked' -X POST \
    -D "$WK_T/h" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$O10/upload")
wk_is "$out" 413 "past limit spool-size: 413"
wk_like "$(tr -d '\r' <"$WK_T/h")" '^Connection: close' "413: the connection closes"
wk_access_wait 1
wk_like "$(tail -n 1 "$WK_ACCESS")" ' 413 .*"too-large"' "413 in the access log"
n=$(grep -c '^upload' "$WK_T/o10.log")
out=$(head -c 1000000 "$WK_T/up.bin" | wk_curl -T - -X POST "http://127.0.0.1:$O10/upload")
wk_is "$out" "1000000 $(head -c 1000000 "$WK_T/up.bin" | sha256sum | cut -d' ' -f1)" \
    "under limit spool-size: a piped (chunked) upload goes through"
wk_is "$(grep -c '^upload' "$WK_T/o10.log")" $((n + 1)) "the refused upload never reached the origin"
wk_proxy_stop

rm -f "$WK_T/up.bin"
wk_final_checks
wk_done
