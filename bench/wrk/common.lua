-- Shared by the load scripts: thread numbering and the one parseable "BENCH ..." result line
-- (latencies in microseconds) that bench/run.sh and bench/view-change.sh read.
-- A script loads it with: dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

threads = {}

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
