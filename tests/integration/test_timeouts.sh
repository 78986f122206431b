#!/bin/bash
# test_timeouts.sh: slowloris, idle clients and tunnels, clients vanishing
# and origins resetting mid-response: timed out / cleaned up, no fd leak.
. "$(dirname "$0")/lib.sh"
wk_require_wicket

wk_origin_start http
wk_origin_start raw
wk_proxy_start_or_bail "timeout header-read 2s" "timeout keepalive 3s" \
    "timeout tunnel-idle 2s"

# Slowloris: one header byte every 300 ms, 40 such clients; the header-read
# timeout (2 s) runs from the first byte and is not restarted by each byte.
# Meanwhile a normal client is served.
out=$(wk_py <<'EOF'
import wkclient as w, threading, time, socket, select
head = w.get_req("/bytes/10", "GET", ["X-Pad: " + "a" * 200])
results = {}
def slow(i):
    s = w.connect(timeout=15)
    s.setblocking(False)
    t0 = time.monotonic()
    for k in range(len(head)):
        try:
            s.send(head[k:k + 1])
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            results[i] = ("send-error", time.monotonic() - t0)
            return
        r, _, _ = select.select([s], [], [], 0.3)
        if r:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            t1 = time.monotonic() - t0
            if not d:
                results[i] = ("closed", t1)
                return
            s.setblocking(True)
            how, _, _ = w.wait_closed(s, 3)
            results[i] = ("%s then %s" % (d.split(b"\r\n")[0].decode(
                "latin-1"), "closed" if how != "timeout" else "still-open"), t1)
            return
        if time.monotonic() - t0 > 12:
            break
    results[i] = ("still-open", time.monotonic() - t0)
ts = [threading.Thread(target=slow, args=(i,)) for i in range(40)]
for t in ts:
    t.start()
time.sleep(1)
t0 = time.monotonic()
try:
    s = w.connect(timeout=5)
    s.sendall(w.get_req("/bytes/1000"))
    r = w.read_response(w.Reader(s))
    print("normal", r.status, len(r.body), "%.1f" % (time.monotonic() - t0))
except Exception as e:
    print("normal failed", e)
for t in ts:
    t.join(20)
times = [v[1] for v in results.values()]
kinds = sorted(set(v[0] for v in results.values()))
print("kinds", kinds)
print("slowest-close %.1f fastest-close %.1f" % (max(times), min(times)))
EOF
)
wk_diag "$out"
wk_like "$out" '^normal 200 1000 ' "a normal client is served while 40 slowloris clients hold connections"
kinds=$(printf '%s\n' "$out" | sed -n 's/^kinds //p')
wk_unlike "$kinds" 'still-open' "every slowloris client is disconnected"
slowest=$(printf '%s\n' "$out" | sed -n 's/^slowest-close \([0-9]*\)\..*/\1/p')
fastest=$(printf '%s\n' "$out" | sed -n 's/.*fastest-close \([0-9]*\)\..*/\1/p')
if [ -n "$slowest" ] && [ "$slowest" -lt 7 ] && [ "$fastest" -ge 1 ]; then
	wk_pass "slowloris clients cut after about the header-read timeout (1 s .. 7 s)"
else
	wk_fail "slowloris clients cut after about the header-read timeout (1 s .. 7 s)" "$out"
fi
wk_ok "still serving after the slowloris clients" \
    wk_curl -f -o /dev/null "$(wk_url /bytes/10)"

# A head sent slowly but within the timeout, on a kept-alive connection
# after an idle pause, is served (the timer starts at its first byte).
out=$(wk_py <<'EOF'
import wkclient as w, time
s = w.connect()
rd = w.Reader(s)
s.sendall(w.get_req("/bytes/10"))
r1 = w.read_response(rd)
time.sleep(1.2)
head = w.get_req("/bytes/20")
step = 1.0 / len(head)
for k in range(len(head)):
    s.sendall(head[k:k + 1])
    time.sleep(step)
r2 = w.read_response(rd)
print(r1.status, r2.status, len(r2.body))
EOF
)
wk_is "$out" "200 200 20" "slow head within header-read after an idle pause is served"

