-- wrk script of the benchmark suite (bench/suite.py): replays requests prepared in a file.
--
-- BENCH_REQUESTS  file, one request a line: METHOD <tab> PATH [<tab> BODY]
-- BENCH_ORDER     "random" (default): a random line per request;
--                 "once": each line at most once (thread t of T takes lines t, t+T, ...), for
--                 requests that must not be replayed (signed assertions); past the end it wraps
--                 around and counts the request as "exhausted";
--                 "cycle": the same walk through the lines, wrapping around silently (add, remove, ...)
-- BENCH_OFFSET    for "cycle": requests of the walk already made by earlier runs (it goes on from there)
-- BENCH_UNIQUE    when "1", every "{{n}}" in the path and body becomes a value unique to the request
-- BENCH_NONCE     part of that unique value, different for every wrk run
-- BENCH_AUTH      Authorization header value (optional); BENCH_CONTENT_TYPE: Content-Type of bodies
-- BENCH_THREADS   the -t given to wrk
-- BENCH_RESULT    where done() writes its JSON figures
-- Every response whose status is not 2xx is counted (the response hook), with the first one kept.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

local lines = {}
local order = os.getenv("BENCH_ORDER") or "random"
local unique = os.getenv("BENCH_UNIQUE") == "1"
local nonce = os.getenv("BENCH_NONCE") or "0"
local stride = tonumber(os.getenv("BENCH_THREADS") or "1")
local headers = {}
local position, counter = 0, 0
non2xx, exhausted, first_status, first_body = 0, 0, 0, ""

function init(args)
  for line in io.lines(os.getenv("BENCH_REQUESTS")) do
    local method, path, body = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
    lines[#lines + 1] = {method, path, body ~= "" and body or nil}
  end
  if os.getenv("BENCH_AUTH") then headers["Authorization"] = os.getenv("BENCH_AUTH") end
  if os.getenv("BENCH_CONTENT_TYPE") then headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") end
  local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")
  if order ~= "cycle" then offset = 0 end
  -- a multiple of the stride, so that each thread keeps its own lines (t, t+T, ...)
  position = ((offset - offset % stride) + (tid or 0)) % #lines + 1
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  local item
  if order == "once" or order == "cycle" then
    if position > #lines then
      if order == "once" then exhausted = exhausted + 1 end
      position = ((tid or 0) % #lines) + 1
    end
    item = lines[position]
    position = position + stride
  else
    item = lines[math.random(#lines)]
  end
  local path, body = item[2], item[3]
  if unique then
    counter = counter + 1
    local value = nonce .. "-" .. (tid or 0) .. "-" .. counter
    path = path:gsub("{{n}}", value)
    if body then body = body:gsub("{{n}}", value) end
  end
  return wrk.format(item[1], path, headers, body)
end

function response(status, response_headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_status == 0 then
      first_status = status
      first_body = (body or ""):sub(1, 200)
    end
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local bad, used_up, status, body = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    used_up = used_up + (thread:get("exhausted") or 0)
    if status == 0 and (thread:get("first_status") or 0) ~= 0 then
      status, body = thread:get("first_status"), thread:get("first_body") or ""
    end
  end
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "socket_errors": %d, "non2xx": %d, ' ..
    '"exhausted": %d, "first_status": %d, "first_body": %s}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    bad, used_up, status, json_string(body)))
  out:close()
end
