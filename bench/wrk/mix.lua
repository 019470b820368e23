-- 50/50 GET/PUT over keys key-0 .. key-(N-1), one random key per request, 100-byte values.
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/mix.lua http://127.0.0.1:PORT -- [N=10000]
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

function request()
  local path = random_key_path()
  if math.random() < 0.5 then
    return wrk.format("GET", path)
  end
  return wrk.format("PUT", path, json_headers, put_body)
end

function done(summary, latency, requests)
  bench_line(summary, latency)
end
