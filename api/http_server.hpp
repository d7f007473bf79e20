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
