-- GET-only load over preloaded keys key-0 .. key-(N-1), one random key per request.
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/get.lua http://127.0.0.1:PORT -- [N=10000]
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

local threads = {}
local nkeys = 10000

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  if args[1] then nkeys = tonumber(args[1]) end
  math.randomseed(os.time() * 100 + (id or 0))
end

function request()
  return wrk.format("GET", "/kvs/keys/key-" .. math.random(0, nkeys - 1))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
