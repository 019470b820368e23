-- GET-only load over preloaded keys key-0 .. key-(N-1), one random key per request.
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/get.lua http://127.0.0.1:PORT -- [N=10000]
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function request()
  return wrk.format("GET", random_key_path())
end

function done(summary, latency, requests)
  bench_line(summary, latency)
end
