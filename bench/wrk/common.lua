-- Shared by the load scripts: thread numbering and the one parseable "BENCH ..." result line
-- (latencies in microseconds) that bench/run.sh and bench/view-change.sh read.
-- A script loads it with: dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

threads = {}

-- The preloaded keys key-0 .. key-(nkeys-1) (the script's first argument, 10000 by default), one
-- chosen at random per request, and the 100-byte value a PUT writes. A script that needs more of its
-- own init defines init after loading this file.
nkeys = 10000
put_body = '{"value":"' .. string.rep("v", 100) .. '"}'
json_headers = { ["Content-Type"] = "application/json" }

function init(args)
  if args[1] then nkeys = tonumber(args[1]) end
  math.randomseed(os.time() * 100 + (id or 0))
end

function random_key_path()
  return "/kvs/keys/key-" .. math.random(0, nkeys - 1)
end

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function bench_line(summary, latency)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
