#!/bin/bash
# test_decompress.sh: response decoding by the zone's `decompress` policy.
# Every coding (gzip, x-gzip, deflate zlib and raw, br, zstd, stacked,
# concatenated gzip members) from a test origin; curl without --compressed
# gets identity bytes equal to the original, with --compressed what the
# origin sent; HEAD and 206 untouched; never / always / compress-upstream;
# a bomb and a corrupt stream are cut off and logged; the access log has
# the coding and both sizes; a 1 GiB body decodes in bounded memory.
. "$(dirname "$0")/lib.sh"
wk_require_wicket
for tool in gzip brotli zstd; do
	command -v $tool >/dev/null || wk_skip_all "$tool is not installed"
done

F=$WK_T/files
mkdir -p "$F"
# a plain text body of some size, and its encodings, made by the real tools
cat /usr/share/common-licenses/* 2>/dev/null | head -c 700000 >"$F/plain"
[ "$(stat -c %s "$F/plain")" -ge 100000 ] || wk_make_file "$F/plain" 700000
gzip -c "$F/plain" >"$F/p.gz"
python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(zlib.compress(d))
c = zlib.compressobj(6, zlib.DEFLATED, -15)
open(sys.argv[3], "wb").write(c.compress(d) + c.flush())' \
    "$F/plain" "$F/p.zlib" "$F/p.raw"
brotli -c "$F/plain" >"$F/p.br"
zstd -q -c "$F/plain" >"$F/p.zst"
gzip -c "$F/plain" | brotli -c >"$F/p.gz.br"
python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(zlib.compress(d))' "$F/plain" "$F/p.tmp"
zstd -q -c "$F/p.tmp" >"$F/p.zlib.zst"
rm -f "$F/p.tmp"
# three gzip members in a row (RFC 1952 2.2)
head -c 300000 "$F/plain" | gzip -c >"$F/multi.gz"
printf '' | gzip -c >>"$F/multi.gz"
tail -c +300001 "$F/plain" | gzip -c >>"$F/multi.gz"
printf 'compress me' >"$F/small"
PLAIN=$(sha256sum <"$F/plain" | cut -d' ' -f1)
fsha() { sha256sum <"$1" | cut -d' ' -f1; }

AUTO=$(wk_origin_named auto --files "$F")
NEVER=$(wk_origin_named never --files "$F")
ALWAYS=$(wk_origin_named always --files "$F")
ASK=$(wk_origin_named ask --files "$F")
wk_proxy_start_or_bail \
    "zone never { match 127.0.0.1:$NEVER; decompress never }" \
    "zone always { match 127.0.0.1:$ALWAYS; decompress always }" \
    "zone ask { match 127.0.0.1:$ASK; compress-upstream on }"
u() { echo "http://127.0.0.1:$1/file/$2"; }

# ---- every coding, curl without --compressed: identity bytes ----------------
for c in "p.gz gzip" "p.gz x-gzip" "p.zlib deflate" "p.raw deflate" "p.br br" \
    "p.zst zstd" "p.gz.br gzip,%20br" "p.zlib.zst deflate,%20zstd" \
    "multi.gz gzip"; do
	set -- $c
	for te in length chunked close; do
		got=$(wk_curl -D "$WK_T/h" "$(u $AUTO "$1?ce=$2&te=$te")" | sha256sum | cut -d' ' -f1)
		wk_is "$got" "$PLAIN" "$1 as Content-Encoding $2 ($te): identity bytes equal the original"
	done
	wk_unlike "$(cat "$WK_T/h")" '^[Cc]ontent-[Ee]ncoding' "$1 ($2): no Content-Encoding left"
done
h=$(tr -d '\r' <"$WK_T/h")
wk_like "$h" '^Transfer-Encoding: chunked' "decoded body is chunked to an HTTP/1.1 client"
wk_unlike "$h" '^Content-Length:' "decoded body has no Content-Length"
wk_like "$h" '^ETag: W/"' "the strong ETag was made weak"

# the access log: the coding and both sizes
wk_curl -o /dev/null "$(u $AUTO 'p.br?ce=br')"
wk_access_wait 28
line=$(grep 'p.br?ce=br' "$WK_ACCESS" | tail -n 1)
wk_like "$line" "coding=br encoded=$(stat -c %s "$F/p.br") decoded=$(stat -c %s "$F/plain")\$" \
    "access log: coding and both sizes"
line=$(grep 'p.gz.br?ce=gzip' "$WK_ACCESS" | tail -n 1)
wk_like "$line" ' coding=gzip,br ' "access log: stacked codings in the order applied"

# ---- what the client accepts passes as it is ---------------------------------
got=$(wk_curl --compressed -D "$WK_T/h" "$(u $AUTO 'p.gz?ce=gzip')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$PLAIN" "curl --compressed: decodes it itself (same bytes)"
wk_like "$(tr -d '\r' <"$WK_T/h")" '^Content-Encoding: gzip' \
    "curl --compressed: gets the origin's Content-Encoding"
got=$(wk_curl -H 'Accept-Encoding: gzip' "$(u $AUTO 'p.gz?ce=gzip')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$(fsha "$F/p.gz")" "Accept-Encoding: gzip: the gzip bytes as the origin sent them"
got=$(wk_curl -H 'Accept-Encoding: gzip' "$(u $AUTO 'p.br?ce=br')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$PLAIN" "Accept-Encoding: gzip and a br body: decoded"
got=$(wk_curl -H 'Accept-Encoding: br, gzip;q=0' "$(u $AUTO 'p.gz?ce=gzip')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$PLAIN" "gzip;q=0: decoded"
got=$(wk_curl -H 'Accept-Encoding: *' "$(u $AUTO 'p.zst?ce=zstd')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$(fsha "$F/p.zst")" "Accept-Encoding: * takes zstd as it is"
got=$(wk_curl -H 'Accept-Encoding: br' "$(u $AUTO 'p.gz.br?ce=gzip,%20br')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$PLAIN" "stacked gzip, br to a br-only client: all decoded"

# ---- HEAD, 206, unknown codings, HTTP/1.0 clients, keep-alive ----------------
h=$(wk_curl -I "$(u $AUTO 'p.gz?ce=gzip')" | tr -d '\r')
wk_like "$h" '^Content-Encoding: gzip' "HEAD: Content-Encoding untouched"
wk_like "$h" "^Content-Length: $(stat -c %s "$F/p.gz")" "HEAD: Content-Length untouched"
got=$(wk_curl -r 100-1099 -D "$WK_T/h" "$(u $AUTO 'p.gz?ce=gzip')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$(tail -c +101 "$F/p.gz" | head -c 1000 | sha256sum | cut -d' ' -f1)" \
    "206: the encoded range as it is"
wk_like "$(tr -d '\r' <"$WK_T/h")" '^Content-Encoding: gzip' "206: Content-Encoding kept"
got=$(wk_curl "$(u $AUTO 'p.gz?ce=compress')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$(fsha "$F/p.gz")" "an unknown coding passes untouched"
wk_log_wait '"compress" is not one we decode' 5
wk_ok "an unknown coding is logged" test $? -eq 0
got=$(wk_curl -0 -D "$WK_T/h" "$(u $AUTO 'p.gz?ce=gzip&te=chunked')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$PLAIN" "HTTP/1.0 client: identity bytes"
h=$(tr -d '\r' <"$WK_T/h")
wk_unlike "$h" '^Transfer-Encoding' "HTTP/1.0 client: no chunked framing"
wk_like "$h" '^Connection: close' "HTTP/1.0 client: the body ends with the close"
out=$(wk_curl -v -o "$WK_T/k1" "$(u $AUTO 'p.gz?ce=gzip')" -o "$WK_T/k2" \
    "$(u $AUTO 'p.zst?ce=zstd&te=close')" 2>&1)
wk_is "$(fsha "$WK_T/k1") $(fsha "$WK_T/k2")" "$PLAIN $PLAIN" \
    "keep-alive: two decoded responses on one connection"
wk_like "$out" 'Re-using existing connection' "keep-alive: the connection was reused"

# ---- never, always, compress-upstream --------------------------------------
got=$(wk_curl "$(u $NEVER 'p.gz?ce=gzip')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$(fsha "$F/p.gz")" "decompress never: the body passes untouched"
got=$(wk_curl --compressed -D "$WK_T/h" "$(u $ALWAYS 'p.br?ce=br')" | sha256sum | cut -d' ' -f1)
wk_is "$got" "$PLAIN" "decompress always: identity"
wk_unlike "$(cat "$WK_T/h")" '^[Cc]ontent-[Ee]ncoding' "decompress always: no Content-Encoding for a client that takes br"
wk_curl -o /dev/null -H 'Accept-Encoding: gzip, compress;q=0.5, *;q=0.1' "$(u $ALWAYS 'small')"
wk_like "$(grep 'file small' "$WK_T/always.log" | tail -n 1)" 'ae=gzip range' \
    "decompress always: only codings wicket decodes go upstream"
h=$(wk_curl -D - -o "$WK_T/ask" "$(u $ASK 'p.zst?ce=zstd')" | tr -d '\r')
wk_like "$(grep 'file p.zst' "$WK_T/ask.log" | tail -n 1)" 'ae=gzip, br, zstd range' \
    "compress-upstream: asks the origin for gzip, br, zstd"
wk_is "$(fsha "$WK_T/ask")" "$PLAIN" "compress-upstream: the client gets identity"
wk_curl -o /dev/null -H 'Accept-Encoding: identity' "$(u $ASK 'small')"
wk_like "$(grep 'file small' "$WK_T/ask.log" | tail -n 1)" 'ae=identity range' \
    "compress-upstream: a client's own Accept-Encoding is left alone"

# ---- corrupt data and bombs -------------------------------------------------
code=$(wk_curl -o "$WK_T/corrupt" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$AUTO/corrupt?ce=gzip" 2>/dev/null)
rc=$?
wk_ok "corrupt gzip: the response ends early (curl: $rc)" test "$rc" -ne 0 -a "$rc" -ne 28
wk_log_wait 'is corrupt: .*response cut off' 5
wk_ok "corrupt gzip: logged" test $? -eq 0
code=$(wk_curl -o /dev/null -w '%{http_code}' "$(u $AUTO 'p.gz?ce=gzip')")
wk_is "$code" 200 "after a corrupt body the daemon serves on"
out=$(wk_curl -o "$WK_T/trunc" --max-time 10 "http://127.0.0.1:$AUTO/corrupt?ce=deflate&hold=1" 2>&1)
rc=$?
wk_ok "corrupt deflate whose origin keeps the connection: cut off, not hung (curl: $rc)" \
    test "$rc" -ne 0 -a "$rc" -ne 28
rm -f "$WK_T/trunc" "$WK_T/corrupt"

out=$(wk_curl -o "$WK_T/bomb" --max-time 60 "http://127.0.0.1:$AUTO/bomb?ce=gzip&mib=2048" 2>&1)
rc=$?
size=$(stat -c %s "$WK_T/bomb")
wk_ok "bomb (2 GiB of zeros): cut off, not hung (curl: $rc, $size bytes)" \
    test "$rc" -ne 0 -a "$rc" -ne 28 -a "$size" -lt $((64 * 1024 * 1024))
wk_log_wait 'over a decompression limit: .*ratio' 5
wk_ok "bomb: logged with the ratio" test $? -eq 0
wk_access_wait 1
wk_like "$(grep 'bomb?ce=gzip' "$WK_ACCESS" | tail -n 1)" '"decompression limit" coding=gzip' \
    "bomb: access log says why"
rm -f "$WK_T/bomb"
wk_proxy_stop
wk_is "$WK_RC" 0 "first instance exits 0"

# a bound on the decoded size
wk_proxy_start_or_bail "limit decoded-size 256k"
out=$(wk_curl -o "$WK_T/big" "$(u $AUTO 'p.gz?ce=gzip')" 2>&1)
rc=$?
size=$(stat -c %s "$WK_T/big" 2>/dev/null || echo 0)
wk_ok "limit decoded-size 256k: a 700 kB body is cut off after the bound (curl: $rc, $size bytes)" \
    test "$rc" -ne 0 -a "$rc" -ne 28 -a "$size" -ge 200000 -a "$size" -le 262144
wk_log_wait 'over a decompression limit: .*262144' 5
wk_ok "limit decoded-size: logged with the bound" test $? -eq 0
wk_proxy_stop

# ---- 1 GiB decoded in bounded memory ----------------------------------------
GIB=1073741824
GEN=$(wk_origin_named gen)
# under ASan freed memory waits in a quarantine: keep it small here
old_asan=${ASAN_OPTIONS:-}
export ASAN_OPTIONS="${old_asan:+$old_asan:}quarantine_size_mb=1:thread_local_quarantine_size_kb=64"
wk_proxy_start_or_bail
export ASAN_OPTIONS=$old_asan
# warm up (first requests allocate the pools that stay), then measure
wk_curl -o /dev/null "http://127.0.0.1:$GEN/gen/10000000?ce=gzip"
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$WK_PID/status")
want=$("$WK_PY" "$WK_SERVERS/origin.py" --gen-sha256 $GIB)
got=$(wk_curl --max-time 600 "http://127.0.0.1:$GEN/gen/$GIB?ce=gzip&sha=0" | sha256sum | cut -d' ' -f1)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$WK_PID/status")
wk_is "$got" "$want" "1 GiB gzip body: decoded bytes equal the original"
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$WK_PID/status")
# a slow reader: the decoding waits for it (back-pressure), then goes on
want=$("$WK_PY" "$WK_SERVERS/origin.py" --gen-sha256 200000000)
got=$(wk_curl --max-time 120 --limit-rate 20M "http://127.0.0.1:$GEN/gen/200000000?ce=gzip&sha=0" | sha256sum | cut -d' ' -f1)
hwm2=$(awk '/^VmHWM/ {print $2}' "/proc/$WK_PID/status")
# what bounds it: the decoded output waiting for the client (up to 16 MiB
# for a fast one whose worker is late; 2 MiB unwritten for a slow one, 8
# for one that kept up a while: src/proto/http_decode.c), a block being
# filled, the decoder's window
# and the encoded input queued; without back-pressure the 1 GiB would pile
# up in hundreds of MiB
wk_ok "1 GiB gzip body: RSS grew by $(((hwm - rss0) / 1024)) MiB (< 16)" \
    test $((hwm - rss0)) -lt $((16 * 1024))
wk_is "$got" "$want" "200 MB gzip body to a client reading at 20 MB/s: intact"
# (this body may decode on the other pool thread, whose allocator arena
# then grows as the first one did)
wk_ok "200 MB gzip body to a slow client: RSS grew by $(((hwm2 - rss1) / 1024)) MiB more (< 16)" \
    test $((hwm2 - rss1)) -lt $((16 * 1024))
wk_proxy_stop

wk_final_checks
wk_done
