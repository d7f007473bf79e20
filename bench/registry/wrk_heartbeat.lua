-- wrk_heartbeat.lua -- heartbeats for the generator's instances svc<k>/i<n> (registered with
-- a ttl beforehand), cycling over SERVICES x INSTANCES (wrk args: -- SERVICES INSTANCES).
-- Ends with one JSON line, like wrk_register.lua.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local services, instances, n = 1000, 3, 0
function init(args)
  services = tonumber(args[1]) or services
  instances = tonumber(args[2]) or instances
  n = (tid or 1) * 7919
end

request = function()
  n = n + 1
  local k = n % services
  local i = math.floor(n / services) % instances + 1
  return wrk.format("PUT", string.format("/v1/services/svc%d/instances/i%d/heartbeat", k, i))
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "per_second": %.1f, "non_2xx": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
