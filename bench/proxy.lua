-- wrk script for bench/run.
--
-- Environment:
--   WK_TARGET  request target; absolute-form for a proxy
--              ("http://127.0.0.1:8080/1k"), origin-form for direct ("/1k")
--   WK_HOST    Host header value (the origin, "127.0.0.1:8080")
--   WK_CLOSE   "1": send "Connection: close" (one connection per request)
--
-- At the end one machine-readable line is printed, starting with "WKBENCH ".

local target = os.getenv("WK_TARGET")
local host = os.getenv("WK_HOST")
local close = os.getenv("WK_CLOSE") == "1"

wrk.method = "GET"
if target and target ~= "" then
   wrk.path = target
end
if host and host ~= "" then
   wrk.headers["Host"] = host
end
if close then
   wrk.headers["Connection"] = "close"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WKBENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.status, e.timeout))
end
