-- PUT-only load over keys key-0 .. key-(N-1), one random key per request, 100-byte values.
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/put.lua http://127.0.0.1:PORT -- [N=10000]
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local nkeys = 10000
local body = '{"value":"' .. string.rep("v", 100) .. '"}'
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  if args[1] then nkeys = tonumber(args[1]) end
  math.randomseed(os.time() * 100 + (id or 0))
end

function request()
  return wrk.format("PUT", "/kvs/keys/key-" .. math.random(0, nkeys - 1), headers, body)
end

function done(summary, latency, requests)
  bench_line(summary, latency)
end