# Idle client connections are closed.
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=15)
rd = w.Reader(s)
s.sendall(w.get_req("/bytes/10"))
r = w.read_response(rd)
how, data, t = w.wait_closed(s, 12)
print(r.status, how, "%.1f" % t)
EOF
)
wk_like "$out" '^200 (eof|reset) ([1-9])\.' "idle keep-alive client closed after the keepalive timeout (1 s .. 10 s)"
out=$(wk_py <<'EOF'
import wkclient as w
s = w.connect(timeout=15)
how, data, t = w.wait_closed(s, 12)
print(how, "%.1f" % t)
EOF
)
wk_like "$out" '^(eof|reset) [0-9]\.' "a client that never sends a byte is closed (under 10 s)"

# Idle tunnel closed; a tunnel with traffic is not.
out=$(wk_py <<'EOF'
import wkclient as w, time
s = w.connect(timeout=15)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: x\r\n\r\n" % w.RAW_PORT)
rd = w.Reader(s)
r = w.read_response(rd, "CONNECT")
alive = True
for i in range(7):
    s.sendall(b"ping\n")
    while b"ping\n" not in rd.buf:
        if not rd.fill():
            alive = False
            break
    rd.buf.clear()
    time.sleep(0.5)
print(r.status, "busy-tunnel-alive" if alive else "busy-tunnel-cut")
how, data, t = w.wait_closed(s, 12)
print("idle", how, "%.1f" % t)
EOF
)
wk_like "$out" '^200 busy-tunnel-alive' "a tunnel with traffic outlives tunnel-idle"
wk_like "$out" 'idle (eof|reset) [0-9]\.' "an idle tunnel is closed after tunnel-idle (under 10 s)"

# Leak checks: warm up, take a baseline, then clients vanish mid-response
# and the origin resets mid-response.
wk_curl -o /dev/null "$(wk_url /bytes/10)"
sleep 0.5
base=$(wk_fd_count)
wk_diag "fd baseline: $base"

out=$(wk_py <<'EOF'
import wkclient as w, struct
for i in range(10):
    s = w.connect()
    s.sendall(w.get_req("/bytes/104857600"))
    rd = w.Reader(s)
    while rd.total < 1 << 20:
        if not rd.fill():
            break
    if i % 2:
        s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()
print("done")
EOF
)
wk_is "$out" done "ten clients vanish in the middle of a 100 MB response"
wk_ok "still serving after clients vanished" \
    wk_curl -f -o /dev/null "$(wk_url /bytes/10)"

out=$(wk_py <<'EOF'
import wkclient as w, struct
for i in range(6):
    s = w.connect()
    s.sendall(w.get_req("/upload", "POST", ["Content-Length: 104857600"]))
    s.sendall(b"u" * (1 << 20))
    if i % 2:
        s.setsockopt(w.socket.SOL_SOCKET, w.socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    s.close()
print("done")
EOF
)
wk_is "$out" done "six clients vanish in the middle of a 100 MB upload"
wk_ok "still serving after uploads were abandoned" \
    wk_curl -f -o /dev/null "$(wk_url /bytes/10)"

fails=0
for i in 1 2 3 4 5; do
	rc=0
	wk_curl -o /dev/null "$(wk_url /reset-mid)" 2>/dev/null || rc=$?
	[ $rc -eq 0 ] && fails=$((fails + 1))
done
wk_is "$fails" 0 "origin reset mid-response: the client never sees a complete response"
out=$(wk_py <<'EOF'
import wkclient as w, socket
s = w.connect(timeout=10)
s.sendall(w.get_req("/reset-mid"))
rd = w.Reader(s)
try:
    r = w.read_response(rd)
    print("complete", len(r.body))
except (EOFError, socket.timeout, OSError) as e:
    print("cut", type(e).__name__)
EOF
)
wk_like "$out" '^cut (EOFError|ConnectionResetError)' \
    "origin reset mid-response: the client connection is closed, not left hanging"
wk_ok "still serving after origin resets" \
    wk_curl -f -o /dev/null "$(wk_url /bytes/10)"

i=0
now=$(wk_fd_count)
while [ "$now" -gt $((base + 2)) ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
	now=$(wk_fd_count)
done
wk_diag "fds now: $now"
if [ "$now" -le $((base + 2)) ]; then
	wk_pass "open descriptors back to the baseline (no leak)"
else
	wk_fail "open descriptors back to the baseline (no leak)" \
	    "baseline $base, now $now" "$(ls -l /proc/$WK_PID/fd 2>/dev/null | tail -n 20)"
fi
wk_ok "proxy still running" wk_alive "$WK_PID"

wk_done
