#!/bin/bash
# test_accesslog.sh: the access line (CONTRACT.md), text and JSON formats:
# one line per request or tunnel, exact byte counts, upstream, no secrets.
. "$(dirname "$0")/lib.sh"
wk_require_wicket
[ "$WK_TEST_PROXY" = wicket ] || wk_skip_all "wicket access log format only"

wk_origin_start http
wk_origin_start raw
wk_proxy_start_or_bail

# Sends requests over one connection and checks every field of the lines
# they produce. The script prints "FIELD ok" or "FIELD bad ...".
check_text() {
	wk_py "$WK_ACCESS" "$1" <<'EOF'
import wkclient as w, sys, re, time, json
logf, fmt = sys.argv[1], sys.argv[2]
TEXT = re.compile(r'^(\S+) (\S+) (\S+) (\S+) (\d{3}) (\d+) (\d+) (\d+) (\S+) "(.*)"$')
KEYS = ["time", "client", "method", "target", "status", "bytes_in",
        "bytes_out", "duration_ms", "upstream", "reason"]

def lines():
    try:
        return [l.rstrip("\n") for l in open(logf)]
    except OSError:
        return []

def parse(l):
    if fmt == "json":
        d = json.loads(l)
        return d
    m = TEXT.match(l)
    if not m:
        return None
    d = dict(zip(KEYS, m.groups()))
    for k in ("status", "bytes_in", "bytes_out", "duration_ms"):
        d[k] = int(d[k])
    return d

def wait_lines(n):
    for i in range(50):
        if len(lines()) >= n:
            break
        time.sleep(0.1)
    return lines()

def report(name, cond, detail=""):
    print("%s %s %s" % (name, "ok" if cond else "bad", "" if cond else detail))

before = len(lines())
s = w.connect()
cport = s.getsockname()[1]
rd = w.Reader(s)
reqs = [w.get_req("/bytes/1234"),
        w.get_req("/upload", "POST", ["Content-Length: 5000"], b"u" * 5000),
        w.get_req("/echo/last", "GET", ["Connection: close"])]
sizes = []
for r in reqs:
    s.sendall(r)
    t0 = rd.total - len(rd.buf)
    w.read_response(rd)
    sizes.append(rd.total - len(rd.buf) - t0)
s.close()
ls = wait_lines(before + 3)[before:]
report("count", len(ls) == 3, "%d lines: %r" % (len(ls), ls))
if fmt == "json":
    try:
        ds = [json.loads(l) for l in ls]
        report("json-parse", True)
        report("json-keys", all(set(d) == set(KEYS) for d in ds),
               "keys %r" % [sorted(d) for d in ds])
        report("json-types", all(isinstance(d["status"], int) and
                                 isinstance(d["bytes_in"], int) and
                                 isinstance(d["bytes_out"], int) and
                                 isinstance(d["duration_ms"], int) and
                                 isinstance(d["client"], str) for d in ds),
               repr(ds))
    except ValueError as e:
        report("json-parse", False, "%s in %r" % (e, ls))
        sys.exit(0)
else:
    ds = [parse(l) for l in ls]
    report("text-shape", all(ds), repr(ls))
    if not all(ds):
        sys.exit(0)
paths = ["/bytes/1234", "/upload", "/echo/last"]
methods = ["GET", "POST", "GET"]
for i, d in enumerate(ds):
    report("time%d" % i, re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$",
                                  str(d["time"])) is not None, d["time"])
    report("client%d" % i, d["client"] == "127.0.0.1:%d" % cport,
           "%r want 127.0.0.1:%d" % (d["client"], cport))
    report("method%d" % i, d["method"] == methods[i], d["method"])
    report("target%d" % i, d["target"] == w.url(paths[i]), d["target"])
    report("status%d" % i, d["status"] == 200, d["status"])
    report("bytes_in%d" % i, d["bytes_in"] == len(reqs[i]),
           "%r want %d" % (d["bytes_in"], len(reqs[i])))
    report("bytes_out%d" % i, d["bytes_out"] == sizes[i],
           "%r want %d" % (d["bytes_out"], sizes[i]))
    report("duration%d" % i, 0 <= int(d["duration_ms"]) < 10000,
           d["duration_ms"])
    report("upstream%d" % i, d["upstream"] == w.ORIGIN, d["upstream"])
EOF
}

# wk_fields OUTPUT PREFIX: one TAP line per reported field.
wk_fields() {
	local out=$1 pfx=$2 name rest
	while read -r name rest; do
		[ -n "$name" ] || continue
		case "$rest" in
		ok*) wk_pass "$pfx: $name" ;;
		*) wk_fail "$pfx: $name" "$rest" ;;
		esac
	done <<EOF
$out
EOF
}

out=$(check_text text)
wk_like "$out" 'count ok' "text: one access line per request (3 on one connection)"
wk_fields "$(printf '%s\n' "$out" | grep -v '^count ')" "text"

