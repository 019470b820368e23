-- GET-only load over preloaded keys key-0 .. key-(N-1), one random key per request, spread over several
-- nodes: thread i connects to the ((i-1) mod #TARGETS + 1)-th address of the TARGETS environment variable
-- (comma-separated host:port; default: the URL's host). Used by bench/view-change.sh with -t2 so that one
-- wrk (one latency histogram) loads two nodes.
-- usage: TARGETS=127.0.0.1:15950,127.0.0.1:15951 wrk -t2 -c16 -d10s -s bench/wrk/spread.lua http://127.0.0.1:15950 -- N
-- done() prints the "BENCH ..." line of the other scripts plus a "DIST ..." latency distribution (microseconds).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local nkeys = 10000
local targets = {}
for t in string.gmatch(os.getenv("TARGETS") or "", "[^,]+") do table.insert(targets, t) end

function setup(thread)
  local n = #threads + 1
  thread:set("id", n)
  if #targets > 0 then
    local host, port = string.match(targets[(n - 1) % #targets + 1], "^(.+):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
  end
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
  bench_line(summary, latency)
  io.write("DIST")
  for _, p in ipairs({ 50, 75, 90, 95, 99, 99.9, 99.99 }) do
    io.write(string.format(" p%s_us=%d", tostring(p), latency:percentile(p)))
  end
  io.write(string.format(" max_us=%d\n", latency.max))
end
