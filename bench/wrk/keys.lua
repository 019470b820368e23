-- GET-only load over the keys listed in a file (one key per line), one random key per request.
-- The harness uses it to GET only keys the target node owns ("direct") or only keys another node
-- owns ("forwarded").
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/keys.lua http://127.0.0.1:PORT -- /path/to/keys.txt
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

local threads = {}
local keys = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(args[1], "keys.lua needs a key list file: -- /path/to/keys.txt")
  for line in io.lines(file) do
    if #line > 0 then table.insert(keys, "/kvs/keys/" .. line) end
  end
  assert(#keys > 0, "key list file is empty: " .. file)
  math.randomseed(os.time() * 100 + (id or 0))
end

function request()
  return wrk.format("GET", keys[math.random(1, #keys)])
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
