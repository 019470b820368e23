-- PUT-only load over keys key-0 .. key-(N-1), one random key per request, 100-byte values.
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/put.lua http://127.0.0.1:PORT -- [N=10000]
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function request()
  return wrk.format("PUT", random_key_path(), json_headers, put_body)
end

function done(summary, latency, requests)
  bench_line(summary, latency)
end
