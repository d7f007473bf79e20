-- wrk_register.lua -- every request registers a new instance (distinct ids per thread and
-- request) in one of 1,000 services "reg<k>": PUT /v1/services/reg<k>/instances/t<thread>-<n>.
-- Ends with one JSON line (requests, rate, non-2xx, socket errors, latency percentiles).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local n = 0
request = function()
  n = n + 1
  local path = string.format("/v1/services/reg%d/instances/t%d-%d", n % 1000, tid, n)
  local body = string.format('{"address":"10.%d.%d.%d","port":8080}',
                             100 + tid % 100, math.floor(n / 256) % 256, n % 256)
  return wrk.format("PUT", path, {["Content-Type"] = "application/json"}, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "per_second": %.1f, "non_2xx": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
