// publisher.hpp -- carries registry changes to the DNS loops and tells the API when they serve them.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>

#include "api/http_server.hpp"
#include "dns/server.hpp"
#include "registry/registry.hpp"

namespace srvd {

/// Lives on the control loop. Once per loop turn (uv_prepare, so every write made during the
/// turn shares one snapshot) it publishes the registry if it changed; DNS loops acknowledge
/// each swap through `ack_`, and writes waiting for that index are then answered.
class Publisher final : public api::Visibility {
 public:
  Publisher(uv_loop_t* loop, registry::Registry& registry);
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Starts publishing to `dns`, which must outlive close().
  void attach(dns::Server* dns) { dns_ = dns; }
  /// Thread-safe: DNS threads call it after swapping in a snapshot.
  void notify_applied() { uv_async_send(&ack_); }
  void when_visible(uint64_t index, std::function<void()> then) override;
  /// Closes the handles; the owner must keep this alive until the loop has run once more.
  void close();

 private:
  struct Waiter {
    uint64_t index;
    std::function<void()> then;
  };
  void on_prepare();
  void on_ack();

  registry::Registry& registry_;
  dns::Server* dns_ = nullptr;
  uv_prepare_t prepare_{};
  uv_async_t ack_{};
  std::deque<Waiter> waiting_;  ///< in registry order, so indexes never decrease
};

}  // namespace srvd
