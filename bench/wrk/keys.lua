-- GET-only load over the keys listed in a file (one key per line), one random key per request.
-- The harness uses it to GET only keys the target node owns ("direct") or only keys another node
-- owns ("forwarded").
-- usage: wrk -t2 -c16 -d15s -s bench/wrk/keys.lua http://127.0.0.1:PORT -- /path/to/keys.txt
-- done() prints one parseable "BENCH ..." line (latencies in microseconds).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local keys = {}

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
  bench_line(summary, latency)
end
