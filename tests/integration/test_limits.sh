#!/bin/bash
# test_limits.sh: the configured limits: open client connections, request
# line, header bytes and header count.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_proxy_start_or_bail "limit connections 3" "limit request-line 200" \
    "limit header-bytes 2k" "limit header-count 6"

# status of one request with N extra header fields and a path of LEN bytes
req_status() {
	WK_N=$1 WK_LEN=$2 wk_py <<'EOF'
import wkclient as w, os
n, ln = int(os.environ["WK_N"]), int(os.environ["WK_LEN"])
hdrs = ["X-F%d: v" % i for i in range(n)] + ["Connection: close"]
s = w.connect(timeout=10)
s.sendall(w.get_req("/bytes/10?" + "a" * ln, headers=hdrs))
r = w.read_response(w.Reader(s))
print(r.status)
EOF
}

wk_is "$(req_status 3 10)" 200 "within every limit: 200"
wk_is "$(req_status 8 10)" 431 "more fields than header-count: 431"
wk_is "$(req_status 1 300)" 414 "request line over request-line: 414"
out=$(WK_N=0 wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=10)
s.sendall(w.get_req("/bytes/10", headers=["X-Big: " + "b" * 3000, "Connection: close"]))
print(w.read_response(w.Reader(s)).status)
EOF
)
wk_is "$out" 431 "head over header-bytes: 431"

# Three idle clients fill the connection limit: the fourth is closed at
# once; when one of the three leaves, a new client is served again.
out=$(wk_py <<'EOF'
import wkclient as w, time, socket
held = [w.connect(timeout=5) for _ in range(3)]
time.sleep(0.5)
extra = w.connect(timeout=5)
extra.settimeout(5)
try:
    got = extra.recv(1)
    print("fourth", "closed" if got == b"" else "data")
except socket.timeout:
    print("fourth", "kept")
except OSError:
    print("fourth", "closed")
held[0].close()
time.sleep(0.5)
s = w.connect(timeout=5)
s.sendall(w.get_req("/bytes/10", headers=["Connection: close"]))
print("after", w.read_response(w.Reader(s)).status)
for h in held[1:]:
    h.sendall(w.get_req("/bytes/5", headers=["Connection: close"]))
    print("held", w.read_response(w.Reader(h)).status)
EOF
)
wk_like "$out" 'fourth closed' "connection limit: the client over the limit is closed at once"
wk_like "$out" 'after 200' "connection limit: a place freed is used again"
wk_like "$(printf '%s' "$out" | tr '\n' ' ')" 'held 200 held 200' \
    "connection limit: the clients within it are served"

wk_done
