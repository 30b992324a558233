-- wrk script for bench/exchange-verify.bench.ts: POST verify bodies read from a file, cycling,
-- each with a fresh X-Request-Id (the exchange refuses a replayed one) and the call headers.
-- wrk -t2 -c64 -d10s --latency -s bench/exchange-verify.wrk.lua <url> -- <bodies file> <access token>
-- WRK_PACE_MS=<ms>: each connection waits that long after a response before its next request
-- (bench/exchange-verify.bench.ts paces wrk near a target rate this way).
local pace = tonumber(os.getenv("WRK_PACE_MS") or "")
if pace ~= nil and pace > 0 then
  function delay() return pace end
end

local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local bodies = {}
local token = ""
local n = 0

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  token = args[2] or ""
  math.randomseed(os.time() * 1000 + id)
  n = id * 7919
end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%04x%08x",
    math.random(0, 0xffffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffff), math.random(0, 0xffffffff))
end

request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  return wrk.format("POST", "/x/services/verify", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["X-Request-Id"] = uuid(),
    ["X-Officer-Id"] = "bench-officer",
    ["X-Case-Reference"] = "BENCH-0001",
    ["X-Purpose"] = "KYC",
  }, body)
end
