// http_server.hpp -- the HTTP API on a libuv loop: requests in, registry commands out.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "registry/registry.hpp"

struct uv_loop_s;

namespace srvd::api {

/// How the API learns that DNS serves a change; the composition root implements it.
class Visibility {
 public:
  virtual ~Visibility() = default;
  /// Calls `then` on the control loop once DNS answers from a snapshot with index >= `index`
  /// (at once if it already does). Read-your-writes: a write's response waits for this.
  virtual void when_visible(uint64_t index, std::function<void()> then) = 0;
  /// Long-polls: like when_visible, for an index that may not exist yet, but calls `then`
  /// after `timeout_ms` at the latest. Exactly once either way. The default never times out.
  virtual void when_visible_within(uint64_t index, uint64_t timeout_ms,
                                   std::function<void()> then) {
    (void)timeout_ms;
    when_visible(index, std::move(then));
  }
  /// A write's acknowledgement (issue 5): calls then("") once the changes made during this
  /// loop turn are durable in the store and DNS serves `index`; then(error) if the store could
  /// not keep them. Exactly once. The default (no store) is when_visible.
  virtual void after_write(uint64_t index, std::function<void(std::string error)> then) {
    when_visible(index, [then = std::move(then)] { then({}); });
  }
  /// Non-empty while the store refuses writes (etcd unreachable): writes then get 503 with this
  /// message at once, and /healthz reports "degraded" with it.
  virtual std::string store_unavailable() const { return {}; }
  /// Appends Prometheus text-format samples (with # HELP and # TYPE lines) about publishing
  /// and durability to `out`, for GET /metrics. The default has none.
  virtual void append_metrics(std::string& out) const { (void)out; }
};

/// Serves the HTTP API on `loop` (the control loop, the registry's only writer).
class HttpServer {
 public:
  /// Listens on `address` (port 0 picks a free one). nullptr and `error` set on failure.
  static std::unique_ptr<HttpServer> start(uv_loop_s* loop, const sockaddr_storage& address,
                                           registry::Registry& registry, Visibility& visibility,
                                           std::string& error);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  /// Stops accepting and closes every connection; handles finish closing on the next loop run.
  virtual void close() = 0;
};

}  // namespace srvd::api
