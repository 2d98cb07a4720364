-- wrk script: GET /scim/v2/Users?filter=<attribute> eq "<random existing value>".
-- Environment: BENCH_VALUES (file with one value per line), BENCH_ATTRIBUTE, BENCH_TOKEN, BENCH_RESULT.
local values = {}
local attribute = os.getenv("BENCH_ATTRIBUTE") or "userName"
local token = os.getenv("BENCH_TOKEN") or ""

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

for line in io.lines(os.getenv("BENCH_VALUES")) do
  values[#values + 1] = line
end
math.randomseed(os.time())

request = function()
  local value = values[math.random(#values)]
  local filter = urlencode(attribute .. ' eq "' .. value .. '"')
  return wrk.format("GET", "/scim/v2/Users?filter=" .. filter, {["Authorization"] = "Bearer " .. token})
end

done = function(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  out:close()
end