# A slow request: duration covers it.
wk_curl -o /dev/null "$(wk_url /slow/600)"
wk_retry 5 grep -q '/slow/600' "$WK_ACCESS"
d=$(grep '/slow/600' "$WK_ACCESS" | tail -n 1 | awk '{print $8}')
if [ -n "$d" ] && [ "$d" -ge 550 ] && [ "$d" -lt 10000 ]; then
	wk_pass "duration_ms covers a 600 ms origin delay ($d)"
else
	wk_fail "duration_ms covers a 600 ms origin delay" "got '$d'"
fi

# Errors are logged too.
n=$(wk_access_lines)
port=$(wk_free_port)
wk_curl -o /dev/null "http://127.0.0.1:$port/refused" 2>/dev/null
wk_curl -o /dev/null "http://nonexistent.invalid/dns" 2>/dev/null
wk_access_wait $((n + 2)) 5
l=$(grep "/refused" "$WK_ACCESS" | tail -n 1)
wk_like "$l" " GET http://127\\.0\\.0\\.1:$port/refused 502 [0-9]+ [0-9]+ [0-9]+ " \
    "refused upstream: logged with status 502"
l=$(grep "/dns" "$WK_ACCESS" | tail -n 1)
wk_like "$l" ' GET http://nonexistent\.invalid/dns 502 [0-9]+ [0-9]+ [0-9]+ - "' \
    "DNS failure: logged with status 502 and upstream -"
n=$(wk_access_lines)
wk_py <<'EOF' >/dev/null
import wkclient as w
s = w.connect(timeout=5)
s.sendall(b"BAD REQUEST LINE HERE\r\n\r\n")
w.wait_closed(s, 5)
EOF
wk_access_wait $((n + 1)) 5
wk_like "$(tail -n 1 "$WK_ACCESS")" ' 400 [0-9]+ [0-9]+ [0-9]+ ' "malformed request: logged with status 400"

# CONNECT tunnel: one line, byte counts include the tunnelled bytes.
n=$(wk_access_lines)
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect()
head = b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (
    w.RAW_PORT, w.RAW_PORT)
s.sendall(head)
rd = w.Reader(s)
w.read_response(rd, "CONNECT")
s.sendall(b"x" * 1000)
s.shutdown(w.socket.SHUT_WR)
rd.until_eof()
print(len(head) + 1000, rd.total)
EOF
)
wk_access_wait $((n + 1)) 5
l=$(grep ' CONNECT ' "$WK_ACCESS" | tail -n 1)
wk_like "$l" " CONNECT 127\\.0\\.0\\.1:$WK_RAW_PORT 200 " "CONNECT: logged with method, authority and 200"
wk_like "$l" " 200 ${out% *} ${out#* } [0-9]+ 127\\.0\\.0\\.1:$WK_RAW_PORT " \
    "CONNECT: bytes both ways include the tunnel ($out)"

# No credentials in the logs
wk_curl -o /dev/null -U 'someone:TopSecret99' "$(wk_url /echo/cred)"
wk_retry 5 grep -q '/echo/cred' "$WK_ACCESS"
cred=$(printf 'someone:TopSecret99' | base64)
wk_unlike "$(cat "$WK_ACCESS" "$WK_ERRLOG")" "TopSecret99|$cred" \
    "Proxy-Authorization never appears in the logs"

# JSON format
wk_proxy_start_or_bail "log access-format json"
out=$(check_text json)
wk_like "$out" 'count ok' "json: one access line per request (3 on one connection)"
wk_fields "$(printf '%s\n' "$out" | grep -v '^count ')" "json"

# Error log levels
wk_proxy_start_or_bail "log level notice"
wk_curl -o /dev/null "http://127.0.0.1:$(wk_free_port)/refused-at-notice" 2>/dev/null
wk_retry 5 grep -q 'refused-at-notice' "$WK_ACCESS"
wk_unlike "$(cat "$WK_ERRLOG")" '(^|[ :])(info|debug)[]:]' "log level notice: no info or debug lines"
wk_like "$(cat "$WK_ERRLOG")" 'notice' "log level notice: notice lines kept"
wk_proxy_start_or_bail "log level debug"
wk_curl -o /dev/null "$(wk_url /echo/at-debug)"
wk_retry 5 grep -q 'at-debug' "$WK_ACCESS"
wk_like "$(cat "$WK_ERRLOG")" 'debug' "log level debug: debug lines appear"

# log access -: stdout
wk_proxy_start_or_bail "log access -"
wk_curl -o /dev/null "$(wk_url /echo/to-stdout)"
wk_retry 5 grep -q '/echo/to-stdout' "$WK_DIR/stdout.log"
wk_is "$?" 0 "log access -: lines go to stdout"

wk_done
